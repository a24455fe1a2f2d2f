import EtcdClient
import Foundation
import Glibc
import RotordCore

extension Commands {
    /// `check-config` on `cluster:` (docs/fleet.md): the host's key file is a regular file, not readable by group or
    /// others, holding an X25519 private key as `rotord fleet keygen` writes it.
    package static func clusterKeyProblems(_ cluster: ClusterSettings, configPath: String) -> [ConfigurationError] {
        do {
            _ = try FleetHostKey.load(cluster.keyFile)
            return []
        } catch {
            return [.init(file: configPath, key: "cluster.key_file", message: error.description)]
        }
    }

    /// `check-config` online: whether etcd answers a linearizable read of the leader key; the text for the verdict
    /// line, or a warning (etcd unreachable is not a configuration error, as Fracttal unreachable is not).
    package static func clusterReachability(
        _ cluster: ClusterSettings, configPath: String, output: inout CheckConfigOutput
    )
        async -> String
    {
        if cluster.tls != nil {
            output.warning(
                .init(
                    file: configPath, key: "cluster.etcd.tls",
                    message: "TLS to etcd is not implemented yet (docs/fleet.md); etcd was not contacted"))
            return ""
        }
        let client = EtcdClient(configuration: .init(endpoints: cluster.endpoints))
        var verdict = ""
        do {
            let leader = try await client.range(cluster.prefix + "/leader")
            let name = leader.kvs.first.map { "leader \($0.string)" } ?? "no leader"
            verdict = "; etcd answered at \(client.currentEndpoint) (revision \(leader.revision), \(name))"
        } catch {
            output.warning(
                .init(
                    file: configPath, key: "cluster.etcd.endpoints",
                    message: "could not reach etcd: \(error.description)"))
        }
        try? await client.shutdown()
        return verdict
    }
}
