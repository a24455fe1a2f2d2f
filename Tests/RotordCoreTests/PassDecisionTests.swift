import Foundation
import RotordCore
import Testing

/// The decisions of a reconcile pass, without a journal, a network or a clock: what is driven with which first
/// event, what starts, what is told, and when the daemon wakes.
@Suite struct PassDecisionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func current(_ name: String, id: Int = 7) -> ConsumerRecord {
        ConsumerRecord(
            id: id, name: name, description: "integration", permissionGroupId: 3, permissionGroup: "Ops",
            key: "KEY-\(name)", createdAt: now.addingTimeInterval(-100 * 86_400))
    }

    static func entry(_ name: String, _ status: PlanEntry.Status, deferred: Bool = false, next: Date? = nil)
        -> PlanEntry
    {
        var entry = PlanEntry(
            managed: ManagedConsumer(name: name, permissionGroup: "Ops"), current: current(name),
            liveConsumers: [current(name)], status: status)
        entry.deferred = deferred
        entry.nextDeadline = next
        return entry
    }

    static func record(_ name: String, step: RotationStep) -> RotationRecord {
        var record = PassDecision.Start(
            consumer: ManagedConsumer(name: name, permissionGroup: "Ops"), current: current(name), trigger: "due",
            revokeOldNow: false
        ).record(now: now, id: "r-\(name)")
        record.step = step
        return record
    }

    @Test func inFlightRotationsResumeWithWhatTheOperatorAsked() {
        let active = [
            Self.record("plain", step: .verified), Self.record("forced", step: .grace),
            Self.record("accepted", step: .unconfirmed), Self.record("notAcceptable", step: .created),
            Self.record("abandoned", step: .unconfirmed),
        ]
        let decision = PassDecision(
            request: .init(
                force: ["forced": false], accept: ["accepted": true, "notAcceptable": true, "abandoned": false],
                abandon: ["abandoned"]))
        let firsts = decision.resuming(active, isManaged: { _ in true }).map { action -> RotationEvent? in
            if case .drive(_, let first) = action { first } else { nil }
        }
        #expect(firsts == [.resume, .forced, .accepted(revokeOldNow: true), .resume, .abandon])
    }

    @Test func onlyLimitsBothDrivingAndStarting() {
        let decision = PassDecision(request: .init(only: "b"))
        let active = [Self.record("a", step: .verified), Self.record("b", step: .verified)]
        #expect(decision.resuming(active, isManaged: { _ in true }).count == 1)
        let plan = RotationPlan(entries: [Self.entry("a", .due), Self.entry("b", .due)], now: Self.now)
        let started = decision.starting(plan).compactMap { action -> String? in
            if case .start(let start) = action { start.consumer.name } else { nil }
        }
        #expect(started == ["b"])
    }

    @Test func startsProblemsAndBlockedConsumersInPlanOrder() {
        let plan = RotationPlan(
            entries: [
                Self.entry("due", .due), Self.entry("held", .due, deferred: true), Self.entry("ok", .ok),
                Self.entry("missing", .missing), Self.entry("blocked", .due), Self.entry("blockedMissing", .missing),
                Self.entry("forced", .ok), Self.entry("flight", .inFlight(Self.record("flight", step: .grace))),
            ], now: Self.now)
        let decision = PassDecision(
            request: .init(force: ["forced": true]), blocked: .init(names: ["blocked", "blockedMissing"]))
        let actions = decision.starting(plan)
        #expect(actions.count == 3)
        guard actions.count == 3 else { return }
        if case .start(let start) = actions[0] {
            #expect(start.consumer.name == "due" && start.trigger == "due" && !start.revokeOldNow)
        } else {
            Issue.record("first: \(actions[0])")
        }
        if case .problem(let consumer, let message) = actions[1] {
            #expect(consumer == "missing" && message.contains("does not exist in Fracttal"))
        } else {
            Issue.record("second: \(actions[1])")
        }
        if case .start(let start) = actions[2] {
            #expect(start.consumer.name == "forced" && start.trigger == "manual" && start.revokeOldNow)
            let record = start.record(now: Self.now, id: "r1")
            #expect(record.step == .planned && record.oldConsumerIDs == [7] && record.revokeOldNow)
        } else {
            Issue.record("third: \(actions[2])")
        }
    }

    @Test func anUnreadableRecordWithoutANameBlocksEveryStart() {
        let plan = RotationPlan(entries: [Self.entry("a", .due), Self.entry("b", .missing)], now: Self.now)
        #expect(PassDecision(blocked: .init(everything: true)).starting(plan).isEmpty)
    }

    @Test func aBlockedConsumerDoesNotWakeTheDaemon() {
        let soon = Self.now.addingTimeInterval(60)
        let later = Self.now.addingTimeInterval(3_600)
        let plan = RotationPlan(
            entries: [Self.entry("blocked", .due, next: soon), Self.entry("other", .ok, next: later)], now: Self.now)
        let grace = Timing.Wake(at: Self.now.addingTimeInterval(600), reason: .grace, consumer: "g")
        let (settled, wake) = PassDecision(blocked: .init(names: ["blocked"])).settle(
            plan, at: Self.now, waits: [grace])
        #expect(settled.entries[0].nextDeadline == nil)
        #expect(settled.entries[0].reason?.contains("rotord repair") == true)
        #expect(wake == grace, "the grace end, not the blocked consumer's due date")
        let unblocked = PassDecision().settle(plan, at: Self.now, waits: [grace]).wake
        #expect(unblocked?.at == soon && unblocked?.consumer == "blocked")
    }
}
