import AsyncHTTPClient
import Foundation
import FracttalSimulator
import NIOHTTP1
import Testing

/// The simulator against the contract, over real HTTP on 127.0.0.1. Time moves by the manual clock.
@Suite(.timeLimit(.minutes(1)))
struct FracttalSimulatorTests {
    @Test func tokenWithBasicOrFormAuthentication() async throws {
        let h = try await SimulatorHarness()
        try await h.stopping { () async throws in
            for style in ["basic", "form"] {
                let ok = try await h.token(key: h.adminKey, secret: h.adminSecret, style: style)
                #expect(ok.status == 200)
                #expect(ok.json["token_type"] as? String == "Bearer")
                #expect(ok.json["expires_in"] as? Int == 7200)
                #expect((ok.json["access_token"] as? String)?.isEmpty == false)
                let bad = try await h.token(key: h.adminKey, secret: "wrong", style: style)
                #expect(bad.status == 401)
                #expect(bad.json["error"] as? String == "invalid_client")
            }
            let noGrant = try await h.request(
                .POST, "/oauth/token", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: "client_id=x"
            )
            #expect(noGrant.status == 400)
        }
    }

    @Test func badAndExpiredTokensAnswer401() async throws {
        let h = try await SimulatorHarness(tokenLifetime: 3600)
        try await h.stopping { () async throws in
            let bad = try await h.api(.GET, "/oauth_consumers", token: "nonsense")
            #expect(bad.status == 401)
            #expect(bad.json["success"] as? Bool == false)
            let missing = try await h.request(.GET, "/api/oauth_consumers")
            #expect(missing.status == 401)
            let token = try await h.adminToken()
            #expect(try await h.api(.GET, "/oauth_consumers", token: token).status == 200)
            h.clock.advance(by: 3_601)
            let expired = try await h.api(.GET, "/oauth_consumers", token: token)
            #expect(expired.status == 401)
            #expect(expired.json["message"] as? String == "TOKEN_EXPIRED")
        }
    }

    @Test func consumerEndpointsNeedTheSuperAdministrator() async throws {
        let h = try await SimulatorHarness()
        try await h.stopping { () async throws in
            let user = try await h.token(key: h.userKey, secret: h.userSecret).json["access_token"] as! String
            let answer = try await h.api(.GET, "/oauth_consumers", token: user)
            #expect(answer.status == 401)
            #expect(answer.json["message"] as? String == "UNAUTHORIZED_ENDPOINT")
        }
    }

    @Test func paginationIsCappedAt100() async throws {
        let h = try await SimulatorHarness(consumers: 248)  // 250 consumers in all
        try await h.stopping { () async throws in
            let token = try await h.adminToken()
            let first = try await h.api(.GET, "/oauth_consumers", token: token)
            #expect((first.json["data"] as? [Any])?.count == 100, "limit defaults to 100")
            #expect(first.json["total"] as? Int == 250)
            let capped = try await h.api(.GET, "/oauth_consumers?start=0&limit=500", token: token)
            #expect((capped.json["data"] as? [Any])?.count == 100, "larger limits silently return 100")
            let last = try await h.api(.GET, "/oauth_consumers?start=200&limit=100", token: token)
            let items = try #require(last.json["data"] as? [[String: Any]])
            #expect(items.count == 50)
            #expect(items.first?["id"] as? Int == 201)
            let beyond = try await h.api(.GET, "/oauth_consumers?start=300", token: token)
            #expect((beyond.json["data"] as? [Any])?.count == 0)
            let small = try await h.api(.GET, "/oauth_consumers?start=10&limit=5", token: token)
            #expect((small.json["data"] as? [[String: Any]])?.map { $0["id"] as? Int } == [11, 12, 13, 14, 15])
            #expect(try await h.api(.GET, "/oauth_consumers?start=-1", token: token).status == 400)
            #expect(try await h.api(.GET, "/oauth_consumers?limit=abc", token: token).status == 400)
        }
    }

    @Test func secretIsShownOnceAtCreation() async throws {
        let h = try await SimulatorHarness()
        try await h.stopping { () async throws in
            let token = try await h.adminToken()
            let created = try await h.api(
                .POST, "/oauth_consumers", token: token,
                body:
                    #"{"authorization_type": "client_credentials", "name": "new", "description": "d", "permission_group_id": 3}"#
            )
            #expect(created.status == 201)
            let data = try #require(created.json["data"] as? [String: Any])
            let secret = try #require(data["secret"] as? String)
            let key = try #require(data["key"] as? String)
            #expect(secret.count == 32 && key.count == 18)
            #expect(secret.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
            #expect(data["permission_group"] as? String == "Reportes")
            #expect((data["created_at"] as? String)?.hasSuffix("+00:00") == true)
            let id = try #require(data["id"] as? Int)
            let read = try await h.api(.GET, "/oauth_consumers/\(id)", token: token)
            #expect(read.status == 200)
            #expect((read.json["data"] as? [String: Any])?["secret"] == nil)
            let list = try await h.api(.GET, "/oauth_consumers", token: token)
            #expect(!list.raw.contains(secret))
            #expect(!read.raw.contains(secret))
            #expect(try await h.token(key: key, secret: secret).status == 200, "the new pair works")
        }
    }

