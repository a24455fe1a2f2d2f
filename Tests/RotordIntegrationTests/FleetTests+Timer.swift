import Foundation
import RotordTestKit
import Testing

/// A fleet host on a timer (`rotord run --once`, no daemon): it registers, delivers what is sealed to it and
/// confirms; its exit status says when a rotation is held back (docs/fleet.md, docs/cli.md).
extension FleetTests {
    /// h3 runs no daemon and may not lead; h1 and h2 run `rotord run`. h3's first `run --once` registers it (exit 0,
    /// nothing in flight). The leader then seals the new pair to h3, which is down between runs: the old consumer is
    /// kept. h3's next `run --once` delivers it, but its action fails: exit 1, naming h3 as the host that holds the
    /// rotation back. Once fixed, a later `run --once` confirms the retried copy (exit 0) and the old consumer goes.
    @Test func aHostOnATimerDeliversWithRunOnceAndSaysWhatHoldsARotationBack() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        let fixed = "\(s.dir)/h3-fixed"
        let old = try #require(await s.live("etl").first)
        try world.writeConfigs(
            consumers: ["etl"], grace: "0s", actions: ["h3": "test -e \(fixed)"], notEligible: ["h3"])
        let first = try await world.run(["run", "--once"], on: "h3")
        #expect(first.status == 0 && first.stdout.contains("h3 registered"), "\(first.output)")
        try world.start("h1")
        try world.start("h2")

        var held = ""
        let failed = await world.eventually(within: .seconds(90)) {
            guard let run = try? await world.run(["run", "--once"], on: "h3") else { return false }
            held = run.output
            let h3Holds = run.stdout.split(separator: "\n").contains {
                $0.contains("h3: failed") && $0.contains("holds the old consumer back")
            }
            return run.status == 1 && h3Holds
                && world.deliveredKey("h3", "etl") != old.key
        }
        #expect(failed, "h3's run --once delivered, its action failed, exit 1 naming h3: \(held)")
        #expect(await s.live("etl").contains { $0.id == old.id }, "the old consumer is kept while h3 fails")
        #expect(!held.contains(try #require(old.secret)))

        _ = FileManager.default.createFile(atPath: fixed, contents: nil)
        var last = ""
        let confirmed = await world.eventually(within: .seconds(120)) {
            guard let run = try? await world.run(["run", "--once"], on: "h3") else { return false }
            last = "\(run.status): \(run.output)"
            guard run.status == 0 else { return false }
            return await !s.live("etl").contains { $0.id == old.id }
        }
        let leader = await world.leader() ?? "none"
        #expect(confirmed, "once fixed, a run --once confirms and the old consumer goes: \(last); \(world.log(leader))")
        #expect(await s.live("etl").count == 1)
        #expect(world.deliveredKey("h3", "etl") == (await s.live("etl").first?.key))
        print("fleet timer host: h3's run --once exited 1 while its action failed, 0 once it confirmed")
    }
}
