import Foundation

/// What rotord knows of a consumer's past rotations, from the history in the state directory.
public struct ConsumerHistory: Sendable, Hashable, Codable {
    /// The last rotation that reached `done`: its id and when.
    public var lastCompletedID: String?
    /// When that rotation finished.
    public var lastCompletedAt: Date?
    /// Failed rotations since the last completed one.
    public var consecutiveFailures: Int
    /// When the last of those failed.
    public var lastFailureAt: Date?
    /// Why it failed.
    public var lastFailure: String?

    /// Creates a history.
    public init(
        lastCompletedID: String? = nil, lastCompletedAt: Date? = nil, consecutiveFailures: Int = 0,
        lastFailureAt: Date? = nil, lastFailure: String? = nil
    ) {
        self.lastCompletedID = lastCompletedID
        self.lastCompletedAt = lastCompletedAt
        self.consecutiveFailures = consecutiveFailures
        self.lastFailureAt = lastFailureAt
        self.lastFailure = lastFailure
    }

    /// Folds a finished rotation into the history.
    public mutating func record(_ rotation: RotationRecord) {
        record(step: rotation.step, id: rotation.id, at: rotation.updatedAt, failure: rotation.failure)
    }

    /// Folds a finished rotation, given by its parts, into the history.
    public mutating func record(step: RotationStep, id: String, at date: Date, failure: String?) {
        switch step {
        case .done:
            self = ConsumerHistory(lastCompletedID: id, lastCompletedAt: date)
        case .failed, .abandoned:
            consecutiveFailures += 1
            lastFailureAt = date
            lastFailure = failure
        default:
            break
        }
    }
}

/// The state of one managed consumer with respect to its policy, at one instant.
public struct PlanEntry: Sendable, Hashable {
    /// Where the consumer stands.
    public enum Status: Sendable, Hashable {
        /// Within policy; a rotation is due at the date.
        case ok
        /// Due: a rotation starts now.
        case due
        /// Due, but the rotation window is closed until the date.
        case waitingForWindow(opens: Date)
        /// Recent rotations failed; the next attempt is at the date.
        case backingOff(until: Date)
        /// A rotation is under way.
        case inFlight(RotationRecord)
        /// No consumer with this name exists in Fracttal.
        case missing
        /// The consumer exists in another permission group than configured.
        case groupMismatch(actual: String)
        /// Several `client_credentials` consumers of this name exist in the group (their ids), and
        /// the configuration does not pin one with `consumer_id`.
        case ambiguous(ids: [Int])
        /// The configuration pins `consumer_id`, and no such consumer of this name exists.
        case pinnedMissing(id: Int)
        /// Due, but its deliver files cannot be written (``ManagedConsumer/deliveryProblem``): no rotation starts
        /// (no consumer is created) until that is fixed; the old consumer stays in service.
        case unwritable(reason: String)
        /// An `adopt:` rule matched the consumer but cannot manage it (``ManagedConsumer/adoptionRefusal``).
        case refused(reason: String)
    }

    /// The managed consumer.
    public var managed: ManagedConsumer
    /// The consumer a rotation replaces: the only candidate, or the pinned one (while a rotation
    /// is in flight, the newest candidate).
    public var current: ConsumerRecord?
    /// Every candidate: the live `client_credentials` consumers of that name in the configured
    /// group (more than one during a grace period). Others of the same name are never touched.
    public var liveConsumers: [ConsumerRecord]
    /// Where it stands.
    public var status: Status
    /// `created_at + max_age - rotate_before`.
    public var dueDate: Date?
    /// `created_at + max_age`.
    public var expiryDate: Date?
    /// When the scheduler should look at this consumer again; `nil` when only news can change it.
    public var nextDeadline: Date?
    /// Why the plan departs from the plain due date (outside the window for the deadline, held by
    /// `min_interval` or by `schedule:`), for `plan`; `nil` otherwise.
    public var reason: String?
    /// Due, but held back to a later pass by `schedule:` (``RotationSchedule``).
    public var deferred = false

