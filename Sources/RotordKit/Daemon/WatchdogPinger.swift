import Logging
import RotordCore
import ServiceLifecycle
import Synchronization
import SystemdSupport

/// The daemon's watchdog loop: every ping interval, ping systemd if, and only if, the rotation
/// loop has shown life recently enough (``LoopMonitor``, ``WatchdogGate``).
///
/// A `Service`: `rotord run` runs it beside the ``Daemon`` in one `ServiceGroup`, listed first so
/// that it is shut down last and keeps pinging while the daemon finishes its current step. Tests
/// drive ``tick(now:)`` with explicit instants, so the decision they check is the one the daemon makes.
final class WatchdogPinger: Service, Sendable {
    private let gate: WatchdogGate
    private let monitor: LoopMonitor
    private let ping: @Sendable () -> Void
    private let logger: Logger
    private let interval: Duration
    private let warned = Mutex(false)

    /// Pings through `ping`, every `interval` once running, while `monitor` shows a heartbeat no older
    /// than `maxStall`.
    init(
        maxStall: Duration, every interval: Duration = Timing.watchdogTick, monitor: LoopMonitor, logger: Logger,
        ping: @escaping @Sendable () -> Void
    ) {
        self.gate = WatchdogGate(maxStall: maxStall)
        self.interval = interval
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

    /// Ticks every `interval` until the task shuts down gracefully or is cancelled.
    func run() async {
        let interval = self.interval
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            tick()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
