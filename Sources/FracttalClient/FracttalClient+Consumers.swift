#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A record with an id, as lists return them (for detecting repeated pages).
protocol FracttalListed: Decodable, Sendable {
    var id: Int { get }
}

extension FracttalConsumer: FracttalListed {}
extension FracttalPermissionGroup: FracttalListed {}

/// The consumer-management adapter: the part of the contract that is *assumed*, with its paths
/// taken from configuration so it can be pointed at the real endpoints without other changes.
///
/// Every answer is checked before it is believed (docs/fracttal-api.md, "How rotord uses it"):
/// `success` must be `true`, a list page must carry an array `data` whose every entry decodes, a
/// create's answer must match the request. Anything else is a ``FracttalError`` naming the
/// operation and the field; nothing is ever read as "the end of the list" or "created".
extension FracttalClient {
    /// Records per page rotord asks for (the API's maximum).
    static let pageSize = 100
    /// Pages read at most when `total` is absent (100 000 records): a listing never runs forever.
    static let maxPagesWithoutTotal = 1_000

    /// Every consumer of the account, all pages.
    public func listConsumers() async throws(FracttalError) -> [FracttalConsumer] {
        let all = try await listAll(
            configuration.consumersPath, of: FracttalConsumer.self, operation: "listing consumers")
        knownConsumerIDs.formUnion(all.map(\.id))
        return all
    }

    /// One consumer; `nil` when it does not exist.
    public func consumer(id: Int) async throws(FracttalError) -> FracttalConsumer? {
        let operation = "reading consumer \(id)"
        let consumer: FracttalConsumer
        do {
            let (status, body) = try await api(.GET, "\(configuration.consumersPath)/\(id)", operation: operation)
            consumer = try Self.readEnvelope(FracttalConsumer.self, body, status: status, operation: operation).data
        } catch  where error.isNotFound {
            return nil
        }
        guard consumer.id == id else {
            throw .invalidAnswer(field: "data.id", "is \(consumer.id), not \(id)", operation: operation)
        }
        knownConsumerIDs.insert(consumer.id)
        return consumer
    }

    /// Creates a consumer; the answer holds its secret, which the API never shows again.
    ///
    /// Never retried here: a create that timed out may have happened, and only the caller can
    /// find out (by the marker in the description). Check ``FracttalError/mayHaveTakenEffect``.
    ///
    /// The answer is checked against the request before it is believed: the same name, type,
    /// permission group and description, an id that no listing of this client has shown (not the
    /// old consumer's), an 18-character key and a 32-character secret of letters and digits.
    /// A refused answer is a ``FracttalError`` that ``FracttalError/mayHaveTakenEffect``: the
    /// consumer may exist, so the caller searches for its marker rather than believing or
    /// repeating the create.
    public func createConsumer(_ new: NewFracttalConsumer) async throws(FracttalError) -> CreatedFracttalConsumer {
        let operation = "creating a consumer named \(new.name)"
        let body: Data
        do { body = try JSONEncoder().encode(new) } catch {
            throw .malformed("could not encode the request", operation: operation)
        }
        let (status, answer) = try await api(
            .POST, configuration.consumersPath, json: body, operation: operation, retryTransient: false)
        let payload = try Self.readEnvelope(FracttalCreatedPayload.self, answer, status: status, operation: operation)
            .data
        let c = payload.consumer
        // A consumer of the requested name that no listing showed before was made by this create: even if the
        // rest of the answer is refused, the caller can delete it by its id (its marker may be lost).
        let madeHere = c.name == new.name && !knownConsumerIDs.contains(c.id)
        func refuse(_ field: String, _ detail: String) -> FracttalError {
            let error = FracttalError.invalidAnswer(field: "data.\(field)", detail, operation: operation)
            return madeHere ? error.naming(createdConsumerID: c.id) : error
        }
        guard c.name == new.name else { throw refuse("name", "is \"\(c.name)\", not the name asked for") }
        guard c.authorizationType == new.authorizationType else {
            throw refuse("authorization_type", "is \"\(c.authorizationType)\", not \"\(new.authorizationType)\"")
        }
        guard c.permissionGroupId == new.permissionGroupId else {
            throw refuse("permission_group_id", "is \(c.permissionGroupId), not \(new.permissionGroupId) as asked")
        }
        guard Self.descriptionMatches(sent: new.description, answered: c.description) else {
            throw refuse("description", "differs from the description sent (the rotation marker is lost)")
        }
        guard !knownConsumerIDs.contains(c.id) else {
            throw refuse("id", "is \(c.id), a consumer that existed before this create")
        }
        guard Self.isCredential(c.key, length: 18) else {
            throw refuse("key", "is not 18 letters and digits (\(c.key.count) characters)")
        }
        guard let secret = payload.secret else { throw refuse("secret", "is missing") }
        guard Self.isCredential(secret, length: 32) else {
            throw refuse("secret", "is not 32 letters and digits (\(secret.count) characters)")
        }
        knownConsumerIDs.insert(c.id)
        return CreatedFracttalConsumer(consumer: c, secret: secret)
    }

