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
/// - ``maxPerPass`` (10): creates one pass may send for all rotations together; past it, likewise
///   postponed.
/// - ``maxAttemptsPerRotation`` (12): create attempts (``RotationRecord/createAttempts``, postponed
///   ones included) one rotation may make in its life. Past it, the rotation fails, loudly and with
///   what to do, and the planner's back-off (5 min doubling up to 6 h) spaces the next rotation.
///
/// A refused create is never sent. It is asked only where the rotation machine would create, that
/// is after a marker search found nothing or its finds were deleted: stopping there leaves no
/// consumer behind.
public final class CreateLimiter: Sendable {
    /// Creates one rotation may send in one pass.
    public static let maxPerRotationPerPass = 3
    /// Creates one pass may send in all.
    public static let maxPerPass = 10
    /// Create attempts one rotation may make in its life before it fails.
    public static let maxAttemptsPerRotation = 12

    private let perPass: Int
    private let made = Mutex<(total: Int, byRotation: [String: Int])>((0, [:]))

    /// A fresh limiter for one pass, allowing `perPass` creates.
    public init(perPass: Int = CreateLimiter.maxPerPass) { self.perPass = perPass }

    /// Creates sent through this limiter so far.
    public var count: Int { made.withLock { $0.total } }

    /// Takes one create for `record` (whose ``RotationRecord/createAttempts`` already counts it), or
    /// returns why not.
    public func take(for record: RotationRecord) -> RotationFailure? {
        let operation = "creating a consumer named \(record.consumerName) (rotation \(record.id))"
        if record.createAttempts > Self.maxAttemptsPerRotation {
            return RotationFailure(
                .permanent,
                "\(operation): not sending create attempt \(record.createAttempts): the answers of the earlier "
                    + "creates were lost or refused (each was found by its marker and deleted); the rotation fails "
                    + "and a new one starts after the back-off; check the Fracttal API's answers in the log "
                    + "(docs/fracttal-api.md)")
        }
        return made.withLock { made in
            let mine = made.byRotation[record.id, default: 0]
            if mine >= Self.maxPerRotationPerPass {
                return RotationFailure(
                    .transient,
                    "\(operation): postponed, this rotation already sent \(mine) creates in this pass whose answers "
                        + "were lost or refused; retried after a back-off")
            }
            if made.total >= perPass {
                return RotationFailure(
                    .transient,
                    "\(operation): postponed, this pass already sent \(made.total) creates (the cap per pass); "
                        + "retried after a back-off")
            }
            made.total += 1
            made.byRotation[record.id] = mine + 1
            return nil
        }
    }
}
