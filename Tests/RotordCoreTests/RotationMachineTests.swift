import Foundation
import RotordCore
import Testing

/// Every transition of the rotation state machine, driven with explicit times: no clock, no sleep.
@Suite struct RotationMachineTests {
    /// Exact dates: the machine's backoff without its jitter (the jitter has its own test below).
    let machine = RotationMachine(backoff: Backoff.rotationStep.withoutJitter)
    let t0 = Date(timeIntervalSince1970: 1_780_000_000)
    let old = ConsumerRecord(
        id: 7, name: "reports-etl", description: "nightly", permissionGroupId: 3, key: "OLDKEYoldkey123456",
        createdAt: Date(timeIntervalSince1970: 1_770_000_000))

    func planned(grace: ConfigDuration = .hours(24), revoke: Bool = false) -> RotationRecord {
        RotationRecord(
            id: "r1-0000abcd", consumerName: "reports-etl", trigger: "due", now: t0, oldConsumers: [old],
            authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false,
            originalDescription: "nightly", grace: grace, revokeOldNow: revoke)
    }

    @Test func plannedAnnouncesCreatingBeforeCreating() {
        let t = machine.advance(planned(), on: .resume, now: t0)
        #expect(t.record.step == .creating)
        #expect(t.record.createAttempts == 1)
        #expect(
            t.action
                == .create(
                    name: "reports-etl", description: "[rotord:r1-0000abcd] nightly",
                    authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false))
    }

    @Test func happyPathToGraceThenDone() {
        var r = machine.advance(planned(), on: .resume, now: t0).record
        var t = machine.advance(
            r, on: .created(id: 9, key: "NEWKEYnewkey123456", secret: "S3cr3t", createdAt: t0), now: t0)
        #expect(t.record.step == .created)
        #expect(t.record.newSecret == "S3cr3t")
        #expect(t.action == .verify(key: "NEWKEYnewkey123456", secret: "S3cr3t"))
        t = machine.advance(t.record, on: .verified, now: t0)
        #expect(t.record.step == .verified)
        #expect(t.action == .publish(key: "NEWKEYnewkey123456", secret: "S3cr3t"))
        t = machine.advance(t.record, on: .published(files: ["/etc/x.env"]), now: t0)
        #expect(t.record.step == .published)
        #expect(t.action == .runHooks)
        t = machine.advance(t.record, on: .hooksRan(failures: []), now: t0)
        #expect(t.record.step == .grace)
        #expect(t.record.newSecret == nil, "once published, the journal drops the secret")
        #expect(t.action == .waitUntil(t0.addingTimeInterval(86_400)))
        r = t.record
        // Before the deadline, nothing happens; after it, the probe (none configured: it passes at once), then
        // the old consumer is deleted.
        #expect(
            machine.advance(r, on: .resume, now: t0.addingTimeInterval(3_600)).action
                == .waitUntil(t0.addingTimeInterval(86_400)))
        t = machine.advance(r, on: .resume, now: t0.addingTimeInterval(86_400))
        #expect(t.record.step == .grace)
        #expect(t.action == .probe)
        t = machine.advance(t.record, on: .probed(failures: []), now: t0.addingTimeInterval(86_400))
        #expect(t.record.step == .retiring)
        #expect(t.action == .deleteOld(consumerIDs: [7]))
        t = machine.advance(t.record, on: .oldDeleted, now: t0.addingTimeInterval(86_401))
        #expect(t.record.step == .done)
        #expect(t.action == .finished(.done))
        #expect(
            t.record.history.map(\.step) == [
                .planned, .creating, .created, .verified, .published, .grace, .retiring, .done,
            ])
    }

    @Test func revokeOldNowSkipsGrace() {
        var r = planned(revoke: true)
        r.step = .published
        var t = machine.advance(r, on: .hooksRan(failures: []), now: t0)
        #expect(t.action == .probe, "no grace: the probe decides at once")
        t = machine.advance(t.record, on: .probed(failures: []), now: t0)
        #expect(t.record.step == .retiring)
        #expect(t.action == .deleteOld(consumerIDs: [7]))
    }

    @Test func restartWhileCreatingLooksForTheMarkerFirst() {
        let creating = machine.advance(planned(), on: .resume, now: t0).record
        var t = machine.advance(creating, on: .resume, now: t0)
        #expect(t.action == .findMarked(marker: "[rotord:r1-0000abcd]"))
        // An orphan was made before the crash: it is unusable (no secret), so it goes, then create again.
        t = machine.advance(t.record, on: .markerSearched(consumerIDs: [12]), now: t0)
        #expect(t.action == .discard(consumerIDs: [12]))
        t = machine.advance(t.record, on: .discarded, now: t0)
        #expect(t.record.step == .creating)
        #expect(t.record.createAttempts == 2)
        if case .create = t.action {} else { Issue.record("expected a create, got \(t.action)") }
        // No orphan: create straight away.
        t = machine.advance(creating, on: .markerSearched(consumerIDs: []), now: t0)
        if case .create = t.action {} else { Issue.record("expected a create, got \(t.action)") }
    }

    @Test func ambiguousCreateIsResolvedByTheMarkerNeverABlindRetry() {
        let creating = machine.advance(planned(), on: .resume, now: t0).record
        let t = machine.advance(creating, on: .createFailed(RotationFailure(.ambiguous, "timed out")), now: t0)
        #expect(t.action == .findMarked(marker: creating.marker))
    }

    @Test func permanentCreateFailureFails() {
        let creating = machine.advance(planned(), on: .resume, now: t0).record
        let t = machine.advance(creating, on: .createFailed(RotationFailure(.permanent, "HTTP 400")), now: t0)
        #expect(t.record.step == .failed)
        #expect(t.record.failure == "HTTP 400")
        #expect(t.action == .finished(.failed))
    }

    @Test func transientFailureBacksOffAndHoldsUntilRetry() {
        let creating = machine.advance(planned(), on: .resume, now: t0).record
        let t = machine.advance(creating, on: .createFailed(RotationFailure(.transient, "connection refused")), now: t0)
        #expect(t.action == .retryAt(t0.addingTimeInterval(30)))
        #expect(
            machine.advance(t.record, on: .resume, now: t0.addingTimeInterval(10)).action
                == .retryAt(t0.addingTimeInterval(30)))
        #expect(
            machine.advance(t.record, on: .resume, now: t0.addingTimeInterval(30)).action
                == .findMarked(marker: creating.marker))
        // Backoff doubles and is capped.
        #expect(Backoff.rotationStep.bound(attempt: 2) == .seconds(60))
        #expect(Backoff.rotationStep.bound(attempt: 50) == .seconds(3_600))
    }

    @Test func retriesAreJitteredByTheRotationIDStably() {
        // The default machine: equal jitter keyed by the rotation's id, so retries of many
        // rotations failing together spread over 15–30 s, and a restart computes the same date.
        let jittered = RotationMachine()
        var dates: Set<Date> = []
        for i in 0..<20 {
            var r = planned()
            r.id = "rotation-\(i)"
            let creating = jittered.advance(r, on: .resume, now: t0).record
            let failed = RotationFailure(.transient, "connection refused")
            let t = jittered.advance(creating, on: .createFailed(failed), now: t0)
            guard case .retryAt(let at) = t.action else {
                Issue.record("expected a retry, got \(t.action)")
                continue
            }
            #expect(at >= t0.addingTimeInterval(15) && at <= t0.addingTimeInterval(30), "\(at)")
            #expect(jittered.advance(creating, on: .createFailed(failed), now: t0).action == t.action, "stable")
            dates.insert(at)
        }
        #expect(dates.count > 10, "20 rotations failing together retry at \(dates.count) different times")
    }

    @Test func verificationRefusedDiscardsTheNewConsumerAndFails() {
        var r = planned()
        r.step = .created
        r.newConsumerID = 9
        r.newKey = "NEWKEYnewkey123456"
        r.newSecret = "S3cr3t"
        var t = machine.advance(r, on: .verificationRefused(reason: "refused for 2m"), now: t0)
        #expect(t.record.step == .discarding)
        #expect(t.action == .discard(consumerIDs: [9]))
        // A crash here resumes the discard.
        #expect(machine.advance(t.record, on: .resume, now: t0).action == .discard(consumerIDs: [9]))
        t = machine.advance(t.record, on: .discarded, now: t0)
        #expect(t.record.step == .failed)
        #expect(t.record.newSecret == nil)
        #expect(t.record.failure?.contains("refused for 2m") == true)
    }

    @Test func publishFailureRetriesAndNeverDropsTheSecret() {
        var r = planned()
        r.step = .verified
        r.newKey = "NEWKEYnewkey123456"
        r.newSecret = "S3cr3t"
        let t = machine.advance(r, on: .publishFailed(RotationFailure(.permanent, "EROFS")), now: t0)
        #expect(t.record.step == .verified)
        #expect(t.record.newSecret == "S3cr3t")
        if case .retryAt = t.action {} else { Issue.record("expected a retry") }
    }

    @Test(arguments: [RotationStep.created, .verified, .published, .grace, .retiring, .discarding])
    func resumeAfterRestartRepeatsOnlyIdempotentEffects(step: RotationStep) {
        var r = planned()
        r.step = step
        r.newConsumerID = 9
        r.newKey = "NEWKEYnewkey123456"
        r.newSecret = step.holdsUnpublishedSecret || step == .published ? "S3cr3t" : nil
        r.graceUntil = t0
        let action = machine.advance(r, on: .resume, now: t0).action
        switch (step, action) {
        case (.created, .verify), (.verified, .publish), (.published, .runHooks), (.grace, .probe),
            (.retiring, .deleteOld), (.discarding, .discard):
            break
        default:
            Issue.record("step \(step) resumed with \(action)")
        }
    }

    /// A `created` record as the machine makes it: replacement 9 with its key and secret.
    func created() -> RotationRecord {
        machine.advance(
            machine.advance(planned(), on: .resume, now: t0).record,
            on: .created(id: 9, key: "NEWKEYnewkey123456", secret: "S3cr3t", createdAt: t0), now: t0
        ).record
    }

    @Test func markerSearchFailureRetriesTransientAndFailsPermanent() {
        let creating = machine.advance(planned(), on: .resume, now: t0).record
        var t = machine.advance(creating, on: .markerSearchFailed(RotationFailure(.transient, "HTTP 503")), now: t0)
        #expect(t.record.step == .creating)
        #expect(t.record.failure == "HTTP 503")
        #expect(t.action == .retryAt(t0.addingTimeInterval(30)))
        // Once the wait is over, the marker is searched again, never a blind create.
        t = machine.advance(t.record, on: .resume, now: t0.addingTimeInterval(30))
        #expect(t.action == .findMarked(marker: creating.marker))
        t = machine.advance(creating, on: .markerSearchFailed(RotationFailure(.permanent, "HTTP 403")), now: t0)
        #expect(t.record.step == .failed)
        #expect(t.action == .finished(.failed))
    }

    @Test func discardFailureRetriesAndKeepsTheReason() {
        // While creating: an orphan that cannot be deleted yet holds the rotation, it never creates a second one.
        let creating = machine.advance(planned(), on: .resume, now: t0).record
        var t = machine.advance(creating, on: .discardFailed(RotationFailure(.transient, "HTTP 500")), now: t0)
        #expect(t.record.step == .creating)
        #expect(t.action == .retryAt(t0.addingTimeInterval(30)))
        #expect(
            machine.advance(t.record, on: .resume, now: t0.addingTimeInterval(30)).action
                == .findMarked(marker: creating.marker))
        // While discarding: always retried, and the reason for discarding is kept, not nested.
        t = machine.advance(created(), on: .verificationRefused(reason: "refused"), now: t0)
        for attempt in 1...3 {
            t = machine.advance(
                t.record, on: .discardFailed(RotationFailure(.permanent, "HTTP 500 #\(attempt)")), now: t0)
            #expect(t.record.step == .discarding)
            #expect(t.record.failure == "verification failed: refused; deleting the replacement: HTTP 500 #\(attempt)")
        }
        #expect(t.action == .retryAt(t0.addingTimeInterval(120)))
        t = machine.advance(t.record, on: .discarded, now: t0.addingTimeInterval(120))
        #expect(t.record.step == .failed)
        #expect(t.record.failure == "verification failed: refused")
    }

    @Test func verificationUnavailableRetriesHoldingTheSecret() {
        let t = machine.advance(
            created(), on: .verificationUnavailable(RotationFailure(.transient, "connection refused")), now: t0)
        #expect(t.record.step == .created)
        #expect(t.record.newSecret == "S3cr3t")
        #expect(t.record.failure == "connection refused")
        #expect(t.action == .retryAt(t0.addingTimeInterval(30)))
        #expect(
            machine.advance(t.record, on: .resume, now: t0.addingTimeInterval(30)).action
                == .verify(key: "NEWKEYnewkey123456", secret: "S3cr3t"))
    }

    @Test func oldDeleteFailureRetriesTheDelete() {
        var r = planned()
        r.step = .retiring
        r.newConsumerID = 9
        let t = machine.advance(r, on: .oldDeleteFailed(RotationFailure(.transient, "HTTP 502")), now: t0)
        #expect(t.record.step == .retiring)
        #expect(t.record.transientErrors == 1)
        #expect(t.action == .retryAt(t0.addingTimeInterval(30)))
        #expect(machine.advance(t.record, on: .resume, now: t0.addingTimeInterval(29)).action == t.action)
        #expect(
            machine.advance(t.record, on: .resume, now: t0.addingTimeInterval(30)).action
                == .deleteOld(consumerIDs: [7]))
    }

    @Test(arguments: [RotationStep.created, .verified])
    func lostSecretDiscardsTheReplacement(step: RotationStep) {
        var r = created()
        r.step = step
        r.newSecret = nil
        #expect(r.inconsistency != nil)
        #expect(created().inconsistency == nil)
        var t = machine.advance(r, on: .resume, now: t0)
        #expect(t.record.step == .discarding)
        #expect(t.record.history.last?.step == .discarding, "entered through the history like every step")
        #expect(t.record.failure?.contains("lost the new secret") == true)
        #expect(t.action == .discard(consumerIDs: [9]))
        // Any event, not only resume, meets the same check.
        #expect(machine.advance(r, on: .verified, now: t0).action == .discard(consumerIDs: [9]))
        t = machine.advance(t.record, on: .discarded, now: t0)
        #expect(t.record.step == .failed)
        #expect(t.record.failure?.contains("lost the new secret") == true)
        // Without the replacement's id either, the marker finds it.
        r.newConsumerID = nil
        #expect(machine.advance(r, on: .resume, now: t0).action == .findMarked(marker: r.marker))
    }

    @Test func unmanagedWhileCreatingDeletesTheMarkedReplacementFirst() {
        // A lost create, then a delete that keeps failing: `creating`, waiting to retry.
        let creating = machine.advance(planned(), on: .resume, now: t0).record
        var t = machine.advance(creating, on: .createFailed(RotationFailure(.ambiguous, "connection closed")), now: t0)
        t = machine.advance(t.record, on: .markerSearched(consumerIDs: [12]), now: t0)
        t = machine.advance(t.record, on: .discardFailed(RotationFailure(.transient, "HTTP 500")), now: t0)
        #expect(t.record.step == .creating)
        // The consumer leaves the configuration: the retry wait does not hold, the marker is searched.
        t = machine.advance(t.record, on: .unmanaged, now: t0.addingTimeInterval(1))
        #expect(t.record.step == .discarding)
        #expect(t.record.retryAt == nil)
        #expect(t.action == .findMarked(marker: creating.marker))
        // A restart here searches again.
        #expect(machine.advance(t.record, on: .resume, now: t0).action == .findMarked(marker: creating.marker))
        var found = machine.advance(t.record, on: .markerSearched(consumerIDs: [12]), now: t0)
        #expect(found.record.step == .discarding)
        #expect(found.action == .discard(consumerIDs: [12]))
        found = machine.advance(found.record, on: .discarded, now: t0)
        #expect(found.record.step == .failed)
        #expect(found.record.failure == "reports-etl is no longer in the configuration")
        // Nothing carries the marker: nothing to delete.
        let none = machine.advance(t.record, on: .markerSearched(consumerIDs: []), now: t0)
        #expect(none.record.step == .failed)
        #expect(none.action == .finished(.failed))
    }

    @Test func unmanagedElsewhere() {
        // Planned: nothing was done, nothing to undo.
        let abandoned = machine.advance(planned(), on: .unmanaged, now: t0)
        #expect(abandoned.record.step == .abandoned)
        #expect(abandoned.action == .finished(.abandoned))
        // Created: the replacement is known by id.
        let discarding = machine.advance(created(), on: .unmanaged, now: t0)
        #expect(discarding.record.step == .discarding)
        #expect(discarding.action == .discard(consumerIDs: [9]))
        // In grace the files already hold the new pair, and nothing configured can confirm it any more: the
        // rotation is held with both consumers, unchanged, until it is configured again or an operator decides.
        var r = planned()
        r.step = .grace
        r.graceUntil = t0.addingTimeInterval(100)
        let held = machine.advance(r, on: .unmanaged, now: t0.addingTimeInterval(200))
        #expect(held.record == r)
        #expect(held.action.kind == .hold)
    }

    @Test func forcedEndsGraceAndSkipsTheRetryWait() {
        var r = planned()
        r.step = .grace
        r.graceUntil = t0.addingTimeInterval(86_400)
        var t = machine.advance(r, on: .forced, now: t0)
        #expect(t.record.graceUntil == t0)
        #expect(t.action == .probe, "grace ends now; the probe still decides")
        t = machine.advance(t.record, on: .probed(failures: []), now: t0)
        #expect(t.record.step == .retiring)
        #expect(t.action == .deleteOld(consumerIDs: [7]))
        let creating = machine.advance(planned(), on: .resume, now: t0).record
        let waiting = machine.advance(creating, on: .createFailed(RotationFailure(.transient, "HTTP 503")), now: t0)
        t = machine.advance(waiting.record, on: .forced, now: t0)
        #expect(t.record.retryAt == nil)
        #expect(t.action == .findMarked(marker: creating.marker))
    }

    @Test func terminalRecordsStayTerminal() {
        var r = planned()
        r.step = .done
        #expect(machine.advance(r, on: .resume, now: t0).action == .finished(.done))
        #expect(machine.advance(r, on: .verified, now: t0).record.step == .done)
    }

    @Test func staleEventsAreIgnored() {
        var r = planned()
        r.step = .grace
        r.graceUntil = t0.addingTimeInterval(100)
        let t = machine.advance(r, on: .verified, now: t0)
        #expect(t.record.step == .grace)
        #expect(t.action == .waitUntil(t0.addingTimeInterval(100)))
    }

    @Test func eventsAndActionsNeverShowTheSecret() {
        let secret = "TopSecretValue1234567890abcdefgh"
        let key = "NEWKEYnewkey123456"
        let texts = [
            "\(RotationEvent.created(id: 9, key: key, secret: secret, createdAt: t0))",
            "\(RotationAction.verify(key: key, secret: secret))", "\(RotationAction.publish(key: key, secret: secret))",
            String(reflecting: RotationAction.publish(key: key, secret: secret)),
        ]
        for text in texts {
            #expect(!text.contains(secret))
            #expect(!text.contains(key))
        }
    }

    @Test func descriptionNeverShowsTheSecret() {
        var r = planned()
        r.newKey = "NEWKEYnewkey123456"
        r.newSecret = "TopSecretValue1234567890abcdefgh"
        #expect(!r.description.contains("TopSecret"))
        #expect(!r.description.contains("NEWKEYnewkey123456"))
    }
}
