import Foundation
import Glibc
import Testing

/// Issue 19, finding 1: a consumer that leaves the configuration after its new pair was published is not
/// confirmed by default. Its rotation is held with both consumers (`unmanaged_in_flight`, `run --once` exits 1)
/// until it is configured again or an operator decides (`rotate NAME --accept-unconfirmed`, `abandon NAME`).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct HeldRotationTests {
    @Test(arguments: ["abandon", "accept"])
    func aConsumerThatLeavesTheConfigurationInGraceIsHeld(decision: String) async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120), .init(name: "erp", ageDays: 5)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl", "erp"], grace: "1h")
        let old = try #require(await s.live("etl").first)
        let first = try await s.run(["run", "--once"])
        #expect(first.status == 0, "\(first.output)")
        let published = try #require(s.envPair("etl"))
        #expect(await s.live("etl").count == 2, "in grace: both alive")

        // etl leaves the configuration; grace ends: nothing confirms the new pair, so nothing is deleted.
        try s.writeConfig(consumers: ["erp"], grace: "1h")
        let held = try await s.run(
            ["run", "--once"], environment: ["ROTORD_FAULT_CLOCK_OFFSET": "7200"], faults: true)
        #expect(held.status == 1, "\(held.output)")
        #expect(held.output.contains("etl: HELD"), "\(held.output)")
        #expect(held.output.contains("rotord abandon etl"), "it says what an operator can do: \(held.output)")
        #expect(await s.live("etl").count == 2, "both consumers kept")
        let status = try await s.run(["status", "--json"])
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        #expect(reports.first { $0["name"] as? String == "etl" }?["status"] as? String == "unmanaged_in_flight")
        let again = try await s.run(
            ["run", "--once"], environment: ["ROTORD_FAULT_CLOCK_OFFSET": "10800"], faults: true)
        #expect(again.status == 1, "still held: \(again.output)")
        #expect(await s.live("etl").count == 2)

        if decision == "abandon" {
            let abandon = try await s.run(["abandon", "etl"])
            #expect(abandon.status == 0, "\(abandon.output)")
            #expect(await s.live("etl").count == 2, "nothing is deleted")
            let after = try await s.run(["status", "--json"])
            #expect(!after.stdout.contains("\"etl\""), "the rotation has ended: \(after.output)")
            #expect(try await s.run(["abandon", "etl"]).status == 1, "nothing left to abandon")
        } else {
            let accept = try await s.run(
                ["rotate", "etl", "--accept-unconfirmed"], environment: ["ROTORD_FAULT_CLOCK_OFFSET": "10800"],
                faults: true)
            #expect(accept.status == 0, "\(accept.output)")
            let live = await s.live("etl")
            #expect(live.count == 1 && live.first?.key == published.key && !live.contains { $0.id == old.id })
        }
        #expect(try await s.run(["abandon", "erp"]).status == 1, "a configured consumer is never abandoned")
        #expect(RotationEndToEndTests.secretLike(first.output + held.output + again.output).isEmpty)
    }
}
