import RotordTestKit
import Testing

/// The fleet's election and fencing, simulated before they are distributed (issue 20): seeded histories of three
/// hosts against an in-memory etcd with pauses, partitions and slow networks.
@Suite struct FleetSimulationTests {
    @Test func seededHistoriesKeepTheFleetInvariants() {
        var terms = 0
        var requests = 0
        var late = 0
        var swept = 0
        var violations: [String] = []
        let histories = 200
        for seed in 1...UInt64(histories) {
            let outcome = FleetSimulation.history(seed: seed)
            terms += outcome.terms
            requests += outcome.requests
            late += outcome.late
            swept += outcome.swept
            violations += outcome.violations.prefix(2).map { "seed \(seed): \($0)" }
        }
        print(
            "fleet simulation: \(histories) histories of 3 hosts, \(terms) leadership terms, \(requests) Fracttal "
                + "requests, \(late) late (paused between check and send), \(swept) of them removed by the sweep, "
                + "4 invariants, "
                + "\(violations.count) violations")
        #expect(violations.isEmpty, "\(violations.prefix(5).joined(separator: "\n"))")
        #expect(terms > histories, "leadership changes hands under the faults")
        #expect(swept == late, "every late create is swept")
    }

    /// A fence that assumes requests take no time (no margin, no settling): an old leader's request sent just
    /// before its lease ends lands after the next leader's first one, and the invariants see it.
    @Test func withoutTheFenceTheInvariantsBreak() {
        let broken = (1...UInt64(60)).map { FleetSimulation.history(seed: $0, margin: .zero, fenceTimeout: .zero) }
        let found = broken.filter { !$0.violations.isEmpty }
        print(
            "fleet simulation with a fence that ignores request time: \(found.count) of 60 histories break an invariant"
        )
        #expect(!found.isEmpty)
    }

    /// A marker sweep only when a leader settles into its term leaves some late creates behind (an old leader
    /// paused for longer than the lease lands its create after the new leader's first sweep): the sweep must repeat.
    @Test func aSweepOnlyAtTheStartOfATermIsNotEnough() {
        let outcomes = (1...UInt64(60)).map { FleetSimulation.history(seed: $0, sweepEvery: nil) }
        let left = outcomes.filter { $0.violations.contains { $0.hasPrefix("F4") } }
        print("fleet simulation, one sweep per term only: \(left.count) of 60 histories leave a late create")
        #expect(!left.isEmpty)
    }
}
