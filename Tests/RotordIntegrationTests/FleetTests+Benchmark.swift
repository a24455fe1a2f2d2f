import AsyncHTTPClient
import Foundation
import FracttalSimulator
import Glibc
import NIOCore
import RotordTestKit
import Testing

/// The fleet's figures (docs/benchmarks.md, "Fleet"), printed, not asserted: `scripts/fleet-bench.sh` runs it
/// (`ROTORD_FLEET_BENCH=1`, the release binaries). Rotations per minute of a 3-host fleet at an account's limit,
/// against one host alone on the same account, and the etcd requests and bytes per rotation.
extension FleetTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ROTORD_FLEET_BENCH"] == "1"))
    func benchmarkAFleetAtTheAccountsLimit() async throws {
        let count = Int(ProcessInfo.processInfo.environment["ROTORD_FLEET_BENCH_CONSUMERS"] ?? "") ?? 40
        let names = (1...count).map { "bench\($0)" }
        let cluster = try FleetClusterScope.cluster()

        // One host alone (no cluster:), same account limit.
        let alone = try await Scenario(
            consumers: names.map { .init(name: $0, ageDays: 100) },
            configuration: SimulatorConfiguration(requestsPerMinute: 60))
        defer { alone.cleanUp() }
        try alone.writeConfig(consumers: names, grace: "0s", requestsPerMinute: 60)
        let aloneStart = ContinuousClock.now
        let daemon = try alone.start(["run"])
        let aloneDone = await Self.poll(within: .seconds(600)) {
            (await alone.simulator.statistics()).deleted >= count
        }
        let aloneTime = aloneStart.duration(to: .now)
        kill(daemon.processIdentifier, SIGTERM)
        _ = await alone.wait(daemon, timeout: .seconds(30))
        let aloneStatistics = await alone.simulator.statistics()

        // Three hosts, each with its own proxies to etcd (bytes), on the same limit.
        let s = try await Scenario(
            consumers: names.map { .init(name: $0, ageDays: 100) },
            configuration: SimulatorConfiguration(requestsPerMinute: 60))
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: cluster)
        defer { world.stopAll() }
        try await world.addProxies()
        try world.writeConfigs(consumers: names, grace: "0s", requestsPerMinute: 60)
        let before = await Self.etcdRequests(cluster)
        let bytesBefore = world.hosts.map(world.etcdBytes).reduce(0, +)
        let start = ContinuousClock.now
        for host in world.hosts { try world.start(host) }
        let done = await world.eventually(within: .seconds(600)) {
            (try? await world.client.range(world.prefix + "/history/", prefix: true).kvs.count) == count
        }
        let fleetTime = start.duration(to: .now)
        let after = await Self.etcdRequests(cluster)
        let bytes = world.hosts.map(world.etcdBytes).reduce(0, +) - bytesBefore
        let statistics = await s.simulator.statistics()
        await world.stopProxies()
        #expect(done && aloneDone)

        func perMinute(_ time: Duration) -> String {
            String(format: "%.1f", Double(count) / (Double(time.components.seconds) / 60))
        }
        let methods = after.keys.sorted().compactMap { method -> String? in
            let delta = (after[method] ?? 0) - (before[method] ?? 0)
            return delta > 0 ? "\(method) \(String(format: "%.1f", delta / Double(count)))" : nil
        }
        print(
            "fleet bench: \(count) rotations at 60/min: one host alone \(aloneTime) (\(perMinute(aloneTime))/min, "
                + "\(aloneStatistics.apiRequests) API requests, \(aloneStatistics.rateLimited) 406s); 3-host fleet "
                + "\(fleetTime) (\(perMinute(fleetTime))/min, \(statistics.apiRequests) API requests, "
                + "\(statistics.rateLimited) 406s)")
        print(
            "fleet bench: etcd per rotation (3 hosts, whole run incl. idle keep-alives): "
                + "\(methods.joined(separator: ", ")) requests; \(bytes / count) bytes through the hosts' etcd proxies")
    }

    /// Polls `condition` every 200 ms until it holds or `timeout` passes.
    static func poll(within timeout: Duration, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return await condition()
    }

    /// The gRPC requests every member handled so far, by method (etcd's `/metrics`,
    /// `grpc_server_handled_total`), summed over the members.
    static func etcdRequests(_ cluster: EtcdCluster) async -> [String: Double] {
        var out: [String: Double] = [:]
        for url in cluster.clientURLs {
            var request = HTTPClientRequest(url: url + "/metrics")
            request.method = .GET
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)),
                let body = try? await response.body.collect(upTo: 16 << 20)
            else { continue }
            for line in String(buffer: body).split(separator: "\n") where line.hasPrefix("grpc_server_handled_total{") {
                guard let method = line.firstRange(of: "grpc_method=\"").map({ line[$0.upperBound...] }),
                    let end = method.firstIndex(of: "\""),
                    let value = line.split(separator: " ").last.flatMap({ Double($0) })
                else { continue }
                out[String(method[..<end]), default: 0] += value
            }
        }
        return out
    }
}
