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
/// `PUT /_sim/faults` of the control API, whose JSON has these property names as keys).
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

    /// No faults.
    public init() {}
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
