import EtcdClient
import Foundation
import RotordCore

extension Commands {
    /// `rotord fleet keygen --out PATH`: a new host key pair; the private key to `path` (0600, never replaced), the
    /// public key printed. 0 made; 73 the file exists or cannot be made.
    package static func fleetKeygen(out path: String) -> Int32 {
        do {
            let publicKey = try FleetHostKey.generate(at: path)
            print("host key written to \(path) (mode 0600; keep it to this host: LoadCredential= in production)")
            print("public key: \(publicKey)")
            return ExitStatus.success
        } catch {
            printError("\(error)")
            return ExitStatus.cannotCreate
        }
    }

    /// `rotord fleet status [--json]`: the fleet as etcd holds it (``FleetStatus``). 0 nothing to act on; 1 a host
    /// blocks a rotation or a warning exists; 75 etcd cannot be reached; 78 a configuration error or no `cluster:`.
    package static func fleetStatus(_ configPath: String, logLevel: String, json: Bool) async -> Int32 {
        guard let (cluster, client) = fleetClient(configPath, logLevel: logLevel, command: "fleet status") else {
            return ExitStatus.config
        }
        let read: FleetStatus?
        do {
            read = try await FleetStatus.read(
                client: client, keys: FleetKeys(prefix: cluster.prefix), now: Date(),
                aliveWriteAge: .seconds(cluster.leaseTTL.seconds), trust: cluster)
        } catch {
            printError("reading the fleet \(cluster.prefix) from etcd: \(error); try again once etcd answers")
            read = nil
        }
        try? await client.shutdown()
        guard let status = read else { return ExitStatus.tempFail }
        if json {
            print(ReportRenderer.json(status))
        } else {
            print((["fleet \(status.prefix): \(status.summary)"] + status.detailLines).joined(separator: "\n"))
        }
        return status.needsAttention ? ExitStatus.failure : ExitStatus.success
    }

    /// `rotord fleet forget HOST [--force]`: removes `hosts/HOST` and `alive/HOST` in one transaction, so that the
    /// fleet's revocations no longer wait for `HOST` (``FleetRevocation`` counts durable members only). Refuses
    /// without `force` a host that is alive (its liveness key exists) or the host this configuration names. 0
    /// forgotten; 1 refused or not a member; 75 etcd cannot be reached (or did not say whether it applied: run it
    /// again); 78 a configuration error or no `cluster:`.
    package static func fleetForget(_ configPath: String, logLevel: String, host: String, force: Bool) async -> Int32 {
        guard let (cluster, client) = fleetClient(configPath, logLevel: logLevel, command: "fleet forget") else {
            return ExitStatus.config
        }
        let code = await forget(host, force: force, cluster: cluster, client: client, configPath: configPath)
        try? await client.shutdown()
        return code
    }

    /// ``fleetForget(_:logLevel:host:force:)`` with its client.
    static func forget(
        _ host: String, force: Bool, cluster: ClusterSettings, client: EtcdClient, configPath: String
    ) async -> Int32 {
        let keys = FleetKeys(prefix: cluster.prefix)
        if host == cluster.host && !force {
            printError(
                "forgetting \(host): \(configPath) is \(host)'s own configuration (cluster.host): a host that runs "
                    + "rotord registers itself again when it starts; run this from another host, or pass --force")
            return ExitStatus.failure
        }
        // One transaction: the host is a member and (without --force) not alive, or nothing is deleted.
        var compares: [EtcdCompare] = [.createRevision(keys.host(host), .greater, 0)]
        if !force { compares.append(.createRevision(keys.alive(host), .equal, 0)) }
        let result: EtcdTxnResult
        do {
            result = try await client.txn(
                compares, success: [.delete(keys.host(host)), .delete(keys.alive(host))],
                failure: [.range(keys.host(host)), .range(keys.alive(host)), .range(keys.hostsPrefix, prefix: true)])
        } catch {
            if error.isOutcomeUnknown,
                let left = try? await client.range(keys.host(host)), left.kvs.isEmpty
            {
                print("forgot \(host): \(keys.host(host)) is gone")
                return ExitStatus.success
            }
            printError("forgetting \(host) in \(cluster.prefix): \(error); run it again once etcd answers")
            return ExitStatus.tempFail
        }
        guard result.succeeded else {
            let ranges = result.responses.compactMap { response -> EtcdRangeResult? in
                if case .range(let found) = response { found } else { nil }
            }
            if ranges.first?.kvs.isEmpty ?? true {
                let members = (ranges.count > 2 ? ranges[2].kvs : []).compactMap {
                    FleetEntry.decode(FleetMember.self, $0.value)?.host
                }
                printError(
                    "forgetting \(host): \(host) is not a member of the fleet \(cluster.prefix) (no "
                        + "\(keys.host(host))); its members: "
                        + (members.isEmpty ? "none" : members.sorted().joined(separator: ", ")))
            } else {
                printError(
                    "forgetting \(host): \(host) is alive (its rotord renews \(keys.alive(host))): stop rotord there "
                        + "first (the key goes within the lease TTL, \(cluster.leaseTTL)), or pass --force (while it "
                        + "runs, nothing new is sealed to it and the old consumer it may still use can be deleted)")
            }
            return ExitStatus.failure
        }
        var aliveRemoved = false
        if result.responses.count > 1, case .delete(let deleted) = result.responses[1] { aliveRemoved = deleted > 0 }
        print(
            "forgot \(host): removed \(keys.host(host))" + (aliveRemoved ? " and \(keys.alive(host))" : "")
                + "; the fleet's rotations no longer wait for \(host)'s confirmation (rotord started again on "
                + "\(host) registers it again)")
        return ExitStatus.success
    }

