import Foundation
import FracttalSimulator
import Glibc
import Testing

/// A stop is not a failure: SIGTERM while the new credential is still propagating leaves the
/// rotation resumable where it was (issue 14, point 6).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct StopTests {
    /// The step in the one in-flight journal record, if any.
    static func inFlightStep(_ s: Scenario) -> String? {
        let dir = s.stateDir + "/rotations"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.filter { $0.hasSuffix(".json") } ?? []
        guard let file = files.first,
            let data = FileManager.default.contents(atPath: dir + "/" + file),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["step"] as? String
    }

    @Test func sigtermDuringVerificationKeepsTheRotationResumable() async throws {
        // The new pair works only 10 s after its create: long enough that the stop below lands during verification
        // even on a loaded machine (with 4 s, a slow run once saw verification succeed before the SIGTERM).
        var faults = SimulatorFaults()
        faults.newCredentialActivationDelay = 10
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)], faults: faults)
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"], verifyTimeout: "60s")
        let daemon = try s.start(["run"])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }

        // Wait (bounded) until the replacement exists and verification is being retried.
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(20))
        while Self.inFlightStep(s) != "created" && clock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(Self.inFlightStep(s) == "created")
        try await Task.sleep(for: .milliseconds(600))  // at least one refused attempt
        kill(daemon.processIdentifier, SIGTERM)
        let stopped = await s.wait(daemon, timeout: .seconds(20))
        #expect(stopped.status == 0, "\(stopped.output)")
        #expect(Self.inFlightStep(s) == "created", "the stop left the rotation where it was")
        #expect(await s.live("etl").count == 2, "the new consumer was not discarded")
        #expect(await s.simulator.statistics().deleted == 0)

        // Once the credential has propagated, the next run finishes the same rotation.
        try await Task.sleep(for: .seconds(10))
        let resumed = try await s.run(["run", "--once"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(Self.inFlightStep(s) == nil)
        #expect(await s.live("etl").count == 1)
        #expect(await s.simulator.statistics().created == 1, "no second create")
        let pair = try #require(s.envPair("etl"))
        #expect(await s.simulator.isAccepted(key: pair.key, secret: pair.secret))
        #expect(RotationEndToEndTests.secretLike(stopped.output + resumed.output).isEmpty)
    }

    @Test func aReloadMovingStateDirAwayFromRotationsInFlightIsRefused() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"], grace: "10m")
        let daemon = try s.start(["run"])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(20))
        while Self.inFlightStep(s) != "grace" && clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(Self.inFlightStep(s) == "grace")

        // The same file with another state_dir: the answer comes at once, in the directory
        // `rotord reload` reads (the new one), and says why.
        let config = try String(contentsOfFile: s.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "state_dir: \(s.stateDir)", with: "state_dir: \(s.dir)/state2")
            .write(toFile: s.configPath, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: s.dir + "/state2", withIntermediateDirectories: true)
        let start = clock.now
        let reload = try await s.run(["reload", "--pid", "\(daemon.processIdentifier)", "--timeout", "60"])
        #expect(reload.status == 78, "\(reload.output)")
        #expect(reload.stderr.contains("in flight"), "\(reload.output)")
        // At once, not at the 60 s timeout (loose for a loaded machine).
        #expect(start.duration(to: clock.now) < .seconds(30))
        #expect(daemon.isRunning)
        #expect(Self.inFlightStep(s) == "grace", "the rotation is not abandoned")
        kill(daemon.processIdentifier, SIGTERM)
        _ = await s.wait(daemon, timeout: .seconds(20))
    }

    @Test func reloadNeverSignalsAProcessThatIsNotRotord() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 1)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"])
        try FileManager.default.createDirectory(atPath: s.stateDir, withIntermediateDirectories: true)
        // A pid file left by a daemon killed with -9, naming a process that is not rotord now.
        let bystander = Process()
        bystander.executableURL = URL(fileURLWithPath: "/bin/sleep")
        bystander.arguments = ["30"]
        try bystander.run()
        defer { if bystander.isRunning { kill(bystander.processIdentifier, SIGKILL) } }
        try "\(bystander.processIdentifier)\n".write(
            toFile: s.stateDir + "/rotord.pid", atomically: true, encoding: .utf8)
        let result = try await s.run(["reload", "--timeout", "2"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("is not a running `rotord run`"), "\(result.output)")
        try await Task.sleep(for: .milliseconds(200))
        #expect(bystander.isRunning, "SIGHUP would have ended the bystander")
    }

    @Test func aHookThatLeavesABackgroundProcessDoesNotBlockTheRotation() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        let pidFile = s.dir + "/background.pid"
        try s.writeConfig(
            consumers: ["etl"],
            extra: """
                    after_publish:
                      - exec: ["/bin/sh", "-c", "setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $! > \(pidFile)"]
                        timeout: 20s

                """)
        defer {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text.trimmed) {
                kill(pid, SIGKILL)
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await s.run(["run", "--once"], timeout: .seconds(120))
        let took = start.duration(to: clock.now)
        #expect(result.status == 0, "\(result.output)")
        // Far below the background process's 300 s (loose for a loaded machine).
        #expect(took < .seconds(60), "the hook's background process held rotord for \(took)")
        #expect(FileManager.default.fileExists(atPath: pidFile), "the hook ran")
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
