import Synchronization

/// The rotation loop's heartbeat, as the watchdog sees it.
///
/// The loop beats at every step. While it sleeps on its timer it declares itself *idle until* the
/// timer's deadline: that counts as progress up to the deadline, and a loop that has not woken by
/// then plus the allowed stall is hung. So an idle daemon keeps its watchdog fed without waking,
/// and a loop stuck anywhere (a step, a lost timer) stops the pings.
package final class LoopMonitor: Sendable {
    private struct State {
        var lastBeat: ContinuousClock.Instant
        var idleUntil: ContinuousClock.Instant?
    }

    private let state: Mutex<State>

    /// Creates a monitor that last beat at `now`.
    package init(now: ContinuousClock.Instant = .now) {
        state = Mutex(State(lastBeat: now, idleUntil: nil))
    }

    /// The loop made progress.
    package func beat(at now: ContinuousClock.Instant = .now) {
        state.withLock {
            $0.lastBeat = now
            $0.idleUntil = nil
        }
    }

    /// The loop sleeps until `deadline` on purpose.
    package func idle(until deadline: ContinuousClock.Instant, at now: ContinuousClock.Instant = .now) {
        state.withLock {
            $0.lastBeat = now
            $0.idleUntil = deadline
        }
    }

    /// The instant the loop last showed life, counting a declared idle period up to its deadline.
    package func effectiveBeat(at now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        state.withLock { s in
            guard let idleUntil = s.idleUntil else { return s.lastBeat }
            return max(s.lastBeat, min(now, idleUntil))
        }
    }
}
