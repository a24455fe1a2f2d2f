import Foundation
import FracttalSimulator
import RotordTestKit
import Testing

/// The audit log, `report`, the metrics file and `check-config --json`, through the real `rotord`.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct AuditAndMetricsTests {
    @Test func editingOneAuditLineMakesVerifyNameIt() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120), .init(name: "erp", ageDays: 100)])
        defer { s.cleanUp() }
        try s.writeConfig(
            consumers: ["etl", "erp"],
            extra: "schedule:\n  max_per_cycle: 10\n  max_concurrent: 2\nmetrics:\n  textfile: \(s.metricsPath)\n")
        let pass = try await s.run(["run", "--once"])
        #expect(pass.status == 0, "\(pass.output)")

        let intact = try await s.run(["report", "--verify"])
        #expect(intact.status == 0, "\(intact.output)")
        #expect(intact.stdout.contains("intact"))
        let path = s.stateDir + "/audit.jsonl"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(RotationEndToEndTests.secretLike(text).isEmpty, "no secret in the audit log")
        var lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count >= 12, "one line per step of two rotations")

        let report = try await s.run(["report", "--since", "90d", "--format", "json"])
        #expect(report.status == 0, "\(report.output)")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [[String: Any]])
        #expect(parsed.map { $0["consumer"] as? String } == ["etl", "erp"])
        let rotations = try #require(parsed[0]["rotations"] as? [[String: Any]])
        #expect(rotations.first?["result"] as? String == "done")
        #expect(rotations.first?["verification"] as? String == "passed")
        #expect(RotationEndToEndTests.secretLike(report.output).isEmpty)
        let csv = try await s.run(["report", "--format", "csv"])
        #expect(csv.status == 0 && csv.stdout.hasPrefix("consumer,within_policy,"))

        lines[2] = lines[2].replacingOccurrences(of: "\"consumer\":\"", with: "\"consumer\":\"x")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let broken = try await s.run(["report", "--verify"])
        #expect(broken.status == 1, "\(broken.output)")
        #expect(broken.stderr.contains("line 3:"), "\(broken.stderr)")

        // The metrics file of the pass: promtool accepts it, and it holds the pass's figures.
        let metrics = try String(contentsOfFile: s.metricsPath, encoding: .utf8)
        if let check = try Promtool.checkMetrics(s.metricsPath) { #expect(check.ok, "\(check.output)\n\(metrics)") }
        #expect(s.metric("rotord_rotations_total{result=\"done\"}") == 2)
        // Rotated in this pass: 0 s old (rendered `0.0`, never `-0.0`).
        #expect(metrics.contains("rotord_consumer_age_seconds{consumer=\"etl\"} 0.0\n"), "\(metrics)")
        #expect(s.metric("rotord_consumer_next_rotation_timestamp_seconds{consumer=\"erp\"}") != nil)
        #expect(s.metric("rotord_consumer_rotation_in_flight{consumer=\"erp\"}") == 0)
        #expect(s.metric("rotord_last_successful_pass_timestamp_seconds") != nil)
        #expect(metrics.contains("# TYPE rotord_rotations_total counter\n"))
        // API traffic of the pass: answers by status, and rate-limit waits (none here).
        #expect((s.metric("rotord_api_requests_total{status=\"200\"}") ?? 0) > 0)
        #expect(metrics.contains("# TYPE rotord_api_requests_total counter\n"))
        #expect(s.metric("rotord_rate_limit_waits_total") == 0)
        #expect(s.metric("rotord_rate_limit_wait_seconds_total") == 0)
        #expect(RotationEndToEndTests.secretLike(metrics).isEmpty)

        // A consumer removed from the configuration leaves the file with the next pass.
        try s.writeConfig(consumers: ["etl"], extra: "metrics:\n  textfile: \(s.metricsPath)\n")
        let after = try await s.run(["run", "--once"])
        #expect(after.status == 0, "\(after.output)")
        #expect(s.metric("rotord_consumer_age_seconds{consumer=\"etl\"}") != nil)
        #expect(s.metric("rotord_consumer_age_seconds{consumer=\"erp\"}") == nil)
        #expect(s.metric("rotord_consumer_rotation_in_flight{consumer=\"erp\"}") == nil)
    }

    @Test func checkConfigJSONListsEveryProblem() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 10)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"], extra: "schedule:\n  max_per_cycle: zero\n  stampede: yes\n")
        let result = try await s.run(["check-config", "--offline", "--json"])
        #expect(result.status == 78, "\(result.output)")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(parsed.count == 2, "\(result.stdout)")
        for problem in parsed {
            #expect(problem["file"] as? String == s.configPath)
            #expect(problem["line"] is Int)
            #expect(problem["key"] is String)
            #expect(problem["message"] is String)
        }
        #expect(Set(parsed.compactMap { $0["key"] as? String }) == ["schedule.max_per_cycle", "schedule.stampede"])
        try s.writeConfig(consumers: ["etl"])
        let valid = try await s.run(["check-config", "--offline", "--json"])
        #expect(valid.status == 0, "\(valid.output)")
        #expect(try JSONSerialization.jsonObject(with: Data(valid.stdout.utf8)) is [Any])
    }
}
