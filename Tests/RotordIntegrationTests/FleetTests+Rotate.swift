import Foundation
import Glibc
import RotordTestKit
import Testing

/// `rotord rotate` on any host of a fleet asks the leader through etcd and waits for its answer (docs/fleet.md).
extension FleetTests {
    /// A consumer that is not due is rotated on request from a host that does not lead: the leader does it, the
    /// command prints the leader's answer and exits 0, and every host's file holds the new pair.
    @Test func rotateOnAFollowerAsksTheLeader() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 5)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        let old = try #require(await s.live("etl").first)
        try world.writeConfigs(consumers: ["etl"], grace: "0s")
        for host in world.hosts { try world.start(host) }
        let led = await world.eventually(within: .seconds(30)) { await world.leader() != nil }
        #expect(led)
        let leader = try #require(await world.leader())
        let follower = try #require(world.hosts.first { $0 != leader })
        let result = try await world.run(["rotate", "etl"], on: follower, timeout: .seconds(200))
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("asked the fleet's leader (\(leader))"), "\(result.output)")
        #expect(result.stdout.contains("\(leader): rotation"), "\(result.output)")
        let rotated = await world.eventually(within: .seconds(60)) {
            let live = await s.live("etl")
            return live.count == 1 && live[0].id != old.id
                && world.hosts.allSatisfy { world.deliveredKey($0, "etl") == live[0].key }
        }
        #expect(rotated, "the leader rotated etl: \(world.log(leader))")
        await IdentityTests.noSecret(s, result.output)
        print(
            "fleet rotate: asked on \(follower), done by \(leader): \(result.stdout.split(separator: "\n").last ?? "")")
    }
}

extension FleetTests {
    /// h2's action always fails, so the rotation is unconfirmed and the old consumer kept; an operator on h1 accepts
    /// the rotation without h2 (`rotate NAME --accept-unconfirmed --host h2`): the leader records it, drives the
    /// rotation on, and the old consumer goes.
    @Test func acceptingOneHostLetsTheRotationFinish() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        let old = try #require(await s.live("etl").first)
        try world.writeConfigs(consumers: ["etl"], grace: "0s", actions: ["h2": "exit 1"])
        for host in world.hosts { try world.start(host) }
        let unconfirmed = await world.eventually(within: .seconds(60)) {
            guard let leader = await world.leader() else { return false }
            return world.log(leader).contains("h2: ")
        }
        #expect(unconfirmed, "unconfirmed because of h2")
        let usage = try await world.run(["rotate", "etl", "--host", "h2"], on: "h1")
        #expect(usage.status == 64, "--host needs --accept-unconfirmed: \(usage.output)")
        let result = try await world.run(
            ["rotate", "etl", "--accept-unconfirmed", "--host", "h2"], on: "h1", timeout: .seconds(200))
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("no longer waits for h2"), "\(result.output)")
        let retired = await world.eventually(within: .seconds(60)) {
            await !s.live("etl").contains { $0.id == old.id }
        }
        let leader = await world.leader() ?? "none"
        #expect(retired, "the old consumer goes without h2's confirmation: \(world.log(leader))")
        print("fleet accept: rotation accepted without h2 from h1; old consumer retired by \(leader)")
    }
}
