import Foundation
import Glibc
import RotordTestKit

extension Benchmark {
    /// The idle daemon's resident memory by mapping (`/proc/PID/smaps`): what stands between rotord
    /// and the 20 MB goal; with `metrics`, the daemon writes a metrics file after each pass (`--metrics`).
    static func memory(rotord: String, metrics: Bool = false) async throws {
        let world = try await BenchWorld(consumers: 3, ageDays: 1)
        try await world.cleaningUp { () async throws in
            try world.writeConfig(consumers: 3, maxAge: "90d", rotateBefore: "7d", metrics: metrics)
            let listener = try FakeNotifySocket()
            defer { listener.close() }
            // A copy read back from the disk, as after a boot (see `certbot` for the other state).
            let copies = tempDir("rotord-copies")
            defer { try? FileManager.default.removeItem(atPath: copies) }
            let copy = copies + "/rotord"
            try FileManager.default.copyItem(atPath: rotord, toPath: copy)
            try dropFromPageCache(copy)
            let p = try world.spawn(copy, ["run"], environment: ["NOTIFY_SOCKET": listener.path])
            defer { world.stop(p) }
            _ = listener.wait(for: "READY=1", timeout: 30)
            try await Task.sleep(for: .seconds(2))
            let rows = SmapsBreakdown.read(pid: p.processIdentifier)
            let total = rows.reduce(0) { $0 + $1.rssKiB }
            let anonymous = rows.reduce(0) { $0 + $1.anonymousKiB }
            print("## Idle daemon memory by mapping (RSS \(mb(total)), anonymous \(mb(anonymous)))\n")
            print("| mapping | RSS | of which anonymous |\n| --- | --- | --- |")
            for row in rows.prefix(14) {
                print("| \(row.name) | \(mb(row.rssKiB)) | \(mb(row.anonymousKiB)) |")
            }
            let rest = rows.dropFirst(14)
            if !rest.isEmpty {
                print(
                    "| \(rest.count) other mappings | \(mb(rest.reduce(0) { $0 + $1.rssKiB })) | "
                        + "\(mb(rest.reduce(0) { $0 + $1.anonymousKiB })) |")
            }
            print("")
        }
    }

    static func mb(_ kib: Int) -> String { String(format: "%.1f MB", Double(kib) / 1024) }
}

/// Resident memory per mapped file (anonymous mappings grouped as `[anonymous]`, `[heap]`, …).
enum SmapsBreakdown {
    struct Row {
        var name: String
        var rssKiB: Int
        var anonymousKiB: Int
    }

    static func read(pid: Int32) -> [Row] {
        // procfs files report size 0: read to the end rather than by size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/smaps"),
            let data = try? handle.readToEnd()
        else { return [] }
        let text = String(decoding: data, as: UTF8.self)
        var rows: [String: Row] = [:]
        var current = "[anonymous]"
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.contains("-") && fields.count >= 5 && !first.hasSuffix(":") {
                current = fields.count >= 6 ? fields[5...].joined(separator: " ") : "[anonymous]"
                if current.hasPrefix("/") { current = (current as NSString).lastPathComponent }
                // rotord's own mappings by permission: code (r-xp), read-only data and relocated
                // read-only data (r--p), writable data (rw-p).
                if current == "rotord" { current += " (\(fields[1]))" }
            } else if first == "Rss:", fields.count >= 2 {
                rows[current, default: Row(name: current, rssKiB: 0, anonymousKiB: 0)].rssKiB += Int(fields[1]) ?? 0
            } else if first == "Anonymous:", fields.count >= 2 {
                rows[current, default: Row(name: current, rssKiB: 0, anonymousKiB: 0)].anonymousKiB +=
                    Int(fields[1]) ?? 0
            }
        }
        return rows.values.filter { $0.rssKiB > 0 }.sorted { $0.rssKiB > $1.rssKiB }
    }
}
