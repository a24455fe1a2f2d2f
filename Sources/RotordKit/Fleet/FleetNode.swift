import Crypto
import EtcdClient
import Foundation
import FracttalClient
import Logging
import RotordCore
import Synchronization

/// One rotord of a fleet (`cluster:` in the configuration; docs/fleet.md): the etcd client, the host's key, the
/// election (when `leader_eligible`) and the fence it feeds. The daemon runs ``run(host:onLeadershipChange:)`` beside
/// its passes, and runs a pass only while ``isLeader`` (with ``leader(onProgress:)`` as the reconciler's fleet).
package final class FleetNode: Sendable {
    /// The `cluster:` section.
    package let settings: ClusterSettings
    /// The etcd client.
    package let client: EtcdClient
    /// The keys under `cluster.etcd.prefix`.
    package let keys: FleetKeys
    /// The fence every Fracttal request of this process passes (its client's send gate).
    package let gate: FleetGate
    let election: EtcdElection?
    let privateKey: Curve25519.KeyAgreement.PrivateKey
    let logger: Logger
    private let leading = Mutex(false)
    /// The hosts that hold each rotation back, as this host's leader passes last saw them.
    package let blockers = FleetBlockers()
    /// When this host last saw another holder of the leader key (while not leading).
    private let otherLeaderSeen = Mutex<ContinuousClock.Instant?>(nil)
    /// Set when this host won within a budget window of another leader's term: its first pass assumes the previous
    /// leader spent the account's whole request budget window (``takeOverBudget(_:)``).
    private let budgetTakeOver = Mutex(false)

    /// The node of `configuration.cluster`; throws the key file's or the endpoints' problem, naming the key.
    package init(configuration: RotordConfiguration, cluster: ClusterSettings, configPath: String, logger: Logger)
        throws(ConfigurationErrors)
    {
        do { privateKey = try FleetHostKey.load(cluster.keyFile) } catch {
            throw ConfigurationErrors(errors: [.init(file: configPath, key: "cluster.key_file", message: "\(error)")])
        }
        if let problem = FleetHostKey.pinProblem(privateKey, cluster: cluster, configPath: configPath) {
            throw ConfigurationErrors(errors: [problem])
        }
        let etcd: EtcdClient.Configuration
        do { etcd = try cluster.etcdConfiguration(configPath: configPath) } catch {
            throw ConfigurationErrors(errors: [error])
        }
        self.settings = cluster
        self.keys = FleetKeys(prefix: cluster.prefix)
        self.logger = logger
        self.client = EtcdClient(configuration: etcd, logger: logger)
        let ttl = Duration.seconds(cluster.leaseTTL.seconds)
        self.gate = FleetGate(ttl: ttl, requestTimeout: .seconds(configuration.fracttal.timeout.seconds))
        self.election =
            cluster.leaderEligible
            ? EtcdElection(client: client, prefix: cluster.prefix, host: cluster.host, ttl: ttl, logger: logger) : nil
    }

    /// At start: refuses (exit 78) a host whose local journal holds unfinished rotations the fleet does not know
    /// (started before `cluster:` was turned on); when etcd cannot be asked now, the leader's pass checks again.
    package func refuseLocalOnlyRotations(_ store: StateStore, configPath: String) async throws(ConfigurationErrors) {
        guard let local = try? store.rotations().filter({ !$0.step.isTerminal }), !local.isEmpty else { return }
        var unknown: [String] = []
        for record in local {
            guard let inFlight = try? await client.range(keys.rotation(record.id)),
                let finished = try? await client.range(keys.history(record.id))
            else {
                logger.warning("fleet: etcd cannot be asked about the local rotations now; the leader's pass will")
                return
            }
            if inFlight.kvs.isEmpty && finished.kvs.isEmpty {
                unknown.append("\(record.consumerName) (\(record.id), \(record.step.rawValue))")
            }
        }
        guard !unknown.isEmpty else { return }
        throw ConfigurationErrors(errors: [
            .init(file: configPath, key: "cluster", message: FleetLeader.localOnlyProblem(unknown, store.directory))
        ])
    }

    /// Whether this host leads the fleet now (its fence may still hold requests back while it settles).
    package var isLeader: Bool { leading.withLock { $0 } }

    /// Who leads, as this host last saw it.
    package func leaderName() async -> String? {
        if let election { return await election.status().leader }
        return try? await client.range(keys.leader, serializable: true).kvs.first?.string
    }

    /// The leader's journal and delivery, for the reconciler of a pass this host runs as leader.
    /// `pinnedKeys` is the configuration's `cluster.pinned_keys` now (a reload may change it).
    package func leader(pinnedKeys: [String: String]?, onProgress: @escaping @Sendable () -> Void) -> FleetLeader {
        let election = self.election
        var trust = settings
        trust.pinnedKeys = pinnedKeys
        return FleetLeader(
            client: client, keys: keys, host: settings.host, trust: trust, privateKey: privateKey,
            lease: {
                guard let election else { return nil }
                let status = await election.status()
                return status.isLeader ? status.lease : nil
            }, logger: logger, onProgress: onProgress, blockers: blockers)
    }

    /// This host's delivery, with the daemon's configuration and checks.
    package func host(
        configuration: RotordConfiguration, checks: any RotationChecks, onProgress: @escaping @Sendable () -> Void
    ) -> FleetHost {
        FleetHost(
            client: client, settings: settings, configuration: configuration, privateKey: privateKey, checks: checks,
            logger: logger, onProgress: onProgress)
    }

    /// Registers the host, keeps it alive, delivers what is sealed to it and, when eligible, campaigns, until the
    /// task is cancelled; `onLeadershipChange` is told when this host starts or stops leading. Resigns at the end, so
    /// that a stopped leader is replaced at once.
    package func run(host: FleetHost, onLeadershipChange: @escaping @Sendable (Bool) -> Void) async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                for attempt in 1...Int.max {
                    do {
                        try await host.register()
                        break
                    } catch {
                        if attempt == 1 {
                            self.logger.warning("fleet: cannot register \(self.settings.host): \(error)")
                        }
                        if Task.isCancelled { return }
                        try? await Task.sleep(for: Timing.fleetRetry)
                    }
                }
                await withDiscardingTaskGroup { inner in
                    inner.addTask { await host.keepAlive(ttl: .seconds(self.settings.leaseTTL.seconds)) }
                    inner.addTask { await host.deliver() }
                }
            }
            if election != nil {
                group.addTask { await self.campaign(onLeadershipChange: onLeadershipChange) }
                group.addTask { await self.watchRequests { onLeadershipChange(true) } }
            }
        }
    }

    /// Wakes the daemon of a leader when an operator leaves a request (`rotord rotate` on any host), until the task
    /// is cancelled.
    private func watchRequests(wake: @escaping @Sendable () -> Void) async {
        while !Task.isCancelled {
            let listing = try? await client.range(keys.requestsPrefix, prefix: true)
            if let listing, !listing.kvs.isEmpty, isLeader { wake() }
            await client.waitForChange(under: keys.requestsPrefix, after: listing?.revision, atMost: Timing.fleetResync)
        }
    }

    /// The election's steps, every TTL/3, feeding the fence.
    private func campaign(onLeadershipChange: @escaping @Sendable (Bool) -> Void) async {
        guard let election else { return }
        let ttl = election.ttl
        while !Task.isCancelled {
            let began = ContinuousClock.now
            await election.step()
            let status = await election.status()
            let now = ContinuousClock.now
            if !status.isLeader, status.leader != nil { otherLeaderSeen.withLock { $0 = now } }
            if status.isLeader, let deadline = status.leaseDeadline {
                let sent = deadline.advanced(by: .zero - ttl)
                let changed = leading.withLock { leading in
                    let was = leading
                    leading = true
                    return !was
                }
                if changed {
                    let recent = otherLeaderSeen.withLock { $0 }.map { $0.duration(to: now) < Self.budgetWindow }
                    budgetTakeOver.withLock { $0 = recent ?? false }
                    gate.won(at: now, keepAliveSent: sent)
                    logger.notice("fleet: \(settings.host) leads the fleet \(settings.prefix)")
                    onLeadershipChange(true)
                } else {
                    gate.renewed(keepAliveSent: sent)
                }
            } else if leading.withLock({ $0 }) {
                leading.withLock { $0 = false }
                gate.lost()
                logger.warning("fleet: \(settings.host) no longer leads the fleet \(settings.prefix)")
                onLeadershipChange(false)
            }
            try? await Task.sleep(until: began.advanced(by: election.keepAliveInterval), clock: .continuous)
        }
        gate.lost()
        leading.withLock { $0 = false }
        await election.resign()
    }

    /// The account's rate-limit window (docs/fracttal-api.md): a previous leader's requests count for this long.
    static let budgetWindow = Duration.seconds(60)

    /// Once per term won from another leader: blocks `budget` for a whole window, as if the previous leader had
    /// spent the account's whole budget just before it lost (it may have: nothing tells the new leader otherwise),
    /// so that the take-over makes no request the server answers with 406. Returns whether it did.
    @discardableResult
    package func takeOverBudget(_ budget: SharedRequestBudget?) -> Bool {
        guard
            budgetTakeOver.withLock({ taken in
                defer { taken = false }
                return taken
            }), let budget
        else { return false }
        let now = ContinuousClock.now
        budget.withBudget { $0.observeRateLimited(reset: Self.budgetWindow, at: now) }
        let text =
            "fleet: \(settings.host) took over from another leader; it assumes the previous leader spent the account's "
            + "whole request budget window and sends its first Fracttal request in \(Self.budgetWindow)"
        logger.notice("\(text)")
        return true
    }

    /// Closes the etcd connections.
    package func shutdown() async {
        try? await client.shutdown()
    }
}