    /// The `cluster:` section of `configPath` and an etcd client for it, or `nil` after saying why (no `cluster:`,
    /// or a configuration error).
    static func fleetClient(_ configPath: String, logLevel: String, command: String)
        -> (ClusterSettings, EtcdClient)?
    {
        let logger = LogSetup.make(level: logLevel)
        let configuration: RotordConfiguration
        do { configuration = try ConfigurationLoader().load(path: configPath) } catch {
            printError(error.description)
            return nil
        }
        guard let cluster = configuration.cluster else {
            printError(
                "\(configPath): no cluster: section, so this host is not in a fleet: rotord \(command) needs "
                    + "cluster.etcd.endpoints and cluster.etcd.prefix (docs/configuration.md)")
            return nil
        }
        do {
            let etcd = try cluster.etcdConfiguration(configPath: configPath)
            return (cluster, EtcdClient(configuration: etcd, logger: logger))
        } catch {
            printError(error.description)
            return nil
        }
    }

    /// `rotord status [--json]`: ``report(_:logLevel:json:actions:)``, and with `cluster:` the fleet after it (the
    /// text's `fleet:` block; in JSON one object, `{"consumers": […], "fleet": {…}}`). When etcd cannot be read, the
    /// fleet part says so and the exit status is the local part's. Without `cluster:` (or when the file does not
    /// load) exactly ``report(_:logLevel:json:actions:)``.
    package static func status(_ configPath: String, logLevel: String, json: Bool) async -> Int32 {
        guard let cluster = (try? ConfigurationLoader().load(path: configPath))?.cluster else {
            return await report(configPath, logLevel: logLevel, json: json, actions: false)
        }
        if json {
            let fleet = await fleetSection(cluster, configPath: configPath, logLevel: logLevel)
            return await report(configPath, logLevel: logLevel, json: json, actions: false, fleet: fleet)
        }
        let code = await report(configPath, logLevel: logLevel, json: json, actions: false)
        // 78: the context did not load and nothing was printed.
        guard code != ExitStatus.config else { return code }
        let fleet = await fleetSection(cluster, configPath: configPath, logLevel: logLevel)
        print("\n" + fleet.lines.joined(separator: "\n"))
        return code
    }

    /// The fleet part of `status`: read, or why not.
    static func fleetSection(_ cluster: ClusterSettings, configPath: String, logLevel: String) async
        -> FleetStatus.Section
    {
        do {
            return .read(
                try await cluster.withEtcdClient(configPath: configPath, logLevel: logLevel) { client in
                    try await FleetStatus.read(
                        client: client, keys: FleetKeys(prefix: cluster.prefix), now: Date(),
                        aliveWriteAge: .seconds(cluster.leaseTTL.seconds), trust: cluster)
                })
        } catch {
            return .unreadable(prefix: cluster.prefix, error: "\(error)")
        }
    }
}
