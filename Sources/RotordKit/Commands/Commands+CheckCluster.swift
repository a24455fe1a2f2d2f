import Crypto
import EtcdClient
import Foundation
import Glibc
import RotordCore

extension Commands {
    /// `check-config` on `cluster:` (docs/fleet.md): the host's key file is a regular file, not readable by group or
    /// others, holding an X25519 private key as `rotord fleet keygen` writes it.
    package static func clusterKeyProblems(_ cluster: ClusterSettings, configPath: String) -> [ConfigurationError] {
        let path = cluster.keyFile
        func problem(_ message: String) -> [ConfigurationError] {
            [.init(file: configPath, key: "cluster.key_file", message: message)]
        }
        var st = stat()
        guard lstat(path, &st) == 0 else {
            return problem(
                "\(path): \(String(cString: strerror(errno))); `rotord fleet keygen --out \(path)` makes one")
        }
        guard st.st_mode & S_IFMT == S_IFREG else { return problem("\(path) is not a regular file") }
        guard st.st_mode & 0o077 == 0 else {
            return problem(
                "\(path) has mode \(String(st.st_mode & 0o777, radix: 8)); a private key must be 0600 (chmod 0600 \(path))"
            )
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
            (try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)) != nil
        else {
            return problem("\(path) does not hold an X25519 private key as `rotord fleet keygen` writes it")
        }
        return []
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
        defer { Task { try? await client.shutdown() } }
        do {
            let leader = try await client.range(cluster.prefix + "/leader")
            let name = leader.kvs.first.map { "leader \($0.string)" } ?? "no leader"
            return "; etcd answered at \(client.currentEndpoint) (revision \(leader.revision), \(name))"
        } catch {
            output.warning(
                .init(
                    file: configPath, key: "cluster.etcd.endpoints",
                    message: "could not reach etcd: \(error.description)"))
            return ""
        }
    }
}