    /// An entry of `managed` at `status`; the dates are set by the planner.
    public init(managed: ManagedConsumer, current: ConsumerRecord?, liveConsumers: [ConsumerRecord], status: Status) {
        self.managed = managed
        self.current = current
        self.liveConsumers = liveConsumers
        self.status = status
    }

    /// Whether a new rotation starts now.
    public var startsNow: Bool { status == .due && !deferred }

    /// Whether this entry is a configuration problem (missing consumer, wrong group).
    public var isProblem: Bool {
        switch status {
        case .missing, .groupMismatch, .ambiguous, .pinnedMissing, .refused, .unwritable: true
        default: false
        }
    }
}

/// A whole plan: one entry per managed consumer, in configuration order.
public struct RotationPlan: Sendable, Hashable {
    /// The entries.
    public var entries: [PlanEntry]
    /// When this plan was made.
    public var now: Date

    /// A plan of `entries` made at `now`.
    public init(entries: [PlanEntry], now: Date) {
        self.entries = entries
        self.now = now
    }

    /// The earliest instant at which something is due (a start, a window, a retry, a grace end).
    public var nextDeadline: Date? { entries.compactMap(\.nextDeadline).min() }

    /// The entry whose deadline comes first after `instant`, with that deadline: what the daemon
    /// waits for and what `STATUS=` names. The one definition of "next" (the reconciler adds the
    /// retries of what it just did: ``nextDeadline(after:also:)``).
    public func nextEntry(after instant: Date) -> (entry: PlanEntry, at: Date)? {
        var best: (entry: PlanEntry, at: Date)?
        for entry in entries {
            guard let at = entry.nextDeadline, at > instant else { continue }
            if best.map({ at < $0.at }) ?? true { best = (entry, at) }
        }
        return best
    }

    /// The first deadline after `instant` of this plan and of `also` (the retries and waits of the
    /// pass that made it), or `nil` when nothing is ever due.
    public func nextDeadline(after instant: Date, also: [Date] = []) -> Date? {
        ([nextEntry(after: instant)?.at].compactMap { $0 } + also.filter { $0 > instant }).min()
    }
    /// The entries that start a rotation now.
    public var due: [PlanEntry] { entries.filter(\.startsNow) }
}

/// Decides, for each managed consumer, whether a rotation is due. Pure.
public struct RotationPlanner: Sendable {
    /// How long to wait after `n` consecutive failed rotations (1-based).
    /// ``Backoff/failedRotations``, jittered by the consumer's name.
    public var failureBackoff: Backoff

    /// Creates a planner; the default backoff is 5 min doubling up to 6 h, with equal jitter.
    public init(failureBackoff: Backoff = .failedRotations) {
        self.failureBackoff = failureBackoff
    }

    /// Plans every managed consumer of `configuration` against the account's `consumers`.
    ///
    /// - Parameters:
    ///   - groupNames: permission group names by id, to compare with `permission_group`.
    ///   - active: the unfinished rotations in the journal.
    ///   - history: per consumer name, what happened before.
    public func plan(
        configuration: RotordConfiguration, consumers: [ConsumerRecord], groupNames: [Int: String],
        active: [RotationRecord], history: [String: ConsumerHistory], now: Date, nextRunIn: ConfigDuration? = nil
    ) -> RotationPlan {
        var byName: [String: [ConsumerRecord]] = [:]
        for consumer in consumers { byName[consumer.name, default: []].append(consumer) }
        var activeByName: [String: RotationRecord] = [:]
        for record in active where !record.step.isTerminal { activeByName[record.consumerName] = record }

        let entries = configuration.consumers.map { managed in
            entry(
                managed: managed, live: byName[managed.name] ?? [], groupNames: groupNames,
                inFlight: activeByName[managed.name], history: history[managed.name], now: now, nextRunIn: nextRunIn)
        }
        return RotationPlan(entries: entries, now: now).spread(configuration.schedule)
    }

