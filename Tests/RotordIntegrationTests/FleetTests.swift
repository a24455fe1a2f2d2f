import EtcdClient
import Foundation
import FracttalSimulator
import Glibc
import RotordCore
import RotordTestKit
import Testing

/// The fleet with real processes (issue 20; docs/fleet.md): a real 3-member etcd started by pid, the simulator, and
/// three release `rotord run` hosts, each with its own state, deliver directory and key. Serialized: one cluster for
/// the suite, the hosts of one test at a time.
@Suite(.serialized, FleetClusterScope())
struct FleetTests {
    /// One rotation delivered to three hosts: the old consumer is deleted only after the third host confirms (its
    /// action waits for a flag file the test creates), one replacement is created, each host's file holds it, and no
    /// secret is in etcd. h1's file held the old pair: its action prints the old secret and the new one, and both
    /// are masked in its log, as on a single host.
    @Test func oneRotationReachesThreeHostsAndRetiresTheOldConsumerAfterTheThird() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        let flag = "\(s.dir)/h3-may-confirm"
        let old = try #require(await s.live("etl").first)
        let oldKey = try #require(old.key)
        let oldSecret = try #require(old.secret)
        let h1File = world.envFile("h1", "etl")
        for (path, text) in [
            (h1File, "FRACTTAL_CLIENT_ID=\(oldKey)\nFRACTTAL_CLIENT_SECRET=\(oldSecret)\n"),
            ("\(s.dir)/old-secret", oldSecret + "\n"),
        ] {
            #expect(
                FileManager.default.createFile(
                    atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
        }
        try world.writeConfigs(
            consumers: ["etl"],
            actions: [
                "h1": "echo old: $(cat \(s.dir)/old-secret) new: $(sed -n s/^FRACTTAL_CLIENT_SECRET=//p \(h1File))",
                "h3": "for i in $(seq 1 600); do [ -e \(flag) ] && exit 0; sleep 0.1; done; exit 1",
            ])
        for host in world.hosts { try world.start(host) }

        let delivered = await world.eventually(within: .seconds(60)) {
            world.hosts.allSatisfy { world.deliveredKey($0, "etl").map { $0 != old.key } ?? false }
        }
        #expect(delivered, "every host's file holds the new key: \(world.hosts.map { world.log($0) })")
        let keys = Set(world.hosts.compactMap { world.deliveredKey($0, "etl") })
        #expect(keys.count == 1, "the three hosts hold one and the same new key")
        // h3 has published but not confirmed: the old consumer stays, for longer than the grace.
        try await Task.sleep(for: .seconds(4))
        #expect(await s.live("etl").contains { $0.id == old.id }, "the old consumer is kept until h3 confirms")
        _ = FileManager.default.createFile(atPath: flag, contents: nil)
        let retired = await world.eventually(within: .seconds(60)) {
            await !s.live("etl").contains { $0.id == old.id }
        }
        let leader = await world.leader() ?? "none"
        #expect(retired, "the old consumer is deleted once h3 confirmed; leader \(leader): \(world.log(leader))")
        let live = await s.live("etl")
        #expect(live.count == 1, "one replacement, no second create: \(live.map(\.id))")
        #expect(live.first?.key == keys.first, "the live consumer is the delivered one")
        let values = try await world.etcdValues()
        for secret in await s.allSecrets() {
            #expect(!values.contains { $0.contains(secret) }, "no secret in etcd in clear")
            #expect(!world.hosts.contains { world.log($0).contains(secret) }, "no secret in any host's log")
        }
        #expect(!world.hosts.contains { world.log($0).contains(oldSecret) }, "nor the old consumer's secret")
        let newSecret = try #require(s.pair(in: h1File)?.secret)
        let printed = "old: \(oldSecret.prefix(4))… new: \(newSecret.prefix(4))…"
        #expect(world.log("h1").contains(printed), "h1's action output, both secrets masked: \(world.log("h1"))")
        // A host that did not lead reports the rotation whole, from the fleet's journal in etcd.
        let follower = world.hosts.first { $0 != leader } ?? "h1"
        let report = try await world.run(["report", "--format", "json"], on: follower)
        #expect(report.status == 0, "\(report.output)")
        let parsed = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [[String: Any]]
        let rotations = parsed?.first?["rotations"] as? [[String: Any]] ?? []
        #expect(rotations.count == 1, "\(report.output)")
        for field in ["created_at", "verified_at", "published_at", "old_deleted_at", "finished_at"] {
            #expect(rotations.first?[field] is String, "\(field) in \(follower)'s report: \(report.stdout)")
        }
        #expect(rotations.first?["result"] as? String == "done" && parsed?.first?["within_policy"] as? Bool == true)
        #expect(rotations.first?["new_key"] as? String == keys.first.map { "\($0.prefix(4))…" })
        print(
            "fleet: one rotation on 3 hosts, leader \(leader), old consumer deleted after h3 confirmed; "
                + "\(follower)'s report shows it")
    }

