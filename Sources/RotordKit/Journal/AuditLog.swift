import Crypto
import Foundation
import Glibc
import RotordCore

/// The tamper-evident audit log, `STATE_DIR/audit.jsonl`: one JSON line per rotation step, appended
/// and fsync'd once the step is durable in the journal.
///
/// Each line is a JSON object whose last field is `"sha256"`: the SHA-256 (hex) of the line's text
/// without that field (the text up to `,"sha256":`, then `}`). Its `"prev"` field is the `sha256` of
/// the line before (64 zeros on the first line), so editing, inserting, reordering or deleting a line
/// breaks the chain at that line: ``verify()`` names it. Keys are masked, no secret is written.
/// Removing lines at the end cannot be detected from the file alone (docs/architecture.md).
package struct AuditLog: Sendable {
    /// `STATE_DIR/audit.jsonl`.
    package let path: String

    /// The log of the state directory `directory`.
    package init(directory: String) { path = directory + "/audit.jsonl" }

    /// The `prev` of the first line.
    package static let genesis = String(repeating: "0", count: 64)

    /// One line's content (before its digest is appended).
    package struct Entry: Sendable, Codable, Hashable {
        /// 1-based position in the log.
        package var seq: Int
        /// When the step was entered.
        package var at: Date
        /// The rotation id.
        package var rotation: String
        /// The consumer's name.
        package var consumer: String
        /// The step entered.
        package var step: String
        /// `due` or `manual`.
        package var trigger: String
        /// The note of the step change (a failure, a verification result); rotord's notes hold no secret.
        package var note: String?
        /// The consumer being replaced.
        package var oldConsumerIDs: [Int]
        /// Its key, masked.
        package var oldKey: String?
        /// The new consumer, once created.
        package var newConsumerID: Int?
        /// Its key, masked.
        package var newKey: String?
        /// The end of the grace period, once published.
        package var graceUntil: Date?
        /// Hooks that failed.
        package var hookFailures: [String]?
        /// Why the rotation failed.
        package var failure: String?
        /// The `sha256` of the previous line.
        package var prev: String

        enum CodingKeys: String, CodingKey {
            case seq, at, rotation, consumer, step, trigger, note, failure, prev
            case oldConsumerIDs = "old_consumer_ids", oldKey = "old_key", newConsumerID = "new_consumer_id"
            case newKey = "new_key", graceUntil = "grace_until", hookFailures = "hook_failures"
        }
    }

    /// SHA-256 of `bytes`, lowercase hex.
    package static func sha256(_ bytes: some Sequence<UInt8>) -> String {
        SHA256.hash(data: Array(bytes)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The last line's `seq` and `sha256`, or `(0, genesis)` for an empty or missing log; and
    /// whether the file lacks its final newline (a crash in the middle of an append).
    ///
    /// A damaged last line does not stop the rotations: the chain continues from that line's raw
    /// bytes (its SHA-256, and the number of lines), and `rotord report --verify` names it.
    func tail() throws(AtomicFile.Failure) -> (seq: Int, digest: String, unterminated: Bool) {
        // The last line is parsed from the end of the file only: appending stays cheap however long the log.
        if let chunk = try lastBytes(65_536), !chunk.isEmpty, chunk.last == 0x0A {
            var end = chunk.count
            while end > 0 && chunk[end - 1] == 0x0A { end -= 1 }
            var start = end
            while start > 0 && chunk[start - 1] != 0x0A { start -= 1 }
            if start > 0, let line = String(validating: chunk[start..<end], as: UTF8.self),
                let parsed = Self.split(line),
                let entry = try? StateStore.decoder.decode(Entry.self, from: Data(parsed.body.utf8))
            {
                return (entry.seq, parsed.digest, false)
            }
        }
        guard let bytes = try AtomicFile.read(path), !bytes.isEmpty else { return (0, Self.genesis, false) }
        let unterminated = bytes.last != 0x0A
        var end = bytes.count
        while end > 0 && bytes[end - 1] == 0x0A { end -= 1 }
        var start = end
        while start > 0 && bytes[start - 1] != 0x0A { start -= 1 }
        if let line = String(validating: bytes[start..<end], as: UTF8.self), let parsed = Self.split(line),
            let entry = try? StateStore.decoder.decode(Entry.self, from: Data(parsed.body.utf8)), !unterminated
        {
            return (entry.seq, parsed.digest, false)
        }
        let lines = bytes.count { $0 == 0x0A } + (unterminated ? 1 : 0)
        return (lines, Self.sha256(bytes[start..<end]), unterminated)
    }

    /// Up to the last `limit` bytes of the log, with a byte before them when there is one (so a
    /// line that starts the chunk is known to be whole); `nil` when the log does not exist.
    private func lastBytes(_ limit: Int) throws(AtomicFile.Failure) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw AtomicFile.Failure(path: path, operation: "opening", code: errno)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AtomicFile.Failure(path: path, operation: "reading", code: errno) }
        let size = Int(st.st_size)
        let offset = max(0, size - limit - 1)
        var buffer = [UInt8](repeating: 0, count: size - offset)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard count == buffer.count else { throw AtomicFile.Failure(path: path, operation: "reading", code: errno) }
        // At the start of the file, pretend a newline precedes the first line.
        return offset == 0 ? [0x0A] + buffer : buffer
    }

    /// Appends the step `record` has just entered.
    package func append(_ record: RotationRecord) throws(AtomicFile.Failure) {
        let (seq, prev, unterminated) = try tail()
        let change = record.history.last
        let entry = Entry(
            seq: seq + 1, at: change?.at ?? record.updatedAt, rotation: record.id, consumer: record.consumerName,
            step: record.step.rawValue, trigger: record.trigger, note: change?.note,
            oldConsumerIDs: record.oldConsumerIDs, oldKey: record.oldKeyMasked, newConsumerID: record.newConsumerID,
            newKey: record.newKey.map(KeyMask.mask), graceUntil: record.graceUntil,
            hookFailures: record.hookFailures.isEmpty ? nil : record.hookFailures,
            failure: record.failure, prev: prev)
        guard let body = try? StateStore.encoder.encode(entry), body.last == UInt8(ascii: "}") else {
            throw AtomicFile.Failure(path: path, operation: "encoding an entry of", code: EINVAL)
        }
        var line = Array(body)
        let digest = Self.sha256(line)
        line.removeLast()
        line += Array(",\"sha256\":\"\(digest)\"}\n".utf8)
        if unterminated { line.insert(0x0A, at: 0) }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AtomicFile.Failure(path: path, operation: "opening", code: errno) }
        defer { close(fd) }
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
        guard written == line.count else {
            throw AtomicFile.Failure(path: path, operation: "appending to", code: errno)
        }
        guard fsync(fd) == 0 else { throw AtomicFile.Failure(path: path, operation: "syncing", code: errno) }
    }

    /// A line split into its body (the line without the digest field) and its digest.
    static func split(_ line: String) -> (body: String, digest: String)? {
        let marker = ",\"sha256\":\""
        guard line.hasSuffix("\"}"), let range = line.range(of: marker, options: .backwards) else { return nil }
        let digest = String(line[range.upperBound...].dropLast(2))
        guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else { return nil }
        return (String(line[..<range.lowerBound]) + "}", digest)
    }

    /// The result of ``verify()``.
    package enum Verification: Sendable, Hashable {
        /// Every line is intact and chained; the number of lines.
        case intact(lines: Int)
        /// The first bad line (1-based) and what is wrong with it.
        case broken(line: Int, reason: String)
    }

    /// Checks every line's digest and the chain. A missing log is intact with 0 lines.
    package func verify() -> Verification {
        let bytes: [UInt8]
        do { bytes = try AtomicFile.read(path) ?? [] } catch { return .broken(line: 0, reason: "\(error)") }
        var prev = Self.genesis
        var number = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            number += 1
            defer { start = end + 1 }
            guard end < bytes.count else { return .broken(line: number, reason: "the line is incomplete (no newline)") }
            guard let line = String(validating: bytes[start..<end], as: UTF8.self) else {
                return .broken(line: number, reason: "the line is not UTF-8 text")
            }
            guard let parts = Self.split(line) else {
                return .broken(line: number, reason: "the line does not end with its \"sha256\" field")
            }
            let (body, digest) = parts
            guard Self.sha256(Array(body.utf8)) == digest else {
                return .broken(line: number, reason: "the line was changed: its content does not match its sha256")
            }
            guard let entry = try? StateStore.decoder.decode(Entry.self, from: Data(body.utf8)) else {
                return .broken(line: number, reason: "the line is not an audit entry")
            }
            guard entry.prev == prev else {
                return .broken(
                    line: number,
                    reason: "its prev does not match the sha256 of line \(number - 1) (a line was "
                        + "removed, inserted or reordered before it)")
            }
            guard entry.seq == number else {
                return .broken(line: number, reason: "its seq is \(entry.seq), expected \(number)")
            }
            prev = digest
        }
        return .intact(lines: number)
    }

    /// Every entry, oldest first; stops at the first line that does not parse.
    package func entries() -> [Entry] {
        guard let bytes = try? AtomicFile.read(path) else { return [] }
        var out: [Entry] = []
        for raw in bytes.split(separator: 0x0A) {
            guard let line = String(validating: raw, as: UTF8.self), let parts = Self.split(line),
                let entry = try? StateStore.decoder.decode(Entry.self, from: Data(parts.body.utf8))
            else { break }
            out.append(entry)
        }
        return out
    }
}
