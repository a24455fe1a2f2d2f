import Foundation

/// What one reconcile pass does, decided from what the pass read: pure.
///
/// A pass reads (the journal, the account's listing, the configuration, the operator's requests and the clock),
/// asks a `PassDecision` what to do, and performs its ``Action``s in order; after performing them it asks
/// ``settle(_:at:waits:)`` for the plan it reports and the next wake (docs/architecture.md, "A pass"). Nothing here
/// reads a file, the network or the clock, so every decision is a unit test with dates in it.
public struct PassDecision: Sendable, Hashable {
    /// What an operator asked of this pass.
    public struct Request: Sendable, Hashable {
        /// Consumers to rotate now whatever their policy says (`rotord rotate NAME`); the value: delete the old
        /// consumer at once instead of after grace.
        public var force: [String: Bool]
        /// The one consumer the pass acts on (`rotord rotate NAME` acts on that one only), or `nil` for all.
        public var only: String?
        /// Consumers whose unconfirmed (or held) rotation an operator accepts (`--accept-unconfirmed`); the value:
        /// delete the old consumer at once.
        public var accept: [String: Bool]
        /// Consumers whose rotation an operator ends keeping both consumers (`rotord abandon NAME`).
        public var abandon: Set<String>

        /// Creates a request; the defaults ask for nothing (the daemon's and the timer's pass).
        public init(
            force: [String: Bool] = [:], only: String? = nil, accept: [String: Bool] = [:], abandon: Set<String> = []
        ) {
            self.force = force
            self.only = only
            self.accept = accept
            self.abandon = abandon
        }

        /// Whether the pass acts on `name`.
        public func includes(_ name: String) -> Bool { only == nil || only == name }
    }

    /// Consumers whose journal holds a record that cannot be read: it may hold a live replacement, so nothing
    /// starts for them until `rotord repair`.
    public struct Blocked: Sendable, Hashable {
        /// The consumers named by unreadable records.
        public var names: Set<String>
        /// An unreadable record names no consumer: nothing starts at all.
        public var everything: Bool

        /// Creates the set.
        public init(names: Set<String> = [], everything: Bool = false) {
            self.names = names
            self.everything = everything
        }

        /// Whether `name` waits for a repair.
        public func contains(_ name: String) -> Bool { everything || names.contains(name) }
    }

    /// A rotation to start: everything its first journal record needs but the instant and the id, which the pass
    /// gives when it starts it (a pass drives one rotation after the other; each starts at its own instant).
    public struct Start: Sendable, Hashable {
        /// The consumer.
        public var consumer: ManagedConsumer
        /// The consumer it replaces.
        public var current: ConsumerRecord
        /// `manual` (an operator's `rotord rotate`) or `due` (the policy).
        public var trigger: String
        /// Delete the old consumer at once instead of after grace.
        public var revokeOldNow: Bool

        /// Creates a start.
        public init(consumer: ManagedConsumer, current: ConsumerRecord, trigger: String, revokeOldNow: Bool) {
            self.consumer = consumer
            self.current = current
            self.trigger = trigger
            self.revokeOldNow = revokeOldNow
        }

        /// The rotation's first record, planned at `now` with `id` (``RotationRecord/makeID(now:random:)``).
        public func record(now: Date, id: String) -> RotationRecord {
            RotationRecord(
                id: id, consumerName: consumer.name, trigger: trigger, now: now, oldConsumers: [current],
                authorizationType: current.authorizationType, permissionGroupID: current.permissionGroupId,
                fracttalHub: current.fracttalHub, originalDescription: current.description,
                grace: consumer.policy.grace, revokeOldNow: revokeOldNow)
        }
    }

    /// One thing to do, in the order returned.
    public enum Action: Sendable, Hashable {
        /// Drive a rotation in flight, first with `first` (``RotationEvent/resume`` unless an operator asked more).
        case drive(RotationRecord, first: RotationEvent)
        /// Start a rotation and drive it.
        case start(Start)
        /// Tell the problem that keeps a consumer from rotating (journald and the pass's report).
        case problem(consumer: String, message: String)
    }

    /// What the operator asked.
    public var request: Request
    /// Consumers blocked by unreadable journal records.
    public var blocked: Blocked

    /// Creates the decisions of one pass.
    public init(request: Request = .init(), blocked: Blocked = .init()) {
        self.request = request
        self.blocked = blocked
    }

    /// The rotations in flight, in journal order, each with the event that resumes it: a manual rotation first
    /// ends the previous one's grace and skips any retry wait (``RotationEvent/forced``); an operator's acceptance
    /// applies where the step accepts one (``RotationStep/acceptsAcceptance(managed:)``); abandoning wins over both.
    /// `isManaged` says whether a consumer is still in the (adoption-resolved) configuration.
    public func resuming(_ active: [RotationRecord], isManaged: (String) -> Bool) -> [Action] {
        active.filter { request.includes($0.consumerName) }.map { record in
            let name = record.consumerName
            var first: RotationEvent = request.force[name] != nil ? .forced : .resume
            if record.step.acceptsAcceptance(managed: isManaged(name)), let revokeNow = request.accept[name] {
                first = .accepted(revokeOldNow: revokeNow)
            }
            if request.abandon.contains(name) { first = .abandon }
            return .drive(record, first: first)
        }
    }

    /// From the plan made after the rotations in flight were driven: the problems to tell and the rotations to
    /// start, in plan order. A consumer blocked by an unreadable record is skipped silently (its problem was told
    /// with the record); a forced consumer starts whatever its policy says, if it has a current consumer.
    public func starting(_ plan: RotationPlan) -> [Action] {
        var actions: [Action] = []
        for entry in plan.entries {
            let name = entry.managed.name
            if case .inFlight = entry.status { continue }
            if !request.includes(name) || blocked.contains(name) { continue }
            if entry.isProblem {
                actions.append(.problem(consumer: name, message: entry.problemDescription))
                continue
            }
            let forced = request.force[name]
            guard entry.startsNow || forced != nil, let current = entry.current else { continue }
            actions.append(
                .start(
                    Start(
                        consumer: entry.managed, current: current, trigger: forced != nil ? "manual" : "due",
                        revokeOldNow: forced ?? false)))
        }
        return actions
    }

    /// The plan the pass reports and its next wake, after the pass at `instant` performed its actions: a consumer
    /// blocked by an unreadable record waits for its repair (which wakes the daemon through the state directory),
    /// not for a deadline, so its "due now" does not wake the daemon again at once; `waits` are the rotations'
    /// own (grace ends, retries).
    public func settle(_ plan: RotationPlan, at instant: Date, waits: [Timing.Wake]) -> (
        plan: RotationPlan, wake: Timing.Wake?
    ) {
        var plan = plan
        for index in plan.entries.indices {
            if case .inFlight = plan.entries[index].status { continue }
            if blocked.contains(plan.entries[index].managed.name) {
                plan.entries[index].nextDeadline = nil
                plan.entries[index].reason = "blocked until an unreadable journal record is repaired (rotord repair)"
            }
        }
        return (plan, Timing.nextWake(plan: plan, after: instant, also: waits))
    }
}
