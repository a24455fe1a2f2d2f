import EtcdClient
import Foundation
import FracttalSimulator
import Glibc
import RotordCore
import RotordKit
import RotordTestKit
import Synchronization

/// A fleet for the process-level fleet tests (docs/fleet.md, docs/testing.md): a real 3-member etcd (one per suite,
/// ``FleetClusterScope``), the simulator of one ``Scenario``, and three release `rotord run` hosts, each with its own
/// configuration, state directory, deliver directory and X25519 key. ``stopAll()`` kills every host by pid.
final class FleetWorld: Sendable {
    /// The etcd prefix of this world (unique per test).
    let prefix: String
    let scenario: Scenario
    let cluster: EtcdCluster
    let client: EtcdClient
    let hosts: [String]
    /// Each host's X25519 public key (base64), as `rotord fleet keygen` prints it.
    let publicKeys: [String: String]
    private let processes = Mutex<[String: Process]>([:])
    /// Per host, when ``addProxies()`` made them: a proxy to the simulator and one to each etcd member.
    private let proxies = Mutex<[String: (fracttal: TCPProxy, etcd: [TCPProxy])]>([:])

    /// The lease TTL of the tests' fleets: short (so a hand-over takes seconds), with `fracttal.timeout` 2 s that
    /// the fence allows (2 s + its 1 s margin stays under two thirds of 6 s).
    static let leaseTTL = "6s"

    /// `rootPassword`: the cluster runs with authentication, and the test's own client logs in as `root`.
    init(
        scenario: Scenario, cluster: EtcdCluster, hosts: [String] = ["h1", "h2", "h3"], rootPassword: String? = nil
    ) throws {
        self.scenario = scenario
        self.cluster = cluster
        self.hosts = hosts
        prefix = "/rotord-fleet-test/\(UUID().uuidString.prefix(8))"
        var configuration = EtcdClient.Configuration(endpoints: cluster.clientURLs)
        configuration.requestTimeout = .seconds(15)
        configuration.auth = rootPassword.map { .init(user: "root", password: $0) }
        client = EtcdClient(configuration: configuration)
        var publicKeys: [String: String] = [:]
        for host in hosts {
            try FileManager.default.createDirectory(
                atPath: "\(scenario.dir)/\(host)/deliver", withIntermediateDirectories: true)
            publicKeys[host] = try FleetHostKey.generate(at: "\(scenario.dir)/\(host)/host.key")
        }
        self.publicKeys = publicKeys
    }

    /// Puts a ``TCPProxy`` between each host and the simulator, and between each host and each etcd member, so that
    /// a test can cut one host from etcd (``cutEtcd(_:)``) while it still reaches Fracttal, and count each host's
    /// Fracttal traffic (``fracttalBytes(_:)``). Call before ``writeConfigs(consumers:grace:actions:)``.
    func addProxies() async throws {
        for host in hosts {
            let fracttal = try await TCPProxy.start(to: "127.0.0.1:\(scenario.port)")
            var etcd: [TCPProxy] = []
            for url in cluster.clientURLs { etcd.append(try await TCPProxy.start(to: url)) }
            proxies.withLock { $0[host] = (fracttal, etcd) }
        }
    }

    /// Cuts the host from every etcd member (a partition: silence, not resets).
    func cutEtcd(_ host: String) { proxies.withLock { $0[host] }?.etcd.forEach { $0.cut() } }
    /// Heals ``cutEtcd(_:)``.
    func healEtcd(_ host: String) { proxies.withLock { $0[host] }?.etcd.forEach { $0.heal() } }
    /// The bytes the host exchanged with etcd so far (its proxies' count).
    func etcdBytes(_ host: String) -> Int {
        proxies.withLock { $0[host] }?.etcd.map(\.bytesForwarded).reduce(0, +) ?? 0
    }
    /// The bytes the host exchanged with the simulator so far (its proxy's count).
    func fracttalBytes(_ host: String) -> Int { proxies.withLock { $0[host] }?.fracttal.bytesForwarded ?? 0 }

    /// Stops every proxy.
    func stopProxies() async {
        let all = proxies.withLock { list in
            defer { list = [:] }
            return Array(list.values)
        }
        for (fracttal, etcd) in all {
            await fracttal.stop()
            for proxy in etcd { await proxy.stop() }
        }
    }

    func directory(_ host: String) -> String { "\(scenario.dir)/\(host)" }
    func configPath(_ host: String) -> String { "\(directory(host))/rotord.yaml" }
    func envFile(_ host: String, _ consumer: String) -> String { "\(directory(host))/deliver/\(consumer).env" }