    @Test(arguments: [
        #"{"authorization_type": "client_credentials", "name": "x", "permission_group_id": 3, "colour": "red"}"#,
        #"{"authorization_type": "client_credentials", "permission_group_id": 3}"#,
        #"{"authorization_type": "client_credentials", "name": "x", "permission_group_id": 99}"#,
        #"{"authorization_type": "client_credentials", "name": "x", "permission_group_id": "3"}"#,
        #"{"authorization_type": "password", "name": "x", "permission_group_id": 3}"#,
        #"not json"#,
    ])
    func createRejectsInvalidBodies(body: String) async throws {
        let h = try await SimulatorHarness()
        try await h.stopping { () async throws in
            let answer = try await h.api(.POST, "/oauth_consumers", token: try await h.adminToken(), body: body)
            #expect(answer.status == 400)
            #expect(answer.json["success"] as? Bool == false)
            #expect((answer.json["message"] as? String)?.isEmpty == false)
        }
    }

    @Test func deleteThenNotFoundAndCredentialsRefused() async throws {
        let h = try await SimulatorHarness()
        try await h.stopping { () async throws in
            let token = try await h.adminToken()
            let userToken = try await h.token(key: h.userKey, secret: h.userSecret).json["access_token"] as! String
            #expect(try await h.api(.DELETE, "/oauth_consumers/2", token: token).status == 200)
            #expect(try await h.api(.DELETE, "/oauth_consumers/2", token: token).status == 404)
            #expect(try await h.api(.GET, "/oauth_consumers/2", token: token).status == 404)
            #expect(try await h.token(key: h.userKey, secret: h.userSecret).status == 401)
            #expect(try await h.api(.GET, "/permission_groups", token: userToken).status == 401)
        }
    }

    @Test func rateLimitAnswers406WithHeaders() async throws {
        let h = try await SimulatorHarness(requestsPerMinute: 5)
        try await h.stopping { () async throws in
            let token = try await h.adminToken()
            for expected in (0..<5).reversed() {
                let ok = try await h.api(.GET, "/permission_groups", token: token)
                #expect(ok.status == 200)
                #expect(ok.headers["ratelimit-limit"] == "5")
                #expect(ok.headers["ratelimit-remaining"] == "\(expected)")
            }
            let limited = try await h.api(.GET, "/permission_groups", token: token)
            #expect(limited.status == 406)
            #expect(limited.json["message"] as? String == "Maximum number of request exceeded")
            #expect(limited.headers["ratelimit-remaining"] == "0")
            #expect(Int(limited.headers["ratelimit-reset"] ?? "") ?? 0 > 0)
            #expect(
                try await h.token(key: h.adminKey, secret: h.adminSecret).status == 200,
                "the token endpoint does not count"
            )
            h.clock.advance(by: 61)
            #expect(try await h.api(.GET, "/permission_groups", token: token).status == 200, "a new window")
            #expect(await h.simulator.statistics().rateLimited == 1)
            var faults = SimulatorFaults()
            faults.alternateRateLimitHeaders = true
            await h.simulator.setFaults(faults)
            let alt = try await h.api(.GET, "/permission_groups", token: token)
            #expect(alt.headers["request-call-limit-remaining"] == "3")
        }
    }

    @Test func faultsForTesting() async throws {
        let h = try await SimulatorHarness()
        try await h.stopping { () async throws in
            let token = try await h.adminToken()
            var faults = SimulatorFaults()
            faults.failNextRequests = 1
            faults.failureStatus = 503
            faults.malformedNextResponses = 1
            faults.totalAsString = true
            faults.datesWithoutOffset = true
            await h.simulator.setFaults(faults)
            #expect(try await h.api(.GET, "/oauth_consumers", token: token).status == 503)
            let malformed = try await h.api(.GET, "/oauth_consumers", token: token)
            #expect(malformed.status == 200 && malformed.json.isEmpty)
            let quirky = try await h.api(.GET, "/oauth_consumers", token: token)
            #expect(quirky.json["total"] as? String == "2")
            let date = try #require((quirky.json["data"] as? [[String: Any]])?.first?["created_at"] as? String)
            #expect(!date.contains("+"))

            faults = SimulatorFaults()
            faults.newCredentialActivationDelay = 30
            await h.simulator.setFaults(faults)
            let delayed = try await h.api(
                .POST, "/oauth_consumers", token: token,
                body: #"{"authorization_type": "client_credentials", "name": "d", "permission_group_id": 3}"#)
            let d = try #require(delayed.json["data"] as? [String: Any])
            #expect(try await h.token(key: d["key"] as! String, secret: d["secret"] as! String).status == 401)
            h.clock.advance(by: 31)
            #expect(try await h.token(key: d["key"] as! String, secret: d["secret"] as! String).status == 200)

            faults = SimulatorFaults()
            faults.rejectNewCredentials = true
            faults.loseNextCreateResponses = 1
            await h.simulator.setFaults(faults)
            let before = await h.simulator.statistics().created
            await #expect(throws: (any Error).self) {
                _ = try await h.api(
                    .POST, "/oauth_consumers", token: token,
                    body: #"{"authorization_type": "client_credentials", "name": "lost", "permission_group_id": 3}"#)
            }
            #expect(
                await h.simulator.statistics().created == before + 1, "the consumer exists although the answer was lost"
            )
            let lost = try #require(await h.simulator.consumers().first { $0.name == "lost" })
            #expect(await !h.simulator.isAccepted(key: lost.key!, secret: lost.secret!), "rejectNewCredentials")
        }
    }
}
