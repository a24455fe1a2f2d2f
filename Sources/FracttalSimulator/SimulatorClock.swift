import Foundation
import Synchronization

/// The simulator's time source, injectable so tests move time instead of sleeping.
public protocol SimulatorClock: Sendable {
    /// The current date.
    func now() -> Date
}

/// The real clock.
public struct SystemSimulatorClock: SimulatorClock {
    /// Creates the clock.
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to.
public final class ManualSimulatorClock: SimulatorClock {
    private let current: Mutex<Date>

    /// Starts at `start`.
    public init(_ start: Date) { current = Mutex(start) }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves time forward.
    public func advance(by seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }

    /// Sets the time.
    public func set(_ date: Date) { current.withLock { $0 = date } }
}
