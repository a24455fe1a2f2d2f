import Foundation
import Glibc
import RotordCore
import RotordKit
import Testing

/// `cluster:` is parsed, validated with errors that name the key, and stored; without it there is no cluster.
@Suite struct ClusterConfigurationTests {
    let loader = ConfigurationLoader()

    func parse(_ cluster: String) throws -> RotordConfiguration {
        try loader.parse(ConfigurationLoaderTests.base + cluster, path: "/etc/rotord/rotord.yaml")
    }

    func errors(_ cluster: String) -> [ConfigurationError] {
        do {
            _ = try loader.parse(ConfigurationLoaderTests.base + cluster, path: "/etc/rotord/rotord.yaml")
            return []
        } catch {
            return error.errors
        }
    }

    @Test func theLeaseTTLIsBoundedAndItsFencingChecked() throws {
        let section = """
            cluster:
              etcd: {endpoints: [http://127.0.0.1:2379], prefix: /rotord/acme}
              key_file: /etc/rotord/fleet.key

            """
        let plain = try #require(try parse(section).cluster)
        #expect(plain.leaseTTL == .seconds(10))
        // The default fracttal.timeout (30s) can never be fenced by a 10 s lease: said, with what to do.
        #expect(plain.fencingProblem(fracttalTimeout: .seconds(30))?.contains("lower fracttal.timeout") == true)
        #expect(plain.fencingProblem(fracttalTimeout: .seconds(5)) == nil, "5 s + 1 s margin < 2/3 of 10 s")
        let short = try #require(try parse(section + "  lease_ttl: 3s\n").cluster)
        #expect(short.leaseTTL == .seconds(3))
        #expect(short.fencingProblem(fracttalTimeout: .seconds(1)) != nil, "1 s + 1 s margin is not under 2 s")
        for bad in ["2s", "11s"] {
            #expect(errors(section + "  lease_ttl: \(bad)\n").contains { $0.key == "cluster.lease_ttl" }, "\(bad)")
        }
    }

    @Test func withoutClusterThereIsNone() throws {
        #expect(try parse("").cluster == nil)
    }

