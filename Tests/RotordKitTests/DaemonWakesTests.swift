import Testing

@testable import RotordKit

/// ``DaemonWakes``: a reload is never dropped, however many other wake-ups come while a pass runs (the fleet chaos
/// run, seed 7, found the daemon's bounded stream dropping a SIGHUP); reasons are coalesced and taken most urgent
/// first. No sleep: the loop's side is driven directly.
@Suite struct DaemonWakesTests {
    @Test func aReloadSurvivesAFloodOfOtherWakeUps() async {
        let wakes = DaemonWakes()
        var iterator = wakes.makeIterator()
        wakes.post(.timer)
        wakes.post(.reload)
        // A long pass: the timer, the state watch (each second) and the fleet keep waking the loop.
        for _ in 0..<1_000 {
            wakes.post(.stateChanged)
            wakes.post(.timer)
            wakes.post(.fleet)
        }
        #expect(await wakes.next(&iterator) == .reload)
        #expect(await wakes.next(&iterator) == .stateChanged)
        #expect(await wakes.next(&iterator) == .fleet)
        #expect(await wakes.next(&iterator) == .timer)
        #expect(wakes.take() == nil, "each reason once, however often it came")
    }

    @Test func aStopComesFirstAndNothingIsLostAfterIt() async {
        let wakes = DaemonWakes()
        var iterator = wakes.makeIterator()
        wakes.post(.clockSet)
        wakes.post(.reload)
        wakes.post(.stop)
        #expect(await wakes.next(&iterator) == .stop)
        #expect(await wakes.next(&iterator) == .reload)
        #expect(await wakes.next(&iterator) == .clockSet)
    }

    @Test func theLoopWaitsForTheNextWakeUp() async {
        let wakes = DaemonWakes()
        var iterator = wakes.makeIterator()
        async let posted: Void = wakes.post(.reload)
        #expect(await wakes.next(&iterator) == .reload)
        await posted
        wakes.finish()
        #expect(await wakes.next(&iterator) == nil, "finished and nothing pending")
    }
}