    /// Writes each host's configuration: `consumers` delivered to an env file, each host's `after_publish` from
    /// `actions` (a shell command line, run with `/bin/sh -c`); `pinned`, per host, the hosts whose keys its
    /// `cluster.pinned_keys` pins (none when absent); `etcdPasswords`, per host, the password of the etcd user named
    /// after the host that it logs in as (`cluster.etcd.auth`, the password in a 0600 file beside its configuration).
    func writeConfigs(
        consumers: [String], grace: String = "2s", actions: [String: String] = [:], resync: String = "1h",
        requestsPerMinute: Int = 200, notEligible: Set<String> = [], pinned: [String: [String]] = [:],
        etcdPasswords: [String: String] = [:]
    ) throws {
        let s = scenario
        for host in hosts {
            let proxy = proxies.withLock { $0[host] }
            let fracttal = proxy?.fracttal.url ?? "http://127.0.0.1:\(s.port)"
            let endpoints = proxy?.etcd.map(\.url) ?? cluster.clientURLs
            let auth = try etcdAuth(host, password: etcdPasswords[host])
            var yaml = """
                fracttal:
                  token_url: \(fracttal)/oauth/token
                  api_url: \(fracttal)/api
                  admin:
                    key_file: \(notEligible.contains(host) ? "/nonexistent/admin-key" : s.dir + "/credentials/admin-key")
                    secret_file: \(notEligible.contains(host) ? "/nonexistent/admin-secret" : s.dir + "/credentials/admin-secret")
                  requests_per_minute: \(requestsPerMinute)
                  timeout: 2s
                  verify_timeout: 10s
                state_dir: \(directory(host))/state
                defaults:
                  max_age: 90d
                  rotate_before: 7d
                  grace: \(grace)
                schedule:
                  resync: \(resync)
                metrics:
                  textfile: \(directory(host))/rotord.prom
                cluster:
                  etcd:
                    endpoints: [\(endpoints.joined(separator: ", "))]
                    prefix: \(prefix)\(auth)
                  host: \(host)
                  key_file: \(directory(host))/host.key
                  lease_ttl: \(Self.leaseTTL)
                  leader_eligible: \(!notEligible.contains(host))

                """
            if let pins = pinned[host] {
                yaml += "  pinned_keys:\n"
                for pin in pins { yaml += "    \(pin): \"\(publicKeys[pin] ?? "")\"\n" }
            }
            yaml += "consumers:\n"
            for name in consumers {
                yaml += """
                      - name: \(name)
                        permission_group: Reportes
                        deliver:
                          - path: \(envFile(host, name))
                            format: env

                    """
                if let action = actions[host] {
                    yaml += """
                            after_publish:
                              - exec: ["/bin/sh", "-c", "\(action)"]

                        """
                }
            }
            try yaml.write(toFile: configPath(host), atomically: true, encoding: .utf8)
        }
    }

