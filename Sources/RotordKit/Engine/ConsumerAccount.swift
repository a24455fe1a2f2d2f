import RotordCore

/// Where consumers live: Fracttal's API in production (``FracttalConsumerAccount``).
///
/// Errors are ``RotationFailure``s, already classified as permanent, transient or ambiguous.
package protocol ConsumerAccount: Sendable {
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
    /// The key of the admin consumer rotord acts as, which an `adopt:` rule never adopts; `nil` when unknown.
    var adminKey: String? { get }
    /// Whether the pair can administer the account: a token, and with it a read of consumer `consumerID` (the admin
    /// consumer's own rotation, ``ManagedConsumer/isAdmin``); throws when that cannot be told.
    func verifyAdministration(key: String, secret: String, consumerID: Int) async throws(RotationFailure) -> Bool
    /// Acts as this pair from now on (the admin consumer's rotation published and verified it).
    func actAs(key: String, secret: String) async
}

extension ConsumerAccount {
    /// Unknown by default.
    package var adminKey: String? { nil }

    /// Group names for `listing`, asked of the API only when some consumer lacks its group's name
    /// (the listing usually carries it, and every request spends the shared rate budget).
    /// Empty when the groups cannot be listed: a name check is then skipped, not failed.
    package func groupNames(for listing: [ConsumerRecord]) async -> [Int: String] {
        guard listing.contains(where: { $0.permissionGroup == nil }) else { return [:] }
        return (try? await permissionGroups()) ?? [:]
    }
}
