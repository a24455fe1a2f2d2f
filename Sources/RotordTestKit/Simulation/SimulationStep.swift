/// One step of a simulated history: the daemon wakes, time passes, the world changes, an operator acts.
package enum SimulationStep: Sendable, Hashable, CustomStringConvertible {
    /// The daemon wakes when it asked to (its next deadline, at most `resync` away) and runs a pass.
    case wake
    /// Nothing happens for `hours` (the host was off, or quiet); then a pass.
    case idle(hours: Int)
    /// The next pass dies at its `point`-th fault point (a `kill -9`); a restart follows at the next pass.
    case crash(point: Int)
    /// The server's faults change.
    case faults(SimulatedFracttal.Faults)
    /// The consumers' actions and probes start or stop failing.
    case checks(SimulatedChecks.Outcomes)
    /// The consumer at this index leaves the configuration (a reload).
    case unconfigure(Int)
    /// The consumer at this index comes back to the configuration, as it was first configured.
    case reconfigure(Int)
    /// The consumer's deliver file moves to a new path.
    case moveDeliver(Int)
    /// The consumer's `after_publish` actions are removed, or come back.
    case toggleActions(Int)
    /// A person creates a consumer of the same name in another permission group.
    case handCreate(Int)
    /// A person deletes a live consumer of that name that no deliver file holds (an old one, early).
    case handDeleteOld(Int)
    /// The wall clock steps by `seconds` (NTP, an operator, a resumed VM), forward or back.
    case clockJump(seconds: Int)
    /// An operator accepts the consumer's unconfirmed or held rotation (`rotate NAME --accept-unconfirmed`).
    case accept(Int)
    /// An operator rotates the consumer now (`rotate NAME`).
    case force(Int)
    /// An operator ends the consumer's held rotation, keeping both consumers (`abandon NAME`).
    case abandon(Int)
    /// `schedule.max_concurrent` changes (`nil`: no limit).
    case maxConcurrent(Int?)

    package var description: String {
        switch self {
        case .wake: "wake"
        case .idle(let hours): "idle \(hours)h"
        case .crash(let point): "crash at fault point \(point)"
        case .faults(let f):
            "faults 5xx=\(f.serverError) lostAfter=\(f.lostAfterEffect) lostBefore=\(f.lostBeforeEffect) "
                + "429=\(f.rateLimited) slow=\(f.slow) activation=\(Int(f.activationDelay))s "
                + "descriptionLimit=\(f.descriptionLimit.map(String.init) ?? "none")"
        case .checks(let c): "checks actionsFail=\(c.actionsFail) probeFails=\(c.probeFails)"
        case .unconfigure(let i): "unconfigure c\(i)"
        case .reconfigure(let i): "reconfigure c\(i)"
        case .moveDeliver(let i): "move deliver file of c\(i)"
        case .toggleActions(let i): "toggle actions of c\(i)"
        case .handCreate(let i): "hand-create c\(i) in another group"
        case .handDeleteOld(let i): "hand-delete an old consumer of c\(i)"
        case .clockJump(let s): "wall clock jumps \(s) s"
        case .accept(let i): "operator accepts c\(i)"
        case .force(let i): "operator rotates c\(i) now"
        case .abandon(let i): "operator abandons c\(i)"
        case .maxConcurrent(let n): "max_concurrent \(n.map(String.init) ?? "none")"
        }
    }

    /// A random history of `count` steps over `consumers` consumers.
    package static func history(seed: UInt64, count: Int, consumers: Int) -> [SimulationStep] {
        var random = SimulationRandom(seed: seed ^ 0x5157_4E41_4C49_5354)
        var steps: [SimulationStep] = []
        for _ in 0..<count {
            let c = random.int(0...(consumers - 1))
            let roll = random.int(0...99)
            switch roll {
            case 0..<44: steps.append(.wake)
            case 44..<50: steps.append(.idle(hours: random.pick([1, 3, 8, 24])))
            case 50..<60:
                steps.append(.crash(point: random.int(1...12)))
                // An operator often edits the configuration while rotord is down.
                if random.chance(0.25) { steps.append(.unconfigure(c)) }
            case 60..<66: steps.append(.faults(randomFaults(&random)))
            case 66..<70:
                steps.append(.checks(.init(actionsFail: random.chance(0.5), probeFails: random.chance(0.3))))
            case 70..<74: steps.append(.unconfigure(c))
            case 74..<78: steps.append(.reconfigure(c))
            case 78..<80: steps.append(.moveDeliver(c))
            case 80..<82: steps.append(.toggleActions(c))
            case 82..<84: steps.append(.handCreate(c))
            case 84..<86: steps.append(.handDeleteOld(c))
            case 86..<89: steps.append(.clockJump(seconds: random.pick([-7_200, -600, -30, 45, 900, 10_800])))
            case 89..<92: steps.append(.accept(c))
            case 92..<94: steps.append(.force(c))
            case 94..<96: steps.append(.abandon(c))
            default: steps.append(.maxConcurrent(random.chance(0.6) ? 1 : nil))
            }
        }
        return steps
    }

    static func randomFaults(_ random: inout SimulationRandom) -> SimulatedFracttal.Faults {
        var f = SimulatedFracttal.Faults()
        if random.chance(0.2) { return f }
        f.serverError = random.pick([0, 0.05, 0.2])
        f.lostAfterEffect = random.pick([0, 0.1, 0.3])
        f.lostBeforeEffect = random.pick([0, 0.1])
        f.rateLimited = random.pick([0, 0.05])
        f.slow = random.pick([0, 0.05])
        f.activationDelay = random.pick([0, 0, 20, 90])
        f.descriptionLimit = random.chance(0.15) ? random.pick([20, 48]) : nil
        return f
    }
}
