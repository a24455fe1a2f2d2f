import Foundation
import FracttalSimulator
import RotordCore
import Testing

/// Issue 12, point 2: an `adopt:` rule brings a consumer made by hand under policy without editing the file.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct AdoptionTests {
    /// The `adopt:` section: `etl-*` in Reportes, delivered to `adopted-{{name}}.env`.
    static func rule(_ s: Scenario) -> String {
        """
        adopt:
          - name: "etl-*"
            permission_group: Reportes
            deliver:
              - path: \(s.deliverDir)/adopted-{{name}}.env
                format: env

        """
    }

    /// The reports of `plan --json` / `status --json`, by consumer name.
    static func reports(_ result: Scenario.Result) throws -> [String: [String: Any]] {
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        let list = try #require(parsed, "\(result.output)")
        return Dictionary(list.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func aConsumerMadeByHandIsAdoptedRotatedAndDeliveredAtItsRenderedPath() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl-explicit", ageDays: 120)])
        defer { s.cleanUp() }
        let explicitOld = try #require(await s.live("etl-explicit").first)
        let byHand = await IdentityTests.add(s, "etl-hand", ageDays: 120)
        let fresh = await IdentityTests.add(s, "etl-fresh", ageDays: 5)
        let other = await IdentityTests.add(s, "other", ageDays: 400)
        let otherGroup = await IdentityTests.add(s, "etl-int", group: 4, ageDays: 400)
        try s.writeConfig(consumers: ["etl-explicit"], extra: Self.rule(s))

        let check = try await s.run(["check-config", "--offline"])
        #expect(check.status == 0 && check.stdout.contains("1 adopt rule"), "\(check.output)")

        let plan = try await s.run(["plan", "--json"])
        #expect(plan.status == 0, "\(plan.output)")
        let before = try Self.reports(plan)
        #expect(before.keys.sorted() == ["etl-explicit", "etl-fresh", "etl-hand"], "\(plan.stdout)")
        #expect(before["etl-explicit"]?["adopted_by"] == nil, "a configured consumer is never adopted")
        #expect(before["etl-hand"]?["adopted_by"] as? String == "adopt[0]")
        #expect(before["etl-hand"]?["status"] as? String == "due")
        #expect(before["etl-fresh"]?["status"] as? String == "ok")

        let run = try await s.run(["run", "--once"])
        #expect(run.status == 0, "\(run.output)")
        let live = await s.live("etl-hand")
        #expect(!live.contains { $0.id == byHand.id }, "the adopted consumer's old credential is deleted (grace 0s)")
        let replacement = try #require(live.first { $0.description?.contains("[rotord:") == true })
        #expect(live.count == 1)
        let pair = try #require(s.envPair("adopted-etl-hand"), "the deliver file is at the rendered path")
        #expect(pair.key == replacement.key)
        #expect(await s.simulator.isAccepted(key: pair.key, secret: pair.secret), "the delivered pair works")
        #expect(s.mode("\(s.deliverDir)/adopted-etl-hand.env") == 0o600)
        #expect(!(await s.live("etl-explicit").contains { $0.id == explicitOld.id }), "the configured one rotates too")
        #expect(s.envPair("adopted-etl-explicit") == nil, "the configured consumer's files only")
        #expect(s.envPair("etl-explicit") != nil)
        #expect(await s.live("etl-fresh").map(\.id) == [fresh.id], "not due: untouched")
        #expect(await s.live("other").map(\.id) == [other.id], "no rule matches: untouched")
        #expect(await s.live("etl-int").map(\.id) == [otherGroup.id], "another group: untouched")
        #expect(await s.simulator.statistics().deleted == 2)
        await IdentityTests.noSecret(s, run.output)

        // The replacement (same name, same group) is still matched: it stays managed, and nothing is due.
        let again = try await s.run(["run", "--once"])
        #expect(again.status == 0 && again.stdout.contains("nothing due"), "\(again.output)")
        let after = try Self.reports(try await s.run(["status", "--json"]))
        #expect(after["etl-hand"]?["adopted_by"] as? String == "adopt[0]")
        #expect(after["etl-hand"]?["status"] as? String == "ok")
        #expect(after["etl-hand"]?["consumer_id"] as? Int == replacement.id)
        #expect(after["etl-hand"]?["last_rotation"] != nil, "the history of an adopted consumer is kept")
    }

    @Test func aNameUnsafeInAPathIsRefusedLoudlyAndNothingIsWritten() async throws {
        let s = try await Scenario(consumers: [])
        defer { s.cleanUp() }
        let unsafe = await IdentityTests.add(s, "etl-..x", ageDays: 120)
        try s.writeConfig(consumers: [], extra: Self.rule(s))

        let status = try await s.run(["status", "--json"])
        let reports = try Self.reports(status)
        #expect(reports["etl-..x"]?["status"] as? String == "refused", "\(status.output)")
        #expect((reports["etl-..x"]?["detail"] as? String)?.contains("not safe in a file path") == true)

        let run = try await s.run(["run", "--once"])
        #expect(run.status == 1, "a refused adoption is a problem: \(run.output)")
        #expect(run.stderr.contains("etl-..x") && run.stderr.contains("not safe"), "\(run.stderr)")
        #expect(await s.live("etl-..x").map(\.id) == [unsafe.id], "never rotated")
        let written = (try? FileManager.default.contentsOfDirectory(atPath: s.deliverDir)) ?? []
        #expect(written.isEmpty, "nothing written: \(written)")
        await IdentityTests.noSecret(s, run.output + status.output)
    }
}
