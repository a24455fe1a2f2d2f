import Foundation
import RotordCore
import Testing

/// Dates written under a wrong clock are bounded by the policy that wrote them (issue 14, point 5).
@Suite struct RotationRecordClampTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let year2099 = Date(timeIntervalSince1970: 4_070_908_800)

    func record(step: RotationStep, enteredAt: Date) -> RotationRecord {
        var r = RotationRecord(
            id: "r1", consumerName: "etl", trigger: "due", now: enteredAt.addingTimeInterval(-60), oldConsumers: [],
            authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false,
            originalDescription: nil, grace: .seconds(3_600))
        r.enter(step, at: enteredAt)
        return r
    }

    @Test func graceUntilIsBoundedByGrace() {
        var r = record(step: .grace, enteredAt: now.addingTimeInterval(-600))
        r.graceUntil = year2099
        let (clamped, notes) = r.clamped(now: now)
        #expect(clamped.graceUntil == now.addingTimeInterval(-600 + 3_600))
        #expect(notes.count == 1 && notes[0].contains("graceUntil"))
    }

    @Test func graceEnteredInTheFutureCountsFromNow() {
        var r = record(step: .grace, enteredAt: year2099)
        r.graceUntil = year2099.addingTimeInterval(3_600)
        #expect(r.clamped(now: now).record.graceUntil == now.addingTimeInterval(3_600))
    }

    @Test func retryAtIsBoundedByTheLongestBackoff() {
        var r = record(step: .creating, enteredAt: now.addingTimeInterval(-10))
        r.retryAt = year2099
        let (clamped, notes) = r.clamped(now: now)
        #expect(clamped.retryAt == now.addingTimeInterval(-10 + RotationRecord.maxRetryDelay))
        #expect(notes.count == 1)
    }

    @Test func saneDatesAreKept() {
        var r = record(step: .grace, enteredAt: now.addingTimeInterval(-60))
        r.graceUntil = now.addingTimeInterval(3_000)
        r.retryAt = now.addingTimeInterval(30)
        let (clamped, notes) = r.clamped(now: now)
        #expect(clamped == r && notes.isEmpty)
    }

    @Test func lastFailureInTheFutureIsClampedToNow() {
        let history = ConsumerHistory(lastFailureAt: year2099, lastFailure: "x")
        let (clamped, note) = history.clamped(now: now)
        #expect(clamped.lastFailureAt == now && note != nil)
        #expect(ConsumerHistory(lastFailureAt: now.addingTimeInterval(-5)).clamped(now: now).note == nil)
    }
}