    @Test func aFullSectionIsStored() throws {
        let configuration = try parse(
            """
            cluster:
              etcd:
                endpoints: [https://etcd1:2379, https://etcd2:2379]
                prefix: /rotord/acme
                tls: {ca_file: /etc/rotord/etcd-ca.pem, cert_file: /etc/rotord/etcd.pem, key_file: /etc/rotord/etcd.key}
                auth: {user: rotord-web-1, password_file: /etc/credstore/etcd-password}
              host: web-1
              key_file: /etc/credstore/rotord-fleet.key
              leader_eligible: false
            """)
        let cluster = try #require(configuration.cluster)
        #expect(cluster.endpoints == ["https://etcd1:2379", "https://etcd2:2379"])
        #expect(cluster.prefix == "/rotord/acme")
        #expect(
            cluster.tls
                == .init(
                    caFile: "/etc/rotord/etcd-ca.pem", certFile: "/etc/rotord/etcd.pem", keyFile: "/etc/rotord/etcd.key"
                ))
        #expect(cluster.host == "web-1" && cluster.keyFile == "/etc/credstore/rotord-fleet.key")
        #expect(!cluster.leaderEligible)
        #expect(cluster.auth == .init(user: "rotord-web-1", passwordFile: "/etc/credstore/etcd-password"))
    }

    @Test func defaultsAreTheHostNameAndEligible() throws {
        let cluster = try #require(
            try parse(
                """
                cluster:
                  etcd: {endpoints: [http://127.0.0.1:2379], prefix: /rotord/acme}
                  key_file: /etc/credstore/rotord-fleet.key
                """
            ).cluster)
        #expect(cluster.host == ProcessInfo.processInfo.hostName)
        #expect(cluster.leaderEligible && cluster.tls == nil)
    }

    @Test(arguments: [
        ("cluster: {key_file: /k}", "cluster.etcd"),
        ("cluster: {etcd: {prefix: /p}, key_file: /k}", "cluster.etcd.endpoints"),
        ("cluster: {etcd: {endpoints: [], prefix: /p}, key_file: /k}", "cluster.etcd.endpoints"),
        ("cluster: {etcd: {endpoints: [ftp://e:1], prefix: /p}, key_file: /k}", "cluster.etcd.endpoints[0]"),
        ("cluster: {etcd: {endpoints: [http://e:1/v3], prefix: /p}, key_file: /k}", "cluster.etcd.endpoints[0]"),
        (
            "cluster: {etcd: {endpoints: [http://e:1, http://e:1], prefix: /p}, key_file: /k}",
            "cluster.etcd.endpoints[1]"
        ),
        ("cluster: {etcd: {endpoints: [http://e:1]}, key_file: /k}", "cluster.etcd.prefix"),
        ("cluster: {etcd: {endpoints: [http://e:1], prefix: rotord}, key_file: /k}", "cluster.etcd.prefix"),
        ("cluster: {etcd: {endpoints: [http://e:1], prefix: /rotord/}, key_file: /k}", "cluster.etcd.prefix"),
        (
            "cluster: {etcd: {endpoints: [http://e:1], prefix: /p, tls: {ca_file: /ca}}, key_file: /k}",
            "cluster.etcd.endpoints[0]"
        ),
        (
            "cluster: {etcd: {endpoints: [https://e:1], prefix: /p, tls: {cert_file: /c}}, key_file: /k}",
            "cluster.etcd.tls.key_file"
        ),
        (
            "cluster: {etcd: {endpoints: [https://e:1], prefix: /p, tls: {ca_file: ca}}, key_file: /k}",
            "cluster.etcd.tls.ca_file"
        ),
        ("cluster: {etcd: {endpoints: [https://e:1], prefix: /p, tls: {}}, key_file: /k}", "cluster.etcd.tls"),
        ("cluster: {etcd: {endpoints: [http://e:1], prefix: /p, user: x}, key_file: /k}", "cluster.etcd.user"),
        (
            "cluster: {etcd: {endpoints: [http://e:1], prefix: /p, auth: {user: u}}, key_file: /k}",
            "cluster.etcd.auth.password_file"
        ),
        (
            "cluster: {etcd: {endpoints: [http://e:1], prefix: /p, auth: {password_file: /p}}, key_file: /k}",
            "cluster.etcd.auth.user"
        ),
        (
            "cluster: {etcd: {endpoints: [http://e:1], prefix: /p, auth: {user: u, password_file: p}}, key_file: /k}",
            "cluster.etcd.auth.password_file"
        ),
        (
            "cluster: {etcd: {endpoints: [http://e:1], prefix: /p, auth: {user: u, password: x}}, key_file: /k}",
            "cluster.etcd.auth.password"
        ),
        ("cluster: {etcd: {endpoints: [http://e:1], prefix: /p}}", "cluster.key_file"),
        ("cluster: {etcd: {endpoints: [http://e:1], prefix: /p}, key_file: k}", "cluster.key_file"),
        ("cluster: {etcd: {endpoints: [http://e:1], prefix: /p}, key_file: /k, host: a/b}", "cluster.host"),
        (
            "cluster: {etcd: {endpoints: [http://e:1], prefix: /p}, key_file: /k, leader_eligible: yes}",
            "cluster.leader_eligible"
        ),
        ("cluster: {etcd: {endpoints: [http://e:1], prefix: /p}, key_file: /k, hosts: [a]}", "cluster.hosts"),
        ("cluster: [a]", "cluster"),
    ])
    func errorsNameTheKey(yaml: String, key: String) {
        let found = errors(yaml)
        #expect(found.contains { $0.key == key }, "\(yaml): \(found.map(\.description))")
    }

    /// `cluster.pinned_keys`: host names to 32-byte base64 keys, this host included; the leader's verdict on a member
    /// (not listed, another key, the pinned key), and a reload may change it (not part of ``ClusterSettings/fixedAtStart``).
    @Test func pinnedKeysAreCheckedAndDecideWhoIsSealedAPair() throws {
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        let other = Data(repeating: 9, count: 32).base64EncodedString()
        let section = """
            cluster:
              etcd: {endpoints: [http://127.0.0.1:2379], prefix: /rotord/acme}
              key_file: /etc/rotord/fleet.key
              host: h1

            """
        let cluster = try #require(
            try parse(section + "  pinned_keys: {h1: \"\(key)\", h2: \"\(other)\"}\n").cluster)
        #expect(cluster.pinnedKeys == ["h1": key, "h2": other])
        #expect(cluster.untrustedReason(host: "h2", publicKey: other) == nil)
        #expect(cluster.untrustedReason(host: "h2", publicKey: key)?.contains("not the one pinned") == true)
        #expect(cluster.untrustedReason(host: "h9", publicKey: key)?.contains("fleet forget h9") == true)
        #expect(try #require(try parse(section).cluster).untrustedReason(host: "h9", publicKey: key) == nil)
        var moved = cluster
        moved.pinnedKeys = ["h1": key]
        #expect(moved.fixedAtStart == cluster.fixedAtStart && moved != cluster)

        for (bad, at) in [
            ("{h1: \"\(key)\", h2: short}", "cluster.pinned_keys.h2"),
            ("{h1: \"\(key)\", \"a/b\": \"\(key)\"}", "cluster.pinned_keys.a/b"),
            ("{h2: \"\(key)\"}", "cluster.pinned_keys"),
            ("{}", "cluster.pinned_keys"),
            ("[h1]", "cluster.pinned_keys"),
        ] {
            let found = errors(section + "  pinned_keys: \(bad)\n")
            #expect(found.contains { $0.key == at }, "\(bad): \(found.map(\.description))")
        }
    }

    /// This host's own key must be the one pinned for it (check-config, and the daemon at start).
    @Test func checkConfigComparesThisHostsKeyWithItsPin() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/fleet.key"
        let own = try FleetHostKey.generate(at: path)
        var cluster = ClusterSettings(endpoints: ["http://127.0.0.1:1"], prefix: "/rotord/t", host: "h", keyFile: path)
        cluster.pinnedKeys = ["h": own]
        #expect(Commands.clusterKeyProblems(cluster, configPath: "/c.yaml").isEmpty)
        cluster.pinnedKeys = ["h": Data(repeating: 1, count: 32).base64EncodedString()]
        let problems = Commands.clusterKeyProblems(cluster, configPath: "/c.yaml")
        #expect(problems.map(\.key) == ["cluster.pinned_keys.h"], "\(problems)")
        #expect(problems.first?.message.contains(own) == true, "names this host's public key")
    }

    /// `check-config` with `cluster:` checks the host key file (as every command will load it).
    @Test func checkConfigChecksTheKeyFile() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/fleet.key"
        let cluster = ClusterSettings(endpoints: ["http://127.0.0.1:1"], prefix: "/rotord/t", host: "h", keyFile: path)
        func problems() -> [ConfigurationError] {
            Commands.clusterKeyProblems(cluster, configPath: "/etc/rotord/rotord.yaml")
        }
        #expect(problems().map(\.key) == ["cluster.key_file"], "missing")
        _ = try FleetHostKey.generate(at: path)
        #expect(problems().isEmpty)
        chmod(path, 0o644)
        #expect(problems().first?.message.contains("chmod 0600") == true, "\(problems())")
        try "not a key\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        #expect(problems().first?.message.contains("not a host key") == true, "\(problems())")
    }
}
