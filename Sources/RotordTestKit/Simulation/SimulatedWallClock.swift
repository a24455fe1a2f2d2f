import Foundation
import RotordKit
import Synchronization

/// The simulation's wall clock: it moves only when the simulation moves it, forward or back.
package final class SimulatedWallClock: WallClock {
    private let date: Mutex<Date>

    /// A clock reading `start`.
    package init(start: Date) { date = Mutex(start) }

    package func now() -> Date { date.withLock { $0 } }

    /// Moves the clock by `seconds` (negative: a step back, as NTP or an operator may do).
    package func advance(by seconds: TimeInterval) { date.withLock { $0 = $0.addingTimeInterval(seconds) } }

    /// Moves the clock to `instant` if that is later than now.
    package func advance(to instant: Date) { date.withLock { $0 = max($0, instant) } }
}
