import RotordCore
import Synchronization

/// The fleet leader's fence for Fracttal, which has no transactions (docs/fleet.md, "Fencing"): a
/// ``LeaderFence`` on the monotonic clock, fed by the election, and asked by the Fracttal client right before every
/// request (``sendRefusal()``). A host that is not leader, a leader still settling into its term, and a leader whose
/// lease deadline is less than the margin away send nothing.
package final class FleetGate: Sendable {
    private let fence: Mutex<LeaderFence<ContinuousClock.Instant>>

    /// A gate that refuses until the host wins; `requestTimeout` is `fracttal.timeout`.
    package init(ttl: Duration, requestTimeout: Duration) {
        fence = Mutex(
            LeaderFence(
                ttl: ttl, requestTimeout: requestTimeout,
                margin: requestTimeout + ClusterSettings.fenceMarginOverTimeout))
    }

    /// The host won the election; its lease was last renewed by a keep-alive sent at `sent`.
    package func won(at instant: ContinuousClock.Instant, keepAliveSent sent: ContinuousClock.Instant) {
        fence.withLock { $0.won(at: instant, keepAliveSentAt: sent) }
    }

    /// A keep-alive sent at `sent` was answered.
    package func renewed(keepAliveSent sent: ContinuousClock.Instant) {
        fence.withLock { $0.keepAliveSucceeded(sentAt: sent) }
    }

    /// The host lost or resigned leadership.
    package func lost() { fence.withLock { $0.lost() } }

    /// Why a Fracttal request may not go now, or `nil`.
    package func refusal(at now: ContinuousClock.Instant = .now) -> LeaderFence<ContinuousClock.Instant>.Refusal? {
        fence.withLock { $0.refusal(at: now) }
    }

    /// When a leader that just won may send its first request; `nil` when it is not leader.
    package var settledAt: ContinuousClock.Instant? {
        fence.withLock { fence in fence.wonAt.map { $0.advanced(by: fence.requestTimeout + fence.margin) } }
    }

    /// The Fracttal client's send gate: the refusal, in words.
    package var sendRefusal: @Sendable () -> String? {
        { [self] in refusal().map { "this host is not the fleet's leader now (\($0))" } }
    }
}
