/// An instant of the fleet simulation's monotonic time: milliseconds since the history began.
package struct SimulatedInstant: InstantProtocol, Sendable, Hashable, Comparable {
    /// Milliseconds since the history began.
    package var milliseconds: Int64

    /// The instant `milliseconds` after the start.
    package init(milliseconds: Int64) { self.milliseconds = milliseconds }

    package func advanced(by duration: Duration) -> SimulatedInstant {
        SimulatedInstant(milliseconds: milliseconds + duration.milliseconds)
    }

    package func duration(to other: SimulatedInstant) -> Duration { .milliseconds(other.milliseconds - milliseconds) }

    package static func < (a: SimulatedInstant, b: SimulatedInstant) -> Bool { a.milliseconds < b.milliseconds }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
