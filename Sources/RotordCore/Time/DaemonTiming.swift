import Foundation

/// When the daemon wakes up, decided in one place (pure; the caller gives the times).
public enum DaemonTiming {
    /// How long to sleep now: until `next` (the plan's nearest deadline), at least 1 s, and at most
    /// `resync`, so that Fracttal is listed again at least that often and changes made by hand
    /// (a consumer created, deleted or renamed in the web UI) are noticed. Never more than
    /// ``ConfigDuration/maximum``, so the timer's deadline cannot overflow.
    public static func sleepSeconds(next: Date?, now: Date, resync: ConfigDuration) -> TimeInterval {
        let cap = max(resync.timeInterval, 1)
        guard let next else { return cap }
        return min(max(next.timeIntervalSince(now), 1), cap)
    }

    /// How far the wall clock moved against the monotonic clock between two readings, when that is
    /// more than `tolerance` (a clock set by hand, a VM resumed, NTP stepping): positive forward.
    /// `nil` when the two agree.
    public static func wallClockJump(
        wallThen: Date, monotonicThen: ContinuousClock.Instant, wallNow: Date, monotonicNow: ContinuousClock.Instant,
        tolerance: TimeInterval = 5
    ) -> TimeInterval? {
        let elapsed = monotonicThen.duration(to: monotonicNow)
        let monotonicSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let drift = wallNow.timeIntervalSince(wallThen) - monotonicSeconds
        return abs(drift) > tolerance ? drift : nil
    }
}
