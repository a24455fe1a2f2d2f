import Foundation
import RotordCore

/// What `rotord status --json` prints of a consumer when Fracttal cannot be reached: only what the
/// state directory knows (`status` is `unknown`; no age, key or due date). Holds no secret.
package struct OfflineConsumerReport: Sendable, Encodable, Hashable {
    /// The consumer's name.
    package var name: String
    /// The configured permission group.
    package var permissionGroup: String
    /// Always `unknown`.
    package var status = "unknown"
    /// A sentence for people.
    package var detail: String
    /// Always `false`.
    package var due = false
    /// The last completed rotation.
    package var lastRotation: ConsumerReport.LastRotation?
    /// The rotation in flight.
    package var inFlight: ConsumerReport.InFlight?
    /// The consumer's last error (of the rotation in flight, else of the last failed rotation).
    package var lastError: String?

    enum CodingKeys: String, CodingKey {
        case name, status, detail, due
        case permissionGroup = "permission_group", lastRotation = "last_rotation", inFlight = "in_flight"
        case lastError = "last_error"
    }

    /// The report of `consumer` from its history and its unfinished rotation, if any.
    package init(consumer: ManagedConsumer, history: ConsumerHistory?, active: RotationRecord?, reason: String) {
        name = consumer.name
        permissionGroup = consumer.permissionGroup
        detail = "Fracttal unreachable (\(reason)): age and due date unknown"
        if let id = history?.lastCompletedID, let at = history?.lastCompletedAt {
            lastRotation = ConsumerReport.LastRotation(id: id, finishedAt: at)
        }
        if let r = active {
            inFlight = ConsumerReport.InFlight(
                id: r.id, step: r.step.rawValue, startedAt: r.startedAt, newKey: r.newKey.map(KeyMask.mask),
                graceUntil: r.graceUntil, retryAt: r.retryAt, lastError: r.failure)
        }
        lastError = active?.failure ?? history?.lastFailure
    }
}