    /// One host's failing action keeps the old consumer, loudly (the leader names the host), until it is fixed; then
    /// the retry seals again to that host, it confirms, and the old consumer goes.
    @Test func aFailingActionOnOneHostKeepsTheOldConsumerUntilFixed() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        let fixed = "\(s.dir)/h2-fixed"
        let old = try #require(await s.live("etl").first)
        try world.writeConfigs(consumers: ["etl"], grace: "0s", actions: ["h2": "test -e \(fixed)"])
        for host in world.hosts { try world.start(host) }

        let loud = await world.eventually(within: .seconds(60)) {
            guard let leader = await world.leader() else { return false }
            return world.log(leader).contains("h2: ")
        }
        let leader = await world.leader() ?? "none"
        #expect(loud, "the leader names h2: \(world.log(leader))")
        let metric = await world.eventually(within: .seconds(30)) {
            world.metrics(leader).contains("rotord_fleet_blocking_hosts{consumer=\"etl\"} 1")
        }
        #expect(metric, "the leader's metrics say one host holds etl back: \(world.metrics(leader))")
        try await Task.sleep(for: .seconds(2))
        #expect(await s.live("etl").contains { $0.id == old.id }, "the old consumer is kept while h2 fails")
        _ = FileManager.default.createFile(atPath: fixed, contents: nil)
        let retired = await world.eventually(within: .seconds(90)) {
            await !s.live("etl").contains { $0.id == old.id }
        }
        #expect(retired, "once fixed, the retry confirms h2 and the old consumer goes: \(world.log(leader))")
        #expect(await s.live("etl").count == 1)
        #expect(world.hosts.allSatisfy { world.deliveredKey($0, "etl") != old.key })
    }
}

/// `kill -9` of the leader after each step of a rotation: another host finishes it.
extension FleetTests {
    /// Where the leader is killed: each step as soon as it is journaled, and right after each effect.
    static let crashPoints = [
        "step:creating", "after:create", "step:created", "after:verify", "step:verified", "step:published",
        "step:grace", "step:retiring", "after:delete-old",
    ]

    /// The leader (every host runs `rotord-faults`; the first to reach the point, the leader, kills itself there) is
    /// killed with SIGKILL; once another host leads, the killed one restarts (as systemd would). The rotation ends
    /// with one live replacement on every host's files, the old consumer deleted, no orphan and no second create
    /// (after `after:create`, the consumer the dead leader made is found by its marker and deleted first), finished
    /// by a host other than the one killed.
    ///
    /// The points run five at a time, each with its own simulator, hosts and prefix on the suite's etcd: each take-over
    /// waits a whole rate-limit window before its first request (docs/fleet.md), so one after the other they would
    /// take twelve minutes.
    @Test func theLeaderKilledAtAnyStepIsReplacedAndTheRotationFinishes() async throws {
        for chunk in stride(from: 0, to: Self.crashPoints.count, by: 5) {
            try await withThrowingDiscardingTaskGroup { group in
                for point in Self.crashPoints[chunk..<min(chunk + 5, Self.crashPoints.count)] {
                    group.addTask { try await Self.killTheLeader(at: point) }
                }
            }
        }
    }

