import Crypto
import EtcdClient
import Foundation
import Logging
import RotordCore
import Synchronization

/// Every fleet host's own part (docs/fleet.md), leader or not: its durable membership record (`hosts/<h>`), its
/// leased liveness key (`alive/<h>`), and its delivery: it watches the copies sealed to it, opens them, publishes
/// the pair to its own deliver files with every guarantee of a single host, runs its own `after_publish` actions
/// and probe, and writes its confirmation (or its failure, with the reason) under its own key.
package final class FleetHost: Sendable {
    let client: EtcdClient
    let keys: FleetKeys
    let settings: ClusterSettings
    /// The configuration and checks in force: replaced by ``reconfigure(configuration:checks:)`` on a reload.
    private let current: Mutex<(configuration: RotordConfiguration, checks: any RotationChecks)>
    let privateKey: Curve25519.KeyAgreement.PrivateKey
    let cipher: any CredentialCipher
    let logger: Logger
    let onProgress: @Sendable () -> Void
    /// The sealed copies this host answered, by key: their `mod_revision`.
    private let answered = Mutex<[String: Int64]>([:])

    /// The host named `settings.host` of the fleet under `settings.prefix`.
    package init(
        client: EtcdClient, settings: ClusterSettings, configuration: RotordConfiguration,
        privateKey: Curve25519.KeyAgreement.PrivateKey, checks: any RotationChecks,
        cipher: any CredentialCipher = SystemdCreds(), logger: Logger, onProgress: @escaping @Sendable () -> Void = {}
    ) {
        self.client = client
        self.keys = FleetKeys(prefix: settings.prefix)
        self.settings = settings
        self.current = Mutex((configuration, checks))
        self.privateKey = privateKey
        self.cipher = cipher
        self.logger = logger
        self.onProgress = onProgress
    }

    /// The configuration in force.
    var configuration: RotordConfiguration { current.withLock { $0.configuration } }
    /// The checks (actions and probes) in force.
    var checks: any RotationChecks { current.withLock { $0.checks } }

    /// A reload (SIGHUP): from now on this host delivers, checks and registers with `configuration` and `checks`;
    /// then call ``register()`` so that the fleet sees what it delivers now.
    package func reconfigure(configuration: RotordConfiguration, checks: any RotationChecks) {
        current.withLock { $0 = (configuration, checks) }
    }

    /// This host's durable record: its public key, what it delivers (a hash of each consumer's policy) and the
    /// account it acts on.
    package var member: FleetMember {
        let configuration = self.configuration
        return FleetMember(
            host: settings.host, publicKey: privateKey.publicKey.rawRepresentation.base64EncodedString(),
            delivers: Dictionary(
                uniqueKeysWithValues: configuration.consumers.filter { !$0.deliver.isEmpty }.map {
                    ($0.name, Self.policyHash($0))
                }),
            leaderEligible: settings.leaderEligible,
            account: "\(configuration.fracttal.apiURL) \(configuration.fracttal.requestsPerMinute)/min")
    }

    /// A short hash of what decides a consumer's rotation (its policy and permission group): hosts that disagree
    /// are named (``FleetRevocation/disagreements(_:)``).
    static func policyHash(_ consumer: ManagedConsumer) -> String {
        let text = "\(consumer.permissionGroup)|\(consumer.consumerID.map(String.init) ?? "")|\(consumer.policy)"
        return SHA256.hash(data: Data(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Writes this host's membership record (durable: no lease), unless etcd holds it already: an unchanged record
    /// is not rewritten, since every write under `hosts/` makes a leader's revocation in flight read the members
    /// again (its transaction compares the prefix).
    package func register() async throws {
        let member = self.member
        let existing = try await client.range(keys.host(settings.host)).kvs.first
        let old = existing.flatMap { FleetEntry.decode(FleetMember.self, $0.value) }
        if old == member { return }
        if let old, old.publicKey != member.publicKey {
            let text =
                "\(keys.host(settings.host)) held another public key; this host's key replaces it (copies sealed to "
                + "the old key can no longer be opened here)"
            logger.warning("\(text)")
        }
        try await client.put(keys.host(settings.host), FleetEntry.encode(member))
    }

    /// Keeps `alive/<h>` (leased, with this host's wall time) until the task is cancelled.
    package func keepAlive(ttl: Duration) async {
        var lease: Int64?
        for _ in 0..<Int.max {
            if Task.isCancelled { break }
            do {
                if let current = lease {
                    do { _ = try await client.keepAlive(lease: current) } catch  where error.isLeaseNotFound {
                        lease = nil
                    }
                }
                if lease == nil {
                    let granted = try await client.grantLease(ttl: ttl)
                    lease = granted.id
                }
                let alive = FleetEntry.Alive(host: settings.host, wallTime: Date())
                try await client.put(keys.alive(settings.host), FleetEntry.encode(alive), lease: lease)
            } catch {
                logger.info("fleet liveness: \(error)", metadata: ["host": "\(settings.host)"])
            }
            try? await Task.sleep(for: ttl / 3)
        }
        if let lease { try? await client.revoke(lease: lease) }
    }

    /// Delivers what is sealed to this host until the task is cancelled: one look at every copy, then waits for a
    /// change under `sealed/` (a watch) or ``Timing/fleetResync``, whichever comes first.
    package func deliver() async {
        for _ in 0..<Int.max {
            if Task.isCancelled { break }
            var revision: Int64?
            do {
                revision = try await deliverPass()
            } catch {
                logger.warning("fleet delivery: \(error)", metadata: ["host": "\(settings.host)"])
            }
            await client.waitForChange(under: keys.sealedPrefix, after: revision, atMost: Timing.fleetResync)
        }
    }

    /// Answers every copy sealed to this host that it has not answered yet; returns the revision of the listing.
    @discardableResult
    package func deliverPass() async throws -> Int64 {
        let listing = try await client.range(keys.sealedPrefix, prefix: true)
        for kv in listing.kvs {
            guard let (rotation, host) = FleetKeys.rotationAndHost(of: kv.key, under: keys.sealedPrefix),
                host == settings.host
            else { continue }
            if answered.withLock({ $0[kv.key] }) == kv.modRevision { continue }
            // Answered before a restart: the confirmation names the copy's revision.
            let previous = try await client.range(keys.confirmation(rotation, host: host)).kvs.first
            if let previous, let answer = FleetEntry.decode(FleetEntry.Confirmation.self, previous.value),
                answer.sealedRevision == kv.modRevision
            {
                answered.withLock { $0[kv.key] = kv.modRevision }
                continue
            }
            let confirmation = await answer(kv, rotation: rotation)
            try await client.put(keys.confirmation(rotation, host: host), FleetEntry.encode(confirmation))
            answered.withLock { $0[kv.key] = kv.modRevision }
        }
        return listing.revision
    }

    /// Opens one sealed copy, publishes it, runs the consumer's actions and probe: the confirmation to write.
    private func answer(_ kv: EtcdKeyValue, rotation: String) async -> FleetEntry.Confirmation {
        // One configuration for the whole answer, even if a reload lands meanwhile.
        let (configuration, checks) = current.withLock { $0 }
        func failed(_ reason: String) -> FleetEntry.Confirmation {
            logger.error(
                "fleet delivery of rotation \(rotation) failed on \(settings.host): \(reason); the old consumer is kept",
                metadata: ["rotation_id": "\(rotation)"].merging(CatalogMessage.rotationUnconfirmed.metadata) { a, _ in
                    a
                })
            return FleetEntry.Confirmation(
                host: settings.host, sealedRevision: kv.modRevision, ok: false, reason: reason, files: [], at: Date())
        }
        guard let sealed = FleetEntry.decode(FleetEntry.Sealed.self, kv.value) else {
            return failed("the sealed copy is not of format \(FleetEntry.format); upgrade this host")
        }
        let pair: (key: String, secret: String)
        do {
            pair = try sealed.credential.open(
                with: privateKey, context: sealed.context(account: keys.prefix, host: settings.host))
        } catch {
            return failed("the sealed copy does not open with this host's key (\(error))")
        }
        guard let consumer = configuration.consumer(named: sealed.consumer), !consumer.deliver.isEmpty else {
            return failed("\(sealed.consumer) is not configured with deliver files on this host")
        }
        let meta = Logger.Metadata.rotation(sealed.consumer, id: rotation, maskedKey: sealed.maskedKey)
        // The pair the files hold before this publish is the old one: its secret is masked in the output of the
        // actions and the probe too, as on a single host.
        let old = await SecretPublisher.replacedSecret(consumer.deliver, newKey: pair.key, cipher: cipher)
        let secrets = [pair.secret] + (old.map { [$0] } ?? [])
        let files: [String]
        do {
            files = try await SecretPublisher(cipher: cipher).publish(
                consumer.deliver, name: sealed.consumer, key: pair.key, secret: pair.secret,
                rotatedAt: sealed.createdAt ?? Date())
        } catch {
            return failed("publishing: \(error.message)")
        }
        logger.notice(
            "new credential of \(sealed.consumer) published to \(files.count) file(s) on \(settings.host)",
            metadata: meta.merging(CatalogMessage.credentialPublished.metadata) { a, _ in a })
        let request = CheckRequest(
            consumer: sealed.consumer, rotationID: rotation, files: files, maskedKey: sealed.maskedKey,
            secrets: secrets)
        var failures = await checks.runActions(
            consumer.afterPublish, for: request, logger: logger, onProgress: onProgress)
        if failures.isEmpty, let probe = consumer.probe {
            failures = await checks.runProbe(probe, for: request, logger: logger, onProgress: onProgress)
        }
        if !failures.isEmpty { return failed(failures.joined(separator: "; ")) }
        logger.notice(
            "fleet delivery of \(sealed.consumer) confirmed on \(settings.host)", metadata: meta)
        return FleetEntry.Confirmation(
            host: settings.host, sealedRevision: kv.modRevision, ok: true, reason: nil, files: files, at: Date())
    }
}
