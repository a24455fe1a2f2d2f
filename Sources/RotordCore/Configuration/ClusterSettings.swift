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
    /// The hosts this host trusts as a leader, each with its X25519 public key (`cluster.pinned_keys`: host name to
    /// the base64 raw key `rotord fleet keygen` prints); `nil` when not pinned (etcd RBAC keeps strangers out then).
    /// When set, the leader seals a pair only to members listed here with the same key (docs/fleet.md, "Trust").
    public var pinnedKeys: [String: String]?

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

    /// Why the member `host` with `publicKey` (base64) may not be sealed a pair under ``pinnedKeys``, or `nil` when
    /// it may (always, when nothing is pinned).
    public func untrustedReason(host: String, publicKey: String) -> String? {
        guard let pinnedKeys else { return nil }
        guard let pinned = pinnedKeys[host] else {
            return "its key is not pinned: cluster.pinned_keys does not list \(host); pin its public key on every "
                + "leader-eligible host, or `rotord fleet forget \(host)` if it is not yours"
        }
        guard pinned == publicKey else {
            return "its public key in etcd is not the one pinned in cluster.pinned_keys.\(host); the host's key "
                + "changed or someone else registered as \(host): pin the new key, or `rotord fleet forget \(host)`"
        }
        return nil
    }

    /// These settings without what a reload may change (``pinnedKeys``): what must stay as the daemon started.
    public var fixedAtStart: ClusterSettings {
        var copy = self
        copy.pinnedKeys = nil
        return copy
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