    static func killTheLeader(at point: String) async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        let old = try #require(await s.live("etl").first)
        try world.writeConfigs(consumers: ["etl"], grace: "0s")
        let faults = ["ROTORD_CRASH_AT": point, "ROTORD_FAULT_ONCE_FILE": "\(s.dir)/crashed-once"]
        for host in world.hosts { try world.start(host, faults: faults) }

        // Loose: five of these fleets start at once, beside the other suites (CI once took over 60 s here).
        let crashed = await world.eventually(within: .seconds(180)) { !world.ended().isEmpty }
        let killed = try #require(
            world.ended().first?.key,
            "a leader reached \(point): \(world.hosts.map { "\($0): \(world.log($0).suffix(3000))" }.joined(separator: "\n"))"
        )
        #expect(crashed && world.ended()[killed] == "signal 9", "\(world.ended())")
        let handedOver = await world.eventually(within: .seconds(30)) {
            guard let leader = await world.leader() else { return false }
            return leader != killed
        }
        #expect(handedOver, "another host leads after the kill")
        try world.start(killed, faults: faults)

        let finished = await world.eventually(within: .seconds(180)) {
            let live = await s.live("etl")
            let done = (try? await world.client.range(world.prefix + "/history/", prefix: true).kvs.count) == 1
            return done && live.count == 1 && live[0].id != old.id
                && world.hosts.allSatisfy { world.deliveredKey($0, "etl") == live[0].key }
        }
        let leader = await world.leader() ?? "none"
        #expect(finished, "finished after \(point): \(world.log(leader))")
        let statistics = await s.simulator.statistics()
        let discarded = point == "after:create" ? 1 : 0
        #expect(statistics.created == 1 + discarded, "no second create (\(statistics.created) created)")
        #expect(statistics.deleted == 1 + discarded, "the old consumer and any orphan deleted")
        let history = try await world.client.range(world.prefix + "/history/", prefix: true).kvs
        #expect(history.count == 1 && !history[0].string.contains("\"leader\":\"\(killed)\""), "finished by another")
        print("fleet kill -9 at \(point): \(killed) killed, finished by \(leader), \(statistics.created) created")
    }
}

/// One real 3-member etcd for the fleet suite, stopped (by pid, data removed) when the suite ends.
struct FleetClusterScope: SuiteTrait, TestScoping {
    @TaskLocal static var current: EtcdCluster?

    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await EtcdCluster.withCluster(partitionable: true, label: "fleet etcd") { cluster in
            try await Self.$current.withValue(cluster) { try await function() }
        }
    }

    static func cluster() throws -> EtcdCluster {
        try #require(current, "the suite needs FleetClusterScope")
    }
}

/// The leaders' marker sweep, with real processes.
extension FleetTests {
    /// A create that lands after its leader lost the fleet (what a leader paused between its fence's check and the
    /// send leaves; the test adds it to the simulator as such a create would) carries a finished rotation's marker
    /// but is not its replacement: the leader's next pass deletes it, and the replacement stays.
    @Test func aCreateThatLandsLateIsDeletedByTheNextSweep() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        let old = try #require(await s.live("etl").first)
        try world.writeConfigs(consumers: ["etl"], grace: "0s", resync: "2s")
        for host in world.hosts { try world.start(host) }
        let rotated = await world.eventually(within: .seconds(60)) {
            let live = await s.live("etl")
            return live.count == 1 && live[0].id != old.id
        }
        #expect(rotated)
        let replacement = try #require(await s.live("etl").first)
        let rotation = try #require(RotationMarker.rotationID(in: replacement.description))
        var late = SimulatorSeed.Consumer(name: "etl", permissionGroupId: 3)
        late.description = "[rotord:\(rotation)] etl"
        let landed = await s.simulator.add(late)
        let swept = await world.eventually(within: .seconds(30)) {
            await !s.live("etl").contains { $0.id == landed.id }
        }
        let leader = await world.leader() ?? "none"
        #expect(swept, "the late create is deleted by the sweep: \(world.log(leader))")
        #expect(await s.live("etl").map(\.id) == [replacement.id], "the replacement stays")
        print("fleet sweep: a late create of rotation \(rotation) deleted by \(leader)'s next pass; 0 orphans")
    }
}
