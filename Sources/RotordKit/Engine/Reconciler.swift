import Foundation
import FracttalClient
import Logging
import RotordCore
import ServiceLifecycle

/// One reconcile pass: under the state lock, recover unfinished rotations, list the account,
/// plan, start what is due, and drive every rotation as far as it can go now.
///
/// Inside the daemon's `ServiceGroup` a pass ends early, at a journaled boundary, once the task is
/// shutting down gracefully (`Task.isShuttingDownGracefully`, SIGTERM/SIGINT); elsewhere it never does.
package struct Reconciler: Sendable {
    /// The outcome of a pass.
    package struct Report: Sendable {
        /// When the pass ran.
        package var at: Date
        /// The plan after the pass (fresh listing when anything changed).
        package var plan: RotationPlan?
        /// Per rotation driven: consumer name and outcome.
        package var outcomes: [(consumer: String, record: RotationRecord, outcome: RotationDriver.Outcome)] = []
        /// Problems that stop a consumer from being rotated (missing, wrong group), or the account
        /// could not be listed.
        package var problems: [String] = []
        /// The Fracttal API could not be reached (or the lock not taken): everything waits.
        package var unavailable: String?
        /// When to run again, and why (``Timing/nextWake(plan:after:also:)``).
        package var nextWake: Timing.Wake?
        /// A fleet host's role when it ran no pass (a follower, a leader settling into its term), for `STATUS=`.
        package var fleet: String?
        /// On a fleet's leader: by consumer, the hosts that hold its rotation back (``FleetBlockers``).
        package var fleetBlocking: [String: [String]] = [:]
        /// When to run again.
        package var nextDeadline: Date? {
            get { nextWake?.at }
            set { nextWake = newValue.map { Timing.Wake(at: $0, reason: .unavailable) } }
        }

        /// Rotations that failed in this pass.
        package var failedCount: Int { outcomes.filter { if case .failed = $0.outcome { true } else { false } }.count }
        /// Rotations that completed in this pass.
        package var completedCount: Int { outcomes.filter { $0.outcome == .done }.count }
        /// Rotations that wait for a retry.
        package var retryingCount: Int {
            outcomes.filter {
                switch $0.outcome {
                case .retrying, .journalFailed, .interrupted: true
                default: false
                }
            }.count
        }
        /// Hooks that failed in this pass (their rotations are `unconfirmed`).
        package var hookFailureCount: Int {
            outcomes.reduce(0) { $0 + ($1.record.step == .unconfirmed ? $1.record.hookFailures.count : 0) }
        }
        /// Rotations left `unconfirmed` by this pass (an action or the probe failed; the old consumer is kept).
        package var unconfirmedCount: Int { outcomes.filter { $0.record.step == .unconfirmed }.count }
        /// Rotations held because their consumer left the configuration after its new pair may have been
        /// published (status `unmanaged_in_flight`): both consumers are kept until an operator decides.
        package var heldCount: Int { outcomes.filter { if case .held = $0.outcome { true } else { false } }.count }

        /// Due consumers held back by the back-off after failed rotations.
        package var backingOffCount: Int {
            plan?.entries.filter { if case .backingOff = $0.status { true } else { false } }.count ?? 0
        }

    }

    let configuration: RotordConfiguration
    let store: StateStore
    let directory: any ConsumerAccount
    let clock: any WallClock
    let planner: RotationPlanner
    let faults: any FaultInjector
    let logger: Logger
    let onProgress: @Sendable () -> Void
    let lockTimeout: Duration
    let checks: any RotationChecks
    let sleep: @Sendable (Duration) async -> Void
    let random: @Sendable () -> UInt32
    /// How soon the next `run --once` comes (a timer's period), for consumers whose window no later run meets.
    let nextRunIn: ConfigDuration?
    /// What encrypts and reads `credstore-encrypted` deliver files (`systemd-creds`; a fake in a simulation).
    let cipher: any CredentialCipher
    /// A fleet leader's journal and delivery (docs/fleet.md); `nil` on a single host.
    let fleet: (any RotationFleet)?

    /// Creates a reconciler. `checks` runs the consumers' actions and probes (child processes unless a
    /// simulation answers them); `sleep` is how a verification waits between its polls; `random` draws rotation
    /// ids and the jitter of those polls (seeded in the simulation, so that a seed replays its history).
    package init(
        configuration: RotordConfiguration, store: StateStore, directory: any ConsumerAccount,
        clock: any WallClock = SystemWallClock(), planner: RotationPlanner = .init(),
        faults: any FaultInjector = NoFaults(),
        logger: Logger, lockTimeout: Duration = Timing.commandLockTimeout,
        onProgress: @escaping @Sendable () -> Void = {},
        checks: any RotationChecks = ProcessChecks(),
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> UInt32 = { UInt32.random(in: 0...UInt32.max) },
        nextRunIn: ConfigDuration? = nil, cipher: any CredentialCipher = SystemdCreds(),
        fleet: (any RotationFleet)? = nil
    ) {
        self.fleet = fleet
        self.cipher = cipher
        self.random = random
        self.nextRunIn = nextRunIn
        self.checks = checks
        self.sleep = sleep
        self.configuration = configuration
        self.store = store
        self.directory = directory
        self.clock = clock
        self.planner = planner
        self.faults = faults
        self.logger = logger
        self.lockTimeout = lockTimeout
        self.onProgress = onProgress
    }

    /// A driver whose creates count against `creates` (one ``CreateLimiter`` per pass).
    func driver(_ creates: CreateLimiter) -> RotationDriver {
        RotationDriver(
            store: store, directory: directory, clock: clock, faults: faults, logger: logger,
            verifyTimeout: configuration.fracttal.verifyTimeout, onProgress: onProgress, sleep: sleep,
            creates: creates, checks: checks, random: random, cipher: cipher, fleet: fleet)
    }

    /// Runs one pass: reads (the journal under the state lock, the account's listing, the configuration resolved
    /// against it, the clock), asks ``PassDecision`` (pure, in RotordCore) what to do, and performs its actions:
    /// first the rotations in flight, then, from a plan made on a fresh listing, the problems and the starts; last
    /// the plan it reports and the next wake. Every change to a record is an event of ``RotationMachine``.
    ///
    /// `force` names consumers to rotate now whatever their policy says. `accept` names
    /// consumers whose ``RotationStep/unconfirmed`` rotation an operator accepts (the value: delete the old
    /// consumer now instead of after grace); it starts no new rotation.
    ///
    /// Waits for the API's rate limit reach the watchdog through the client's own `onWait`
    /// (``RotationResources/make(configuration:configPath:logger:createState:progress:budget:)``), not through
    /// this pass. (An earlier version carried them in a `@TaskLocal` set here with `withValue`; the
    /// release build crashed in `swift_task_localValuePush` on every pass. See docs/architecture.md.)
    ///
    /// `abandon` names consumers whose rotation an operator ends keeping both consumers (`rotord abandon NAME`).
    package func pass(
        force: [String: Bool] = [:], only: String? = nil, accept: [String: Bool] = [:], abandon: Set<String> = []
    ) async -> Report {
        var report = Report(at: clock.now())
        let lock: StateLock?
        do { lock = try await StateLock.acquire(directory: store.directory, timeout: lockTimeout) } catch {
            report.unavailable = "\(error)"
            report.nextDeadline = clock.now().addingTimeInterval(Timing.unavailableRetry.timeInterval)
            return report
        }
        guard let lock else {
            report.unavailable = "another rotord holds \(store.directory)/lock"
            report.nextDeadline = clock.now().addingTimeInterval(Timing.unavailableRetry.timeInterval)
            return report
        }
        defer { lock.release() }
        onProgress()
        Self.repairDrift(configuration.consumers, logger: logger)
        let creates = CreateLimiter()

        // Recover: every record on disk; finished ones not yet archived are archived now.
        var active: [RotationRecord] = []
        do {
            // A fleet leader's journal is etcd's: what another leader journaled is resumed here.
            try await fleet?.recover(into: store)
            try store.ensureSummary()
            for record in try store.rotations() {
                if record.step.isTerminal {
                    try store.save(record)
                    continue
                }
                // Dates written under a wrong clock are bounded by the policy that wrote them.
                let now = clock.now()
                for note in record.clamped(now: now).notes {
                    logger.warning(
                        "journal record \(record.id) of \(record.consumerName): \(note)",
                        metadata: .rotation(record.consumerName, id: record.id, step: record.step.rawValue))
                }
                let clamped = RotationMachine().advance(record, on: .boundDates, now: now).record
                if clamped != record { try store.save(clamped) }
                active.append(clamped)
            }
        } catch {
            report.unavailable = "reading the rotation journal: \(error)"
            report.nextDeadline = clock.now().addingTimeInterval(Timing.unavailableRetry.timeInterval)
            return report
        }

        // A record that cannot be read may hold a live replacement: never forget it, never guess.
        let unreadable = store.unreadableRecords()
        for record in unreadable {
            report.problems.append(record.problem)
            logger.error("\(record.problem)", metadata: record.consumerName.map { .rotation($0, id: record.id) } ?? [:])
        }
        let decision = PassDecision(
            request: .init(force: force, only: only, accept: accept, abandon: abandon),
            blocked: .init(
                names: Set(unreadable.compactMap(\.consumerName)),
                everything: unreadable.contains { $0.consumerName == nil }))

        // Records written before rotord retired one consumer per rotation may list several old ids.
        if active.contains(where: { $0.oldConsumerIDs.count > 1 }) {
            do {
                active = try narrowLegacyRecords(active, listing: try await directory.consumers())
            } catch {
                report.unavailable = "narrowing old journal records: \(error)"
                report.nextDeadline = clock.now().addingTimeInterval(Timing.unavailableRetry.timeInterval)
                return report
            }
        }

        // Adopted consumers (adopt:) and the admin consumer (admin.rotate) come from a listing: with rotations in
        // flight, list before finishing them, so such a rotation is driven with its rule (else it would count as
        // unmanaged).
        var effective = configuration
        if configuration.resolvesFromListing,
            active.contains(where: { configuration.consumer(named: $0.consumerName) == nil })
        {
            do {
                let early = try await directory.consumers()
                effective = configuration.resolvingAdoption(
                    consumers: early, groupNames: await directory.groupNames(for: early), active: active,
                    adminKey: directory.adminKey)
            } catch {
                report.unavailable = error.message
                report.nextDeadline = clock.now().addingTimeInterval(Timing.unavailableRetry.timeInterval)
                logger.warning("cannot list the Fracttal account: \(error.message)")
                return report
            }
        }

        // Finish what is in flight first: it holds secrets and old consumers.
        for action in decision.resuming(active, isManaged: { effective.actionableConsumer(named: $0) != nil }) {
            if Task.isShuttingDownGracefully { break }
            await perform(action, creates: creates, effective: effective, into: &report)
        }

        var listing: [ConsumerRecord]
        let groups: [Int: String]
        do {
            listing = try await directory.consumers()
            if let fleet {
                let swept = await fleet.sweep(listing, account: directory)
                listing.removeAll { swept.contains($0.id) }
            }
            groups = await directory.groupNames(for: listing)
        } catch {
            report.unavailable = error.message
            report.nextDeadline = clock.now().addingTimeInterval(Timing.unavailableRetry.timeInterval)
            logger.warning("cannot list the Fracttal account: \(error.message)")
            return report
        }
        let stillActive = report.outcomes.map(\.record).filter { !$0.step.isTerminal }
        effective = configuration.resolvingAdoption(
            consumers: listing, groupNames: groups, active: stillActive, adminKey: directory.adminKey)
        Self.repairDrift(effective.consumers.filter { $0.adoptedBy != nil }, logger: logger)
        // Whatever would refuse the publish and can be told now is told before a consumer is created.
        effective = SecretPublisher.withDeliveryProblems(effective)
        var plan = planner.plan(
            configuration: effective, consumers: listing, groupNames: groups, active: stillActive,
            history: histories(), now: clock.now(), nextRunIn: nextRunIn)
        var startedAny = false
        let refused = await fleet?.refusals() ?? [:]
        for action in decision.starting(plan) {
            if Task.isShuttingDownGracefully { break }
            if case .start(let start) = action, let why = refused[start.consumer.name] {
                report.problems.append(why)
                logger.error("\(why)", metadata: .rotation(start.consumer.name))
                continue
            }
            if case .start = action { startedAny = true }
            await perform(action, creates: creates, effective: effective, into: &report)
        }

        if startedAny || !active.isEmpty {
            // The account changed: plan again from a fresh listing for an exact next deadline.
            if let fresh = try? await directory.consumers() {
                let unfinished = (try? store.rotations().filter { !$0.step.isTerminal }) ?? []
                plan = planner.plan(
                    configuration: SecretPublisher.withDeliveryProblems(
                        configuration.resolvingAdoption(
                            consumers: fresh, groupNames: groups, active: unfinished, adminKey: directory.adminKey),
                        known: effective.consumers),
                    consumers: fresh, groupNames: groups, active: unfinished, history: histories(), now: clock.now(),
                    nextRunIn: nextRunIn)
            }
        }
        let waits = report.outcomes.compactMap { $0.outcome.wake(for: $0.consumer, now: clock.now()) }
        (report.plan, report.nextWake) = decision.settle(plan, at: report.at, waits: waits)
        return report
    }

    /// Performs one of the pass's decisions: drives a rotation (a new one journaled by the driver first) or tells a
    /// problem.
    private func perform(
        _ action: PassDecision.Action, creates: CreateLimiter, effective: RotordConfiguration, into report: inout Report
    ) async {
        switch action {
        case .drive(let record, let first):
            let managed = effective.actionableConsumer(named: record.consumerName)
            let (final, outcome) = await driver(creates).drive(record, managed: managed, on: first)
            report.outcomes.append((record.consumerName, final, outcome))
        case .start(let start):
            let now = clock.now()
            let record = start.record(now: now, id: RotationRecord.makeID(now: now, random: random()))
            let (final, outcome) = await driver(creates).drive(record, managed: start.consumer)
            report.outcomes.append((start.consumer.name, final, outcome))
        case .problem(let consumer, let message):
            report.problems.append(message)
            logger.error("\(message)", metadata: .rotation(consumer))
        }
    }

    /// Narrows each record listing several old consumers (written by an earlier rotord, which
    /// retired every consumer of the name) to the one the rotation replaced, and saves it.
    ///
    /// The replaced consumer is the one whose masked key the record kept (`oldKeyMasked`), still
    /// live, with the consumer's name and type `client_credentials`. The safe choice: when that
    /// cannot be told (none or several match, for example after a partial delete), **none** is
    /// retired; the others were never rotord's (another group, an `authorization_code` consumer)
    /// and are left alone. A warning names the ids left for a person to check.
    /// Each consumer's rotation history, with dates from a wrong clock bounded (logged) and the bound saved, so that
    /// the next pass sees the same date: a bound recomputed from each pass's `now` would move the back-off's end with
    /// every wake, and the daemon would wake for nothing until the clock caught up (found by the simulation, I6).
    func histories() -> [String: ConsumerHistory] {
        store.consumerHistories().reduce(into: [:]) { out, entry in
            let (history, note) = entry.value.clamped(now: clock.now())
            if let note {
                logger.warning("rotation history of \(entry.key): \(note)", metadata: .rotation(entry.key))
                do { try store.replaceHistory(history, of: entry.key) } catch {
                    logger.warning("cannot save the bounded history of \(entry.key): \(error)")
                }
            }
            out[entry.key] = history
        }
    }

    func narrowLegacyRecords(_ records: [RotationRecord], listing: [ConsumerRecord]) throws(AtomicFile.Failure)
        -> [RotationRecord]
    {
        var out: [RotationRecord] = []
        for var record in records {
            if record.oldConsumerIDs.count > 1 {
                let replaced = listing.filter {
                    record.oldConsumerIDs.contains($0.id) && $0.id != record.newConsumerID
                        && $0.name == record.consumerName && $0.authorizationType == "client_credentials"
                        && KeyMask.mask($0.key) == record.oldKeyMasked
                }
                let kept = replaced.count == 1 ? [replaced[0].id] : []
                let left = record.oldConsumerIDs.filter { !kept.contains($0) }
                let retired = kept.isEmpty ? "none" : String(kept[0])
                let message =
                    "rotation \(record.id) of \(record.consumerName) was journaled with several old consumers; "
                    + "retiring only \(retired), leaving \(left.map(String.init).joined(separator: ", ")): "
                    + "delete those by hand if they are unused"
                logger.warning("\(message)", metadata: .rotation(record.consumerName, id: record.id))
                record = RotationMachine().advance(record, on: .narrowOldConsumers(to: kept), now: clock.now()).record
                try store.save(record)
            }
            out.append(record)
        }
        return out
    }
}
