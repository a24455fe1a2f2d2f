import Foundation
import Glibc
import RotordCore

/// A fleet leader's local journal (docs/fleet.md): a copy of etcd's, refreshed before each pass.
extension StateStore {
    /// Makes the unfinished rotations of this directory exactly `records` (etcd's journal): each is written as it
    /// is (no audit line: this host did not take that step), and an unfinished local record etcd no longer holds is
    /// removed (another leader finished it; its history is in etcd). Finished records waiting to be archived stay.
    package func replaceUnfinished(with records: [RotationRecord]) throws(AtomicFile.Failure) {
        let wanted = Set(records.map(\.id))
        for record in try rotations() where !record.step.isTerminal && !wanted.contains(record.id) {
            try AtomicFile.remove(rotationsDirectory + "/\(record.id).json")
        }
        for record in records {
            let path = rotationsDirectory + "/\(record.id).json"
            let data: Data
            do { data = try Self.encoder.encode(record) } catch {
                throw AtomicFile.Failure(path: path, operation: "encoding", code: EINVAL)
            }
            try AtomicFile.write(Array(data), to: path, mode: 0o600, skipIfUnchanged: true)
        }
    }
}
