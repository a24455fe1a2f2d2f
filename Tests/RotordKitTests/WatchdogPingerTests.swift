import Logging
import Synchronization
import SystemdSupport
import Testing

@testable import RotordKit

/// The daemon's watchdog loop, driven tick by tick with explicit instants: it pings while the
/// rotation loop beats or sleeps on its timer, and withholds the ping once the loop has stalled.
@Suite struct WatchdogPingerTests {
    @Test func pingsOnlyWhileTheLoopShowsLife() {
        let t0 = ContinuousClock.now
        let monitor = LoopMonitor(now: t0)
        let pings = Mutex(0)
        let pinger = WatchdogPinger(maxStall: .seconds(30), monitor: monitor, logger: Logger(label: "test")) {
            pings.withLock { $0 += 1 }
        }
        #expect(pinger.tick(now: t0.advanced(by: .seconds(15))) == .ping)
        // Asleep on its timer until t0 + 100 s: still alive.
        monitor.idle(until: t0.advanced(by: .seconds(100)), at: t0.advanced(by: .seconds(20)))
        #expect(pinger.tick(now: t0.advanced(by: .seconds(90))) == .ping)
        // Not woken 40 s after its deadline: hung.
        #expect(pinger.tick(now: t0.advanced(by: .seconds(140))) == .withhold(stalledFor: .seconds(40)))
        #expect(pinger.tick(now: t0.advanced(by: .seconds(150))) == .withhold(stalledFor: .seconds(50)))
        // It beats again: pings resume.
        monitor.beat(at: t0.advanced(by: .seconds(151)))
        #expect(pinger.tick(now: t0.advanced(by: .seconds(152))) == .ping)
        #expect(pings.withLock { $0 } == 3, "a ping only for the live ticks")
    }
}
