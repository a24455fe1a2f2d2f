import Foundation
import Glibc
import Logging
import RotordCore

/// The commands' implementations; the `rotord` executable only parses arguments and calls these.
/// Each returns the process exit status.
package enum Commands {
    /// EX_CONFIG (``ExitStatus/config``).
    package static let exitConfig = ExitStatus.config
    /// EX_TEMPFAIL: something waits to be retried (``ExitStatus/tempFail``).
    package static let exitTempFail = ExitStatus.tempFail

    /// The context, or `nil` after printing the configuration errors (exit 78).
    static func loadContext(_ configPath: String, logLevel: String, createState: Bool = true) async
        -> RotationResources?
    {
        let logger = LogSetup.make(level: logLevel)
        do {
            return try await RotationResources.load(configPath: configPath, logger: logger, createState: createState)
        } catch {
            printError(error.description)
            return nil
        }
    }

    /// How long `rotord repair` waits for the state lock.
    static let repairLockTimeout = Duration.seconds(30)

    /// The state directory's lock for a command that drives its rotations, waiting at most `timeout`; `nil` after
    /// saying why (another rotord holds it, or it cannot be taken).
    static func stateLock(_ store: StateStore, timeout: Duration) async -> StateLock? {
        do {
            guard let lock = try await StateLock.acquire(directory: store.directory, timeout: timeout) else {
                printError("another rotord holds \(store.directory)/lock; try again once it is done")
                return nil
            }
            return lock
        } catch {
            printError("\(error)")
            return nil
        }
    }

    /// `rotord run --once`.
    ///
    /// `nextRunIn` is when the next run comes (the timer's period, `--next-run-in`): a due consumer whose window no
    /// run before its deadline meets is rotated now, outside the window (docs/operations.md). Without it, the period
    /// of the installed `rotord.timer` is used when rotord can read its calendar (`timer`, by default the installed
    /// unit).
    package static func runOnce(
        _ configPath: String, logLevel: String, faults: any FaultInjector = NoFaults(),
        nextRunIn: ConfigDuration? = nil,
        timer: @autoclosure () -> TimerSchedule? = installedTimer()
    ) async -> Int32 {
        guard let context = await loadContext(configPath, logLevel: logLevel) else { return exitConfig }
        if let cluster = context.configuration.cluster {
            return await fleetRunOnce(context, cluster, configPath: configPath)
        }
        var nextRunIn = nextRunIn
        if nextRunIn == nil, let timer = timer() {
            nextRunIn = timer.period
            context.logger.info("the next run comes from the installed rotord.timer (\(timer)): within \(timer.period)")
        }
        let reconciler = Reconciler(
            configuration: context.configuration, store: context.store, directory: context.directory,
            clock: faults.wallClock, faults: faults, logger: context.logger, checks: context.checks,
            nextRunIn: nextRunIn)
        let report = await reconciler.pass()
        MetricsTextfile.publish(
            report: report, configuration: context.configuration, store: context.store, logger: context.logger,
            traffic: context.requestBudget?.traffic)
        printSummary(report)
        return ExitStatus.pass(report)
    }

    /// In a fleet (`cluster:`), only the leader's daemon acts on Fracttal (docs/fleet.md): a command that would
    /// rotate alone is refused, saying so (exit 78), instead of acting beside the leader.
    static func refusedInFleet(_ context: RotationResources, _ configPath: String, command: String) -> Bool {
        guard let cluster = context.configuration.cluster else { return false }
        printError(
            "\(configPath): cluster: is set, so only the fleet's leader (the daemon, rotord run) rotates consumers of "
                + "\(cluster.prefix); rotord \(command) does not act beside it (docs/fleet.md)")
        return true
    }

    package static func printSummary(_ report: Reconciler.Report) {
        for (name, record, outcome) in report.outcomes {
            let key = record.newKey.map { ", new key \(KeyMask.mask($0))" } ?? ""
            switch outcome {
            case .done: print("\(name): rotated\(key), old consumer deleted (\(record.id))")
            case .waiting(let until):
                print(
                    "\(name): rotated\(key); old consumer deleted after \(ConsumerReport.timestamp(until)) (\(record.id))"
                )
            case .failed(let reason): print("\(name): rotation failed: \(reason) (\(record.id))")
            case .retrying(let at, let reason) where record.step == .unconfirmed:
                print(
                    "\(name): NOT CONFIRMED\(key), old consumer kept: \(reason); retry at "
                        + "\(ConsumerReport.timestamp(at)) (\(record.id)); fix it and wait, or run rotord rotate \(name) "
                        + "[--accept-unconfirmed | --revoke-old-now]")
            case .retrying(let at, let reason):
                print(
                    "\(name): waiting to retry at \(ConsumerReport.timestamp(at)), step \(record.step.rawValue): \(reason)"
                )
            case .interrupted: print("\(name): interrupted at step \(record.step.rawValue); resumes on the next run")
            case .journalFailed(let reason): print("\(name): cannot write the journal: \(reason)")
            case .held(let reason): print("\(name): HELD\(key), old consumer kept: \(reason) (\(record.id))")
            }
            if !record.hookFailures.isEmpty && record.step == .unconfirmed {
                for failure in record.hookFailures { print("\(name): hook failed: \(failure)") }
            }
        }
        for entry in report.plan?.entries ?? [] {
            if case .backingOff(let until) = entry.status {
                print(
                    "\(entry.managed.name): waiting to retry at \(ConsumerReport.timestamp(until)) after failed rotations"
                )
            }
        }
        // Due at the end of the pass: held by schedule: (or the pass was stopped).
        let deferred = report.plan?.entries.filter { $0.status == .due } ?? []
        if !deferred.isEmpty {
            print(
                "\(deferred.count) due consumer(s) wait for the next pass: "
                    + deferred.map(\.managed.name).joined(separator: ", "))
        }
        for problem in report.problems { printError(problem) }
        if let unavailable = report.unavailable { printError("waiting to retry: \(unavailable)") }
        if report.outcomes.isEmpty && report.problems.isEmpty && report.unavailable == nil
            && report.backingOffCount == 0 && deferred.isEmpty
        {
            print("nothing due" + (report.nextDeadline.map { "; next: \(ConsumerReport.timestamp($0))" } ?? ""))
        }
    }

    /// `rotord plan` and `rotord status`.
    ///
    /// `fleet` is what `status --json` prints beside the consumers with `cluster:`. In a fleet only the leader lists the
    /// account (docs/fleet.md): `plan` and `status` show what the state directory knows, without a Fracttal request.
    package static func report(
        _ configPath: String, logLevel: String, json: Bool, actions: Bool, fleet: FleetStatus.Section? = nil
    ) async -> Int32 {
        guard let context = await loadContext(configPath, logLevel: logLevel, createState: false) else {
            return exitConfig
        }
        let now = Date()
        let listing: [ConsumerRecord]
        let groups: [Int: String]
        do throws(RotationFailure) {
            if let cluster = context.configuration.cluster {
                throw RotationFailure(
                    .transient, "in the fleet \(cluster.prefix) only the leader lists the account (rotord fleet status)"
                )
            }
            listing = try await context.directory.consumers()
            groups = await context.directory.groupNames(for: listing)
        } catch {
            if context.configuration.cluster == nil {
                printError("cannot list the Fracttal account: \(error.message)")
            } else if actions {
                printError(error.message)
            }
            guard !actions else { return exitTempFail }
            // status still shows what the state directory knows.
            if json {
                let active = activeRotations(context.store)
                let histories = context.store.consumerHistories()
                let consumers = OfflineConsumerReport.knownConsumers(
                    context.configuration, active: active, histories: histories)
                print(
                    ReportRenderer.json(
                        consumers.map { consumer in
                            OfflineConsumerReport(
                                consumer: consumer, history: histories[consumer.name],
                                active: active.first { $0.consumerName == consumer.name }, reason: error.message)
                        }, fleet: fleet))
            } else {
                printOffline(context)
            }
            return ExitStatus.success
        }
        let active = activeRotations(context.store)
        let histories = context.store.consumerHistories().mapValues { $0.clamped(now: now).history }
        let configuration = SecretPublisher.withDeliveryProblems(
            context.configuration.resolvingAdoption(
                consumers: listing, groupNames: groups, active: active, adminKey: context.directory.adminKey))
        let plan = RotationPlanner().plan(
            configuration: configuration, consumers: listing, groupNames: groups, active: active,
            history: histories, now: now)
        // A creation date more than a day ahead means a wrong clock (here or at Fracttal): its age,
        // and so its due date, cannot be trusted.
        for entry in plan.entries {
            if let created = entry.current?.createdAt, created > now.addingTimeInterval(86_400) {
                printError(
                    "consumer \(entry.managed.name): created_at \(ConsumerReport.timestamp(created)) is more than a day "
                        + "in the future; check this host's clock and Fracttal's (its age and due date are unreliable)")
            }
        }
        for record in context.store.unreadableRecords() { printError(record.problem) }
        if actions {
            for (key, message) in timerWindowWarnings(context.configuration, timer: installedTimer(), now: now) {
                printError("warning: \(configPath): \(key): \(message)")
            }
        }
        var reports = plan.entries.map {
            ConsumerReport(entry: $0, history: histories[$0.managed.name], now: now, includeActions: actions)
        }
        // Rotations whose consumer left the configuration: held, both consumers kept, until an operator decides.
        for record in active where !plan.entries.contains(where: { $0.managed.name == record.consumerName }) {
            reports.append(ConsumerReport(unmanaged: record, history: histories[record.consumerName], now: now))
        }
        print(json ? ReportRenderer.json(reports, fleet: fleet) : ReportRenderer.table(reports, actions: actions))
        if actions, plan.entries.contains(where: \.isProblem) {
            for entry in plan.entries where entry.isProblem {
                printError("\(configPath): \(entry.problemDescription)")
            }
            return exitConfig
        }
        return ExitStatus.success
    }

    /// `rotord rotate NAME`: a rotation now. On an `unconfirmed` rotation, `--revoke-old-now` or
    /// `acceptUnconfirmed` end it instead (old consumer deleted now, or after grace) and start none.
    package static func rotate(
        _ configPath: String, logLevel: String, name: String, revokeOldNow: Bool, acceptUnconfirmed: Bool = false,
        acceptHost: String? = nil, faults: any FaultInjector = NoFaults()
    ) async -> Int32 {
        guard let context = await loadContext(configPath, logLevel: logLevel) else { return exitConfig }
        if let cluster = context.configuration.cluster {
            return await fleetRotate(
                cluster, configPath: configPath, name: name, revokeOldNow: revokeOldNow,
                acceptUnconfirmed: acceptUnconfirmed, acceptHost: acceptHost)
        }
        if let acceptHost {
            printError("--host \(acceptHost) is for a fleet (cluster: in \(configPath)); this host acts alone")
            return ExitStatus.usage
        }
        let inFlight = activeRotations(context.store).first { $0.consumerName == name }
        let managed = await isManaged(name, context: context)
        // A rotation held because its consumer left the configuration can be accepted, not started anew.
        let held = !managed && inFlight.map { $0.step.acceptsAcceptance(managed: false) } == true
        guard managed || (held && (acceptUnconfirmed || revokeOldNow)) else {
            printError(
                "\(configPath): no consumer named \(name) under consumers:"
                    + (context.configuration.adopt.isEmpty ? "" : ", and no adopt: rule manages one of that name now")
                    + (inFlight.map {
                        "; its rotation \($0.id) is held at step \($0.step.rawValue): configure it again, or end it "
                            + "with rotord rotate \(name) --accept-unconfirmed or rotord abandon \(name)"
                    } ?? ""))
            return exitConfig
        }
        let unconfirmed = inFlight?.step == .unconfirmed || held
        if acceptUnconfirmed && !unconfirmed {
            printError(
                "accepting the rotation of \(name): no rotation of \(name) is unconfirmed, nothing to accept "
                    + "(rotord status shows the step of each rotation)")
            return ExitStatus.failure
        }
        let reconciler = Reconciler(
            configuration: context.configuration, store: context.store, directory: context.directory,
            clock: faults.wallClock, faults: faults, logger: context.logger, checks: context.checks)
        let report =
            unconfirmed && (acceptUnconfirmed || revokeOldNow)
            ? await reconciler.pass(only: name, accept: [name: revokeOldNow])
            : await reconciler.pass(force: [name: revokeOldNow], only: name)
        printSummary(report)
        return ExitStatus.rotation(of: name, report)
    }

    /// `rotord abandon NAME`: ends the in-flight rotation of a consumer that left the configuration, keeping both
    /// consumers and the files as they are; nothing is deleted. 0 ended; 1 nothing to abandon (no such rotation,
    /// `NAME` is still managed, or the rotation is at a step that finishes by itself); 78 configuration error.
    package static func abandon(_ configPath: String, logLevel: String, name: String) async -> Int32 {
        guard let context = await loadContext(configPath, logLevel: logLevel) else { return exitConfig }
        if refusedInFleet(context, configPath, command: "abandon") { return exitConfig }
        if await isManaged(name, context: context) {
            printError(
                "abandoning the rotation of \(name): \(name) is configured, so its rotation goes on by itself (an "
                    + "unconfirmed one: rotord rotate \(name) --accept-unconfirmed); abandon is for a consumer that left "
                    + "the configuration")
            return ExitStatus.failure
        }
        guard
            let record = activeRotations(context.store).first(where: {
                $0.consumerName == name && $0.step.isAbandonable
            })
        else {
            printError(
                "abandoning the rotation of \(name): no rotation of \(name) waits for a decision (rotord status shows "
                    + "the step of each rotation; one that is creating, discarding or retiring finishes by itself)")
            return ExitStatus.failure
        }
        let reconciler = Reconciler(
            configuration: context.configuration, store: context.store, directory: context.directory,
            logger: context.logger, checks: context.checks)
        let report = await reconciler.pass(only: name, abandon: [name])
        printSummary(report)
        let ended = report.outcomes.contains { $0.consumer == name && $0.record.step == .abandoned }
        if ended {
            print(
                "\(name): rotation \(record.id) abandoned; both consumers are kept (old "
                    + "\(record.oldConsumerIDs.map(String.init).joined(separator: ", "))"
                    + (record.newConsumerID.map { ", new \($0)" } ?? "")
                    + "): delete the one no service uses in Fracttal")
        }
        return ended ? ExitStatus.success : ExitStatus.failure
    }

    /// Whether `name` is configured, or adopted (not refused) by an `adopt:` rule at the current listing.
    static func isManaged(_ name: String, context: RotationResources) async -> Bool {
        if context.configuration.consumer(named: name) != nil { return true }
        guard context.configuration.resolvesFromListing,
            let listing = try? await context.directory.consumers()
        else {
            return false
        }
        let active = activeRotations(context.store)
        return context.configuration.resolvingAdoption(
            consumers: listing, groupNames: await context.directory.groupNames(for: listing), active: active,
            adminKey: context.directory.adminKey
        ).actionableConsumer(named: name) != nil
    }

    /// `status` without Fracttal: the journal and the history only.
    static func printOffline(_ context: RotationResources) {
        let active = activeRotations(context.store)
        let histories = context.store.consumerHistories()
        if let cluster = context.configuration.cluster {
            print(
                "(fleet \(cluster.prefix): only the leader lists the account; ages and due dates are the leader's; "
                    + "from \(context.store.directory))")
        } else {
            print("(Fracttal unreachable: ages and due dates unknown; from \(context.store.directory))")
        }
        for consumer in OfflineConsumerReport.knownConsumers(
            context.configuration, active: active, histories: histories)
        {
            var line = "\(consumer.name)" + (consumer.adoptedBy.map { " (adopted by \($0))" } ?? "") + ":"
            if let last = histories[consumer.name], let id = last.lastCompletedID, let at = last.lastCompletedAt {
                line += " last rotation \(id) finished \(ConsumerReport.timestamp(at));"
            } else {
                line += " no completed rotation;"
            }
            if let r = active.first(where: { $0.consumerName == consumer.name }) {
                line += " rotation \(r.id) in flight at step \(r.step.rawValue)"
            } else {
                line += " nothing in flight"
            }
            print(line)
        }
    }

    /// The unfinished rotations of the journal. An error reading it (the directory cannot be listed,
    /// an unreadable record cannot be set aside) is printed, naming the directory or the record, and
    /// counts as none, so that `plan` and `status` still show what they can; a pass stops on it.
    static func activeRotations(_ store: StateStore) -> [RotationRecord] {
        do {
            return try store.rotations().filter { !$0.step.isTerminal }
        } catch {
            printError("reading the rotation journal: \(error)")
            return []
        }
    }

    package static func printError(_ text: String) {
        FileHandle.standardError.write(Data("rotord: \(text)\n".utf8))
    }
}
