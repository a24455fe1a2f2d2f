import Foundation
import RotordCore
import Testing

@testable import RotordKit

/// The pure parts of `rotord fleet status` (``FleetStatus``): each delivering host's state for a rotation (the
/// leader's decision), the clock-skew warning, and the warnings and blockers built from one read of etcd.
@Suite struct FleetStatusTests {
    static let now = Date(timeIntervalSince1970: 1_780_000_000)

    static func member(_ host: String, delivers: [String] = ["etl"], eligible: Bool = true, policy: String = "p")
        -> FleetMember
    {
        FleetMember(
            host: host, publicKey: "pk-\(host)",
            delivers: Dictionary(uniqueKeysWithValues: delivers.map { ($0, policy) }), leaderEligible: eligible,
            account: "https://example.org/api 200/min")
    }

    static func answer(_ host: String, sealed: Int64, ok: Bool, reason: String? = nil) -> FleetEntry.Confirmation {
        FleetEntry.Confirmation(
            host: host, sealedRevision: sealed, ok: ok, reason: reason, files: [], at: now)
    }

    static func record(_ consumer: String = "etl", step: RotationStep) -> RotationRecord {
        var record = RotationRecord(
            id: "r1780000000-0a1b2c3d", consumerName: consumer, trigger: "due", now: now, oldConsumers: [],
            authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false,
            originalDescription: nil, grace: .seconds(0))
        record.enter(step, at: now)
        record.newKey = "Qm7xNEWKEY"
        return record
    }

