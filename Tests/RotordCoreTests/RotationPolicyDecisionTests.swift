import Foundation
import RotordCore
import Testing

/// The pure policy on a fake clock (explicit dates): windows across DST changes, the compliance
/// deadline override, `min_interval` and the deterministic jitter.
@Suite struct RotationPolicyDecisionTests {
    static func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    struct WindowCase: Sendable, CustomTestStringConvertible {
        var zone: String
        var start: String
        var end: String
        var now: String
        var expected: String
        var testDescription: String { "\(zone) \(start)-\(end) at \(now)" }
    }

    /// Due before `now`; the start is the next window opening, read in the window's zone across the DST change.
    static let windowCases: [WindowCase] = [
        // Europe/Berlin: summer time starts 2026-03-29 02:00 CET, ends 2026-10-25 03:00 CEST.
        .init(
            zone: "Europe/Berlin", start: "01:00", end: "03:00", now: "2026-03-28T12:00:00Z",
            expected: "2026-03-29T00:00:00Z"),
        .init(
            zone: "Europe/Berlin", start: "01:00", end: "03:00", now: "2026-03-29T12:00:00Z",
            expected: "2026-03-29T23:00:00Z"),
        .init(
            zone: "Europe/Berlin", start: "01:00", end: "03:00", now: "2026-10-24T12:00:00Z",
            expected: "2026-10-24T23:00:00Z"),
        .init(
            zone: "Europe/Berlin", start: "01:00", end: "03:00", now: "2026-10-25T12:00:00Z",
            expected: "2026-10-26T00:00:00Z"),
        .init(
            zone: "Europe/Berlin", start: "01:00", end: "03:00", now: "2026-03-29T00:30:00Z",
            expected: "2026-03-29T00:30:00Z"),
        // America/Santiago: summer time ends 2026-04-05 00:00 (-03 → -04), starts 2026-09-06 00:00 (-04 → -03).
        .init(
            zone: "America/Santiago", start: "10:00", end: "12:00", now: "2026-04-03T20:00:00Z",
            expected: "2026-04-04T13:00:00Z"),
        .init(
            zone: "America/Santiago", start: "10:00", end: "12:00", now: "2026-04-04T20:00:00Z",
            expected: "2026-04-05T14:00:00Z"),
        .init(
            zone: "America/Santiago", start: "10:00", end: "12:00", now: "2026-09-05T20:00:00Z",
            expected: "2026-09-06T13:00:00Z"),
        .init(
            zone: "America/Santiago", start: "22:00", end: "02:00", now: "2026-04-05T03:30:00Z",
            expected: "2026-04-05T03:30:00Z"),
    ]

