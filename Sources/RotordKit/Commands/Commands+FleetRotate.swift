import EtcdClient
import Foundation
import RotordCore

extension Commands {
    /// `rotord rotate NAME` on a fleet host (docs/fleet.md, docs/cli.md): only the leader acts on Fracttal, so the
    /// request goes to it through etcd (`requests/<id>`) and this waits for its answer (`answers/<id>`), at most
    /// ``Timing/fleetRequestWait``. 0 done (or started: the answer says), 1 the leader could not, 75 no answer in
    /// time (etcd or the leader unavailable: the request is withdrawn), 64 `--host` without `--accept-unconfirmed`.
    static func fleetRotate(
        _ cluster: ClusterSettings, configPath: String, name: String, revokeOldNow: Bool, acceptUnconfirmed: Bool,
        acceptHost: String?
    ) async -> Int32 {
        if acceptHost != nil && !acceptUnconfirmed {
            printError("--host names the host to accept without: use it with --accept-unconfirmed")
            return ExitStatus.usage
        }
        let configuration: EtcdClient.Configuration
        do { configuration = try cluster.etcdConfiguration(configPath: configPath) } catch {
            printError("\(error)")
            return ExitStatus.config
        }
        let client = EtcdClient(configuration: configuration)
        let status = await ask(
            client, cluster, name: name, revokeOldNow: revokeOldNow, acceptUnconfirmed: acceptUnconfirmed,
            acceptHost: acceptHost)
        try? await client.shutdown()
        return status
    }

    private static func ask(
        _ client: EtcdClient, _ cluster: ClusterSettings, name: String, revokeOldNow: Bool, acceptUnconfirmed: Bool,
        acceptHost: String?
    ) async -> Int32 {
        let keys = FleetKeys(prefix: cluster.prefix)
        let id =
            "\(UTCTimestamp.format(Date()).filter(\.isNumber))-\(cluster.host)-\(UInt32.random(in: 0...UInt32.max))"
        let request = FleetEntry.Request(
            id: id, consumer: name, from: cluster.host, revokeOldNow: revokeOldNow,
            acceptUnconfirmed: acceptUnconfirmed, acceptHost: acceptHost, at: Date())
        let leader: String
        do {
            try await client.put(keys.request(id), FleetEntry.encode(request))
            leader = try await client.range(keys.leader).kvs.first?.string ?? "no leader yet"
        } catch {
            printError("asking the fleet's leader to rotate \(name): etcd: \(error)")
            return ExitStatus.tempFail
        }
        print("\(name): asked the fleet's leader (\(leader)); waiting for its answer")
        let deadline = ContinuousClock.now.advanced(by: Timing.fleetRequestWait)
        while ContinuousClock.now < deadline {
            let found = try? await client.range(keys.answer(id))
            if let kv = found?.kvs.first, let answer = FleetEntry.decode(FleetEntry.Answer.self, kv.value) {
                _ = try? await client.delete(keys.answer(id))
                print("\(name): \(answer.leader): \(answer.message)")
                return answer.ok ? ExitStatus.success : ExitStatus.failure
            }
            await client.waitForChange(
                under: keys.answer(id), after: found?.revision,
                atMost: min(Timing.fleetResync, ContinuousClock.now.duration(to: deadline)))
        }
        _ = try? await client.delete(keys.request(id))
        printError(
            "\(name): the fleet's leader (\(leader)) did not answer within \(Timing.fleetRequestWait); the request is "
                + "withdrawn (rotord fleet status shows who leads)")
        return ExitStatus.tempFail
    }
}
