/// A named point of a rotation at which a test may inject a fault (a crash, a hang).
///
/// The engine calls ``reached(_:)`` at each point: `step:<step>` right after that step is durably
/// recorded, and `after:create`, `after:verify`, `after:publish-first-file`, `after:delete-old`
/// right after those side effects, before they are recorded. Production code passes
/// ``NoFaults``: the shipped `rotord` has no way to react to a fault request. The test-only
/// executable `rotord-faults` plugs in an implementation driven by its environment
/// (docs/testing.md).
package protocol FaultInjector: Sendable {
    /// Called at `point`; may crash or hang the process.
    func reached(_ point: String) async

    /// The wall clock of the rotation passes of `run --once` and `rotate`: the system's, unless a
    /// test moves it (`rotord-faults`, `ROTORD_FAULT_CLOCK_OFFSET`).
    var wallClock: any WallClock { get }
}

extension FaultInjector {
    /// The system's clock.
    package var wallClock: any WallClock { SystemWallClock() }
}

/// No faults: what every shipped binary uses.
package struct NoFaults: FaultInjector {
    /// Creates the inert injector.
    package init() {}

    /// Does nothing.
    package func reached(_ point: String) async {}
}
