import EtcdClient
import Foundation
import Glibc
import RotordCore

extension Commands {
    /// `check-config` on `cluster:` (docs/fleet.md): the host's key file is a regular file, not readable by group or
    /// others, holding an X25519 private key as `rotord fleet keygen` writes it, whose public key is the one
    /// `cluster.pinned_keys` pins for this host (when set); and the files of `cluster.etcd.tls`
    /// can be read and hold a PEM CA certificate, client certificate and its key
    /// (``ClusterSettings/etcdConfiguration(configPath:)``).
    package static func clusterKeyProblems(_ cluster: ClusterSettings, configPath: String) -> [ConfigurationError] {
        var problems: [ConfigurationError] = []
        do {
            let key = try FleetHostKey.load(cluster.keyFile)
            if let problem = FleetHostKey.pinProblem(key, cluster: cluster, configPath: configPath) {
                problems.append(problem)
            }
        } catch {
            problems.append(.init(file: configPath, key: "cluster.key_file", message: error.description))
        }
        do { _ = try cluster.etcdConfiguration(configPath: configPath) } catch { problems.append(error) }
        return problems
    }

    /// `check-config` online: whether etcd answers a linearizable read of the leader key; the text for the verdict
    /// line, or a warning (etcd unreachable is not a configuration error, as Fracttal unreachable is not).
    package static func clusterReachability(
        _ cluster: ClusterSettings, configPath: String, output: inout CheckConfigOutput
    )
        async -> String
    {
        let configuration: EtcdClient.Configuration
        do { configuration = try cluster.etcdConfiguration(configPath: configPath) } catch {
            // Reported as a problem by clusterKeyProblems already, unless the file changed since.
            output.warning(
                .init(file: error.file, key: error.key, message: "\(error.message); etcd was not contacted"))
            return ""
        }
        let client = EtcdClient(configuration: configuration)
        var verdict = ""
        do {
            let leader = try await client.range(cluster.prefix + "/leader")
            let name = leader.kvs.first.map { "leader \($0.string)" } ?? "no leader"
            verdict = "; etcd answered at \(client.currentEndpoint) (revision \(leader.revision), \(name))"
        } catch {
            // etcd answered but refused: the login (cluster.etcd.auth) or a permission, not the endpoints.
            let refused = error.grpcCode != nil && !error.isTransient
            let key = refused && cluster.auth != nil ? "cluster.etcd.auth" : "cluster.etcd.endpoints"
            output.warning(
                .init(
                    file: configPath, key: key,
                    message: "\(refused ? "etcd refused the check" : "could not reach etcd"): \(error.description)"))
        }
        try? await client.shutdown()
        return verdict
    }
}
