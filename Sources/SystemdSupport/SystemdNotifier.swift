import CSystemd
import Glibc

/// Tells systemd about the service's state through `sd_notify(3)`.
///
/// Every call is a no-op, quietly, when `NOTIFY_SOCKET` is unset (not under systemd, or not
/// `Type=notify`). The environment is never unset (`unset_environment` is always 0), so the
/// watchdog and later notifications keep working.
public struct SystemdNotifier: Sendable {
    /// Creates a notifier.
    public init() {}

    /// Whether systemd listens (`NOTIFY_SOCKET` is set).
    public var isActive: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// Sends raw assignments, `"A=1\nB=2"`. Returns whether systemd received them.
    @discardableResult
    public func send(_ assignments: String) -> Bool {
        guard isActive else { return false }
        return sd_notify(0, assignments) > 0
    }

    /// `READY=1`, with an optional status line.
    public func ready(status: String? = nil) {
        send("READY=1" + (status.map { "\nSTATUS=\(Self.oneLine($0))" } ?? ""))
    }

    /// `STATUS=` with a one-line human summary.
    public func status(_ text: String) {
        send("STATUS=\(Self.oneLine(text))")
    }

    /// `STOPPING=1`.
    public func stopping(status: String? = nil) {
        send("STOPPING=1" + (status.map { "\nSTATUS=\(Self.oneLine($0))" } ?? ""))
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (CLOCK_MONOTONIC), as systemd 253+ requires and 252 accepts.
    public func reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
    }

    /// `EXTEND_TIMEOUT_USEC=`: more time for start-up or shutdown, from now.
    public func extendTimeout(by duration: Duration) {
        send("EXTEND_TIMEOUT_USEC=\(Self.microseconds(duration))")
    }

    /// `WATCHDOG=1`.
    public func watchdogPing() { send("WATCHDOG=1") }

    /// `WATCHDOG=trigger`: ask systemd to act as if the watchdog expired (a fatal internal state).
    public func watchdogTrigger() { send("WATCHDOG=trigger") }

    /// CLOCK_MONOTONIC in microseconds.
    public static func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1_000
    }

    static func microseconds(_ d: Duration) -> UInt64 {
        let (s, atto) = d.components
        return UInt64(max(s, 0)) * 1_000_000 + UInt64(max(atto, 0) / 1_000_000_000_000)
    }

    /// Newlines would end the assignment; systemd shows one line anyway.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
