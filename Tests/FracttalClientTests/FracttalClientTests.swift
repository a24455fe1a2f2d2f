import Foundation
import FracttalClient
import FracttalSimulator
import RotordTestKit
import Synchronization
import Testing

@Suite struct FracttalDateTests {
    @Test(arguments: [
        ("2020-02-25T20:19:54.260926+00:00", 1_582_661_994.260926),
        ("2020-02-25T20:19:54Z", 1_582_661_994.0),
        ("2020-02-25T20:19:54", 1_582_661_994.0),
        ("2020-02-25 20:19:54.5", 1_582_661_994.5),
        ("2020-02-25T17:19:54-03:00", 1_582_661_994.0),
        ("2020-02-25T20:19:54.260926+0000", 1_582_661_994.260926),
        ("2020-02-25", 1_582_588_800.0),
    ])
    func parsesEveryDocumentedForm(text: String, seconds: Double) throws {
        let date = try #require(FracttalDate.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_01)
    }

    @Test(arguments: ["", "yesterday", "2020-13-01T00:00:00Z", "2020-02-25T20:19:54+", "2020-02-25T20:19:54.Z"])
    func rejectsGarbage(text: String) {
        #expect(FracttalDate.parse(text) == nil)
    }

    @Test func formatsLikeTheAPI() {
        #expect(
            FracttalDate.format(Date(timeIntervalSince1970: 1_582_661_994.260926)) == "2020-02-25T20:19:54.260926+00:00"
        )
    }
}

@Suite struct RequestBudgetTests {
    @Test func slidingWindowNeverExceedsTheLimit() {
        var budget = RequestBudget(limit: 3, window: .seconds(60))
        let t0 = ContinuousClock.now
        for i in 0..<3 {
            #expect(budget.delay(at: t0.advanced(by: .seconds(i))) == .zero)
            budget.record(at: t0.advanced(by: .seconds(i)))
        }
        #expect(budget.delay(at: t0.advanced(by: .seconds(10))) == .seconds(50))
        #expect(budget.delay(at: t0.advanced(by: .seconds(60))) == .zero)
    }

    @Test func serverSaysNothingRemains() {
        var budget = RequestBudget(limit: 100)
        let t0 = ContinuousClock.now
        budget.observe(remaining: 0, reset: .seconds(20), at: t0)
        #expect(budget.delay(at: t0) == .seconds(21))
        budget.observe(remaining: 5, reset: .seconds(20), at: t0)
        #expect(budget.delay(at: t0.advanced(by: .seconds(21))) == .zero)
    }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// The client against the simulator over real HTTP on 127.0.0.1.
@Suite(.timeLimit(.minutes(1)))
struct FracttalClientTests {
    static let adminKey = "AdminKeyAdminKey12"
    static let adminSecret = "AdminSecretAdminSecretAdminSec12"

    func withSimulator(
        consumers: Int = 3, requestsPerMinute: Int = 0, faults: SimulatorFaults = .init(),
        auth: FracttalClientConfiguration.ClientAuthentication = .basic, onWait: @escaping @Sendable () -> Void = {},
        clock: any Clock<Duration> = ContinuousClock(), _ body: (FracttalClient, FracttalSimulator) async throws -> Void
    ) async throws {
        var seed: [SimulatorSeed.Consumer] = [
            .init(name: "rotord-admin", permissionGroupId: 1, key: Self.adminKey, secret: Self.adminSecret)
        ]
        for i in 0..<consumers { seed.append(.init(name: "c\(i)", description: "d\(i)", permissionGroupId: 3)) }
        let simulator = FracttalSimulator(
            configuration: SimulatorConfiguration(requestsPerMinute: requestsPerMinute),
            seed: SimulatorSeed(
                permissionGroups: [
                    .init(id: 1, name: "Super Administrador", superAdmin: true), .init(id: 3, name: "Reportes"),
                ], consumers: seed))
        let port = try await simulator.start()
        await simulator.setFaults(faults)
        let client = FracttalClient(
            configuration: FracttalClientConfiguration(
                tokenURL: "http://127.0.0.1:\(port)/oauth/token", apiURL: "http://127.0.0.1:\(port)/api",
                clientAuthentication: auth,
                // No test here waits on a hang: the timeout only has to outlast a loaded machine.
                requestsPerMinute: 0, timeout: .seconds(10), retries: 2),
            credentials: FracttalCredentials(key: Self.adminKey, secret: Self.adminSecret), onWait: onWait,
            clock: clock)
        do {
            try await body(client, simulator)
        } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }

