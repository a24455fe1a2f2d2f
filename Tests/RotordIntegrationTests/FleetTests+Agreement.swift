import Foundation
import Glibc
import RotordTestKit
import Testing

/// Configuration agreement across the fleet (docs/fleet.md): hosts that configure one consumer with different
/// policies are refused, naming both hosts, until they agree.
extension FleetTests {
    /// h2 configures the due consumer with another `max_age`: the leader does not rotate it and names h2 and the
    /// other host; once h2 agrees (its configuration fixed, rotord restarted), the rotation happens.
    @Test func hostsThatDisagreeOnAPolicyAreRefusedUntilTheyAgree() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        let old = try #require(await s.live("etl").first)
        try world.writeConfigs(consumers: ["etl"], grace: "0s", resync: "2s")
        let agreed = try String(contentsOfFile: world.configPath("h2"), encoding: .utf8)
        try agreed.replacingOccurrences(of: "max_age: 90d", with: "max_age: 60d").write(
            toFile: world.configPath("h2"), atomically: true, encoding: .utf8)
        for host in world.hosts { try world.start(host) }
        let refused = await world.eventually(within: .seconds(60)) {
            guard let leader = await world.leader() else { return false }
            return world.log(leader).contains("etl is configured with different policies on")
        }
        let leader = await world.leader() ?? "none"
        #expect(refused, "the leader names the disagreement: \(world.log(leader))")
        #expect(world.log(leader).contains("h2"), "h2 is named")
        #expect(await s.live("etl").map(\.id) == [old.id], "nothing rotated while the hosts disagree")

        try agreed.write(toFile: world.configPath("h2"), atomically: true, encoding: .utf8)
        world.kill9("h2")
        try world.start("h2")
        let rotated = await world.eventually(within: .seconds(120)) {
            let live = await s.live("etl")
            return live.count == 1 && live[0].id != old.id
        }
        #expect(rotated, "rotated once the hosts agree: \(world.log(leader))")
        print("fleet agreement: etl refused while h2 disagreed, rotated once it agreed")
    }
}

/// Turning `cluster:` on.
extension FleetTests {
    /// A host whose state directory holds a rotation started alone (before `cluster:`; here left at `created` by a
    /// crash) refuses to start in the fleet (78), naming the rotation, instead of leaving its replacement behind.
    @Test func turningTheFleetOnWithALocalRotationInFlightIsRefused() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        try world.writeConfigs(consumers: ["etl"])
        let fleetConfig = try String(contentsOfFile: world.configPath("h1"), encoding: .utf8)
        let alone = fleetConfig.replacingOccurrences(
            of: #"cluster:(\n  .*|\n    .*)*"#, with: "", options: .regularExpression)
        #expect(!alone.contains("cluster:") && alone.contains("consumers:"), "\(alone)")
        let aloneConfig = world.directory("h1") + "/alone.yaml"
        try alone.write(toFile: aloneConfig, atomically: true, encoding: .utf8)
        let crashed = try await world.run(
            ["run", "--once"], on: "h1", config: aloneConfig, faults: ["ROTORD_CRASH_AT": "step:created"])
        #expect(crashed.status == 128 + SIGKILL, "\(crashed.output)")

        let refused = try await world.run(["run"], on: "h1", timeout: .seconds(30))
        #expect(refused.status == 78, "\(refused.output)")
        #expect(
            refused.output.contains("holds rotations started before cluster: was turned on: etl ("), "\(refused.output)"
        )
        #expect(refused.output.contains("rotord fleet import"), "\(refused.output)")
        await IdentityTests.noSecret(s, refused.output)
    }
}

/// Membership during a rotation.
extension FleetTests {
    /// h3 joins while the leader waits for h2's confirmation (h2's action waits for a flag): h3 delivers the
    /// consumer, so it is sealed a copy, publishes and confirms, and the old consumer goes only after every host,
    /// h3 included, holds the new pair.
    @Test func aHostThatJoinsDuringARotationMustConfirmToo() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        let flag = "\(s.dir)/h2-may-confirm"
        let old = try #require(await s.live("etl").first)
        try world.writeConfigs(
            consumers: ["etl"], grace: "0s",
            actions: ["h2": "for i in $(seq 1 900); do [ -e \(flag) ] && exit 0; sleep 0.1; done; exit 1"])
        try world.start("h1")
        try world.start("h2")
        let waiting = await world.eventually(within: .seconds(60)) {
            ["h1", "h2"].allSatisfy { world.deliveredKey($0, "etl").map { $0 != old.key } ?? false }
        }
        #expect(waiting, "published on h1 and h2")
        try world.start("h3")
        let joined = await world.eventually(within: .seconds(30)) {
            world.deliveredKey("h3", "etl").map { $0 != old.key } ?? false
        }
        #expect(joined, "the joining host is sealed a copy and publishes it")
        #expect(await s.live("etl").contains { $0.id == old.id }, "the old consumer is kept")
        _ = FileManager.default.createFile(atPath: flag, contents: nil)
        let retired = await world.eventually(within: .seconds(60)) {
            await !s.live("etl").contains { $0.id == old.id }
        }
        let leader = await world.leader() ?? "none"
        #expect(retired, "retired once h2 and the joiner confirmed: \(world.log(leader))")
        let live = try #require(await s.live("etl").first)
        #expect(world.hosts.allSatisfy { world.deliveredKey($0, "etl") == live.key })
        print("fleet join: h3 joined during the rotation, was sealed a copy and confirmed before the old consumer went")
    }
}

/// A host that may never lead.
extension FleetTests {
    /// h3 has `leader_eligible: false` and no admin pair at all (its admin files do not exist): it starts, never
    /// leads, `check-config` says it is valid without contacting Fracttal, and it receives and confirms the rotation.
    @Test func aHostThatMayNotLeadNeedsNoAdminPair() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        let old = try #require(await s.live("etl").first)
        try world.writeConfigs(consumers: ["etl"], grace: "0s", notEligible: ["h3"])
        let check = try await world.run(["check-config"], on: "h3")
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("Fracttal not contacted: this host is not leader-eligible"), "\(check.output)")
        try world.start("h3")
        try await Task.sleep(for: .seconds(3))
        #expect(await world.leader() == nil, "h3 never campaigns")
        try world.start("h1")
        try world.start("h2")
        let rotated = await world.eventually(within: .seconds(60)) {
            let live = await s.live("etl")
            return live.count == 1 && live[0].id != old.id
                && world.hosts.allSatisfy { world.deliveredKey($0, "etl") == live[0].key }
        }
        #expect(rotated, "rotated and delivered to h3 too: \(world.log("h3"))")
        #expect(await world.leader() != "h3")
        print("fleet eligibility: h3 (leader_eligible: false, no admin pair) received and confirmed the rotation")
    }
}
