import Foundation
import FracttalSimulator
import Glibc
import RotordTestKit
import Testing

/// `fracttal.admin.rotate` with real processes: rotord rotates the Super Administrator consumer it acts as, writes
/// the new pair to the admin files, acts as it, and deletes the old admin consumer with it; a `kill -9` at any step
/// leaves a restart that works with whichever pair the files hold.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct AdminRotationTests {
    static let rotate = "{max_age: 90d, rotate_before: 7d, grace: 0s}"

    /// The admin files' pair (trimmed, as rotord reads them).
    static func adminPair(_ s: Scenario) -> (key: String, secret: String)? {
        guard let key = try? String(contentsOfFile: s.dir + "/credentials/admin-key", encoding: .utf8),
            let secret = try? String(contentsOfFile: s.dir + "/credentials/admin-secret", encoding: .utf8)
        else { return nil }
        return (
            key.trimmingCharacters(in: .whitespacesAndNewlines), secret.trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }

    /// One admin consumer, in the admin group, whose pair the files hold and which works; `status` works with it.
    static func checkAdmin(_ s: Scenario, _ label: String, sourceLocation: SourceLocation = #_sourceLocation)
        async throws
        -> String?
    {
        let admins = await s.live("rotord-admin")
        #expect(admins.count == 1, "\(label): one admin consumer, got \(admins.count)", sourceLocation: sourceLocation)
        #expect(admins.first?.permissionGroupId == 1, "\(label): in the admin group", sourceLocation: sourceLocation)
        let pair = try #require(adminPair(s), "\(label): the admin files", sourceLocation: sourceLocation)
        #expect(
            pair.key == admins.first?.key, "\(label): the files hold the live admin", sourceLocation: sourceLocation)
        #expect(
            await s.simulator.isAccepted(key: pair.key, secret: pair.secret), "\(label): the files' pair works",
            sourceLocation: sourceLocation)
        let status = try await s.run(["status"])
        #expect(
            status.status == 0, "\(label): status with the files' pair: \(status.output)",
            sourceLocation: sourceLocation)
        return pair.key
    }

    @Test func theAdminIsRotatedAndTheOldOneDeletedByTheNewPair() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 1)])
        defer { s.cleanUp() }
        try s.writeConfig(
            consumers: ["etl"], extra: "metrics:\n  textfile: \(s.metricsPath)\n", adminRotate: Self.rotate)
        let plan = try await s.run(["plan"])
        #expect(plan.status == 0 && plan.stdout.contains("rotord-admin (admin)"), "the admin's row: \(plan.output)")
        let json = try await s.run(["status", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(
            rows.contains { $0["name"] as? String == "rotord-admin" && $0["admin"] as? Bool == true }, "\(json.output)")
        let rotated = try await s.run(["rotate", "rotord-admin"])
        #expect(rotated.status == 0, "\(rotated.output)")
        #expect(rotated.output.contains("now acts as its new admin consumer"), "\(rotated.output)")
        let key = try await Self.checkAdmin(s, "after the rotation")
        #expect(key != s.adminKey, "a new admin key")
        #expect(!(await s.simulator.isAccepted(key: s.adminKey, secret: s.adminSecret)), "the old pair is gone")
        #expect(Self.mode(s.dir + "/credentials/admin-secret") == 0o600)
        // A second rotation starts from the new pair (read from the files).
        let again = try await s.run(["rotate", "rotord-admin"])
        #expect(again.status == 0, "\(again.output)")
        let third = try await Self.checkAdmin(s, "after the second rotation")
        #expect(third != key)
        _ = try await s.run(["run", "--once"])
        let metrics = try String(contentsOfFile: s.metricsPath, encoding: .utf8)
        #expect(metrics.contains("rotord_consumer_is_admin{consumer=\"rotord-admin\"} 1"), "\(metrics)")
        #expect(metrics.contains("rotord_consumer_age_seconds{consumer=\"rotord-admin\"}"), "\(metrics)")
        if let check = try Promtool.checkMetrics(s.metricsPath) { #expect(check.ok, "\(check.output)") }
        // The compliance report has the admin's row, marked, with its two rotations; the metrics mark it too.
        let report = try await s.run(["report", "--json"])
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [[String: Any]])
        let adminRow = reports.first { $0["consumer"] as? String == "rotord-admin" }
        #expect(adminRow?["admin"] as? Bool == true, "\(report.output)")
        #expect((adminRow?["rotations"] as? [Any])?.count == 2, "\(report.output)")
        #expect(RotationEndToEndTests.secretLike(rotated.output + again.output + plan.output + report.output).isEmpty)
        print("admin rotation: rotated twice; one admin consumer, its pair in the files, status works")
    }

    @Test func aKillAtEveryStepLeavesARestartThatWorks() async throws {
        var lines: [String] = []
        for point in CrashSafetyTests.points {
            let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 1)])
            defer { s.cleanUp() }
            let grace = point == "step:grace" ? "1s" : "0s"
            try s.writeConfig(consumers: ["etl"], adminRotate: "{max_age: 90d, rotate_before: 7d, grace: \(grace)}")
            let killed = try await s.run(
                ["rotate", "rotord-admin"], environment: ["ROTORD_CRASH_AT": point], faults: true)
            #expect(killed.status == 128 + SIGKILL, "\(point): rotord should have died: \(killed.output)")
            // A restart must work with what the kill left: the files, completed from the journal when the kill fell
            // between the key file and the secret file. `status` is such a restart (it lists the account).
            let held = try #require(Self.adminPair(s), "\(point): the admin files")
            let torn = !(await s.simulator.isAccepted(key: held.key, secret: held.secret))
            let status = try await s.run(["status"])
            let works = status.status == 0
            #expect(works, "\(point): a command after the kill works: \(status.output)")
            // The restart finishes the rotation (2 s ahead: past a 1 s grace).
            let restarted = try await s.run(
                ["run", "--once"], environment: ["ROTORD_FAULT_CLOCK_OFFSET": "2"], faults: true)
            #expect(restarted.status == 0, "\(point): \(restarted.output)")
            let key = try await Self.checkAdmin(s, point)
            #expect(key != s.adminKey, "\(point): the admin was rotated")
            #expect(RotationEndToEndTests.secretLike(killed.output + restarted.output).isEmpty)
            let rotated = key != s.adminKey ? "rotated" : "NOT rotated"
            lines.append(
                "admin kill -9 at \(point): " + (torn ? "files torn (new key, old secret), " : "")
                    + "status after the kill exit \(status.status), restart exit \(restarted.status), \(rotated), "
                    + "\(await s.live("rotord-admin").count) admin consumer")
        }
        for line in lines { print(line) }
    }

    static func mode(_ path: String) -> UInt32 {
        var st = stat()
        return stat(path, &st) == 0 ? UInt32(st.st_mode) & 0o7777 : 0
    }
}
