import Foundation
import FracttalSimulator
import Glibc
import RotordTestKit
import Testing

/// One account's request budget spent by one process (docs/fleet.md): three busy hosts on an account limited to 60
/// requests a minute make no request the server answers with 406, across a take-over.
extension FleetTests {
    /// Twenty-four due consumers on an account (the simulator) limited to 60 requests a minute, three hosts each
    /// configured with `requests_per_minute: 60`. The leader is killed after the first rotations; the next assumes
    /// its predecessor spent the whole window. Every consumer is rotated once, and the server answered no 406.
    ///
    /// The kill lands at any moment, so the killed leader may have sent a create whose answer it never journaled:
    /// the next leader finds that consumer by its marker and deletes it before it creates (docs/fleet.md). So a
    /// create more than one per consumer is allowed only when it was deleted again: in the end each consumer has one
    /// live replacement, and creates and deletes balance.
    @Test func threeBusyHostsOnA60PerMinuteAccountMakeNo406() async throws {
        let names = (1...24).map { "busy\($0)" }
        let s = try await Scenario(
            consumers: names.map { .init(name: $0, ageDays: 100) },
            configuration: SimulatorConfiguration(requestsPerMinute: 60))
        defer { s.cleanUp() }
        let seeded = Set(await s.simulator.consumers().compactMap(\.id))
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        try world.writeConfigs(consumers: names, grace: "0s", requestsPerMinute: 60)
        let began = ContinuousClock.now
        for host in world.hosts { try world.start(host) }
        func finished() async -> Int {
            (try? await world.client.range(world.prefix + "/history/", prefix: true).kvs.count) ?? 0
        }
        let some = await world.eventually(within: .seconds(120)) { await finished() >= 3 }
        #expect(some, "rotations finish")
        let first = try #require(await world.leader())
        world.kill9(first)
        let replaced = await world.eventually(within: .seconds(30)) {
            guard let leader = await world.leader() else { return false }
            return leader != first
        }
        #expect(replaced)
        try world.start(first)
        let all = await world.eventually(within: .seconds(300)) { await finished() == names.count }
        let elapsed = began.duration(to: .now)
        let statistics = await s.simulator.statistics()
        let leader = await world.leader() ?? "none"
        let count = await finished()
        #expect(all, "every consumer rotated: \(count) of \(names.count); \(world.log(leader))")
        #expect(statistics.rateLimited == 0, "no 406: \(statistics.rateLimited)")
        let discarded = statistics.created - names.count
        #expect(statistics.created - statistics.deleted == 0, "every extra create deleted: \(statistics)")
        #expect((0...names.count).contains(discarded), "no consumer created twice but for the dead leader's")
        for name in names {
            let live = await s.live(name)
            let replaced = live.count == 1 && live[0].id.map { !seeded.contains($0) } == true
            #expect(replaced, "\(name): one live replacement, \(live.count) live")
        }
        print(
            "fleet budget: 3 hosts, \(names.count) rotations on a 60/min account in \(elapsed) with a take-over "
                + "(\(first) killed): \(statistics.apiRequests) API requests, \(statistics.rateLimited) answered 406, "
                + "\(discarded) create(s) of the killed leader found by marker and deleted")
    }
}
