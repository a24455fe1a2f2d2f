import Foundation
import FracttalClient
import FracttalSimulator
import RotordCore
import RotordTestKit
import Synchronization
import Testing

/// One hostile or broken answer, the call that meets it, and what the client must say.
struct HostileCase: Sendable, CustomTestStringConvertible {
    enum Call: Sendable { case list, create, delete, read, groups }

    var name: String
    var call: Call
    var faults: SimulatorFaults
    /// The field the error must name (`nil`: the body was not JSON, or the status speaks).
    var field: String?
    /// The operation's words the error must contain.
    var operation: String

    var testDescription: String { name }

    static func make(
        _ name: String, _ call: Call, field: String?, operation: String? = nil, _ set: (inout SimulatorFaults) -> Void
    ) -> HostileCase {
        var faults = SimulatorFaults()
        set(&faults)
        let words: String
        switch call {
        case .list: words = "listing consumers"
        case .create: words = "creating a consumer named hostile"
        case .delete: words = "deleting consumer 2"
        case .read: words = "reading consumer 2"
        case .groups: words = "listing permission groups"
        }
        return HostileCase(name: name, call: call, faults: faults, field: field, operation: operation ?? words)
    }

    /// Every kind: each must end in a typed error naming the operation (and the field), never a crash,
    /// a partial list, or a believed create.
    static let all: [HostileCase] = [
        make("list answers 200 success:false without data", .list, field: "success") { $0.listSuccessFalse = true },
        make("list answers success:true without data", .list, field: "data") { $0.listWithoutData = true },
        make("list data is an object, not an array", .list, field: "data") { $0.listDataNotArray = true },
        make("list entry lacks its key", .list, field: "data[0].key") { $0.listBrokenEntry = true },
        make("list entry has an impossible date", .list, field: "data[0].created_at") { $0.impossibleDates = true },
        make("list pages repeat forever", .list, field: "data") {
            $0.repeatPages = true
            $0.reportedTotal = 1_000_000
        },
        make("list total smaller than the records", .list, field: "total") { $0.reportedTotal = 1 },
        make("list total is not a number", .list, field: "total") { $0.totalText = "many" },
        make("list total is negative", .list, field: "total") { $0.reportedTotal = -5 },
        make("list answer lacks success", .list, field: "success") { $0.omitSuccess = true },
        make("list answer is not JSON", .list, field: nil) { $0.malformedNextResponses = 100 },
        make("create answers 200 success:false", .create, field: "success") { $0.createSuccessFalse = true },
        make("create answer lacks the secret", .create, field: "data.secret") { $0.createWithoutSecret = true },
        make("create answer has a short secret", .create, field: "data.secret") {
            $0.createAnswerSecret = "Sh0rtS3cr3t"
        },
        make("create answer has a secret with symbols", .create, field: "data.secret") {
            $0.createAnswerSecret = "abcdefghijklmnopqrstuvwxyz-+/=!?"
        },
        make("create answer carries an old consumer's id", .create, field: "data.id") { $0.createAnswerID = 2 },
        make("create answer carries another group", .create, field: "data.permission_group_id") {
            $0.createAnswerGroup = 1
        },
        make("create answer carries another name", .create, field: "data.name") { $0.createAnswerName = "c0" },
        make("create answer has an impossible date", .create, field: "data.created_at") {
            $0.impossibleDates = true
        },
        make("create answer lacks success", .create, field: "success") { $0.omitSuccess = true },
        make("create answer is not JSON", .create, field: nil) { $0.malformedNextResponses = 1 },
        make("delete answers 200 success:false", .delete, field: "success") { $0.deleteSuccessFalse = true },
        make("read answer has an impossible date", .read, field: "data.created_at") { $0.impossibleDates = true },
        make("read answer lacks success", .read, field: "success") { $0.omitSuccess = true },
        make("groups answer lacks success", .groups, field: "success") { $0.omitSuccess = true },
        make("every request answers 429 with Retry-After", .list, field: nil) {
            $0.tooManyRequests = 1_000
            $0.retryAfterSeconds = 1
        },
        make("every request answers 503", .delete, field: nil) {
            $0.failNextRequests = 1_000
            $0.failureStatus = 503
        },
    ]
}

/// A whole catalogue of malformed and hostile answers fed to the client by the in-process simulator.
@Suite(.timeLimit(.minutes(2)))
struct HostileServerTests {
    static let adminKey = "AdminKeyAdminKey18"
    static let adminSecret = "AdminSecretAdminSecretAdminSec32"

