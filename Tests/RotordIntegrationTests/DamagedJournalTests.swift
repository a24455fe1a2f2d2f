import Foundation
import Glibc
import Testing

/// A damaged journal record never makes a live consumer disappear (issue 14, point 4).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DamagedJournalTests {
    /// `run --once` killed (SIGKILL) at the fault point `point`, then its journal record torn to its first `fraction`
    /// (a torn write); the run's result and the rotation's id.
    static func crashAndTear(_ s: Scenario, at point: String, keeping fraction: Double) async throws
        -> (Scenario.Result, String)
    {
        let killed = try await s.run(["run", "--once"], environment: ["ROTORD_CRASH_AT": point], faults: true)
        #expect(killed.status == 128 + SIGKILL, "\(killed.output)")
        let dir = s.stateDir + "/rotations"
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".json") })
        let bytes = try #require(FileManager.default.contents(atPath: dir + "/" + file))
        try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: URL(fileURLWithPath: dir + "/" + file))
        return (killed, String(file.dropLast(".json".count)))
    }

    @Test func anUnreadableRecordBlocksItsConsumerUntilRepaired() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120), .init(name: "erp", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"])
        let original = try #require(await s.live("etl").first)

        // Crash right after `created` is journaled: the replacement exists, its secret only in the record.
        let (killed, id) = try await Self.crashAndTear(s, at: "step:created", keeping: 2.0 / 5)
        #expect(await s.live("etl").count == 2)

        // Loud, blocking, and nothing forgotten or deleted.
        let blocked = try await s.run(["run", "--once"])
        #expect(blocked.status == 1, "\(blocked.output)")
        #expect(blocked.output.contains("journal record \(id) is unreadable"), "\(blocked.output)")
        #expect(blocked.output.contains("rotord repair \(id)"), "\(blocked.output)")
        #expect(await s.live("etl").count == 2, "the replacement is still alive: not forgotten, not deleted")
        #expect(await s.simulator.statistics().created == 1, "no new rotation of etl while blocked")
        let status = try await s.run(["status"])
        #expect(status.status == 0 && status.stderr.contains("is unreadable"), "\(status.output)")

        // The documented repair: the replacement was never published, so it is deleted.
        let repair = try await s.run(["repair", id])
        #expect(repair.status == 0, "\(repair.output)")
        #expect(repair.stdout.contains("deleted consumer"), "\(repair.output)")
        let live = await s.live("etl")
        #expect(live.count == 1 && live.first?.id == original.id, "only the original is left")

        // Rotations resume.
        let resumed = try await s.run(["run", "--once"])
        #expect(resumed.status == 0, "\(resumed.output)")
        let pair = try #require(s.envPair("etl"))
        #expect(await s.simulator.isAccepted(key: pair.key, secret: pair.secret))
        #expect(await s.live("etl").count == 1)
        let output = killed.output + blocked.output + status.output + repair.output + resumed.output
        #expect(RotationEndToEndTests.secretLike(output).isEmpty)
    }

    /// Issue 19, finding 5: `repair` of a record damaged in grace, for a consumer adopted by an `adopt:` rule. The
    /// published replacement is found through the rule's deliver file and kept, and the rotation resumes (grace, then
    /// the old consumer is deleted) instead of leaving two consumers of the name, ambiguous for ever.
    @Test func repairInGraceResumesTheRotationOfAnAdoptedConsumer() async throws {
        let s = try await Scenario(consumers: [.init(name: "erp", ageDays: 5)])
        defer { s.cleanUp() }
        let original = await IdentityTests.add(s, "etl-hand", ageDays: 120)
        let elsewhere = await IdentityTests.add(s, "etl-hand", group: 4, ageDays: 400)
        try s.writeConfig(consumers: ["erp"], grace: "1h", extra: AdoptionTests.rule(s))

        let (killed, id) = try await Self.crashAndTear(s, at: "step:grace", keeping: 1.0 / 3)
        let published = try #require(s.envPair("adopted-etl-hand"), "the replacement was published before the crash")

        let blocked = try await s.run(["run", "--once"])
        #expect(blocked.status == 1 && blocked.output.contains("rotord repair \(id)"), "\(blocked.output)")
        let repair = try await s.run(["repair", id])
        #expect(repair.status == 0, "\(repair.output)")
        #expect(repair.stdout.contains("kept, it is the credential in use"), "\(repair.output)")
        #expect(repair.stdout.contains("the rotation resumes"), "\(repair.output)")
        #expect(
            await s.live("etl-hand").contains { $0.id == elsewhere.id }, "another group's consumer is never touched")

        // The rotation resumes: its grace starts again, then the old consumer is deleted.
        let regrace = try await s.run(
            ["run", "--once"], environment: ["ROTORD_FAULT_CLOCK_OFFSET": "60"], faults: true)
        #expect(regrace.status == 0, "\(regrace.output)")
        let retire = try await s.run(
            ["run", "--once"], environment: ["ROTORD_FAULT_CLOCK_OFFSET": "7200"], faults: true)
        #expect(retire.status == 0, "\(retire.output)")
        let live = await s.live("etl-hand").filter { $0.permissionGroupId == original.permissionGroupId }
        #expect(live.count == 1 && live.first?.key == published.key, "the old consumer is retired, the published kept")
        #expect(!live.contains { $0.id == original.id })
        #expect(s.envPair("adopted-etl-hand")?.key == published.key)
        let status = try await s.run(["status"])
        #expect(!status.output.contains("ambiguous"), "\(status.output)")
        let output = killed.output + blocked.output + repair.output + regrace.output + retire.output + status.output
        #expect(RotationEndToEndTests.secretLike(output).isEmpty)
    }
}
