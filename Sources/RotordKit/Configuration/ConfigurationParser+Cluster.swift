import Foundation
import RotordCore
import Yams

/// `cluster:` (docs/configuration.md, docs/fleet.md): parsed and validated, not used by the engine yet.
extension ConfigurationParser {
    static let clusterKeys: Set<String> = ["etcd", "host", "key_file", "leader_eligible", "lease_ttl", "pinned_keys"]
    static let clusterEtcdKeys: Set<String> = ["endpoints", "prefix", "tls", "auth"]
    static let clusterAuthKeys: Set<String> = ["user", "password_file"]
    static let clusterTLSKeys: Set<String> = ["ca_file", "cert_file", "key_file"]
    /// The longest host name (DNS's limit).
    static let maximumHostLength = 253

    /// Reads `cluster:`; `nil` (with errors) when it is unusable.
    mutating func cluster(_ node: Node) -> ClusterSettings? {
        guard let map = mapping(node, at: "cluster", allowed: Self.clusterKeys) else { return nil }
        let errorsBefore = errors.count
        var endpoints: [String] = []
        var prefix = ""
        var tls: ClusterSettings.TLS?
        var auth: ClusterSettings.Auth?
        if let etcdNode = map["etcd"], let etcd = mapping(etcdNode, at: "cluster.etcd", allowed: Self.clusterEtcdKeys) {
            if let tlsNode = etcd["tls"] { tls = clusterTLS(tlsNode) }
            if let authNode = etcd["auth"] { auth = clusterAuth(authNode) }
            endpoints = etcdEndpoints(etcd["endpoints"], tls: tls)
            if let value = requiredString(etcd, "prefix", at: "cluster.etcd") {
                if !value.hasPrefix("/") || value.hasSuffix("/") || value.contains(where: \.isWhitespace)
                    || value.contains("//")
                {
                    error(
                        "cluster.etcd.prefix", etcd["prefix"],
                        "must start with /, not end with /, and hold no space or empty segment, such as /rotord/acme; "
                            + "got \"\(value)\"")
                }
                prefix = value
            }
        } else if map["etcd"] == nil {
            error("cluster.etcd", nil, "is required under cluster: (endpoints and prefix)")
        }
        let host = clusterHost(map["host"])
        let keyFile = absolutePath(map["key_file"], at: "cluster.key_file")
        if map["key_file"] == nil {
            error(
                "cluster.key_file", nil,
                "is required under cluster: (this host's X25519 private key; `rotord fleet keygen --out PATH` makes one)"
            )
        }
        let leaderEligible = bool(map["leader_eligible"], at: "cluster.leader_eligible") ?? true
        var leaseTTL = ClusterSettings.defaultLeaseTTL
        if let value = duration(map["lease_ttl"], at: "cluster.lease_ttl") {
            if value < ClusterSettings.minimumLeaseTTL || value > ClusterSettings.defaultLeaseTTL {
                error(
                    "cluster.lease_ttl", map["lease_ttl"],
                    "must be from \(ClusterSettings.minimumLeaseTTL) to \(ClusterSettings.defaultLeaseTTL), got \(value)"
                )
            } else {
                leaseTTL = value
            }
        }
        let pinnedKeys = map["pinned_keys"].flatMap { clusterPinnedKeys($0, host: host) }
        guard errors.count == errorsBefore, let keyFile else { return nil }
        var settings = ClusterSettings(
            endpoints: endpoints, prefix: prefix, tls: tls, host: host, keyFile: keyFile, leaderEligible: leaderEligible
        )
        settings.leaseTTL = leaseTTL
        settings.auth = auth
        settings.pinnedKeys = pinnedKeys
        return settings
    }

    /// `cluster.pinned_keys`: host names (as `cluster.host`) to X25519 public keys (base64 of 32 bytes, as
    /// `rotord fleet keygen` prints them); at least this host, whose own key a leader must be able to seal to.
    private mutating func clusterPinnedKeys(_ node: Node, host: String) -> [String: String]? {
        guard let map = mapping(node, at: "cluster.pinned_keys") else { return nil }
        var pins: [String: String] = [:]
        for (name, value) in map {
            let key = "cluster.pinned_keys.\(name)"
            guard Self.isHostName(name) else {
                error(
                    key, value,
                    "\"\(name)\" is not a host name as cluster.host takes them (letters, digits, '.', '-', '_')")
                continue
            }
            guard let text = string(value, at: key) else { continue }
            guard let raw = Data(base64Encoded: text), raw.count == Self.publicKeyBytes else {
                error(
                    key, value,
                    "must be the host's X25519 public key as `rotord fleet keygen` prints it (base64 of "
                        + "\(Self.publicKeyBytes) bytes); got \"\(text)\"")
                continue
            }
            pins[name] = text
        }
        if map.isEmpty {
            error("cluster.pinned_keys", node, "must list at least this host (\(host)) with its public key")
        } else if pins[host] == nil, map[host] == nil {
            error(
                "cluster.pinned_keys", node,
                "must list this host (\(host)) too: a leader seals the new pair only to the hosts pinned here, itself "
                    + "included")
        }
        return pins
    }

