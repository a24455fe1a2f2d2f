import Foundation

/// The rotation state machine: given a record, an event and the time, returns the next record
/// and the action to perform. Pure: no I/O, no clock of its own.
///
/// The caller's loop is: persist the returned record durably if it changed, *then* perform the
/// action, then feed its outcome back as the next event. Because every step is written before
/// its side effect, a crash at any instant leaves a record from which ``advance(_:on:now:)``
/// with ``RotationEvent/resume`` picks up safely.
public struct RotationMachine: Sendable {
    /// How long to wait after the n-th consecutive transient error of a rotation (1-based):
    /// ``Backoff/rotationStep``, jittered by the rotation's id.
    public var backoff: Backoff

    /// Creates a machine; the default backoff is 30 s doubling up to 1 h, with equal jitter.
    public init(backoff: Backoff = .rotationStep) {
        self.backoff = backoff
    }

    /// A transition: the record to persist, then the action to perform.
    public struct Transition: Sendable, Hashable {
        /// The record, to be persisted before ``action``.
        public var record: RotationRecord
        /// The side effect to perform.
        public var action: RotationAction
    }

    /// Advances `record` on `event` at `now`.
    ///
    /// Every change of step happens here: the driver and the reconciler only feed events (outcomes,
    /// ``RotationEvent/resume``, ``RotationEvent/unmanaged``, ``RotationEvent/forced``).
    public func advance(_ record: RotationRecord, on event: RotationEvent, now: Date) -> Transition {
        var r = record
        if r.step.isTerminal { return Transition(record: r, action: .finished(r.step)) }
        // A record the machine never produces (see `RotationRecord.inconsistency`) has one way out.
        if let problem = r.inconsistency { return discardUnusable(&r, because: problem, now: now) }

        switch event {
        case .boundDates:
            // Edits of the record itself, at any step: the caller persists the result; nothing is performed now.
            return Transition(record: r.clamped(now: now).record, action: .hold(reason: "dates bounded"))
        case .narrowOldConsumers(let ids):
            r.oldConsumerIDs = r.oldConsumerIDs.filter { ids.contains($0) }
            return Transition(record: r, action: .hold(reason: "old consumers narrowed"))
        case .accepted(true):
            r.revokeOldNow = true
        case .forced:
            // A manual rotation first ends the previous one's grace (its replacement is already in
            // the files) and skips any retry wait.
            r.retryAt = nil
            if r.step == .grace { r.graceUntil = now }
            return advance(r, on: .resume, now: now)
        case .resume:
            // A pending retry holds every step until its time, unless news arrives.
            if let retryAt = r.retryAt, retryAt > now { return Transition(record: r, action: .retryAt(retryAt)) }
        default:
            break
        }

        switch (r.step, event) {
        // MARK: leaving the configuration
        case (.planned, .unmanaged):
            r.failure = "\(r.consumerName) is no longer in the configuration"
            r.enter(.abandoned, at: now, note: r.failure)
            return Transition(record: r, action: .finished(.abandoned))
        case (.creating, .unmanaged), (.created, .unmanaged), (.creating, .abandon), (.created, .abandon):
            // Never publish into files nobody configured, nor delete a consumer whose successor
            // went nowhere: delete the replacement (in `creating`, whatever carries the marker) and give up.
            // Before `verified` no deliver file can hold the new pair.
            r.failure =
                event == .abandon
                ? "abandoned by an operator" : "\(r.consumerName) is no longer in the configuration"
            r.enter(.discarding, at: now, note: r.failure)
            return discard(r)
        case (.verified, .unmanaged), (.published, .unmanaged), (.unconfirmed, .unmanaged):
            // The deliver files may hold the new pair (a publish may have written some before it was
            // journaled), and no check configured for the consumer can confirm it any more: keep both
            // consumers, change nothing, until the consumer is configured again or an operator decides.
            return Transition(record: r, action: .hold(reason: Self.heldUnmanaged(r)))
        case (.grace, .unmanaged) where r.acceptedUnconfirmed != true:
            // The same in grace: its probe can no longer run (an accepted rotation needs none and goes on).
            return Transition(record: r, action: .hold(reason: Self.heldUnmanaged(r)))
        case (_, .abandon) where r.step.isAbandonable:
            // An operator ends the rotation and keeps both consumers (and the files as they are).
            r.newSecret = nil
            r.failure =
                "abandoned by an operator; both consumers kept"
                + (r.newConsumerID.map {
                    " (old \(r.oldConsumerIDs.map(String.init).joined(separator: ", ")), new \($0))"
                }
                    ?? "")
            r.enter(.abandoned, at: now, note: r.failure)
            return Transition(record: r, action: .finished(.abandoned))

        // MARK: creating
        case (.planned, .resume):
            r.enter(.creating, at: now)
            return create(&r, now: now)
        case (.creating, .resume):
            // Without a saved secret, whatever a lost create made is unusable: delete what a refused answer
            // named, else find it by its marker first.
            if let pending = r.pendingDiscardIDs, !pending.isEmpty {
                return Transition(record: r, action: .discard(consumerIDs: pending))
            }
            return Transition(record: r, action: .findMarked(marker: r.marker))
        case (.creating, .createFailed(let failure)) where failure.kind == .ambiguous:
            // Never a blind second create. A refused answer that named the consumer this create made (its marker
            // may be lost): delete it by that id. Otherwise look for the marker.
            r.failure = failure.message
            if let made = failure.createdConsumerID {
                let pending = Set((r.pendingDiscardIDs ?? []) + [made]).sorted()
                r.pendingDiscardIDs = pending
                return Transition(record: r, action: .discard(consumerIDs: pending))
            }
            return Transition(record: r, action: .findMarked(marker: r.marker))
        case (.creating, .createFailed(let failure)):
            return fail(&r, failure, now: now)
        case (.creating, .markerSearched(let ids)):
            let all = Set(ids + (r.pendingDiscardIDs ?? [])).sorted()
            if all.isEmpty { return create(&r, now: now) }
            return Transition(record: r, action: .discard(consumerIDs: all))
        case (.creating, .markerSearchFailed(let failure)), (.creating, .discardFailed(let failure)):
            return fail(&r, failure, now: now)
        case (.creating, .discarded):
            r.pendingDiscardIDs = nil
            return create(&r, now: now)
        case (.creating, .created(let id, let key, let secret, let createdAt)):
            r.newConsumerID = id
            r.newKey = key
            r.newSecret = secret
            r.newCreatedAt = createdAt
            r.failure = nil
            r.enter(.created, at: now, note: "consumer \(id), key \(KeyMask.mask(key))")
            return verify(&r, now: now)

        // MARK: verifying
        case (.created, .resume):
            return verify(&r, now: now)
        case (.created, .verified):
            r.enter(.verified, at: now)
            return publish(&r, now: now)
        case (.created, .verificationRefused(let reason)):
            r.failure = "verification failed: \(reason)"
            r.enter(.discarding, at: now, note: r.failure)
            return discard(r)
        case (.created, .verificationUnavailable(let failure)):
            return retry(&r, failure, now: now)

        // MARK: discarding a replacement that will not be used
        case (.discarding, .resume):
            return discard(r)
        case (.discarding, .markerSearched(let ids)) where r.newConsumerID == nil:
            let all = Set(ids + (r.pendingDiscardIDs ?? [])).sorted()
            if all.isEmpty { return endDiscarding(&r, now: now) }
            return Transition(record: r, action: .discard(consumerIDs: all))
        case (.discarding, .discarded):
            r.pendingDiscardIDs = nil
            return endDiscarding(&r, now: now)
        case (.discarding, .discardFailed(let failure)):
            return retryDiscarding(&r, failure, now: now)
        case (.discarding, .markerSearchFailed(let failure)) where r.newConsumerID == nil:
            return retryDiscarding(&r, failure, now: now)

        // MARK: publishing
        case (.verified, .resume):
            return publish(&r, now: now)
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
        case (.published, .nothingToRun):
            r.hookFailures = []
            r.newSecret = nil
            return enterGrace(&r, now: now, note: nil)
        case (.published, .adminTakenIntoUse):
            r.hookFailures = []
            r.newSecret = nil
            return enterGrace(&r, now: now, note: Self.adminTakenIntoUse)
        case (.published, .hooksRan(let failures)):
            r.hookFailures = failures
            r.newSecret = nil  // the deliver files hold it now; the journal no longer needs it
            if !failures.isEmpty {
                // Not confirmed: the old consumer is kept, and the actions are retried with back-off.
                let failure = Self.unconfirmedByHooks(failures)
                r.enter(.unconfirmed, at: now, note: failure.message)
                return retry(&r, failure, now: now)
            }
            return enterGrace(&r, now: now, note: nil)
        case (.grace, .resume):
            return graceCheck(&r, now: now)
        case (.grace, .nothingToRun) where (r.graceUntil ?? now) <= now:
            // The answer to `probe` when none is configured: nothing more to confirm.
            return retire(&r, now: now, note: nil)
        case (.grace, .probed(let failures)):
            if failures.isEmpty { return retire(&r, now: now, note: nil) }
            let failure = Self.unconfirmedByProbe(failures)
            r.enter(.unconfirmed, at: now, note: failure.message)
            return retry(&r, failure, now: now)

        // MARK: unconfirmed: the files hold the new pair, the old consumer is kept
        case (.unconfirmed, .resume):
            // Hooks failed before grace (no deadline yet), or the probe failed after it.
            return Transition(record: r, action: r.graceUntil == nil ? .runHooks : .probe)
        case (.unconfirmed, .nothingToRun) where r.graceUntil == nil:
            r.hookFailures = []
            r.failure = nil
            return enterGrace(&r, now: now, note: "no after_publish action is configured any more")
        case (.unconfirmed, .nothingToRun) where r.graceUntil != nil:
            r.failure = nil
            return retire(&r, now: now, note: "no probe is configured any more")
        case (.unconfirmed, .adminTakenIntoUse) where r.graceUntil == nil:
            r.hookFailures = []
            r.failure = nil
            return enterGrace(&r, now: now, note: Self.adminTakenIntoUse)
        case (.unconfirmed, .hooksRan(let failures)) where r.graceUntil == nil:
            r.hookFailures = failures
            if !failures.isEmpty { return retry(&r, Self.unconfirmedByHooks(failures), now: now) }
            r.failure = nil
            return enterGrace(&r, now: now, note: "after_publish actions succeeded")
        case (.unconfirmed, .probed(let failures)) where r.graceUntil != nil:
            if !failures.isEmpty { return retry(&r, Self.unconfirmedByProbe(failures), now: now) }
            r.failure = nil
            return retire(&r, now: now, note: "adoption probe succeeded")
        case (.published, .accepted):
            // Accepted before its actions ran (its consumer left the configuration): no checks before retiring.
            r.acceptedUnconfirmed = true
            r.failure = nil
            return enterGrace(&r, now: now, note: "accepted by an operator without confirmation")
        case (.grace, .accepted):
            r.acceptedUnconfirmed = true
            if r.revokeOldNow { r.graceUntil = now }
            return graceCheck(&r, now: now)
        case (.unconfirmed, .accepted):
            r.acceptedUnconfirmed = true
            r.failure = nil
            let note = "accepted by an operator without confirmation"
            if r.graceUntil == nil { return enterGrace(&r, now: now, note: note) }
            if r.revokeOldNow { r.graceUntil = now }
            r.enter(.grace, at: now, note: note)
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
            // An outcome that does not belong to this step (a stale or duplicated event), or
            // `unmanaged` once the replacement is published (the rotation finishes, without hooks
            // nor files): re-enter the step, which is always safe.
            return advance(r, on: .resume, now: now)
        }
    }

