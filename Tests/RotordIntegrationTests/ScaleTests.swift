import Foundation
import Testing

/// Issue 11, point 6: an account of 1,000 consumers, 100 of them managed, listed through
/// pagination (10 pages of at most 100) by a real `rotord plan`; prints the time.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ScaleTests {
    @Test func aThousandConsumerAccountIsListedThroughPagination() async throws {
        let s = try await Scenario(consumers: (0..<1_000).map { .init(name: "c\($0)", ageDays: 1) })
        defer { s.cleanUp() }
        let managed = (0..<100).map { "c\($0 * 10)" }
        try s.writeConfig(consumers: managed)
        let before = await s.simulator.statistics().apiRequests
        let clock = ContinuousClock()
        let start = clock.now
        let plan = try await s.run(["plan", "--json"], timeout: .seconds(60))
        let took = start.duration(to: clock.now)
        #expect(plan.status == 0, "\(plan.stderr)")
        let entries = try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(entries.count == 100, "every managed consumer found across the pages")
        let requests = await s.simulator.statistics().apiRequests - before
        #expect(requests >= 10 && requests <= 12, "10 pages of 100 (and at most the groups): \(requests) requests")
        print("scale: 1,000 consumers (100 managed) listed by `rotord plan` in \(took), \(requests) API requests")
    }
}
