import EtcdClient

/// Where the fleet keeps what in etcd, under `cluster.etcd.prefix` (docs/fleet.md, "Keys"). Every value carries a
/// format version; none holds a secret in clear.
package struct FleetKeys: Sendable, Hashable {
    /// `cluster.etcd.prefix`, without a trailing slash.
    package var prefix: String

    /// Keys under `prefix`.
    package init(prefix: String) {
        self.prefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
    }

    /// The leadership key (leased; the leader's host name): `P/leader`.
    package var leader: String { prefix + "/leader" }
    /// Durable membership: `P/hosts/`.
    package var hostsPrefix: String { prefix + "/hosts/" }
    /// One member's durable record (``FleetMember``; only `rotord fleet forget` removes it).
    package func host(_ name: String) -> String { hostsPrefix + name }
    /// Liveness: `P/alive/` (each key leased by its host).
    package var alivePrefix: String { prefix + "/alive/" }
    /// One host's liveness key.
    package func alive(_ name: String) -> String { alivePrefix + name }
    /// The journal: `P/rotations/`, one key per unfinished rotation.
    package var rotationsPrefix: String { prefix + "/rotations/" }
    /// One rotation's record (no secret).
    package func rotation(_ id: String) -> String { rotationsPrefix + id }
    /// Finished rotations (masked): `P/history/`.
    package var historyPrefix: String { prefix + "/history/" }
    /// One finished rotation.
    package func history(_ id: String) -> String { historyPrefix + id }
    /// The copies sealed to leader-eligible hosts at `created`, so that any next leader can verify and seal again.
    package func escrowPrefix(_ id: String) -> String { prefix + "/escrow/\(id)/" }
    /// One leader-eligible host's escrow copy.
    package func escrow(_ id: String, host: String) -> String { escrowPrefix(id) + host }
    /// The copies sealed to delivering hosts at publish: `P/sealed/`.
    package var sealedPrefix: String { prefix + "/sealed/" }
    /// One rotation's delivery copies.
    package func sealedPrefix(_ id: String) -> String { sealedPrefix + "\(id)/" }
    /// One delivering host's copy.
    package func sealed(_ id: String, host: String) -> String { sealedPrefix(id) + host }
    /// Every host's confirmations: `P/confirm/`.
    package var confirmationsPrefix: String { prefix + "/confirm/" }
    /// One host's confirmations, `P/confirm/<h>/`: the host first, so that etcd RBAC can give each host a write
    /// permission on its own range only (docs/fleet.md, "Trust").
    package func confirmationsPrefix(host: String) -> String { confirmationsPrefix + "\(host)/" }
    /// One host's confirmation of one rotation: `P/confirm/<h>/<id>`.
    package func confirmation(_ id: String, host: String) -> String { confirmationsPrefix(host: host) + id }
    /// The confirmations of rotation `id` among `listing` (a read of ``confirmationsPrefix``).
    package func confirmations(of id: String, in listing: [EtcdKeyValue]) -> [EtcdKeyValue] {
        listing.filter {
            $0.key.hasPrefix(confirmationsPrefix) && $0.key.hasSuffix("/\(id)")
                && $0.key.dropFirst(confirmationsPrefix.count).split(separator: "/").count == 2
        }
    }

    /// Operators' requests to the leader (`rotord rotate` on any host): `P/requests/`.
    package var requestsPrefix: String { prefix + "/requests/" }
    /// One request.
    package func request(_ id: String) -> String { requestsPrefix + id }
    /// The leader's answer to one request.
    package func answer(_ id: String) -> String { prefix + "/answers/\(id)" }
    /// The hosts an operator accepted for one rotation (`rotord rotate NAME --accept-unconfirmed --host H`).
    package func acceptedPrefix(_ id: String) -> String { prefix + "/accepted/\(id)/" }
    /// One accepted host of one rotation.
    package func accepted(_ id: String, host: String) -> String { acceptedPrefix(id) + host }

    /// The rotation id and host of a key `…/<id>/<host>` under one of the per-rotation prefixes.
    package static func rotationAndHost(of key: String, under prefix: String) -> (rotation: String, host: String)? {
        guard key.hasPrefix(prefix) else { return nil }
        let parts = key.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }
}
