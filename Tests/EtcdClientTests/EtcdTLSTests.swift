import EtcdClient
import Foundation
import RotordCore
import RotordKit
import RotordTestKit
import Testing

/// A suite trait that starts one real etcd member serving clients over TLS only, with `--client-cert-auth`
/// (``EtcdCluster/start(size:tls:arguments:partitionable:)``), gives it to the suite's tests through ``EtcdTLSClusterScope/current``, and
/// stops it (by pid, its folder with the certificates removed) when the suite ends, however it ends.
struct EtcdTLSClusterScope: SuiteTrait, TestScoping {
    /// The cluster of the suite that is running.
    @TaskLocal static var current: EtcdCluster?

    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let clock = ContinuousClock()
        let began = clock.now
        let cluster = try await EtcdCluster.start(size: 1, tls: true)
        print(
            "etcd: 1 TLS member healthy in \(began.duration(to: clock.now)) at \(cluster.clientURLs[0]) "
                + "(pid \(cluster.pid(member: 0).map(String.init) ?? "-"), certificates in \(cluster.directory)/tls)")
        do {
            try await Self.$current.withValue(cluster) { try await function() }
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// The running suite's cluster (the suite carries `.etcdTLSCluster`).
    static func cluster() throws -> EtcdCluster {
        try #require(current, "the suite needs the .etcdTLSCluster trait")
    }

    /// The running suite's certificates and keys.
    static func files() throws -> EtcdCluster.TLSFiles {
        try #require(cluster().tls, "the cluster was started without TLS")
    }
}

extension Trait where Self == EtcdTLSClusterScope {
    /// One real etcd member serving clients over TLS, with client certificates required, for the suite.
    static var etcdTLSCluster: Self { .init() }
}

/// ``EtcdClient`` over TLS (CA and client certificate) against a real etcd member run with `--cert-file`,
/// `--key-file`, `--trusted-ca-file` and `--client-cert-auth`; what a client without its certificate, trusting
/// another CA, or given a file it cannot use is told; and `check-config` on `cluster.etcd.tls`.
@Suite(.serialized, .etcdTLSCluster)
struct EtcdTLSTests {
    /// A client of the running member with `tls`; the request timeout of the tests that time nothing.
    static func client(_ tls: EtcdClient.Configuration.TLS) throws -> EtcdClient {
        let configuration = EtcdClient.Configuration(
            endpoints: try EtcdTLSClusterScope.cluster().clientURLs,
            requestTimeout: EtcdClusterScope.untimedRequestTimeout, tls: tls)
        return EtcdClient(configuration: configuration)
    }

    /// The CA and the client certificate the member trusts.
    static func trusted() throws -> EtcdClient.Configuration.TLS {
        let files = try EtcdTLSClusterScope.files()
        return try .init(caFile: files.caFile, certFile: files.clientCertFile, keyFile: files.clientKeyFile)
    }

    @Test func putRangeTxnWatchAndLeasesOverTLS() async throws {
        let client = try Self.client(Self.trusted())
        defer { Task { try? await client.shutdown() } }
        #expect(client.currentEndpoint.hasPrefix("https://127.0.0.1:"))
        let prefix = EtcdClusterScope.uniquePrefix("tls")
        let watch = try await client.watch(prefix, prefix: true)
        defer { watch.cancel() }

        let revision = try await client.put(prefix + "a", "one")
        let read = try await client.range(prefix, prefix: true)
        #expect(read.kvs.map(\.string) == ["one"] && read.kvs[0].modRevision == revision)
        let swapped = try await client.txn(
            [.modRevision(prefix + "a", .equal, revision)], success: [.put(prefix + "a", "two"), .range(prefix + "a")])
        #expect(swapped.succeeded && swapped.firstRange.map(\.string) == ["two"])

        let lease = try await client.grantLease(ttl: .seconds(5))
        try await client.put(prefix + "leased", "here", lease: lease.id)
        #expect(try await client.keepAlive(lease: lease.id).ttl == .seconds(5))
        try await client.revoke(lease: lease.id)
        #expect(try await client.range(prefix + "leased").kvs.isEmpty, "a key of a revoked lease is gone")

        let events = try await EtcdClientTests.first(4, of: watch)
        #expect(events.map(\.kind) == [.put, .put, .put, .delete])
        #expect(events.map(\.kv.key) == [prefix + "a", prefix + "a", prefix + "leased", prefix + "leased"])
        print("etcd over TLS: put, range, txn, lease grant/keepalive/revoke and a watch (\(events.count) events)")
    }

