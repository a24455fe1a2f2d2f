import Foundation
import FracttalSimulator
import Glibc
import Synchronization

/// One integration-test world: the `fracttal-sim` executable on 127.0.0.1 (``RemoteSimulator``), a
/// temporary directory with the admin credential files, a configuration file, a state directory and
/// deliver files, and the real `rotord` executable to run against them. ``cleanUp()`` (also run when
/// the scenario is released) stops every process it started, by pid, and removes the directory.
final class Scenario: @unchecked Sendable {
    struct Seeded {
        var name: String
        var ageDays: Double
        var group: Int = 3
    }

    let dir: String
    let simulator: RemoteSimulator
    let port: Int
    let adminKey = SimulatorSeed.randomCredential(length: 18)
    let adminSecret = SimulatorSeed.randomCredential(length: 32)
    var configPath: String { dir + "/rotord.yaml" }
    var stateDir: String { dir + "/state" }
    var deliverDir: String { dir + "/deliver" }

    /// Seeds and starts a simulator process; `configuration`'s host, port, token lifetime and rate
    /// limit become its command-line options (it runs on the system clock).
    init(
        consumers: [Seeded], configuration: SimulatorConfiguration = .init(), faults: SimulatorFaults = .init()
    ) async throws {
        dir = FileManager.default.temporaryDirectory.path + "/rotord-it-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/deliver", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/credentials", withIntermediateDirectories: true)
        let now = Date()
        var admin = SimulatorSeed.Consumer(name: "rotord-admin", permissionGroupId: 1)
        admin.key = adminKey
        admin.secret = adminSecret
        var seeded = [admin]
        for c in consumers {
            var s = SimulatorSeed.Consumer(name: c.name, permissionGroupId: c.group)
            s.description = "integration \(c.name)"
            s.createdAt = now.addingTimeInterval(-c.ageDays * 86_400)
            seeded.append(s)
        }
        let seed = SimulatorSeed(
            permissionGroups: [
                .init(id: 1, name: "Super Administrador", superAdmin: true),
                .init(id: 3, name: "Reportes", superAdmin: false),
                .init(id: 4, name: "Integraciones", superAdmin: false),
            ],
            consumers: seeded)
        let simulator: RemoteSimulator
        do {
            simulator = try await RemoteSimulator.start(seed: seed, configuration: configuration, directory: dir)
        } catch {
            try? FileManager.default.removeItem(atPath: dir)
            throw error
        }
        self.simulator = simulator
        port = simulator.port
        do {
            try await simulator.setFaults(faults)
            try adminKey.write(toFile: dir + "/credentials/admin-key", atomically: true, encoding: .utf8)
            try adminSecret.write(toFile: dir + "/credentials/admin-secret", atomically: true, encoding: .utf8)
        } catch {
            cleanUp()
            throw error
        }
    }

    deinit { cleanUp() }

