import EtcdClient
import Foundation
import RotordTestKit
import Testing

/// ``EtcdElection`` with three contenders in one process against a real 3-member etcd cluster: exactly one leader,
/// a hand-over when the leader resigns or stops renewing its lease, and never two leaders at one observation.
@Suite(.serialized, .etcdCluster)
struct EtcdElectionTests {
    static let ttl: Duration = .seconds(3)
    /// How often the test looks at every contender.
    static let sampleInterval: Duration = .milliseconds(100)
    /// How long after the lease deadline etcd may take to expire the lease and the others to take the key: etcd
    /// checks expiries every 500 ms, plus one campaign interval (TTL/3) and its request.
    static let handOverSlack: Duration = .seconds(3)

    /// Three contenders, each running its own loop.
    struct Contenders {
        var elections: [EtcdElection]
        var tasks: [Task<Void, Never>]
        var client: EtcdClient

        init(prefix: String) throws {
            client = try EtcdClusterScope.client()
            let client = client
            elections = ["host-a", "host-b", "host-c"].map {
                EtcdElection(client: client, prefix: prefix, host: $0, ttl: EtcdElectionTests.ttl)
            }
            tasks = elections.map { election in Task { await election.run() } }
        }

        /// The contenders that are leader at one instant.
        func leaders() async -> [Int] {
            let now = ContinuousClock.now
            var result: [Int] = []
            for (index, election) in elections.enumerated() where await election.isLeader(now: now) {
                result.append(index)
            }
            return result
        }

        func stop() async {
            for task in tasks { task.cancel() }
            for task in tasks { await task.value }
            for election in elections { await election.resign() }
            try? await client.shutdown()
        }
    }

    /// Samples every ``sampleInterval`` until `done` holds for the leaders seen or `limit` passes; records an issue
    /// whenever two contenders lead at once. Returns the leaders at the end and how many samples were taken.
    static func sample(
        _ contenders: Contenders, for limit: Duration, samples: inout Int, maximum: inout Int,
        until done: ([Int]) -> Bool
    ) async throws -> [Int] {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: limit)
        while true {
            let leaders = await contenders.leaders()
            samples += 1
            maximum = max(maximum, leaders.count)
            #expect(leaders.count <= 1, "two leaders at once: \(leaders)")
            if done(leaders) || clock.now >= end { return leaders }
            try await Task.sleep(for: sampleInterval)
        }
    }

    @Test func oneLeaderThenHandOverOnResignAndOnLapsedLease() async throws {
        let prefix = EtcdClusterScope.uniquePrefix("election")
        let contenders = try Contenders(prefix: prefix)
        let clock = ContinuousClock()
        var samples = 0
        var maximum = 0
        do {
            // Exactly one wins.
            var began = clock.now
            let first = try await Self.sample(contenders, for: .seconds(10), samples: &samples, maximum: &maximum) {
                $0.count == 1
            }
            let won = began.duration(to: clock.now)
            try #require(first.count == 1, "no leader within 10 s")
            // It stays the only one for a while (several keep-alive rounds).
            let steady = try await Self.sample(contenders, for: .seconds(2), samples: &samples, maximum: &maximum) {
                _ in false
            }
            #expect(steady == first)
            let client = contenders.client
            let holder = try await client.range(prefix + "leader").kvs.first
            let winner = contenders.elections[first[0]]
            #expect(holder?.string == winner.host)
            #expect(holder?.lease == (await winner.status().lease))

            // The winner resigns (revokes its lease): another wins within TTL plus the slack.
            began = clock.now
            await winner.resign()
            let second = try await Self.sample(
                contenders, for: Self.ttl + Self.handOverSlack, samples: &samples, maximum: &maximum
            ) { $0.count == 1 && $0 != first }
            let resignHandOver = began.duration(to: clock.now)
            try #require(second.count == 1 && second != first, "no new leader after the resignation")

            // The second leader stops renewing (its loop is cancelled, no revoke: as if frozen): it stops calling
            // itself leader at its lease deadline, and the third wins within TTL plus the slack.
            let frozen = contenders.elections[second[0]]
            let deadline = try #require(await frozen.leaseDeadline)
            began = clock.now
            contenders.tasks[second[0]].cancel()
            await contenders.tasks[second[0]].value
            let third = try await Self.sample(
                contenders, for: Self.ttl + Self.handOverSlack, samples: &samples, maximum: &maximum
            ) { $0.count == 1 && $0 != second }
            let lapseHandOver = began.duration(to: clock.now)
            try #require(third.count == 1 && third != second && third != first, "no new leader after the lapse")
            #expect(!(await frozen.isLeader()) && clock.now >= deadline)
            let names = [first[0], second[0], third[0]].map { contenders.elections[$0].host }
            print(
                "election: \(names[0]) won in \(won); resigned → \(names[1]) led after \(resignHandOver); "
                    + "\(names[1]) stopped renewing (ttl \(Self.ttl)) → \(names[2]) led after \(lapseHandOver); "
                    + "\(samples) samples every \(Self.sampleInterval), at most \(maximum) leader at once")
            #expect(maximum == 1)
        } catch {
            await contenders.stop()
            throw error
        }
        await contenders.stop()
    }

    @Test func aResignationDuringAStepLeavesNoLeaderBehind() async throws {
        let prefix = EtcdClusterScope.uniquePrefix("resign")
        let client = try EtcdClusterScope.client()
        let election = EtcdElection(client: client, prefix: prefix, host: "quitter", ttl: Self.ttl)
        do {
            await election.step()
            #expect(await election.isLeader())
            // A step (keep-alive and campaign) and a resignation interleave on the actor.
            async let stepped: Void = election.step()
            async let resigned: Void = election.resign()
            _ = await (stepped, resigned)
            await election.step()
            #expect(!(await election.isLeader()))
            #expect(await election.status().lease == nil)
            #expect(try await client.range(election.key).kvs.isEmpty, "the leader key went with the lease")
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test func aLeaderCutOffFromEtcdLosesLeadershipAtItsLeaseDeadline() async throws {
        // One contender whose only endpoint is a member that gets killed: its keep-alives fail, and it reports the
        // loss at its deadline (sent time of the last successful keep-alive plus TTL), not later.
        let cluster = try EtcdClusterScope.cluster()
        let prefix = EtcdClusterScope.uniquePrefix("cutoff")
        let client = EtcdClient(configuration: .init(endpoints: [cluster.clientURLs[2]]))
        let election = EtcdElection(client: client, prefix: prefix, host: "lonely", ttl: Self.ttl)
        let changes = await election.leadershipChanges()
        let task = Task { await election.run() }
        do {
            let became = try await within(.seconds(10)) {
                for await change in changes where change { return true }
                return false
            }
            #expect(became)
            await cluster.kill(member: 2)
            let deadline = try #require(await election.leaseDeadline)
            let lost = try await within(Self.ttl + .seconds(2)) {
                for await change in changes where !change { return ContinuousClock.now }
                return ContinuousClock.now
            }
            let late = deadline.duration(to: lost)
            // Reported at the first step after the deadline: at most one keep-alive interval (plus a call) late.
            #expect(late >= .zero && late <= Self.ttl / 3 + .seconds(1))
            #expect(!(await election.isLeader()))
            print("election: a leader cut off from etcd reported the loss \(late) after its lease deadline")
        } catch {
            task.cancel()
            try? await cluster.restart(member: 2)
            try? await client.shutdown()
            throw error
        }
        task.cancel()
        await task.value
        try await cluster.restart(member: 2)
        try? await client.shutdown()
    }
}
