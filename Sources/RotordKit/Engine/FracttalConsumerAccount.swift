import FracttalClient
import RotordCore
import Synchronization

/// ``ConsumerAccount`` over the Fracttal API client.
package struct FracttalConsumerAccount: ConsumerAccount {
    /// The client, acting as the Super Administrator consumer.
    package let client: FracttalClient

    /// The key of the admin consumer the client acts as (never adopted by an `adopt:` rule); it changes when rotord
    /// rotates that consumer (``actAs(key:secret:)``).
    package var adminKey: String? { acting.withLock { $0 } }
    private let acting: SharedBox<String?>

    /// Wraps `client`, acting as the admin consumer whose key is `adminKey`.
    package init(client: FracttalClient, adminKey: String? = nil) {
        self.client = client
        self.acting = SharedBox(adminKey)
    }

    package func verifyAdministration(key: String, secret: String, consumerID: Int) async throws(RotationFailure)
        -> Bool
    {
        do {
            return try await client.verifyAdministration(
                FracttalCredentials(key: key, secret: secret), readingConsumer: consumerID)
        } catch { throw Self.failure(error) }
    }

    package func actAs(key: String, secret: String) async {
        await client.actAs(FracttalCredentials(key: key, secret: secret))
        acting.withLock { $0 = key }
    }

    package func consumers() async throws(RotationFailure) -> [ConsumerRecord] {
        do {
            return try await client.listConsumers().map(Self.record)
        } catch { throw Self.failure(error) }
    }

    package func permissionGroups() async throws(RotationFailure) -> [Int: String] {
        do {
            return Dictionary(
                try await client.permissionGroups().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        } catch { throw Self.failure(error) }
    }

    package func create(
        name: String, description: String, authorizationType: String, permissionGroupID: Int, fracttalHub: Bool
    ) async throws(RotationFailure) -> (consumer: ConsumerRecord, secret: String) {
        do {
            let created = try await client.createConsumer(
                NewFracttalConsumer(
                    authorizationType: authorizationType, name: name, description: description,
                    permissionGroupId: permissionGroupID, fracttalHub: fracttalHub))
            return (Self.record(created.consumer), created.secret)
        } catch {
            throw Self.failure(error, creating: true)
        }
    }

    package func delete(id: Int) async throws(RotationFailure) {
        do { try await client.deleteConsumer(id: id) } catch { throw Self.failure(error) }
    }

    package func verify(key: String, secret: String) async throws(RotationFailure) -> Bool {
        do {
            return try await client.verify(FracttalCredentials(key: key, secret: secret))
        } catch { throw Self.failure(error) }
    }

    static func record(_ c: FracttalConsumer) -> ConsumerRecord {
        ConsumerRecord(
            id: c.id, name: c.name, description: c.description, authorizationType: c.authorizationType,
            permissionGroupId: c.permissionGroupId, permissionGroup: c.permissionGroup, fracttalHub: c.fracttalHub,
            key: c.key, createdAt: c.createdAt)
    }

    static func failure(_ error: FracttalError, creating: Bool = false) -> RotationFailure {
        if creating && error.mayHaveTakenEffect {
            return RotationFailure(.ambiguous, error.description, createdConsumerID: error.createdConsumerID)
        }
        return RotationFailure(error.isTransient ? .transient : .permanent, error.description)
    }
}

/// A value shared by the copies of a struct (a `Mutex` cannot be copied).
final class SharedBox<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) { self.value = Mutex(value) }

    func withLock<T>(_ body: (inout Value) -> T) -> T { value.withLock { body(&$0) } }
}