    @Test func eachHostsStateIsTheLeadersDecision() {
        let members = [
            Self.member("h1"), Self.member("h2"), Self.member("h3"), Self.member("h4"),
            Self.member("h5", delivers: ["other"]),
        ]
        let states = FleetStatus.hostStates(
            consumer: "etl", members: members,
            sealedRevisions: ["h1": 10, "h2": 11, "h3": 12],
            answers: [
                "h1": Self.answer("h1", sealed: 10, ok: true),
                "h2": Self.answer("h2", sealed: 11, ok: false, reason: "probe exited 3"),
                // An answer to an earlier copy: the copy sealed again asks again.
                "h3": Self.answer("h3", sealed: 7, ok: true),
            ])
        #expect(
            states == [
                "h1": .confirmed, "h2": .failed("probe exited 3"), "h3": .pending, "h4": .unsealed,
            ], "h5 does not deliver etl: not listed")
        #expect(states.values.map(\.name).sorted() == ["confirmed", "failed", "sealed_waiting", "unsealed"])
        let noReason = FleetStatus.hostStates(
            consumer: "etl", members: [Self.member("h1")], sealedRevisions: ["h1": 4],
            answers: ["h1": Self.answer("h1", sealed: 4, ok: false)])
        #expect(noReason == ["h1": .failed("no reason given")])
    }

    @Test func clockSkewIsWarnedOnlyBeyondTheThresholdPlusTheWriteAge() {
        let allowance = Duration.seconds(6)
        // 35 s apart: within 30 s + one lease TTL of write age, so not certain: no warning.
        #expect(
            FleetStatus.clockSkewWarnings(
                ["h1": Self.now, "h2": Self.now.addingTimeInterval(35)], allowance: allowance
            ).isEmpty)
        let warnings = FleetStatus.clockSkewWarnings(
            ["h1": Self.now, "h2": Self.now.addingTimeInterval(2), "h3": Self.now.addingTimeInterval(-90)],
            allowance: allowance)
        #expect(warnings.count == 2, "\(warnings)")
        #expect(warnings[0].hasPrefix("the clocks of h1 and h3 differ by about 1m"), "\(warnings)")
        #expect(warnings[1].hasPrefix("the clocks of h2 and h3 differ by about 1m"), "\(warnings)")
        #expect(warnings.allSatisfy { $0.contains("NTP") })
    }

    @Test func aDownHostARotationWaitsForIsNamedAndBlocks() throws {
        let members = [Self.member("h1"), Self.member("h2"), Self.member("h3")]
        let record = Self.record(step: .published)
        let snapshot = FleetStatus.Snapshot(
            prefix: "/rotord/acme", revision: 42, leader: "h1", members: members, alive: ["h1", "h2"],
            wallTimes: ["h1": Self.now, "h2": Self.now.addingTimeInterval(1)],
            lastSeenInHistory: ["h3": Self.now.addingTimeInterval(-120)],
            rotations: [
                .init(record: record, writer: "h1", states: ["h1": .confirmed, "h2": .pending, "h3": .pending])
            ])
        let status = FleetStatus(snapshot, now: Self.now, aliveWriteAge: .seconds(6))
        #expect(status.leader == "h1")
        #expect(status.members.map(\.host) == ["h1", "h2", "h3"])
        #expect(status.members.map(\.alive) == [true, true, false])
        #expect(status.members[0].leads && !status.members[1].leads)
        #expect(status.members[2].lastSeen == Self.now.addingTimeInterval(-120), "a down host's last seen")
        let rotation = try #require(status.rotations.first)
        #expect(rotation.newKey == "Qm7x…", "the new key is masked")
        #expect(rotation.hosts.map(\.state) == ["confirmed", "sealed_waiting", "sealed_waiting"])
        #expect(rotation.hosts.map(\.blocking) == [false, false, true], "h2 is alive and still answering")
        #expect(
            status.warnings == [
                "h3 is down: rotation r1780000000-0a1b2c3d of etl waits for it (sealed, no answer yet); start its "
                    + "rotord, or run rotord fleet forget h3 if it left the fleet"
            ])
        #expect(status.needsAttention)
        let text = status.detailLines.joined(separator: "\n")
        #expect(text.contains("h3 ") && text.contains("DOWN") && text.contains("2m ago"), "\(text)")
        #expect(text.contains("  h3: sealed_waiting (down); holds the old consumer back"), "\(text)")
        #expect(status.summary == "leader h1; 3 member(s), 2 alive; 1 rotation(s) in flight")
    }

    @Test func aFailedHostBlocksAndAHealthyFleetNeedsNothing() {
        let members = [Self.member("h1"), Self.member("h2")]
        let failing = FleetStatus(
            FleetStatus.Snapshot(
                prefix: "/p", leader: "h1", members: members, alive: ["h1", "h2"],
                wallTimes: ["h1": Self.now, "h2": Self.now],
                rotations: [
                    .init(
                        record: Self.record(step: .unconfirmed), writer: "h1",
                        states: ["h1": .confirmed, "h2": .failed("after_publish exited 1")])
                ]),
            now: Self.now)
        #expect(failing.warnings.isEmpty)
        #expect(failing.rotations[0].hosts[1].reason == "after_publish exited 1")
        #expect(failing.needsAttention, "a failed host blocks the rotation")
        #expect(failing.detailLines.contains("  h2: failed: after_publish exited 1; holds the old consumer back"))

        let healthy = FleetStatus(
            FleetStatus.Snapshot(
                prefix: "/p", leader: "h2", members: members, alive: ["h1", "h2"],
                wallTimes: ["h1": Self.now, "h2": Self.now.addingTimeInterval(3)]),
            now: Self.now)
        #expect(healthy.warnings.isEmpty && !healthy.needsAttention)
    }

    @Test func disagreementsNoLeaderAndStrangersAreWarnings() {
        let members = [
            Self.member("h1", policy: "a"), Self.member("h2", policy: "b"),
            Self.member("h3", delivers: [], eligible: true),
        ]
        let status = FleetStatus(
            FleetStatus.Snapshot(
                prefix: "/rotord/acme", leader: nil, members: members, alive: ["h2", "h9"],
                wallTimes: ["h2": Self.now, "h9": Self.now],
                unreadable: ["/rotord/acme/hosts/h7 is not a member record this rotord can read"]),
            now: Self.now)
        let disagreements = FleetRevocation.disagreements(members)
        #expect(Array(status.warnings.prefix(disagreements.count)) == disagreements)
        #expect(disagreements.contains { $0.hasPrefix("etl is configured with different policies on h1 and h2") })
        #expect(disagreements.contains { $0.hasPrefix("etl is not configured on the leader-eligible host(s) h3") })
        #expect(status.warnings.contains { $0.hasPrefix("no host leads the fleet (an election is under way") })
        #expect(
            status.warnings.contains {
                $0.hasPrefix("h9 renews /rotord/acme/alive/h9 but is not a member (no hosts/h9 record")
            })
        #expect(status.warnings.last == "/rotord/acme/hosts/h7 is not a member record this rotord can read")
        #expect(status.needsAttention)

        let nobody = FleetStatus(
            FleetStatus.Snapshot(
                prefix: "/p", leader: nil, members: [Self.member("h1")], alive: [], wallTimes: [:]),
            now: Self.now)
        #expect(
            nobody.warnings == ["no host leads the fleet: no leader-eligible member is alive (start rotord on one)"])
    }

    @Test func theJSONFormIsSnakeCaseAndRoundTrips() throws {
        let status = FleetStatus(
            FleetStatus.Snapshot(
                prefix: "/p", revision: 7, leader: "h1", members: [Self.member("h1")], alive: ["h1"],
                wallTimes: ["h1": Self.now],
                rotations: [.init(record: Self.record(step: .grace), writer: "h1", states: ["h1": .confirmed])]),
            now: Self.now)
        let text = ReportRenderer.json(status)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "prefix", "revision", "read_at", "leader", "members", "rotations", "warnings", "needs_attention",
            ])
        let member = try #require((object["members"] as? [[String: Any]])?.first)
        #expect(Set(member.keys) == ["host", "alive", "last_seen", "delivers", "leader_eligible", "leads"])
        let rotation = try #require((object["rotations"] as? [[String: Any]])?.first)
        #expect(Set(rotation.keys) == ["id", "consumer", "step", "writer", "started_at", "new_key", "hosts"])
        #expect(!text.contains("NEWKEY"), "the new key is masked")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .utcTimestamp
        #expect(try decoder.decode(FleetStatus.self, from: Data(text.utf8)) == status)

        let section = FleetStatus.Section.unreadable(prefix: "/p", error: "etcd unreachable")
        #expect(
            section.lines == [
                "fleet: /p could not be read from etcd (etcd unreachable); what is above is this host's own view "
                    + "(rotord fleet status reads the fleet alone)"
            ])
    }
}
