import Foundation
import RotordCore
import Testing

@testable import RotordKit

/// The caps that keep a hostile server from making rotord create in a loop.
@Suite struct CreateLimiterTests {
    func record(_ id: String, attempts: Int) -> RotationRecord {
        var r = RotationRecord(
            id: id, consumerName: "etl", trigger: "due", now: Date(timeIntervalSince1970: 1_780_000_000),
            oldConsumers: [], authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false,
            originalDescription: nil, grace: .hours(1))
        r.createAttempts = attempts
        return r
    }

    @Test func threePerRotationPerPassThenPostponed() {
        let limiter = CreateLimiter()
        for n in 1...3 { #expect(limiter.take(for: record("r1-0000abcd", attempts: n)) == nil) }
        let refused = limiter.take(for: record("r1-0000abcd", attempts: 4))
        #expect(refused?.kind == .transient)
        #expect(refused?.message.contains("creating a consumer named etl") == true)
        #expect(limiter.take(for: record("r2-0000abcd", attempts: 1)) == nil, "another rotation may still create")
        #expect(limiter.count == 4)
    }

    @Test func tenRepeatCreatesPerPass() {
        let limiter = CreateLimiter()
        // First creates of many rotations are never capped (a healthy pass with many due consumers).
        for n in 0..<40 { #expect(limiter.take(for: record("f\(n)-0000abcd", attempts: 1)) == nil) }
        // Repeat creates (after lost or refused answers, here from earlier passes) are: 10 per pass.
        for n in 0..<10 { #expect(limiter.take(for: record("r\(n)-0000abcd", attempts: 2)) == nil) }
        let refused = limiter.take(for: record("r99-0000abcd", attempts: 2))
        #expect(refused?.kind == .transient)
        #expect(refused?.message.contains("cap per pass") == true)
        #expect(limiter.count == 50)
    }
}
