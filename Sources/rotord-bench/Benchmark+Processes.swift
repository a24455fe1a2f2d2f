import Foundation
import FracttalSimulator
import Glibc
import RotordKit
import RotordTestKit

extension Benchmark {
    /// exec → READY=1, with an empty state and with 10,000 past rotations.
    static func startup(rotord: String) async throws {
        let world = try await BenchWorld(consumers: 3, ageDays: 1)
        try await world.cleaningUp { () async throws in
            print("## Start-up: exec to READY=1 (3 consumers, nothing due; READY follows the first reconcile)\n")
            print("| state directory | median | p90 | RSS after READY |\n| --- | --- | --- | --- |")
            for (label, history) in [("empty", 0), ("10,000 past rotations", 10_000)] {
                var samples: [Double] = []
                var rss = 0
                for _ in 0..<10 {
                    let state = world.dir + "/state-\(UUID().uuidString.prefix(6))"
                    try FileManager.default.createDirectory(
                        atPath: state + "/rotations", withIntermediateDirectories: true)
                    if history > 0 {
                        try writeHistory(count: history, to: state + "/history.jsonl")
                        try StateStore(directory: state).ensureSummary()  // as a daemon leaves it
                    }
                    try world.writeConfig(consumers: 3, maxAge: "90d", rotateBefore: "7d", stateDir: state)
                    let listener = try FakeNotifySocket()
                    let p = try world.spawn(rotord, ["run"], environment: ["NOTIFY_SOCKET": listener.path])
                    if let t = listener.wait(for: "READY=1", timeout: 30)?.seconds { samples.append(t) }
                    rss = ProcStats.rssKiB(p.processIdentifier)
                    world.stop(p)
                    listener.close()
                }
                print(
                    "| \(label) | \(ms(percentile(samples, 0.5))) | \(ms(percentile(samples, 0.9))) | \(String(format: "%.1f MB", Double(rss) / 1024)) |"
                )
            }
            print("")
        }
    }

