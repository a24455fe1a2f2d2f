import Foundation
import RotordTestKit

// rotord-simulate [--histories N] [--seconds S] [--seed SEED] [--steps N]: the engine simulation
// (docs/architecture.md, "Simulation"). Runs seeded histories until N histories or S seconds, whichever
// comes first; prints one line per failing history (its seed and shortest reproduction) and the
// summary line `simulation: N histories, M steps, 8 invariants, V violations`. Exit 1 on a violation.
// ROTORD_SIMULATION_SEED=SEED (or --seed) replays one history.
let arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func value(_ flag: String) -> String? {
    guard let i = arguments.firstIndex(of: flag), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
if arguments.contains("--help") || arguments.contains("-h") {
    print("usage: rotord-simulate [--histories N] [--seconds S] [--seed SEED] [--steps N] [--first SEED] [--jobs N]")
    exit(0)
}
let environmentSeed = ProcessInfo.processInfo.environment["ROTORD_SIMULATION_SEED"]
let options = SimulationRun.Options(
    histories: value("--histories").flatMap(Int.init) ?? (value("--seconds") == nil ? 2_000 : Int.max),
    seconds: value("--seconds").flatMap(Double.init),
    firstSeed: value("--first").flatMap(UInt64.init) ?? 1,
    replay: (value("--seed") ?? environmentSeed).flatMap(UInt64.init),
    steps: value("--steps").flatMap(Int.init) ?? 60,
    jobs: value("--jobs").flatMap(Int.init) ?? 2)
let summary = await SimulationRun.run(options) { print($0) }
print(summary.line)
exit(summary.violations == 0 ? 0 : 1)
