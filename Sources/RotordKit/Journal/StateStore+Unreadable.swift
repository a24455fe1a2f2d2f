import Foundation
import RotordCore

extension StateStore {
    /// A journal record that could not be decoded, kept aside as `rotations/ID.json.unreadable`.
    ///
    /// It may describe a rotation that created a consumer (its secret only in that file): until a
    /// person repairs it (`rotord repair ID`, docs/operations.md), rotations of its consumer, or of
    /// every consumer when the name cannot be read, are blocked.
    package struct UnreadableRecord: Sendable, Hashable {
        /// The rotation id (from the file name).
        package var id: String
        /// The consumer, when the damaged bytes still name it.
        package var consumerName: String?
        /// Where the record is kept.
        package var path: String
        /// Set when this stands for a journal directory that could not be listed (then `path` is
        /// the directory and `id` is empty): what failed. It blocks every consumer.
        package var listingFailure: String? = nil

        /// The problem as rotord reports it.
        package var problem: String {
            if let listingFailure {
                return "the rotation journal cannot be read (\(listingFailure)); rotations of every consumer are "
                    + "blocked until it can, since it may hold rotations in flight"
            }
            return "journal record \(id) is unreadable (kept as \(path)); rotations of "
                + (consumerName.map { "consumer \($0)" } ?? "every consumer")
                + " are blocked until it is repaired: run `rotord repair \(id)` (docs/operations.md)"
        }
    }

    /// The records set aside as unreadable, oldest name first. When the journal directory cannot be
    /// listed (anything but its absence), one record standing for the directory, which blocks every
    /// consumer: a read error never unblocks rotations.
    package func unreadableRecords() -> [UnreadableRecord] {
        let names: [String]
        do {
            names = try AtomicFile.entries(of: rotationsDirectory, operation: "listing the rotation journal") ?? []
        } catch {
            return [
                UnreadableRecord(
                    id: "", consumerName: nil, path: rotationsDirectory, listingFailure: error.description)
            ]
        }
        return names.sorted().filter { $0.hasSuffix(".json.unreadable") }.map { name in
            let path = rotationsDirectory + "/" + name
            let id = String(name.dropLast(".json.unreadable".count))
            return UnreadableRecord(id: id, consumerName: Self.consumerName(inDamaged: path), path: path)
        }
    }

    /// The `consumerName` field read from a damaged record's raw bytes, if still there.
    static func consumerName(inDamaged path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.read(upToCount: 1 << 20) else {
            return nil
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let match = text.firstMatch(of: /"consumerName"\s*:\s*"([^"\\]{1,200})"/) else { return nil }
        return String(match.output.1)
    }

    /// Marks a repaired record as such (`ID.json.repaired`), so it no longer blocks rotations.
    package func markRepaired(_ record: UnreadableRecord) throws(AtomicFile.Failure) {
        let target = rotationsDirectory + "/\(record.id).json.repaired"
        guard rename(record.path, target) == 0 else {
            throw AtomicFile.Failure(path: record.path, operation: "renaming to \(target)", code: errno)
        }
        try AtomicFile.syncDirectory(rotationsDirectory)
    }
}
