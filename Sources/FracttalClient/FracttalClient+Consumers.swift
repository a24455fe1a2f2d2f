#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The consumer-management adapter: the part of the contract that is *assumed*, with its paths
/// taken from configuration so it can be pointed at the real endpoints without other changes.
extension FracttalClient {
    /// Every consumer of the account, all pages.
    public func listConsumers() async throws(FracttalError) -> [FracttalConsumer] {
        try await listAll(configuration.consumersPath, of: FracttalConsumer.self, operation: "listing consumers")
    }

    /// One consumer; `nil` when it does not exist.
    public func consumer(id: Int) async throws(FracttalError) -> FracttalConsumer? {
        let operation = "reading consumer \(id)"
        do {
            let (_, body) = try await api(.GET, "\(configuration.consumersPath)/\(id)", operation: operation)
            return try decodeEnvelope(FracttalConsumer.self, body, operation: operation)
        } catch  where error.isNotFound {
            return nil
        }
    }

    /// Creates a consumer; the answer holds its secret, which the API never shows again.
    ///
    /// Never retried here: a create that timed out may have happened, and only the caller can
    /// find out (by the marker in the description). Check ``FracttalError/mayHaveTakenEffect``.
    public func createConsumer(_ new: NewFracttalConsumer) async throws(FracttalError) -> CreatedFracttalConsumer {
        let operation = "creating a consumer named \(new.name)"
        let body: Data
        do { body = try JSONEncoder().encode(new) } catch {
            throw .malformed("could not encode the request", operation: operation)
        }
        let (_, answer) = try await api(
            .POST, configuration.consumersPath, json: body, operation: operation, retryTransient: false)
        let payload = try decodeEnvelope(FracttalCreatedPayload.self, answer, operation: operation)
        return CreatedFracttalConsumer(consumer: payload.consumer, secret: payload.secret)
    }

    /// Deletes a consumer. Returns `false` when it was already absent (404), which is success too.
    @discardableResult
    public func deleteConsumer(id: Int) async throws(FracttalError) -> Bool {
        do {
            _ = try await api(.DELETE, "\(configuration.consumersPath)/\(id)", operation: "deleting consumer \(id)")
            return true
        } catch  where error.isNotFound {
            return false
        }
    }

    /// Every permission group, all pages.
    public func permissionGroups() async throws(FracttalError) -> [FracttalPermissionGroup] {
        try await listAll(
            configuration.permissionGroupsPath, of: FracttalPermissionGroup.self, operation: "listing permission groups"
        )
    }

    private func listAll<T: Decodable & Sendable>(_ path: String, of: T.Type, operation: String)
        async throws(FracttalError) -> [T]
    {
        var items: [T] = []
        var start = 0
        let limit = 100
        for _ in 0..<100_000 {
            let (_, body) = try await api(
                .GET, path, query: [("start", String(start)), ("limit", String(limit))], operation: operation)
            let envelope: FracttalEnvelope<[T]>
            do {
                envelope = try JSONDecoder().decode(FracttalEnvelope<[T]>.self, from: body)
            } catch {
                throw .malformed(Self.decodingDetail(error), operation: operation)
            }
            let page = envelope.data ?? []
            items += page
            start += page.count
            // Stop on a short page, or when `total` says we have everything.
            if page.isEmpty || page.count < limit { break }
            if let total = envelope.total, start >= total { break }
        }
        return items
    }

    private func decodeEnvelope<T: Decodable>(_ type: T.Type, _ body: Data, operation: String) throws(FracttalError)
        -> T
    {
        do {
            let envelope = try JSONDecoder().decode(FracttalEnvelope<T>.self, from: body)
            guard let data = envelope.data else {
                throw FracttalError.malformed("no data in the answer", operation: operation)
            }
            return data
        } catch let error as FracttalError {
            throw error
        } catch {
            throw .malformed(Self.decodingDetail(error), operation: operation)
        }
    }

    static func decodingDetail(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context),
            DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "\(context.debugDescription)\(path.isEmpty ? "" : " at \(path)")"
        case DecodingError.keyNotFound(let key, let context):
            let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            return "missing field \(path)"
        default:
            return "not JSON"
        }
    }
}
