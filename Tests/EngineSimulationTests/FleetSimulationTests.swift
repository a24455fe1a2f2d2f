import RotordTestKit
import Testing

/// The fleet's election and fencing, simulated before they are distributed (issue 20): seeded histories of three
/// hosts against an in-memory etcd with pauses, partitions and slow networks.
@Suite struct FleetSimulationTests {
    @Test func seededHistoriesKeepTheFleetInvariants() {
        var terms = 0
        var requests = 0
        var late = 0
        var violations: [String] = []
        let histories = 200
        for seed in 1...UInt64(histories) {
            let outcome = FleetSimulation.history(seed: seed)
            terms += outcome.terms
            requests += outcome.requests
            late += outcome.late
            violations += outcome.violations.prefix(2).map { "seed \(seed): \($0)" }
        }
        print(
            "fleet simulation: \(histories) histories of 3 hosts, \(terms) leadership terms, \(requests) Fracttal "
                + "requests, \(late) late (paused between check and send, left for the sweep), 3 invariants, "
                + "\(violations.count) violations")
        #expect(violations.isEmpty, "\(violations.prefix(5).joined(separator: "\n"))")
        #expect(terms > histories, "leadership changes hands under the faults")
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
}
