import EtcdClient
import Foundation
import Glibc
import RotordTestKit
import Testing

/// A leader paused (SIGSTOP) past its lease, and a leader cut from etcd that still reaches Fracttal (docs/fleet.md,
/// the failure table): another host takes over and finishes the rotation, and the old leader makes no Fracttal
/// request and no journal write once it no longer leads.
extension FleetTests {
    /// How a test takes the leader out: pause it, or cut it from etcd.
    enum LeaderFault: String, CaseIterable, Sendable {
        case paused, cutFromEtcd
    }

    /// The leader waits for h3's confirmation (h3's action waits for a flag) when it is paused with SIGSTOP, or cut
    /// from every etcd member by its proxies while its Fracttal proxy still passes. Another host leads; the old
    /// leader is resumed (or healed) and the flag set; the new leader finishes. From the moment the new leader took
    /// over, the old leader's Fracttal bytes do not move and no journal write is its own.
    ///
    /// Both faults run at once, each with its own simulator, hosts and prefix (each take-over waits a whole rate-limit
    /// window before its first request).
    @Test func aLeaderPausedOrCutFromEtcdWritesNothingOnceReplaced() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for fault in LeaderFault.allCases { group.addTask { try await Self.replaceTheLeader(fault) } }
        }
    }

    static func replaceTheLeader(_ fault: LeaderFault) async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        try await world.addProxies()
        let flag = "\(s.dir)/h3-may-confirm"
        let old = try #require(await s.live("etl").first)
        try world.writeConfigs(
            consumers: ["etl"], grace: "0s",
            actions: ["h3": "for i in $(seq 1 900); do [ -e \(flag) ] && exit 0; sleep 0.1; done; exit 1"])
        for host in world.hosts { try world.start(host) }
        // Reloaded first (SIGHUP): a reload rebuilds the Fracttal client, which must keep the fleet's fence (the
        // chaos run found a reloaded leader without it).
        _ = await world.eventually(within: .seconds(30)) { await world.leader() != nil }
        for host in world.hosts { world.signal(host, SIGHUP) }
        let reloaded = await world.eventually(within: .seconds(30)) {
            world.hosts.allSatisfy { world.log($0).contains("configuration reloaded") }
        }
        #expect(reloaded, "every host reloaded")
        let published = await world.eventually(within: .seconds(60)) {
            world.hosts.allSatisfy { world.deliveredKey($0, "etl").map { $0 != old.key } ?? false }
        }
        #expect(published, "published on every host")
        let first = try #require(await world.leader())

        switch fault {
        case .paused: world.signal(first, SIGSTOP)
        case .cutFromEtcd: world.cutEtcd(first)
        }
        let replaced = await world.eventually(within: .seconds(30)) {
            guard let leader = await world.leader() else { return false }
            return leader != first
        }
        #expect(replaced, "another host leads once \(first)'s lease ended")
        let takenOver = try await world.revision()
        let bytesAtTakeOver = world.fracttalBytes(first)
        // Resumed (healed) while the new leader works: the old leader finds its lease gone and stays quiet. (The old
        // leader also delivers the consumer: cut from etcd, it could not confirm, which rightly holds the old consumer.)
        switch fault {
        case .paused: world.signal(first, SIGCONT)
        case .cutFromEtcd: world.healEtcd(first)
        }
        _ = FileManager.default.createFile(atPath: flag, contents: nil)
        let retired = await world.eventually(within: .seconds(120)) {
            await !s.live("etl").contains { $0.id == old.id }
        }
        let second = await world.leader() ?? "none"
        #expect(retired, "the new leader \(second) finishes the rotation: \(world.log(second))")
        try await Task.sleep(for: .seconds(3))
        #expect(
            world.fracttalBytes(first) == bytesAtTakeOver,
            "no Fracttal request from \(first) after it was replaced: \(world.log(first))")
        let writers = try await world.journalWriters(after: takenOver)
        #expect(!writers.isEmpty && !writers.contains(first), "journal writes after the take-over: \(writers)")
        #expect(await s.live("etl").count == 1, "one replacement")
        #expect((await s.simulator.statistics()).created == 1, "no second create")
        await world.stopProxies()
        print(
            "fleet \(fault.rawValue): \(first) replaced by \(second); after that \(first) sent 0 Fracttal bytes and "
                + "made 0 of \(writers.count) journal writes")
    }
}

