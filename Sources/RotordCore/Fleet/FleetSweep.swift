/// The fleet leader's marker sweep (docs/fleet.md, "Late creates"): which consumers are creates that landed late.
///
/// A leader paused between its fence's check and the send can land one create after the next leader took over. That
/// consumer carries the rotation's marker but is not the replacement the journal holds: nobody has its secret, and
/// it would stay forever. Every pass of every leader repeats this sweep (one sweep when a term starts is not enough:
/// a paused leader's create can land after it, as the fleet simulation showed). Pure.
public enum FleetSweep {
    /// What the fleet knows of one rotation: in the journal, or finished (its history).
    public struct Known: Sendable, Hashable {
        /// Where it is; `nil` for a finished rotation.
        public var step: RotationStep?
        /// Its replacement, once created (`nil`: none, or none kept).
        public var newConsumerID: Int?

        /// A rotation at `step` (nil: finished) whose replacement is `newConsumerID`.
        public init(step: RotationStep?, newConsumerID: Int?) {
            self.step = step
            self.newConsumerID = newConsumerID
        }
    }

    /// The consumers of `listing` to delete: each carries the marker of a rotation in `known` and is not that
    /// rotation's replacement, while the rotation is past the steps whose own marker search deals with such
    /// consumers (`planned`, `creating`, `discarding`). A marker of a rotation the fleet does not know (a single
    /// host's, before the fleet) is never touched.
    public static func lateCreates(in listing: [ConsumerRecord], known: [String: Known]) -> [ConsumerRecord] {
        listing.filter { consumer in
            guard let id = RotationMarker.rotationID(in: consumer.description), let rotation = known[id] else {
                return false
            }
            switch rotation.step {
            case .planned?, .creating?, .discarding?: return false
            default: return consumer.id != rotation.newConsumerID
            }
        }
    }
}