    /// A new line with the `auth:` of `host`'s `cluster.etcd` (its password written to a 0600 file), or nothing.
    private func etcdAuth(_ host: String, password: String?) throws -> String {
        guard let password else { return "" }
        let file = "\(directory(host))/etcd-password"
        let written = FileManager.default.createFile(
            atPath: file, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600])
        guard written else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file]) }
        return "\n    auth: {user: \(host), password_file: \(file)}"
    }

    /// Starts `rotord run` (the release binary) on `host`; its output goes to `DIR/HOST/rotord.log`.
    /// `faults` runs `rotord-faults` with `environment` (`ROTORD_CRASH_AT`, … docs/testing.md) instead.
    @discardableResult
    func start(_ host: String, faults: [String: String]? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: faults == nil ? Scenario.rotordPath : Scenario.rotordFaultsPath)
        process.arguments = ["run", "--config", configPath(host)]
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = nil
        env["WATCHDOG_USEC"] = nil
        env["JOURNAL_STREAM"] = nil
        for (key, value) in faults ?? [:] { env[key] = value }
        process.environment = env
        let log = "\(directory(host))/rotord.log"
        if !FileManager.default.fileExists(atPath: log) {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes.withLock { $0[host] = process }
        return process
    }

    /// Runs `rotord ARGUMENTS --config <host's config>` (the release binary) to its end, at most `timeout` (then
    /// kills it); returns its exit status and its output (stdout, then stderr).
    func run(
        _ arguments: [String], on host: String, config: String? = nil, faults: [String: String]? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, stdout: String, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: faults == nil ? Scenario.rotordPath : Scenario.rotordFaultsPath)
        process.arguments = arguments + ["--config", config ?? configPath(host)]
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = nil
        for (key, value) in faults ?? [:] { env[key] = value }
        process.environment = env
        let out = "\(directory(host))/cli-\(UUID().uuidString.prefix(6))"
        _ = FileManager.default.createFile(atPath: out + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: out + ".err", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out + ".out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: out + ".err"))
        try process.run()
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let stdout = (try? String(contentsOfFile: out + ".out", encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? ""
        let status =
            process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return (status, stdout, stdout + stderr)
    }

    /// The pid of the host's running `rotord run`, if any.
    func pid(_ host: String) -> Int32? { processes.withLock { $0[host] }?.processIdentifier }

    /// The host's membership record in etcd (`hosts/<h>`), if it registered.
    func member(_ host: String) async throws -> FleetMember? {
        try await client.range(prefix + "/hosts/" + host).kvs.first.flatMap {
            FleetEntry.decode(FleetMember.self, $0.value)
        }
    }

    /// The host's metrics file (`metrics.textfile`) now.
    func metrics(_ host: String) -> String {
        (try? String(contentsOfFile: "\(directory(host))/rotord.prom", encoding: .utf8)) ?? ""
    }

    /// The host's log so far.
    func log(_ host: String) -> String {
        (try? String(contentsOfFile: "\(directory(host))/rotord.log", encoding: .utf8)) ?? ""
    }

    /// Sends `signal` to the host's rotord.
    func signal(_ host: String, _ signal: Int32) {
        if let process = processes.withLock({ $0[host] }), process.isRunning {
            kill(process.processIdentifier, signal)
        }
    }

    /// Kills (SIGKILL) the host's rotord and reaps it.
    func kill9(_ host: String) {
        guard let process = processes.withLock({ $0.removeValue(forKey: host) }) else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The hosts whose rotord started and has ended (killed, or exited), with how it ended.
    func ended() -> [String: String] {
        processes.withLock { list in
            list.filter { !$0.value.isRunning }.mapValues {
                $0.terminationReason == .uncaughtSignal
                    ? "signal \($0.terminationStatus)" : "exit \($0.terminationStatus)"
            }
        }
    }

    /// Kills every host (SIGCONT first, for a stopped one) and reaps them.
    func stopAll() {
        let all = processes.withLock { list in
            defer { list = [:] }
            return Array(list.values)
        }
        for process in all where process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
        }
        for process in all { process.waitUntilExit() }
    }

    /// The host named by the leader key, if any.
    func leader() async -> String? {
        try? await client.range(prefix + "/leader").kvs.first?.string
    }

    /// Polls `condition` every 100 ms until it holds or `timeout` passes; returns whether it held.
    func eventually(within timeout: Duration, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return await condition()
    }

    /// The key in the host's env file, if it holds one.
    func deliveredKey(_ host: String, _ consumer: String) -> String? {
        scenario.pair(in: envFile(host, consumer))?.key
    }

    /// The store's revision now.
    func revision() async throws -> Int64 { try await client.range(prefix + "/leader").revision }

    /// Who wrote the journal (rotation records and finished rotations) after `revision`: the writer of each put under
    /// `rotations/` and `history/`.
    func journalWriters(after revision: Int64) async throws -> [String] {
        try await events(after: revision).compactMap { event in
            guard event.kind == .put else { return nil }
            if event.kv.key.hasPrefix(prefix + "/rotations/") {
                return FleetEntry.decode(FleetEntry.Rotation.self, event.kv.value).map { $0.writer ?? "unknown" }
            }
            if event.kv.key.hasPrefix(prefix + "/history/") {
                return FleetEntry.decode(FleetEntry.History.self, event.kv.value)?.leader
            }
            return nil
        }
    }

    /// Every key ever put under the world's prefix (the tests never compact), in order, repeated for each put.
    func keysWritten() async throws -> [String] {
        try await events(after: 0).filter { $0.kind == .put }.map(\.kv.key)
    }

    /// The events under the world's prefix after `revision`, replayed by a watch from `revision + 1` up to a marker
    /// the test writes now (`P/~replayed`, which no host reads), so that the replay has a last event to wait for.
    func events(after revision: Int64) async throws -> [EtcdEvent] {
        let marker = prefix + "/~replayed"
        let end = try await client.put(marker, "\(revision)")
        let watch = try await client.watch(prefix + "/", prefix: true, fromRevision: revision + 1)
        defer { watch.cancel() }
        var out: [EtcdEvent] = []
        for try await batch in watch.events {
            for event in batch where event.kv.key != marker { out.append(event) }
            if batch.contains(where: { $0.kv.modRevision >= end }) { break }
        }
        return out
    }

    /// Every value under the world's prefix now, as text.
    func etcdValues() async throws -> [String] {
        try await client.range(prefix + "/", prefix: true).kvs.map { "\($0.key)=\($0.string)" }
    }

    deinit {
        stopAll()
        let client = self.client
        Task { try? await client.shutdown() }
    }
}