    private func entry(
        managed: ManagedConsumer, live: [ConsumerRecord], groupNames: [Int: String], inFlight: RotationRecord?,
        history: ConsumerHistory?, now: Date, nextRunIn: ConfigDuration?
    ) -> PlanEntry {
        // Only client_credentials consumers are candidates: rotord never delivered an authorization_code
        // consumer's pair, so it neither rotates nor deletes one, whatever its name.
        let usable = live.filter { $0.authorizationType == "client_credentials" }
        func group(_ c: ConsumerRecord) -> String? { c.permissionGroup ?? groupNames[c.permissionGroupId] }
        // The group may be configured by name (as the UI shows it) or by id; an unknown name matches.
        func inGroup(_ c: ConsumerRecord) -> Bool {
            guard let name = group(c) else { return true }
            return name == managed.permissionGroup || String(c.permissionGroupId) == managed.permissionGroup
        }
        let sorted = usable.filter(inGroup).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        var entry = PlanEntry(managed: managed, current: sorted.last, liveConsumers: sorted, status: .ok)
        if let refusal = managed.adoptionRefusal {
            entry.status = .refused(reason: refusal)
            return entry
        }
        if let inFlight {
            if let current = entry.current {
                entry.dueDate = managed.policy.dueDate(createdAt: current.createdAt, consumer: managed.name)
                entry.expiryDate = managed.policy.expiryDate(createdAt: current.createdAt)
            }
            entry.status = .inFlight(inFlight)
            entry.nextDeadline = inFlight.retryAt ?? (inFlight.step == .grace ? inFlight.graceUntil : nil)
            return entry
        }
        let current: ConsumerRecord
        if let pin = managed.consumerID {
            let successors = history?.lastCompletedID.map { last in sorted.filter { $0.rotationMarker == last } } ?? []
            if let pinned = sorted.first(where: { $0.id == pin }) {
                current = pinned
            } else if successors.count == 1 {
                // The pinned consumer was replaced by rotord: its replacement carries the marker of the
                // last completed rotation of this consumer.
                current = successors[0]
            } else if let elsewhere = usable.first(where: { $0.id == pin }) {
                entry.current = elsewhere
                entry.status = .groupMismatch(actual: group(elsewhere) ?? String(elsewhere.permissionGroupId))
                return entry
            } else {
                entry.current = nil
                entry.status = .pinnedMissing(id: pin)
                return entry
            }
        } else if sorted.count > 1 {
            entry.current = nil
            entry.status = .ambiguous(ids: sorted.map(\.id).sorted())
            return entry
        } else if let only = sorted.first {
            current = only
        } else if let elsewhere = usable.first {
            entry.current = elsewhere
            entry.status = .groupMismatch(actual: group(elsewhere) ?? String(elsewhere.permissionGroupId))
            return entry
        } else {
            entry.status = .missing
            return entry
        }
        entry.current = current
        let decision = managed.policy.decide(
            consumer: managed.name, createdAt: current.createdAt, lastCompletedAt: history?.lastCompletedAt, now: now,
            nextRunIn: nextRunIn)
        entry.dueDate = decision.due
        entry.expiryDate = decision.expiry
        entry.reason = decision.reason
        let start = decision.start
        if let history, history.consecutiveFailures > 0, let failedAt = history.lastFailureAt {
            let wait = failureBackoff.delay(attempt: history.consecutiveFailures, key: managed.name)
            let until = failedAt.addingTimeInterval(Backoff.seconds(wait))
            if until > now && start <= until {
                entry.status = .backingOff(until: until)
                entry.nextDeadline = until
                return entry
            }
        }
        if start <= now, let problem = managed.deliveryProblem {
            // Told before a create: the next pass after a fix (a reload, the resync) tries again.
            entry.status = .unwritable(reason: problem)
        } else if start <= now {
            entry.status = .due
            entry.nextDeadline = now
        } else if decision.due <= now && decision.hold == .window {
            entry.status = .waitingForWindow(opens: start)
            entry.nextDeadline = start
        } else {
            entry.status = .ok
            entry.nextDeadline = start
        }
        return entry
    }
}
