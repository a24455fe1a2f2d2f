import Crypto
import EtcdClient
import Foundation
import Logging
import RotordCore

/// The leader's side of the fleet (docs/fleet.md): the journal in etcd, written by transactions fenced by the
/// leadership key before each effect; the publish that seals the new pair to every delivering host; the wait for
/// their confirmations; and the revocation checked in the transaction that moves a rotation to `retiring`.
package struct FleetLeader: RotationFleet {
    /// Why the fleet's journal or delivery could not be written; never holds a secret.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    let client: EtcdClient
    let keys: FleetKeys
    /// This host.
    let host: String
    /// Whom the leader may seal a pair to (``ClusterSettings/untrustedReason(host:publicKey:)``: `cluster.pinned_keys`).
    let trust: ClusterSettings
    /// The fleet's account, bound into every sealed copy (`cluster.etcd.prefix`).
    let account: String
    let privateKey: Curve25519.KeyAgreement.PrivateKey
    /// The lease of the leadership key while this host leads; `nil` otherwise.
    let lease: @Sendable () async -> Int64?
    let logger: Logger
    let clock: any WallClock
    let onProgress: @Sendable () -> Void
    /// Where the hosts that hold a rotation back are told (the daemon's status and metrics).
    let blockers: FleetBlockers

    /// A leader of the fleet under `keys`.
    package init(
        client: EtcdClient, keys: FleetKeys, host: String, trust: ClusterSettings,
        privateKey: Curve25519.KeyAgreement.PrivateKey,
        lease: @escaping @Sendable () async -> Int64?, logger: Logger, clock: any WallClock = SystemWallClock(),
        onProgress: @escaping @Sendable () -> Void = {}, blockers: FleetBlockers = FleetBlockers()
    ) {
        self.blockers = blockers
        self.client = client
        self.keys = keys
        self.host = host
        self.trust = trust
        self.account = keys.prefix
        self.privateKey = privateKey
        self.lease = lease
        self.logger = logger
        self.clock = clock
        self.onProgress = onProgress
    }

    // MARK: - The journal

    package func recover(into store: StateStore) async throws {
        let listing = try await client.range(keys.rotationsPrefix, prefix: true)
        try await refuseLocalOnlyRotations(
            store, fleet: Set(listing.kvs.map { String($0.key.dropFirst(keys.rotationsPrefix.count)) }))
        var records: [RotationRecord] = []
        for kv in listing.kvs {
            guard let entry = FleetEntry.decode(FleetEntry.Rotation.self, kv.value) else {
                throw Failure(
                    description:
                        "the fleet journal's \(kv.key) is not a rotation record of format \(FleetEntry.format); "
                        + "a newer rotord may have written it: upgrade this host")
            }
            var record = entry.record
            // Before the publish, the secret is needed again: it is in the escrow copy sealed to this host.
            if record.step == .created || record.step == .verified, let id = record.newConsumerID {
                record.newSecret = try await escrowedSecret(record, newConsumerID: id)
            }
            records.append(record)
        }
        try store.replaceUnfinished(with: records)
    }

    /// Throws, naming them, when the local journal holds unfinished rotations the fleet never knew (started before
    /// `cluster:` was turned on): the fleet would not finish them, and dropping them could orphan a replacement.
    func refuseLocalOnlyRotations(_ store: StateStore, fleet: Set<String>) async throws {
        let local = try store.rotations().filter { !$0.step.isTerminal && !fleet.contains($0.id) }
        var unknown: [RotationRecord] = []
        for record in local where try await client.range(keys.history(record.id)).kvs.isEmpty {
            unknown.append(record)
        }
        guard !unknown.isEmpty else { return }
        throw Failure(
            description: FleetLeader.localOnlyProblem(
                unknown.map { "\($0.consumerName) (\($0.id), \($0.step.rawValue))" }, store.directory))
    }

    /// What to say of rotations started on this host alone before `cluster:` was turned on.
    static func localOnlyProblem(_ rotations: [String], _ directory: String) -> String {
        "\(directory) holds rotations started before cluster: was turned on: \(rotations.joined(separator: ", ")); "
            + "the fleet does not take them over by itself: remove cluster: and let this host finish them, or run "
            + "rotord fleet import"
    }

    /// The new secret of `record` from the escrow copy sealed to this host at `created`.
    private func escrowedSecret(_ record: RotationRecord, newConsumerID: Int) async throws -> String? {
        let found = try await client.range(keys.escrow(record.id, host: host))
        guard let kv = found.kvs.first, let sealed = FleetEntry.decode(FleetEntry.Sealed.self, kv.value) else {
            let text =
                "rotation \(record.id) of \(record.consumerName) has no escrow copy sealed to \(host): this host "
                + "cannot finish it (another leader-eligible host can)"
            logger.error(
                "\(text)",
                metadata: .rotation(record.consumerName, id: record.id))
            return nil
        }
        let context = SealedCredential.Context(
            account: account, host: host, rotationID: record.id, consumer: record.consumerName,
            newConsumerID: newConsumerID)
        return try sealed.credential.open(with: privateKey, context: context).secret
    }

    package func persist(_ record: RotationRecord, previous: RotationRecord) async throws {
        guard let lease = await lease() else {
            throw Failure(description: "this host no longer leads the fleet: the step is left to the next leader")
        }
        var compares: [EtcdCompare] = [.lease(keys.leader, .equal, lease)]
        var operations: [EtcdOperation] = []
        let value = FleetEntry.encode(FleetEntry.Rotation(record, writer: host))
        if record.step.isTerminal {
            blockers.set(record.consumerName, [])
            let confirmations = try await client.range(keys.confirmationsPrefix, prefix: true).kvs
            operations += keys.confirmations(of: record.id, in: confirmations).map { .delete($0.key) }
            operations += [
                .delete(keys.rotation(record.id)), .delete(keys.escrowPrefix(record.id), prefix: true),
                .delete(keys.sealedPrefix(record.id), prefix: true),
                .delete(keys.acceptedPrefix(record.id), prefix: true),
                .put(
                    keys.history(record.id),
                    FleetEntry.encode(FleetEntry.History(record, leader: host))),
            ]
        } else {
            operations.append(.put(keys.rotation(record.id), value))
            if record.step == .created, previous.step != .created, let key = record.newKey,
                let secret = record.newSecret, let id = record.newConsumerID
            {
                // Any next leader must be able to verify and seal again: escrow to every leader-eligible member,
                // in the same transaction as the record that holds the new consumer.
                let members = try await trusted(self.members().members.filter(\.leaderEligible), record)
                operations += try members.map {
                    .put(
                        keys.escrow(record.id, host: $0.host),
                        try seal(record, key: key, secret: secret, id: id, to: $0))
                }
            }
            if record.step == .retiring, previous.step != .retiring, record.acceptedUnconfirmed != true,
                !record.revokeOldNow
            {
                compares += try await revocationCompares(record)
            }
        }
        try await fencedTxn(compares, operations, what: "journaling \(record.consumerName) at \(record.step.rawValue)")
        {
            // An unknown outcome: a linearizable read shows whether the record is what was written.
            let now = try await client.range(keys.rotation(record.id)).kvs.first
            return record.step.isTerminal ? now == nil : now?.value == value
        }
    }

    /// The comparisons that make the move to `retiring` valid only while what the verdict read is unchanged: no
    /// member joined or changed (the `hosts/` prefix) and no confirmation changed. Throws, naming each blocking
    /// host, while the verdict is to wait.
    private func revocationCompares(_ record: RotationRecord) async throws -> [EtcdCompare] {
        let (members, revision) = try await self.members()
        let state = try await hostStates(record, members: members).states
        let now = clock.now()
        var confirmations: [String: FleetRevocation.Confirmation] = [:]
        for (name, status) in state.statuses {
            switch status {
            case .confirmed: confirmations[name] = .confirmed(graceEnds: record.graceUntil ?? now)
            case .failed(let reason): confirmations[name] = .failed(reason: reason)
            case .pending, .unsealed: break
            }
        }
        let verdict = FleetRevocation.verdict(
            consumer: record.consumerName, members: members, confirmations: confirmations,
            accepted: try await acceptedHosts(record.id), now: now)
        if case .wait(let blockers) = verdict {
            // A member that joined after the confirmations were read has no copy yet: seal it one now.
            self.blockers.set(record.consumerName, blockers.map(\.host))
            let unsealed = state.statuses.filter { $0.value == .unsealed }.map(\.key).sorted()
            if !unsealed.isEmpty { try? await resealTo(unsealed, record) }
            let text =
                "the old consumer of \(record.consumerName) is kept: "
                + blockers.map(\.description).joined(separator: "; ")
                + "; fix the host, or run rotord rotate \(record.consumerName) --accept-unconfirmed, "
                + "or rotord fleet forget HOST for a host that left"
            logger.error(
                "\(text)",
                metadata: .rotation(record.consumerName, id: record.id, step: record.step.rawValue)
                    .merging(CatalogMessage.rotationUnconfirmed.metadata) { a, _ in a })
            throw Failure(description: text)
        }
        self.blockers.set(record.consumerName, [])
        return [.prefixModRevision(keys.hostsPrefix, .less, revision + 1)]
            + state.confirmationRevisions.map { .modRevision($0.key, .equal, $0.value) }
    }

    // MARK: - Operators' requests

    /// The requests operators left for the leader (`rotord rotate` on any host), oldest first.
    package func pendingRequests() async -> [FleetEntry.Request] {
        guard let listing = try? await client.range(keys.requestsPrefix, prefix: true) else { return [] }
        return listing.kvs.compactMap { FleetEntry.decode(FleetEntry.Request.self, $0.value) }.sorted { $0.at < $1.at }
    }

    /// Answers `request` and removes it, fenced.
    package func answer(_ request: FleetEntry.Request, ok: Bool, message: String) async {
        guard let lease = await lease() else { return }
        let answer = FleetEntry.Answer(id: request.id, leader: host, ok: ok, message: message)
        do {
            try await fencedTxn(
                [.lease(keys.leader, .equal, lease)],
                [.put(keys.answer(request.id), FleetEntry.encode(answer)), .delete(keys.request(request.id))],
                what: "answering the request \(request.id)"
            ) { false }
        } catch {
            logger.warning("cannot answer the request \(request.id) of \(request.from) now: \(error)")
        }
    }

    /// Records that an operator accepts the rotation in flight of `consumer` without `host`'s confirmation; returns
    /// the rotation's id. Throws when no rotation of `consumer` is in flight.
    package func accept(host acceptedHost: String, consumer: String) async throws -> String {
        let records = try await client.range(keys.rotationsPrefix, prefix: true).kvs.compactMap {
            FleetEntry.decode(FleetEntry.Rotation.self, $0.value)?.record
        }
        guard let record = records.first(where: { $0.consumerName == consumer }) else {
            throw Failure(description: "no rotation of \(consumer) is in flight: nothing to accept for \(acceptedHost)")
        }
        guard let lease = await lease() else { throw Failure(description: "this host no longer leads the fleet") }
        try await fencedTxn(
            [.lease(keys.leader, .equal, lease)],
            [.put(keys.accepted(record.id, host: acceptedHost), FleetEntry.encode(["host": acceptedHost]))],
            what: "accepting \(consumer) without \(acceptedHost)"
        ) { false }
        logger.warning(
            "an operator accepts rotation \(record.id) of \(consumer) without the confirmation of \(acceptedHost)",
            metadata: .rotation(consumer, id: record.id, step: record.step.rawValue))
        return record.id
    }

    /// The hosts an operator accepted for `rotation`.
    func acceptedHosts(_ rotation: String) async throws -> Set<String> {
        let listing = try await client.range(keys.acceptedPrefix(rotation), prefix: true)
        return Set(
            listing.kvs.compactMap { FleetKeys.rotationAndHost(of: $0.key, under: keys.prefix + "/accepted/")?.host })
    }

    // MARK: - Configuration agreement

    package func refusals() async -> [String: String] {
        guard let members = try? await members().members else { return [:] }
        for disagreement in FleetRevocation.disagreements(members) { logger.warning("fleet: \(disagreement)") }
        return FleetRevocation.policyConflicts(members)
    }

    // MARK: - The marker sweep

    package func sweep(_ listing: [ConsumerRecord], account: any ConsumerAccount) async -> Set<Int> {
        guard listing.contains(where: { RotationMarker.rotationID(in: $0.description) != nil }) else { return [] }
        var known: [String: FleetSweep.Known] = [:]
        do {
            for kv in try await client.range(keys.rotationsPrefix, prefix: true).kvs {
                guard let entry = FleetEntry.decode(FleetEntry.Rotation.self, kv.value) else { continue }
                known[entry.record.id] = .init(step: entry.record.step, newConsumerID: entry.record.newConsumerID)
            }
            for kv in try await client.range(keys.historyPrefix, prefix: true).kvs {
                guard let entry = FleetEntry.decode(FleetEntry.History.self, kv.value) else { continue }
                known[entry.entry.id] = .init(step: nil, newConsumerID: entry.newConsumerID)
            }
        } catch {
            logger.warning("the marker sweep cannot read the fleet's journal now: \(error); the next pass sweeps")
            return []
        }
        var deleted: Set<Int> = []
        for consumer in FleetSweep.lateCreates(in: listing, known: known) {
            let rotation = RotationMarker.rotationID(in: consumer.description) ?? ""
            do {
                try await account.delete(id: consumer.id)
                deleted.insert(consumer.id)
                let text =
                    "deleted consumer \(consumer.id) (\(KeyMask.mask(consumer.key))) of \(consumer.name): a create of "
                    + "rotation \(rotation) that landed after its leader lost the fleet; nobody holds its secret"
                logger.warning("\(text)", metadata: .rotation(consumer.name, id: rotation))
            } catch {
                logger.warning(
                    "the marker sweep could not delete consumer \(consumer.id) of \(consumer.name) now: \(error.message)",
                    metadata: .rotation(consumer.name, id: rotation))
            }
        }
        return deleted
    }

    // MARK: - Delivery

    package func publish(_ record: RotationRecord, key: String, secret: String) async -> RotationEvent {
        guard let id = record.newConsumerID else {
            return .publishFailed(RotationFailure(.transient, "the new consumer's id is not journaled"))
        }
        do {
            let all = try await members().members.filter { $0.delivers[record.consumerName] != nil }
            let delivering = trusted(all, record)
            guard !all.isEmpty else {
                return .publishFailed(
                    RotationFailure(
                        .transient,
                        "no host of the fleet delivers \(record.consumerName): configure it on the hosts that use it"))
            }
            let operations: [EtcdOperation] = try delivering.map {
                .put(keys.sealed(record.id, host: $0.host), try seal(record, key: key, secret: secret, id: id, to: $0))
            }
            try await sealFenced(operations, record)
            let names = delivering.map(\.host).joined(separator: ", ")
            logger.notice(
                "new credential of \(record.consumerName) sealed to \(delivering.count) host(s): \(names)",
                metadata: .rotation(record.consumerName, id: record.id, step: record.step.rawValue))
            return .published(files: delivering.map { "host:\($0.host)" })
        } catch {
            return .publishFailed(RotationFailure(.transient, "sealing the new pair to the fleet's hosts: \(error)"))
        }
    }

    package func confirmations(_ record: RotationRecord) async -> RotationEvent {
        let started = ContinuousClock.now
        var resealed: Set<String> = []
        for _ in 0..<100_000 {
            onProgress()
            let state: FleetStatus.HostStates
            let revision: Int64
            do {
                (state, revision) = try await hostStates(record)
                // A host that joined during the rotation, or one whose last attempt failed (a retry): seal again.
                var again = state.statuses.filter { name, status in
                    switch status {
                    case .unsealed: true
                    case .failed: record.step == .unconfirmed && !resealed.contains(name)
                    case .confirmed, .pending: false
                    }
                }.map(\.key)
                again.sort()
                if !again.isEmpty {
                    try await resealTo(again, record)
                    resealed.formUnion(again)
                    continue
                }
            } catch {
                return .hooksRan(failures: ["the hosts' confirmations cannot be read from etcd: \(error)"])
            }
            let failed = state.statuses.sorted { $0.key < $1.key }.compactMap { name, status -> String? in
                if case .failed(let reason) = status { "\(name): \(reason)" } else { nil }
            }
            let pending = state.statuses.keys.sorted().filter {
                if case .pending = state.statuses[$0] { true } else { false }
            }
            let failedHosts = state.statuses.filter { if case .failed = $0.value { true } else { false } }.map(\.key)
            if pending.isEmpty {
                blockers.set(record.consumerName, failedHosts)
                return .hooksRan(failures: failed)
            }
            if started.duration(to: .now) >= Timing.fleetConfirmationWait {
                blockers.set(record.consumerName, failedHosts + pending)
                return .hooksRan(
                    failures: failed
                        + pending.map { "\($0) has not confirmed the new pair within \(Timing.fleetConfirmationWait)" })
            }
            // Woken by the next confirmation (a watch from the read's revision), or after a while to see members
            // that joined or went down.
            let left = Timing.fleetConfirmationWait - started.duration(to: .now)
            await client.waitForChange(
                under: keys.confirmationsPrefix, after: revision, atMost: min(left, Timing.fleetResync))
        }
        return .hooksRan(failures: ["the hosts' confirmations did not settle"])
    }

    /// Seals the pair (from the escrow copy of this host when the record no longer holds it) to `hosts` again.
    private func resealTo(_ hosts: [String], _ record: RotationRecord) async throws {
        guard let key = record.newKey, let id = record.newConsumerID else { return }
        let secret: String
        if let held = record.newSecret {
            secret = held
        } else if let escrowed = try await escrowedSecret(record, newConsumerID: id) {
            secret = escrowed
        } else {
            throw Failure(description: "no copy of the new pair is sealed to this leader")
        }
        let members = trusted(try await self.members().members.filter { hosts.contains($0.host) }, record)
        guard !members.isEmpty else { return }
        let operations: [EtcdOperation] = try members.map {
            .put(keys.sealed(record.id, host: $0.host), try seal(record, key: key, secret: secret, id: id, to: $0))
        }
        try await sealFenced(operations, record)
        logger.info(
            "new credential of \(record.consumerName) sealed again to \(hosts.joined(separator: ", "))",
            metadata: .rotation(record.consumerName, id: record.id, step: record.step.rawValue))
    }

    private func sealFenced(_ operations: [EtcdOperation], _ record: RotationRecord) async throws {
        guard let lease = await lease() else { throw Failure(description: "this host no longer leads the fleet") }
        try await fencedTxn(
            [.lease(keys.leader, .equal, lease)], operations, what: "sealing the new pair of \(record.consumerName)"
        ) { false }
    }

    // MARK: - Reading the fleet

    /// Where each delivering host is with one rotation (``FleetStatus/hostStates(rotation:consumer:members:sealed:confirmations:keys:)``),
    /// with the hosts an operator accepted counted as confirmed; `members` when the caller has just read them, and
    /// the revision of the confirmations' read.
    func hostStates(_ record: RotationRecord, members known: [FleetMember]? = nil) async throws -> (
        states: FleetStatus.HostStates, revision: Int64
    ) {
        let members: [FleetMember]
        if let known { members = known } else { members = try await self.members().members }
        let sealed = try await client.range(keys.sealedPrefix(record.id), prefix: true).kvs
        let confirmations = try await client.range(keys.confirmationsPrefix, prefix: true)
        var state = FleetStatus.hostStates(
            rotation: record.id, consumer: record.consumerName, members: members, sealed: sealed,
            confirmations: keys.confirmations(of: record.id, in: confirmations.kvs), keys: keys, trust: trust)
        for host in try await acceptedHosts(record.id) where state.statuses[host] != nil {
            state.statuses[host] = .confirmed
        }
        return (state, confirmations.revision)
    }

    /// The members of `members` this leader may seal a pair to (`cluster.pinned_keys`); logs an error naming each
    /// other one, for `record`.
    private func trusted(_ members: [FleetMember], _ record: RotationRecord) -> [FleetMember] {
        members.filter { member in
            guard let reason = trust.untrustedReason(host: member.host, publicKey: member.publicKey) else {
                return true
            }
            logger.error(
                "fleet: \(member.host) is not sealed the new pair of \(record.consumerName): \(reason)",
                metadata: .rotation(record.consumerName, id: record.id, step: record.step.rawValue))
            return false
        }
    }

    /// The durable members (`hosts/`) and the revision of the read.
    func members() async throws -> (members: [FleetMember], revision: Int64) {
        let listing = try await client.range(keys.hostsPrefix, prefix: true)
        var out: [FleetMember] = []
        for kv in listing.kvs {
            guard let member = FleetEntry.decode(FleetMember.self, kv.value) else {
                logger.warning("\(kv.key) is not a fleet member record this rotord can read; it is ignored")
                continue
            }
            out.append(member)
        }
        return (out, listing.revision)
    }

    private func seal(_ record: RotationRecord, key: String, secret: String, id: Int, to member: FleetMember) throws
        -> [UInt8]
    {
        guard let raw = Data(base64Encoded: member.publicKey),
            let publicKey = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw)
        else {
            throw Failure(description: "the public key in \(keys.host(member.host)) is not an X25519 key")
        }
        let context = SealedCredential.Context(
            account: account, host: member.host, rotationID: record.id, consumer: record.consumerName,
            newConsumerID: id)
        let sealed = try SealedCredential.seal(key: key, secret: secret, to: publicKey, context: context)
        return FleetEntry.encode(
            FleetEntry.Sealed(
                rotationID: record.id, consumer: record.consumerName, newConsumerID: id, maskedKey: KeyMask.mask(key),
                createdAt: record.newCreatedAt, credential: sealed))
    }

    /// Runs a transaction whose comparisons fence it; a failed comparison or an unknown outcome that `applied`
    /// cannot confirm throws.
    private func fencedTxn(
        _ compares: [EtcdCompare], _ operations: [EtcdOperation], what: String,
        applied: () async throws -> Bool
    ) async throws {
        do {
            let result = try await client.txn(compares, success: operations, failure: [.range(keys.leader)])
            guard result.succeeded else {
                let holder = result.firstRange.first?.string
                throw Failure(
                    description:
                        "\(what): refused by etcd: "
                        + (compares.count > 1
                            ? "this host no longer leads, or a host joined or answered meanwhile"
                            : "this host no longer leads the fleet")
                        + (holder.map { " (the leader key names \($0))" } ?? ""))
            }
        } catch let error as EtcdError where error.isOutcomeUnknown {
            // Nothing is acted on until a linearizable read shows the state.
            if (try? await applied()) == true { return }
            throw Failure(description: "\(what): the outcome is unknown (\(error)); the step is tried again")
        }
    }
}
