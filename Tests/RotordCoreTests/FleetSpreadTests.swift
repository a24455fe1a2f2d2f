import Foundation
import RotordCore
import Testing

/// 500 consumers due together on a fake clock: the schedule never starts more than `max_per_cycle`
/// rotations per pass, every consumer is rotated before its deadline, and the jitter is the same in
/// two planner instances (two "restarts").
@Suite struct FleetSpreadTests {
    let t0 = Date(timeIntervalSince1970: 1_780_000_000)
    let policy = RotationPolicy(maxAge: .days(90), rotateBefore: .days(7), grace: .zero, jitter: .hours(6))

    func configuration(_ count: Int, schedule: RotationSchedule) -> RotordConfiguration {
        var c = RotordConfiguration(
            fracttal: FracttalSettings(),
            consumers: (0..<count).map {
                ManagedConsumer(name: "svc-\($0)", permissionGroup: "Reportes", policy: policy)
            })
        c.schedule = schedule
        return c
    }

    @Test func fiveHundredDueTogetherNeverStampede() throws {
        let config = configuration(500, schedule: RotationSchedule(maxPerCycle: 10, maxConcurrent: 10))
        var consumers = (0..<500).map {
            ConsumerRecord(
                id: $0 + 1, name: "svc-\($0)", permissionGroupId: 3, key: "KEY\($0)xxxxxxxxxx", createdAt: t0)
        }
        var history: [String: ConsumerHistory] = [:]
        var rotatedAt: [String: Date] = [:]
        var now = t0.addingTimeInterval(80 * 86_400)
        var nextID = 1_000
        var passes = 0
        while rotatedAt.count < 500 {
            passes += 1
            try #require(passes < 10_000, "the fleet converges")
            let plan = RotationPlanner().plan(
                configuration: config, consumers: consumers, groupNames: [3: "Reportes"], active: [],
                history: history, now: now)
            let starting = plan.entries.filter(\.startsNow)
            #expect(starting.count <= 10, "at most max_per_cycle per pass")
            for entry in starting {
                let name = entry.managed.name
                #expect(rotatedAt[name] == nil, "\(name) rotated once")
                #expect(now < entry.expiryDate!, "\(name) rotated before its deadline")
                rotatedAt[name] = now
                let index = consumers.firstIndex { $0.name == name }!
                nextID += 1
                consumers[index] = ConsumerRecord(
                    id: nextID, name: name, permissionGroupId: 3, key: "NEW\(nextID)xxxxxxxx", createdAt: now)
                history[name] = ConsumerHistory(lastCompletedID: "r\(nextID)", lastCompletedAt: now)
            }
            now = try #require(plan.nextDeadline.map { max($0, now.addingTimeInterval(1)) })
        }
        let deadline = t0.addingTimeInterval(90 * 86_400)
        #expect(rotatedAt.values.allSatisfy { $0 < deadline })
        // The jitter spread the due dates over 6 h: the rotations did not all happen in one burst.
        let times = rotatedAt.values.sorted()
        #expect(times.last!.timeIntervalSince(times.first!) > 3 * 3_600)
    }

    @Test func deferredEntriesAskForTheNextPassSoon() {
        let config = configuration(25, schedule: RotationSchedule(maxPerCycle: 10))
        let now = t0.addingTimeInterval(100 * 86_400)
        let consumers = (0..<25).map {
            ConsumerRecord(
                id: $0 + 1, name: "svc-\($0)", permissionGroupId: 3, key: "KEY\($0)xxxxxxxxxx", createdAt: t0)
        }
        let plan = RotationPlanner().plan(
            configuration: config, consumers: consumers, groupNames: [3: "Reportes"], active: [], history: [:],
            now: now)
        #expect(plan.entries.filter(\.startsNow).count == 10)
        let deferred = plan.entries.filter(\.deferred)
        #expect(deferred.count == 15)
        #expect(deferred.allSatisfy { $0.nextDeadline == now.addingTimeInterval(1) })
        #expect(deferred.allSatisfy { $0.reason?.contains("max_per_cycle (10)") == true })
    }

    @Test func maxConcurrentCountsRotationsInFlight() {
        let config = configuration(5, schedule: RotationSchedule(maxConcurrent: 2))
        let now = t0.addingTimeInterval(100 * 86_400)
        let consumers = (0..<5).map {
            ConsumerRecord(
                id: $0 + 1, name: "svc-\($0)", permissionGroupId: 3, key: "KEY\($0)xxxxxxxxxx", createdAt: t0)
        }
        let busy = RotationRecord(
            id: "r1", consumerName: "svc-0", trigger: "due", now: now, oldConsumers: [consumers[0]],
            authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false,
            originalDescription: nil, grace: .zero, revokeOldNow: false)
        let plan = RotationPlanner().plan(
            configuration: config, consumers: consumers, groupNames: [3: "Reportes"], active: [busy], history: [:],
            now: now)
        #expect(plan.entries.filter(\.startsNow).count == 1, "2 allowed, 1 already in flight")
    }

    @Test func jitterIsIdenticalAcrossRestarts() {
        let config = configuration(500, schedule: RotationSchedule())
        let consumers = (0..<500).map {
            ConsumerRecord(
                id: $0 + 1, name: "svc-\($0)", permissionGroupId: 3, key: "KEY\($0)xxxxxxxxxx", createdAt: t0)
        }
        let now = t0.addingTimeInterval(86_400)
        let first = RotationPlanner().plan(
            configuration: config, consumers: consumers, groupNames: [3: "Reportes"], active: [], history: [:],
            now: now)
        let second = RotationPlanner().plan(
            configuration: config, consumers: consumers, groupNames: [3: "Reportes"], active: [], history: [:],
            now: now)
        #expect(first.entries.map(\.dueDate) == second.entries.map(\.dueDate))
        #expect(Set(first.entries.compactMap(\.dueDate)).count > 400)
    }
}
