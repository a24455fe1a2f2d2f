import Foundation
import Testing

/// `schedule.max_per_cycle` through the real `rotord run --once`: one pass starts at most that many.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ScheduleTests {
    @Test func maxPerCycleHoldsTheRestForTheNextPass() async throws {
        let s = try await Scenario(consumers: [
            .init(name: "a", ageDays: 120), .init(name: "b", ageDays: 100), .init(name: "c", ageDays: 95),
        ])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["a", "b", "c"], extra: "schedule:\n  max_per_cycle: 1\n")
        let first = try await s.run(["run", "--once"])
        #expect(first.status == 0, "\(first.output)")
        // The oldest (nearest its deadline) goes first.
        #expect(first.stdout.contains("a: rotated"), "\(first.output)")
        #expect(first.stdout.contains("2 due consumer(s) wait for the next pass"), "\(first.output)")
        #expect(s.envPair("b") == nil && s.envPair("c") == nil)
        let plan = try await s.run(["plan", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [[String: Any]])
        #expect(entries[1]["status"] as? String == "due" && entries[1]["due"] as? Bool == true)
        #expect(entries[2]["due"] as? Bool == false)
        #expect((entries[2]["reason"] as? String)?.contains("max_per_cycle (1)") == true, "\(plan.stdout)")
        let second = try await s.run(["run", "--once"])
        #expect(second.stdout.contains("b: rotated") && second.stdout.contains("1 due consumer(s)"), "\(second.output)")
    }
}
