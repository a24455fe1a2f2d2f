import Foundation
import Logging
import RotordCore
import ServiceLifecycle

/// Drives one rotation through the ``RotationMachine``: persist the record, perform the action,
/// feed back the outcome, until the rotation finishes or has to wait.
///
/// This is the only place where rotation side effects happen, and each is preceded by the
/// durable record that announces it.
package struct RotationDriver: Sendable {
    /// How a drive ended for now.
    package enum Outcome: Sendable, Equatable {
        /// Finished: old consumer deleted.
        case done
        /// Finished without replacing (reason in the record).
        case failed(String)
        /// Waiting for the grace deadline.
        case waiting(until: Date)
        /// A transient error; retry at the date.
        case retrying(at: Date, reason: String)
        /// Stopped between steps because the task is shutting down gracefully (`Task.isShuttingDownGracefully`).
        case interrupted
        /// The journal could not be written: nothing was done after that.
        case journalFailed(String)
        /// Held until news: its consumer left the configuration while the new pair may be in use
        /// (``RotationAction/hold(reason:)``); the reason says what an operator can do.
        case held(String)

        /// When the rotation asks the daemon to wake for it (a grace end, a retry, a journal that could not be
        /// written), or `nil` when it waits for nothing but news.
        func wake(for consumer: String, now: Date) -> Timing.Wake? {
            switch self {
            case .waiting(let until): Timing.Wake(at: until, reason: .grace, consumer: consumer)
            case .retrying(let at, _): Timing.Wake(at: at, reason: .retry, consumer: consumer)
            case .journalFailed, .interrupted:
                Timing.Wake(
                    at: now.addingTimeInterval(Timing.unavailableRetry.timeInterval), reason: .unavailable,
                    consumer: consumer)
            case .done, .failed, .held: nil
            }
        }
    }

    let store: StateStore
    let directory: any ConsumerAccount
    let clock: any WallClock
    let machine: RotationMachine
    let faults: any FaultInjector
    let logger: Logger
    let verifyTimeout: ConfigDuration
    let onProgress: @Sendable () -> Void
    let sleep: @Sendable (Duration) async -> Void
    let creates: CreateLimiter
    let checks: any RotationChecks
    let random: @Sendable () -> UInt32
    /// What encrypts and reads `credstore-encrypted` deliver files.
    let cipher: any CredentialCipher
    /// A fleet leader's journal and delivery (docs/fleet.md); `nil` on a single host.
    let fleet: (any RotationFleet)?

    /// Creates a driver. `creates` caps the creates of this drive (share one per pass, see ``CreateLimiter``).
    package init(
        store: StateStore, directory: any ConsumerAccount, clock: any WallClock = SystemWallClock(),
        machine: RotationMachine = .init(), faults: any FaultInjector = NoFaults(), logger: Logger,
        verifyTimeout: ConfigDuration = Timing.verifyTimeout, onProgress: @escaping @Sendable () -> Void = {},
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        creates: CreateLimiter = CreateLimiter(), checks: any RotationChecks = ProcessChecks(),
        random: @escaping @Sendable () -> UInt32 = { UInt32.random(in: 0...UInt32.max) },
        cipher: any CredentialCipher = SystemdCreds(), fleet: (any RotationFleet)? = nil
    ) {
        self.fleet = fleet
        self.random = random
        self.cipher = cipher
        self.creates = creates
        self.checks = checks
        self.store = store
        self.directory = directory
        self.clock = clock
        self.machine = machine
        self.faults = faults
        self.logger = logger
        self.verifyTimeout = verifyTimeout
        self.onProgress = onProgress
        self.sleep = sleep
    }

    /// Advances `start` as far as it can go now. `managed` is the consumer's current configuration
    /// (`nil` when it is no longer configured: the machine is fed ``RotationEvent/unmanaged`` instead of
    /// `first`); `first` is the first event, ``RotationEvent/forced`` for a manual rotation.
    package func drive(_ start: RotationRecord, managed: ManagedConsumer?, on first: RotationEvent = .resume) async
        -> (RotationRecord, Outcome)
    {
        var record = start
        // An operator's decision stands even for a consumer no longer configured; anything else is `unmanaged`.
        let decided = if case .accepted = first { true } else { first == .abandon }
        var event = managed != nil || decided ? first : RotationEvent.unmanaged
        var known: [String] = []
        for _ in 0..<256 {
            onProgress()
            let transition = machine.advance(record, on: event, now: clock.now())
            if transition.record != record {
                let previous = record.step
                do {
                    if let fleet { try await fleet.persist(transition.record, previous: record) }
                    try store.save(transition.record)
                } catch {
                    logger.error(
                        "cannot write the rotation journal; stopping this rotation",
                        metadata: .rotation(record.consumerName, id: record.id).merging(["error": "\(error)"]) { a, _ in
                            a
                        })
                    return (record, .journalFailed("\(error)"))
                }
                record = transition.record
                if record.step != previous { await stepEntered(record) }
            }
            if Task.isShuttingDownGracefully && transition.action.continuesNow { return (record, .interrupted) }
            switch transition.action {
            case .finished(let step):
                return (record, step == .done ? .done : .failed(record.failure ?? step.rawValue))
            case .waitUntil(let date):
                return (record, .waiting(until: date))
            case .hold(let reason):
                logger.error(
                    "\(reason)",
                    metadata: .rotation(record.consumerName, id: record.id, step: record.step.rawValue)
                        .merging(CatalogMessage.rotationUnconfirmed.metadata) { a, _ in a })
                return (record, .held(reason))
            case .retryAt(let date) where record.step == .unconfirmed:
                logger.error(
                    "rotation of \(record.consumerName) is not confirmed; the old consumer is kept; retrying at \(date)",
                    metadata: .rotation(record.consumerName, id: record.id, step: record.step.rawValue)
                        .merging(["error": "\(record.failure ?? "")", "retry_at": "\(date)"]) { a, _ in a }
                        .merging(CatalogMessage.rotationUnconfirmed.metadata) { a, _ in a })
                return (record, .retrying(at: date, reason: record.failure ?? "not confirmed"))
            case .retryAt(let date):
                logger.warning(
                    "rotation step \(record.step.rawValue) will be retried",
                    metadata: .rotation(record.consumerName, id: record.id, step: record.step.rawValue)
                        .merging(["error": "\(record.failure ?? "")", "retry_at": "\(date)"]) { a, _ in a })
                return (record, .retrying(at: date, reason: record.failure ?? "transient error"))
            default:
                // `nil`: a stop was requested while the action waited; the record stays where it
                // is (journaled), so the next start resumes exactly there. A stop is not a failure.
                guard let next = await perform(transition.action, record: record, managed: managed, known: &known)
                else {
                    return (record, .interrupted)
                }
                event = next
            }
        }
        return (
            record,
            .retrying(
                at: clock.now().addingTimeInterval(Timing.unavailableRetry.timeInterval),
                reason: "too many transitions in one pass")
        )
    }

    /// Performs `action` and returns its outcome as the machine's next event, or `nil` when a stop
    /// was requested before the outcome was known (only verification waits long enough for that).
    /// `known` collects the secrets met on the way that the journal does not keep (the old pair the files held
    /// before the publish), so that the checks' output masks them too.
    private func perform(
        _ action: RotationAction, record: RotationRecord, managed: ManagedConsumer?, known: inout [String]
    ) async -> RotationEvent? {
        switch action {
        case .create(let name, let description, let type, let group, let hub):
            if let refused = creates.take(for: record) {
                logger.error("\(refused.message)", metadata: .rotation(record.consumerName, id: record.id))
                return .createFailed(refused)
            }
            do {
                let (consumer, secret) = try await directory.create(
                    name: name, description: description, authorizationType: type, permissionGroupID: group,
                    fracttalHub: hub)
                await faults.reached("after:create")
                return .created(id: consumer.id, key: consumer.key, secret: secret, createdAt: consumer.createdAt)
            } catch {
                logger.warning(
                    "creating the replacement failed: \(error.message)",
                    metadata: .rotation(record.consumerName, id: record.id, step: record.step.rawValue))
                return .createFailed(error)
            }
        case .findMarked(let marker):
            do {
                let ids = try await directory.consumers().filter {
                    $0.name == record.consumerName && ($0.description?.contains(marker) ?? false)
                }.map(\.id)
                if !ids.isEmpty {
                    logger.warning(
                        "found \(ids.count) consumer(s) from an interrupted create; deleting them (their secret was never saved)",
                        metadata: .rotation(record.consumerName, id: record.id, step: record.step.rawValue))
                }
                return .markerSearched(consumerIDs: ids)
            } catch {
                return .markerSearchFailed(error)
            }
        case .discard(let ids):
            do {
                for id in ids { try await directory.delete(id: id) }
                return .discarded
            } catch {
                return .discardFailed(error)
            }
        case .verify(let key, let secret):
            return await verify(key: key, secret: secret, record: record, admin: managed?.isAdmin ?? false)
        case .publish(let key, let secret) where fleet != nil:
            return await fleet?.publish(record, key: key, secret: secret)
        case .runHooks where fleet != nil:
            return await fleet?.confirmations(record)
        case .probe where fleet != nil:
            // Each host's probe ran on the host, before its confirmation.
            return .nothingToRun
        case .publish(let key, let secret):
            if let old = await SecretPublisher.replacedSecret(managed?.deliver ?? [], newKey: key, cipher: cipher) {
                known.append(old)
            }
            let faults = self.faults
            let progress = onProgress
            let publisher = SecretPublisher(cipher: cipher) { _ in
                progress()
                await faults.reached("after:publish-first-file")
            }
            do {
                let files = try await publisher.publish(
                    managed?.deliver ?? [], name: record.consumerName, key: key, secret: secret,
                    rotatedAt: record.newCreatedAt ?? record.startedAt)
                return .published(files: files)
            } catch {
                return .publishFailed(error)
            }
        case .runHooks where managed?.isAdmin == true:
            // The admin's own rotation has no after_publish action: its confirmation is rotord itself taking the
            // published pair into use (journaled as such); until that works it is unconfirmed, the old pair in use.
            let failures = await actAsPublishedAdmin(record, managed)
            return failures.isEmpty ? .adminTakenIntoUse : .hooksRan(failures: failures)
        case .runHooks:
            let hooks = managed?.afterPublish ?? []
            if hooks.isEmpty { return .nothingToRun }
            let failures = await checks.runActions(
                hooks, for: await checkRequest(record, managed, known: known), logger: logger, onProgress: onProgress)
            for failure in failures {
                logger.error(
                    "after_publish hook failed: \(failure)",
                    metadata: .rotation(record.consumerName, id: record.id, step: record.step.rawValue)
                        .merging(CatalogMessage.hookFailed.metadata) { a, _ in a })
            }
            return .hooksRan(failures: failures)
        case .probe:
            guard let probe = managed?.probe else { return .nothingToRun }
            let failures = await checks.runProbe(
                probe, for: await checkRequest(record, managed, known: known), logger: logger, onProgress: onProgress)
            for failure in failures {
                logger.error(
                    "adoption probe failed: \(failure); the old consumer is kept",
                    metadata: .rotation(record.consumerName, id: record.id, step: record.step.rawValue)
                        .merging(CatalogMessage.rotationUnconfirmed.metadata) { a, _ in a })
            }
            return .probed(failures: failures)
        case .deleteOld(let ids):
            // Never delete the admin consumer rotord acts as: first act as the published pair (or wait).
            if managed?.isAdmin == true, let problem = await actAsPublishedAdmin(record, managed).first {
                return .oldDeleteFailed(RotationFailure(.transient, "the old admin consumer is kept: \(problem)"))
            }
            do {
                for id in ids where id != record.newConsumerID { try await directory.delete(id: id) }
                await faults.reached("after:delete-old")
                return .oldDeleted
            } catch {
                return .oldDeleteFailed(error)
            }
        case .waitUntil, .retryAt, .hold, .finished:
            return .resume
        }
    }

    /// What the checks of `record` are told. Once the journal dropped the secret (a retry while
    /// unconfirmed), the secret to mask is read from the deliver files.
    private func checkRequest(_ record: RotationRecord, _ managed: ManagedConsumer?, known: [String]) async
        -> CheckRequest
    {
        var secret = record.newSecret
        if secret == nil { secret = await SecretPublisher.currentPair(managed?.deliver ?? [], cipher: cipher)?.secret }
        return CheckRequest(
            consumer: record.consumerName, rotationID: record.id, files: record.publishedFiles,
            maskedKey: record.newKey.map(KeyMask.mask), secrets: (secret.map { [$0] } ?? []) + known)
    }

    /// Tries the new pair at the token endpoint until it is accepted or `verifyTimeout` has passed
    /// (a new credential may take a while to propagate). `nil` when a stop is requested first: the
    /// refusals so far say nothing yet, and the rotation must resume at `created`, not be discarded.
    private func verify(key: String, secret: String, record: RotationRecord, admin: Bool) async -> RotationEvent? {
        let wallStart = clock.now()
        let budget = max(verifyTimeout.timeInterval, 0)
        // The polls: Timing.verificationPolls, jittered by the injected random source.
        let random = self.random
        let polls = {
            var polls = Timing.verificationPolls
            polls.random = { Double(random()) / Double(UInt32.max) }
            return polls
        }()
        var lastError: RotationFailure?
        var refusals = 0
        for attempt in 1...10_000 {
            onProgress()
            do {
                let accepted =
                    if admin, let id = record.newConsumerID {
                        try await directory.verifyAdministration(key: key, secret: secret, consumerID: id)
                    } else {
                        try await directory.verify(key: key, secret: secret)
                    }
                if accepted {
                    await faults.reached("after:verify")
                    return .verified
                }
                refusals += 1
                lastError = nil
            } catch {
                lastError = error
            }
            if Task.isShuttingDownGracefully { return nil }
            if clock.now().timeIntervalSince(wallStart) >= budget { break }
            // The pause ends early at a graceful shutdown, and no attempt starts after one: a stop
            // leaves the rotation at `created`, to resume, whatever the new credential does meanwhile.
            await cancelWhenGracefulShutdown { await sleep(polls.delay(attempt: attempt)) }
            if Task.isShuttingDownGracefully { return nil }
        }
        if let lastError, refusals == 0 { return .verificationUnavailable(lastError) }
        let reason =
            "the token endpoint refused the new key \(KeyMask.mask(key)) for \(verifyTimeout) (\(refusals) attempts)"
        logger.error(
            "verification of the new credential failed: \(reason)",
            metadata: .rotation(
                record.consumerName, id: record.id, step: record.step.rawValue, maskedKey: KeyMask.mask(key)
            )
            .merging(CatalogMessage.verificationFailed.metadata) { a, _ in a })
        return .verificationRefused(reason: reason)
    }

    /// The admin consumer's rotation (``ManagedConsumer/isAdmin``): reads the pair back from the source files it
    /// was published to, checks that it is the new one and that it administers the account (a token, and a read of
    /// the new consumer with it), and from then on acts as it. Returns what stopped that (empty: rotord acts as the
    /// new pair); the old pair stays in use and the old consumer alive until it succeeds.
    private func actAsPublishedAdmin(_ record: RotationRecord, _ managed: ManagedConsumer?) async -> [String] {
        let files = managed?.deliver.flatMap(\.filePaths).joined(separator: ", ") ?? "none"
        guard let pair = await SecretPublisher.currentPair(managed?.deliver ?? [], cipher: cipher) else {
            return ["the admin pair cannot be read back from its source files (\(files))"]
        }
        guard let newKey = record.newKey, let newID = record.newConsumerID, pair.key == newKey else {
            return [
                "the admin source files (\(files)) hold the key \(KeyMask.mask(pair.key)), not the new "
                    + (record.newKey.map(KeyMask.mask) ?? "one")
            ]
        }
        if directory.adminKey == pair.key { return [] }
        do {
            guard try await directory.verifyAdministration(key: pair.key, secret: pair.secret, consumerID: newID) else {
                return [
                    "the admin pair read back from \(files) (\(KeyMask.mask(pair.key))) does not administer the account"
                ]
            }
        } catch {
            return ["the admin pair read back from \(files) cannot be checked now: \(error.message)"]
        }
        await directory.actAs(key: pair.key, secret: pair.secret)
        logger.notice(
            "rotord now acts as its new admin consumer \(KeyMask.mask(pair.key)), read back from \(files)",
            metadata: .rotation(record.consumerName, id: record.id, step: record.step.rawValue))
        return []
    }

    private func stepEntered(_ record: RotationRecord) async {
        let meta = Logger.Metadata.rotation(
            record.consumerName, id: record.id, step: record.step.rawValue, maskedKey: record.newKey.map(KeyMask.mask))
        switch record.step {
        case .creating where record.createAttempts <= 1:
            logger.notice(
                "rotation of \(record.consumerName) started (\(record.trigger))",
                metadata: meta.merging(CatalogMessage.rotationStarted.metadata) { a, _ in a })
        case .published:
            logger.notice(
                "new credential of \(record.consumerName) published to \(record.publishedFiles.count) file(s)",
                metadata: meta.merging(CatalogMessage.credentialPublished.metadata) { a, _ in a })
        case .done:
            logger.notice(
                "old consumer(s) \(record.oldConsumerIDs.map(String.init).joined(separator: ", ")) deleted",
                metadata: meta.merging(CatalogMessage.oldConsumerDeleted.metadata) { a, _ in a })
            logger.notice(
                "rotation of \(record.consumerName) completed",
                metadata: meta.merging(CatalogMessage.rotationCompleted.metadata) { a, _ in a })
        case .unconfirmed:
            let text =
                "rotation of \(record.consumerName) is not confirmed: \(record.failure ?? "no reason recorded"); "
                + "fix the service and wait for the retry, or run rotord rotate \(record.consumerName) "
                + "--accept-unconfirmed (or --revoke-old-now)"
            logger.error(
                "\(text)",
                metadata: meta.merging(CatalogMessage.rotationUnconfirmed.metadata) { a, _ in a })
        case .failed, .abandoned:
            logger.error(
                "rotation of \(record.consumerName) \(record.step.rawValue): \(record.failure ?? "no reason recorded")",
                metadata: meta.merging(CatalogMessage.rotationFailed.metadata) { a, _ in a })
        default:
            logger.info("rotation of \(record.consumerName) at step \(record.step.rawValue)", metadata: meta)
        }
        await faults.reached("step:\(record.step.rawValue)")
    }
}
