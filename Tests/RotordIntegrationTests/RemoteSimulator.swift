import AsyncHTTPClient
import Foundation
import FracttalSimulator
import Glibc
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// The `fracttal-sim` executable (``Scenario/simulatorPath``) as a child process on 127.0.0.1,
/// inspected through its test-control API (`--control`, `/_sim/`) with the same async methods as an
/// in-process ``FracttalSimulator``.
///
/// Its standard input is a pipe this process holds open (`--stop-on-stdin-eof`), so the simulator
/// also ends if the test runner dies before ``stop()``.
final class RemoteSimulator: Sendable {
    /// The port it listens on (127.0.0.1).
    let port: Int
    /// Its process id.
    let pid: pid_t
    private let process: Mutex<Process?>
    private let stdin: Mutex<Pipe?>

    /// What went wrong talking to or starting the simulator.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private init(port: Int, process: Process, stdin: Pipe) {
        self.port = port
        self.pid = process.processIdentifier
        self.process = Mutex(process)
        self.stdin = Mutex(stdin)
    }

    /// Writes `seed` to `directory/seed.json` and starts `fracttal-sim --port 0 --seed … --control`
    /// with the options of `configuration`; waits (at most `timeout`) for its port.
    static func start(
        seed: SimulatorSeed, configuration: SimulatorConfiguration, directory: String,
        timeout: Duration = .seconds(60)
    ) async throws -> RemoteSimulator {
        guard configuration.clock is SystemSimulatorClock else {
            throw Failure(description: "a simulator process runs on the system clock; it cannot take another one")
        }
        guard configuration.host == "127.0.0.1" else {
            throw Failure(description: "the tests' simulator binds 127.0.0.1 only")
        }
        let seedPath = directory + "/seed.json"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(seed).write(to: URL(fileURLWithPath: seedPath))
        let outPath = directory + "/fracttal-sim.out"
        let errPath = directory + "/fracttal-sim.err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Scenario.simulatorPath)
        process.arguments = [
            "--host", "127.0.0.1", "--port", "\(configuration.port)", "--seed", seedPath, "--control",
            "--stop-on-stdin-eof", "--token-lifetime", "\(configuration.tokenLifetime)",
            "--requests-per-minute", "\(configuration.requestsPerMinute)",
            "--rate-limit-window", "\(configuration.rateLimitWindow)",
        ]
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()

        // The first line is "fracttal-sim listening on http://127.0.0.1:PORT".
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var port: Int?
        while port == nil && process.isRunning && clock.now < deadline {
            let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            if let newline = text.firstIndex(of: "\n") {
                let line = text[..<newline]
                guard line.hasPrefix("fracttal-sim listening on http://127.0.0.1:"), let colon = line.lastIndex(of: ":")
                else { break }
                port = Int(line[line.index(after: colon)...])
                break
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        let simulator = RemoteSimulator(port: port ?? 0, process: process, stdin: stdin)
        guard port != nil else {
            simulator.stop()
            let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw Failure(description: "\(Scenario.simulatorPath) did not report its port within \(timeout): \(err)")
        }
        return simulator
    }

    /// SIGTERM, then SIGKILL if it has not exited within 5 s; reaps it. Idempotent; synchronous, so
    /// a `defer` can call it.
    func stop() {
        let taken = process.withLock { p -> Process? in
            let taken = p
            p = nil
            return taken
        }
        guard let process = taken else { return }
        if process.isRunning {
            kill(pid, SIGTERM)
            _ = process.waitForExit(timeout: .seconds(5))
        }
        if process.isRunning {
            kill(pid, SIGKILL)
            _ = process.waitForExit(timeout: .seconds(5))
        }
        if !process.isRunning { process.waitUntilExit() }
        // The simulator is gone: its standard input's write end is no longer needed.
        let pipe = stdin.withLock { p -> Pipe? in
            let taken = p
            p = nil
            return taken
        }
        try? pipe?.fileHandleForWriting.close()
    }

    // MARK: - The control API

    /// Every live consumer, secrets included, in id order.
    func consumers() async -> [SimulatorSeed.Consumer] {
        await get("consumers", as: [SimulatorSeed.Consumer].self, orElse: [])
    }

    /// The counters.
    func statistics() async -> SimulatorStatistics {
        await get("statistics", as: SimulatorStatistics.self, orElse: SimulatorStatistics())
    }

    /// The faults in force (counters decrease as they fire).
    func faults() async -> SimulatorFaults {
        await get("faults", as: SimulatorFaults.self, orElse: SimulatorFaults())
    }

    /// Replaces the faults.
    func setFaults(_ faults: SimulatorFaults) async throws {
        _ = try await call(.PUT, "faults", body: JSONEncoder().encode(faults))
    }

    /// Adds a consumer to the running account (as if made in the web UI); returns it with its id,
    /// key, secret and creation date.
    @discardableResult
    func add(_ consumer: SimulatorSeed.Consumer) async -> SimulatorSeed.Consumer {
        do {
            let data = try await call(.POST, "consumers", body: JSONEncoder().encode(consumer))
            return try JSONDecoder().decode(SimulatorSeed.Consumer.self, from: data)
        } catch {
            Issue.record("RemoteSimulator: adding consumer \(consumer.name) failed: \(error)")
            return consumer
        }
    }

    /// Whether the token endpoint would accept this pair now.
    func isAccepted(key: String, secret: String) async -> Bool {
        struct Pair: Encodable {
            var key: String
            var secret: String
        }
        struct Answer: Decodable { var accepted: Bool }
        do {
            let body = try JSONEncoder().encode(Pair(key: key, secret: secret))
            return try JSONDecoder().decode(Answer.self, from: try await call(.POST, "accepts", body: body)).accepted
        } catch {
            // Never print the pair: only the key's first 4 characters.
            Issue.record("RemoteSimulator: isAccepted(\(key.prefix(4))…) failed: \(error)")
            return false
        }
    }

    /// A GET whose failure is recorded as a test issue and answered with `fallback`, so the method
    /// signatures stay those of ``FracttalSimulator`` (not throwing).
    private func get<T: Decodable>(_ path: String, as type: T.Type, orElse fallback: T) async -> T {
        do { return try JSONDecoder().decode(T.self, from: try await call(.GET, path)) } catch {
            Issue.record("RemoteSimulator: GET /_sim/\(path) failed: \(error)")
            return fallback
        }
    }

    private func call(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/_sim/\(path)")
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 24)
        guard response.status == .ok else {
            throw Failure(description: "\(method) /_sim/\(path): \(response.status) \(String(buffer: bytes))")
        }
        return Data(bytes.readableBytesView)
    }
}
