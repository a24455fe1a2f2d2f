import Foundation
import FracttalSimulator
import Glibc
import Testing

/// Issue 11, point 4: the budget is the account's. A daemon rotating 40 due consumers and a
/// `rotord rotate` started beside it, both configured for the account's 60 requests a minute, share
/// one budget through the state directory: together they never meet a 406. (Each on its own budget
/// would spend up to 2 × 60 in a minute.) Prints requests, 406s and the time.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct SharedBudgetTests {
    @Test func daemonAndRotateTogetherMeetNoRateLimit() async throws {
        let due = (0..<40).map { "d\($0)" }
        let s = try await Scenario(
            consumers: due.map { .init(name: $0, ageDays: 120) } + [.init(name: "manual", ageDays: 1)],
            configuration: SimulatorConfiguration(requestsPerMinute: 60))
        defer { s.cleanUp() }
        try s.writeConfig(consumers: due + ["manual"], requestsPerMinute: 60)
        let clock = ContinuousClock()
        let start = clock.now
        let daemon = try s.start(["run"])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }

        // Once the daemon is spending the budget, a manual rotation starts beside it.
        for _ in 0..<300 where await s.simulator.statistics().apiRequests < 15 {
            try await Task.sleep(for: .milliseconds(100))
        }
        let rotate = try await s.run(["rotate", "manual"], timeout: .seconds(240))
        #expect(rotate.status == 0, "\(rotate.output.suffix(2_000))")

        // Every due consumer rotated by the daemon (bounded wait).
        var rotated = 0
        for _ in 0..<240 {
            rotated = 0
            for name in due where await s.live(name).count == 1 && s.envPair(name) != nil { rotated += 1 }
            if rotated == due.count { break }
            try await Task.sleep(for: .seconds(1))
        }
        let took = start.duration(to: clock.now)
        kill(daemon.processIdentifier, SIGTERM)
        let stopped = await s.wait(daemon, timeout: .seconds(20))
        #expect(stopped.status == 0, "\(stopped.output.suffix(2_000))")
        let stats = await s.simulator.statistics()
        #expect(rotated == due.count)
        #expect(await s.live("manual").count == 1 && s.envPair("manual") != nil, "the manual rotation finished")
        #expect(stats.rateLimited == 0, "no 406 while two rotord processes share the account's budget")
        #expect(FileManager.default.fileExists(atPath: s.stateDir + "/request-budget"))
        print(
            "shared budget, 60/min: daemon \(rotated)/\(due.count) + rotate 1 rotated, "
                + "\(stats.apiRequests) API requests, \(stats.rateLimited) × 406, \(took)")
    }
}
