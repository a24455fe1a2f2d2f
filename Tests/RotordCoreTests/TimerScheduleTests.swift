import Foundation
import RotordCore
import Testing

/// The shipped `rotord.timer`, read as `check-config` and `plan` read the installed one to warn about a window no
/// run meets (issue 21, point 5).
@Suite struct TimerScheduleTests {
    static var shipped: String {
        get throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            return try String(contentsOf: root.appendingPathComponent("systemd/rotord.timer"), encoding: .utf8)
        }
    }

    static func window(_ start: Int, _ end: Int) -> RotationWindow {
        RotationWindow(days: Set(1...7), startMinute: start * 60, endMinute: end * 60, timeZone: .gmt)
    }

    @Test func theShippedTimerRunsDailyAt0230WithinHalfAnHour() throws {
        let timer = try #require(TimerSchedule.parse(unit: try Self.shipped, timeZone: .gmt))
        #expect(timer.minuteOfDay == 2 * 60 + 30)
        #expect(timer.randomizedDelay == .minutes(30))
        #expect(timer.description == "daily at 02:30 (GMT) plus up to 30m")
    }

    @Test func aWindowMeetsTheTimerOnlyIfItContainsARun() throws {
        let timer = try #require(TimerSchedule.parse(unit: try Self.shipped, timeZone: .gmt))
        let now = Date(timeIntervalSince1970: 1_779_969_600)
        #expect(timer.meets(Self.window(2, 4), after: now))
        #expect(timer.meets(Self.window(1, 3), after: now), "02:30–03:00 overlaps 01:00–03:00")
        #expect(!timer.meets(Self.window(15, 16), after: now))
        #expect(timer.meets(Self.window(3, 5), after: now), "the latest run, 03:00, is at its start")
        let weekends = RotationWindow(days: [6, 7], startMinute: 120, endMinute: 240, timeZone: .gmt)
        #expect(timer.meets(weekends, after: now), "a daily run meets a weekend window on the weekend")
    }

    @Test func otherCalendarsAreNotRead() {
        #expect(TimerSchedule.parse(unit: "[Timer]\nOnCalendar=Mon *-*-* 02:00\n", timeZone: .gmt) == nil)
        #expect(TimerSchedule.parse(unit: "[Timer]\nOnBootSec=5m\n", timeZone: .gmt) == nil)
        #expect(TimerSchedule.parse(unit: "[Timer]\nOnCalendar=daily\n", timeZone: .gmt)?.minuteOfDay == 0)
    }
}
