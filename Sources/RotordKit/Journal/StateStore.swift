import Foundation
import Glibc
import RotordCore

/// The state directory: the rotation journal (one file per unfinished rotation), the history of
/// finished ones, and the lock.
///
/// Layout (all 0600 in a 0700 directory):
/// - `rotations/<id>.json`: an unfinished rotation, replaced atomically and fsync'd at every step;
/// - `history.jsonl`: one line per finished rotation, appended and fsync'd, never holding a secret;
/// - `summary.json`: per consumer, the last completed rotation and the failures since (derived
///   from the history, rebuilt from it when missing);
/// - `audit.jsonl`: one hash-chained line per rotation step (``AuditLog``);
/// - `lock`: see ``StateLock``;
/// - `request-budget`: the Fracttal request budget every rotord of the host shares (the API
///   requests of the last minute and the server's rate-limit state; not a secret, not fsync'd).
package struct StateStore: Sendable {
    /// The request budget's file name in the state directory (see `SharedRequestBudget`).
    package static let requestBudgetFile = "request-budget"

    /// The state directory.
    package let directory: String
    /// `directory/rotations`.
    package var rotationsDirectory: String { directory + "/rotations" }
    /// `directory/history.jsonl`.
    package var historyPath: String { directory + "/history.jsonl" }

    /// Opens (and creates, 0700) the state directory.
    package init(directory: String, create: Bool = true) throws(AtomicFile.Failure) {
        self.directory = directory
        if create {
            try Self.makeDirectory(directory)
            try Self.makeDirectory(directory + "/rotations")
        }
    }

    static func makeDirectory(_ path: String) throws(AtomicFile.Failure) {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw AtomicFile.Failure(
                    path: path, operation: "using as the state directory (not a directory)", code: ENOTDIR)
            }
            // Never chmod a directory rotord did not create (it may be shared, e.g. 1777): refuse
            // one that others can write to or that belongs to someone else, use any other as it is.
            if st.st_mode & 0o002 != 0 {
                throw AtomicFile.Failure(
                    path: path,
                    operation: "refusing the state directory (writable by every user; use a directory of rotord's own)",
                    code: EPERM)
            }
            if st.st_uid != getuid() {
                throw AtomicFile.Failure(
                    path: path,
                    operation:
                        "refusing the state directory (owned by uid \(st.st_uid), not by this user, uid \(getuid()))",
                    code: EPERM)
            }
            return
        }
        let parent = AtomicFile.parent(of: path)
        if parent != path, stat(parent, &st) != 0 { try makeDirectory(parent) }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw AtomicFile.Failure(path: path, operation: "creating the directory", code: errno)
        }
        try AtomicFile.syncDirectory(parent)
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .utcTimestamp
        e.outputFormatting = [.sortedKeys]
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .utcTimestamp
        return d
    }()

    // MARK: - The journal

    /// Every rotation file, unfinished or not yet archived.
    ///
    /// An absent `rotations` directory is an empty journal; any other error listing it throws,
    /// naming the directory. A record that cannot be decoded is set aside as
    /// `ID.json.unreadable` (where it blocks rotations, see ``unreadableRecords()``); when it
    /// cannot be set aside, this throws naming it, so the pass stops rather than forget it.
    package func rotations() throws(AtomicFile.Failure) -> [RotationRecord] {
        let names = try AtomicFile.entries(of: rotationsDirectory, operation: "listing the rotation journal") ?? []
        var out: [RotationRecord] = []
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let path = rotationsDirectory + "/" + name
            guard let bytes = try AtomicFile.read(path) else { continue }
            do {
                out.append(try Self.decoder.decode(RotationRecord.self, from: Data(bytes)))
            } catch {
                // A record that cannot be read must not be silently dropped: keep it aside for a person.
                let aside = path + ".unreadable"
                guard rename(path, aside) == 0 else {
                    throw AtomicFile.Failure(
                        path: path, operation: "setting the unreadable record aside as \(aside): renaming",
                        code: errno)
                }
                try AtomicFile.syncDirectory(rotationsDirectory)
                FileHandle.standardError.write(Data("rotord: \(path) is unreadable and was moved to \(aside)\n".utf8))
            }
        }
        return out
    }

    /// Durably records `record`; a finished one moves to the history.
    package func save(_ record: RotationRecord) throws(AtomicFile.Failure) {
        let path = rotationsDirectory + "/\(record.id).json"
        let previous = stepOnDisk(record.id)
        if record.step.isTerminal {
            try appendHistory(record)
            try audit(record, previous: previous)
            try AtomicFile.remove(path)
            return
        }
        let data: Data
        do { data = try Self.encoder.encode(record) } catch {
            throw AtomicFile.Failure(path: path, operation: "encoding", code: EINVAL)
        }
        try AtomicFile.write(Array(data), to: path, mode: 0o600, skipIfUnchanged: false)
        try audit(record, previous: previous)
    }

    // MARK: - History

    /// One finished rotation, as kept in `history.jsonl`: no secret, keys masked.
    package struct HistoryEntry: Sendable, Codable, Hashable {
        /// The rotation id.
        package var id: String
        /// The consumer's name.
        package var consumer: String
        /// `done`, `failed` or `abandoned`.
        package var step: RotationStep
        /// When it started.
        package var startedAt: Date
        /// When it finished.
        package var finishedAt: Date
        /// The replaced key, masked.
        package var oldKey: String?
        /// The new key, masked.
        package var newKey: String?
        /// Why it failed.
        package var failure: String?
        /// Hooks that failed.
        package var hookFailures: [String]?
    }

    /// The history line of a finished `record`: no secret, keys masked.
    package static func historyEntry(_ record: RotationRecord) -> HistoryEntry {
        HistoryEntry(
            id: record.id, consumer: record.consumerName, step: record.step, startedAt: record.startedAt,
            finishedAt: record.updatedAt, oldKey: record.oldKeyMasked, newKey: record.newKey.map(KeyMask.mask),
            failure: record.failure, hookFailures: record.hookFailures.isEmpty ? nil : record.hookFailures)
    }

    func appendHistory(_ record: RotationRecord) throws(AtomicFile.Failure) {
        let entry = Self.historyEntry(record)
        guard var line = try? Self.encoder.encode(entry) else {
            throw AtomicFile.Failure(path: historyPath, operation: "encoding", code: EINVAL)
        }
        line.append(0x0A)
        let fd = open(historyPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AtomicFile.Failure(path: historyPath, operation: "opening", code: errno) }
        defer { close(fd) }
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
        guard written == line.count else {
            throw AtomicFile.Failure(path: historyPath, operation: "appending to", code: errno)
        }
        guard fsync(fd) == 0 else { throw AtomicFile.Failure(path: historyPath, operation: "syncing", code: errno) }
        try updateSummary(with: record)
    }

    /// Every finished rotation, oldest first, each id once (a crash may have appended one twice).
    package func historyEntries() -> [HistoryEntry] {
        guard let bytes = try? AtomicFile.read(historyPath) else { return [] }
        var seen = Set<String>()
        var out: [HistoryEntry] = []
        var start = 0
        for i in 0..<bytes.count where bytes[i] == 0x0A {
            if i > start, let e = try? Self.decoder.decode(HistoryEntry.self, from: Data(bytes[start..<i])),
                seen.insert(e.id).inserted
            {
                out.append(e)
            }
            start = i + 1
        }
        return out
    }

    /// Per consumer, what the history says (last completed rotation, consecutive failures).
    ///
    /// Read from `summary.json`, kept up to date at each archive, so a pass never rereads the
    /// whole history; rebuilt from `history.jsonl` when missing.
    package func consumerHistories() -> [String: ConsumerHistory] {
        (readSummary() ?? rebuildSummary()).consumers
    }

    /// `summary.json`: the fold of the history per consumer, and the last rotation archived for
    /// each, so that re-archiving after a crash counts nothing twice.
    struct Summary: Codable {
        var consumers: [String: ConsumerHistory] = [:]
        var archived: [String: String] = [:]

        mutating func fold(consumer: String, id: String, step: RotationStep, at date: Date, failure: String?) {
            guard archived[consumer] != id else { return }
            consumers[consumer, default: ConsumerHistory()].record(step: step, id: id, at: date, failure: failure)
            archived[consumer] = id
        }
    }

    /// `directory/summary.json`.
    package var summaryPath: String { directory + "/summary.json" }

    func readSummary() -> Summary? {
        guard let bytes = try? AtomicFile.read(summaryPath) else { return nil }
        return try? Self.decoder.decode(Summary.self, from: Data(bytes))
    }

    func rebuildSummary() -> Summary {
        var summary = Summary()
        for e in historyEntries() {
            summary.fold(consumer: e.consumer, id: e.id, step: e.step, at: e.finishedAt, failure: e.failure)
        }
        return summary
    }

    /// Replaces the summary of consumer `name` with `history` (a date from a wrong clock, bounded).
    package func replaceHistory(_ history: ConsumerHistory, of name: String) throws(AtomicFile.Failure) {
        var summary = readSummary() ?? rebuildSummary()
        summary.consumers[name] = history
        try writeSummary(summary)
    }

    /// Writes `summary.json` from the history if it is missing (after an upgrade, or if deleted).
    package func ensureSummary() throws(AtomicFile.Failure) {
        guard readSummary() == nil else { return }
        try writeSummary(rebuildSummary())
    }

    func writeSummary(_ summary: Summary) throws(AtomicFile.Failure) {
        guard let data = try? Self.encoder.encode(summary) else {
            throw AtomicFile.Failure(path: summaryPath, operation: "encoding", code: EINVAL)
        }
        try AtomicFile.write(Array(data), to: summaryPath, mode: 0o600, skipIfUnchanged: false)
    }

    func updateSummary(with record: RotationRecord) throws(AtomicFile.Failure) {
        // A missing summary is rebuilt from the history, which already holds this record.
        var summary = readSummary() ?? rebuildSummary()
        summary.fold(
            consumer: record.consumerName, id: record.id, step: record.step, at: record.updatedAt,
            failure: record.failure)
        try writeSummary(summary)
    }
}
