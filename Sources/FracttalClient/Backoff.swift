/// How long to wait before the next try of a failed request: exponential, capped, with **full
/// jitter** (a uniformly random wait between zero and the exponential bound, so that many clients
/// failing together do not retry together), or the server's own hint (`Retry-After`, a rate-limit
/// reset) plus a little jitter when it gave one.
///
/// A value type with its random source and its sleep injected, so tests compute (and "wait") the
/// delays without sleeping.
public struct Backoff: Sendable {
    /// The bound of the first wait (attempt 1).
    public var initial: Duration
    /// The largest bound any wait may have.
    public var maximum: Duration
    /// A random number in `0...1`; injectable for deterministic tests.
    public var random: @Sendable () -> Double
    /// Waits a delay; `Task.sleep` by default, injectable so that tests never sleep.
    public var sleep: @Sendable (Duration) async throws -> Void

    /// The client's default: bounds of 0.5 s, 1 s, 2 s … capped at 30 s, with the system random source.
    public static let standard = Backoff()

    /// Creates a backoff; `random` must return a number in `0...1` (values outside are clamped);
    /// `sleep` is how ``wait(attempt:hint:)`` waits.
    public init(
        initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.sleep = sleep
        self.initial = max(initial, .zero)
        self.maximum = max(maximum, self.initial)
        self.random = random
    }

    /// The upper bound of the wait before retry number `attempt` (1-based):
    /// `min(maximum, initial × 2^(attempt-1))`.
    public func bound(attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 40)
        var bound = initial
        for _ in 0..<exponent {
            bound = bound * 2
            if bound >= maximum { return maximum }
        }
        return min(bound, maximum)
    }

    /// The wait before retry number `attempt` (1-based): uniformly random in `0...bound(attempt:)`,
    /// or, when the server said how long to wait (`hint`), that long plus up to one ``initial`` of
    /// jitter (never less than the server asked).
    public func delay(attempt: Int, hint: Duration? = nil) -> Duration {
        let r = min(max(random(), 0), 1)
        if let hint, hint > .zero { return hint + initial * r }
        return bound(attempt: attempt) * r
    }

    /// Waits ``delay(attempt:hint:)`` with ``sleep`` and returns how long that was. Throws when
    /// the sleep is cancelled.
    @discardableResult
    public func wait(attempt: Int, hint: Duration? = nil) async throws -> Duration {
        let d = delay(attempt: attempt, hint: hint)
        try await sleep(d)
        return d
    }
}
