import Foundation
import Glibc

extension Benchmark {
    /// `rotord run --once` with nothing due against `certbot renew` with nothing to renew, run
    /// alternately: wall time and peak RSS of each process (wait4's `ru_maxrss`).
    static func certbot(rotord: String, runs: Int = 10) async throws {
        guard
            let certbot = ["/usr/bin/certbot", "/usr/local/bin/certbot"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            print("## rotord run --once vs certbot renew: skipped (apt-get install certbot)\n")
            return
        }
        let world = try await BenchWorld(consumers: 3, ageDays: 1)
        try await world.cleaningUp { () async throws in
            try world.writeConfig(consumers: 3, maxAge: "90d", rotateBefore: "7d")
            let certbotDir = tempDir("certbot")
            defer { try? FileManager.default.removeItem(atPath: certbotDir) }
            let certbotArguments = [
                "renew", "--non-interactive", "--config-dir", certbotDir + "/config", "--work-dir",
                certbotDir + "/work",
                "--logs-dir", certbotDir + "/logs",
            ]
            // How many of rotord's pages a run maps depends on how the binary sits in the page
            // cache: read back from the disk (as after a boot), or just written (as right after an
            // install, or a build). Each state is measured on its own copy of the binary.
            let copies = tempDir("rotord-copies")
            defer { try? FileManager.default.removeItem(atPath: copies) }
            print(
                "## Nothing to do: rotord run --once (3 consumers) vs certbot renew (\(runs) runs each, alternating)\n")
            print("| figure | rotord | certbot | ratio (rotord ÷ certbot) | goal |\n| --- | --- | --- | --- | --- |")
            for (state, evict) in [("read from disk", true), ("just written", false)] {
                let copy = copies + "/rotord-" + (evict ? "evicted" : "written")
                try FileManager.default.copyItem(atPath: rotord, toPath: copy)
                if evict { try dropFromPageCache(copy) }
                var samples: [String: [(wall: Double, rssKiB: Int)]] = [:]
                for round in 0..<(runs + 1) {
                    let a = try measure(copy, ["run", "--once", "--config", world.configPath])
                    let b = try measure(certbot, certbotArguments)
                    guard a.status == 0, b.status == 0 else {
                        print("rotord exited \(a.status), certbot \(b.status): not comparable")
                        return
                    }
                    if round == 0 { continue }  // warm-up: page cache, Python bytecode
                    samples["rotord", default: []].append((a.wall, a.rssKiB))
                    samples["certbot", default: []].append((b.wall, b.rssKiB))
                }
                func median(_ name: String, _ key: (Double, Int) -> Double) -> Double {
                    percentile(samples[name, default: []].map { key($0.wall, $0.rssKiB) }, 0.5)
                }
                let rWall = median("rotord") { w, _ in w }, cWall = median("certbot") { w, _ in w }
                let rRSS = median("rotord") { _, r in Double(r) }, cRSS = median("certbot") { _, r in Double(r) }
                print(
                    "| wall time, median (rotord \(state)) | \(ms(rWall)) | \(ms(cWall)) | "
                        + "1/\(String(format: "%.1f", cWall / rWall)) | ≤ 1/20 |")
                print(
                    "| peak RSS, median (rotord \(state)) | \(String(format: "%.1f MB", rRSS / 1024)) | "
                        + "\(String(format: "%.1f MB", cRSS / 1024)) | 1/\(String(format: "%.2f", cRSS / rRSS)) | ≤ 1/2.5 |"
                )
            }
            print("")
        }
    }

    /// Writes `path`'s pages to the disk and drops them from the page cache, so that the next run
    /// reads the binary back as after a boot.
    static func dropFromPageCache(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
    }

    /// Runs `path` with `arguments` (output discarded) through `peak-rss` (built beside
    /// rotord-bench) and returns its exit status, wall time and peak RSS. Spawned from this large
    /// process directly, a child's `ru_maxrss` would be at least this process's peak (Linux counts
    /// the address space an exec replaces): `peak-rss` forks it from a small one.
    static func measure(_ path: String, _ arguments: [String]) throws -> (status: Int32, wall: Double, rssKiB: Int) {
        let helper = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "peak-rss"
        ).path
        let result = tempDir("peak-rss") + "/result"
        defer { try? FileManager.default.removeItem(atPath: (result as NSString).deletingLastPathComponent) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = ([helper, result, path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, helper, &actions, nil, argv, environ)
        guard rc == 0 else {
            throw BenchmarkError(
                "cannot run \(helper) (swift build --product peak-rss): \(String(cString: strerror(rc)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let fields = ((try? String(contentsOfFile: result, encoding: .utf8)) ?? "").split(separator: " ")
        guard fields.count == 3, let exit = Int32(fields[0]), let nanoseconds = Double(fields[1]),
            let rss = Int(fields[2].trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw BenchmarkError("peak-rss gave no result for \(path)") }
        return (exit, nanoseconds / 1e9, rss)
    }
}
