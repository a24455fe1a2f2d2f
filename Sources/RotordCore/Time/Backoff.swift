/// How long to wait before the next try of something that failed: exponential, capped, with
/// jitter. The **one** backoff of rotord: the Fracttal client's request retries, the rotation
/// machine's retries of a step, the planner's pause after failed rotations, and the polls for the
/// state lock, a child process and a new credential all use it (docs/architecture.md, "One
/// source for each decision").
///
/// Two ways to draw the jitter, both pure:
/// - ``delay(attempt:hint:)`` draws from ``random`` (injectable; the client's retries), so that
///   many clients failing together do not retry together;
/// - ``delay(attempt:key:)`` derives it from a stable hash of a key (a rotation id, a consumer
///   name), for the pure rotation machine and planner: the same retry of the same rotation waits
///   the same in every process and after a restart, and many rotations failing together spread.
///
/// A value type with its random source and its sleep injected, so tests compute (and "wait") the
/// delays without sleeping.
public struct Backoff: Sendable {
    /// How the wait is spread below its bound.
    public enum Jitter: Sendable, Equatable {
        /// Uniformly in `0...bound` ("full jitter"): the best spread, for retries of requests.
        case full
        /// Uniformly in `bound/2...bound` ("equal jitter"): never much shorter than the bound,
        /// for steps and polls that must not come back at once.
        case equal
        /// Exactly the bound.
        case none
    }

    /// The bound of the first wait (attempt 1).
    public var initial: Duration
    /// The largest bound any wait may have.
    public var maximum: Duration
    /// How the wait is spread below its bound.
    public var jitter: Jitter
    /// A random number in `0...1`; injectable for deterministic tests.
    public var random: @Sendable () -> Double
    /// Waits a delay; `Task.sleep` by default, injectable so that tests never sleep.
    public var sleep: @Sendable (Duration) async throws -> Void

    /// The client's default: bounds of 0.5 s, 1 s, 2 s … capped at 30 s, full jitter, with the
    /// system random source.
    public static let standard = Backoff()

    /// The rotation machine's retries of a step: bounds of 30 s, 1 min, 2 min … capped at 1 h,
    /// equal jitter (so a retry comes 15–30 s after the first transient error).
    public static let rotationStep = Backoff(initial: .seconds(30), maximum: .seconds(3_600), jitter: .equal)

    /// The planner's pause after failed rotations of a consumer: 5 min, 10 min … capped at 6 h,
    /// equal jitter.
    public static let failedRotations = Backoff(initial: .seconds(300), maximum: .seconds(21_600), jitter: .equal)

    /// Creates a backoff; `random` must return a number in `0...1` (values outside are clamped);
    /// `sleep` is how ``wait(attempt:hint:)`` waits. `initial` and `maximum` are clamped to
    /// `0...Duration.saturationLimit`, so no bound, hint or jitter computed from them can overflow.
    public init(
        initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30), jitter: Jitter = .full,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.sleep = sleep
        self.initial = max(initial, .zero).clampedToSaturationLimit
        self.maximum = max(maximum.clampedToSaturationLimit, self.initial)
        self.jitter = jitter
        self.random = random
    }

    /// This backoff without jitter: every wait is its bound (for tests that compare exact dates).
    public var withoutJitter: Backoff {
        var copy = self
        copy.jitter = .none
        return copy
    }

    /// The upper bound of the wait before retry number `attempt` (1-based):
    /// `min(maximum, initial × 2^(attempt-1))`; the doubling stops at `maximum`, so it never overflows.
    public func bound(attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 40)
        var bound = initial
        for _ in 0..<exponent {
            if bound >= maximum / 2 { return maximum }
            bound = bound * 2
            if bound >= maximum { return maximum }
        }
        return min(bound, maximum)
    }

    /// The wait before retry number `attempt` (1-based), jittered below its bound with ``random``;
    /// or, when the server said how long to wait (`hint`), that long plus up to one ``initial`` of
    /// jitter (never less than the server asked; a hint beyond `Duration.saturationLimit` is clamped to it).
    public func delay(attempt: Int, hint: Duration? = nil) -> Duration {
        let r = min(max(random(), 0), 1)
        if let hint, hint > .zero { return hint.clampedToSaturationLimit + initial * r }
        return spread(bound(attempt: attempt), r)
    }

    /// The wait before retry number `attempt` (1-based) of the thing named `key`, jittered below
    /// its bound by a stable hash of `key` and `attempt`: pure and deterministic.
    public func delay(attempt: Int, key: String) -> Duration {
        let r = Double(RotationJitter.fnv1a64("\(key)#\(attempt)") % 1_000_001) / 1_000_000
        return spread(bound(attempt: attempt), r)
    }

    /// Waits ``delay(attempt:hint:)`` with ``sleep`` and returns how long that was. Throws when
    /// the sleep is cancelled.
    @discardableResult
    public func wait(attempt: Int, hint: Duration? = nil) async throws -> Duration {
        let d = delay(attempt: attempt, hint: hint)
        try await sleep(d)
        return d
    }

    /// `duration` in seconds, for `Date` arithmetic.
    public static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func spread(_ bound: Duration, _ r: Double) -> Duration {
        switch jitter {
        case .full: bound * r
        case .equal: bound / 2 + (bound / 2) * r
        case .none: bound
        }
    }
}
