import Foundation
import FracttalSimulator
import Glibc
import Synchronization
import Testing

/// At least 50 SIGKILLs at random moments while several consumers rotate against a slow
/// simulator, with a poller reading the deliver files every few milliseconds throughout.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ChaosTests {
    struct Counts: Sendable {
        var reads = 0
        var torn = 0  // a file that is not a complete pair
        var lost = 0  // a file holding a pair whose consumer was already deleted
    }

    /// A complete env file: both lines, full lengths.
    static func isCompletePair(_ text: String) -> Bool {
        text.wholeMatch(of: /FRACTTAL_CLIENT_ID=[A-Za-z0-9]{18}\nFRACTTAL_CLIENT_SECRET=[A-Za-z0-9]{32}\n/) != nil
    }

    @Test func fiftyRandomKillsLoseNothing() async throws {
        var faults = SimulatorFaults()
        faults.latency = 0.01
        let names = ["c1", "c2", "c3", "c4"]
        let s = try await Scenario(consumers: names.map { .init(name: $0, ageDays: 120) }, faults: faults)
        defer { s.cleanUp() }
        // Every consumer is due again one second after its rotation: rotations never stop.
        try s.writeConfig(consumers: names, maxAge: "1s", rotateBefore: "0s", grace: "0s")

        let counts = Mutex(Counts())
        let stop = Mutex(false)
        let simulator = s.simulator
        let deliverDir = s.deliverDir
        let poller = Task {
            for _ in 0..<1_000_000 {
                if stop.withLock({ $0 }) || Task.isCancelled { break }
                for name in names {
                    let path = "\(deliverDir)/\(name).env"
                    guard let first = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                    counts.withLock { $0.reads += 1 }
                    guard Self.isCompletePair(first) else {
                        counts.withLock { $0.torn += 1 }
                        continue
                    }
                    let lines = first.split(separator: "\n")
                    let key = String(lines[0].dropFirst("FRACTTAL_CLIENT_ID=".count))
                    let secret = String(lines[1].dropFirst("FRACTTAL_CLIENT_SECRET=".count))
                    if await !simulator.isAccepted(key: key, secret: secret) {
                        // Only a violation if the file still holds that pair after the check.
                        if (try? String(contentsOfFile: path, encoding: .utf8)) == first {
                            counts.withLock { $0.lost += 1 }
                        }
                    }
                }
                try? await Task.sleep(for: .milliseconds(3))
            }
        }
        defer { poller.cancel() }  // also when the test throws: the poller ends before the simulator

        var kills = 0
        var runs = 0
        while kills < 50 && runs < 300 {
            runs += 1
            let process = try s.start(["run", "--once"])
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...400)))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            _ = await s.wait(process, timeout: .seconds(30))
        }
        // Stop the churn: nothing is due any more; one clean run finishes what is in flight.
        try s.writeConfig(consumers: names, maxAge: "1000d", rotateBefore: "0s", grace: "0s")
        let final = try await s.run(["run", "--once"])
        stop.withLock { $0 = true }
        _ = await poller.value

        let live = await s.simulator.consumers()
        let orphans = live.filter { $0.name != "rotord-admin" }.count - names.count
        let c = counts.withLock { $0 }
        let stats = await s.simulator.statistics()
        print(
            "chaos: kills=\(kills) runs=\(runs) orphans=\(orphans) lost=\(c.lost) torn=\(c.torn) reads=\(c.reads) created=\(stats.created) deleted=\(stats.deleted)"
        )
        #expect(final.status == 0, "\(final.output)")
        #expect(kills >= 50)
        #expect(orphans == 0)
        #expect(c.torn == 0)
        #expect(c.lost == 0)
        #expect(c.reads > 100)
        #expect(stats.created > 20, "rotations really happened")
        try await CrashSafetyTests.checkInvariants(s, names: names)
    }
}
