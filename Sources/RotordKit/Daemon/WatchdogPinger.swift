import Logging
import Synchronization
import SystemdSupport

/// The daemon's watchdog loop: every ping interval, ping systemd if, and only if, the rotation
/// loop has shown life recently enough (``LoopMonitor``, ``WatchdogGate``).
///
/// The daemon runs ``run(every:)``; tests drive ``tick(now:)`` with explicit instants, so the
/// decision they check is the one the daemon makes.
final class WatchdogPinger: Sendable {
    private let gate: WatchdogGate
    private let monitor: LoopMonitor
    private let ping: @Sendable () -> Void
    private let logger: Logger
    private let warned = Mutex(false)

    /// Pings through `ping` while `monitor` shows a heartbeat no older than `maxStall`.
    init(maxStall: Duration, monitor: LoopMonitor, logger: Logger, ping: @escaping @Sendable () -> Void) {
        self.gate = WatchdogGate(maxStall: maxStall)
        self.monitor = monitor
        self.logger = logger
        self.ping = ping
    }

    /// One tick at `now`: pings, or withholds the ping (logging once per stall), and says which.
    @discardableResult
    func tick(now: ContinuousClock.Instant = .now) -> WatchdogGate.Decision {
        let decision = gate.decide(now: now, lastHeartbeat: monitor.effectiveBeat(at: now))
        switch decision {
        case .ping:
            ping()
            warned.withLock { $0 = false }
        case .withhold(let stalled):
            let first = warned.withLock { w -> Bool in
                defer { w = true }
                return !w
            }
            if first {
                logger.critical("the rotation loop made no progress for \(stalled); withholding watchdog pings")
            }
        }
        return decision
    }

    /// Ticks every `interval` until cancelled.
    func run(every interval: Duration) async {
        while !Task.isCancelled {
            tick()
            try? await Task.sleep(for: interval)
        }
    }
}