    /// Deletes a consumer. Returns `false` when it was already absent (404), which is success too.
    @discardableResult
    public func deleteConsumer(id: Int) async throws(FracttalError) -> Bool {
        let operation = "deleting consumer \(id)"
        do {
            let (status, body) = try await api(.DELETE, "\(configuration.consumersPath)/\(id)", operation: operation)
            _ = try Self.readHead(body, status: status, operation: operation)
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

    /// Reads every page, within bounds: it stops when `start` reaches `total` (or, without `total`,
    /// at a short page), at an empty page, and fails (never returns a partial list) on a page that
    /// repeats ids of an earlier one, on more records than `total`, or past
    /// `total / pageSize + 2` pages (``maxPagesWithoutTotal`` without `total`).
    private func listAll<T: FracttalListed>(_ path: String, of: T.Type, operation: String)
        async throws(FracttalError) -> [T]
    {
        var items: [T] = []
        var seen: Set<Int> = []
        var start = 0
        var maxPages = Self.maxPagesWithoutTotal
        var pages = 0
        while true {
            pages += 1
            if pages > maxPages {
                throw .unbounded(
                    "more than \(maxPages) pages of \(Self.pageSize) (total \(items.count) so far)",
                    operation: operation)
            }
            let (status, body) = try await api(
                .GET, path, query: [("start", String(start)), ("limit", String(Self.pageSize))], operation: operation)
            let (page, total) = try Self.readEnvelope([T].self, body, status: status, operation: operation)
            if let total { maxPages = min(maxPages, total / Self.pageSize + 2) }
            let ids = page.map(\.id)
            if let repeated = ids.first(where: { seen.contains($0) }) {
                throw .unbounded(
                    "page at start=\(start) repeats id \(repeated) of an earlier page (a repeated page)",
                    operation: operation)
            }
            if Set(ids).count != ids.count {
                throw .invalidAnswer(field: "data", "lists an id twice on one page", operation: operation)
            }
            seen.formUnion(ids)
            items += page
            start += page.count
            if let total, items.count > total {
                throw .invalidAnswer(
                    field: "total", "is \(total), but \(items.count) records were listed", operation: operation)
            }
            if page.isEmpty { break }
            if let total {
                if start >= total { break }
            } else if page.count < Self.pageSize {
                break
            }
        }
        return items
    }

    /// The envelope's head, checked: a JSON object whose `success` is `true`, with a sane `total`.
    static func readHead(_ body: Data, status: Int, operation: String) throws(FracttalError) -> FracttalEnvelopeHead {
        let head: FracttalEnvelopeHead
        do { head = try JSONDecoder().decode(FracttalEnvelopeHead.self, from: body) } catch {
            throw .malformed("not a JSON object (\(body.count) bytes)", operation: operation)
        }
        guard let success = head.success else {
            throw .invalidAnswer(field: "success", "is missing or not true/false", operation: operation)
        }
        guard success else { throw .refused(status: status, message: bounded(head.message), operation: operation) }
        if let problem = head.totalProblem { throw .invalidAnswer(field: "total", problem, operation: operation) }
        return head
    }

    /// The envelope's `data` as `T` (and `total`), checked: `success` true, `data` present, of the
    /// right type, every entry readable. Every refusal names the field.
    static func readEnvelope<T: Decodable>(_ type: T.Type, _ body: Data, status: Int, operation: String)
        throws(FracttalError) -> (data: T, total: Int?)
    {
        let head = try readHead(body, status: status, operation: operation)
        guard head.hasData else { throw .invalidAnswer(field: "data", "is missing", operation: operation) }
        do {
            let envelope = try JSONDecoder().decode(FracttalEnvelope<T>.self, from: body)
            guard let data = envelope.data else {
                throw FracttalError.invalidAnswer(field: "data", "is missing", operation: operation)
            }
            return (data, head.total)
        } catch let error as FracttalError {
            throw error
        } catch {
            let (field, detail) = Self.decodingProblem(error)
            throw .invalidAnswer(field: field, detail, operation: operation)
        }
    }

    /// The field (`data[3].created_at`) and the problem of a decoding error.
    static func decodingProblem(_ error: any Error) -> (field: String, detail: String) {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let index = key.intValue {
                    out += "[\(index)]"
                } else {
                    out += (out.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return out.isEmpty ? "data" : out
        }
        switch error {
        case DecodingError.typeMismatch(let type, let context):
            return (path(context.codingPath), "has the wrong type (expected \(type))")
        case DecodingError.valueNotFound(_, let context):
            return (path(context.codingPath), "is null")
        case DecodingError.dataCorrupted(let context):
            return (path(context.codingPath), "is unreadable: \(context.debugDescription)")
        case DecodingError.keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "is missing")
        default:
            return ("data", "is unreadable")
        }
    }

    /// Letters and digits only, exactly `length` of them (the documented shape of keys and secrets).
    static func isCredential(_ text: String, length: Int) -> Bool {
        text.utf8.count == length
            && text.utf8.allSatisfy {
                ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122)
            }
    }

    /// Whether a create answer's description is the one sent: the same text, or, from a server that stores a
    /// shortened description, a start of it that still holds the whole rotation marker (`[rotord:…]`, which
    /// rotord writes first so that a length limit cannot cut it).
    package static func descriptionMatches(sent: String?, answered: String?) -> Bool {
        let (sent, answered) = (trimmed(sent), trimmed(answered))
        if sent == answered { return true }
        guard !answered.isEmpty, sent.hasPrefix(answered), let start = sent.range(of: "[rotord:"),
            let end = sent[start.upperBound...].firstIndex(of: "]")
        else { return false }
        return answered.contains(sent[start.lowerBound...end])
    }

    static func trimmed(_ text: String?) -> String {
        String((text ?? "").trimmedASCII)
    }
}
