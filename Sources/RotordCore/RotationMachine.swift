import Foundation

/// The rotation state machine: given a record, an event and the time, returns the next record
/// and the action to perform. Pure: no I/O, no clock of its own.
///
/// The caller's loop is: persist the returned record durably if it changed, *then* perform the
/// action, then feed its outcome back as the next event. Because every step is written before
/// its side effect, a crash at any instant leaves a record from which ``advance(_:on:now:)``
/// with ``RotationEvent/resume`` picks up safely.
public struct RotationMachine: Sendable {
    /// How long to wait after the n-th consecutive transient error (1-based), capped.
    public var backoff: @Sendable (Int) -> ConfigDuration

    /// Creates a machine; the default backoff is 30 s doubling up to 1 h.
    public init(backoff: @escaping @Sendable (Int) -> ConfigDuration = RotationMachine.defaultBackoff) {
        self.backoff = backoff
    }

    /// 30 s, 1 m, 2 m, 4 m … capped at 1 h.
    public static let defaultBackoff: @Sendable (Int) -> ConfigDuration = { attempt in
        let exponent = min(max(attempt - 1, 0), 7)
        return .seconds(min(30 << exponent, 3_600))
    }

    /// A transition: the record to persist, then the action to perform.
    public struct Transition: Sendable, Hashable {
        /// The record, to be persisted before ``action``.
        public var record: RotationRecord
        /// The side effect to perform.
        public var action: RotationAction
    }

    /// Advances `record` on `event` at `now`.
    public func advance(_ record: RotationRecord, on event: RotationEvent, now: Date) -> Transition {
        var r = record
        if r.step.isTerminal { return Transition(record: r, action: .finished(r.step)) }

        // A pending retry holds every step until its time, unless news arrives.
        if case .resume = event, let retryAt = r.retryAt, retryAt > now {
            return Transition(record: r, action: .retryAt(retryAt))
        }

        switch (r.step, event) {
        // MARK: creating
        case (.planned, .resume):
            r.enter(.creating, at: now)
            return create(&r, now: now)
        case (.creating, .resume):
            // Without a saved secret, whatever a lost create made is unusable: find it first.
            return Transition(record: r, action: .findMarked(marker: r.marker))
        case (.creating, .createFailed(let failure)) where failure.kind == .ambiguous:
            // Never a blind second create: look for the marker instead.
            r.failure = failure.message
            return Transition(record: r, action: .findMarked(marker: r.marker))
        case (.creating, .createFailed(let failure)):
            return fail(&r, failure, now: now)
        case (.creating, .markerSearched(let ids)):
            if ids.isEmpty { return create(&r, now: now) }
            return Transition(record: r, action: .discard(consumerIDs: ids.sorted()))
        case (.creating, .markerSearchFailed(let failure)), (.creating, .discardFailed(let failure)):
            return fail(&r, failure, now: now)
        case (.creating, .discarded):
            return create(&r, now: now)
        case (.creating, .created(let id, let key, let secret, let createdAt)):
            r.newConsumerID = id
            r.newKey = key
            r.newSecret = secret
            r.newCreatedAt = createdAt
            r.failure = nil
            r.enter(.created, at: now, note: "consumer \(id), key \(KeyMask.mask(key))")
            return verify(r)

        // MARK: verifying
        case (.created, .resume):
            return verify(r)
        case (.created, .verified):
            r.enter(.verified, at: now)
            return publish(r)
        case (.created, .verificationRefused(let reason)):
            r.failure = "verification failed: \(reason)"
            r.enter(.discarding, at: now, note: r.failure)
            return Transition(record: r, action: .discard(consumerIDs: r.newConsumerID.map { [$0] } ?? []))
        case (.created, .verificationUnavailable(let failure)):
            return retry(&r, failure, now: now)

        // MARK: discarding an unverified replacement
        case (.discarding, .resume):
            return Transition(record: r, action: .discard(consumerIDs: r.newConsumerID.map { [$0] } ?? []))
        case (.discarding, .discarded):
            r.newSecret = nil
            let reason = r.failure
            r.enter(.failed, at: now, note: reason)
            r.failure = reason
            return Transition(record: r, action: .finished(.failed))
        case (.discarding, .discardFailed(let failure)):
            let reason = r.failure
            var t = retry(&r, failure, now: now)
            t.record.failure = reason.map { "\($0); deleting the replacement: \(failure.message)" } ?? failure.message
            return t

        // MARK: publishing
        case (.verified, .resume):
            return publish(r)
        case (.verified, .published(let files)):
            r.publishedFiles = files
            r.failure = nil
            r.enter(.published, at: now)
            return Transition(record: r, action: .runHooks)
        case (.verified, .publishFailed(let failure)):
            // Never give up holding a working, unpublished secret: retry, even a "permanent"
            // error (a missing directory can be fixed by the operator).
            return retry(&r, failure, now: now)

        // MARK: hooks, grace
        case (.published, .resume):
            return Transition(record: r, action: .runHooks)
        case (.published, .hooksRan(let failures)):
            r.hookFailures = failures
            r.newSecret = nil  // the deliver files hold it now; the journal no longer needs it
            r.graceUntil = now.addingTimeInterval(r.revokeOldNow ? 0 : TimeInterval(r.graceSeconds))
            r.enter(.grace, at: now, note: failures.isEmpty ? nil : "hooks failed: \(failures.joined(separator: "; "))")
            return graceCheck(&r, now: now)
        case (.grace, .resume):
            return graceCheck(&r, now: now)

        // MARK: retiring
        case (.retiring, .resume):
            return Transition(record: r, action: .deleteOld(consumerIDs: r.oldConsumerIDs))
        case (.retiring, .oldDeleted):
            r.failure = nil
            r.enter(.done, at: now)
            return Transition(record: r, action: .finished(.done))
        case (.retiring, .oldDeleteFailed(let failure)):
            return retry(&r, failure, now: now)

        default:
            // An outcome that does not belong to this step (a stale or duplicated event): ignore
            // it and re-enter the step, which is always safe.
            return advance(r, on: .resume, now: now)
        }
    }

