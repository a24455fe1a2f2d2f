import Synchronization

/// A ``RequestBudget`` shared by every ``FracttalClient`` built with it, so that the record of
/// requests sent and the server's rate-limit state survive a client rebuild (the daemon rebuilds
/// its client on every configuration reload) instead of starting from a full budget.
public final class SharedRequestBudget: Sendable {
    private let budget: Mutex<RequestBudget>
    let trafficCounters = Mutex(FracttalTraffic())

    /// A budget of `limit` requests per `window` (0 = unlimited).
    public init(limit: Int, window: Duration = .seconds(60)) {
        budget = Mutex(RequestBudget(limit: limit, window: window))
    }

    /// Runs `body` on the budget, under its lock.
    public func withBudget<R: Sendable>(_ body: (inout RequestBudget) -> R) -> R {
        budget.withLock { body(&$0) }
    }

    /// The limit in force.
    public var limit: Int { budget.withLock { $0.limit } }

    /// Changes the limit (a reload may change `fracttal.requests_per_minute`), keeping the requests
    /// already sent and any wait the server asked for.
    public func setLimit(_ limit: Int) {
        budget.withLock { $0 = $0.resized(limit: limit) }
    }
}

extension RequestBudget {
    /// This budget with another limit: the most recent sends (up to the new limit) and the server's
    /// block are kept.
    public func resized(limit newLimit: Int) -> RequestBudget {
        var out = RequestBudget(limit: newLimit, window: window)
        for instant in sendTimes.suffix(max(newLimit, 0)) { out.record(at: instant) }
        out.copyServerState(from: self)
        return out
    }
}
