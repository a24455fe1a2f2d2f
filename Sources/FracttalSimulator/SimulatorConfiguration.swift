/// How a ``FracttalSimulator`` behaves.
public struct SimulatorConfiguration: Sendable {
    /// The address to bind; loopback by default.
    public var host: String
    /// The port; 0 picks a free one.
    public var port: Int
    /// Seconds a token lives (the `expires_in` given).
    public var tokenLifetime: Int
    /// API requests allowed per window for the whole company (0 = unlimited). The token endpoint does not count.
    public var requestsPerMinute: Int
    /// The rate-limit window in seconds (60 at Fracttal).
    public var rateLimitWindow: Double
    /// The time source.
    public var clock: any SimulatorClock
    /// Serve the test-control API under `/_sim/` (see ``FracttalSimulator``). It exposes every
    /// secret, so it is off by default and only allowed on a loopback address.
    public var control: Bool

    /// Creates a configuration; defaults follow the contract.
    public init(
        host: String = "127.0.0.1", port: Int = 0, tokenLifetime: Int = 7200, requestsPerMinute: Int = 200,
        rateLimitWindow: Double = 60, clock: any SimulatorClock = SystemSimulatorClock(), control: Bool = false
    ) {
        self.host = host
        self.port = port
        self.tokenLifetime = tokenLifetime
        self.requestsPerMinute = requestsPerMinute
        self.rateLimitWindow = rateLimitWindow
        self.clock = clock
        self.control = control
    }
}

/// Faults for testing; all settable at run time with ``FracttalSimulator/setFaults(_:)`` (or
/// `PUT /_sim/faults` of the control API, whose JSON has these property names as keys; a key left
/// out keeps its default, so JSON written before a field existed still decodes).
///
/// Besides an unreliable network, they make the simulator every broken or hostile server rotord
/// must survive (docs/fracttal-api.md, "The simulator"): `success: false` answers, pages without
/// `data`, repeated pages, a lying `total`, create answers that do not match the request, 429,
/// impossible dates.
public struct SimulatorFaults: Sendable, Equatable, Codable {
    /// Seconds added before answering every request (token endpoint and API; not the control API).
    public var latency: Double = 0
    /// The next N API requests answer ``failureStatus`` with a failure envelope.
    public var failNextRequests: Int = 0
    /// The status of those failures.
    public var failureStatus: Int = 500
    /// The next N API responses are 200 with a body that is not JSON.
    public var malformedNextResponses: Int = 0
    /// The next N API requests get their connection closed without any response.
    public var dropNextRequests: Int = 0
    /// The next N creates happen, but the connection is closed before the answer (an ambiguous create).
    public var loseNextCreateResponses: Int = 0
    /// The next N consumer deletes answer 500 and delete nothing.
    public var failDeletes: Int = 0
    /// New consumers' credentials are refused by the token endpoint for this many seconds after creation.
    public var newCredentialActivationDelay: Double = 0
    /// Consumers created while this is set are never accepted by the token endpoint.
    public var rejectNewCredentials: Bool = false
    /// `total` is sent as a string.
    public var totalAsString: Bool = false
    /// `created_at` is sent without an offset.
    public var datesWithoutOffset: Bool = false
    /// Send `Request-Call-Limit*` instead of `ratelimit-*`.
    public var alternateRateLimitHeaders: Bool = false
    /// The token endpoint answers every request with ``redirectStatus`` and this `Location` (a hostile
    /// or misconfigured server sending the client's credentials elsewhere).
    public var redirectTokenTo: String?
    /// Every API request is answered with ``redirectStatus`` and this `Location`.
    public var redirectAPITo: String?
    /// The status of those redirects (307 keeps the method and the body).
    public var redirectStatus: Int = 307

    /// Each API request fails with ``failureStatus`` with this probability (0–1), before it is processed.
    public var failureRate: Double = 0
    /// Each API request is processed, then its connection closed without an answer, with this probability (0–1).
    public var dropAfterProcessingRate: Double = 0
    /// Consumer lists answer 200 `{"success": false, "message": …}` without `data`.
    public var listSuccessFalse: Bool = false
    /// Consumer lists answer 200 with `success: true` but without `data`.
    public var listWithoutData: Bool = false
    /// Consumer lists' `data` is an object, not an array.
    public var listDataNotArray: Bool = false
    /// The first entry of every consumer list page lacks its `key`.
    public var listBrokenEntry: Bool = false
    /// Every page of the consumer list is the first one, whatever `start` asks.
    public var repeatPages: Bool = false
    /// Consumer lists report this `total` instead of the true one.
    public var reportedTotal: Int?
    /// Consumer lists report this text as `total` (e.g. `"many"`).
    public var totalText: String?
    /// API answers lack `success`.
    public var omitSuccess: Bool = false
    /// Creates happen, but answer 200 `{"success": false, …}` without `data`.
    public var createSuccessFalse: Bool = false
    /// Creates happen, but the answer lacks `secret`.
    public var createWithoutSecret: Bool = false
    /// Creates happen, but the answer's `secret` is this text.
    public var createAnswerSecret: String?
    /// Creates happen, but the answer carries this `id` (e.g. the old consumer's).
    public var createAnswerID: Int?
    /// Creates happen, but the answer carries this `permission_group_id`.
    public var createAnswerGroup: Int?
    /// Creates happen, but the answer carries this `name`.
    public var createAnswerName: String?
    /// Deletes answer 200 `{"success": false, …}` and delete nothing.
    public var deleteSuccessFalse: Bool = false
    /// The next N API requests answer 429 with `Retry-After:` ``retryAfterSeconds``.
    public var tooManyRequests: Int = 0
    /// The `Retry-After` of those 429 answers, in seconds.
    public var retryAfterSeconds: Int = 1
    /// `created_at` is sent as an impossible date (the 31st of February of its year).
    public var impossibleDates: Bool = false

