import EtcdClient
import Foundation
import RotordCore

/// `rotord report` on a fleet host (docs/fleet.md): the rotations the fleet's leaders journaled in etcd, whichever
/// host led them, merged with this host's own audit log.
extension ComplianceReport {
    /// The audit lines of `record`, one per step it entered (its `history`), as a single host's audit log holds
    /// them. `seq` and `prev` are 0 and empty: they belong to one host's hash chain, and the fleet's journal has none.
    package static func auditLines(of record: RotationRecord) -> [AuditLog.Entry] {
        var created = false
        return record.history.enumerated().map { index, change in
            let last = index == record.history.count - 1
            created = created || change.step == .created
            return AuditLog.Entry(
                seq: 0, at: change.at, rotation: record.id, consumer: record.consumerName,
                step: change.step.rawValue, trigger: record.trigger, note: change.note,
                oldConsumerIDs: record.oldConsumerIDs, oldKey: record.oldKeyMasked,
                newConsumerID: created ? record.newConsumerID : nil,
                newKey: created ? record.newKey.map(KeyMask.mask) : nil, graceUntil: record.graceUntil,
                hookFailures: last && !record.hookFailures.isEmpty ? record.hookFailures : nil,
                failure: last ? record.failure : nil, prev: "")
        }
    }

    /// The audit lines of a finished rotation whose fleet entry carries no record (written by an earlier rotord):
    /// its start and its end.
    static func auditLines(of history: FleetEntry.History) -> [AuditLog.Entry] {
        if let record = history.record, !record.history.isEmpty { return auditLines(of: record) }
        let e = history.entry
        func line(_ step: RotationStep, _ at: Date, failure: String?) -> AuditLog.Entry {
            AuditLog.Entry(
                seq: 0, at: at, rotation: e.id, consumer: e.consumer, step: step.rawValue, trigger: "due", note: nil,
                oldConsumerIDs: [], oldKey: e.oldKey, newConsumerID: history.newConsumerID, newKey: e.newKey,
                graceUntil: nil, hookFailures: step == e.step ? e.hookFailures : nil, failure: failure, prev: "")
        }
        return [line(.planned, e.startedAt, failure: nil), line(e.step, e.finishedAt, failure: e.failure)]
    }

    /// `local` (this host's audit log) with each rotation of `fleet` in place of its local lines, since the fleet's
    /// journal holds every step of a rotation whichever host led it; rotations ordered by their first line.
    package static func merging(local: [AuditLog.Entry], fleet: [AuditLog.Entry]) -> [AuditLog.Entry] {
        let fleetIDs = Set(fleet.map(\.rotation))
        var groups: [String: [AuditLog.Entry]] = [:]
        var order: [String] = []
        for line in local.filter({ !fleetIDs.contains($0.rotation) }) + fleet {
            if groups[line.rotation] == nil { order.append(line.rotation) }
            groups[line.rotation, default: []].append(line)
        }
        // By each rotation's first line, then (for equal times) in the order met.
        let keyed = order.enumerated().map { (at: groups[$1]!.map(\.at).min()!, index: $0, id: $1) }
        return keyed.sorted { ($0.at, $0.index) < ($1.at, $1.index) }.flatMap { groups[$0.id]! }
    }

    /// The fleet's journal under `keys`: every finished rotation (`history/`) and every one in flight
    /// (`rotations/`) as audit lines, and the keys this rotord cannot read (written by a newer one).
    package static func fleetAudit(client: EtcdClient, keys: FleetKeys) async throws -> (
        lines: [AuditLog.Entry], unreadable: [String]
    ) {
        var lines: [AuditLog.Entry] = []
        var unreadable: [String] = []
        for kv in try await client.range(keys.historyPrefix, prefix: true).kvs {
            guard let entry = FleetEntry.decode(FleetEntry.History.self, kv.value) else {
                unreadable.append(kv.key)
                continue
            }
            lines += auditLines(of: entry)
        }
        for kv in try await client.range(keys.rotationsPrefix, prefix: true).kvs {
            guard let entry = FleetEntry.decode(FleetEntry.Rotation.self, kv.value) else {
                unreadable.append(kv.key)
                continue
            }
            lines += auditLines(of: entry.record)
        }
        return (lines, unreadable)
    }
}
