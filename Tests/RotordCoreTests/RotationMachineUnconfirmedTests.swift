import Foundation
import RotordCore
import Testing

/// "No outage from a rotation": the old consumer is deleted only once the rotation is confirmed (every
/// `after_publish` action succeeded, grace ended, the probe passed), or an operator accepted it.
@Suite struct RotationMachineUnconfirmedTests {
    let machine = RotationMachine(backoff: Backoff.rotationStep.withoutJitter)
    let t0 = Date(timeIntervalSince1970: 1_780_000_000)

    /// A rotation that has just published, with one hour of grace.
    func published(revoke: Bool = false) -> RotationRecord {
        let old = ConsumerRecord(
            id: 7, name: "reports-etl", description: "nightly", permissionGroupId: 3, key: "OLDKEYoldkey123456",
            createdAt: Date(timeIntervalSince1970: 1_770_000_000))
        let planned = RotationRecord(
            id: "r1-0000abcd", consumerName: "reports-etl", trigger: "due", now: t0, oldConsumers: [old],
            authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false,
            originalDescription: "nightly", grace: .hours(1), revokeOldNow: revoke)
        let events: [RotationEvent] = [
            .resume, .created(id: 9, key: "NEWKEYnewkey123456", secret: "S3cr3t", createdAt: t0), .verified,
            .published(files: ["/etc/x.env"]),
        ]
        return events.reduce(planned) { machine.advance($0, on: $1, now: t0).record }
    }

    @Test func aFailedActionKeepsTheOldConsumerAndRetriesWithBackoff() {
        let t = machine.advance(
            published(), on: .hooksRan(failures: ["exec /bin/false: exited with status 1"]), now: t0)
        #expect(t.record.step == .unconfirmed)
        #expect(t.action == .retryAt(t0.addingTimeInterval(30)))
        #expect(t.record.newSecret == nil, "the files hold the secret; the journal drops it")
        #expect(t.record.graceUntil == nil)
        #expect(t.record.failure?.contains("not confirmed") == true)
        #expect(t.record.hookFailures == ["exec /bin/false: exited with status 1"])
        // Before the retry date, nothing; then the actions again, never deleteOld.
        #expect(machine.advance(t.record, on: .resume, now: t0.addingTimeInterval(10)).action.kind == .retryAt)
        let again = machine.advance(t.record, on: .resume, now: t0.addingTimeInterval(31))
        #expect(again.action == .runHooks)
        // A second failure backs off further.
        let second = machine.advance(again.record, on: .hooksRan(failures: ["x"]), now: t0.addingTimeInterval(31))
        #expect(second.record.step == .unconfirmed)
        #expect(second.action == .retryAt(t0.addingTimeInterval(31 + 60)))
    }

    @Test func aSucceedingRetryGoesOnToGraceThenProbeThenRetiring() {
        let unconfirmed = machine.advance(published(), on: .hooksRan(failures: ["x"]), now: t0).record
        let t1 = t0.addingTimeInterval(100)
        let grace = machine.advance(unconfirmed, on: .hooksRan(failures: []), now: t1)
        #expect(grace.record.step == .grace)
        #expect(grace.record.graceUntil == t1.addingTimeInterval(3_600), "grace counts from the confirmation")
        #expect(grace.record.failure == nil && grace.record.hookFailures.isEmpty)
        #expect(grace.action == .waitUntil(t1.addingTimeInterval(3_600)))
        let ended = machine.advance(grace.record, on: .resume, now: t1.addingTimeInterval(3_601))
        #expect(ended.record.step == .grace)
        #expect(ended.action == .probe)
        let retiring = machine.advance(ended.record, on: .probed(failures: []), now: t1.addingTimeInterval(3_601))
        #expect(retiring.record.step == .retiring)
        #expect(retiring.action == .deleteOld(consumerIDs: [7]))
    }

    @Test func aFailingProbeKeepsTheOldConsumerUntilItPasses() {
        let grace = machine.advance(published(), on: .hooksRan(failures: []), now: t0).record
        let end = t0.addingTimeInterval(3_600)
        let probe = machine.advance(grace, on: .resume, now: end)
        #expect(probe.action == .probe)
        let failed = machine.advance(probe.record, on: .probed(failures: ["probe /bin/false: exited"]), now: end)
        #expect(failed.record.step == .unconfirmed)
        #expect(failed.record.failure?.contains("the probe failed") == true)
        #expect(failed.action == .retryAt(end.addingTimeInterval(30)))
        let retried = machine.advance(failed.record, on: .resume, now: end.addingTimeInterval(30))
        #expect(retried.action == .probe, "after grace, the probe is retried, not the actions")
        let again = machine.advance(retried.record, on: .probed(failures: ["x"]), now: end.addingTimeInterval(30))
        #expect(again.record.step == .unconfirmed && again.action.kind == .retryAt)
        let passed = machine.advance(again.record, on: .probed(failures: []), now: end.addingTimeInterval(200))
        #expect(passed.record.step == .retiring)
        #expect(passed.action == .deleteOld(consumerIDs: [7]))
    }

