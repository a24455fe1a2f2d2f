import Foundation
import Glibc
import Testing

/// Dates from a wrong clock are bounded (issue 14, point 5): a journal `graceUntil` in 2099 does
/// not hold the old consumer beyond what `grace` allows.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct WrongClockTests {
    @Test func aGraceDeadlineIn2099IsClampedToTheGracePeriod() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"], grace: "1h")
        let first = try await s.run(["run", "--once"])
        #expect(first.status == 0, "\(first.output)")
        #expect(await s.live("etl").count == 2, "old and new live during grace")

        // The record as a wrong clock would have left it: grace entered two hours ago (by the
        // clock now), graceUntil in 2099.
        let dir = s.stateDir + "/rotations"
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".json") })
        let data = try #require(FileManager.default.contents(atPath: dir + "/" + file))
        var record = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(record["step"] as? String == "grace")
        let iso = ISO8601DateFormatter()
        record["graceUntil"] = "2099-01-01T00:00:00Z"
        if var history = record["history"] as? [[String: Any]], let last = history.indices.last {
            history[last]["at"] = iso.string(from: Date().addingTimeInterval(-7_200))
            record["history"] = history
        }
        try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
            .write(to: URL(fileURLWithPath: dir + "/" + file))

        let second = try await s.run(["run", "--once"])
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("clamped"), "the clamp is logged: \(second.output)")
        #expect(await s.live("etl").count == 1, "grace (1 h from entering it) is over: the old consumer is gone")
        #expect(RotationEndToEndTests.secretLike(first.output + second.output).isEmpty)
    }
}
