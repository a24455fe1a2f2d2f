/// The fleet's settings (`cluster:` in the file; docs/configuration.md and docs/fleet.md): where etcd is, this host's
/// name and key, and whether it may lead. Parsed and validated, and not used by the engine yet: with or without it
/// rotord behaves as the single-host daemon.
public struct ClusterSettings: Sendable, Hashable {
    /// TLS to etcd (`cluster.etcd.tls`).
    public struct TLS: Sendable, Hashable {
        /// The CA that signed etcd's server certificates; `nil`: the system's CAs.
        public var caFile: String?
        /// This host's client certificate (with ``keyFile``), when etcd asks for one.
        public var certFile: String?
        /// The client certificate's private key.
        public var keyFile: String?

        /// Creates the settings.
        public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
        }
    }

    /// The etcd user rotord logs in as (`cluster.etcd.auth`), for a cluster run with authentication enabled.
    public struct Auth: Sendable, Hashable {
        /// The etcd user (`cluster.etcd.auth.user`).
        public var user: String
        /// The file that holds its password (`cluster.etcd.auth.password_file`; 0600, or a `LoadCredential=`).
        public var passwordFile: String

        /// Creates the settings.
        public init(user: String, passwordFile: String) {
            self.user = user
            self.passwordFile = passwordFile
        }
    }

    /// The etcd members' client URLs (`cluster.etcd.endpoints`).
    public var endpoints: [String]
    /// The key prefix of this account's fleet (`cluster.etcd.prefix`), e.g. `/rotord/acme`; no trailing slash.
    public var prefix: String
    /// TLS to etcd, or `nil` for none (`http://` endpoints).
    public var tls: TLS?
    /// The etcd user to log in as, or `nil` when etcd runs without authentication.
    public var auth: Auth?
    /// This host's name in the fleet (`cluster.host`, default the host name).
    public var host: String
    /// The host's X25519 private key file (`cluster.key_file`; `rotord fleet keygen` makes one).
    public var keyFile: String
    /// Whether this host may become leader (`cluster.leader_eligible`, default true; a leader needs the admin pair).
    public var leaderEligible: Bool
    /// The leadership lease's time to live (`cluster.lease_ttl`, 3s to 10s; default 10s).
    public var leaseTTL: ConfigDuration = ClusterSettings.defaultLeaseTTL

    /// The default lease TTL, and the production maximum.
    public static let defaultLeaseTTL = ConfigDuration.seconds(10)
    /// The shortest lease TTL (for tests).
    public static let minimumLeaseTTL = ConfigDuration.seconds(3)
    /// How much longer than `fracttal.timeout` the lease must still run when a Fracttal request is sent.
    public static let fenceMarginOverTimeout = Duration.seconds(1)

    /// Why the leader could never send a Fracttal request under these timings (``LeaderFence``), or `nil`.
    public func fencingProblem(fracttalTimeout: ConfigDuration) -> String? {
        let timeout = Duration.seconds(fracttalTimeout.seconds)
        let fence = LeaderFence<ContinuousClock.Instant>(
            ttl: .seconds(leaseTTL.seconds), requestTimeout: timeout, margin: timeout + Self.fenceMarginOverTimeout)
        return fence.configurationProblem
    }

    /// Creates the settings.
    public init(
        endpoints: [String], prefix: String, tls: TLS? = nil, host: String, keyFile: String, leaderEligible: Bool = true
    ) {
        self.endpoints = endpoints
        self.prefix = prefix
        self.tls = tls
        self.host = host
        self.keyFile = keyFile
        self.leaderEligible = leaderEligible
    }
}
