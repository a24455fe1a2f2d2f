import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import RotordCore
import RotordKit
import RotordTestKit
import Testing

@testable import EtcdClient

/// ``EtcdClient`` logging in as an etcd user (docs/fleet.md, "Trust") against a real member run with authentication
/// enabled and tokens that expire after 5 s idle (`--auth-token-ttl 5`): RBAC limits the user to its prefix, an
/// expired token is replaced by a new login, and no error or output shows the password. Also `check-config` on
/// `cluster.etcd.auth`.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct EtcdAuthTests {
    static let rootPassword = "RootPassword-9f2c41"
    static let hostPassword = "HostPassword-7d1e5a"

    /// A one-member cluster with root, a role `fleet` that may read and write `prefix` only, a user `h1` with that
    /// role, and authentication enabled.
    static func withAuthCluster(prefix: String, _ body: (EtcdCluster) async throws -> Void) async throws {
        let cluster = try await EtcdCluster.start(
            size: 1, arguments: ["--auth-token", "simple", "--auth-token-ttl", "5"])
        do {
            try await cluster.enableAuthentication(
                rootPassword: rootPassword, roles: ["fleet": [.readWrite(prefix: prefix)]],
                users: [.init(name: "h1", password: hostPassword, roles: ["fleet"])])
            try await body(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    @Test func logsInKeepsToItsPrefixAndLogsInAgainWhenTheTokenExpires() async throws {
        let prefix = "/rotord/auth-test/"
        try await Self.withAuthCluster(prefix: prefix) { cluster in
            let url = cluster.clientURLs[0]
            let client = EtcdClient(
                configuration: .init(
                    endpoints: [url], requestTimeout: .seconds(15),
                    auth: .init(user: "h1", password: Self.hostPassword)))
            defer { Task { try? await client.shutdown() } }
            #expect("\(client.configuration.auth!)" == "etcd user h1")

            // Reads, writes, transactions, leases and a watch, as h1.
            let watch = try await client.watch(prefix, prefix: true)
            defer { watch.cancel() }
            let revision = try await client.put(prefix + "a", "one")
            #expect(try await client.range(prefix, prefix: true).kvs.map(\.string) == ["one"])
            let swapped = try await client.txn(
                [.modRevision(prefix + "a", .equal, revision)], success: [.put(prefix + "a", "two")])
            #expect(swapped.succeeded)
            let events = try await EtcdClientTests.first(2, of: watch)
            #expect(events.map(\.kv.string) == ["one", "two"])

            // RBAC: outside its prefix h1 is refused, and the refusal says so.
            await #expect { try await client.put("/elsewhere/k", "x") } throws: { error in
                "\(error)".contains("permission denied")
            }

            // The token expires after 5 s unused: the next call (a watch, then a read) logs in again, transparently.
            for call in ["watch", "range"] {
                let before = client.token.withLock { $0 }
                try await Task.sleep(for: .seconds(8))
                if call == "watch" {
                    let again = try await client.watch(prefix, prefix: true)
                    again.cancel()
                } else {
                    #expect(try await client.range(prefix + "a").kvs.map(\.string) == ["two"])
                }
                let after = client.token.withLock { $0 }
                #expect(
                    before != nil && after != nil && before != after, "\(call): a new login after the token expired")
            }

            // Without a login, and with a wrong password: refused, naming the user, never showing the password.
            let anonymous = EtcdClient(configuration: .init(endpoints: [url], requestTimeout: .seconds(15)))
            defer { Task { try? await anonymous.shutdown() } }
            await #expect(throws: EtcdError.self) { try await anonymous.range(prefix + "a") }
            let wrong = EtcdClient(
                configuration: .init(
                    endpoints: [url], requestTimeout: .seconds(15),
                    auth: .init(user: "h1", password: "Wrong-\(Self.hostPassword)")))
            defer { Task { try? await wrong.shutdown() } }
            await #expect { try await wrong.range(prefix + "a") } throws: { error in
                let text = "\(error)"
                print("etcd auth, a wrong password: \(text)")
                return text.contains("logging in as etcd user h1") && text.contains("authentication failed")
                    && !text.contains(Self.hostPassword)
            }
            print(
                "etcd auth: put, txn, watch as h1; refused outside its prefix; logged in again after the token expired")
        }
    }

    @Test func checkConfigReadsThePasswordFileAndLogsIn() async throws {
        let prefix = "/rotord/auth-check/"
        try await Self.withAuthCluster(prefix: prefix) { cluster in
            let keyFile = "\(cluster.directory)/fleet.key"
            _ = try FleetHostKey.generate(at: keyFile)
            let passwordFile = "\(cluster.directory)/etcd-password"
            #expect(
                FileManager.default.createFile(
                    atPath: passwordFile, contents: Data((Self.hostPassword + "\n").utf8),
                    attributes: [.posixPermissions: 0o600]))
            var settings = ClusterSettings(
                endpoints: cluster.clientURLs, prefix: String(prefix.dropLast()), host: "h1", keyFile: keyFile)
            settings.auth = .init(user: "h1", passwordFile: passwordFile)
            #expect(Commands.clusterKeyProblems(settings, configPath: "/c.yaml").isEmpty)
            var output = CheckConfigOutput(json: true)
            let verdict = await Commands.clusterReachability(settings, configPath: "/c.yaml", output: &output)
            #expect(verdict.contains("etcd answered at http://"), "\(verdict)")
            #expect(output.items.isEmpty, "\(output.items.map(\.error.description))")

            // A password file others can read is refused, naming the key and the file, not its content.
            chmod(passwordFile, 0o644)
            let problems = Commands.clusterKeyProblems(settings, configPath: "/c.yaml")
            #expect(problems.map(\.key) == ["cluster.etcd.auth.password_file"])
            #expect(problems.first?.description.contains("chmod 0600") == true, "\(problems)")
            #expect(!problems.contains { $0.description.contains(Self.hostPassword) })
            chmod(passwordFile, 0o600)

            // The wrong password: check-config warns that etcd refused the login, without the password.
            try Data("Wrong-password\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
            output = CheckConfigOutput(json: true)
            _ = await Commands.clusterReachability(settings, configPath: "/c.yaml", output: &output)
            let warnings = output.items.map(\.error.description).joined(separator: "; ")
            #expect(warnings.contains("authentication failed") && !warnings.contains("Wrong-password"), "\(warnings)")
            #expect(output.items.map(\.error.key) == ["cluster.etcd.auth"], "the login is named, not the endpoints")
            print("check-config with cluster.etcd.auth: \(verdict.dropFirst(2)); the wrong password: \(warnings)")
        }
    }
}
