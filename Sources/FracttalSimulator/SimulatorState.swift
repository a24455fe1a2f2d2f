import Foundation
import Synchronization

/// One answer of the simulator, before it becomes HTTP.
struct SimulatorAnswer: Sendable {
    enum Special: Sendable { case none, drop, malformed }
    var status: Int
    var body: [String: any Sendable]?
    var headers: [(String, String)] = []
    var special: Special = .none

    static func envelope(
        _ status: Int, success: Bool, message: String, data: (any Sendable)? = nil, total: (any Sendable)? = nil
    ) -> SimulatorAnswer {
        var body: [String: any Sendable] = ["success": success, "message": message]
        if let data { body["data"] = data }
        if let total { body["total"] = total }
        return SimulatorAnswer(status: status, body: body)
    }
}

/// The simulated account: consumers, groups, tokens, the rate window, faults and counters.
/// Every request is handled under one lock, so the simulator is trivially consistent.
final class SimulatorState: Sendable {
    struct StoredConsumer: Sendable {
        var consumer: SimulatorSeed.Consumer  // id, key, secret and createdAt always set
        var activeFrom: Date?  // nil: active now
        var neverActive = false
    }

    struct Token: Sendable {
        var consumerID: Int
        var expires: Date
    }

    struct Account: Sendable {
        var groups: [SimulatorSeed.Group]
        var consumers: [Int: StoredConsumer] = [:]
        var nextID = 1
        var tokens: [String: Token] = [:]
        var windowStart: Date?
        var windowCount = 0
        var faults = SimulatorFaults()
        var statistics = SimulatorStatistics()
    }

    let configuration: SimulatorConfiguration
    let data: Mutex<Account>

    init(configuration: SimulatorConfiguration, seed: SimulatorSeed) {
        self.configuration = configuration
        var d = Account(groups: seed.permissionGroups)
        let now = configuration.clock.now()
        for var c in seed.consumers {
            let id = c.id ?? d.nextID
            c.id = id
            c.key = c.key ?? Self.random(18)
            c.secret = c.secret ?? Self.random(32)
            c.createdAt = c.createdAt ?? now
            d.consumers[id] = StoredConsumer(consumer: c)
            d.nextID = max(d.nextID, id + 1)
        }
        data = Mutex(d)
    }

    static func random(_ count: Int) -> String { SimulatorSeed.randomCredential(length: count) }

    // MARK: - Token endpoint

