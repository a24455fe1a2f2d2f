/// What the API traffic of a process looked like, for metrics: answers by HTTP status (`error` for
/// a request that got no answer) and waits for the rate limit (the client's budget, 406, 429).
///
/// Kept by ``SharedRequestBudget``, so the counters, like the budget, survive a client rebuild.
public struct FracttalTraffic: Sendable, Equatable {
    /// API answers by status code (`"200"`, `"406"`, …), and `"error"` for no answer.
    public var responses: [String: Int] = [:]
    /// How many times a request waited for the rate limit.
    public var rateLimitWaits = 0
    /// How long those waits took in all, in seconds.
    public var rateLimitWaitSeconds: Double = 0

    /// No traffic yet.
    public init() {}
}

extension SharedRequestBudget {
    /// A copy of the traffic counters.
    public var traffic: FracttalTraffic { trafficCounters.withLock { $0 } }

    /// Counts one API answer (`nil`: none came).
    func recordResponse(status: Int?) {
        trafficCounters.withLock { $0.responses[status.map(String.init) ?? "error", default: 0] += 1 }
    }

    /// Counts one rate-limit wait of `seconds`.
    func recordWait(seconds: Double) {
        trafficCounters.withLock {
            $0.rateLimitWaits += 1
            $0.rateLimitWaitSeconds += seconds
        }
    }
}
