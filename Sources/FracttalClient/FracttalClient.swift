import AsyncHTTPClient
import HTTPExchange
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RotordCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A client of Fracttal's token endpoint and API, acting as one consumer (rotord's admin).
///
/// It caches the bearer token until shortly before the server's `expires_in`, renews it once on
/// a 401, paces every API request through a ``RequestBudget``, waits out 406 answers, and turns
/// every failure into a ``FracttalError`` that names the operation.
public actor FracttalClient {
    /// The settings it was made with.
    public let configuration: FracttalClientConfiguration
    private var credentials: FracttalCredentials
    private let http: HTTPClient
    private let logger: Logger
    /// The request budget: the client's own, or one shared with earlier clients (``SharedRequestBudget``).
    public nonisolated let requestBudget: SharedRequestBudget
    private var token: (value: String, renewAt: ContinuousClock.Instant)?
    /// The clock of every wait, deadline and token lifetime (the one given to `init`).
    private let clock: BudgetClock
    private let onWait: @Sendable () -> Void
    private let backoff: Backoff
    /// Asked right before every HTTP exchange (after the request budget's wait and the token fetch): `nil` lets the
    /// request go, a reason withholds it (``FracttalError/withheld(reason:operation:)``). A fleet leader's fence.
    private let sendGate: (@Sendable () -> String?)?
    /// Every consumer id a listing or a read has shown: a create answered with one of them is refused.
    var knownConsumerIDs: Set<Int> = []

    /// The longest single sleep while waiting for the request budget: `onWait` is called at least
    /// this often during a wait.
    public static let waitSlice: Duration = .milliseconds(500)

    /// The HTTP client every ``FracttalClient`` uses unless given another: created once per
    /// process, never shut down, and configured to **never follow a redirect**. Every request the
    /// client sends carries a credential (the admin key and secret, a new consumer's pair, or the
    /// bearer token), and following a redirect would hand it to wherever the `Location` points;
    /// a 3xx answer becomes ``FracttalError/redirected(status:location:operation:)`` instead.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Creates a client acting as `credentials`. `httpClient` defaults to ``sharedHTTPClient``,
    /// which never follows redirects; a client given here should not either.
    ///
    /// `budget`, when given, is shared with the clients built with it before (its limit becomes
    /// this configuration's), so a rebuilt client keeps the rate-limit state of the one it replaces.
    ///
    /// `backoff` spaces the retries of connection errors, timeouts and 5xx answers (406 and 429
    /// wait for the time the server gives instead).
    ///
    /// `onWait` is called at least every ``waitSlice`` while the client waits for its request
    /// budget, so a caller's watchdog does not mistake a long, legitimate rate-limit wait for a
    /// hang. It is the only way progress leaves the client (docs/architecture.md, "Progress").
    ///
    /// `clock` times the request budget's waits (and sleeps through them), the operation deadlines
    /// and the token's lifetime: `ContinuousClock` in production, a manual clock in tests. A budget
    /// shared through a ledger file is kept in the host's real time: give its clients the default.
    public init(
        configuration: FracttalClientConfiguration, credentials: FracttalCredentials,
        httpClient: HTTPClient = FracttalClient.sharedHTTPClient, logger: Logger = Logger(label: "fracttal-client"),
        onWait: @escaping @Sendable () -> Void = {}, backoff: Backoff = .standard, budget: SharedRequestBudget? = nil,
        clock: any Clock<Duration> = ContinuousClock(), sendGate: (@Sendable () -> String?)? = nil
    ) {
        self.sendGate = sendGate
        self.clock = BudgetClock(clock)
        self.backoff = backoff
        self.configuration = configuration
        self.credentials = credentials
        self.http = httpClient
        self.logger = logger
        self.onWait = onWait
        if let budget {
            if budget.limit != configuration.requestsPerMinute { budget.setLimit(configuration.requestsPerMinute) }
            self.requestBudget = budget
        } else {
            self.requestBudget = SharedRequestBudget(limit: configuration.requestsPerMinute)
        }
    }

    // MARK: - Tokens

    /// A valid bearer token, from the cache or the token endpoint.
    public func accessToken() async throws(FracttalError) -> String {
        if let token, clock.now < token.renewAt { return token.value }
        let response = try await requestToken(for: credentials, operation: "obtaining the admin token")
        let lifetime = Duration.seconds(max(response.expiresIn ?? 3600, 1))
        let margin = min(configuration.tokenRenewalMargin, lifetime / 2)
        token = (response.accessToken, clock.now.advanced(by: lifetime - margin))
        return response.accessToken
    }

    /// Whether `candidate` obtains a token now: `true` on 200, `false` on 401 `invalid_client`.
    /// Throws for anything else (network, 5xx), which says nothing about the credentials.
    public func verify(_ candidate: FracttalCredentials) async throws(FracttalError) -> Bool {
        do {
            _ = try await requestToken(for: candidate, operation: "verifying the new credential \(candidate.maskedKey)")
            return true
        } catch  where error.isInvalidClient {
            return false
        }
    }

    /// Whether `candidate` can administer the account: it obtains a token, and with that token reads consumer `id`
    /// (one request of the consumers API; the candidate's own consumer is a good choice). `false` when the token
    /// endpoint refuses the pair or the API answers 401/403 to its token; throws for anything else.
    public func verifyAdministration(_ candidate: FracttalCredentials, readingConsumer id: Int)
        async throws(FracttalError) -> Bool
    {
        let token: FracttalTokenResponse
        do {
            token = try await requestToken(
                for: candidate, operation: "verifying the new admin credential \(candidate.maskedKey)")
        } catch  where error.isInvalidClient {
            return false
        }
        let operation = "reading consumer \(id) as the new admin credential \(candidate.maskedKey)"
        do {
            let (status, body) = try await api(
                .GET, "\(configuration.consumersPath)/\(id)", operation: operation, bearer: token.accessToken)
            _ = try Self.readEnvelope(FracttalConsumer.self, body, status: status, operation: operation)
            return true
        } catch {
            if error.status == 401 || error.status == 403 { return false }
            throw error
        }
    }

    /// Acts as `credentials` from now on (rotord's own admin consumer was rotated): the cached token is dropped.
    public func actAs(_ credentials: FracttalCredentials) {
        self.credentials = credentials
        token = nil
    }

    /// The masked key of the pair the client acts as.
    public var maskedKey: String { credentials.maskedKey }

    func requestToken(for creds: FracttalCredentials, operation: String) async throws(FracttalError)
        -> FracttalTokenResponse
    {
        var request = HTTPClientRequest(url: configuration.tokenURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        var form = "grant_type=client_credentials"
        switch configuration.clientAuthentication {
        case .basic:
            let basic = Data("\(creds.key):\(creds.secret)".utf8).base64EncodedString()
            request.headers.add(name: "Authorization", value: "Basic \(basic)")
        case .form:
            form += "&client_id=\(Self.formEncode(creds.key))&client_secret=\(Self.formEncode(creds.secret))"
        }
        request.body = .bytes(ByteBuffer(string: form))
        let (status, body, _) = try await send(request, operation: operation, counted: false)
        switch status {
        case 200..<300:
            do {
                return try JSONDecoder().decode(FracttalTokenResponse.self, from: body)
            } catch {
                throw .malformed("no access_token in the token response", operation: operation)
            }
        case 400, 401:
            let failure = try? JSONDecoder().decode(FracttalFailureBody.self, from: body)
            if status == 401 || failure?.error == "invalid_client" { throw .invalidClient(operation: operation) }
            throw .http(status: status, message: failure?.error ?? failure?.message, operation: operation)
        default:
            let failure = try? JSONDecoder().decode(FracttalFailureBody.self, from: body)
            throw .http(status: status, message: failure?.message ?? failure?.error, operation: operation)
        }
    }

    // MARK: - API requests

    /// Sends an authenticated API request; renews the token once on 401 and retries, within
    /// ``FracttalClientConfiguration/retries`` tries and ``FracttalClientConfiguration/operationTimeout``:
    /// connection errors, timeouts and 5xx answers (when `retryTransient`; spaced by the ``Backoff``),
    /// 406 and 429 (always: the server did not process them; after the reset or `Retry-After`).
    func api(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: Data? = nil, operation: String,
        retryTransient: Bool = true, bearer fixedBearer: String? = nil
    ) async throws(FracttalError) -> (status: Int, body: Data) {
        var url = configuration.apiURL
        while url.hasSuffix("/") { url.removeLast() }
        url += "/" + path
        if !query.isEmpty { url += "?" + query.map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&") }
        let deadline = clock.now.advanced(by: configuration.operationTimeout)
        var renewed = false
        var attempt = 0
        var transientTries = 0
        while true {
            attempt += 1
            let bearer: String
            if let fixedBearer { bearer = fixedBearer } else { bearer = try await accessToken() }
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
            request.headers.add(name: "Accept", value: "application/json")
            if let json {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: json))
            }
            let status: Int
            let body: Data
            do {
                (status, body, _) = try await send(request, operation: operation, counted: true, deadline: deadline)
            } catch  where retryTransient && error.isTransient && transientTries < configuration.retries {
                transientTries += 1
                logger.debug("retrying after a transient error", metadata: ["error": "\(error)"])
                try await pause(backoff.delay(attempt: transientTries), deadline: deadline, tries: attempt, last: error)
                continue
            }
            if status == 401, !renewed, fixedBearer == nil {
                let failure = try? JSONDecoder().decode(FracttalFailureBody.self, from: body)
                if failure?.message != "UNAUTHORIZED_ENDPOINT" {
                    token = nil  // expired or revoked: renew once
                    renewed = true
                    continue
                }
            }
            let failure =
                (200..<300).contains(status) ? nil : try? JSONDecoder().decode(FracttalFailureBody.self, from: body)
            let error = FracttalError.http(
                status: status, message: Self.bounded(failure?.message ?? failure?.error), operation: operation)
            if status == 406 || status == 429, attempt <= configuration.retries + 2 {
                // send() has recorded the reset (or Retry-After) in the budget: the next send waits for it.
                if budgetDelay() > clock.now.duration(to: deadline) {
                    throw .deadlineExceeded(tries: attempt, last: error.description, operation: operation)
                }
                continue
            }
            if status >= 500, retryTransient, transientTries < configuration.retries {
                transientTries += 1
                try await pause(backoff.delay(attempt: transientTries), deadline: deadline, tries: attempt, last: error)
                continue
            }
            guard (200..<300).contains(status) else { throw error }
            return (status, body)
        }
    }

    /// How long the budget makes the next request wait now.
    private func budgetDelay() -> Duration {
        let now = clock.now
        return requestBudget.withBudget { $0.delay(at: now) }
    }

    /// Takes the next request's slot in the budget now (zero), or says how long to wait for one.
    private func reserveSlot() -> Duration {
        let now = clock.now
        return requestBudget.withBudget { $0.reserve(at: now) }
    }

    /// Sleeps `wait` unless that passes the operation's `deadline` (then fails with `last`).
    private func pause(_ wait: Duration, deadline: ContinuousClock.Instant, tries: Int, last: FracttalError)
        async throws(FracttalError)
    {
        guard clock.now.advanced(by: wait) < deadline else {
            throw .deadlineExceeded(tries: tries, last: last.description, operation: last.operation)
        }
        onWait()
        do { try await backoff.sleep(wait) } catch {
            throw .transport(sent: false, detail: "cancelled while waiting to retry", operation: last.operation)
        }
    }

    /// A server's message, cut to 200 characters (a hostile server may send anything).
    static func bounded(_ message: String?) -> String? {
        guard let message else { return nil }
        return message.count > 200 ? String(message.prefix(200)) + "…" : message
    }

    /// One HTTP exchange: paced by the budget when `counted`; reads the rate-limit headers.
    private func send(
        _ request: HTTPClientRequest, operation: String, counted: Bool, deadline: ContinuousClock.Instant? = nil
    ) async throws(FracttalError) -> (Int, Data, HTTPHeaders) {
        if counted {
            var wait = reserveSlot()
            var rounds = 0
            let waitStarted = clock.now
            defer {
                if rounds > 0 {
                    let waited = waitStarted.duration(to: clock.now)
                    requestBudget.recordWait(
                        seconds: Double(waited.components.seconds) + Double(waited.components.attoseconds) / 1e18)
                }
            }
            while wait > .zero, rounds < 100_000 {
                if let deadline, clock.now.advanced(by: wait) > deadline {
                    throw .deadlineExceeded(
                        tries: 0, last: "the request budget (rate limit) allows no request before the deadline",
                        operation: operation)
                }
                rounds += 1
                if rounds == 1 { logger.debug("waiting for the request budget", metadata: ["seconds": "\(wait)"]) }
                // In slices, telling the caller it is alive (a rate-limit wait is progress, not a hang).
                onWait()
                do { try await clock.sleep(for: min(wait, Self.waitSlice)) } catch {
                    throw .transport(
                        sent: false, detail: "cancelled while waiting for the rate limit", operation: operation)
                }
                wait = reserveSlot()
            }
        }
        // The fleet's fence (docs/fleet.md): checked last, so that no wait lies between it and the send.
        if let sendGate, let reason = sendGate() { throw .withheld(reason: reason, operation: operation) }
        let response: HTTPExchange.Answer
        var timeout = configuration.timeout
        if let deadline { timeout = max(min(timeout, clock.now.duration(to: deadline)), .milliseconds(100)) }
        do {
            response = try await HTTPExchange.exchange(
                request, on: http, within: timeout, maximumBytes: Self.maximumAnswerBytes)
        } catch {
            if counted { requestBudget.recordResponse(status: nil) }
            if HTTPExchange.isTimeout(error) {
                throw .timedOut(after: timeout, sent: !HTTPExchange.neverSent(error), operation: operation)
            }
            throw .transport(
                sent: !HTTPExchange.neverSent(error), detail: HTTPExchange.describe(error), operation: operation)
        }
        let bytes = response.body
        let status = Int(response.status.code)
        if counted { requestBudget.recordResponse(status: status) }
        if (300..<400).contains(status) {
            // Never followed (the request carries a credential); the host alone is named, never the URL's query.
            throw .redirected(
                status: status, location: response.headers.first(name: "Location"), operation: operation)
        }
        if counted {
            let remaining = Self.header(response.headers, "ratelimit-remaining", "Request-Call-Limit-Remaining")
            let reset = Self.header(response.headers, "ratelimit-reset", "Request-Call-Limit-Reset")
                .map { Duration.seconds($0) }
            if status == 406 {
                logger.warning("Fracttal answered 406 (rate limit); waiting for the window to reset")
                let now = clock.now
                requestBudget.withBudget { $0.observeRateLimited(reset: reset, at: now) }
            } else if status == 429 {
                // Retry-After in seconds (an HTTP date is not used by Fracttal; then the reset headers or a window).
                let retryAfter = Self.header(response.headers, "Retry-After").map { Duration.seconds(max($0, 0)) }
                logger.warning("Fracttal answered 429 (too many requests); waiting for Retry-After")
                let now = clock.now
                requestBudget.withBudget { $0.observeRateLimited(reset: retryAfter ?? reset, at: now) }
            } else {
                let now = clock.now
                requestBudget.withBudget { $0.observe(remaining: remaining, reset: reset, at: now) }
            }
        }
        return (status, Data(bytes.readableBytesView), response.headers)
    }

    // MARK: - One exchange

    /// The largest answer read (HTTPExchange).
    static let maximumAnswerBytes = 16 * 1024 * 1024

    // MARK: - Helpers

    static func header(_ headers: HTTPHeaders, _ names: String...) -> Int? {
        for name in names {
            if let value = headers.first(name: name), let n = Int(value.trimmedASCII) {
                return n
            }
        }
        return nil
    }

    static func formEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPad2
            }
        }
        return out
    }
}

extension String {
    /// Without leading and trailing ASCII spaces and tabs.
    var trimmedASCII: Substring {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return slice
    }

    fileprivate var leftPad2: String { count == 1 ? "0" + self : self }
}
