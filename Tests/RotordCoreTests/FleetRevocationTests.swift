import Foundation
import RotordCore
import Testing

/// Issue 20, point 6: the old consumer goes only when every delivering host confirmed and its grace ended.
@Suite struct FleetRevocationTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func member(
        _ host: String, _ delivers: [String: String] = ["etl": "p1"], eligible: Bool = true, account: String = "a"
    )
        -> FleetMember
    {
        FleetMember(host: host, publicKey: "pk-\(host)", delivers: delivers, leaderEligible: eligible, account: account)
    }

    @Test func everyDeliveringHostMustConfirmAndEndItsGrace() {
        let members = [member("h1"), member("h2"), member("h3"), member("other", ["erp": "p"])]
        let past = now.addingTimeInterval(-1)
        let later = now.addingTimeInterval(600)
        #expect(
            FleetRevocation.verdict(
                consumer: "etl", members: members,
                confirmations: [
                    "h1": .confirmed(graceEnds: past), "h2": .confirmed(graceEnds: past),
                    "h3": .confirmed(graceEnds: past),
                ], accepted: [], now: now) == .retire)
        let waiting = FleetRevocation.verdict(
            consumer: "etl", members: members,
            confirmations: [
                "h1": .confirmed(graceEnds: past), "h2": .failed(reason: "reload failed"),
                "h3": .confirmed(graceEnds: later),
            ], accepted: [], now: now)
        #expect(waiting == .wait([.failed(host: "h2", reason: "reload failed"), .inGrace(host: "h3", until: later)]))
        // A host that is down (no confirmation) holds it back too: membership is durable, liveness is not asked.
        #expect(
            FleetRevocation.verdict(
                consumer: "etl", members: members, confirmations: ["h1": .confirmed(graceEnds: past)], accepted: [],
                now: now) == .wait([.notConfirmed(host: "h2"), .notConfirmed(host: "h3")]))
        // An operator accepts for one host; a forgotten host is no longer a member.
        #expect(
            FleetRevocation.verdict(
                consumer: "etl", members: members.filter { $0.host != "h3" },
                confirmations: ["h1": .confirmed(graceEnds: past)], accepted: ["h2"], now: now) == .retire)
    }

    @Test func disagreementsNameTheHosts() {
        let members = [
            member("h1", ["etl": "p1", "erp": "q"]), member("h2", ["etl": "p2", "erp": "q"]),
            member("h3", ["etl": "p1"], eligible: false), member("h4", ["etl": "p1", "erp": "q"], account: "b"),
        ]
        let said = FleetRevocation.disagreements(members)
        #expect(said.contains { $0.contains("h4 acts on another account than h1") })
        #expect(said.contains { $0.contains("etl is configured with different policies on h1 and h2") })
        #expect(!said.contains { $0.contains("erp is not configured") && $0.contains("h3") }, "h3 cannot lead")
        #expect(FleetRevocation.disagreements([member("h1"), member("h2")]).isEmpty)
        let missing = FleetRevocation.disagreements([member("h1", ["etl": "p1"]), member("h2", [:])])
        #expect(
            missing == [
                "etl is not configured on the leader-eligible host(s) h2; configure it there with the "
                    + "same policy (or set leader_eligible: false)"
            ])
    }
}
