import Foundation
import FracttalSimulator
import Glibc
import Testing

/// Crash safety with real processes and SIGKILL: whatever instant rotord dies at, a clean restart
/// ends with one live consumer per name, the files holding its working pair, and the journal done.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct CrashSafetyTests {
    static let points = [
        "step:creating", "after:create", "step:created", "after:verify", "step:verified", "after:publish-first-file",
        "step:published", "step:grace", "step:retiring", "after:delete-old",
    ]

    /// The invariants after a clean run.
    static func checkInvariants(_ s: Scenario, names: [String], sourceLocation: SourceLocation = #_sourceLocation)
        async throws
    {
        for name in names {
            let live = await s.live(name)
            #expect(
                live.count == 1, "exactly one consumer named \(name), got \(live.count)", sourceLocation: sourceLocation
            )
            let pair = s.envPair(name)
            #expect(
                pair?.key == live.first?.key, "\(name): the file holds the live consumer's key",
                sourceLocation: sourceLocation)
            if let pair {
                #expect(
                    await s.simulator.isAccepted(key: pair.key, secret: pair.secret), "\(name): the file's pair works",
                    sourceLocation: sourceLocation)
            }
        }
        let others = await s.simulator.consumers().filter { !names.contains($0.name) && $0.name != "rotord-admin" }
        #expect(others.isEmpty, "no stray consumers: \(others.map(\.name))", sourceLocation: sourceLocation)
        let active =
            (try? FileManager.default.contentsOfDirectory(atPath: s.stateDir + "/rotations").filter {
                $0.hasSuffix(".json")
            }) ?? []
        #expect(active.isEmpty, "the journal has nothing in flight: \(active)", sourceLocation: sourceLocation)
        // One history line per finished rotation: each consumer needs a line of its own that says done.
        let history = (try? String(contentsOfFile: s.stateDir + "/history.jsonl", encoding: .utf8)) ?? ""
        let entries = history.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        for name in names {
            let done = entries.contains { $0["consumer"] as? String == name && $0["step"] as? String == "done" }
            #expect(done, "\(name): the history has its rotation done", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: points)
    func killAfterEveryStepThenRestart(point: String) async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120), .init(name: "erp", ageDays: 100)])
        defer { s.cleanUp() }
        // With no grace, `grace` is passed through in the same transition: give it a second.
        let grace = point == "step:grace" ? "1s" : "0s"
        try s.writeConfig(consumers: ["etl", "erp"], grace: grace)
        let killed = try await s.run(
            ["run", "--once"], environment: ["ROTORD_CRASH_AT": point], faults: true)
        #expect(killed.status == 128 + SIGKILL, "rotord should have died at \(point): \(killed.output)")
        // With a grace, the restarts run 2 s and 4 s ahead (rotord-faults' clock offset) instead of
        // waiting: the journaled grace deadline survives the crash, and the consumer that had not
        // started before it is in its own grace period after the first restart.
        let ahead: (String) -> [String: String] = { grace == "0s" ? [:] : ["ROTORD_FAULT_CLOCK_OFFSET": $0] }
        var restarted = try await s.run(["run", "--once"], environment: ahead("2"), faults: grace != "0s")
        #expect(restarted.status == 0, "\(point): \(restarted.output)")
        if grace != "0s" {
            restarted = try await s.run(["run", "--once"], environment: ahead("4"), faults: true)
            #expect(restarted.status == 0, "\(point): \(restarted.output)")
        }
        try await Self.checkInvariants(s, names: ["etl", "erp"])
        #expect(RotationEndToEndTests.secretLike(killed.output + restarted.output).isEmpty)
    }

    @Test func verificationFailureLeavesEverythingAsItWas() async throws {
        var faults = SimulatorFaults()
        faults.rejectNewCredentials = true
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)], faults: faults)
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"], verifyTimeout: "2s")
        let old = try #require(await s.live("etl").first)
        let oldContent = "FRACTTAL_CLIENT_ID=\(old.key!)\nFRACTTAL_CLIENT_SECRET=\(old.secret!)\n"
        try oldContent.write(toFile: "\(s.deliverDir)/etl.env", atomically: true, encoding: .utf8)

        let result = try await s.run(["run", "--once"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stdout.contains("verification failed"))
        let live = await s.live("etl")
        #expect(live.map(\.id) == [old.id], "the new consumer was deleted, the old one kept")
        #expect(await s.simulator.statistics().created == 1)
        #expect(await s.simulator.statistics().deleted == 1)
        #expect(try String(contentsOfFile: "\(s.deliverDir)/etl.env", encoding: .utf8) == oldContent, "byte for byte")
        #expect(!FileManager.default.fileExists(atPath: "\(s.deliverDir)/etl.json"))
        let history = try String(contentsOfFile: s.stateDir + "/history.jsonl", encoding: .utf8)
        #expect(history.contains("\"step\":\"failed\""))
        #expect(history.contains("verification failed"))
        // The next run backs off instead of hammering: waiting to be retried.
        let again = try await s.run(["run", "--once"])
        #expect(again.status == 75, "\(again.output)")
        #expect(again.stdout.contains("etl: waiting to retry"))
        #expect(await s.simulator.statistics().created == 1)
        #expect(RotationEndToEndTests.secretLike(result.output).isEmpty)
    }

    @Test func ambiguousCreateIsResolvedByTheMarker() async throws {
        var faults = SimulatorFaults()
        faults.loseNextCreateResponses = 1
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)], faults: faults)
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"])
        let result = try await s.run(["run", "--once"])
        #expect(result.status == 0, "\(result.output)")
        #expect(await s.simulator.statistics().created == 2, "the lost one, then one more")
        try await Self.checkInvariants(s, names: ["etl"])
    }

    @Test func twoConcurrentRunsRotateOnce() async throws {
        var faults = SimulatorFaults()
        faults.latency = 0.02
        let s = try await Scenario(
            consumers: [.init(name: "etl", ageDays: 120), .init(name: "erp", ageDays: 120)], faults: faults)
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl", "erp"])
        let a = try s.start(["run", "--once"])
        let b = try s.start(["run", "--once"])
        let ra = await s.wait(a)
        let rb = await s.wait(b)
        #expect(ra.status == 0, "\(ra.output)")
        #expect(rb.status == 0, "\(rb.output)")
        #expect(await s.simulator.statistics().created == 2, "one rotation per consumer, not two")
        try await Self.checkInvariants(s, names: ["etl", "erp"])
    }
}
