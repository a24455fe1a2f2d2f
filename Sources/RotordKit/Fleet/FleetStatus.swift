import EtcdClient
import Foundation
import RotordCore
import Synchronization

/// What `rotord fleet status` shows of a fleet, and the `fleet` block of `rotord status` (docs/fleet.md,
/// docs/cli.md): who leads, every durable member (alive or down, when it was last seen, what it delivers), each
/// rotation in flight with where each delivering host is, and the warnings an operator must act on. Read from etcd
/// by ``read(client:keys:now:aliveWriteAge:lookUpLastSeen:)``, built by ``init(_:now:aliveWriteAge:)`` from what
/// was read (pure). Holds no secret: etcd holds none in clear, and keys are masked.
package struct FleetStatus: Sendable, Codable, Hashable {
    /// `cluster.etcd.prefix`.
    package var prefix: String
    /// The etcd revision of the read.
    package var revision: Int64
    /// When it was read (this host's clock).
    package var readAt: Date
    /// The host the leader key names, or `nil` when no host leads.
    package var leader: String?
    /// Every durable member (`hosts/`), by host name.
    package var members: [Member]
    /// Every unfinished rotation of the fleet's journal (`rotations/`), by consumer then id.
    package var rotations: [Rotation]
    /// What an operator must act on, sorted by kind: configuration disagreements, no leader, down hosts a rotation
    /// waits for, clock skew, hosts alive without a membership record, records this rotord cannot read.
    package var warnings: [String]
    /// Whether a host blocks a rotation or a warning exists (`rotord fleet status` exits 1).
    package var needsAttention: Bool

    enum CodingKeys: String, CodingKey {
        case prefix, revision, leader, members, rotations, warnings
        case readAt = "read_at", needsAttention = "needs_attention"
    }

    /// One durable member.
    package struct Member: Sendable, Codable, Hashable {
        /// Its name (`cluster.host`).
        package var host: String
        /// Whether its liveness key (`alive/<h>`, leased) exists.
        package var alive: Bool
        /// Its own wall time when it last renewed its liveness key; for a host that is down, the last such time
        /// etcd's history still holds (`nil` when it no longer does).
        package var lastSeen: Date?
        /// The consumers it delivers, sorted.
        package var delivers: [String]
        /// Whether it may lead (`cluster.leader_eligible`).
        package var leaderEligible: Bool
        /// Whether the leader key names it.
        package var leads: Bool

        enum CodingKeys: String, CodingKey {
            case host, alive, delivers, leads
            case lastSeen = "last_seen", leaderEligible = "leader_eligible"
        }
    }

    /// One rotation in flight.
    package struct Rotation: Sendable, Codable, Hashable {
        /// Its id.
        package var id: String
        /// The consumer it rotates.
        package var consumer: String
        /// Its step (``RotationStep``).
        package var step: String
        /// The leader that journaled it last.
        package var writer: String?
        /// When it started.
        package var startedAt: Date
        /// The new key, masked, once created.
        package var newKey: String?
        /// The end of the grace period, once set.
        package var graceUntil: Date?
        /// Its last error.
        package var lastError: String?
        /// Every durable member that delivers the consumer, by host name.
        package var hosts: [HostProgress]

        enum CodingKeys: String, CodingKey {
            case id, consumer, step, writer, hosts
            case startedAt = "started_at", newKey = "new_key", graceUntil = "grace_until", lastError = "last_error"
        }
    }

    /// Where one delivering host is with one rotation.
    package struct HostProgress: Sendable, Codable, Hashable {
        /// The host.
        package var host: String
        /// ``HostState/name``: `unsealed`, `sealed_waiting`, `confirmed` or `failed`.
        package var state: String
        /// Why it failed (as the host wrote it; no secret: hosts mask their checks' output).
        package var reason: String?
        /// Whether the host is alive.
        package var alive: Bool
        /// Whether it holds the rotation back now: it failed, or it has not confirmed and is down (or the rotation
        /// is already `unconfirmed`).
        package var blocking: Bool
    }

    // MARK: - Each host's state (the leader's decision)

    /// Where one delivering host is with one rotation, as the leader decides it (``hostStates(consumer:members:sealedRevisions:answers:)``).
    package enum HostState: Sendable, Hashable {
        /// No copy is sealed to it yet (before the publish, or it joined during the rotation).
        case unsealed
        /// Sealed; no answer to that very copy yet.
        case pending
        /// It published, its actions and probe passed.
        case confirmed
        /// It failed, for this reason.
        case failed(String)

        /// Its name in `fleet status`: `unsealed`, `sealed_waiting`, `confirmed` or `failed`.
        package var name: String {
            switch self {
            case .unsealed: "unsealed"
            case .pending: "sealed_waiting"
            case .confirmed: "confirmed"
            case .failed: "failed"
            }
        }
    }

    /// Each delivering host's state, and what the leader compares when it moves a rotation to `retiring`.
    package struct HostStates: Sendable, Hashable {
        /// By host: every durable member that delivers the consumer.
        package var statuses: [String: HostState] = [:]
        /// The `mod_revision` of each confirmation key found for a host that has a sealed copy, by key.
        package var confirmationRevisions: [String: Int64] = [:]

        /// None yet.
        package init() {}
    }

    /// Each member that delivers `consumer`: ``HostState/unsealed`` without a sealed copy (`sealedRevisions`: each
    /// host's copy's `mod_revision`), ``HostState/pending`` until its answer (`answers`: each host's confirmation
    /// that could be read) names that very copy's revision, then confirmed or failed as it says. A copy sealed again
    /// asks again. Pure.
    package static func hostStates(
        consumer: String, members: [FleetMember], sealedRevisions: [String: Int64],
        answers: [String: FleetEntry.Confirmation]
    ) -> [String: HostState] {
        var out: [String: HostState] = [:]
        for member in members where member.delivers[consumer] != nil {
            guard let sealed = sealedRevisions[member.host] else {
                out[member.host] = .unsealed
                continue
            }
            guard let answer = answers[member.host], answer.sealedRevision == sealed else {
                out[member.host] = .pending
                continue
            }
            out[member.host] = answer.ok ? .confirmed : .failed(answer.reason ?? "no reason given")
        }
        return out
    }

    /// ``hostStates(consumer:members:sealedRevisions:answers:)`` on what a read of rotation `id`'s sealed copies
    /// (`sealed/<id>/`) and confirmations (`confirm/<h>/<id>`) returned, with the confirmations' revisions (the
    /// leader's `retiring` transaction compares them). A confirmation that cannot be read leaves its host pending.
    /// A member that `trust`'s `cluster.pinned_keys` does not trust has failed: no leader with those keys seals it a
    /// pair, so it holds the old consumer back until pinned or forgotten.
    package static func hostStates(
        rotation id: String, consumer: String, members: [FleetMember], sealed: [EtcdKeyValue],
        confirmations: [EtcdKeyValue], keys: FleetKeys, trust: ClusterSettings? = nil
    ) -> HostStates {
        var sealedRevisions: [String: Int64] = [:]
        var answers: [String: FleetEntry.Confirmation] = [:]
        var state = HostStates()
        for member in members where member.delivers[consumer] != nil {
            guard let copy = sealed.first(where: { $0.key == keys.sealed(id, host: member.host) }) else { continue }
            sealedRevisions[member.host] = copy.modRevision
            guard let kv = confirmations.first(where: { $0.key == keys.confirmation(id, host: member.host) }) else {
                continue
            }
            state.confirmationRevisions[kv.key] = kv.modRevision
            answers[member.host] = FleetEntry.decode(FleetEntry.Confirmation.self, kv.value)
        }
        state.statuses = hostStates(
            consumer: consumer, members: members, sealedRevisions: sealedRevisions, answers: answers)
        for member in members where state.statuses[member.host] != nil {
            if let reason = trust?.untrustedReason(host: member.host, publicKey: member.publicKey) {
                state.statuses[member.host] = .failed("not sealed a pair: \(reason)")
            }
        }
        return state
    }

    // MARK: - Building the status (pure)

    /// What one read of etcd found, decoded.
    package struct Snapshot: Sendable {
        /// `cluster.etcd.prefix`.
        package var prefix: String
        /// The revision of the read.
        package var revision: Int64
        /// The leader key's value.
        package var leader: String?
        /// The durable members whose records could be read.
        package var members: [FleetMember]
        /// The hosts whose liveness key exists.
        package var alive: Set<String>
        /// The wall time each alive host last published (when its value could be read).
        package var wallTimes: [String: Date]
        /// For hosts that are down: the wall time they last published, from etcd's history.
        package var lastSeenInHistory: [String: Date]
        /// The rotations in flight whose records could be read.
        package var rotations: [InFlight]
        /// What could not be read, in words (one warning each).
        package var unreadable: [String]

        /// One rotation in flight and its delivering hosts' states.
        package struct InFlight: Sendable {
            /// The journal record (without its secret).
            package var record: RotationRecord
            /// The leader that wrote it.
            package var writer: String?
            /// ``FleetStatus/hostStates(consumer:members:sealedRevisions:answers:)``.
            package var states: [String: HostState]

            /// A rotation and its hosts' states.
            package init(record: RotationRecord, writer: String?, states: [String: HostState]) {
                self.record = record
                self.writer = writer
                self.states = states
            }
        }

        /// A snapshot (the tests build one by hand).
        package init(
            prefix: String, revision: Int64 = 0, leader: String?, members: [FleetMember], alive: Set<String>,
            wallTimes: [String: Date], lastSeenInHistory: [String: Date] = [:], rotations: [InFlight] = [],
            unreadable: [String] = []
        ) {
            self.prefix = prefix
            self.revision = revision
            self.leader = leader
            self.members = members
            self.alive = alive
            self.wallTimes = wallTimes
            self.lastSeenInHistory = lastSeenInHistory
            self.rotations = rotations
            self.unreadable = unreadable
        }
    }

    /// The default of `aliveWriteAge`: the longest lease TTL (``ClusterSettings/defaultLeaseTTL``).
    package static let defaultAliveWriteAge = Duration.seconds(ClusterSettings.defaultLeaseTTL.seconds)

    /// The status of `snapshot` read at `now`. `aliveWriteAge` bounds how far apart in real time two hosts wrote the
    /// liveness values compared for clock skew (each renews every lease TTL/3; the lease TTL is a safe bound).
    /// `trust`, the reading host's `cluster:`, warns of each member its `cluster.pinned_keys` does not trust.
    package init(
        _ snapshot: Snapshot, now: Date, aliveWriteAge: Duration = defaultAliveWriteAge, trust: ClusterSettings? = nil
    ) {
        prefix = snapshot.prefix
        revision = snapshot.revision
        readAt = now
        leader = snapshot.leader
        members = snapshot.members.sorted { $0.host < $1.host }.map { member in
            let alive = snapshot.alive.contains(member.host)
            return Member(
                host: member.host, alive: alive,
                lastSeen: alive ? snapshot.wallTimes[member.host] : snapshot.lastSeenInHistory[member.host],
                delivers: member.delivers.keys.sorted(), leaderEligible: member.leaderEligible,
                leads: member.host == snapshot.leader)
        }
        var waitedFor: [String] = []
        rotations = snapshot.rotations.sorted {
            ($0.record.consumerName, $0.record.id) < ($1.record.consumerName, $1.record.id)
        }
        .map { inFlight in
            let record = inFlight.record
            let hosts = inFlight.states.keys.sorted().map { host in
                let state = inFlight.states[host] ?? .unsealed
                let alive = snapshot.alive.contains(host)
                let blocking = Self.blocks(state, alive: alive, step: record.step)
                if !alive, blocking {
                    waitedFor.append(
                        "\(host) is down: rotation \(record.id) of \(record.consumerName) waits for it "
                            + "(\(Self.describe(state))); start its rotord, or run rotord fleet forget \(host) "
                            + "if it left the fleet")
                }
                var reason: String?
                if case .failed(let why) = state { reason = why }
                return HostProgress(host: host, state: state.name, reason: reason, alive: alive, blocking: blocking)
            }
            return Rotation(
                id: record.id, consumer: record.consumerName, step: record.step.rawValue, writer: inFlight.writer,
                startedAt: record.startedAt, newKey: record.newKey.map(KeyMask.mask), graceUntil: record.graceUntil,
                lastError: record.failure, hosts: hosts)
        }
        var warnings = FleetRevocation.disagreements(snapshot.members)
        if snapshot.leader == nil, !snapshot.members.isEmpty {
            let eligible = snapshot.members.filter { $0.leaderEligible && snapshot.alive.contains($0.host) }
            warnings.append(
                "no host leads the fleet"
                    + (eligible.isEmpty
                        ? ": no leader-eligible member is alive (start rotord on one)"
                        : " (an election is under way, or the leader just stopped; look again in a lease TTL)"))
        }
        warnings += waitedFor
        let memberNames = Set(snapshot.members.map(\.host))
        warnings += Self.clockSkewWarnings(
            snapshot.wallTimes.filter { snapshot.alive.contains($0.key) }, allowance: aliveWriteAge)
        for host in snapshot.alive.subtracting(memberNames).sorted() {
            warnings.append(
                "\(host) renews \(FleetKeys(prefix: snapshot.prefix).alive(host)) but is not a member (no hosts/\(host) "
                    + "record: forgotten while its rotord ran?): nothing is sealed to it; restart its rotord to "
                    + "register it again, or stop it")
        }
        for member in snapshot.members.sorted(by: { $0.host < $1.host }) {
            guard let reason = trust?.untrustedReason(host: member.host, publicKey: member.publicKey) else { continue }
            warnings.append("\(member.host) is never sealed a pair by a leader with these pinned keys: \(reason)")
        }
        warnings += snapshot.unreadable
        self.warnings = warnings
        needsAttention = !warnings.isEmpty || rotations.contains { $0.hosts.contains(where: \.blocking) }
    }

    /// Whether a host in `state` holds a rotation at `step` back now: a failure always; no confirmation yet when the
    /// host is down or the rotation is already `unconfirmed`; nothing while the replacement is being discarded.
    static func blocks(_ state: HostState, alive: Bool, step: RotationStep) -> Bool {
        if step == .discarding { return false }
        switch state {
        case .confirmed: return false
        case .failed: return true
        case .unsealed, .pending: return !alive || step == .unconfirmed
        }
    }

    /// A host's state, in words.
    static func describe(_ state: HostState) -> String {
        switch state {
        case .unsealed: "no copy is sealed to it yet"
        case .pending: "sealed, no answer yet"
        case .confirmed: "confirmed"
        case .failed(let reason): "failed: \(reason)"
        }
    }

    /// One warning per pair of hosts whose published wall times (`wallTimes`, by host: only hosts whose liveness key
    /// exists) differ by more than ``Timing/fleetClockSkewWarning`` plus `allowance`, naming both. Each value was
    /// written at most `allowance` (a lease TTL) apart from the other in real time, so a warning means the clocks
    /// differ by more than the threshold for certain. Sorted by host names. Pure.
    package static func clockSkewWarnings(_ wallTimes: [String: Date], allowance: Duration) -> [String] {
        let limit = seconds(Timing.fleetClockSkewWarning) + seconds(allowance)
        let hosts = wallTimes.keys.sorted()
        var out: [String] = []
        for (index, first) in hosts.enumerated() {
            for second in hosts.dropFirst(index + 1) {
                guard let a = wallTimes[first], let b = wallTimes[second] else { continue }
                let difference = abs(a.timeIntervalSince(b))
                guard difference > limit else { continue }
                out.append(
                    "the clocks of \(first) and \(second) differ by about "
                        + "\(ConfigDuration(seconds: Int64(difference.rounded())).humanReadable) (\(first) published "
                        + "\(ConsumerReport.timestamp(a)), \(second) \(ConsumerReport.timestamp(b)), at most "
                        + "\(ConfigDuration(seconds: Int64(seconds(allowance))).humanReadable) apart): set both to "
                        + "the same time source (NTP); leases decide leadership, but the deliver files' rotated_at "
                        + "and the hosts' logs use each host's clock")
            }
        }
        return out
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    // MARK: - Text

    /// The summary line: who leads, how many members are alive, how many rotations are in flight.
    package var summary: String {
        let alive = members.filter(\.alive).count
        return (leader.map { "leader \($0)" } ?? "no leader") + "; \(members.count) member(s), \(alive) alive; "
            + "\(rotations.count) rotation(s) in flight"
    }

    /// The lines after ``summary``: the members' table, each rotation with its hosts, then each warning.
    package var detailLines: [String] {
        var out: [String] = []
        if !members.isEmpty {
            let rows = members.map { m in
                [
                    m.leads ? "\(m.host) (leader)" : m.host, m.alive ? "alive" : "DOWN",
                    m.lastSeen.map { ConsumerReport.human($0, now: readAt) } ?? "unknown",
                    m.leaderEligible ? "yes" : "no", m.delivers.isEmpty ? "-" : m.delivers.joined(separator: ", "),
                ]
            }
            out += ReportRenderer.columns(header: ["HOST", "STATE", "LAST SEEN", "ELIGIBLE", "DELIVERS"], rows: rows)
        }
        for rotation in rotations {
            out.append(
                "rotation \(rotation.id) of \(rotation.consumer) at step \(rotation.step)"
                    + (rotation.newKey.map { ", new key \($0)" } ?? "")
                    + (rotation.writer.map { " (journaled by \($0))" } ?? "")
                    + (rotation.hosts.isEmpty ? ": no member delivers it" : ":"))
            for host in rotation.hosts {
                out.append(
                    "  \(host.host): \(host.state)" + (host.reason.map { ": \($0)" } ?? "")
                        + (host.alive ? "" : " (down)") + (host.blocking ? "; holds the old consumer back" : ""))
            }
            if let error = rotation.lastError { out.append("  last error: \(error)") }
        }
        for warning in warnings { out.append("warning: \(warning)") }
        return out
    }

    // MARK: - Reading etcd

    /// Reads the fleet under `keys` (linearizable reads: the leader key, `hosts/`, `alive/`, `rotations/`, and each
    /// rotation's `sealed/<id>/`, and `confirm/`), each call bounded by the client's request timeout per endpoint.
    /// With `lookUpLastSeen`, the last wall time of each member that is down comes from etcd's history
    /// (``lastSeenInHistory(client:key:since:revision:)``, a few seconds at most). Throws the first read's error.
    package static func read(
        client: EtcdClient, keys: FleetKeys, now: Date, aliveWriteAge: Duration = defaultAliveWriteAge,
        lookUpLastSeen: Bool = true, trust: ClusterSettings? = nil
    ) async throws -> FleetStatus {
        var unreadable: [String] = []
        let leader = try await client.range(keys.leader).kvs.first?.string
        let hostKeys = try await client.range(keys.hostsPrefix, prefix: true)
        var members: [FleetMember] = []
        var registered: [String: Int64] = [:]
        for kv in hostKeys.kvs {
            guard let member = FleetEntry.decode(FleetMember.self, kv.value) else {
                unreadable.append("\(kv.key) is not a member record this rotord can read (a newer rotord wrote it?)")
                continue
            }
            members.append(member)
            registered[member.host] = kv.modRevision
        }
        let aliveKeys = try await client.range(keys.alivePrefix, prefix: true)
        var alive: Set<String> = []
        var wallTimes: [String: Date] = [:]
        for kv in aliveKeys.kvs where kv.key.hasPrefix(keys.alivePrefix) {
            let host = String(kv.key.dropFirst(keys.alivePrefix.count))
            alive.insert(host)
            wallTimes[host] = FleetEntry.decode(FleetEntry.Alive.self, kv.value)?.wallTime
        }
        var rotations: [Snapshot.InFlight] = []
        let inFlight = try await client.range(keys.rotationsPrefix, prefix: true).kvs
        // Every host's confirmations (`confirm/<h>/<id>`), read once when a rotation is in flight.
        let confirmations = inFlight.isEmpty ? [] : try await client.range(keys.confirmationsPrefix, prefix: true).kvs
        for kv in inFlight {
            guard let entry = FleetEntry.decode(FleetEntry.Rotation.self, kv.value) else {
                unreadable.append(
                    "\(kv.key) is not a rotation record of format \(FleetEntry.format) (a newer rotord wrote it?)")
                continue
            }
            let id = entry.record.id
            let sealed = try await client.range(keys.sealedPrefix(id), prefix: true).kvs
            let states = hostStates(
                rotation: id, consumer: entry.record.consumerName, members: members, sealed: sealed,
                confirmations: keys.confirmations(of: id, in: confirmations), keys: keys, trust: trust)
            rotations.append(.init(record: entry.record, writer: entry.writer, states: states.statuses))
        }
        var lastSeen: [String: Date] = [:]
        if lookUpLastSeen {
            let down = registered.filter { !alive.contains($0.key) }
            let revision = aliveKeys.revision
            lastSeen = await withTaskGroup(of: (String, Date?).self) { group in
                for (host, since) in down {
                    group.addTask {
                        (
                            host,
                            await lastSeenInHistory(
                                client: client, key: keys.alive(host), since: since, revision: revision)
                        )
                    }
                }
                var found: [String: Date] = [:]
                for await (host, date) in group { found[host] = date }
                return found
            }
        }
        let snapshot = Snapshot(
            prefix: keys.prefix, revision: hostKeys.revision, leader: leader, members: members, alive: alive,
            wallTimes: wallTimes, lastSeenInHistory: lastSeen, rotations: rotations, unreadable: unreadable)
        return FleetStatus(snapshot, now: now, aliveWriteAge: aliveWriteAge, trust: trust)
    }

    /// How far back ``lastSeenInHistory(client:key:since:revision:)`` looks, in revisions, one span after the other.
    static let historySpans: [Int64] = [1 << 10, 1 << 14, 1 << 18]
    /// How long one look waits for etcd's first answer (etcd sends the history of a new watch within about 100 ms).
    static let historyFirstAnswer = Duration.milliseconds(700)
    /// How long one look waits after an answer for the next one.
    static let historyQuiet = Duration.milliseconds(300)
    /// The longest one look takes.
    static let historyLook = Duration.seconds(2)

    /// The wall time the host whose liveness key is `key` last published there, from etcd's history: its key is gone
    /// (its lease expired or was revoked), but the values it held stay in etcd until a compaction. Watches `key` from
    /// the last 1,024 revisions, then 16,384, then 262,144 (never from before `since`, the revision at which the
    /// host registered when its rotord last started), and takes the last value put; `nil` when none is found
    /// (compacted, or the host never wrote one). Bounded: each look ends within ``historyLook``.
    package static func lastSeenInHistory(client: EtcdClient, key: String, since: Int64, revision: Int64) async
        -> Date?
    {
        var floor = max(since + 1, 1)
        for span in historySpans {
            let from = max(floor, revision - span + 1)
            let look = await lastPut(client: client, key: key, from: from)
            if let found = look.wallTime { return found }
            if let compacted = look.compactRevision, compacted > from {
                // Nothing before `compacted` can be read any more: the next look starts there.
                floor = compacted
                continue
            }
            if from <= floor { return nil }
        }
        return nil
    }

    /// What one look at a key's history found.
    struct HistoryLook: Sendable {
        /// The wall time of the last value put, if any.
        var wallTime: Date?
        /// The revision etcd compacted to, when it refused the look for that.
        var compactRevision: Int64?
        /// Whether any event came.
        var answered = false
        /// When the last answer came.
        var lastAnswer: ContinuousClock.Instant?
    }

    /// Watches `key` from revision `from` and collects what etcd replays, until it is quiet.
    static func lastPut(client: EtcdClient, key: String, from: Int64) async -> HistoryLook {
        guard let watch = try? await client.watch(key, fromRevision: from) else { return HistoryLook() }
        defer { watch.cancel() }
        let look = HistoryBox()
        let reader = Task {
            do {
                for try await batch in watch.events {
                    look.state.withLock { state in
                        state.answered = true
                        state.lastAnswer = .now
                        for event in batch where event.kind == .put {
                            if let alive = FleetEntry.decode(FleetEntry.Alive.self, event.kv.value) {
                                state.wallTime = alive.wallTime
                            }
                        }
                    }
                }
            } catch let error as EtcdError {
                look.state.withLock { $0.compactRevision = error.compactRevision }
            } catch {}
        }
        defer { reader.cancel() }
        let started = ContinuousClock.now
        while ContinuousClock.now - started < historyLook {
            try? await Task.sleep(for: .milliseconds(50))
            let (answered, last, compacted) = look.state.withLock { ($0.answered, $0.lastAnswer, $0.compactRevision) }
            if compacted != nil { break }
            if let last, ContinuousClock.now - last >= historyQuiet { break }
            if !answered, ContinuousClock.now - started >= historyFirstAnswer { break }
        }
        return look.state.withLock { $0 }
    }

    /// What a look found so far, shared with the task that reads the watch.
    final class HistoryBox: Sendable {
        let state = Mutex(HistoryLook())
    }
}

extension FleetStatus {
    /// The `fleet` part of `rotord status` (with `cluster:`): the status, or why it could not be read.
    package enum Section: Sendable, Encodable {
        /// Read.
        case read(FleetStatus)
        /// etcd could not be read: the prefix and the error.
        case unreadable(prefix: String, error: String)

        enum CodingKeys: String, CodingKey {
            case prefix, error
        }

        package func encode(to encoder: any Encoder) throws {
            switch self {
            case .read(let status): try status.encode(to: encoder)
            case .unreadable(let prefix, let error):
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(prefix, forKey: .prefix)
                try container.encode(error, forKey: .error)
            }
        }

        /// The text block `rotord status` prints after its table.
        package var lines: [String] {
            switch self {
            case .read(let status): ["fleet: " + status.summary] + status.detailLines.map { "  " + $0 }
            case .unreadable(let prefix, let error):
                [
                    "fleet: \(prefix) could not be read from etcd (\(error)); what is above is this host's own view "
                        + "(rotord fleet status reads the fleet alone)"
                ]
            }
        }
    }

    /// `rotord status --json` with `cluster:`: the consumers as without it, and the fleet.
    package struct StatusDocument<Consumers: Encodable>: Encodable {
        /// What `status --json` prints without `cluster:` (an array).
        package var consumers: Consumers
        /// The fleet.
        package var fleet: Section
    }
}
