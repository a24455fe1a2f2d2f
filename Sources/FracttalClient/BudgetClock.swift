/// Any `Clock<Duration>` read as instants of ``ContinuousClock``, the time base of ``RequestBudget``:
/// how a ``FracttalClient`` reads the time and sleeps with the clock it was given.
///
/// The instants start at the wrapped clock's `now` when the wrapper is made and move as it moves,
/// so a test's manual clock paces the client. A `ContinuousClock` is read unchanged.
struct BudgetClock: Clock {
    typealias Duration = Swift.Duration
    typealias Instant = ContinuousClock.Instant

    private let origin: ContinuousClock.Instant
    private let elapsed: @Sendable () -> Duration
    private let sleepUntil: @Sendable (_ sinceOrigin: Duration, _ tolerance: Duration?) async throws -> Void
    let minimumResolution: Duration

    /// Reads and sleeps with `clock`.
    init<C: Clock<Duration>>(_ clock: C) {
        let start = clock.now
        let origin = (start as? ContinuousClock.Instant) ?? ContinuousClock.now
        self.origin = origin
        elapsed = { start.duration(to: clock.now) }
        sleepUntil = { sinceOrigin, tolerance in
            try await clock.sleep(until: start.advanced(by: sinceOrigin), tolerance: tolerance)
        }
        minimumResolution = clock.minimumResolution
    }

    var now: ContinuousClock.Instant { origin.advanced(by: elapsed()) }

    func sleep(until deadline: ContinuousClock.Instant, tolerance: Duration? = nil) async throws {
        try await sleepUntil(origin.duration(to: deadline), tolerance)
    }
}