    /// Writes the configuration: every consumer gets an env file (0640), a json file and raw files.
    func writeConfig(
        consumers: [String], maxAge: String = "90d", rotateBefore: String = "7d", grace: String = "0s",
        verifyTimeout: String = "10s", requestsPerMinute: Int = 200, clientAuth: String = "basic", extra: String = "",
        adminRotate: String? = nil
    ) throws {
        var yaml = """
            fracttal:
              token_url: http://127.0.0.1:\(port)/oauth/token
              api_url: http://127.0.0.1:\(port)/api
              client_auth: \(clientAuth)
              admin:
                key_file: \(dir)/credentials/admin-key
                secret_file: \(dir)/credentials/admin-secret\(adminRotate.map { "\n    rotate: \($0)" } ?? "")
              requests_per_minute: \(requestsPerMinute)
              timeout: 5s
              verify_timeout: \(verifyTimeout)
            state_dir: \(stateDir)
            defaults:
              max_age: \(maxAge)
              rotate_before: \(rotateBefore)
              grace: \(grace)
            consumers:

            """
        for name in consumers {
            yaml += """
                  - name: \(name)
                    permission_group: Reportes
                    deliver:
                      - path: \(deliverDir)/\(name).env
                        format: env
                        mode: "0640"
                      - path: \(deliverDir)/\(name).json
                        format: json
                      - path: \(deliverDir)/\(name)
                        format: raw

                """
        }
        try (yaml + extra).write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Writes the configuration with one consumer, `name`, whose `deliver:` items are `deliver` (each
    /// `      - path: ...` and its keys), instead of the usual three files.
    func writeConfig(consumer name: String, deliver: String) throws {
        try writeConfig(
            consumers: [], extra: "  - name: \(name)\n    permission_group: Reportes\n    deliver:\n" + deliver)
    }

    /// Kills (SIGKILL, by pid) every rotord this scenario started that still runs, stops the
    /// simulator (SIGTERM, then SIGKILL), reaps them all within bounded waits and removes the
    /// temporary directory. Idempotent and synchronous, so a `defer` runs it on every path.
    func cleanUp() {
        let running = processes.withLock { list in
            defer { list = [] }
            return list.filter(\.isRunning)
        }
        for process in running { kill(process.processIdentifier, SIGKILL) }
        for process in running where process.waitForExit(timeout: .seconds(10)) { process.waitUntilExit() }
        simulator.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Every rotord process started, for ``cleanUp()``.
    private let processes = Mutex<[Process]>([])

    // MARK: - Reading the world

    /// The pair in a consumer's env file.
    func envPair(_ name: String) -> (key: String, secret: String)? { pair(in: "\(deliverDir)/\(name).env") }

    /// The pair in the env file at `path`.
    func pair(in path: String) -> (key: String, secret: String)? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        guard let k = values["FRACTTAL_CLIENT_ID"], let s = values["FRACTTAL_CLIENT_SECRET"] else { return nil }
        return (k, s)
    }

    /// The metrics file the tests configure (`metrics: textfile:`).
    var metricsPath: String { "\(dir)/rotord.prom" }

    /// The value of the sample `series` (name and labels as rotord writes them, `rotord_x{a="b"}`) in the
    /// metrics file, or `nil` when the file or the sample is not there.
    func metric(_ series: String) -> Double? {
        guard let text = try? String(contentsOfFile: metricsPath, encoding: .utf8) else { return nil }
        let line = text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
        return line.flatMap { Double($0.dropFirst(series.count + 1)) }
    }

    func live(_ name: String) async -> [SimulatorSeed.Consumer] {
        await simulator.consumers().filter { $0.name == name }
    }

    func mode(_ path: String) -> UInt32 {
        var st = stat()
        return stat(path, &st) == 0 ? UInt32(st.st_mode & 0o7777) : 0
    }

    // MARK: - Running rotord

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var output: String { stdout + stderr }
    }

    /// Where the process-level tests find `rotord`, `rotord-faults` and `fracttal-sim`:
    /// `ROTORD_TEST_BIN_DIR` (scripts/test.sh sets it to the **release** build), else the folder of
    /// the test bundle (a plain `swift test` runs the debug build). Printed once per test run, so
    /// the output names the binaries that were tested (rotord and the simulator).
    static let binDirectory: String = {
        let fromEnvironment = ProcessInfo.processInfo.environment["ROTORD_TEST_BIN_DIR"]
        let dir =
            fromEnvironment
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        print(
            "process-level tests run \(dir)/rotord and \(dir)/fracttal-sim (\(fromEnvironment == nil ? "the test bundle's build" : "ROTORD_TEST_BIN_DIR"))"
        )
        return dir
    }()

    /// The shipped binary.
    static var rotordPath: String { binDirectory + "/rotord" }

    /// The simulator, run as a child process (``RemoteSimulator``).
    static var simulatorPath: String { binDirectory + "/fracttal-sim" }

    /// The same commands with fault injection from the environment (test-only; docs/testing.md).
    static var rotordFaultsPath: String { binDirectory + "/rotord-faults" }

    /// Starts rotord with `arguments` (and `--config`); returns the process.
    func start(_ arguments: [String], environment: [String: String] = [:], faults: Bool = false) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: faults ? Self.rotordFaultsPath : Self.rotordPath)
        process.arguments = arguments + ["--config", configPath]
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = nil
        env["WATCHDOG_USEC"] = nil
        env["JOURNAL_STREAM"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outFile(process, "out")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: outFile(process, "err")))
        try process.run()
        processes.withLock { $0.append(process) }
        return process
    }

    private var outputCounter = 0
    private var outputs: [ObjectIdentifier: (String, String)] = [:]

    private func outFile(_ process: Process, _ kind: String) -> String {
        outputCounter += 1
        let path = "\(dir)/proc-\(outputCounter).\(kind)"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        var entry = outputs[ObjectIdentifier(process)] ?? ("", "")
        if kind == "out" { entry.0 = path } else { entry.1 = path }
        outputs[ObjectIdentifier(process)] = entry
        return path
    }

    /// Waits for `process` (up to `timeout`, then kills it) and collects its output.
    func wait(_ process: Process, timeout: Duration = .seconds(60)) async -> Result {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while process.isRunning && clock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        process.waitUntilExit()
        let files = outputs[ObjectIdentifier(process)] ?? ("", "")
        let out = (try? String(contentsOfFile: files.0, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: files.1, encoding: .utf8)) ?? ""
        let status =
            process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Result(status: status, stdout: out, stderr: err)
    }

    /// Runs rotord to completion.
    func run(
        _ arguments: [String], environment: [String: String] = [:], faults: Bool = false,
        timeout: Duration = .seconds(60)
    ) async throws -> Result {
        let process = try start(arguments, environment: environment, faults: faults)
        return await wait(process, timeout: timeout)
    }

    /// Every secret the simulator ever issued to a consumer of this scenario (admin included).
    func allSecrets() async -> [String] {
        (await simulator.consumers()).compactMap(\.secret) + [adminSecret] + issuedSecrets
    }

    /// Secrets seen earlier (deleted consumers no longer list theirs).
    var issuedSecrets: [String] = []

    func rememberSecrets() async {
        issuedSecrets += (await simulator.consumers()).compactMap(\.secret)
    }

}
