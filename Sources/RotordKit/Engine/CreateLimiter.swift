import RotordCore
import Synchronization

/// Caps on consumer creates, so that no answer, however hostile, makes rotord create in a loop.
///
/// A create whose answer is lost or refused (it may have taken effect) is followed by a search for
/// the rotation's marker that deletes what it made, and then by a new create. These caps bound
/// that cycle:
///
/// - ``maxPerRotationPerPass`` (3): creates one rotation may send in one reconcile pass. Past it,
///   the create is postponed as a transient failure: the rotation machine's back-off (30 s doubling
///   up to 1 h) spaces the next try.
/// - ``maxPerPass`` (10): **repeat** creates one pass may send for all rotations together (creates
///   of a rotation that has created before: after a lost or refused answer, in this pass or an
///   earlier one); past it, likewise postponed. A rotation's first create is never counted here, so
///   a healthy pass with many due consumers (bounded by `schedule.max_per_cycle`) is not slowed.
///
/// Both only postpone: a rotation is never failed for them, because ``RotationRecord/createAttempts``
/// also counts creates that were journaled but never sent (a process killed right after the
/// journal write), so a lifetime cap would fail healthy rotations under repeated restarts. A server
/// that refuses every create therefore costs at most 3 creates per rotation per pass (each found by
/// its marker and deleted), passes that the back-off spaces out to one an hour.
///
/// A refused create is never sent. It is asked only where the rotation machine would create, that
/// is after a marker search found nothing or its finds were deleted: stopping there leaves no
/// consumer behind.
package final class CreateLimiter: Sendable {
    /// Creates one rotation may send in one pass.
    package static let maxPerRotationPerPass = 3
    /// Repeat creates one pass may send in all.
    package static let maxPerPass = 10

    private let perPass: Int
    private let made = Mutex<(total: Int, repeats: Int, byRotation: [String: Int])>((0, 0, [:]))

    /// A fresh limiter for one pass, allowing `perPass` creates.
    package init(perPass: Int = CreateLimiter.maxPerPass) { self.perPass = perPass }

    /// Creates sent through this limiter so far.
    package var count: Int { made.withLock { $0.total } }

    /// Takes one create for `record`, or returns why it must wait (a transient failure).
    package func take(for record: RotationRecord) -> RotationFailure? {
        let operation = "creating a consumer named \(record.consumerName) (rotation \(record.id))"
        return made.withLock { made in
            let mine = made.byRotation[record.id, default: 0]
            if mine >= Self.maxPerRotationPerPass {
                return RotationFailure(
                    .transient,
                    "\(operation): postponed, this rotation already sent \(mine) creates in this pass whose answers "
                        + "were lost or refused; retried after a back-off")
            }
            // The machine counts the create it is about to send: 1 means this rotation's first.
            let repeated = mine > 0 || record.createAttempts > 1
            if repeated && made.repeats >= perPass {
                return RotationFailure(
                    .transient,
                    "\(operation): postponed, this pass already sent \(made.repeats) repeat creates (the cap per "
                        + "pass); retried after a back-off")
            }
            made.total += 1
            if repeated { made.repeats += 1 }
            made.byRotation[record.id] = mine + 1
            return nil
        }
    }
}
