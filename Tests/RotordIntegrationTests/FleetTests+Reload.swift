import Foundation
import Glibc
import RotordTestKit
import Testing

/// `rotord reload` (SIGHUP) of a fleet host (docs/fleet.md): what the host delivers changes in its membership
/// record at once, as does `cluster.pinned_keys`; any other change to `cluster:` is refused and the host keeps
/// running as before.
extension FleetTests {
    @Test func aReloadUpdatesTheMembershipAndRefusesAClusterChange() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 10), .init(name: "crm", ageDays: 10)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        try world.writeConfigs(consumers: ["etl"])
        for host in world.hosts { try world.start(host) }
        let registered = await world.eventually(within: .seconds(60)) {
            (try? await world.member("h3"))?.delivers.keys.sorted() == ["etl"]
        }
        #expect(registered, "h3 registered delivering etl: \(world.log("h3"))")
        let pid = try #require(world.pid("h3"))

        // h3 now also delivers crm: one reload, and the fleet sees it.
        try world.writeConfigs(consumers: ["etl", "crm"])
        let reload = try await world.run(["reload", "--pid", "\(pid)"], on: "h3")
        #expect(reload.status == 0, "\(reload.output)")
        #expect(try await world.member("h3")?.delivers.keys.sorted() == ["crm", "etl"], "at once, after the reload")

        // cluster.pinned_keys may change with a reload (pinning a new host must not need a restart).
        try world.writeConfigs(consumers: ["etl", "crm"], pinned: ["h3": world.hosts])
        let pinned = try await world.run(["reload", "--pid", "\(pid)"], on: "h3")
        #expect(pinned.status == 0, "pinning keys is applied by a reload: \(pinned.output)")

        // A change to cluster: (here the lease) needs a restart: refused (78), and h3 runs on as before.
        let path = world.configPath("h3")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "lease_ttl: \(FleetWorld.leaseTTL)", with: "lease_ttl: 5s")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let refused = try await world.run(["reload", "--pid", "\(pid)"], on: "h3")
        #expect(refused.status == 78 && refused.output.contains("cluster: changed"), "\(refused.output)")
        #expect(world.pid("h3") == pid && kill(pid, 0) == 0, "h3 keeps running")
        #expect(try await world.member("h3")?.delivers.keys.sorted() == ["crm", "etl"])
        print(
            "fleet reload: h3's membership lists crm after one reload; pinned keys applied by a reload; a cluster: "
                + "change is refused (78)")
    }
}
