import Foundation
import RotordCore
import Testing

/// Issue 21, point 5: a consumer rotated by a timer (`run --once --next-run-in`) whose window no later run meets
/// before its deadline is rotated at this run, outside the window, not at the first run after its deadline.
@Suite struct TimerModeDecisionTests {
    static let now = Date(timeIntervalSince1970: 1_779_969_600)  // 2026-05-28 12:00 UTC

    /// Deadline in 6 h, due since yesterday, a 1-hour window opening in 3 h (15:00–16:00 UTC).
    static func policy() -> (RotationPolicy, created: Date) {
        let window = RotationWindow(days: Set(1...7), startMinute: 15 * 60, endMinute: 16 * 60, timeZone: .gmt)
        let policy = RotationPolicy(maxAge: .days(30), rotateBefore: .days(2), window: window)
        return (policy, now.addingTimeInterval(6 * 3_600 - 30 * 86_400))
    }

    @Test func aDailyTimerThatNeverMeetsTheWindowRotatesNow() {
        let (policy, created) = Self.policy()
        let d = policy.decide(
            consumer: "etl", createdAt: created, lastCompletedAt: nil, now: Self.now, nextRunIn: .hours(24))
        #expect(d.start == Self.now, "the next run (in 24 h) is after the deadline (in 6 h): rotate now")
        #expect(d.reason?.contains("no later run (every 1d) falls inside it") == true, "\(d.reason ?? "")")
    }

    @Test func aTimerThatMeetsTheWindowWaitsForIt() {
        let (policy, created) = Self.policy()
        let d = policy.decide(
            consumer: "etl", createdAt: created, lastCompletedAt: nil, now: Self.now, nextRunIn: .hours(1))
        #expect(d.start == Self.now.addingTimeInterval(3 * 3_600), "a run at 15:00 falls in the window")
        #expect(d.hold == .window)
    }

    @Test func theDaemonWaitsForTheWindow() {
        let (policy, created) = Self.policy()
        let d = policy.decide(consumer: "etl", createdAt: created, lastCompletedAt: nil, now: Self.now)
        #expect(d.start == Self.now.addingTimeInterval(3 * 3_600), "the daemon wakes when the window opens")
    }

    @Test func notYetDueIsNotStartedEarly() {
        let window = RotationWindow(days: Set(1...7), startMinute: 15 * 60, endMinute: 16 * 60, timeZone: .gmt)
        let policy = RotationPolicy(maxAge: .days(30), rotateBefore: .days(2), window: window)
        let created = Self.now.addingTimeInterval(-20 * 86_400)  // due in 8 days
        let d = policy.decide(
            consumer: "etl", createdAt: created, lastCompletedAt: nil, now: Self.now, nextRunIn: .hours(24))
        #expect(d.start > Self.now)
    }
}
