import Logging
import RotordCore
import RotordKit
import Synchronization

/// A consumer's `after_publish` actions and probe as seeded outcomes: the history decides whether
/// they pass, and the ledger records which really ran and passed (for the invariants I2 and I7).
package final class SimulatedChecks: RotationChecks {
    /// Whether actions and probes fail, set by the history between passes.
    package struct Outcomes: Sendable, Hashable {
        /// The `after_publish` actions fail.
        package var actionsFail = false
        /// The probe fails.
        package var probeFails = false
    }

    private let outcomes = Mutex(Outcomes())
    private let ledger: SimulationLedger

    /// Checks that report into `ledger`.
    package init(ledger: SimulationLedger) { self.ledger = ledger }

    /// Sets the outcomes of the next checks.
    package func set(_ new: Outcomes) { outcomes.withLock { $0 = new } }

    /// The outcomes in force.
    package var current: Outcomes { outcomes.withLock { $0 } }

    package func runActions(
        _ actions: [PublishHook], for request: CheckRequest, logger: Logger, onProgress: @escaping @Sendable () -> Void
    ) async -> [String] {
        let fail = outcomes.withLock { $0.actionsFail } && !actions.isEmpty
        return ledger.with { s in
            if s.dead { return ["actions: rotord is dead (simulated crash)"] }
            s.effects += 1
            if fail {
                s.faultInjected = true
                return ["\(actions[0]): exited with status 1 (simulated)"]
            }
            // Confirmed only by the actions of a consumer that is configured (none configured confirms, too).
            if s.configured[request.consumer] != nil {
                s.actionsPassed.insert(request.rotationID)
                if !actions.isEmpty { s.actionsRan.insert(request.rotationID) }
            }
            return []
        }
    }

    package func runProbe(
        _ probe: AdoptionProbe?, for request: CheckRequest, logger: Logger, onProgress: @escaping @Sendable () -> Void
    ) async -> [String] {
        let fail = outcomes.withLock { $0.probeFails } && probe != nil
        return ledger.with { s in
            if s.dead { return ["probe: rotord is dead (simulated crash)"] }
            s.effects += 1
            if let probe, fail {
                s.faultInjected = true
                return ["\(probe): exited with status 1 (simulated)"]
            }
            if s.configured[request.consumer] != nil {
                s.probePassed.insert(request.rotationID)
                if probe != nil { s.probeRan.insert(request.rotationID) }
            }
            return []
        }
    }
}

/// Crashes the engine at the n-th fault point of a pass: the simulation snapshots what is durable
/// (the state directory and the deliver files) at that instant, lets the pass run on "dead" (no
/// request, file or check it makes counts) and restores the snapshot afterwards, as a restart
/// after `kill -9` would find the disk.
package final class SimulatedCrash: FaultInjector {
    private struct State {
        var armedAt: Int?
        var reached = 0
        var crashedAt: String?
    }

    private let state = Mutex(State())
    private let ledger: SimulationLedger
    private let snapshot: @Sendable () -> Void

    /// A crash injector that calls `snapshot` at the crash.
    package init(ledger: SimulationLedger, snapshot: @escaping @Sendable () -> Void) {
        self.ledger = ledger
        self.snapshot = snapshot
    }

    /// Crashes the next pass at its `point`-th fault point (1-based), if it reaches that many.
    package func arm(at point: Int) { state.withLock { $0 = State(armedAt: point) } }

    /// Ends the pass: returns the point it crashed at, if it did, and disarms.
    package func finishPass() -> String? {
        state.withLock { s in
            defer { s = State() }
            return s.crashedAt
        }
    }

    package func reached(_ point: String) async {
        let crash: Bool = state.withLock { s in
            guard s.crashedAt == nil, let armed = s.armedAt else { return false }
            s.reached += 1
            guard s.reached == armed else { return false }
            s.crashedAt = point
            return true
        }
        guard crash else { return }
        snapshot()
        ledger.with { $0.dead = true }
    }
}
