import RotordCore
import Synchronization
import SystemdSupport

/// Keeps systemd's start (and stop) timeout from expiring while rotord makes progress.
///
/// Before READY=1 the first pass may legitimately take long (a rate-limited account, hooks); each
/// sign of progress then sends `EXTEND_TIMEOUT_USEC`, at most every 10 s. After READY=1 nothing is
/// sent until a stop is requested.
final class StartupTimeout: Sendable {
    private struct State {
        var ready = false
        var stopping = false
        var lastExtend: ContinuousClock.Instant?
    }

    private let notifier: SystemdNotifier
    private let state = Mutex(State())

    init(notifier: SystemdNotifier) {
        self.notifier = notifier
    }

    /// READY=1 was sent.
    func ready() { state.withLock { $0.ready = true } }

    /// A stop was requested.
    func stopping() { state.withLock { $0.stopping = true } }

    /// The loop made progress: extend the timeout if systemd is waiting for us.
    func progressed(now: ContinuousClock.Instant = .now) {
        let send = state.withLock { s -> Bool in
            guard !s.ready || s.stopping else { return false }
            if let last = s.lastExtend, last.duration(to: now) < Timing.startupExtensionEvery { return false }
            s.lastExtend = now
            return true
        }
        if send { notifier.extendTimeout(by: Timing.startupExtension) }
    }
}
