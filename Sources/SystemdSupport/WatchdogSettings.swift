import CSystemd

/// The watchdog systemd asked for (`WatchdogSec=`), read with `sd_watchdog_enabled(3)`.
public struct WatchdogSettings: Sendable, Equatable {
    /// systemd's timeout.
    public var interval: Duration
    /// How often to ping: half the interval, as `sd_watchdog_enabled(3)` recommends.
    public var pingInterval: Duration { interval / 2 }

    /// Creates settings for `interval`.
    public init(interval: Duration) { self.interval = interval }

    /// The settings from `WATCHDOG_USEC`/`WATCHDOG_PID`; `nil` when no watchdog is set for this process.
    public static func fromEnvironment() -> WatchdogSettings? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return WatchdogSettings(interval: .microseconds(Int64(usec)))
    }
}

/// Pure decision: ping only when the loop's last sign of life is recent enough.
public struct WatchdogGate: Sendable {
    /// The decision for one tick.
    public enum Decision: Sendable, Equatable {
        /// The loop is alive: ping.
        case ping
        /// The loop has been stalled this long: let systemd's timer run out.
        case withhold(stalledFor: Duration)
    }

    /// How old the last heartbeat may be.
    public let maxStall: Duration

    /// Creates a gate.
    public init(maxStall: Duration) { self.maxStall = maxStall }

    /// Decides at `now` given the loop's `lastHeartbeat`.
    public func decide(now: ContinuousClock.Instant, lastHeartbeat: ContinuousClock.Instant) -> Decision {
        let age = lastHeartbeat.duration(to: now)
        return age <= maxStall ? .ping : .withhold(stalledFor: age)
    }
}
