import Foundation
import RotordTestKit
import Testing

/// The fleet's chaos run (issue 20; ``FleetChaos``): kills, pauses and partitions of hosts and of one etcd member,
/// then the engine simulation's invariants: no orphan after the marker sweep, no outage, no secret in etcd in any
/// revision, each host's files working.
extension FleetTests {
    /// A short run by default (6 rounds, a few minutes: each take-over waits a whole rate-limit window);
    /// `ROTORD_FLEET_CHAOS_ROUNDS` and `ROTORD_FLEET_CHAOS_SEED` choose another (scripts/fleet-chaos.sh). A failure
    /// names its seed: the same seed replays the same faults.
    @Test func aChaosRunKeepsTheFleetsInvariants() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = try environment["ROTORD_FLEET_CHAOS_SEED"].map {
            try #require(UInt64($0), "ROTORD_FLEET_CHAOS_SEED must be a whole number: \($0)")
        }
        let rounds = try environment["ROTORD_FLEET_CHAOS_ROUNDS"].map {
            try #require(Int($0), "ROTORD_FLEET_CHAOS_ROUNDS must be a whole number: \($0)")
        }
        let s = try await Scenario(consumers: FleetChaos.consumers.map { .init(name: $0, ageDays: 100) })
        defer { s.cleanUp() }
        let cluster = try FleetClusterScope.cluster()
        let world = try FleetWorld(scenario: s, cluster: cluster)
        defer { world.stopAll() }
        let report = try await FleetChaos.run(
            seed: seed ?? FleetChaos.defaultSeed, rounds: rounds ?? 6, world: world, scenario: s, cluster: cluster)
        for note in report.notes { print("fleet chaos: \(note)") }
        print(report.summary)
        #expect(report.violations.isEmpty, "\(report.replay): \(report.violations.joined(separator: "; "))")
    }
}
