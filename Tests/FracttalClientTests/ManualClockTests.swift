import RotordTestKit
import Synchronization
import Testing

/// The sleepers that woke, in order.
private final class Woken: Sendable {
    private let list = Mutex<[Int]>([])
    func append(_ value: Int) { list.withLock { $0.append(value) } }
    var values: [Int] { list.withLock { $0 } }
}

/// The manual clock the client's rate-limit tests drive (RotordTestKit): it never waits real time.
@Suite(.timeLimit(.minutes(1)))
struct ManualClockTests {
    @Test func advancingResumesTheSleepersItReachesEarliestFirst() async throws {
        let clock = ManualClock()
        let woken = Woken()
        let sleepers = [3, 1, 2].map { seconds in
            Task {
                try await clock.sleep(for: .seconds(seconds))
                woken.append(seconds)
            }
        }
        try await clock.waitForSleepers(3)
        clock.advance(by: .milliseconds(1_500))
        try await sleepers[1].value
        #expect(woken.values == [1])
        #expect(clock.sleeperCount == 2, "the others still sleep")
        clock.advance(by: .seconds(2))
        for sleeper in sleepers { try await sleeper.value }
        #expect(Set(woken.values) == [1, 2, 3])
        #expect(clock.now.offset == .milliseconds(3_500))
    }

    @Test func aPastDeadlineReturnsAtOnceAndACancelledSleeperThrows() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(5))
        try await clock.sleep(until: clock.now.advanced(by: .seconds(-1)))
        let sleeper = Task { try await clock.sleep(for: .seconds(60)) }
        try await clock.waitForSleepers()
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test func advancingDrivesAnOperationToItsEndOrStopsAtTheLimit() async throws {
        let clock = ManualClock()
        let slept = try await clock.advancing(by: .seconds(1), upTo: .seconds(10)) {
            for _ in 0..<4 { try await clock.sleep(for: .seconds(1)) }
            return clock.now.offset
        }
        #expect(slept == .seconds(4))
        await #expect(throws: ManualClock.LimitReached.self) {
            try await clock.advancing(by: .seconds(1), upTo: .seconds(3)) {
                try await clock.sleep(for: .seconds(3_600))
            }
        }
    }
}