/// One live etcd member partitioned from its peers (issue 20; docs/fleet.md, the failure table): the member every
/// host lists first keeps answering its clients but has no leader; the hosts fail over to the majority.
extension FleetTests {
    /// m0, every host's first endpoint, is cut from m1 and m2 (``EtcdCluster/partition(member:)``: each member in its
    /// own network namespace) while the leader waits for h3's confirmation, for longer than the lease TTL. The hosts
    /// fail over: the leader keeps its lease or another host takes over, h3 confirms, the old consumer goes, with one
    /// create and one delete, and every host's file holds the live replacement. No host exits.
    @Test func anEtcdMemberCutFromItsPeersDoesNotStopTheFleet() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let cluster = try FleetClusterScope.cluster()
        let world = try FleetWorld(scenario: s, cluster: cluster)
        defer { world.stopAll() }
        let flag = "\(s.dir)/h3-may-confirm"
        let old = try #require(await s.live("etl").first)
        try world.writeConfigs(
            consumers: ["etl"], grace: "0s",
            actions: ["h3": "for i in $(seq 1 1200); do [ -e \(flag) ] && exit 0; sleep 0.1; done; exit 1"])
        for host in world.hosts { try world.start(host) }
        let published = await world.eventually(within: .seconds(90)) {
            ["h1", "h2"].allSatisfy { world.deliveredKey($0, "etl").map { $0 != old.key } ?? false }
        }
        #expect(published, "published on h1 and h2")
        let first = try #require(await world.leader())

        try cluster.partition(member: 0)
        defer { try? cluster.heal(member: 0) }
        let clock = ContinuousClock()
        let cut = clock.now
        // m0 really is alone: a linearizable read through it alone fails once it has lost the raft leader.
        let alone = EtcdClient(configuration: .init(endpoints: [cluster.clientURLs[0]]))
        defer { Task { try? await alone.shutdown() } }
        let leaderless = await world.eventually(within: .seconds(10)) {
            (try? await alone.range(world.prefix + "/leader")) == nil
        }
        #expect(leaderless, "m0 answers no linearizable read while cut")
        try await Task.sleep(for: .seconds(2))
        _ = FileManager.default.createFile(atPath: flag, contents: nil)
        let retired = await world.eventually(within: .seconds(150)) {
            await !s.live("etl").contains { $0.id == old.id }
        }
        let took = cut.duration(to: clock.now)
        let leader = await world.leader() ?? "none"
        #expect(retired, "the old consumer goes while m0 is cut: \(world.log(leader))")
        // Held for longer than the lease TTL (6 s) in all.
        try await Task.sleep(for: .seconds(3))
        try cluster.heal(member: 0)

        let live = await s.live("etl")
        #expect(live.count == 1 && live[0].id != old.id, "one live replacement")
        let delivered = await world.eventually(within: .seconds(30)) {
            world.hosts.allSatisfy { world.deliveredKey($0, "etl") == live.first?.key }
        }
        #expect(delivered, "every host's file holds the replacement")
        let statistics = await s.simulator.statistics()
        #expect(statistics.created == 1 && statistics.deleted == 1, "\(statistics)")
        #expect(world.ended().isEmpty, "no host exited: \(world.ended())")
        print(
            "fleet etcd partition: m0 (every host's first endpoint) cut from its peers; leader \(first) before, "
                + "\(leader) after; old consumer retired \(took) after the cut, \(statistics.created) create(s)")
    }
}
