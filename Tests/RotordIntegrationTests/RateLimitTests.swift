import Foundation
import FracttalSimulator
import Testing

/// Issue 11: 40 due consumers against an account limited to 60 API requests a minute. With
/// `requests_per_minute: 60` rotord never meets a 406; configured wrongly at 200, it adapts to the
/// server's remaining-count headers and still finishes every rotation. Prints the figures.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct RateLimitTests {
    @Test(arguments: [60, 200])
    func fortyDueConsumersUnderSixtyAMinute(configured: Int) async throws {
        let names = (0..<40).map { "c\($0)" }
        let s = try await Scenario(
            consumers: names.map { .init(name: $0, ageDays: 120) },
            configuration: SimulatorConfiguration(requestsPerMinute: 60))
        defer { s.cleanUp() }
        try s.writeConfig(consumers: names, requestsPerMinute: configured)
        let clock = ContinuousClock()
        let start = clock.now
        var runs = 0
        var last: Scenario.Result?
        // One pass does it all unless a rotation has to wait for a retry; bounded either way.
        while runs < 4 {
            runs += 1
            let result = try await s.run(["run", "--once"], timeout: .seconds(300))
            last = result
            if result.status == 0 { break }
        }
        let took = start.duration(to: clock.now)
        let stats = await s.simulator.statistics()
        #expect(last?.status == 0, "\(last?.output.suffix(2_000) ?? "")")
        var rotated = 0
        for name in names where await s.live(name).count == 1 && s.envPair(name) != nil { rotated += 1 }
        #expect(rotated == 40)
        if configured == 60 { #expect(stats.rateLimited == 0, "no 406 when the budget is configured right") }
        print(
            "rate limit 60/min, requests_per_minute \(configured): \(rotated)/40 rotated in \(runs) run(s), "
                + "\(stats.apiRequests) API requests, \(stats.rateLimited) × 406, \(took)")
    }
}
