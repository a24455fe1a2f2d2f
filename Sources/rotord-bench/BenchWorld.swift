import Foundation
import FracttalSimulator
import Glibc

/// A simulator, a state directory and a configuration for running the real `rotord` binary.
final class BenchWorld: @unchecked Sendable {
    let dir: String
    let simulator: FracttalSimulator
    let port: Int
    let adminKey = SimulatorSeed.randomCredential(length: 18)
    let adminSecret = SimulatorSeed.randomCredential(length: 32)
    var configPath: String { dir + "/rotord.yaml" }
    var stateDir: String { dir + "/state" }
    /// The metrics file, when the configuration asks for one.
    var metricsPath: String { dir + "/rotord.prom" }

    init(consumers: Int, ageDays: Double, requestsPerMinute: Int = 0) async throws {
        dir = Benchmark.tempDir("world")
        try FileManager.default.createDirectory(atPath: dir + "/deliver", withIntermediateDirectories: true)
        var seed: [SimulatorSeed.Consumer] = [
            .init(name: "rotord-admin", permissionGroupId: 1, key: adminKey, secret: adminSecret)
        ]
        let now = Date()
        for i in 0..<consumers {
            seed.append(
                .init(name: "c\(i)", permissionGroupId: 3, createdAt: now.addingTimeInterval(-ageDays * 86_400)))
        }
        simulator = FracttalSimulator(
            configuration: SimulatorConfiguration(requestsPerMinute: requestsPerMinute),
            seed: SimulatorSeed(
                permissionGroups: [.init(id: 1, name: "Admin", superAdmin: true), .init(id: 3, name: "Reportes")],
                consumers: seed))
        port = try await simulator.start()
        try adminKey.write(toFile: dir + "/admin-key", atomically: true, encoding: .utf8)
        try adminSecret.write(toFile: dir + "/admin-secret", atomically: true, encoding: .utf8)
    }

    func writeConfig(
        consumers: Int, maxAge: String, rotateBefore: String = "0s", requestsPerMinute: Int = 200,
        stateDir: String? = nil, metrics: Bool = false
    ) throws {
        var yaml = """
            fracttal:
              token_url: http://127.0.0.1:\(port)/oauth/token
              api_url: http://127.0.0.1:\(port)/api
              admin: { key_file: \(dir)/admin-key, secret_file: \(dir)/admin-secret }
              requests_per_minute: \(requestsPerMinute)
            state_dir: \(stateDir ?? self.stateDir)
            defaults: { max_age: \(maxAge), rotate_before: \(rotateBefore), grace: 0s }
            consumers:

            """
        for i in 0..<consumers {
            yaml += "  - { name: c\(i), permission_group: Reportes, deliver: [{ path: \(dir)/deliver/c\(i).env }] }\n"
        }
        if metrics { yaml += "metrics: { textfile: \(metricsPath) }\n" }
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func spawn(_ rotord: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: rotord)
        p.arguments = arguments + ["--config", configPath, "--log-level", "warning"]
        var env = ProcessInfo.processInfo.environment
        for k in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"] { env[k] = nil }
        env.merge(environment) { _, new in new }
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return p
    }

    func stop(_ p: Process) {
        if p.isRunning { kill(p.processIdentifier, SIGTERM) }
        p.waitUntilExit()
    }

    /// Runs `body`, then ``cleanUp()``, awaited, whether `body` returned or threw.
    func cleaningUp(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            await cleanUp()
            throw error
        }
        await cleanUp()
    }

    func cleanUp() async {
        await simulator.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// What /proc says of a process.
enum ProcStats {
    static func rssKiB(_ pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        }
        return 0
    }

    /// utime + stime in seconds.
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Voluntary + involuntary context switches of every thread: an upper bound on wake-ups.
    static func contextSwitches(_ pid: Int32) -> Int {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return 0 }
        var total = 0
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8) else {
                continue
            }
            for line in text.split(separator: "\n")
            where line.hasPrefix("voluntary_ctxt_switches") || line.hasPrefix("nonvoluntary_ctxt_switches") {
                total += Int(line.split(separator: "\t").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
            }
        }
        return total
    }

    static func threads(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").count) ?? 0
    }
}