    static func writeHistory(count: Int, to path: String) throws {
        var text = ""
        text.reserveCapacity(count * 200)
        for i in 0..<count {
            let c = i % 50
            text +=
                #"{"consumer":"c\#(c)","finishedAt":"2026-01-01T00:00:00Z","id":"r\#(1_700_000_000 + i)-\#(String(i, radix: 16))","newKey":"AbCd…","oldKey":"WxYz…","startedAt":"2026-01-01T00:00:00Z","step":"done"}"#
                + "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// RSS, CPU and wake-ups over an idle period with WATCHDOG_USEC=30s; with `metrics`, the daemon writes a
    /// metrics file after each pass (`--metrics`).
    static func idle(rotord: String, seconds: Int, metrics: Bool = false) async throws {
        let world = try await BenchWorld(consumers: 3, ageDays: 1)
        try await world.cleaningUp { () async throws in
            try world.writeConfig(consumers: 3, maxAge: "90d", rotateBefore: "7d", metrics: metrics)
            let listener = try FakeNotifySocket()
            defer { listener.close() }
            let p = try world.spawn(
                rotord, ["run"], environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "30000000"])
            defer { world.stop(p) }
            _ = listener.wait(for: "READY=1", timeout: 30)
            let pid = p.processIdentifier
            let rss0 = ProcStats.rssKiB(pid), cpu0 = ProcStats.cpuSeconds(pid), cs0 = ProcStats.contextSwitches(pid)
            let requests0 = await world.simulator.statistics().apiRequests
            var pings = 0
            let clock = ContinuousClock()
            let end = clock.now.advanced(by: .seconds(seconds))
            while clock.now < end {
                if let m = listener.receive(timeout: 1), m.contains("WATCHDOG=1") { pings += 1 }
            }
            let rss1 = ProcStats.rssKiB(pid), cpu1 = ProcStats.cpuSeconds(pid), cs1 = ProcStats.contextSwitches(pid)
            let requests1 = await world.simulator.statistics().apiRequests
            let written =
                metrics && FileManager.default.fileExists(atPath: world.metricsPath) ? ", metrics file written" : ""
            print(
                "## Idle (\(seconds) s after READY, WATCHDOG_USEC=30s, \(ProcStats.threads(pid)) threads\(written))\n")
            print(
                "| RSS after start-up | RSS at the end | CPU time | watchdog pings | context switches (all threads) | API requests |"
            )
            print("| --- | --- | --- | --- | --- | --- |")
            print(
                "| \(String(format: "%.1f MB", Double(rss0) / 1024)) | \(String(format: "%.1f MB", Double(rss1) / 1024)) | "
                    + "\(String(format: "%.3f s", cpu1 - cpu0)) | \(pings) | \(cs1 - cs0) | \(requests1 - requests0) |\n"
            )
        }
    }

    /// RSS growth over many rotations in one daemon.
    static func leak(rotord: String, rotations: Int) async throws {
        let consumers = 50
        let world = try await BenchWorld(consumers: consumers, ageDays: 1)
        try await world.cleaningUp { () async throws in
            try world.writeConfig(consumers: consumers, maxAge: "1s", requestsPerMinute: 100_000)
            // No NOTIFY_SOCKET here: nobody would read it, and a full datagram queue blocks sd_notify.
            let p = try world.spawn(rotord, ["run"])
            defer { world.stop(p) }
            let pid = p.processIdentifier
            let warmup = min(1_000, rotations / 10)
            var rssWarm = 0
            let clock = ContinuousClock()
            let start = clock.now
            let deadline = clock.now.advanced(by: .seconds(3_600))
            while clock.now < deadline {
                let created = await world.simulator.statistics().created
                if rssWarm == 0 && created >= warmup { rssWarm = ProcStats.rssKiB(pid) }
                if created >= rotations { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            let rssEnd = ProcStats.rssKiB(pid)
            let stats = await world.simulator.statistics()
            let took = start.duration(to: clock.now).components.seconds
            print(
                "## Leak check: \(stats.created) rotations in one daemon (\(consumers) consumers, max_age 1s, \(took) s)\n"
            )
            print("| RSS after \(warmup) rotations | RSS after \(stats.created) | growth |\n| --- | --- | --- |")
            print(
                "| \(String(format: "%.1f MB", Double(rssWarm) / 1024)) | \(String(format: "%.1f MB", Double(rssEnd) / 1024)) | "
                    + "\(String(format: "%+.2f MB", Double(rssEnd - rssWarm) / 1024)) |\n")
        }
    }

    /// 200 due consumers against a 200/min limit: how much of the budget is used, and 406s.
    static func budget(rotord: String) async throws {
        let n = 200
        let world = try await BenchWorld(consumers: n, ageDays: 120, requestsPerMinute: 200)
        try await world.cleaningUp { () async throws in
            try world.writeConfig(consumers: n, maxAge: "90d", rotateBefore: "7d", requestsPerMinute: 200)
            let clock = ContinuousClock()
            let start = clock.now
            let p = try world.spawn(rotord, ["run", "--once"])
            p.waitUntilExit()
            let d = start.duration(to: clock.now)
            let wall = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            let stats = await world.simulator.statistics()
            let perMinute = Double(stats.apiRequests) / (wall / 60)
            let minimum = Double(stats.apiRequests) / 200 * 60
            print("## API budget: \(n) due consumers, 200 requests/min (exit \(p.terminationStatus))\n")
            print("| API requests | 406s | wall time | requests/min | % of budget | theoretical minimum |")
            print("| --- | --- | --- | --- | --- | --- |")
            print(
                "| \(stats.apiRequests) | \(stats.rateLimited) | \(String(format: "%.1f s", wall)) | \(String(format: "%.1f", perMinute)) | "
                    + "\(String(format: "%.1f %%", perMinute / 200 * 100)) | \(String(format: "%.1f s", minimum)) (requests ÷ budget) |"
            )
            print("\nRotations completed: \(stats.deleted) of \(n).\n")
        }
    }
}