    @Test func withoutTheClientCertificateTheMemberRefuses() async throws {
        let client = try Self.client(.init(caFile: EtcdTLSClusterScope.files().caFile))
        defer { Task { try? await client.shutdown() } }
        let key = EtcdClusterScope.uniquePrefix("tls-nocert") + "k"
        let clock = ContinuousClock()
        let began = clock.now
        await #expect { try await client.range(key) } throws: { error in
            guard let error = error as? EtcdError else { return false }
            print("etcd over TLS without a client certificate, a read: \(error)")
            return error.description.contains("certFile and keyFile are not set")
        }
        // With TLS 1.3 the client's handshake ends before the member checks the certificate: the member closes the
        // connection after the request was sent, so a write's outcome is, as far as the client knows, unknown.
        await #expect { try await client.put(key, "never") } throws: { error in
            guard let error = error as? EtcdError else { return false }
            print("etcd over TLS without a client certificate, a write: \(error)")
            return error.description.contains("certFile and keyFile are not set")
        }
        let trusted = try Self.client(Self.trusted())
        defer { Task { try? await trusted.shutdown() } }
        #expect(try await trusted.range(key).kvs.isEmpty, "the write was not applied")
        #expect(began.duration(to: clock.now) < .seconds(15), "refused, not waited out")
    }

    @Test func aMemberCertifiedByAnotherCAIsRejected() async throws {
        let files = try EtcdTLSClusterScope.files()
        let client = try Self.client(
            .init(caFile: files.otherCAFile, certFile: files.clientCertFile, keyFile: files.clientKeyFile))
        defer { Task { try? await client.shutdown() } }
        let key = EtcdClusterScope.uniquePrefix("tls-otherca") + "k"
        await #expect { try await client.range(key) } throws: { error in
            guard let error = error as? EtcdError else { return false }
            print("etcd over TLS trusting another CA, a read: \(error)")
            return error.description.contains("CA")
        }
        await #expect { try await client.put(key, "never") } throws: { error in
            guard let error = error as? EtcdError else { return false }
            return error.description.contains("CA") && !error.isOutcomeUnknown
        }
    }

    @Test func aFileThatCannotBeUsedIsNamed() throws {
        let files = try EtcdTLSClusterScope.files()
        let directory = try EtcdTLSClusterScope.cluster().directory
        let absent = "\(directory)/absent.pem"
        let notPEM = "\(directory)/not-pem.pem"
        try "not a certificate\n".write(toFile: notPEM, atomically: true, encoding: .utf8)
        let cases: [(EtcdClient.TLSFileError.Setting, String, () throws -> EtcdClient.Configuration.TLS)] = [
            (.certFile, absent, { try .init(caFile: files.caFile, certFile: absent, keyFile: files.clientKeyFile) }),
            (.keyFile, absent, { try .init(certFile: files.clientCertFile, keyFile: absent) }),
            (.caFile, absent, { try .init(caFile: absent) }),
            (.caFile, notPEM, { try .init(caFile: notPEM) }),
            (.keyFile, notPEM, { try .init(certFile: files.clientCertFile, keyFile: notPEM) }),
            // The server's key is a key, of another certificate.
            (
                .keyFile, files.serverKeyFile,
                { try .init(certFile: files.clientCertFile, keyFile: files.serverKeyFile) }
            ),
            (.caFile, directory, { try .init(caFile: directory) }),
        ]
        for (setting, path, make) in cases {
            #expect(throws: EtcdClient.TLSFileError.self) { try make() }
            do { _ = try make() } catch let error as EtcdClient.TLSFileError {
                print("etcd TLS file: \(error)")
                #expect(error.setting == setting && error.path == path, "\(error)")
                #expect(error.description.contains(path), "\(error)")
                #expect(!error.description.contains("not a certificate"), "never quotes the file")
            }
        }
        // A certificate without its key: the key is missing.
        #expect(throws: EtcdClient.TLSFileError.self) {
            try EtcdClient.Configuration.TLS(certFile: files.clientCertFile)
        }
    }

    @Test func checkConfigContactsEtcdOverTLSAndNamesAnUnusableFile() async throws {
        let files = try EtcdTLSClusterScope.files()
        let directory = try EtcdTLSClusterScope.cluster().directory
        let keyFile = "\(directory)/fleet.key"
        _ = try FleetHostKey.generate(at: keyFile)
        var cluster = ClusterSettings(
            endpoints: try EtcdTLSClusterScope.cluster().clientURLs,
            prefix: String(EtcdClusterScope.uniquePrefix("tls-checkconfig").dropLast()),
            tls: .init(caFile: files.caFile, certFile: files.clientCertFile, keyFile: files.clientKeyFile), host: "h",
            keyFile: keyFile)
        #expect(Commands.clusterKeyProblems(cluster, configPath: "/c.yaml").isEmpty)
        var output = CheckConfigOutput(json: true)
        let verdict = await Commands.clusterReachability(cluster, configPath: "/c.yaml", output: &output)
        #expect(verdict.contains("etcd answered at https://") && verdict.contains("no leader"), "\(verdict)")
        #expect(output.items.isEmpty, "\(output.items.map(\.error.description))")

        cluster.tls?.certFile = "\(directory)/absent.pem"
        let problems = Commands.clusterKeyProblems(cluster, configPath: "/c.yaml")
        #expect(problems.map(\.key) == ["cluster.etcd.tls.cert_file"])
        #expect(problems.first?.description.contains("\(directory)/absent.pem") == true, "\(problems)")
        output = CheckConfigOutput(json: true)
        #expect(await Commands.clusterReachability(cluster, configPath: "/c.yaml", output: &output).isEmpty)
        #expect(output.items.map(\.error.key) == ["cluster.etcd.tls.cert_file"])
        print("check-config: \(verdict.dropFirst(2)); a missing file: \(problems.first?.description ?? "")")
    }
}
