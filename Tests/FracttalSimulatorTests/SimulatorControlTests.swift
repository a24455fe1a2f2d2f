import AsyncHTTPClient
import Foundation
import FracttalSimulator
import NIOHTTP1
import Testing

/// The test-control API under `/_sim/`: off by default, consumers with their secrets, faults,
/// statistics and `accepts`; outside faults, the rate limit and the counters.
@Suite(.timeLimit(.minutes(1)))
struct SimulatorControlTests {
    @Test func offByDefault() async throws {
        let h = try await SimulatorHarness()
        try await h.stopping { () async throws in
            for path in ["/_sim/consumers", "/_sim/statistics", "/_sim/faults"] {
                #expect(try await h.request(.GET, path).status == 404, "\(path)")
            }
            #expect(try await h.request(.POST, "/_sim/accepts", body: "{}").status == 404)
        }
    }

    @Test func refusedOnAnAddressOtherThanLoopback() async throws {
        let simulator = FracttalSimulator(
            configuration: SimulatorConfiguration(host: "0.0.0.0", control: true),
            seed: SimulatorSeed(permissionGroups: [], consumers: []))
        await #expect(throws: SimulatorError.self) { _ = try await simulator.start() }
        await simulator.stop()
    }

    @Test func consumersWithTheirSecrets() async throws {
        let h = try await SimulatorHarness(control: true)
        try await h.stopping { () async throws in
            let answer = try await h.request(.GET, "/_sim/consumers")
            #expect(answer.status == 200)
            let consumers = try JSONDecoder().decode([SimulatorSeed.Consumer].self, from: Data(answer.raw.utf8))
            #expect(consumers.map(\.name) == ["rotord-admin", "reports-etl"])
            #expect(consumers.map(\.id) == [1, 2])
            #expect(answer.raw.contains("\"permission_group_id\""), "the seed format: snake_case")
            // Compared without printing them: a failure shows no secret.
            let adminMatches = consumers.first?.key == h.adminKey && consumers.first?.secret == h.adminSecret
            let userMatches = consumers.last?.key == h.userKey && consumers.last?.secret == h.userSecret
            #expect(adminMatches, "the admin's key and secret")
            #expect(userMatches, "the user's key and secret")
            #expect(consumers.map(\.name) == (await h.simulator.consumers()).map(\.name))
        }
    }

    @Test func faultsRoundTripAndDoNotApplyToControl() async throws {
        let h = try await SimulatorHarness(control: true)
        try await h.stopping { () async throws in
            let initial = try await h.request(.GET, "/_sim/faults")
            #expect(initial.status == 200)
            #expect(try JSONDecoder().decode(SimulatorFaults.self, from: Data(initial.raw.utf8)) == SimulatorFaults())

            var faults = SimulatorFaults()
            faults.latency = 30
            faults.dropNextRequests = 2
            faults.failNextRequests = 1
            faults.failureStatus = 503
            faults.rejectNewCredentials = true
            faults.alternateRateLimitHeaders = true
            let body = String(decoding: try JSONEncoder().encode(faults), as: UTF8.self)
            let put = try await h.request(
                .PUT, "/_sim/faults", headers: [("Content-Type", "application/json")], body: body)
            #expect(put.status == 200)
            #expect(await h.simulator.faults() == faults)

            // Neither the latency nor the drops touch the control API.
            let clock = ContinuousClock()
            let start = clock.now
            let read = try await h.request(.GET, "/_sim/faults")
            // Well under the 30 s of latency, with room for a loaded machine (seen: 5.5 s with every suite starting).
            #expect(clock.now - start < .seconds(15), "no latency on /_sim/")
            #expect(read.status == 200)
            #expect(try JSONDecoder().decode(SimulatorFaults.self, from: Data(read.raw.utf8)) == faults)

            let bad = try await h.request(.PUT, "/_sim/faults", body: "{\"latency\": \"slow\"}")
            #expect(bad.status == 400)
            #expect(await h.simulator.faults() == faults, "a refused body changes nothing")
            #expect(try await h.request(.DELETE, "/_sim/faults").status == 405)
            #expect(try await h.request(.GET, "/_sim/nothing").status == 404)
        }
    }

    @Test func acceptsAnswersWhatTheTokenEndpointWould() async throws {
        let h = try await SimulatorHarness(control: true)
        try await h.stopping { () async throws in
            func accepts(_ key: String, _ secret: String) async throws -> Bool? {
                let body = String(
                    decoding: try JSONSerialization.data(withJSONObject: ["key": key, "secret": secret]), as: UTF8.self)
                let answer = try await h.request(.POST, "/_sim/accepts", body: body)
                return answer.status == 200 ? answer.json["accepted"] as? Bool : nil
            }
            #expect(try await accepts(h.adminKey, h.adminSecret) == true)
            #expect(try await accepts(h.userKey, h.userSecret) == true)
            #expect(try await accepts(h.adminKey, "wrong") == false)
            #expect(try await accepts("unknown", "unknown") == false)
            #expect(try await h.request(.POST, "/_sim/accepts", body: "{\"key\": 1}").status == 400)
            #expect(try await h.request(.GET, "/_sim/accepts").status == 405)
        }
    }

    @Test func controlRequestsAreNotCountedNorRateLimited() async throws {
        let h = try await SimulatorHarness(requestsPerMinute: 2, control: true)
        try await h.stopping { () async throws in
            let token = try await h.adminToken()
            for _ in 0..<10 {
                #expect(try await h.request(.GET, "/_sim/statistics").status == 200)
                #expect(try await h.request(.GET, "/_sim/consumers").status == 200)
            }
            #expect(try await h.api(.GET, "/oauth_consumers", token: token).status == 200)
            #expect(try await h.api(.GET, "/oauth_consumers", token: token).status == 200)
            #expect(try await h.api(.GET, "/oauth_consumers", token: token).status == 406)
            // Still answered with the API's window exhausted.
            let answer = try await h.request(.GET, "/_sim/statistics")
            #expect(answer.status == 200)
            let statistics = try JSONDecoder().decode(SimulatorStatistics.self, from: Data(answer.raw.utf8))
            #expect(statistics.apiRequests == 3)
            #expect(statistics.tokenRequests == 1)
            #expect(statistics.rateLimited == 1)
            #expect(statistics == (await h.simulator.statistics()))
        }
    }
}
