import EtcdClient
import Foundation
import RotordTestKit
import Testing

/// One live etcd member partitioned from its peers while its clients still reach it (issue 20; docs/fleet.md, the
/// failure table): the cluster runs each member in a network namespace of its own (``EtcdCluster/partition(member:)``,
/// every address inside the namespaces, which the cluster's `stop()` removes).
@Suite(.serialized)
struct EtcdPartitionTests {
    /// m0 is cut from m1 and m2 but still answers its clients. Through m0 alone: a linearizable read fails, a watch
    /// ends ("no leader": the request carries `Grpc-Metadata-hasleader`), a serializable read answers stale data. A
    /// client that lists m0 first writes and reads through m1 after one call that fails at its timeout. Healed, m0
    /// catches up with what was written while it was away.
    @Test func aPartitionedMemberAnswersOnlyWhatItCanAloneAndClientsFailOver() async throws {
        let cluster = try await EtcdCluster.start(partitionable: true)
        do {
            try await Self.partition(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    static func partition(_ cluster: EtcdCluster) async throws {
        let urls = cluster.clientURLs
        let alone = EtcdClient(configuration: .init(endpoints: [urls[0]]))
        let all = EtcdClient(configuration: .init(endpoints: urls))
        var patient = EtcdClient.Configuration(endpoints: [urls[1]])
        patient.requestTimeout = .seconds(15)
        let majority = EtcdClient(configuration: patient)
        defer {
            Task {
                try? await alone.shutdown()
                try? await all.shutdown()
                try? await majority.shutdown()
            }
        }
        let key = "/rotord-test/partition/\(UUID().uuidString.prefix(8))"
        try await majority.put(key, "before")
        // Every member has applied the first write before the cut (a serializable read on m0 shows it).
        let applied = try await eventually(within: .seconds(10)) {
            try? await alone.range(key, serializable: true).kvs.map(\.string) == ["before"]
        }
        #expect(applied)

        try cluster.partition(member: 0)
        let clock = ContinuousClock()
        let cut = clock.now
        let ended = try await watchUntilItEnds(alone, key, within: .seconds(30))
        let error = try #require(ended, "a watch through the partitioned member ends")
        #expect(error.isTransient && error.grpcCode == 14, "etcdserver: no leader (UNAVAILABLE): \(error)")
        print("etcd partition: a watch through m0 ended \(cut.duration(to: clock.now)) after the cut: \(error)")

        await #expect { try await alone.range(key) } throws: { error in
            (error as? EtcdError)?.isTransient == true
        }
        // The majority has a leader and takes writes; m0 alone does not see them.
        try await majority.put(key, "during")
        #expect(try await alone.range(key, serializable: true).kvs.map(\.string) == ["before"], "stale, not lost")

        // A client with m0 first: the call that meets m0 fails at its timeout (a write's outcome is unknown then),
        // and the next goes to m1.
        let began = clock.now
        var attempts = 0
        var written = false
        var failures: [String] = []
        while !written && attempts < 5 {
            attempts += 1
            written = await Self.put(all, key, "through the majority", failures: &failures)
        }
        #expect(failures.allSatisfy { $0.hasPrefix("transient") }, "\(failures)")
        #expect(written && all.currentEndpoint != urls[0], "written through \(all.currentEndpoint)")
        #expect(try await all.range(key).kvs.map(\.string) == ["through the majority"])
        print(
            "etcd partition: a client listing m0 first wrote through \(all.currentEndpoint) in "
                + "\(began.duration(to: clock.now)) (\(attempts) attempt(s))")

        try cluster.heal(member: 0)
        let healed = clock.now
        let caughtUp = try await eventually(within: .seconds(30)) {
            try? await alone.range(key).kvs.map(\.string) == ["through the majority"]
        }
        #expect(caughtUp, "m0 catches up once healed")
        print(
            "etcd partition: healed, m0 answered a linearizable read with the majority's write in \(healed.duration(to: clock.now))"
        )
    }

    /// Writes, and on failure notes whether the error was transient; returns whether it wrote.
    static func put(_ client: EtcdClient, _ key: String, _ value: String, failures: inout [String]) async -> Bool {
        do {
            try await client.put(key, value)
            return true
        } catch {
            failures.append("\(error.isTransient ? "transient" : "permanent"): \(error)")
            return false
        }
    }

    /// Polls `condition` every 100 ms until it is true or `timeout` passes.
    static func eventually(within timeout: Duration, _ condition: () async -> Bool?) async throws -> Bool {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: timeout)
        while clock.now < end {
            if await condition() == true { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
