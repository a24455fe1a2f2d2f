import Foundation

/// The source of "now" for policy and journal dates; injected so tests control time.
package protocol WallClock: Sendable {
    /// The current date.
    func now() -> Date
}

/// The system's real-time clock.
package struct SystemWallClock: WallClock {
    /// Creates the clock.
    package init() {}
    package func now() -> Date { Date() }
}