    func withSimulator(
        consumers: Int = 3, operationTimeout: Duration = .seconds(30), clock: any Clock<Duration> = ContinuousClock(),
        _ body: (FracttalClient, FracttalSimulator) async throws -> Void
    ) async throws {
        var seed: [SimulatorSeed.Consumer] = [
            .init(name: "rotord-admin", permissionGroupId: 1, key: Self.adminKey, secret: Self.adminSecret)
        ]
        for i in 0..<consumers { seed.append(.init(name: "c\(i)", description: "d\(i)", permissionGroupId: 3)) }
        let simulator = FracttalSimulator(
            configuration: SimulatorConfiguration(requestsPerMinute: 0),
            seed: SimulatorSeed(
                permissionGroups: [
                    .init(id: 1, name: "Super Administrador", superAdmin: true), .init(id: 3, name: "Reportes"),
                ], consumers: seed))
        let port = try await simulator.start()
        // Retries spaced by a jitter-free, short backoff. The operation's deadline also caps each exchange's real
        // timeout: 30 s leaves every exchange its whole 10 s on a machine busy starting every suite at once (with 4 s,
        // loaded runs saw listings time out before the hostile answer was even asked for).
        let client = FracttalClient(
            configuration: FracttalClientConfiguration(
                tokenURL: "http://127.0.0.1:\(port)/oauth/token", apiURL: "http://127.0.0.1:\(port)/api",
                // No case here waits on a hang: the timeout only has to outlast a loaded machine.
                requestsPerMinute: 0, timeout: .seconds(10), retries: 2, operationTimeout: operationTimeout),
            credentials: FracttalCredentials(key: Self.adminKey, secret: Self.adminSecret),
            backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(50), random: { 1 }), clock: clock)
        do {
            try await body(client, simulator)
        } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }

    @Test(arguments: HostileCase.all)
    func refusedWithATypedErrorNamingTheOperation(_ hostile: HostileCase) async throws {
        // A 429's Retry-After is waited out on a manual clock, which the hostile call advances.
        let clock = ManualClock()
        try await withSimulator(clock: clock) { client, simulator in
            let known = try await client.listConsumers()  // what the client knows before the hostile answer
            #expect(known.count == 4)
            await simulator.setFaults(hostile.faults)
            do {
                try await clock.advancing(by: FracttalClient.waitSlice, upTo: .seconds(60)) {
                    switch hostile.call {
                    case .list: _ = try await client.listConsumers()
                    case .create:
                        _ = try await client.createConsumer(
                            NewFracttalConsumer(
                                name: "hostile", description: "x [rotord:r1-0000abcd]", permissionGroupId: 3))
                    case .delete: try await client.deleteConsumer(id: 2)
                    case .read: _ = try await client.consumer(id: 2)
                    case .groups: _ = try await client.permissionGroups()
                    }
                }
                Issue.record("\(hostile.name): the client believed the answer")
            } catch let error as FracttalError {
                let text = error.description
                #expect(text.contains(hostile.operation), "\(hostile.name): \(text)")
                if let field = hostile.field {
                    #expect(error.field == field, "\(hostile.name): field \(error.field ?? "none"): \(text)")
                    #expect(text.contains(field), "\(hostile.name): \(text)")
                }
                #expect(error.isTransient, "\(hostile.name): a hostile answer is retried later, not final: \(text)")
                if hostile.call == .create {
                    #expect(error.mayHaveTakenEffect, "\(hostile.name): a refused create may exist: \(text)")
                }
                // Never a secret in an error.
                await simulator.setFaults(SimulatorFaults())
                for consumer in await simulator.consumers() {
                    #expect(!text.contains(consumer.secret ?? "-"), "\(hostile.name): a secret in \(text)")
                }
                #expect(!text.contains("Sh0rtS3cr3t") && !text.contains("abcdefghijklmnopqrstuvwxyz"))
            }
            let created = await simulator.statistics().created
            #expect(created <= 1, "\(hostile.name): \(created) creates")
        }
    }

    @Test func theCatalogueIsLargeEnough() {
        let kinds = Set(HostileCase.all.map(\.name)).count
        print("hostile server (client): \(kinds) kinds of malformed or hostile answers, each a typed error")
        #expect(kinds >= 20)
    }

    @Test func a429WithRetryAfterIsWaitedOutThenSucceeds() async throws {
        // The client's clock is manual: the test moves it through the wait (Retry-After 1 s, plus
        // a second for the server's rounding), nothing sleeps real time. (With a 4 s operation deadline, one CI run
        // saw the 429 exchange itself time out, and the retry got the 200.)
        let clock = ManualClock()
        try await withSimulator(clock: clock) { client, simulator in
            var faults = SimulatorFaults()
            faults.tooManyRequests = 1
            faults.retryAfterSeconds = 1
            await simulator.setFaults(faults)
            let count = try await clock.advancing(by: FracttalClient.waitSlice, upTo: .seconds(10)) {
                try await client.listConsumers().count
            }
            #expect(count == 4)
            #expect(clock.now.offset >= .seconds(1), "waited for Retry-After: \(clock.now.offset)")
            #expect(client.requestBudget.traffic.rateLimitWaitSeconds >= 1, "\(client.requestBudget.traffic)")
        }
    }

    @Test func aLyingLargeTotalEndsAtTheEmptyPage() async throws {
        try await withSimulator { client, simulator in
            var faults = SimulatorFaults()
            faults.reportedTotal = 1_000_000
            await simulator.setFaults(faults)
            let before = await simulator.statistics().apiRequests
            let count = try await client.listConsumers().count
            #expect(count == 4)
            #expect(await simulator.statistics().apiRequests - before == 2, "one page, then the empty page")
        }
    }

    @Test func pagesBeyondAShortPageAreReadWhenTotalSaysSo() async throws {
        try await withSimulator(consumers: 150) { client, _ in
            let count = try await client.listConsumers().count
            #expect(count == 151)
        }
    }

    @Test func aValidCreateIsBelieved() async throws {
        try await withSimulator { client, _ in
            _ = try await client.listConsumers()
            let created = try await client.createConsumer(
                NewFracttalConsumer(name: "fine", description: "ok [rotord:r1-0000abcd]", permissionGroupId: 3))
            #expect(created.secret.count == 32)
        }
    }

    @Test func olderFaultJSONStillDecodes() throws {
        let faults = try JSONDecoder().decode(SimulatorFaults.self, from: Data(#"{"latency": 0.5}"#.utf8))
        #expect(faults.latency == 0.5)
        var expected = SimulatorFaults()
        expected.latency = 0.5
        #expect(faults == expected)
        var all = SimulatorFaults()
        all.createAnswerID = 7
        all.failureRate = 0.3
        let again = try JSONDecoder().decode(SimulatorFaults.self, from: JSONEncoder().encode(all))
        #expect(again == all)
    }

    @Test(arguments: [
        "2026-02-31T10:00:00Z", "2026-04-31", "2025-02-29T00:00:00+00:00", "1900-02-29", "2026-01-01T24:00:00Z",
        "2026-01-01T23:59:60Z", "2026-01-01T23:60:00Z", "2026-01-01T10:00:00+24:00", "2026-01-01T10:00:00+05:60",
    ])
    func impossibleDatesAreRefused(text: String) {
        #expect(FracttalDate.parse(text) == nil, "\(text)")
    }

    @Test(arguments: ["2024-02-29T10:00:00Z", "2000-02-29", "2026-12-31T23:59:59.999999+00:00"])
    func possibleEdgeDatesAreAccepted(text: String) {
        #expect(FracttalDate.parse(text) != nil, "\(text)")
    }
}

@Suite struct BackoffTests {
    /// A deterministic random source: the values in turn, forever.
    final class Draws: Sendable {
        let values: [Double]
        let index = Mutex(0)
        init(_ values: [Double]) { self.values = values }
        func next() -> Double {
            index.withLock { i in
                defer { i += 1 }
                return values[i % values.count]
            }
        }
    }

    @Test func boundsDoubleUpToTheCap() {
        let backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30), random: { 1 })
        #expect(backoff.bound(attempt: 1) == .milliseconds(500))
        #expect(backoff.bound(attempt: 2) == .seconds(1))
        #expect(backoff.bound(attempt: 3) == .seconds(2))
        #expect(backoff.bound(attempt: 7) == .seconds(30), "32 s capped")
        #expect(backoff.bound(attempt: 1_000) == .seconds(30), "no overflow")
        #expect(backoff.bound(attempt: 0) == .milliseconds(500))
        #expect(backoff.delay(attempt: 3) == .seconds(2), "random 1 is the bound")
    }

    @Test func fullJitterStaysInRange() {
        let backoff = Backoff.standard
        var distinct: Set<Duration> = []
        for attempt in 1...10 {
            for _ in 0..<200 {
                let d = backoff.delay(attempt: attempt)
                #expect(d >= .zero && d <= backoff.bound(attempt: attempt))
                distinct.insert(d)
            }
        }
        #expect(distinct.count > 100, "jittered, not fixed")
        let zero = Backoff(random: { 0 })
        #expect(zero.delay(attempt: 5) == .zero, "full jitter reaches zero")
        let wild = Backoff(random: { 7 })
        #expect(wild.delay(attempt: 1) == .milliseconds(500), "a random source out of range is clamped")
    }

    @Test func deterministicWithAnInjectedRandomSource() {
        let a = Draws([0.25, 0.5, 0.75])
        let b = Draws([0.25, 0.5, 0.75])
        let one = Backoff(initial: .seconds(1), maximum: .seconds(8), random: { a.next() })
        let two = Backoff(initial: .seconds(1), maximum: .seconds(8), random: { b.next() })
        let first = (1...6).map { one.delay(attempt: $0) }
        #expect(first == (1...6).map { two.delay(attempt: $0) })
        #expect(first == [.milliseconds(250), .seconds(1), .seconds(3), .seconds(2), .seconds(4), .seconds(6)])
    }

    @Test func waitsThroughTheInjectedSleep() async throws {
        let slept = Mutex<[Duration]>([])
        let backoff = Backoff(
            initial: .seconds(10), maximum: .seconds(40), random: { 1 },
            sleep: { d in slept.withLock { $0.append(d) } })
        let start = ContinuousClock.now
        for attempt in 1...4 { try await backoff.wait(attempt: attempt) }
        #expect(slept.withLock { $0 } == [.seconds(10), .seconds(20), .seconds(40), .seconds(40)])
        #expect(ContinuousClock.now - start < .seconds(10), "never really slept (it would take 110 s)")
    }

    @Test func aServerHintIsNeverShortened() {
        let backoff = Backoff(initial: .milliseconds(500), random: { 0.5 })
        #expect(backoff.delay(attempt: 9, hint: .seconds(5)) == .milliseconds(5_250))
        #expect(Backoff(random: { 0 }).delay(attempt: 1, hint: .seconds(3)) == .seconds(3))
    }
}

