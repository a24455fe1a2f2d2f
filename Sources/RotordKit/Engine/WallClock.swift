import Foundation

/// The source of "now" for policy and journal dates; injected so tests control time.
public protocol WallClock: Sendable {
    /// The current date.
    func now() -> Date
}

/// The system's real-time clock.
public struct SystemWallClock: WallClock {
    /// Creates the clock.
    public init() {}
    public func now() -> Date { Date() }
}
