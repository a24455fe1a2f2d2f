import Synchronization

/// Why the daemon's loop wakes, and the wake-ups not yet taken (docs/architecture.md, "The daemon").
///
/// Each reason is kept until the loop takes it, whatever else arrives meanwhile, and reasons are taken most urgent
/// first. A plain `AsyncStream` of reasons with a bounded buffer dropped a SIGHUP once more than its buffer of
/// other wake-ups came during one long pass (a fleet leader's, found by the fleet chaos run, seed 7): `rotord
/// reload` then waited for an answer that never came. Here the stream only signals; the reasons live in a set.
package final class DaemonWakes: Sendable {
    /// Why the loop wakes, most urgent first.
    package enum Reason: Int, Sendable, Comparable {
        /// A graceful stop (SIGTERM, SIGINT).
        case stop
        /// A reload (SIGHUP).
        case reload
        /// The wall clock was set.
        case clockSet
        /// Another process changed the state directory (a manual rotation).
        case stateChanged
        /// The fleet: leadership changed, or an operator left a request.
        case fleet
        /// The timer: the next deadline, or the resync.
        case timer

        package static func < (a: Reason, b: Reason) -> Bool { a.rawValue < b.rawValue }
    }

    private let pending = Mutex<Set<Reason>>([])
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation

    /// No wake-up pending.
    package init() {
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Records `reason` (once, however often it comes before it is taken) and wakes the loop.
    package func post(_ reason: Reason) {
        pending.withLock { _ = $0.insert(reason) }
        signal.yield()
    }

    /// The most urgent pending reason, removed; `nil` when none is pending.
    package func take() -> Reason? {
        pending.withLock { set in
            guard let first = set.min() else { return nil }
            set.remove(first)
            return first
        }
    }

    /// The one iterator of the loop (``next(_:)`` takes it).
    package func makeIterator() -> AsyncStream<Void>.Iterator { signals.makeAsyncIterator() }

    /// The most urgent pending reason, waiting for one when none is pending; `nil` once ``finish()`` was called
    /// and nothing is pending.
    package func next(_ iterator: inout AsyncStream<Void>.Iterator) async -> Reason? {
        while true {
            if let reason = take() { return reason }
            guard await iterator.next() != nil else { return take() }
        }
    }

    /// Ends the signals: ``next(_:)`` returns what is still pending, then `nil`.
    package func finish() { signal.finish() }
}
