import Foundation
import Testing

@testable import RotordCore

/// Durations and dates at and beyond the largest the configuration accepts: every computation
/// saturates, none traps (an overflow trap is a SIGILL of `plan`, `status` and `run --once`).
@Suite struct SaturatingArithmeticTests {
    static let now = Date(timeIntervalSince1970: 1_796_028_166)

    @Test func durationConstructorsSaturate() {
        #expect(ConfigDuration.days(.max).seconds == .max)
        #expect(ConfigDuration.hours(.max).seconds == .max)
        #expect(ConfigDuration.minutes(.max / 2).seconds == .max)
        #expect(ConfigDuration.days(-5).seconds == 0)
    }

    @Test(arguments: ["9223372036854775807s", "9223372036854775807d", "15250973236183w", "99999999999999999999d"])
    func parsingSaturates(text: String) throws {
        let parsed = try #require(ConfigDuration(parsing: text))
        #expect(parsed.seconds == .max)
        #expect(parsed > ConfigDuration.maximum)
    }

    @Test func theMaximumIsAHundredYears() {
        #expect(ConfigDuration.maximum == .days(36_500))
        #expect(ConfigDuration.maximum.description == "36500d")
        #expect(ConfigDuration.seconds(.max).timeInterval == ConfigDuration.maximum.timeInterval)
    }

    @Test func integersFromDoublesSaturate() {
        #expect(Int64(saturating: 1e300) == .max)
        #expect(Int64(saturating: -1e300) == .min)
        #expect(Int64(saturating: Double(Int64.max)) == .max)
        #expect(Int(saturating: .infinity) == .max)
        #expect(Int(saturating: .nan) == 0)
        #expect(Int(saturating: -12.9) == -12)
        #expect(Int32(saturating: 3e9) == .max)
    }

    @Test func integerArithmeticSaturates() {
        #expect(Int64.max.saturatingAdding(1) == .max && Int64.min.saturatingAdding(-1) == .min)
        #expect(Int64.min.saturatingSubtracting(1) == .min && Int64.max.saturatingSubtracting(-1) == .max)
        #expect(Int64.max.saturatingMultiplied(by: -2) == .min && Int64.min.saturatingMultiplied(by: -1) == .max)
        #expect(Duration.seconds(Int64.max).saturatingNanoseconds == .max)
        #expect(Duration.seconds(-Int64.max).saturatingNanoseconds == .min)
        #expect(Duration.milliseconds(1_500).saturatingNanoseconds == 1_500_000_000)
    }

    @Test func durationsFromSecondsSaturate() {
        #expect(Duration.saturatingSeconds(1e300) == .seconds(Int64.max))
        #expect(Duration.saturatingSeconds(-.infinity) == .seconds(Int64.min))
        #expect(Duration.saturatingSeconds(.nan) == .zero)
        #expect(Duration.saturatingSeconds(1.5) == .milliseconds(1_500))
    }

    static let policies: [RotationPolicy] = [
        RotationPolicy(
            maxAge: .maximum, rotateBefore: .zero, grace: .maximum,
            window: RotationWindow(days: [1], startMinute: 60, endMinute: 120, timeZone: TimeZone(identifier: "UTC")!),
            minInterval: .maximum, jitter: .maximum),
        RotationPolicy(maxAge: .maximum, rotateBefore: .seconds(1), grace: .zero, minInterval: .zero, jitter: .zero),
        // Beyond what the loader accepts (a decoded or hand-built policy): still no trap.
        RotationPolicy(
            maxAge: .seconds(.max), rotateBefore: .zero, grace: .seconds(.max), minInterval: .seconds(.max),
            jitter: .seconds(.max)),
    ]

    @Test(arguments: policies)
    func policyDecisionsWithHugeDurationsDoNotTrap(policy: RotationPolicy) {
        let decision = policy.decide(
            consumer: "etl", createdAt: Self.now, lastCompletedAt: Self.now.addingTimeInterval(-60), now: Self.now)
        #expect(decision.due >= Self.now)
        #expect(decision.expiry >= decision.due)
        #expect(!UTCTimestamp.format(decision.start).isEmpty)
        #expect(!UTCTimestamp.format(decision.expiry).isEmpty)
        #expect(policy.startDate(createdAt: Self.now, now: Self.now) >= Self.now)
    }

    @Test(arguments: [1e300, -1e300, Double(Int64.max), 9.3e18])
    func farDatesFormatWithoutTrapping(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(UTCTimestamp.format(date).hasSuffix("Z"))
        #expect(
            UTCTimestamp.format(date) == UTCTimestamp.format(Date(timeIntervalSince1970: seconds > 0 ? 1e15 : -1e15)))
    }

    @Test func theDaemonSleepIsBoundedByTheMaximum() {
        let far = Self.now.addingTimeInterval(1e300)
        let sleep = DaemonTiming.sleepSeconds(next: far, now: Self.now, resync: .seconds(.max))
        #expect(sleep == ConfigDuration.maximum.timeInterval)
    }

    @Test func backoffBoundsSaturate() {
        let huge = Duration.seconds(Int64.max) * 4
        let backoff = Backoff(initial: huge, maximum: huge, jitter: .equal, random: { 1 })
        #expect(backoff.bound(attempt: 40) == .seconds(Int64.max))
        #expect(backoff.delay(attempt: 3, hint: huge) >= .seconds(Int64.max))
        #expect(backoff.delay(attempt: 3, key: "r1") <= .seconds(Int64.max))
        let doubling = Backoff(initial: .seconds(Int64.max / 4), maximum: .seconds(Int64.max), jitter: .none)
        #expect(doubling.bound(attempt: 60) == .seconds(Int64.max))
    }
}