    /// The journal's note when rotord takes its own new admin pair into use.
    static let adminTakenIntoUse = "rotord acts as the new admin pair, read back from its source files and verified"

    private func create(_ r: inout RotationRecord, now: Date) -> Transition {
        r.createAttempts += 1
        r.updatedAt = now
        return Transition(
            record: r,
            action: .create(
                name: r.consumerName, description: r.newDescription, authorizationType: r.authorizationType,
                permissionGroupID: r.permissionGroupID, fracttalHub: r.fracttalHub))
    }

    private func verify(_ r: inout RotationRecord, now: Date) -> Transition {
        withSecret(&r, now: now) { .verify(key: $0, secret: $1) }
    }

    private func publish(_ r: inout RotationRecord, now: Date) -> Transition {
        withSecret(&r, now: now) { .publish(key: $0, secret: $1) }
    }

    /// The action that needs the new pair, or, if the journal lost it (which a well-formed record
    /// cannot), discarding the replacement rather than publishing nothing.
    private func withSecret(
        _ r: inout RotationRecord, now: Date, _ action: (String, String) -> RotationAction
    ) -> Transition {
        if let problem = r.inconsistency { return discardUnusable(&r, because: problem, now: now) }
        guard let key = r.newKey, let secret = r.newSecret else {
            return discardUnusable(&r, because: "the journal lost the new secret", now: now)
        }
        return Transition(record: r, action: action(key, secret))
    }

