import Foundation
import RotordCore

/// Many simulated histories, in parallel, with a summary line: what `scripts/simulate.sh`, `scripts/test.sh`
/// and the test suite run (docs/architecture.md, "Simulation").
package enum SimulationRun {
    /// How many histories to run and how.
    package struct Options: Sendable {
        /// At most this many histories.
        package var histories: Int
        /// At most this long, in seconds (`nil`: no limit).
        package var seconds: Double?
        /// The first seed; histories use consecutive seeds from it.
        package var firstSeed: UInt64
        /// Replay only this seed.
        package var replay: UInt64?
        /// Steps per history (at least 50 in the suite).
        package var steps: Int
        /// Histories run at once.
        package var jobs: Int

        /// Creates options.
        package init(
            histories: Int, seconds: Double? = nil, firstSeed: UInt64 = 1, replay: UInt64? = nil, steps: Int = 60,
            jobs: Int = 2
        ) {
            self.histories = histories
            self.seconds = seconds
            self.firstSeed = firstSeed
            self.replay = replay
            self.steps = steps
            self.jobs = max(jobs, 1)
        }
    }

    /// What a run found.
    package struct Summary: Sendable {
        /// Histories run.
        package var histories = 0
        /// Steps run (not counting the settling passes).
        package var steps = 0
        /// Engine passes, settling included.
        package var passes = 0
        /// Invariant violations found.
        package var violations = 0
        /// The seeds that broke an invariant.
        package var failingSeeds: [UInt64] = []
        /// Wall time.
        package var elapsed: Double = 0

        /// `simulation: N histories, M steps, 8 invariants, V violations` (and the passes and time).
        package var line: String {
            "simulation: \(histories) histories, \(steps) steps, \(EngineSimulation.invariants.count) invariants, "
                + "\(violations) violations (\(passes) passes in \(String(format: "%.1f", elapsed)) s)"
        }
    }

    /// Runs the histories; `report` gets a report for each failing one (seed, violations, shortest reproduction).
    package static func run(_ options: Options, report: @escaping @Sendable (String) -> Void) async -> Summary {
        let started = ContinuousClock.now
        let deadline = options.seconds.map { started.advanced(by: .milliseconds(Int64($0 * 1000))) }
        let total = options.replay == nil ? options.histories : 1
        func seed(_ index: Int) -> UInt64 { options.replay ?? options.firstSeed &+ UInt64(index) }
        var summary = Summary()
        await withTaskGroup(of: EngineSimulation.Outcome?.self) { group in
            var next = 0
            func launch() {
                guard next < total else { return }
                if let deadline, ContinuousClock.now >= deadline { return }
                let seed = seed(next)
                next += 1
                let steps = options.steps
                group.addTask {
                    await EngineSimulation.history(
                        seed: seed, steps: EngineSimulation.steps(seed: seed, count: steps),
                        admin: EngineSimulation.rotatesAdmin(seed: seed))
                }
            }
            for _ in 0..<options.jobs { launch() }
            while let outcome = await group.next() {
                guard let outcome else { continue }
                summary.histories += 1
                summary.steps += outcome.steps.count
                summary.passes += outcome.passes
                if !outcome.violations.isEmpty {
                    summary.violations += outcome.violations.count
                    summary.failingSeeds.append(outcome.seed)
                    let shrunk = options.replay == nil ? await EngineSimulation.shrink(outcome) : outcome.steps
                    report(EngineSimulation.report(outcome, shrunk: shrunk))
                }
                launch()
            }
        }
        summary.elapsed = Backoff.seconds(ContinuousClock.now - started)
        return summary
    }
}
