import Foundation
import RotordCore
import Testing

@Suite struct RotationPolicyTests {
    let t0 = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28T20:26:40Z

    @Test(arguments: [
        // (age in days, due?) with max_age 90d, rotate_before 7d: due from day 83.
        (82.9, false), (83.0, true), (90.0, true), (200.0, true), (0.0, false),
    ])
    func dueCheck(ageDays: Double, due: Bool) {
        let policy = RotationPolicy(maxAge: .days(90), rotateBefore: .days(7), grace: .hours(24))
        let created = t0.addingTimeInterval(-ageDays * 86_400)
        #expect(policy.isDue(createdAt: created, now: t0) == due)
        #expect(policy.dueDate(createdAt: created) == created.addingTimeInterval(83 * 86_400))
    }

    @Test func startDateIsTheWindowOpening() throws {
        // Window Mon–Fri 02:00–05:00 UTC. 2026-05-28 is a Thursday, 20:26Z: outside; next opening Fri 02:00Z.
        let window = RotationWindow(
            days: [1, 2, 3, 4, 5], startMinute: 120, endMinute: 300, timeZone: TimeZone(identifier: "UTC")!)
        let policy = RotationPolicy(maxAge: .days(90), rotateBefore: .days(7), window: window)
        let created = t0.addingTimeInterval(-100 * 86_400)
        let start = policy.startDate(createdAt: created, now: t0)
        #expect(start == Date(timeIntervalSince1970: 1_780_020_000))  // 2026-05-29T02:00:00Z
        #expect(window.contains(start))
        #expect(!window.contains(t0))
    }

    @Test func windowSkipsWeekendsAndCrossesMidnight() {
        let utc = TimeZone(identifier: "UTC")!
        // Friday 2026-05-29 06:00Z; window Mon–Fri 02:00–05:00 → next Monday 2026-06-01 02:00Z.
        let friday = Date(timeIntervalSince1970: 1_780_034_400)
        let weekdays = RotationWindow(days: [1, 2, 3, 4, 5], startMinute: 120, endMinute: 300, timeZone: utc)
        #expect(weekdays.nextStart(onOrAfter: friday) == Date(timeIntervalSince1970: 1_780_279_200))
        // 22:00–02:00 every day: 01:00 belongs to yesterday's window.
        let night = RotationWindow(days: Set(1...7), startMinute: 22 * 60, endMinute: 120, timeZone: utc)
        #expect(night.contains(Date(timeIntervalSince1970: 1_780_016_400)))  // 2026-05-29T01:00Z
        #expect(!night.contains(Date(timeIntervalSince1970: 1_780_023_600)))  // 03:00Z
    }

    @Test func windowUsesItsTimeZone() {
        // 02:00–05:00 in Santiago (UTC-4 in May) is 06:00–09:00Z.
        let santiago = RotationWindow(
            days: Set(1...7), startMinute: 120, endMinute: 300, timeZone: TimeZone(identifier: "America/Santiago")!)
        #expect(santiago.contains(Date(timeIntervalSince1970: 1_780_034_400 + 3_600)))  // 07:00Z
        #expect(!santiago.contains(Date(timeIntervalSince1970: 1_780_020_000)))  // 02:00Z
    }

    @Test func weekdayAndTimeParsing() {
        #expect(RotationWindow.weekday(named: "mon") == 1)
        #expect(RotationWindow.weekday(named: "Sunday") == 7)
        #expect(RotationWindow.weekday(named: "mond") == nil)
        #expect(RotationWindow.minuteOfDay("02:30") == 150)
        #expect(RotationWindow.minuteOfDay("24:00") == 1_440)
        #expect(RotationWindow.minuteOfDay("2:3") == nil)
        #expect(RotationWindow.minuteOfDay("25:00") == nil)
    }
}
