import Foundation
import FracttalSimulator
import Glibc
import RotordTestKit
import Testing

/// Issue 19's request count with a real daemon: a due consumer held back by `schedule.max_concurrent` while the only
/// slot is taken by a rotation waiting to retry its publish must not make the daemon wake (and list Fracttal) every
/// second, as the old one-second follow-up did (60 API requests a minute).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct HeldBackDaemonTests {
    /// The step of the rotation of `name` in flight, from the journal.
    static func step(of name: String, in s: Scenario) -> String? {
        let dir = s.stateDir + "/rotations"
        for file in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where file.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: dir + "/" + file),
                let record = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                (record["consumerName"] ?? record["consumer_name"]) as? String == name
            else { continue }
            return record["step"] as? String
        }
        return nil
    }

    @Test func aHeldBackConsumerDoesNotSpinTheRealDaemon() async throws {
        let s = try await Scenario(consumers: [.init(name: "first", ageDays: 120), .init(name: "second", ageDays: 100)])
        defer { s.cleanUp() }
        let firstDir = s.dir + "/first-deliver"
        try FileManager.default.createDirectory(atPath: firstDir, withIntermediateDirectories: true)
        try s.writeConfig(
            consumers: [],
            extra: """
                  - name: first
                    permission_group: Reportes
                    deliver:
                      - path: \(firstDir)/first.env
                        format: env
                  - name: second
                    permission_group: Reportes
                    deliver:
                      - path: \(s.deliverDir)/second.env
                        format: env
                schedule:
                  max_concurrent: 1

                """)
        // The new pair takes 4 s to work: time to remove first's directory while its rotation verifies, so that its
        // publish fails and it waits at `verified` to retry, in flight, holding the only slot.
        var faults = SimulatorFaults()
        faults.newCredentialActivationDelay = 4
        try await s.simulator.setFaults(faults)
        let receiver = try FakeNotifySocket()
        defer { receiver.close() }
        let daemon = try s.start(["run"], environment: ["NOTIFY_SOCKET": receiver.path])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(30))
        while Self.step(of: "first", in: s) != "created", clock.now < deadline {
            try await clock.sleep(for: .milliseconds(20))
        }
        try #require(Self.step(of: "first", in: s) == "created", "first's rotation verifies its new pair")
        try FileManager.default.removeItem(atPath: firstDir)
        _ = try #require(receiver.wait(for: "READY=1", timeout: 30))
        #expect(Self.step(of: "first", in: s) == "verified", "first waits at verified to retry its publish")

        let before = await s.simulator.statistics().apiRequests
        try await clock.sleep(for: .seconds(60))
        let requests = await s.simulator.statistics().apiRequests - before
        print(
            "held back by max_concurrent, real daemon: \(requests) API requests in 60 s "
                + "(first retrying its publish at verified, second due and held; the old follow-up: 60)")
        #expect(requests <= 10, "no spin: \(requests) requests in a minute")
        #expect(s.envPair("second") == nil, "second is held while first holds the only slot")
        #expect(Self.step(of: "first", in: s) == "verified")
        kill(daemon.processIdentifier, SIGTERM)
        _ = await s.wait(daemon, timeout: .seconds(20))
    }
}
