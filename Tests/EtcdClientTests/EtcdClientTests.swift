import EtcdClient
import Foundation
import NIOPosix
import RotordCore
import RotordKit
import RotordTestKit
import Testing

/// ``EtcdClient`` against a real 3-member etcd cluster (Debian's etcd 3.4.23) through the JSON gateway.
@Suite(.serialized, .etcdCluster)
struct EtcdClientTests {
    @Test func putAndRangeByKeyAndPrefix() async throws {
        let client = try EtcdClusterScope.client(requestTimeout: EtcdClusterScope.untimedRequestTimeout)
        defer { Task { try? await client.shutdown() } }
        let prefix = EtcdClusterScope.uniquePrefix("range")
        let binary = Array(UInt8(0)...UInt8(255))
        try await client.put(prefix + "b", "two")
        try await client.put(prefix + "a", "one")
        try await client.put(prefix + "c", binary)
        // A key that shares the prefix's text but not the slash: outside the range.
        try await client.put(String(prefix.dropLast()) + "x", "outside")

        let all = try await client.range(prefix, prefix: true)
        #expect(all.kvs.map(\.key) == [prefix + "a", prefix + "b", prefix + "c"])
        #expect(all.kvs.map(\.string).prefix(2) == ["one", "two"])
        #expect(all.kvs[2].value == binary)
        #expect(all.count == 3 && !all.more && all.revision >= all.kvs[2].modRevision)
        #expect(all.kvs.allSatisfy { $0.version == 1 && $0.createRevision == $0.modRevision && $0.lease == 0 })

        let limited = try await client.range(prefix, prefix: true, limit: 2)
        #expect(limited.kvs.count == 2 && limited.more && limited.count == 3)
        let one = try await client.range(prefix + "b")
        #expect(one.kvs.map(\.string) == ["two"])
        let serializable = try await client.range(prefix + "b", serializable: true)
        #expect(serializable.kvs.map(\.string) == ["two"])
        // An absent key: the gateway omits `kvs` and `count`.
        let none = try await client.range(prefix + "absent")
        #expect(none.kvs.isEmpty && none.count == 0)

        #expect(try await client.delete(prefix, prefix: true) == 3)
        #expect(try await client.range(prefix, prefix: true).kvs.isEmpty)
        #expect(try await client.delete(String(prefix.dropLast()) + "x") == 1)
    }

    @Test func txnComparesCreateAndModRevision() async throws {
        let client = try EtcdClusterScope.client(requestTimeout: EtcdClusterScope.untimedRequestTimeout)
        defer { Task { try? await client.shutdown() } }
        let key = EtcdClusterScope.uniquePrefix("txn") + "leader"

        // Create only if absent: succeeds once, then fails and the failure branch reads the holder.
        let first = try await client.txn(
            [.createRevision(key, .equal, 0)], success: [.put(key, "host-a")], failure: [.range(key)])
        #expect(first.succeeded && first.firstRange.isEmpty)
        let second = try await client.txn(
            [.createRevision(key, .equal, 0)], success: [.put(key, "host-b")], failure: [.range(key)])
        #expect(!second.succeeded)  // the gateway omits `succeeded: false`
        let holder = try #require(second.firstRange.first)
        #expect(holder.string == "host-a" && holder.createRevision == first.revision)

        // Compare-and-swap on mod_revision: the current one succeeds, a stale one fails.
        let swapped = try await client.txn(
            [.modRevision(key, .equal, holder.modRevision)], success: [.put(key, "host-a2"), .range(key)])
        #expect(swapped.succeeded && swapped.firstRange.map(\.string) == ["host-a2"])
        let stale = try await client.txn(
            [.modRevision(key, .equal, holder.modRevision)], success: [.put(key, "host-c")], failure: [.range(key)])
        #expect(!stale.succeeded && stale.firstRange.map(\.string) == ["host-a2"])
        // Several comparisons, value and version, and a delete in the success branch.
        let removed = try await client.txn(
            [.value(key, .equal, Array("host-a2".utf8)), .version(key, .equal, 2), .createRevision(key, .greater, 0)],
            success: [.delete(key)])
        #expect(removed.succeeded)
        guard case .delete(let deleted) = removed.responses.first else {
            Issue.record("no delete answer: \(removed.responses)")
            return
        }
        #expect(deleted == 1)
        #expect(try await client.range(key).kvs.isEmpty)
    }