    /// Enters `discarding` because the replacement cannot be used.
    private func discardUnusable(_ r: inout RotationRecord, because problem: String, now: Date) -> Transition {
        r.failure = problem
        r.enter(.discarding, at: now, note: problem)
        return discard(r)
    }

    /// The `discarding` action: delete the replacement by id when the journal has it, else search
    /// for whatever carries this rotation's marker (a create that was lost or never answered).
    private func discard(_ r: RotationRecord) -> Transition {
        guard let id = r.newConsumerID else { return Transition(record: r, action: .findMarked(marker: r.marker)) }
        return Transition(record: r, action: .discard(consumerIDs: [id]))
    }

    /// Never give up while a replacement may be left behind: retry, even a "permanent" error, keeping
    /// the reason for discarding in front of the error.
    private func retryDiscarding(_ r: inout RotationRecord, _ failure: RotationFailure, now: Date) -> Transition {
        let reason = discardingReason(r)
        var t = retry(&r, failure, now: now)
        t.record.failure = reason.map { "\($0); deleting the replacement: \(failure.message)" } ?? failure.message
        return t
    }

    /// The replacement is gone: the rotation has failed, for the reason it entered `discarding`.
    private func endDiscarding(_ r: inout RotationRecord, now: Date) -> Transition {
        let reason = discardingReason(r)
        r.newSecret = nil
        r.enter(.failed, at: now, note: reason)
        r.failure = reason
        return Transition(record: r, action: .finished(.failed))
    }