    /// The length of an X25519 public key.
    static let publicKeyBytes = 32

    /// Whether `value` can name a host: 1 to 253 letters, digits, `.`, `-` and `_`, not starting with `.`.
    static func isHostName(_ value: String) -> Bool {
        let allowed = value.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || "._-".unicodeScalars.contains($0)
        }
        return !value.isEmpty && value.count <= maximumHostLength && allowed && !value.hasPrefix(".")
    }

    /// `cluster.etcd.endpoints`: a non-empty list of distinct http(s) URLs, all `https` when `tls` is set.
    private mutating func etcdEndpoints(_ node: Node?, tls: ClusterSettings.TLS?) -> [String] {
        guard let node else {
            error(
                "cluster.etcd.endpoints", nil, "is required (the etcd members' client URLs, such as https://etcd1:2379)"
            )
            return []
        }
        var endpoints: [String] = []
        for (index, item) in sequence(node, at: "cluster.etcd.endpoints").enumerated() {
            let key = "cluster.etcd.endpoints[\(index)]"
            guard let value = url(item, at: key) else { continue }
            if let components = URLComponents(string: value), components.path.count > 1 || components.query != nil {
                error(
                    key, item,
                    "must be a member's client URL without a path, such as https://etcd1:2379; got \"\(value)\"")
                continue
            }
            if tls != nil, !value.hasPrefix("https://") {
                error(key, item, "must be https:// since cluster.etcd.tls is set; got \"\(value)\"")
                continue
            }
            if endpoints.contains(value) {
                error(key, item, "\"\(value)\" is listed twice")
                continue
            }
            endpoints.append(value)
        }
        if node.sequence != nil, node.sequence?.isEmpty == true {
            error("cluster.etcd.endpoints", node, "must list at least one etcd member")
        }
        return endpoints
    }

    /// `cluster.etcd.tls`: absolute paths; a client certificate and its key together.
    private mutating func clusterTLS(_ node: Node) -> ClusterSettings.TLS? {
        guard let map = mapping(node, at: "cluster.etcd.tls", allowed: Self.clusterTLSKeys) else { return nil }
        let tls = ClusterSettings.TLS(
            caFile: absolutePath(map["ca_file"], at: "cluster.etcd.tls.ca_file"),
            certFile: absolutePath(map["cert_file"], at: "cluster.etcd.tls.cert_file"),
            keyFile: absolutePath(map["key_file"], at: "cluster.etcd.tls.key_file"))
        if (map["cert_file"] == nil) != (map["key_file"] == nil) {
            let missing = map["cert_file"] == nil ? "cert_file" : "key_file"
            error(
                "cluster.etcd.tls.\(missing)", node,
                "is required with \(missing == "cert_file" ? "key_file" : "cert_file") (a client certificate and its key go together)"
            )
        }
        if map.isEmpty {
            error("cluster.etcd.tls", node, "must set ca_file, or cert_file and key_file, or all three")
        }
        return tls
    }

    /// `cluster.etcd.auth`: a user name and an absolute password file, both required.
    private mutating func clusterAuth(_ node: Node) -> ClusterSettings.Auth? {
        guard let map = mapping(node, at: "cluster.etcd.auth", allowed: Self.clusterAuthKeys) else { return nil }
        let user = requiredString(map, "user", at: "cluster.etcd.auth")
        if let user, user.isEmpty || user.contains(where: { $0.isWhitespace || $0.isNewline }) {
            error("cluster.etcd.auth.user", map["user"], "must be an etcd user name without spaces, such as rotord-h1")
        }
        let passwordFile = absolutePath(map["password_file"], at: "cluster.etcd.auth.password_file")
        if map["password_file"] == nil {
            error(
                "cluster.etcd.auth.password_file", node,
                "is required with cluster.etcd.auth (the file that holds the etcd user's password, mode 0600)")
        }
        guard let user, let passwordFile else { return nil }
        return ClusterSettings.Auth(user: user, passwordFile: passwordFile)
    }

    /// `cluster.host`: default the machine's host name; letters, digits, `.`, `-` and `_` (it is part of etcd keys).
    private mutating func clusterHost(_ node: Node?) -> String {
        let value = node.flatMap { string($0, at: "cluster.host") } ?? ProcessInfo.processInfo.hostName
        if !Self.isHostName(value) {
            error(
                "cluster.host", node,
                "must be 1 to \(Self.maximumHostLength) letters, digits, '.', '-' or '_' (it names this host's keys "
                    + "in etcd), not starting with '.'; got \"\(value)\"\(node == nil ? " (the host name)" : "")")
        }
        return value
    }
}