    @Test func leaseGrantKeepAliveRevoke() async throws {
        let client = try EtcdClusterScope.client(requestTimeout: EtcdClusterScope.untimedRequestTimeout)
        defer { Task { try? await client.shutdown() } }
        let key = EtcdClusterScope.uniquePrefix("lease") + "alive"
        let lease = try await client.grantLease(ttl: .seconds(5))
        #expect(lease.id != 0 && lease.ttl == .seconds(5))
        try await client.put(key, "here", lease: lease.id)
        #expect(try await client.range(key).kvs.first?.lease == lease.id)
        let renewed = try await client.keepAlive(lease: lease.id)
        #expect(renewed.ttl == .seconds(5))
        // A transaction may compare the key's lease.
        #expect(try await client.txn([.lease(key, .equal, lease.id)], success: []).succeeded)

        try await client.revoke(lease: lease.id)
        #expect(try await client.range(key).kvs.isEmpty, "a key attached to a revoked lease is gone")
        await #expect { try await client.keepAlive(lease: lease.id) } throws: {
            ($0 as? EtcdError)?.isLeaseNotFound == true
        }
        // Revoking again: the unary error shape (`{"error", "code": 5, "message"}`).
        await #expect { try await client.revoke(lease: lease.id) } throws: { error in
            guard let error = error as? EtcdError else { return false }
            return error.isLeaseNotFound && !error.isOutcomeUnknown
        }
        // A put on a lease that does not exist is refused, definitely not applied.
        await #expect { try await client.put(key, "orphan", lease: lease.id) } throws: { error in
            guard let error = error as? EtcdError else { return false }
            print("etcd: put on a revoked lease: \(error)")
            return !error.isOutcomeUnknown && !error.isTransient && error.grpcCode == 5
        }
        print("etcd: lease \(lease.id) granted (\(lease.ttl)), kept alive, revoked: its key is gone")
    }

    @Test func watchSeesPutsAndDeletes() async throws {
        let client = try EtcdClusterScope.client(requestTimeout: EtcdClusterScope.untimedRequestTimeout)
        defer { Task { try? await client.shutdown() } }
        let prefix = EtcdClusterScope.uniquePrefix("watch")
        let watch = try await client.watch(prefix, prefix: true)
        defer { watch.cancel() }
        let revision = try await client.put(prefix + "one", "1")
        try await client.put(prefix + "two", "2")
        try await client.delete(prefix + "one")
        let events = try await Self.first(3, of: watch)
        #expect(events.map(\.kind) == [.put, .put, .delete])
        #expect(events.map(\.kv.key) == [prefix + "one", prefix + "two", prefix + "one"])
        #expect(events[0].kv.string == "1" && events[0].kv.modRevision == revision)
        print("etcd: watch on \(watch.endpoint) saw \(events.count) events (put, put, delete)")

        // A watch from an earlier revision replays the history.
        let replay = try await client.watch(prefix + "one", fromRevision: revision)
        defer { replay.cancel() }
        let replayed = try await Self.first(2, of: replay)
        #expect(replayed.map(\.kind) == [.put, .delete])
    }

    /// The first `count` events of `watch`, within 5 seconds.
    static func first(_ count: Int, of watch: EtcdWatch) async throws -> [EtcdEvent] {
        try await within(.seconds(5)) {
            var seen: [EtcdEvent] = []
            for try await batch in watch.events {
                seen += batch
                if seen.count >= count { break }
            }
            return seen
        }
    }

    @Test func watchCancelledForCompactionEnds() async throws {
        let client = try EtcdClusterScope.client(requestTimeout: EtcdClusterScope.untimedRequestTimeout)
        defer { Task { try? await client.shutdown() } }
        let key = EtcdClusterScope.uniquePrefix("compact") + "k"
        let first = try await client.put(key, "1")
        let last = try await client.put(key, "2")
        try await client.compact(revision: last)
        let watch = try await client.watch(key, fromRevision: first)
        defer { watch.cancel() }
        let error = try await within(.seconds(5)) {
            do {
                for try await _ in watch.events {}
                return EtcdError?.none
            } catch let error as EtcdError {
                return error
            }
        }
        #expect(error?.compactRevision == last)
        print("etcd: a watch from a compacted revision ends with: \(error.map(String.init(describing:)) ?? "nothing")")
    }

    @Test func anEndpointThatNeverAnswersMakesAWriteUnknownAndAReadFailOver() async throws {
        // A socket that listens and never accepts: the connection is made (the kernel's backlog), the request is
        // sent, and no answer comes.
        let silent = try SilentListener()
        defer { silent.close() }
        let members = try EtcdClusterScope.cluster().clientURLs
        let client = EtcdClient(configuration: .init(endpoints: ["http://127.0.0.1:\(silent.port)"] + members))
        defer { Task { try? await client.shutdown() } }
        let key = EtcdClusterScope.uniquePrefix("unknown") + "k"
        let clock = ContinuousClock()
        var began = clock.now
        await #expect { try await client.put(key, "maybe") } throws: { error in
            guard let error = error as? EtcdError else { return false }
            print("etcd: a write to a silent endpoint: \(error)")
            return error.isOutcomeUnknown && error.isTransient
        }
        // About the 1 s request timeout, not the silence's forever; loose for a loaded machine.
        #expect(began.duration(to: clock.now) < .seconds(10))
        // The next call starts at the next endpoint.
        #expect(client.currentEndpoint == members[0])

        let reader = EtcdClient(configuration: .init(endpoints: ["http://127.0.0.1:\(silent.port)"] + members))
        defer { Task { try? await reader.shutdown() } }
        began = clock.now
        _ = try await reader.range(key)
        let took = began.duration(to: clock.now)
        #expect(took < .seconds(10) && reader.currentEndpoint == members[0])
        print("etcd: a read failed over from a silent endpoint in \(took)")
    }

    @Test func checkConfigSaysWhetherEtcdAnswers() async throws {
        let prefix = String(EtcdClusterScope.uniquePrefix("checkconfig").dropLast())
        let cluster = ClusterSettings(
            endpoints: try EtcdClusterScope.cluster().clientURLs, prefix: prefix, host: "h", keyFile: "/k")
        var output = CheckConfigOutput(json: true)
        let verdict = await Commands.clusterReachability(cluster, configPath: "/c.yaml", output: &output)
        #expect(verdict.contains("etcd answered at") && verdict.contains("no leader"), "\(verdict)")
        #expect(output.items.isEmpty)

        let silent = try SilentListener()
        defer { silent.close() }
        var unreachable = cluster
        unreachable.endpoints = ["http://127.0.0.1:\(silent.port)"]
        output = CheckConfigOutput(json: true)
        #expect(await Commands.clusterReachability(unreachable, configPath: "/c.yaml", output: &output).isEmpty)
        #expect(output.items.map(\.error.key) == ["cluster.etcd.endpoints"])
        print("check-config: \(verdict.dropFirst(2)); unreachable: \(output.items.first?.error.message ?? "")")
    }

    /// A member without a leader (the two others killed): a watch on it ends with the stream error shape
    /// (`{"error": {"grpc_code": 14, "message": "etcdserver: no leader", …}}`, written without a final newline)
    /// because the request carries `Grpc-Metadata-hasleader: true`, instead of staying open and silent; a linearizable read fails, a serializable one is served (stale) by the member.
    @Test func aWatchOnAMemberWithoutLeaderEnds() async throws {
        let cluster = try EtcdClusterScope.cluster()
        let isolated = EtcdClient(configuration: .init(endpoints: [cluster.clientURLs[0]]))
        defer { Task { try? await isolated.shutdown() } }
        let key = EtcdClusterScope.uniquePrefix("noleader") + "k"
        try await isolated.put(key, "1")
        await cluster.kill(member: 1)
        await cluster.kill(member: 2)
        let clock = ContinuousClock()
        let began = clock.now
        // The member notices the loss after an election timeout; until then a watch may still be created.
        let ended = try await watchUntilItEnds(isolated, key, within: .seconds(10))
        let error = try #require(ended)
        print("etcd: a watch on a member without leader ended after \(began.duration(to: clock.now)): \(error)")
        #expect(error.isTransient && error.grpcCode == 14, "etcdserver: no leader (UNAVAILABLE)")
        await #expect { try await isolated.range(key) } throws: { error in
            guard let error = error as? EtcdError else { return false }
            print("etcd: a linearizable read on a member without leader: \(error)")
            return error.isTransient && !error.isOutcomeUnknown
        }
        #expect(try await isolated.range(key, serializable: true).kvs.map(\.string) == ["1"])
        try await cluster.restart(member: 1)
        try await cluster.restart(member: 2)
        #expect(try await isolated.range(key).kvs.map(\.string) == ["1"])
    }

    /// Kept last: it kills a member and starts it again.
    @Test func failoverWhenTheFirstEndpointsMemberIsKilled() async throws {
        let cluster = try EtcdClusterScope.cluster()
        let client = try EtcdClusterScope.client()
        defer { Task { try? await client.shutdown() } }
        let prefix = EtcdClusterScope.uniquePrefix("failover")
        try await client.put(prefix + "1-before", "1")
        #expect(client.currentEndpoint == cluster.clientURLs[0])

        await cluster.kill(member: 0)
        let clock = ContinuousClock()
        let began = clock.now
        // A write to a refused connection is definitely not sent: it fails over at once. The cluster may need an
        // election if the killed member led it; bounded retries of transient errors cover that.
        var attempts = 0
        var written = false
        while !written && attempts < 20 {
            attempts += 1
            do {
                try await client.put(prefix + "2-after", "2")
                written = true
            } catch {
                guard error.isTransient else { throw error }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        #expect(written)
        let took = began.duration(to: clock.now)
        #expect(client.currentEndpoint != cluster.clientURLs[0])
        let read = try await client.range(prefix, prefix: true)
        #expect(read.kvs.map(\.string) == ["1", "2"])
        print(
            "etcd: member m0 killed: the client wrote through \(client.currentEndpoint) in \(took) (\(attempts) attempt(s))"
        )

        // A client whose only endpoint is the dead member says so, definitely not applied.
        let lonely = EtcdClient(configuration: .init(endpoints: [cluster.clientURLs[0]]))
        defer { Task { try? await lonely.shutdown() } }
        await #expect { try await lonely.put(prefix + "never", "3") } throws: { error in
            guard let error = error as? EtcdError else { return false }
            return !error.isOutcomeUnknown && error.isTransient
        }
        try await cluster.restart(member: 0)
        let back = EtcdClient(configuration: .init(endpoints: [cluster.clientURLs[0]]))
        defer { Task { try? await back.shutdown() } }
        #expect(try await back.range(prefix, prefix: true).kvs.count == 2)
    }
}
