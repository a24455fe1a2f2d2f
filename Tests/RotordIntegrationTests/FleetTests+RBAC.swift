import EtcdClient
import Foundation
import RotordTestKit
import Testing

/// The etcd RBAC set-up of docs/fleet.md ("Trust"), with real users: each host logs in as its own etcd user
/// (`cluster.etcd.auth`) whose role lets it write only its own keys (`hosts/<h>`, `alive/<h>`, `confirm/<h>/`) and
/// `requests/`, plus the leader's keys for a leader-eligible host; a rotation on three hosts finishes under it.
extension FleetTests {
    /// The roles of docs/fleet.md for the hosts of `world`: `rotord-host-<h>` for each, `rotord-leader` for the
    /// leader-eligible ones (the leader deletes a finished rotation's confirmations).
    static func rbacRoles(_ world: FleetWorld) -> [String: [EtcdCluster.Permission]] {
        let p = world.prefix
        var roles: [String: [EtcdCluster.Permission]] = [
            "rotord-leader": [.readWrite(key: p + "/leader")]
                + ["rotations", "escrow", "sealed", "accepted", "history", "answers", "confirm"].map {
                    .readWrite(prefix: "\(p)/\($0)/")
                }
        ]
        for host in world.hosts {
            roles["rotord-host-\(host)"] = [
                .read(prefix: p + "/"), .readWrite(key: "\(p)/hosts/\(host)"), .readWrite(key: "\(p)/alive/\(host)"),
                .readWrite(prefix: "\(p)/confirm/\(host)/"), .readWrite(prefix: "\(p)/requests/"),
            ]
        }
        return roles
    }

    /// A one-member etcd with authentication on, and per host a user with the documented roles: h1 and h2 may lead,
    /// h3 may not (`leader_eligible: false`, no leader role). Logged in as h3, a host can write its own confirmation
    /// range but not h1's, nor h1's membership record, nor the journal; the three hosts, each logged in as itself,
    /// rotate a consumer to the end (the old consumer deleted after every host confirmed), none refused anything.
    @Test func aFleetUnderEtcdRBACWritesOnlyItsOwnKeys() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let cluster = try await EtcdCluster.start(size: 1, arguments: ["--auth-token", "simple"])
        let root = "RootPassword-\(UUID().uuidString.prefix(8))"
        let world = try FleetWorld(scenario: s, cluster: cluster, rootPassword: root)
        defer { world.stopAll() }
        let passwords = Dictionary(
            uniqueKeysWithValues: world.hosts.map { ($0, "Password-\($0)-\(UUID().uuidString)") })
        let users = world.hosts.map { host in
            EtcdCluster.User(
                name: host, password: passwords[host] ?? "",
                roles: ["rotord-host-\(host)"] + (host == "h3" ? [] : ["rotord-leader"]))
        }
        do {
            try await cluster.enableAuthentication(rootPassword: root, roles: Self.rbacRoles(world), users: users)
            try await Self.rotateUnderRBAC(world, s, passwords: passwords)
        } catch {
            world.stopAll()
            await cluster.stop()
            throw error
        }
        world.stopAll()
        await cluster.stop()
    }

    static func rotateUnderRBAC(_ world: FleetWorld, _ s: Scenario, passwords: [String: String]) async throws {
        let p = world.prefix
        var asH3 = EtcdClient.Configuration(endpoints: world.cluster.clientURLs)
        asH3.requestTimeout = .seconds(15)
        asH3.auth = .init(user: "h3", password: passwords["h3"] ?? "")
        let h3 = EtcdClient(configuration: asH3)
        defer { Task { try? await h3.shutdown() } }
        try await h3.put("\(p)/confirm/h3/probe", "mine")
        _ = try await h3.delete("\(p)/confirm/h3/probe")
        for forged in ["\(p)/confirm/h1/probe", "\(p)/hosts/h1", "\(p)/rotations/probe"] {
            await #expect(
                performing: { try await h3.put(forged, "forged") },
                throws: { error in
                    "\(error)".contains("permission denied")
                })
        }

        let old = try #require(await s.live("etl").first)
        try world.writeConfigs(consumers: ["etl"], grace: "0s", notEligible: ["h3"], etcdPasswords: passwords)
        for host in world.hosts { try world.start(host) }
        let finished = await world.eventually(within: .seconds(120)) {
            let live = await s.live("etl")
            let done = (try? await world.client.range(p + "/history/", prefix: true).kvs.count) == 1
            return done && live.count == 1 && live[0].id != old.id
                && world.hosts.allSatisfy { world.deliveredKey($0, "etl") == live[0].key }
        }
        let leader = await world.leader() ?? "none"
        #expect(
            finished,
            "the rotation finishes under RBAC: \(world.hosts.map { "\($0): \(world.log($0))" }.joined(separator: "\n"))"
        )
        for host in world.hosts {
            #expect(!world.log(host).contains("permission denied"), "\(host) was refused nothing: \(world.log(host))")
        }
        let confirmations = try await world.client.range(p + "/confirm/", prefix: true).kvs.map(\.key)
        #expect(confirmations.isEmpty, "the leader deleted every host's confirmation at the end: \(confirmations)")
        print(
            "fleet RBAC: h3's user may write \(p)/confirm/h3/ but not h1's confirmations, h1's record or the journal; "
                + "three hosts each logged in as itself rotated etl (leader \(leader))")
    }
}
