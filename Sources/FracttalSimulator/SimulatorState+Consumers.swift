import Foundation

/// The consumer-management endpoints of the contract (the assumed part), over the account.
extension SimulatorState {
    func json(_ c: SimulatorSeed.Consumer, groups: [SimulatorSeed.Group], faults: SimulatorFaults, secret: Bool = false)
        -> [String: any Sendable]
    {
        var out: [String: any Sendable] = [
            "id": c.id!, "authorization_type": c.authorizationType, "name": c.name,
            "description": c.description.map { $0 as any Sendable } ?? NSNull(),
            "permission_group_id": c.permissionGroupId,
            "permission_group": groups.first { $0.id == c.permissionGroupId }?.name ?? "",
            "fracttal_hub": c.fracttalHub, "key": c.key!,
            "created_at": SimulatorDate.format(c.createdAt!, offset: !faults.datesWithoutOffset),
        ]
        if faults.impossibleDates, let text = out["created_at"] as? String {
            out["created_at"] = String(text.prefix(5)) + "02-31" + String(text.dropFirst(10))
        }
        if secret { out["secret"] = c.secret! }
        return out
    }

    static func page(_ query: [String: String]) -> (start: Int, limit: Int)? {
        let start = query["start"].map { Int($0) } ?? 0
        let limit = query["limit"].map { Int($0) } ?? 100
        guard let start, let limit, start >= 0, limit >= 0 else { return nil }
        return (start, min(limit == 0 ? 100 : limit, 100))
    }

    func total(_ n: Int, _ faults: SimulatorFaults) -> any Sendable { faults.totalAsString ? String(n) : n }

    func listConsumers(_ d: inout Account, query: [String: String]) -> SimulatorAnswer {
        guard let (start, limit) = Self.page(query) else {
            return .envelope(400, success: false, message: "start and limit must be whole numbers >= 0")
        }
        let f = d.faults
        if f.listSuccessFalse { return .envelope(200, success: false, message: "simulated listing failure") }
        if f.listWithoutData { return .envelope(200, success: true, message: "200") }
        let all = d.consumers.keys.sorted()
        let first = f.repeatPages ? 0 : start
        let slice = first < all.count ? Array(all[first..<min(first + limit, all.count)]) : []
        var items = slice.map { json(d.consumers[$0]!.consumer, groups: d.groups, faults: f) }
        if f.listBrokenEntry, !items.isEmpty { items[0]["key"] = nil }
        var reported: any Sendable = total(f.reportedTotal ?? all.count, f)
        if let text = f.totalText { reported = text }
        if f.listDataNotArray {
            return .envelope(200, success: true, message: "200", data: ["items": items], total: reported)
        }
        return .envelope(200, success: true, message: "200", data: items, total: reported)
    }

    func readConsumer(_ d: inout Account, id: Int) -> SimulatorAnswer {
        guard let c = d.consumers[id] else {
            return .envelope(404, success: false, message: "consumer \(id) not found")
        }
        return .envelope(200, success: true, message: "200", data: json(c.consumer, groups: d.groups, faults: d.faults))
    }

    func createConsumer(_ d: inout Account, body: [UInt8]) -> SimulatorAnswer {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return .envelope(400, success: false, message: "the body must be a JSON object")
        }
        let allowed: Set<String> = ["authorization_type", "name", "description", "permission_group_id", "fracttal_hub"]
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            return .envelope(400, success: false, message: "unknown field \(unknown)")
        }
        struct Body: Decodable {
            var authorization_type: String?
            var name: String?
            var description: String?
            var permission_group_id: Int?
            var fracttal_hub: Bool?
        }
        let parsed: Body
        do { parsed = try JSONDecoder().decode(Body.self, from: Data(body)) } catch {
            return .envelope(400, success: false, message: "a field has the wrong type: \(Self.describe(error))")
        }
        guard let type = parsed.authorization_type, ["client_credentials", "authorization_code"].contains(type) else {
            return .envelope(
                400, success: false, message: "authorization_type must be client_credentials or authorization_code")
        }
        guard let name = parsed.name, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .envelope(400, success: false, message: "name is required")
        }
        guard let group = parsed.permission_group_id else {
            return .envelope(400, success: false, message: "permission_group_id is required")
        }
        guard d.groups.contains(where: { $0.id == group }) else {
            return .envelope(400, success: false, message: "permission group \(group) does not exist")
        }
        let hub = parsed.fracttal_hub ?? false
        let now = configuration.clock.now()
        let id = d.nextID
        d.nextID += 1
        let consumer = SimulatorSeed.Consumer(
            id: id, authorizationType: type, name: name, description: parsed.description, permissionGroupId: group,
            fracttalHub: hub, key: Self.random(18), secret: Self.random(32), createdAt: now)
        var stored = StoredConsumer(consumer: consumer)
        if d.faults.newCredentialActivationDelay > 0 {
            stored.activeFrom = now.addingTimeInterval(d.faults.newCredentialActivationDelay)
        }
        stored.neverActive = d.faults.rejectNewCredentials
        d.consumers[id] = stored
        d.statistics.created += 1
        if d.faults.loseNextCreateResponses > 0 {
            d.faults.loseNextCreateResponses -= 1
            return SimulatorAnswer(status: 0, special: .drop)
        }
        let f = d.faults
        if f.createSuccessFalse { return .envelope(200, success: false, message: "simulated create failure") }
        var answer = json(consumer, groups: d.groups, faults: f, secret: true)
        if f.createWithoutSecret { answer["secret"] = nil }
        if let secret = f.createAnswerSecret { answer["secret"] = secret }
        if let id = f.createAnswerID { answer["id"] = id }
        if let group = f.createAnswerGroup { answer["permission_group_id"] = group }
        if let name = f.createAnswerName { answer["name"] = name }
        return .envelope(201, success: true, message: "201", data: answer)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let c), DecodingError.dataCorrupted(let c),
            DecodingError.valueNotFound(_, let c):
            return c.codingPath.map(\.stringValue).joined(separator: ".")
        default:
            return "invalid JSON"
        }
    }

    func deleteConsumer(_ d: inout Account, id: Int) -> SimulatorAnswer {
        if d.faults.deleteSuccessFalse { return .envelope(200, success: false, message: "simulated delete failure") }
        if d.faults.failDeletes > 0 {
            d.faults.failDeletes -= 1
            return .envelope(500, success: false, message: "simulated delete failure")
        }
        guard d.consumers.removeValue(forKey: id) != nil else {
            return .envelope(404, success: false, message: "consumer \(id) not found")
        }
        d.tokens = d.tokens.filter { $0.value.consumerID != id }
        d.statistics.deleted += 1
        return .envelope(200, success: true, message: "200")
    }

    func listGroups(_ d: inout Account, query: [String: String]) -> SimulatorAnswer {
        guard let (start, limit) = Self.page(query) else {
            return .envelope(400, success: false, message: "start and limit must be whole numbers >= 0")
        }
        let all = d.groups.sorted { $0.id < $1.id }
        let slice = start < all.count ? Array(all[start..<min(start + limit, all.count)]) : []
        let items: [[String: any Sendable]] = slice.map { ["id": $0.id, "name": $0.name] }
        return .envelope(200, success: true, message: "200", data: items, total: total(all.count, d.faults))
    }
}
