import Synchronization

/// A clock that moves only when a test advances it: code given this clock sleeps until the test
/// moves time past its deadline, and never waits real time.
///
/// ``advance(by:)`` resumes every sleeper whose deadline it reaches, earliest first.
/// ``waitForSleepers(_:)`` lets a test wait until the code under test is asleep on the clock
/// before advancing it. A cancelled sleeper throws `CancellationError` at once.
public final class ManualClock: Clock, Sendable {
    /// An instant of the manual clock: how far it has been advanced since it was created.
    public struct Instant: InstantProtocol, Hashable, Sendable {
        /// The time advanced since the clock was created.
        public var offset: Duration

        /// An instant `offset` after the clock's start.
        public init(offset: Duration) { self.offset = offset }

        /// This instant moved by `duration`.
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }

        /// The time from this instant to `other`.
        public func duration(to other: Instant) -> Duration { other.offset - offset }

        /// Whether `lhs` comes before `rhs`.
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Watcher {
        var count: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID = 0
        var sleepers: [Int: Sleeper] = [:]
        var watchers: [Int: Watcher] = [:]

        /// Takes the watchers whose sleeper count is reached.
        mutating func satisfiedWatchers() -> [CheckedContinuation<Void, any Error>] {
            let ready = watchers.filter { $0.value.count <= sleepers.count }
            for id in ready.keys { watchers[id] = nil }
            return ready.values.map(\.continuation)
        }
    }

    private let state = Mutex(State())

    /// A clock at offset zero, with nobody asleep.
    public init() {}

    /// The current instant: the sum of every ``advance(by:)`` so far.
    public var now: Instant { state.withLock { $0.now } }

    /// Zero: the clock has no resolution of its own.
    public var minimumResolution: Duration { .zero }

    /// How many tasks sleep on the clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Sleeps until the clock has been advanced to `deadline` (at once if it already has). Throws
    /// `CancellationError` when the task is cancelled.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try await suspend(
            register: { state, id, continuation in
                if deadline <= state.now { return false }
                state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                return true
            },
            cancel: { state, id in state.sleepers.removeValue(forKey: id)?.continuation })
    }

    /// Returns once at least `count` tasks sleep on the clock (at once if they already do). Throws
    /// `CancellationError` when the task is cancelled (a test's time limit ends the wait).
    public func waitForSleepers(_ count: Int = 1) async throws {
        try await suspend(
            register: { state, id, continuation in
                if state.sleepers.count >= count { return false }
                state.watchers[id] = Watcher(count: count, continuation: continuation)
                return true
            },
            cancel: { state, id in state.watchers.removeValue(forKey: id)?.continuation })
    }

    /// Moves the clock `duration` forward and resumes every sleeper whose deadline it reaches.
    public func advance(by duration: Duration) {
        let due = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }.sorted {
                $0.value.deadline < $1.value.deadline
            }
            for (id, _) in due { state.sleepers[id] = nil }
            return due.map(\.value.continuation)
        }
        for continuation in due { continuation.resume() }
    }

    /// Runs `operation`, advancing the clock by `step` whenever something sleeps on it, until
    /// `operation` returns or throws. Throws ``LimitReached`` (and cancels `operation`) once the
    /// clock has been advanced by `limit` and `operation` still sleeps.
    public func advancing<T: Sendable>(
        by step: Duration, upTo limit: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                var advanced = Duration.zero
                while advanced < limit {
                    try await self.waitForSleepers()
                    self.advance(by: step)
                    advanced += step
                }
                throw LimitReached(limit: limit)
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw LimitReached(limit: limit)
        }
    }

    /// ``advancing(by:upTo:_:)`` advanced the clock by its limit and the operation still slept.
    public struct LimitReached: Error, CustomStringConvertible {
        /// The limit.
        public var limit: Duration
        /// Names the limit.
        public var description: String { "the operation still sleeps after the manual clock advanced \(limit)" }
    }

    /// Suspends the current task: `register` (under the lock) stores the continuation and returns
    /// `true`, or returns `false` to resume at once; `cancel` takes it back when the task is cancelled.
    private func suspend(
        register: (inout State, Int, CheckedContinuation<Void, any Error>) -> Bool,
        cancel: @escaping @Sendable (inout State, Int) -> CheckedContinuation<Void, any Error>?
    ) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Under the lock, so that a cancellation either sees the registration or is seen here.
                let (outcome, watchers): (Result<Void, any Error>?, [CheckedContinuation<Void, any Error>]) =
                    state.withLock { state in
                        if Task.isCancelled { return (.failure(CancellationError()), []) }
                        guard register(&state, id, continuation) else { return (.success(()), []) }
                        return (nil, state.satisfiedWatchers())
                    }
                for watcher in watchers { watcher.resume() }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let continuation = state.withLock { cancel(&$0, id) }
            continuation?.resume(throwing: CancellationError())
        }
    }
}
