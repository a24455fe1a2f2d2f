/// A client-side request budget: at most `limit` requests in any `window`, so that no fixed
/// server window (which the sliding one always covers) ever sees more. Pure; time is passed in.
///
/// It also honours what the server says of the shared account budget (other integrations spend
/// it too): when the server reports nothing remaining, requests wait for its reset.
public struct RequestBudget: Sendable {
    /// Requests allowed per window.
    public let limit: Int
    /// The window length.
    public let window: Duration
    private var sent: [ContinuousClock.Instant] = []  // ring of the last `limit` send times
    private var head = 0
    /// The server's block: no request before this instant (a 406, a 429, or nothing remaining).
    private(set) var blockedUntil: ContinuousClock.Instant?
    /// What the server last said is left of its window: at most `count` more requests before `until`.
    private(set) var allowance: (count: Int, until: ContinuousClock.Instant)?
    /// How many requests were ever recorded (the ledger uses it to see which sends are new).
    private(set) var recordedCount = 0

    /// Creates a budget of `limit` requests per `window` (0 = unlimited).
    public init(limit: Int, window: Duration = .seconds(60)) {
        self.limit = max(0, limit)
        self.window = window
    }

    /// How long to wait before the next request may be sent at `now`; zero when it may go now.
    public func delay(at now: ContinuousClock.Instant) -> Duration {
        var wait = Duration.zero
        if let blockedUntil, blockedUntil > now { wait = now.duration(to: blockedUntil) }
        if let allowance, allowance.count <= 0, allowance.until > now {
            wait = max(wait, now.duration(to: allowance.until))
        }
        guard limit > 0, sent.count >= limit else { return wait }
        let oldest = sent[head]
        let free = oldest.advanced(by: window)
        return free > now ? max(wait, now.duration(to: free)) : wait
    }

    /// The recorded send times, oldest first.
    var sendTimes: [ContinuousClock.Instant] {
        sent.count < limit ? sent : Array(sent[head...] + sent[..<head])
    }

    /// Takes over `other`'s server-imposed wait.
    mutating func copyServerState(from other: RequestBudget) { blockedUntil = other.blockedUntil }

    /// Replaces the server's state (block and allowance) with one read from the shared ledger.
    mutating func setServerState(
        blockedUntil: ContinuousClock.Instant?, allowance: (count: Int, until: ContinuousClock.Instant)?
    ) {
        self.blockedUntil = blockedUntil
        self.allowance = allowance
    }

    /// Takes the next request's slot if it may go at `now`: records it and returns zero, or returns
    /// how long to wait and records nothing. One step, so that no other sharer slips in between.
    public mutating func reserve(at now: ContinuousClock.Instant) -> Duration {
        let wait = delay(at: now)
        if wait == .zero { record(at: now) }
        return wait
    }

    /// Records a request sent at `now`.
    public mutating func record(at now: ContinuousClock.Instant) {
        recordedCount += 1
        if let current = allowance {
            allowance = current.until > now ? (current.count - 1, current.until) : nil
        }
        guard limit > 0 else { return }
        if sent.count < limit {
            sent.append(now)
        } else {
            sent[head] = now
            head = (head + 1) % limit
        }
    }

    /// Applies the server's rate-limit headers: `remaining` requests left, window resets in `reset`.
    ///
    /// A remaining count lowers the budget at once: until the reset, no more than that many
    /// requests are sent (requests already on their way included), whatever the client's own limit.
    public mutating func observe(remaining: Int?, reset: Duration?, at now: ContinuousClock.Instant) {
        guard let remaining else { return }
        if remaining > 0 {
            allowance = (remaining, now.advanced(by: (reset ?? window) + .seconds(1)))
            return
        }
        // The reset is whole seconds, rounded by the server: allow one more.
        let until = now.advanced(by: (reset ?? window) + .seconds(1))
        if blockedUntil.map({ $0 < until }) ?? true { blockedUntil = until }
    }

    /// The server answered 406: nothing more until its reset (or a whole window).
    public mutating func observeRateLimited(reset: Duration?, at now: ContinuousClock.Instant) {
        observe(remaining: 0, reset: reset ?? window, at: now)
    }
}
