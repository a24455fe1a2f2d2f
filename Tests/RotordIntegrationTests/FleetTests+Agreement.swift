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
