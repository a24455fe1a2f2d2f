import RotordCore

/// Where consumers live: Fracttal's API in production (``FracttalDirectory``).
///
/// Errors are ``RotationFailure``s, already classified as permanent, transient or ambiguous.
public protocol ConsumerDirectory: Sendable {
    /// Every consumer of the account.
    func consumers() async throws(RotationFailure) -> [ConsumerRecord]
    /// Permission group names by id.
    func permissionGroups() async throws(RotationFailure) -> [Int: String]
    /// Creates a consumer and returns it with its secret (shown once).
    func create(
        name: String, description: String, authorizationType: String, permissionGroupID: Int, fracttalHub: Bool
    ) async throws(RotationFailure) -> (consumer: ConsumerRecord, secret: String)
    /// Deletes a consumer; an absent one counts as deleted.
    func delete(id: Int) async throws(RotationFailure)
    /// Whether the pair obtains a token now; throws when that cannot be told.
    func verify(key: String, secret: String) async throws(RotationFailure) -> Bool
}
