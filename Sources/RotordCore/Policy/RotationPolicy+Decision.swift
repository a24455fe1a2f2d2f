import Foundation

/// When a consumer's next policy rotation may start, and why, at one instant (see
/// ``RotationPolicy/decide(consumer:createdAt:lastCompletedAt:now:)``).
public struct PolicyDecision: Sendable, Hashable {
    /// What holds the start back, when something does.
    public enum Hold: Sendable, Hashable {
        /// Nothing: the start is the (jittered) due date, or now once due.
        case none
        /// The rotation window is closed until ``PolicyDecision/start``.
        case window
        /// `min_interval` has not passed since the last completed rotation.
        case minInterval
    }

    /// The due date: `created_at + max_age - rotate_before - jitter offset`.
    public var due: Date
    /// The compliance deadline: `created_at + max_age`.
    public var expiry: Date
    /// When the rotation may start (never earlier than now once due).
    public var start: Date
    /// What holds it back.
    public var hold: Hold
    /// A sentence for `plan` when the decision is not the plain due date (outside the window for the
    /// deadline, held by `min_interval`); `nil` otherwise.
    public var reason: String?
}

extension RotationPolicy {
    /// The due date of consumer `name` created at `createdAt`, moved earlier by its jitter offset
    /// (never before `createdAt`).
    public func dueDate(createdAt: Date, consumer name: String) -> Date {
        let offset = RotationJitter.offset(for: name, jitter: jitter)
        return max(createdAt, dueDate(createdAt: createdAt).addingTimeInterval(-offset.timeInterval))
    }

    /// Decides when the next policy rotation of consumer `name` may start. Pure: the clock is `now`.
    ///
    /// In order: the jittered due date (or now, once due); not before `lastCompletedAt + minInterval`;
    /// inside the window, unless the window next opens after the compliance deadline
    /// (`created_at + max_age`): then the rotation starts outside the window, and `reason` says so.
    ///
    /// `nextRunIn` is how often rotord runs when a timer runs it (`run --once --next-run-in`): a due consumer whose
    /// window no later run before the deadline falls in starts now, outside the window, rather than at the first run
    /// after its deadline. `nil` for the daemon, which wakes when the window opens.
    public func decide(
        consumer name: String, createdAt: Date, lastCompletedAt: Date?, now: Date, nextRunIn: ConfigDuration? = nil
    ) -> PolicyDecision {
        let due = dueDate(createdAt: createdAt, consumer: name)
        let expiry = expiryDate(createdAt: createdAt)
        var earliest = max(due, now)
        var decision = PolicyDecision(due: due, expiry: expiry, start: earliest, hold: .none, reason: nil)
        if minInterval.seconds > 0, let last = lastCompletedAt {
            let allowed = last.addingTimeInterval(minInterval.timeInterval)
            if allowed > earliest {
                earliest = allowed
                decision.start = allowed
                decision.hold = .minInterval
                decision.reason =
                    "min_interval \(minInterval): the last rotation finished \(Self.stamp(last)); "
                    + "not again before \(Self.stamp(allowed))"
            }
        }
        guard let window else { return decision }
        let open = window.nextStart(onOrAfter: earliest)
        if let open, open <= expiry {
            if open > earliest {
                if let period = nextRunIn, decision.hold == .none, due <= now,
                    !Self.someRun(after: now, every: period, until: expiry, in: window)
                {
                    decision.reason =
                        "rotates outside the window now: no later run (every \(period)) falls inside it before the "
                        + "max_age deadline \(Self.stamp(expiry))"
                    return decision
                }
                decision.start = open
                if decision.hold == .none { decision.hold = .window }
            }
            return decision
        }
        // Waiting for the window would leave the consumer past max_age: rotate outside it.
        decision.start = earliest
        decision.reason =
            "rotates outside the window: "
            + (open.map { "it next opens \(Self.stamp($0))" } ?? "it does not open within 8 days")
            + ", after the max_age deadline \(Self.stamp(expiry))"
            + (decision.reason.map { "; \($0)" } ?? "")
        return decision
    }

    /// Whether a run at `now + k × period` (k ≥ 1) falls inside `window` no later than `deadline`.
    static func someRun(after now: Date, every period: ConfigDuration, until deadline: Date, in window: RotationWindow)
        -> Bool
    {
        let step = period.timeInterval
        guard step > 0 else { return true }
        var run = now.addingTimeInterval(step)
        for _ in 0..<1_000 where run <= deadline {
            if window.contains(run) { return true }
            run = run.addingTimeInterval(step)
        }
        return false
    }

    static func stamp(_ date: Date) -> String { UTCTimestamp.format(date) }
}
