import Foundation
import Glibc

/// `fracttal-sim` as a child process of `rotord demo`, on a free loopback port.
///
/// Found beside the running `rotord` (where `make install` and `swift build` put both), then on
/// `PATH`, unless a path is given. Stopped with SIGTERM (then SIGKILL) by ``stop()``.
final class SimulatorProcess: Sendable {
    /// The port it listens on (127.0.0.1).
    let port: Int
    private let pid: pid_t

    private init(port: Int, pid: pid_t) {
        self.port = port
        self.pid = pid
    }

    /// Why the simulator could not be started; says what to do.
    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `fracttal-sim --port 0 --seed SEED` and waits (at most 15 s) for its port.
    static func start(executable: String?, seed: String) async throws(StartError) -> SimulatorProcess {
        guard let path = executable ?? locate() else {
            throw StartError(
                description: "fracttal-sim was not found beside rotord or on PATH; build it "
                    + "(swift build -c release --static-swift-stdlib --product fracttal-sim) or pass --simulator PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--port", "0", "--seed", seed, "--requests-per-minute", "200"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        do { try process.run() } catch {
            throw StartError(description: "cannot start \(path): \(error.localizedDescription)")
        }
        let simulator = SimulatorProcess(port: 0, pid: process.processIdentifier)
        let reader = output.fileHandleForReading
        let port: Int? = await withTaskGroup(of: Int?.self) { group in
            group.addTask {
                // The first line is "fracttal-sim listening on http://127.0.0.1:PORT".
                var text = ""
                while !text.contains("\n") {
                    let chunk = reader.availableData
                    if chunk.isEmpty { return nil }
                    text += String(decoding: chunk, as: UTF8.self)
                }
                guard let line = text.split(separator: "\n").first, let colon = line.lastIndex(of: ":") else {
                    return nil
                }
                return Int(line[line.index(after: colon)...])
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(15))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let port else {
            simulator.stop()
            throw StartError(description: "\(path) did not report its port within 15 s")
        }
        return SimulatorProcess(port: port, pid: process.processIdentifier)
    }

    /// SIGTERM, then SIGKILL if it has not exited within 5 s; reaps the child.
    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<500 {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }

    /// `fracttal-sim` beside this executable, then on `PATH`.
    static func locate() -> String? {
        var candidates: [String] = []
        if let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(
                URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("fracttal-sim").path)
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(dir)/fracttal-sim")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