    @Test func forcedRetriesTheCheckNow() {
        let unconfirmed = machine.advance(published(), on: .hooksRan(failures: ["x"]), now: t0).record
        let t = machine.advance(unconfirmed, on: .forced, now: t0.addingTimeInterval(1))
        #expect(t.record.step == .unconfirmed)
        #expect(t.action == .runHooks)
    }

    @Test func acceptingRunsGraceThenRetiresWithoutTheProbe() {
        let unconfirmed = machine.advance(published(), on: .hooksRan(failures: ["x"]), now: t0).record
        let t = machine.advance(unconfirmed, on: .accepted(revokeOldNow: false), now: t0)
        #expect(t.record.step == .grace)
        #expect(t.record.acceptedUnconfirmed == true)
        #expect(t.action == .waitUntil(t0.addingTimeInterval(3_600)))
        let end = machine.advance(t.record, on: .resume, now: t0.addingTimeInterval(3_600))
        #expect(end.record.step == .retiring, "no probe after an operator accepted the rotation")
        #expect(end.action == .deleteOld(consumerIDs: [7]))
    }

    @Test func acceptingWithRevokeOldNowRetiresAtOnce() {
        let unconfirmed = machine.advance(published(), on: .hooksRan(failures: ["x"]), now: t0).record
        let t = machine.advance(unconfirmed, on: .accepted(revokeOldNow: true), now: t0)
        #expect(t.record.revokeOldNow, "an event of the machine, not an edit by the caller")
        #expect(t.record.step == .retiring)
        #expect(t.action == .deleteOld(consumerIDs: [7]))
    }

    @Test func acceptingAFailedProbeRetiresAtOnce() {
        let grace = machine.advance(published(), on: .hooksRan(failures: []), now: t0).record
        let end = t0.addingTimeInterval(3_600)
        let failed = machine.advance(grace, on: .probed(failures: ["x"]), now: end).record
        let t = machine.advance(failed, on: .accepted(revokeOldNow: false), now: end.addingTimeInterval(5))
        #expect(t.record.step == .retiring, "grace has already ended")
        #expect(t.action == .deleteOld(consumerIDs: [7]))
    }

    @Test func acceptedInGraceNeedsNoProbeAfterIt() {
        // What `rotate NAME --accept-unconfirmed` does to a rotation held in grace because its consumer left the
        // configuration: grace runs on, then the old consumer is retired without a probe.
        let grace = machine.advance(published(), on: .hooksRan(failures: []), now: t0).record
        let t = machine.advance(grace, on: .accepted(revokeOldNow: false), now: t0)
        #expect(t.record.step == .grace && t.record.acceptedUnconfirmed == true)
        #expect(t.action.kind == .waitUntil)
        let end = machine.advance(t.record, on: .unmanaged, now: t0.addingTimeInterval(3_600))
        #expect(end.record.step == .retiring, "accepted: no probe, and leaving the configuration does not hold it")
    }

    @Test func unmanagedAfterPublishIsHeldWithBothConsumers() {
        for record in [published(), machine.advance(published(), on: .hooksRan(failures: []), now: t0).record] {
            let t = machine.advance(record, on: .unmanaged, now: t0.addingTimeInterval(7_200))
            #expect(t.record == record, "nothing changes while held")
            #expect(t.action.kind == .hold)
            let ended = machine.advance(record, on: .abandon, now: t0.addingTimeInterval(7_200))
            #expect(ended.record.step == .abandoned && ended.record.newSecret == nil)
            #expect(ended.record.failure?.contains("both consumers kept") == true)
        }
    }

    @Test func theJournalOfAnUnconfirmedRotationRoundTripsAndHoldsNoSecret() throws {
        let r = machine.advance(published(), on: .hooksRan(failures: ["x"]), now: t0).record
        let data = try JSONEncoder().encode(r)
        #expect(!String(decoding: data, as: UTF8.self).contains("S3cr3t"))
        #expect(try JSONDecoder().decode(RotationRecord.self, from: data) == r)
    }
}
