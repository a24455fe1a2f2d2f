import Foundation
import FracttalSimulator
import Glibc
import RotordTestKit
import Testing

/// `rotord run` as a real process with a fake NOTIFY_SOCKET: readiness, status, the timer
/// re-armed to the next deadline, reload with acknowledgement, and a clean stop.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DaemonTests {
    @Test func daemonRotatesReloadsAndStops() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120), .init(name: "fresh", ageDays: 1)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"], grace: "2s")
        let old = try #require(await s.live("etl").first)
        let receiver = try FakeNotifySocket()
        defer { receiver.close() }
        let daemon = try s.start(["run"], environment: ["NOTIFY_SOCKET": receiver.path])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }

        // READY=1 comes after the first pass, which started the due rotation.
        let ready = try #require(receiver.wait(for: "READY=1")?.message)
        #expect(ready.contains("STATUS=1 consumers, 1 due"), "\(ready)")
        #expect(s.envPair("etl") != nil, "published before READY")
        #expect(await s.live("etl").count == 2, "the old consumer lives through its grace period")

        // Nobody pokes the daemon: its timer wakes it when the grace period ends.
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(15))
        while await s.live("etl").count > 1 && clock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(await s.live("etl").count == 1)
        #expect(await !s.simulator.isAccepted(key: old.key!, secret: old.secret!))

        // Reload: the command waits for the daemon's acknowledgement.
        try s.writeConfig(consumers: ["etl", "fresh"], grace: "2s")
        let reload = try await s.run(["reload", "--pid", "\(daemon.processIdentifier)"])
        #expect(reload.status == 0, "\(reload.output)")
        #expect(receiver.wait(for: "RELOADING=1") != nil)
        #expect(receiver.wait(for: "STATUS=2 consumers") != nil, "\(receiver.messages)")
        // An invalid configuration is refused and the daemon says so.
        try "fracttal: {".write(toFile: s.configPath, atomically: true, encoding: .utf8)
        let refused = try await s.run(
            ["reload", "--pid", "\(daemon.processIdentifier)", "--state-dir", s.stateDir], timeout: .seconds(20))
        #expect(refused.status == 78, "\(refused.output)")
        #expect(receiver.wait(for: "config reload failed") != nil)
        #expect(daemon.isRunning)

        // Stop: SIGTERM, STOPPING=1, exit 0.
        kill(daemon.processIdentifier, SIGTERM)
        #expect(receiver.wait(for: "STOPPING=1") != nil)
        let result = await s.wait(daemon, timeout: .seconds(20))
        #expect(result.status == 0, "\(result.output)")
        #expect(RotationEndToEndTests.secretLike(result.output + reload.output).isEmpty)
    }

    /// Issue 19: `STATUS=`, `status --json` and `plan` give the same next wake and reason for the same state (one
    /// answer, `Timing.nextWake`).
    @Test func statusPlanAndTheDaemonNameTheSameNextWake() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120), .init(name: "fresh", ageDays: 1)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl", "fresh"], grace: "1h")
        let receiver = try FakeNotifySocket()
        defer { receiver.close() }
        let daemon = try s.start(["run"], environment: ["NOTIFY_SOCKET": receiver.path])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let ready = try #require(receiver.wait(for: "READY=1")?.message)
        #expect(ready.contains("next: grace of etl in "), "the daemon waits for etl's grace to end: \(ready)")

        let status = try await s.run(["status", "--json"])
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let actions = reports.compactMap { r -> (String, String, String)? in
            guard let next = r["next_action"] as? [String: Any], let at = next["at"] as? String,
                let reason = next["reason"] as? String
            else { return nil }
            return (at, reason, r["name"] as? String ?? "")
        }.sorted { $0.0 < $1.0 }
        #expect(actions.first?.1 == "grace" && actions.first?.2 == "etl", "\(status.output)")
        let plan = try await s.run(["plan"])
        #expect(plan.stdout.contains("next: grace of etl at "), "\(plan.output)")
        kill(daemon.processIdentifier, SIGTERM)
        _ = await s.wait(daemon, timeout: .seconds(20))
    }

    @Test func settingTheWallClockMakesTheDaemonPlanAgainAtOnce() async throws {
        let s = try await Scenario(consumers: [.init(name: "fresh", ageDays: 1)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["fresh"])
        let receiver = try FakeNotifySocket()
        defer { receiver.close() }
        let daemon = try s.start(["run"], environment: ["NOTIFY_SOCKET": receiver.path])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        _ = try #require(receiver.wait(for: "READY=1"))
        // Idle: nothing due for weeks, so nothing wakes the daemon (and it says nothing) ...
        #expect(receiver.wait(for: "STATUS=", timeout: 2) == nil, "an idle daemon plans again only when woken")
        let error = WallClockSetting.setToItself()
        if error != 0 {
            print("daemon, wall clock set: cannot set the clock here (errno \(error)); not tested")
        } else {
            // ... until the wall clock is set: every wall-clock deadline may have moved, so it plans again now.
            let replanned = receiver.wait(for: "STATUS=", timeout: 10)
            #expect(replanned != nil, "a pass after the clock was set")
            if let replanned {
                print(
                    String(
                        format: "daemon, wall clock set: planned again within %.2f s of the setting", replanned.seconds)
                )
            }
        }
        kill(daemon.processIdentifier, SIGTERM)
        _ = await s.wait(daemon, timeout: .seconds(20))
    }
}
