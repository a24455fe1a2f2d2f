import Foundation
import Testing

/// `status --json`: snake_case everywhere (nested objects too), and JSON even when Fracttal is unreachable.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct StatusJSONTests {
    static func keys(_ value: Any) -> [String] {
        if let object = value as? [String: Any] {
            return object.keys + object.values.flatMap { keys($0) }
        }
        if let array = value as? [Any] { return array.flatMap { keys($0) } }
        return []
    }

    @Test func snakeCaseAndOfflineJSON() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120), .init(name: "erp", ageDays: 1)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl", "erp"], grace: "1h")
        let rotate = try await s.run(["rotate", "etl"])
        #expect(rotate.status == 0, "\(rotate.output)")

        let online = try await s.run(["status", "--json"])
        #expect(online.status == 0, "\(online.output)")
        let parsed = try JSONSerialization.jsonObject(with: Data(online.stdout.utf8))
        let allKeys = Self.keys(parsed)
        #expect(allKeys.allSatisfy { $0 == $0.lowercased() }, "snake_case only: \(Set(allKeys).sorted())")
        #expect(allKeys.contains("grace_until") && allKeys.contains("started_at") && allKeys.contains("new_key"))

        // Fracttal unreachable: still JSON, from the state directory.
        let text = try String(contentsOfFile: s.configPath, encoding: .utf8)
        try text.replacingOccurrences(of: "127.0.0.1:\(s.port)", with: "127.0.0.1:9")
            .write(toFile: s.configPath, atomically: true, encoding: .utf8)
        let offline = try await s.run(["status", "--json"])
        #expect(offline.status == 0, "\(offline.output)")
        let reports = try #require(
            try JSONSerialization.jsonObject(with: Data(offline.stdout.utf8)) as? [[String: Any]], "\(offline.output)")
        #expect(reports.map { $0["name"] as? String } == ["etl", "erp"])
        #expect(reports.allSatisfy { $0["status"] as? String == "unknown" })
        let inFlight = try #require(reports[0]["in_flight"] as? [String: Any])
        #expect(inFlight["step"] as? String == "grace")
        #expect(Self.keys(reports).allSatisfy { $0 == $0.lowercased() })
    }
}
