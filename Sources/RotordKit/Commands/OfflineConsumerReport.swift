import Foundation
import RotordCore

/// What `rotord status --json` prints of a consumer when Fracttal cannot be reached: only what the
/// state directory knows (`status` is `unknown`; no age, key or due date). Holds no secret.
package struct OfflineConsumerReport: Sendable, Encodable, Hashable {
    /// The consumer's name.
    package var name: String
    /// The configured permission group (of an adopted consumer: its rule's, else the id its rotation recorded).
    package var permissionGroup: String
    /// The `adopt:` rule whose name pattern matches an adopted consumer, as `adopt[0]`; `nil` for a configured one.
    package var adoptedBy: String?
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
        case adoptedBy = "adopted_by"
        case permissionGroup = "permission_group", lastRotation = "last_rotation", inFlight = "in_flight"
        case lastError = "last_error"
    }

    /// The report of `consumer` from its history and its unfinished rotation, if any.
    package init(consumer: ManagedConsumer, history: ConsumerHistory?, active: RotationRecord?, reason: String) {
        name = consumer.name
        permissionGroup = consumer.permissionGroup
        adoptedBy = consumer.adoptedBy
        detail =
            "Fracttal unreachable (\(reason)): age and due date unknown"
            + (consumer.adoptedBy.map { "; adopted by \($0)" } ?? "")
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

    /// The consumers `status` shows without Fracttal: the configured ones, then (sorted by name) those the state
    /// directory knows were adopted: a rotation in flight (`active`) or a history (`histories`) under a name no
    /// configured consumer has and the name pattern of an `adopt:` rule matches (the first in file order:
    /// ``ManagedConsumer/adoptedBy``). A rule without a name pattern selects by permission group, which needs the
    /// listing, so it adopts nothing here.
    package static func knownConsumers(
        _ configuration: RotordConfiguration, active: [RotationRecord], histories: [String: ConsumerHistory]
    ) -> [ManagedConsumer] {
        let configured = Set(configuration.consumers.map(\.name))
        let names = Set(active.map(\.consumerName)).union(histories.keys).subtracting(configured)
        var adopted: [ManagedConsumer] = []
        for name in names.sorted() {
            guard let rule = configuration.adopt.first(where: { $0.name?.matches(name) == true }) else { continue }
            let groupID = active.first { $0.consumerName == name }.map { String($0.permissionGroupID) }
            var consumer = ManagedConsumer(
                name: name, permissionGroup: rule.permissionGroup ?? groupID ?? "unknown", policy: rule.policy)
            consumer.adoptedBy = rule.label
            adopted.append(consumer)
        }
        return configuration.consumers + adopted
    }
}