@Suite struct SharedRequestBudgetTests {
    @Test func aRebuiltClientKeepsTheBudget() async throws {
        let shared = SharedRequestBudget(limit: 2)
        let t0 = ContinuousClock.now
        shared.withBudget {
            $0.record(at: t0)
            $0.record(at: t0)
        }
        #expect(shared.withBudget { $0.delay(at: t0) } == .seconds(60), "spent")
        let configuration = FracttalClientConfiguration(
            tokenURL: "http://127.0.0.1:9/oauth/token", apiURL: "http://127.0.0.1:9/api", requestsPerMinute: 3)
        let credentials = FracttalCredentials(key: "k", secret: "s")
        let rebuilt = FracttalClient(configuration: configuration, credentials: credentials, budget: shared)
        #expect(rebuilt.requestBudget === shared)
        #expect(shared.limit == 3, "the new configuration's limit")
        #expect(shared.withBudget { $0.delay(at: t0) } == .zero, "one more allowed, not a full budget")
        shared.withBudget { $0.record(at: t0) }
        #expect(shared.withBudget { $0.delay(at: t0) } == .seconds(60))
        shared.withBudget { $0.observe(remaining: 0, reset: .seconds(90), at: t0) }
        shared.setLimit(100)
        #expect(shared.withBudget { $0.delay(at: t0) } == .seconds(91), "the server's wait survives too")
    }
}

@Suite struct RemainingCountTests {
    @Test func theServersRemainingCountLowersTheBudgetAtOnce() {
        var budget = RequestBudget(limit: 200)
        let t0 = ContinuousClock.now
        budget.record(at: t0)
        budget.observe(remaining: 2, reset: .seconds(10), at: t0)
        #expect(budget.delay(at: t0) == .zero)
        budget.record(at: t0)  // two requests sent before their answers came back
        budget.record(at: t0)
        #expect(budget.delay(at: t0) == .seconds(11), "no third request before the reset")
        #expect(budget.delay(at: t0.advanced(by: .seconds(11))) == .zero, "a new window")
        budget.observe(remaining: 150, reset: .seconds(30), at: t0.advanced(by: .seconds(12)))
        #expect(budget.delay(at: t0.advanced(by: .seconds(12))) == .zero)
    }
}
