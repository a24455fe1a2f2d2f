import Foundation
import RotordCore
import Testing

@Suite struct RotationPlannerTests {
    let now = Date(timeIntervalSince1970: 1_780_000_000)
    let planner = RotationPlanner()

    func consumer(_ id: Int, _ name: String, ageDays: Double, group: Int = 3) -> ConsumerRecord {
        ConsumerRecord(
            id: id, name: name, permissionGroupId: group, key: "KEY\(id)xxxxxxxxxxxxxx",
            createdAt: now.addingTimeInterval(-ageDays * 86_400))
    }

    func config(_ names: [String], policy: RotationPolicy = .init()) -> RotordConfiguration {
        RotordConfiguration(
            fracttal: FracttalSettings(),
            consumers: names.map { ManagedConsumer(name: $0, permissionGroup: "Reportes", policy: policy) })
    }

    @Test func dueFreshMissingAndMismatch() {
        let plan = planner.plan(
            configuration: config(["old", "fresh", "gone", "wrong-group"]),
            consumers: [
                consumer(1, "old", ageDays: 100), consumer(2, "fresh", ageDays: 5),
                consumer(3, "wrong-group", ageDays: 100, group: 4), consumer(4, "unmanaged", ageDays: 400),
            ],
            groupNames: [3: "Reportes", 4: "Integraciones"], active: [], history: [:], now: now)
        #expect(plan.entries.map(\.status) == [.due, .ok, .missing, .groupMismatch(actual: "Integraciones")])
        #expect(plan.due.map(\.managed.name) == ["old"])
        #expect(plan.entries[1].nextDeadline == now.addingTimeInterval((83 - 5) * 86_400))
        #expect(plan.nextDeadline == now)
    }

    @Test func groupByIdIsAccepted() {
        let config = RotordConfiguration(
            fracttal: FracttalSettings(), consumers: [ManagedConsumer(name: "old", permissionGroup: "3")])
        let plan = planner.plan(
            configuration: config, consumers: [consumer(1, "old", ageDays: 100)], groupNames: [3: "Reportes"],
            active: [], history: [:], now: now)
        #expect(plan.entries[0].status == .due)
    }

    /// Issue 14: outside a rotation, two candidates of one name are a problem, not "the newest wins".
    @Test func severalConsumersOfANameAreAmbiguous() {
        let plan = planner.plan(
            configuration: config(["x"]), consumers: [consumer(1, "x", ageDays: 100), consumer(2, "x", ageDays: 1)],
            groupNames: [3: "Reportes"], active: [], history: [:], now: now)
        #expect(plan.entries[0].current == nil)
        #expect(plan.entries[0].liveConsumers.count == 2)
        #expect(plan.entries[0].status == .ambiguous(ids: [1, 2]))
        #expect(plan.entries[0].isProblem)
    }

    @Test func inFlightRotationIsNotStartedAgain() {
        let record = RotationRecord(
            id: "r1", consumerName: "old", trigger: "due", now: now, oldConsumers: [],
            authorizationType: "client_credentials",
            permissionGroupID: 3, fracttalHub: false, originalDescription: nil, grace: .hours(1))
        let plan = planner.plan(
            configuration: config(["old"]), consumers: [consumer(1, "old", ageDays: 100)], groupNames: [3: "Reportes"],
            active: [record], history: [:], now: now)
        #expect(plan.entries[0].status == .inFlight(record))
        #expect(plan.due.isEmpty)
    }

    @Test func failuresBackOff() {
        let history = [
            "old": ConsumerHistory(
                consecutiveFailures: 2, lastFailureAt: now.addingTimeInterval(-60), lastFailure: "HTTP 400")
        ]
        let plan = planner.plan(
            configuration: config(["old"]), consumers: [consumer(1, "old", ageDays: 100)], groupNames: [3: "Reportes"],
            active: [], history: history, now: now)
        // Two failures: a bound of 10 min after the last one, equal jitter keyed by the name (5–10 min).
        let wait = Backoff.seconds(Backoff.failedRotations.delay(attempt: 2, key: "old"))
        #expect(wait >= 300 && wait <= 600)
        #expect(plan.entries[0].status == .backingOff(until: now.addingTimeInterval(-60 + wait)))
        let later = planner.plan(
            configuration: config(["old"]), consumers: [consumer(1, "old", ageDays: 100)], groupNames: [3: "Reportes"],
            active: [], history: history, now: now.addingTimeInterval(600))
        #expect(later.entries[0].status == .due)
    }

    @Test func closedWindowDefersTheStart() {
        let window = RotationWindow(
            days: [1, 2, 3, 4, 5], startMinute: 120, endMinute: 300, timeZone: TimeZone(identifier: "UTC")!)
        let plan = planner.plan(
            configuration: config(["old"], policy: RotationPolicy(window: window)),
            // Due (83 d) and 5 days from max_age: the window opens before the deadline, so it waits.
            // (Past the deadline it would rotate at once: RotationPolicyDecisionTests.)
            consumers: [consumer(1, "old", ageDays: 85)],
            groupNames: [3: "Reportes"], active: [], history: [:], now: now)
        #expect(plan.entries[0].status == .waitingForWindow(opens: Date(timeIntervalSince1970: 1_780_020_000)))
    }

    @Test func theNextDeadlineIsDefinedOnce() throws {
        // The daemon's wake-up, STATUS='s "next" and the reconciler's report all read it here.
        let plan = planner.plan(
            configuration: config(["a", "b"]),
            consumers: [consumer(1, "a", ageDays: 10), consumer(2, "b", ageDays: 50)],
            groupNames: [3: "Reportes"], active: [], history: [:], now: now)
        let next = try #require(plan.nextEntry(after: now))
        #expect(next.entry.managed.name == "b")
        #expect(plan.nextDeadline(after: now) == next.at)
        let soon = now.addingTimeInterval(5)
        #expect(plan.nextDeadline(after: now, also: [soon]) == soon, "a retry of the pass comes first")
        #expect(plan.nextDeadline(after: now, also: [now.addingTimeInterval(-5)]) == next.at, "the past is not next")
        #expect(plan.nextEntry(after: next.at.addingTimeInterval(1))?.entry.managed.name == "a")
    }

    @Test func plansAThousandConsumers() {
        // That scale works, quickly even in a debug build; how fast 100,000 plan is a benchmark
        // (`scripts/bench.sh planning`, docs/benchmarks.md), not a unit test.
        let names = (0..<1_000).map { "c\($0)" }
        let consumers = names.enumerated().map { consumer($0.offset, $0.element, ageDays: Double($0.offset % 120)) }
        let plan = planner.plan(
            configuration: config(names), consumers: consumers, groupNames: [3: "Reportes"], active: [], history: [:],
            now: now)
        #expect(plan.entries.count == 1_000)
        #expect(plan.due.count > 0)
    }
}
