import Foundation
import RotordTestKit
import Testing

/// Pinned host keys (`cluster.pinned_keys`; docs/fleet.md, "Trust"): a host registered in etcd whose key the
/// leaders do not pin is never sealed a secret, and holds the old consumer back loudly until an operator acts.
extension FleetTests {
    /// h1, h2 and h3 pin each other's keys. h9, which anyone who can write etcd could run, registers as a member that
    /// delivers etl (a real `rotord run`, not leader-eligible, with a key of its own). The leader seals the new pair
    /// to h1, h2 and h3 only, logs an error naming h9, and keeps the old consumer: h9 "failed", not pinned. No key
    /// under `sealed/` or `escrow/` ever names h9 (every revision, replayed from revision 1), and h9's file is never
    /// written; `rotord fleet status` warns of it (exit 1). Once h9 is down and forgotten (`rotord fleet forget h9`),
    /// the old consumer goes.
    @Test func aHostWhoseKeyIsNotPinnedIsNeverSealedAPair() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let world = try FleetWorld(
            scenario: s, cluster: try FleetClusterScope.cluster(), hosts: ["h1", "h2", "h3", "h9"])
        defer { world.stopAll() }
        let old = try #require(await s.live("etl").first)
        let fleet = ["h1", "h2", "h3"]
        try world.writeConfigs(
            consumers: ["etl"], grace: "0s", notEligible: ["h9"],
            pinned: ["h1": fleet, "h2": fleet, "h3": fleet, "h9": fleet + ["h9"]])
        for host in world.hosts { try world.start(host) }

        let refused = await world.eventually(within: .seconds(90)) {
            guard let leader = await world.leader() else { return false }
            return world.log(leader).contains("h9 is not sealed the new pair of etl")
        }
        let leader = await world.leader() ?? "none"
        #expect(refused, "the leader names h9: \(world.log(leader))")
        let delivered = await world.eventually(within: .seconds(60)) {
            fleet.allSatisfy { world.deliveredKey($0, "etl").map { $0 != old.key } ?? false }
        }
        #expect(delivered, "h1, h2 and h3 have the new pair")
        let held = await world.eventually(within: .seconds(60)) {
            world.log(leader).contains("h9: not sealed a pair: its key is not pinned")
        }
        #expect(held, "the rotation waits for h9, saying why: \(world.log(leader))")
        #expect(await s.live("etl").contains { $0.id == old.id }, "the old consumer is kept while h9 is a member")
        #expect(world.deliveredKey("h9", "etl") == nil, "h9's file is never written")

        let status = try await Self.rotord(["fleet", "status"], as: "h1", in: world)
        #expect(
            status.status == 1 && status.stdout.contains("h9 is never sealed a pair")
                && status.stdout.contains("h9: failed: not sealed a pair: its key is not pinned"),
            "fleet status says so, in the rotation's line as the leader decides it: \(status.output)")

        world.kill9("h9")
        // Its liveness key goes with its lease (the TTL); `fleet forget` refuses an alive host.
        var forgot = try await Self.rotord(["fleet", "forget", "h9"], as: "h1", in: world)
        for _ in 0..<30 where forgot.status != 0 {
            try await Task.sleep(for: .seconds(1))
            forgot = try await Self.rotord(["fleet", "forget", "h9"], as: "h1", in: world)
        }
        #expect(forgot.status == 0, "\(forgot.output)")
        let retired = await world.eventually(within: .seconds(120)) {
            await !s.live("etl").contains { $0.id == old.id }
        }
        #expect(retired, "forgotten, h9 no longer holds the old consumer: \(world.log(leader))")

        let everWritten = try await world.keysWritten()
        let sealedToH9 = everWritten.filter {
            ($0.contains("/sealed/") || $0.contains("/escrow/")) && $0.hasSuffix("/h9")
        }
        let sealedToOthers = everWritten.filter { $0.contains("/sealed/") }
        #expect(sealedToH9.isEmpty && !sealedToOthers.isEmpty, "\(sealedToH9)")
        print(
            "fleet pinned keys: h9 (not pinned) registered and never sealed a pair (\(sealedToOthers.count) sealed "
                + "copies written, none to h9); the old consumer kept until h9 was forgotten, then retired")
    }
}
