import AsyncHTTPClient
import Foundation
import FracttalSimulator
import NIOCore
import NIOHTTP1

/// A simulator and a raw HTTP client for testing the contract itself.
struct SimulatorHarness {
    /// Runs `body`, then stops the simulator, awaited, whether `body` returned or threw (a `defer`
    /// cannot await, and a `Task` started in one is never waited for).
    func stopping(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }

    let simulator: FracttalSimulator
    let clock: ManualSimulatorClock
    let port: Int
    let adminKey = "AdminKeyAdminKey12"
    let adminSecret = "AdminSecretAdminSecretAdminSec12"
    let userKey = "UserKeyUserKeyUs12"
    let userSecret = "UserSecretUserSecretUserSecret12"

    init(consumers extra: Int = 0, requestsPerMinute: Int = 0, tokenLifetime: Int = 7200, control: Bool = false)
        async throws
    {
        clock = ManualSimulatorClock(Date(timeIntervalSince1970: 1_780_000_000))
        var consumers: [SimulatorSeed.Consumer] = [
            .init(name: "rotord-admin", permissionGroupId: 1, key: adminKey, secret: adminSecret),
            .init(
                name: "reports-etl", description: "nightly export", permissionGroupId: 3, key: userKey,
                secret: userSecret),
        ]
        for i in 0..<extra { consumers.append(.init(name: "bulk-\(i)", permissionGroupId: 3)) }
        simulator = FracttalSimulator(
            configuration: SimulatorConfiguration(
                tokenLifetime: tokenLifetime, requestsPerMinute: requestsPerMinute, clock: clock, control: control),
            seed: SimulatorSeed(
                permissionGroups: [
                    .init(id: 1, name: "Super Administrador", superAdmin: true), .init(id: 3, name: "Reportes"),
                ], consumers: consumers))
        port = try await simulator.start()
    }

    struct Answer {
        var status: Int
        var headers: [String: String]
        var json: [String: Any]
        var raw: String
    }

    func request(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: String? = nil)
        async throws -> Answer
    {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        let raw = String(buffer: bytes)
        var hs: [String: String] = [:]
        for h in response.headers { hs[h.name.lowercased()] = h.value }
        let json = (try? JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any]) ?? [:]
        return Answer(status: Int(response.status.code), headers: hs, json: json, raw: raw)
    }

    func token(key: String, secret: String, style: String = "basic") async throws -> Answer {
        if style == "basic" {
            let basic = Data("\(key):\(secret)".utf8).base64EncodedString()
            return try await request(
                .POST, "/oauth/token",
                headers: [("Authorization", "Basic \(basic)"), ("Content-Type", "application/x-www-form-urlencoded")],
                body: "grant_type=client_credentials")
        }
        return try await request(
            .POST, "/oauth/token", headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: "grant_type=client_credentials&client_id=\(key)&client_secret=\(secret)")
    }

    func adminToken() async throws -> String {
        try await token(key: adminKey, secret: adminSecret).json["access_token"] as! String
    }

    func api(_ method: HTTPMethod, _ path: String, token: String, body: String? = nil) async throws -> Answer {
        var headers = [("Authorization", "Bearer \(token)")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        return try await request(method, "/api" + path, headers: headers, body: body)
    }
}