    @Test(arguments: windowCases) func windowAcrossDST(_ c: WindowCase) throws {
        let window = RotationWindow(
            days: Set(1...7), startMinute: RotationWindow.minuteOfDay(c.start)!,
            endMinute: RotationWindow.minuteOfDay(c.end)!, timeZone: try #require(TimeZone(identifier: c.zone)))
        let policy = RotationPolicy(maxAge: .days(90), rotateBefore: .days(7), window: window)
        let now = Self.date(c.now)
        let created = now.addingTimeInterval(-84 * 86_400)  // due a day ago, expires in 6 days
        let d = policy.decide(consumer: "etl", createdAt: created, lastCompletedAt: nil, now: now)
        #expect(d.start == Self.date(c.expected))
        #expect(window.contains(d.start))
        #expect(d.reason == nil)
        #expect(d.start <= d.expiry)
    }

    struct DeadlineCase: Sendable, CustomTestStringConvertible {
        var zone: String
        var now: String
        /// Days until `created_at + max_age`.
        var daysLeft: Double
        var outside: Bool
        var testDescription: String { "\(zone) at \(now), \(daysLeft)d left" }
    }

    /// A window open only on Sundays 02:00–03:00: a consumer that would expire before it opens rotates now.
    static let deadlineCases: [DeadlineCase] = [
        .init(zone: "Europe/Berlin", now: "2026-03-23T12:00:00Z", daysLeft: 2, outside: true),
        .init(zone: "Europe/Berlin", now: "2026-03-23T12:00:00Z", daysLeft: 6.9, outside: false),
        .init(zone: "Europe/Berlin", now: "2026-10-19T12:00:00Z", daysLeft: 5.4, outside: true),
        .init(zone: "America/Santiago", now: "2026-03-30T12:00:00Z", daysLeft: 4, outside: true),
        .init(zone: "America/Santiago", now: "2026-03-30T12:00:00Z", daysLeft: 6.9, outside: false),
        .init(zone: "America/Santiago", now: "2026-08-31T12:00:00Z", daysLeft: 5.5, outside: true),
    ]

    @Test(arguments: deadlineCases) func complianceDeadlineOverridesTheWindow(_ c: DeadlineCase) throws {
        let window = RotationWindow(
            days: [7], startMinute: 120, endMinute: 180, timeZone: try #require(TimeZone(identifier: c.zone)))
        let policy = RotationPolicy(maxAge: .days(90), rotateBefore: .days(7), window: window)
        let now = Self.date(c.now)
        let created = now.addingTimeInterval(c.daysLeft * 86_400 - 90 * 86_400)
        let d = policy.decide(consumer: "erp", createdAt: created, lastCompletedAt: nil, now: now)
        if c.outside {
            #expect(d.start == now, "rotates now, outside the window")
            #expect(d.reason?.contains("outside the window") == true)
            #expect(d.reason?.contains("max_age deadline") == true)
        } else {
            #expect(d.start > now && d.start <= d.expiry && window.contains(d.start))
            #expect(d.hold == .window && d.reason == nil)
        }
    }

    @Test func planSaysWhyItRotatesOutsideTheWindow() throws {
        let now = Self.date("2026-03-23T12:00:00Z")  // a Monday
        let window = RotationWindow(days: [7], startMinute: 120, endMinute: 180, timeZone: TimeZone(identifier: "UTC")!)
        let policy = RotationPolicy(maxAge: .days(90), rotateBefore: .days(7), window: window)
        let configuration = RotordConfiguration(
            fracttal: FracttalSettings(),
            consumers: [ManagedConsumer(name: "erp", permissionGroup: "Reportes", policy: policy)])
        let consumer = ConsumerRecord(
            id: 1, name: "erp", permissionGroupId: 3, key: "KEY1xxxxxxxxxxxxxx",
            createdAt: now.addingTimeInterval(-88 * 86_400))
        let plan = RotationPlanner().plan(
            configuration: configuration, consumers: [consumer], groupNames: [3: "Reportes"], active: [],
            history: [:], now: now)
        #expect(plan.entries[0].status == .due)
        #expect(plan.entries[0].reason?.contains("outside the window") == true)
    }

    @Test func minIntervalHoldsAPolicyRotation() {
        let now = Self.date("2026-06-01T00:00:00Z")
        let policy = RotationPolicy(maxAge: .days(30), rotateBefore: .days(7), minInterval: .days(1))
        let last = now.addingTimeInterval(-3_600)
        // A consumer restored from an old backup looks 40 days old an hour after its last rotation.
        let d = policy.decide(
            consumer: "etl", createdAt: now.addingTimeInterval(-40 * 86_400), lastCompletedAt: last, now: now)
        #expect(d.start == last.addingTimeInterval(86_400))
        #expect(d.hold == .minInterval)
        #expect(d.reason?.contains("min_interval 1d") == true)
        let free = policy.decide(
            consumer: "etl", createdAt: now.addingTimeInterval(-40 * 86_400),
            lastCompletedAt: now.addingTimeInterval(-2 * 86_400), now: now)
        #expect(free.start == now && free.hold == .none)
    }

    @Test func minIntervalShowsInThePlanAsNotDue() {
        let now = Self.date("2026-06-01T00:00:00Z")
        let policy = RotationPolicy(maxAge: .days(30), rotateBefore: .days(7), minInterval: .days(1))
        let configuration = RotordConfiguration(
            fracttal: FracttalSettings(),
            consumers: [ManagedConsumer(name: "etl", permissionGroup: "Reportes", policy: policy)])
        let consumer = ConsumerRecord(
            id: 1, name: "etl", permissionGroupId: 3, key: "KEY1xxxxxxxxxxxxxx",
            createdAt: now.addingTimeInterval(-40 * 86_400))
        let plan = RotationPlanner().plan(
            configuration: configuration, consumers: [consumer], groupNames: [3: "Reportes"], active: [],
            history: ["etl": ConsumerHistory(lastCompletedID: "r1", lastCompletedAt: now.addingTimeInterval(-60))],
            now: now)
        #expect(plan.entries[0].status == .ok)
        #expect(!plan.entries[0].startsNow)
        #expect(plan.entries[0].nextDeadline == now.addingTimeInterval(86_400 - 60))
    }

    @Test func jitterIsStableAndEarlier() {
        #expect(RotationJitter.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(RotationJitter.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        let policy = RotationPolicy(maxAge: .days(90), rotateBefore: .days(7), jitter: .hours(6))
        let created = Self.date("2026-01-01T00:00:00Z")
        var offsets = Set<Int64>()
        for i in 0..<200 {
            let name = "consumer-\(i)"
            let due = policy.dueDate(createdAt: created, consumer: name)
            let plain = policy.dueDate(createdAt: created)
            #expect(due <= plain && due > plain.addingTimeInterval(-6 * 3_600))
            #expect(due < policy.expiryDate(createdAt: created))
            #expect(
                due
                    == RotationPolicy(maxAge: .days(90), rotateBefore: .days(7), jitter: .hours(6))
                    .dueDate(createdAt: created, consumer: name))
            offsets.insert(RotationJitter.offset(for: name, jitter: .hours(6)).seconds)
        }
        #expect(offsets.count > 150, "the names spread over the jitter")
        #expect(RotationJitter.offset(for: "etl", jitter: .zero) == .zero)
    }
}