    private func create(_ r: inout RotationRecord, now: Date) -> Transition {
        r.createAttempts += 1
        r.updatedAt = now
        return Transition(
            record: r,
            action: .create(
                name: r.consumerName, description: r.newDescription, authorizationType: r.authorizationType,
                permissionGroupID: r.permissionGroupID, fracttalHub: r.fracttalHub))
    }

    private func verify(_ r: RotationRecord) -> Transition {
        withSecret(r, before: "verification") { .verify(key: $0, secret: $1) }
    }

    private func publish(_ r: RotationRecord) -> Transition {
        withSecret(r, before: "publishing") { .publish(key: $0, secret: $1) }
    }

    /// The action that needs the new pair, or, if the journal lost it (which a well-formed record
    /// cannot), discarding the replacement rather than publishing nothing.
    private func withSecret(
        _ r: RotationRecord, before what: String, _ action: (String, String) -> RotationAction
    ) -> Transition {
        guard let key = r.newKey, let secret = r.newSecret else {
            var broken = r
            broken.failure = "the journal lost the new secret before \(what)"
            broken.step = .discarding
            return Transition(record: broken, action: .discard(consumerIDs: r.newConsumerID.map { [$0] } ?? []))
        }
        return Transition(record: r, action: action(key, secret))
    }

    private func graceCheck(_ r: inout RotationRecord, now: Date) -> Transition {
        let until = r.graceUntil ?? now
        if until > now { return Transition(record: r, action: .waitUntil(until)) }
        r.enter(.retiring, at: now)
        return Transition(record: r, action: .deleteOld(consumerIDs: r.oldConsumerIDs))
    }

    private func retry(_ r: inout RotationRecord, _ failure: RotationFailure, now: Date) -> Transition {
        r.transientErrors += 1
        r.failure = failure.message
        let at = now.addingTimeInterval(backoff(r.transientErrors).timeInterval)
        r.retryAt = at
        r.updatedAt = now
        return Transition(record: r, action: .retryAt(at))
    }

    private func fail(_ r: inout RotationRecord, _ failure: RotationFailure, now: Date) -> Transition {
        switch failure.kind {
        case .permanent:
            r.enter(.failed, at: now, note: failure.message)
            r.failure = failure.message
            return Transition(record: r, action: .finished(.failed))
        case .transient, .ambiguous:
            return retry(&r, failure, now: now)
        }
    }
}
