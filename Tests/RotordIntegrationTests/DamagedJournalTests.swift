import Foundation
import Glibc
import Testing

/// A damaged journal record never makes a live consumer disappear (issue 14, point 4).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DamagedJournalTests {
    @Test func anUnreadableRecordBlocksItsConsumerUntilRepaired() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120), .init(name: "erp", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"])
        let original = try #require(await s.live("etl").first)

        // Crash right after `created` is journaled: the replacement exists, its secret only in the record.
        let killed = try await s.run(["run", "--once"], environment: ["ROTORD_CRASH_AT": "step:created"], faults: true)
        #expect(killed.status == 128 + SIGKILL, "\(killed.output)")
        let dir = s.stateDir + "/rotations"
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".json") })
        let id = String(file.dropLast(".json".count))
        let bytes = try #require(FileManager.default.contents(atPath: dir + "/" + file))
        try bytes.prefix(bytes.count * 2 / 5).write(to: URL(fileURLWithPath: dir + "/" + file))  // a torn write
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
}
