/// Where and how the client reaches Fracttal.
public struct FracttalClientConfiguration: Sendable, Hashable {
    /// How the key and secret reach the token endpoint.
    public enum ClientAuthentication: String, Sendable, Hashable {
        /// HTTP Basic `base64(key:secret)`.
        case basic
        /// `client_id` + `client_secret` form fields.
        case form
    }

    /// The token endpoint, e.g. `https://one.fracttal.com/oauth/token`.
    public var tokenURL: String
    /// The API base, e.g. `https://app.fracttal.com/api`.
    public var apiURL: String
    /// Basic or form client authentication.
    public var clientAuthentication: ClientAuthentication
    /// Requests per minute the client allows itself (shared by every API request; 0 = no limit).
    public var requestsPerMinute: Int
    /// Timeout of one HTTP exchange, whole: connecting, the answer's head and its entire body.
    public var timeout: Duration
    /// The consumer-management path under `apiURL` (an assumed endpoint).
    public var consumersPath: String
    /// The permission-groups path under `apiURL` (an assumed endpoint).
    public var permissionGroupsPath: String
    /// How many times a request that met a 406 or a transient error is retried before failing.
    public var retries: Int
    /// The longest one API operation (all its tries and waits together) may take before it fails
    /// with a deadline error; every request is also bounded by ``timeout``.
    public var operationTimeout: Duration
    /// Tokens are renewed this long before the `expires_in` the server gave.
    public var tokenRenewalMargin: Duration

    /// Creates a configuration.
    public init(
        tokenURL: String, apiURL: String, clientAuthentication: ClientAuthentication = .basic,
        requestsPerMinute: Int = 200, timeout: Duration = .seconds(30), consumersPath: String = "oauth_consumers",
        permissionGroupsPath: String = "permission_groups", retries: Int = 3,
        tokenRenewalMargin: Duration = .seconds(60), operationTimeout: Duration = .seconds(300)
    ) {
        self.operationTimeout = operationTimeout
        self.tokenURL = tokenURL
        self.apiURL = apiURL
        self.clientAuthentication = clientAuthentication
        self.requestsPerMinute = requestsPerMinute
        self.timeout = timeout
        self.consumersPath = consumersPath
        self.permissionGroupsPath = permissionGroupsPath
        self.retries = retries
        self.tokenRenewalMargin = tokenRenewalMargin
    }
}