    /// Why the rotation entered `discarding` (the note of that step change), not the last error.
    private func discardingReason(_ r: RotationRecord) -> String? {
        r.history.last { $0.step == .discarding }?.note ?? r.failure
    }

    /// Enters `grace` now: the deadline is `grace` from now (now with `revoke_old_now`).
    private func enterGrace(_ r: inout RotationRecord, now: Date, note: String?) -> Transition {
        r.graceUntil = now.addingTimeInterval(r.revokeOldNow ? 0 : TimeInterval(r.graceSeconds))
        r.enter(.grace, at: now, note: note)
        return graceCheck(&r, now: now)
    }

    /// Waits for the grace deadline; then the adoption probe decides, unless an operator accepted the rotation.
    private func graceCheck(_ r: inout RotationRecord, now: Date) -> Transition {
        let until = r.graceUntil ?? now
        if until > now { return Transition(record: r, action: .waitUntil(until)) }
        if r.acceptedUnconfirmed == true { return retire(&r, now: now, note: nil) }
        return Transition(record: r, action: .probe)
    }

    private func retire(_ r: inout RotationRecord, now: Date, note: String?) -> Transition {
        r.enter(.retiring, at: now, note: note)
        return Transition(record: r, action: .deleteOld(consumerIDs: r.oldConsumerIDs))
    }

    /// Why a rotation whose consumer left the configuration is held.
    static func heldUnmanaged(_ r: RotationRecord) -> String {
        "\(r.consumerName) left the configuration during its rotation (step \(r.step.rawValue)); both consumers are "
            + "kept: configure it again to finish, or run rotord rotate \(r.consumerName) --accept-unconfirmed "
            + "(retire the old consumer) or rotord abandon \(r.consumerName) (keep both, end the rotation)"
    }

    /// The failure of an `unconfirmed` rotation whose `after_publish` actions failed.
    static func unconfirmedByHooks(_ failures: [String]) -> RotationFailure {
        RotationFailure(
            .transient,
            "not confirmed: after_publish failed: \(failures.joined(separator: "; ")); the old consumer is kept")
    }

    /// The failure of an `unconfirmed` rotation whose adoption probe failed.
    static func unconfirmedByProbe(_ failures: [String]) -> RotationFailure {
        RotationFailure(
            .transient, "not confirmed: the probe failed: \(failures.joined(separator: "; ")); the old consumer is kept"
        )
    }

    private func retry(_ r: inout RotationRecord, _ failure: RotationFailure, now: Date) -> Transition {
        r.transientErrors += 1
        r.failure = failure.message
        let at = now.addingTimeInterval(Backoff.seconds(backoff.delay(attempt: r.transientErrors, key: r.id)))
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
