import Foundation
import RotordCore
import Testing

/// When the daemon wakes: the nearest deadline, at least 1 s, at most the resync interval; and a
/// wall-clock jump is seen against the monotonic clock. Explicit times, no sleeping.
@Suite struct DaemonTimingTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: [
        (TimeInterval(30), TimeInterval(30)),  // a deadline in 30 s
        (TimeInterval(0.2), TimeInterval(1)),  // at least a second
        (TimeInterval(-50), TimeInterval(1)),  // overdue: at once (1 s)
        (TimeInterval(80 * 86_400), TimeInterval(3_600)),  // far away: resync after an hour
    ])
    func sleepsUntilTheDeadlineOrTheResync(inSeconds: TimeInterval, expected: TimeInterval) {
        let next = now.addingTimeInterval(inSeconds)
        #expect(DaemonTiming.sleepSeconds(next: next, now: now, resync: .hours(1)) == expected)
    }

    @Test func withNothingPlannedItResyncs() {
        #expect(DaemonTiming.sleepSeconds(next: nil, now: now, resync: .minutes(10)) == 600)
    }

    @Test func seesAWallClockJump() {
        let t0 = ContinuousClock.now
        let t1 = t0.advanced(by: .seconds(60))
        #expect(
            DaemonTiming.wallClockJump(
                wallThen: now, monotonicThen: t0, wallNow: now.addingTimeInterval(60), monotonicNow: t1) == nil)
        #expect(
            DaemonTiming.wallClockJump(
                wallThen: now, monotonicThen: t0, wallNow: now.addingTimeInterval(60 + 3_600), monotonicNow: t1)
                == 3_600)
        #expect(
            DaemonTiming.wallClockJump(
                wallThen: now, monotonicThen: t0, wallNow: now.addingTimeInterval(60 - 86_400), monotonicNow: t1)
                == -86_400)
        #expect(
            DaemonTiming.wallClockJump(
                wallThen: now, monotonicThen: t0, wallNow: now.addingTimeInterval(63), monotonicNow: t1) == nil,
            "a few seconds of NTP slew are not a jump")
    }
}