    func token(authorization: String?, form: [String: String]) -> SimulatorAnswer {
        data.withLock { d in
            d.statistics.tokenRequests += 1
            guard form["grant_type"] == "client_credentials" else {
                return SimulatorAnswer(status: 400, body: ["error": "unsupported_grant_type"])
            }
            var key = form["client_id"]
            var secret = form["client_secret"]
            if let authorization, authorization.lowercased().hasPrefix("basic "),
                let decoded = Data(
                    base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
            {
                key = String(text[..<colon])
                secret = String(text[text.index(after: colon)...])
            }
            guard let key, let secret,
                let stored = Self.accepted(d, key: key, secret: secret, now: configuration.clock.now())
            else {
                return SimulatorAnswer(status: 401, body: ["error": "invalid_client"])
            }
            let token = Self.random(40)
            let now = configuration.clock.now()
            d.tokens[token] = Token(
                consumerID: stored.consumer.id!,
                expires: now.addingTimeInterval(TimeInterval(configuration.tokenLifetime)))
            // Forget expired tokens now and then, so long runs stay small.
            if d.tokens.count > 10_000 { d.tokens = d.tokens.filter { $0.value.expires > now } }
            return SimulatorAnswer(
                status: 200,
                body: ["access_token": token, "token_type": "Bearer", "expires_in": configuration.tokenLifetime])
        }
    }

    static func accepted(_ d: Account, key: String, secret: String, now: Date) -> StoredConsumer? {
        guard let stored = d.consumers.values.first(where: { $0.consumer.key == key }),
            stored.consumer.secret == secret,
            !stored.neverActive, (stored.activeFrom ?? now) <= now
        else { return nil }
        return stored
    }

    /// Adds a consumer to the account (as if made in the web UI), filling in what is left out.
    func add(_ consumer: SimulatorSeed.Consumer) -> SimulatorSeed.Consumer {
        let now = configuration.clock.now()
        return data.withLock { d in
            var c = consumer
            let id = c.id ?? d.nextID
            c.id = id
            c.key = c.key ?? SimulatorState.random(18)
            c.secret = c.secret ?? SimulatorState.random(32)
            c.createdAt = c.createdAt ?? now
            d.consumers[id] = SimulatorState.StoredConsumer(consumer: c)
            d.nextID = max(d.nextID, id + 1)
            return c
        }
    }

    func isAccepted(key: String, secret: String) -> Bool {
        data.withLock { Self.accepted($0, key: key, secret: secret, now: configuration.clock.now()) != nil }
    }

    // MARK: - API

    /// Authenticates and rate-limits an API request, then runs `body` with the account.
    func api(authorization: String?, _ body: (inout Account) -> SimulatorAnswer) -> SimulatorAnswer {
        data.withLock { d in
            d.statistics.apiRequests += 1
            let now = configuration.clock.now()
            // The fixed window starts at the first request after the previous one ended.
            if let start = d.windowStart, now.timeIntervalSince(start) < configuration.rateLimitWindow {
                d.windowCount += 1
            } else {
                d.windowStart = now
                d.windowCount = 1
            }
            let limit = configuration.requestsPerMinute
            let reset = Int((configuration.rateLimitWindow - now.timeIntervalSince(d.windowStart!)).rounded(.up))
            let names =
                d.faults.alternateRateLimitHeaders
                ? ("Request-Call-Limit", "Request-Call-Limit-Remaining", "Request-Call-Limit-Reset")
                : ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")
            var headers: [(String, String)] = []
            if limit > 0 {
                headers = [
                    (names.0, "\(limit)"), (names.1, "\(max(0, limit - d.windowCount))"), (names.2, "\(max(reset, 0))"),
                ]
                if d.windowCount > limit {
                    d.statistics.rateLimited += 1
                    var answer = SimulatorAnswer.envelope(
                        406, success: false, message: "Maximum number of request exceeded")
                    answer.headers = headers
                    return answer
                }
            }
            var answer: SimulatorAnswer
            if d.faults.dropNextRequests > 0 {
                d.faults.dropNextRequests -= 1
                answer = SimulatorAnswer(status: 0, special: .drop)
            } else if d.faults.failNextRequests > 0 {
                d.faults.failNextRequests -= 1
                answer = .envelope(d.faults.failureStatus, success: false, message: "simulated failure")
            } else if d.faults.failureRate > 0, Double.random(in: 0..<1) < d.faults.failureRate {
                answer = .envelope(d.faults.failureStatus, success: false, message: "simulated random failure")
            } else if d.faults.tooManyRequests > 0 {
                d.faults.tooManyRequests -= 1
                answer = .envelope(429, success: false, message: "Too Many Requests")
                answer.headers = [("Retry-After", "\(d.faults.retryAfterSeconds)")]
            } else if let failure = Self.authenticate(&d, authorization: authorization, now: now) {
                answer = failure
            } else {
                answer = body(&d)
                if d.faults.malformedNextResponses > 0 {
                    d.faults.malformedNextResponses -= 1
                    answer.special = .malformed
                } else if d.faults.dropAfterProcessingRate > 0,
                    Double.random(in: 0..<1) < d.faults.dropAfterProcessingRate
                {
                    answer.special = .drop
                }
                if d.faults.omitSuccess { answer.body?["success"] = nil }
            }
            answer.headers += headers
            return answer
        }
    }

    static func authenticate(_ d: inout Account, authorization: String?, now: Date) -> SimulatorAnswer? {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            return .envelope(401, success: false, message: "UNAUTHORIZED")
        }
        let value = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard let token = d.tokens[value] else { return .envelope(401, success: false, message: "INVALID_TOKEN") }
        guard token.expires > now else { return .envelope(401, success: false, message: "TOKEN_EXPIRED") }
        guard let owner = d.consumers[token.consumerID] else {
            return .envelope(401, success: false, message: "INVALID_TOKEN")
        }
        let group = d.groups.first { $0.id == owner.consumer.permissionGroupId }
        guard group?.superAdmin == true else { return .envelope(401, success: false, message: "UNAUTHORIZED_ENDPOINT") }
        return nil
    }
}
