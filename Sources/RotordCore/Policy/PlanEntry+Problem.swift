import Foundation

extension PlanEntry {
    /// What keeps this consumer from rotating, as a sentence an operator can act on (journald, `run --once`,
    /// `check-config`, `status`); for an entry that is not a problem, its name and status.
    public var problemDescription: String {
        switch status {
        case .missing:
            "consumer \(managed.name) does not exist in Fracttal; create it first or remove it from the configuration"
        case .groupMismatch(let actual):
            "consumer \(managed.name) is in permission group \"\(actual)\", but the configuration says "
                + "\"\(managed.permissionGroup)\"; fix permission_group"
        case .ambiguous(let ids):
            "consumer \(managed.name): \(ids.count) client_credentials consumers of that name exist in "
                + "permission group \"\(managed.permissionGroup)\" (ids \(ids.map(String.init).joined(separator: ", "))); "
                + (managed.adoptedBy.map {
                    "not rotating any (adopted by \($0)): configure it under consumers: and pin the one rotord "
                        + "manages with consumer_id"
                } ?? "not rotating any: pin the one rotord manages with consumer_id")
        case .unwritable(let reason):
            "consumer \(managed.name) is due but not rotated: \(reason); the old consumer stays in service "
                + "(rotord check-config says the same)"
        case .refused(let reason):
            "consumer \(managed.name) is not managed: \(reason)"
        case .pinnedMissing(let id):
            "consumer \(managed.name): consumer_id \(id) is not a client_credentials consumer named "
                + "\(managed.name) in Fracttal; fix consumer_id (or remove it)"
        default: "\(managed.name): \(status)"
        }
    }
}