    @Test func listsAllPagesCreatesAndDeletes() async throws {
        try await withSimulator(consumers: 230) { client, simulator in
            let all = try await client.listConsumers()
            #expect(all.count == 231)
            #expect(Set(all.map(\.id)).count == 231)
            let created = try await client.createConsumer(
                NewFracttalConsumer(name: "new", description: "x [rotord:r1]", permissionGroupId: 3))
            #expect(created.consumer.name == "new")
            #expect(created.secret.count == 32)
            #expect(!created.description.contains(created.secret))
            #expect(try await client.verify(created.credentials))
            #expect(try await client.deleteConsumer(id: created.consumer.id))
            #expect(try await client.deleteConsumer(id: created.consumer.id) == false, "already absent is success")
            #expect(try await !client.verify(created.credentials))
            #expect(try await client.permissionGroups().map(\.name) == ["Super Administrador", "Reportes"])
            #expect(try await client.consumer(id: 999) == nil)
        }
    }

    @Test func formAuthenticationAndQuirks() async throws {
        var faults = SimulatorFaults()
        faults.totalAsString = true
        faults.datesWithoutOffset = true
        try await withSimulator(consumers: 120, faults: faults, auth: .form) { client, _ in
            let all = try await client.listConsumers()
            #expect(all.count == 121)
        }
    }

    @Test func typedErrorsNameTheOperation() async throws {
        try await withSimulator { client, _ in
            do {
                _ = try await client.createConsumer(
                    NewFracttalConsumer(name: "x", description: nil, permissionGroupId: 42))
                Issue.record("expected an error")
            } catch let error as FracttalError {
                #expect(error.status == 400)
                #expect(error.description.contains("creating a consumer named x"))
                #expect(error.description.contains("permission group 42 does not exist"))
                #expect(!error.isTransient)
            }
        }
    }

    @Test func retriesTransientFailuresButNeverACreate() async throws {
        var faults = SimulatorFaults()
        faults.failNextRequests = 1
        faults.failureStatus = 503
        try await withSimulator(faults: faults) { client, simulator in
            #expect(try await client.listConsumers().count == 4, "a 503 on a list is retried")
            var lose = SimulatorFaults()
            lose.loseNextCreateResponses = 1
            await simulator.setFaults(lose)
            do {
                _ = try await client.createConsumer(
                    NewFracttalConsumer(name: "lost", description: "m", permissionGroupId: 3))
                Issue.record("expected an error")
            } catch let error as FracttalError {
                #expect(error.mayHaveTakenEffect, "\(error)")
            }
            #expect(await simulator.statistics().created == 1, "no blind second create")
        }
    }

    @Test(arguments: [false, true])
    func honoursTheServersRemainingCount(alternateHeaders: Bool) async throws {
        // The server allows 3 per window; the client's own budget is unlimited, but after the
        // server says "0 remaining" it waits for the reset instead of meeting a 406. The client's
        // clock is manual: the test moves time, nothing sleeps real time (the HTTP is real).
        var faults = SimulatorFaults()
        faults.alternateRateLimitHeaders = alternateHeaders
        let clock = ManualClock()
        // While it waits, the client reports that it is alive (for the daemon's watchdog).
        let beats = Counter()
        try await withSimulator(requestsPerMinute: 3, faults: faults, onWait: { beats.increment() }, clock: clock) {
            client, simulator in
            _ = try await client.permissionGroups()
            _ = try await client.permissionGroups()
            _ = try await client.permissionGroups()
            // The fourth request waits for the window's reset (up to a minute, in slices).
            let fourth = Task { _ = try await client.permissionGroups() }
            defer { fourth.cancel() }  // also when an expectation below throws
            try await clock.waitForSleepers()
            #expect(await simulator.statistics().apiRequests == 3, "the fourth request waits, unsent")
            let before = beats.value
            for _ in 0..<3 {
                clock.advance(by: FracttalClient.waitSlice)
                try await clock.waitForSleepers()
            }
            #expect(beats.value - before >= 2, "\(beats.value - before) progress calls in 1.5 s of waiting")
            // Waiting on for the reset would meet the simulator's real window: end the wait here.
            fourth.cancel()
            await #expect(throws: FracttalError.self) { try await fourth.value }
            // The waits are counted for the metrics (rotord_rate_limit_waits_total).
            let traffic = client.requestBudget.traffic
            #expect(traffic.rateLimitWaits >= 1 && traffic.rateLimitWaitSeconds >= 1.5, "\(traffic)")
            #expect(traffic.responses["200"] == 3, "\(traffic.responses)")
            #expect(await simulator.statistics().rateLimited == 0)
            #expect(await simulator.statistics().apiRequests == 3)
        }
    }
}
