import Foundation
import Glibc
import RotordTestKit
import Testing

/// Issue 10, "No outage from a rotation": the real `rotord` against the simulator. The old consumer is
/// deleted only once the rotation is confirmed (every `after_publish` action succeeded, grace ended and the
/// adoption probe passed), or an operator accepted it.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct UnconfirmedRotationTests {
    static func hook(_ program: String) -> String {
        """
            after_publish:
              - exec: ["\(program)"]
                timeout: 10s

        """
    }

    static func statusOf(_ s: Scenario) async throws -> [String: Any] {
        let status = try await s.run(["status", "--json"])
        #expect(status.status == 0, "\(status.output)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        return try #require(reports.first)
    }

    @Test func aFailingActionKeepsTheOldConsumerUntilTheActionSucceeds() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        let metrics = "metrics:\n  textfile: \(s.metricsPath)\n"
        try s.writeConfig(consumers: ["etl"], grace: "0s", extra: Self.hook("/bin/false") + metrics)
        let old = try #require(await s.live("etl").first)

        let first = try await s.run(["run", "--once"])
        #expect(first.status == 1, "an unconfirmed rotation fails run --once: \(first.output)")
        #expect(first.stdout.contains("etl: NOT CONFIRMED"), "\(first.output)")
        #expect(first.stderr.contains("not confirmed"), "logged: \(first.stderr)")
        #expect(await s.live("etl").contains { $0.id == old.id }, "the old consumer is kept after grace (0s)")
        #expect(await s.simulator.isAccepted(key: old.key!, secret: old.secret!))
        let pair = try #require(s.envPair("etl"), "the new pair is published")
        #expect(pair.key != old.key)

        let report = try await Self.statusOf(s)
        #expect(report["status"] as? String == "unconfirmed")
        let inFlight = try #require(report["in_flight"] as? [String: Any])
        #expect(inFlight["step"] as? String == "unconfirmed")
        #expect((inFlight["last_error"] as? String)?.contains("after_publish failed") == true, "\(inFlight)")
        // The metrics say since when (the alert RotordRotationUnconfirmed of contrib/prometheus).
        let unconfirmed = "rotord_consumer_rotation_unconfirmed_since_timestamp_seconds{consumer=\"etl\"}"
        let since = try #require(
            s.metric(unconfirmed), "\((try? String(contentsOfFile: s.metricsPath, encoding: .utf8)) ?? "")")
        #expect(abs(since - Date().timeIntervalSince1970) < 300)
        #expect(s.metric("rotord_consumer_rotation_in_flight{consumer=\"etl\"}") == 1)
        if let check = try Promtool.checkMetrics(s.metricsPath) { #expect(check.ok, "\(check.output)") }

        // Every pass before the action succeeds keeps failing and keeps the old consumer.
        let second = try await s.run(["run", "--once"])
        #expect(second.status == 1, "\(second.output)")
        #expect(await s.live("etl").contains { $0.id == old.id })

        // The action is fixed; `rotate` retries it now, and the rotation completes.
        try s.writeConfig(consumers: ["etl"], grace: "0s", extra: Self.hook("/bin/true") + metrics)
        let fixed = try await s.run(["rotate", "etl"])
        #expect(fixed.status == 0, "\(fixed.output)")
        #expect(await !s.live("etl").contains { $0.id == old.id }, "the old consumer is deleted")
        #expect(try await s.run(["run", "--once"]).status == 0)
        #expect(s.metric(unconfirmed) == nil, "no longer unconfirmed")
        #expect(s.metric("rotord_consumer_rotation_in_flight{consumer=\"etl\"}") == 0)
        #expect(await !s.simulator.isAccepted(key: old.key!, secret: old.secret!))
        for text in [first.output, second.output, fixed.output] {
            #expect(RotationEndToEndTests.secretLike(text).isEmpty, "no secret printed: \(text)")
        }
    }

    @Test func acceptUnconfirmedEndsTheRotationWithoutANewOne() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"], grace: "0s", extra: Self.hook("/bin/false"))
        let old = try #require(await s.live("etl").first)
        #expect(try await s.run(["rotate", "etl", "--accept-unconfirmed"]).status == 1, "nothing to accept yet")
        #expect(try await s.run(["run", "--once"]).status == 1)
        let pair = try #require(s.envPair("etl"))

        let accepted = try await s.run(["rotate", "etl", "--accept-unconfirmed"])
        #expect(accepted.status == 0, "\(accepted.output)")
        let live = await s.live("etl")
        #expect(live.count == 1 && live.first?.key == pair.key, "old deleted, no second rotation: \(live.count)")
        #expect(live.first?.id != old.id)
        #expect(try await s.run(["run", "--once"]).status == 0)
    }

    @Test func revokeOldNowEndsAnUnconfirmedRotation() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"], grace: "1h", extra: Self.hook("/bin/false"))
        let old = try #require(await s.live("etl").first)
        #expect(try await s.run(["run", "--once"]).status == 1)
        let revoked = try await s.run(["rotate", "etl", "--revoke-old-now"])
        #expect(revoked.status == 0, "\(revoked.output)")
        let live = await s.live("etl")
        #expect(live.count == 1 && live.first?.id != old.id, "the old consumer is deleted at once")
    }

    @Test func aFailingProbeKeepsTheOldConsumerUntilItPasses() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        let flag = s.dir + "/adopted"
        let seen = s.dir + "/probe-env"
        try s.writeConfig(
            consumers: ["etl"], grace: "0s",
            extra: """
                    probe:
                      exec: ["/bin/sh", "-c", "env > \(seen); test -e \(flag)"]
                      timeout: 10s

                """)
        let old = try #require(await s.live("etl").first)

        let first = try await s.run(["run", "--once"])
        #expect(first.status == 1, "\(first.output)")
        #expect(await s.live("etl").contains { $0.id == old.id }, "the probe failed: the old consumer is kept")
        #expect((try await Self.statusOf(s))["status"] as? String == "unconfirmed")
        let environment = try String(contentsOfFile: seen, encoding: .utf8)
        let pair = try #require(s.envPair("etl"))
        #expect(environment.contains("ROTORD_CONSUMER=etl"))
        #expect(environment.contains("ROTORD_KEY=\(pair.key.prefix(4))…"), "the masked key: \(environment)")
        #expect(environment.contains("ROTORD_FILES=\(s.deliverDir)/etl.env"))
        #expect(!environment.contains(pair.secret), "never the secret")

        // The service adopts the credential; the probe is retried after the back-off (15–30 s) and
        // passes: the pass runs 31 s ahead (rotord-faults' clock offset) instead of waiting for it.
        _ = FileManager.default.createFile(atPath: flag, contents: nil)
        let early = try await s.run(["run", "--once"])
        #expect(
            early.status == 1 && early.stdout.contains("etl: NOT CONFIRMED"), "within the back-off: \(early.output)")
        let passed = try await s.run(["run", "--once"], environment: ["ROTORD_FAULT_CLOCK_OFFSET": "31"], faults: true)
        #expect(passed.status == 0, "\(passed.output)")
        let live = await s.live("etl")
        #expect(live.count == 1 && live.first?.key == pair.key, "the old consumer is deleted")
    }

    @Test func testHooksRunsTheActionsAndTheProbeWithoutRotating() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        let probe = """
                probe:
                  exec: ["/bin/false"]

            """
        try s.writeConfig(consumers: ["etl"], extra: Self.hook("/bin/true") + probe)
        let failing = try await s.run(["test-hooks", "etl"])
        #expect(failing.status == 1, "\(failing.output)")
        #expect(failing.stdout.contains("after_publish exec /bin/true: ok"), "\(failing.output)")
        #expect(failing.stdout.contains("probe /bin/false: FAILED"), "\(failing.output)")
        #expect(try await s.run(["test-hooks", "nobody"]).status == 78)

        try s.writeConfig(consumers: ["etl"], extra: Self.hook("/bin/true"))
        let passing = try await s.run(["test-hooks", "etl"])
        #expect(passing.status == 0, "\(passing.output)")
        #expect(await s.simulator.statistics().created == 0, "no rotation")
        #expect(s.envPair("etl") == nil, "nothing written")
    }

    @Test func unchangedContentIsWrittenOnceAndTheHooksRunOnce() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        let counter = s.dir + "/hook-runs"
        try s.writeConfig(
            consumers: ["etl"],
            extra: """
                    after_publish:
                      - exec: ["/bin/sh", "-c", "echo run >> \(counter)"]

                """)
        #expect(try await s.run(["run", "--once"]).status == 0)
        var st = stat()
        #expect(stat("\(s.deliverDir)/etl.env", &st) == 0)
        let (inode, modified) = (st.st_ino, st.st_mtim.tv_nsec + st.st_mtim.tv_sec * 1_000_000_000)
        let again = try await s.run(["run", "--once"])
        #expect(again.status == 0 && again.stdout.contains("nothing due"), "\(again.output)")
        #expect(stat("\(s.deliverDir)/etl.env", &st) == 0)
        #expect(st.st_ino == inode && st.st_mtim.tv_nsec + st.st_mtim.tv_sec * 1_000_000_000 == modified, "one write")
        let runs = try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n")
        #expect(runs.count == 1, "the hooks ran once: \(runs.count)")
    }

    @Test func theDaemonSaysSoInItsStatus() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"], grace: "0s", extra: Self.hook("/bin/false"))
        let receiver = try FakeNotifySocket()
        defer { receiver.close() }
        let daemon = try s.start(["run"], environment: ["NOTIFY_SOCKET": receiver.path])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let ready = try #require(receiver.wait(for: "READY=1")?.message)
        #expect(ready.contains("NOT CONFIRMED, old consumer kept: etl"), "\(ready)")
        #expect(ready.contains("1 unconfirmed"), "\(ready)")
        #expect(await s.live("etl").count == 2, "the old consumer is kept")
        kill(daemon.processIdentifier, SIGTERM)
        let result = await s.wait(daemon, timeout: .seconds(20))
        #expect(result.status == 0)
        #expect(result.stderr.contains("not confirmed"), "logged: \(result.stderr)")
        #expect(RotationEndToEndTests.secretLike(result.output).isEmpty)
    }
}