    /// No faults.
    public init() {}

    /// Decodes any subset of the fields; a missing key keeps its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
        }
        func readOptional<T: Decodable>(_ key: CodingKeys, _ value: inout T?) throws {
            value = try c.decodeIfPresent(T.self, forKey: key)
        }
        try read(.latency, &latency)
        try read(.failNextRequests, &failNextRequests)
        try read(.failureStatus, &failureStatus)
        try read(.malformedNextResponses, &malformedNextResponses)
        try read(.dropNextRequests, &dropNextRequests)
        try read(.loseNextCreateResponses, &loseNextCreateResponses)
        try read(.failDeletes, &failDeletes)
        try read(.newCredentialActivationDelay, &newCredentialActivationDelay)
        try read(.rejectNewCredentials, &rejectNewCredentials)
        try read(.totalAsString, &totalAsString)
        try read(.datesWithoutOffset, &datesWithoutOffset)
        try read(.alternateRateLimitHeaders, &alternateRateLimitHeaders)
        try readOptional(.redirectTokenTo, &redirectTokenTo)
        try readOptional(.redirectAPITo, &redirectAPITo)
        try read(.redirectStatus, &redirectStatus)
        try read(.failureRate, &failureRate)
        try read(.dropAfterProcessingRate, &dropAfterProcessingRate)
        try read(.listSuccessFalse, &listSuccessFalse)
        try read(.listWithoutData, &listWithoutData)
        try read(.listDataNotArray, &listDataNotArray)
        try read(.listBrokenEntry, &listBrokenEntry)
        try read(.repeatPages, &repeatPages)
        try readOptional(.reportedTotal, &reportedTotal)
        try readOptional(.totalText, &totalText)
        try read(.omitSuccess, &omitSuccess)
        try read(.createSuccessFalse, &createSuccessFalse)
        try read(.createWithoutSecret, &createWithoutSecret)
        try readOptional(.createAnswerSecret, &createAnswerSecret)
        try readOptional(.createAnswerID, &createAnswerID)
        try readOptional(.createAnswerGroup, &createAnswerGroup)
        try readOptional(.createAnswerName, &createAnswerName)
        try read(.deleteSuccessFalse, &deleteSuccessFalse)
        try read(.tooManyRequests, &tooManyRequests)
        try read(.retryAfterSeconds, &retryAfterSeconds)
        try read(.impossibleDates, &impossibleDates)
    }

    enum CodingKeys: String, CodingKey {
        case latency, failNextRequests, failureStatus, malformedNextResponses, dropNextRequests
        case loseNextCreateResponses, failDeletes, newCredentialActivationDelay, rejectNewCredentials
        case totalAsString, datesWithoutOffset, alternateRateLimitHeaders, redirectTokenTo, redirectAPITo
        case redirectStatus, failureRate, dropAfterProcessingRate, listSuccessFalse, listWithoutData
        case listDataNotArray, listBrokenEntry, repeatPages, reportedTotal, totalText, omitSuccess
        case createSuccessFalse, createWithoutSecret, createAnswerSecret, createAnswerID, createAnswerGroup
        case createAnswerName, deleteSuccessFalse, tooManyRequests, retryAfterSeconds, impossibleDates
    }
}

/// Counters for assertions and benchmarks (the control API's requests do not count).
public struct SimulatorStatistics: Sendable, Equatable, Codable {
    /// Every HTTP request received, on any path (redirected ones included).
    public var requests = 0
    /// API requests received (including rate-limited ones).
    public var apiRequests = 0
    /// Token requests received.
    public var tokenRequests = 0
    /// 406 answers.
    public var rateLimited = 0
    /// Consumers created.
    public var created = 0
    /// Consumers deleted.
    public var deleted = 0

    /// All zero.
    public init() {}
}
