import Foundation
import Glibc
import RotordTestKit
import Synchronization
import Testing

@testable import RotordKit

/// The daemon's watch on the wall clock: woken when the clock is set (a timerfd cancelled by the kernel), by
/// nothing else.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct WallClockWatchTests {
    @Test func settingTheClockWakesTheWatchAndNothingElseDoes() async throws {
        let calls = Atomic<Int>(0)
        let task = try #require(WallClockWatch.start { calls.add(1, ordering: .relaxed) }, "a CLOCK_REALTIME timerfd")
        defer { task.cancel() }
        let clock = ContinuousClock()
        // Nothing wakes it while the clock is not set (a short look: the watch has no period of its own to wait
        // out; a poll would need one).
        try await clock.sleep(for: .milliseconds(300))
        #expect(calls.load(ordering: .relaxed) == 0)
        let error = WallClockSetting.setToItself()
        guard error == 0 else {
            print("wall clock watch: cannot set the clock here (errno \(error), no CAP_SYS_TIME); not tested")
            return
        }
        let deadline = clock.now.advanced(by: .seconds(10))
        while calls.load(ordering: .relaxed) == 0, clock.now < deadline {
            try await clock.sleep(for: .milliseconds(10))
        }
        #expect(calls.load(ordering: .relaxed) == 1, "one setting, one call")
        // The timer is armed again: a second setting is seen too.
        #expect(WallClockSetting.setToItself() == 0)
        while calls.load(ordering: .relaxed) < 2, clock.now < deadline { try await clock.sleep(for: .milliseconds(10)) }
        #expect(calls.load(ordering: .relaxed) == 2)
        print("wall clock watch: 2 settings of the clock, 2 wakes")
    }
}
