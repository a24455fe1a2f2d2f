import Foundation
import RotordCore

/// The fleet leader's pass (docs/fleet.md): the operators' requests left in etcd by `rotord rotate` on any host are
/// taken into the pass, and each is answered from its outcome.
extension Daemon {
    static func leaderPass(_ reconciler: Reconciler, leader: FleetLeader, store: StateStore) async -> Reconciler.Report
    {
        let requests = await leader.pendingRequests()
        guard !requests.isEmpty else { return await reconciler.pass() }
        let unconfirmed = Set(
            ((try? store.rotations()) ?? []).filter { $0.step == .unconfirmed }.map(\.consumerName))
        var force: [String: Bool] = [:]
        var accept: [String: Bool] = [:]
        var answered: [String: (ok: Bool, message: String)] = [:]
        for request in requests {
            if let host = request.acceptHost {
                do {
                    let id = try await leader.accept(host: host, consumer: request.consumer)
                    answered[request.id] = (true, "rotation \(id) of \(request.consumer) no longer waits for \(host)")
                    // Driven now (its retry wait ended), so that the acceptance takes effect in this pass.
                    force[request.consumer] = false
                } catch {
                    answered[request.id] = (false, "\(error)")
                }
            } else if request.acceptUnconfirmed || (request.revokeOldNow && unconfirmed.contains(request.consumer)) {
                accept[request.consumer] = request.revokeOldNow
            } else {
                force[request.consumer] = request.revokeOldNow
            }
        }
        let report = await reconciler.pass(force: force, accept: accept)
        for request in requests {
            let (ok, message) = answered[request.id] ?? answer(request, report)
            await leader.answer(request, ok: ok, message: message)
        }
        return report
    }

    /// What the pass did for `request`'s consumer, in words.
    static func answer(_ request: FleetEntry.Request, _ report: Reconciler.Report) -> (Bool, String) {
        if let unavailable = report.unavailable { return (false, "the leader could not act now: \(unavailable)") }
        guard let last = report.outcomes.last(where: { $0.consumer == request.consumer }) else {
            let problems = report.problems.filter { $0.contains(request.consumer) }
            return (
                false,
                problems.isEmpty
                    ? "the leader did not rotate \(request.consumer) (is it configured on the leader?)"
                    : problems.joined(separator: "; ")
            )
        }
        let step = last.record.step.rawValue
        switch last.outcome {
        case .done: return (true, "rotation \(last.record.id) of \(request.consumer) done")
        case .waiting(let until):
            return (true, "rotation \(last.record.id) of \(request.consumer) at \(step), in grace until \(until)")
        case .failed(let reason): return (false, "rotation \(last.record.id) of \(request.consumer) failed: \(reason)")
        case .retrying(let at, let reason):
            return (false, "rotation \(last.record.id) of \(request.consumer) at \(step): \(reason); retried at \(at)")
        case .held(let reason): return (false, "rotation \(last.record.id) of \(request.consumer) held: \(reason)")
        case .journalFailed(let reason):
            return (false, "rotation \(last.record.id) of \(request.consumer) at \(step): \(reason)")
        case .interrupted:
            return (false, "rotation \(last.record.id) of \(request.consumer) at \(step): the leader is stopping")
        }
    }
}
