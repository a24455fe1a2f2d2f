import Foundation
import RotordCore
import Synchronization

/// What the simulation knows that the engine does not: which checks really ran and passed, which
/// operator decisions were taken, which consumers were made or deleted by hand, and the violations
/// found so far. Shared by the in-memory Fracttal, the simulated checks and the history runner.
package final class SimulationLedger: Sendable {
    /// One broken invariant.
    package struct Violation: Sendable, Hashable, CustomStringConvertible {
        /// `I1` … `I8`.
        package var invariant: String
        /// What happened, with ids and masked keys.
        package var detail: String
        /// The history step at which it was seen.
        package var step: Int

        package var description: String { "\(invariant) at step \(step): \(detail)" }
    }

    struct State {
        var violations: [Violation] = []
        var step = 0
        /// Rotation ids whose `after_publish` actions ran and passed (or there were none) while the consumer was configured.
        var actionsPassed: Set<String> = []
        /// Rotation ids whose probe ran and passed while the consumer was configured.
        var probePassed: Set<String> = []
        /// Rotation ids of which at least one action ran (and passed); `actionsPassed` also counts none configured.
        var actionsRan: Set<String> = []
        /// Rotation ids whose configured probe ran and passed.
        var probeRan: Set<String> = []
        /// Per rotation, whether its consumer had actions configured when it left `published` (recorded after the
        /// pass), and whether it had a probe when it entered `retiring`.
        var actionsExpected: [String: Bool] = [:]
        var probeExpected: [String: Bool] = [:]
        /// Rotation ids an operator accepted.
        var accepted: Set<String> = []
        /// The configuration of the pass under way: per consumer name, whether it has actions and a probe.
        var configured: [String: (actions: Bool, probe: Bool)] = [:]
        /// Whether the engine is "dead" (a crash point was reached in this pass): nothing it does counts.
        var dead = false
        /// Whether the simulation injected a fault (an error, a refusal) in the pass under way.
        var faultInjected = false
        /// Effects of the pass under way (creates, deletes, checks run): a pass without any made no progress.
        var effects = 0
        /// Per consumer, its configured deliver file and the one its service read last (used while the
        /// configured one does not exist).
        var watched: [(path: String, fallback: String)] = []
        /// The admin pair's source files, when the history rotates rotord's own admin consumer.
        var adminFiles: (key: String, secret: String)?
    }

    private let state = Mutex(State())

    /// Creates an empty ledger.
    package init() {}

    /// Records a violation of `invariant`.
    package func violate(_ invariant: String, _ detail: String) {
        state.withLock { $0.violations.append(Violation(invariant: invariant, detail: detail, step: $0.step)) }
    }

    /// Every violation so far.
    package var violations: [Violation] { state.withLock { $0.violations } }

    @discardableResult
    func with<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }

    /// The file each consumer's service reads now: its configured deliver file once it exists, else the last one.
    package var serviceFiles: [String] {
        state.withLock { s in s.watched.map { FileManager.default.fileExists(atPath: $0.path) ? $0.path : $0.fallback }
        }
    }

    /// The pair the admin source files hold (what a restart would act as), when the history rotates the admin.
    package var adminFilePair: (key: String, secret: String)? {
        guard let files = state.withLock({ $0.adminFiles }),
            let key = try? String(contentsOfFile: files.key, encoding: .utf8),
            let secret = try? String(contentsOfFile: files.secret, encoding: .utf8)
        else { return nil }
        return (
            key.trimmingCharacters(in: .whitespacesAndNewlines), secret.trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }

    /// Whether the engine is dead (after a crash point, until the pass ends).
    package var dead: Bool { state.withLock { $0.dead } }
}
