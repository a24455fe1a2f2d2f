import Foundation
import RotordCore

extension StateStore {
    /// `directory/audit.jsonl` (``AuditLog``).
    package var auditLog: AuditLog { AuditLog(directory: directory) }

    /// The step of the journal file of rotation `id`, or `nil` when there is none.
    func stepOnDisk(_ id: String) -> RotationStep? {
        guard let bytes = try? AtomicFile.read(rotationsDirectory + "/\(id).json"),
            let record = try? Self.decoder.decode(RotationRecord.self, from: Data(bytes))
        else { return nil }
        return record.step
    }

    /// Appends `record`'s step to the audit log when it differs from `previous` (the step on disk
    /// before this save), so each step is audited once, after it is durable in the journal.
    func audit(_ record: RotationRecord, previous: RotationStep?) throws(AtomicFile.Failure) {
        guard previous != record.step else { return }
        // A finished rotation with no journal file was archived before (a crash between the
        // history and the removal, then a second archive): its last step is already audited.
        if previous == nil && record.step.isTerminal { return }
        try auditLog.append(record)
    }
}
