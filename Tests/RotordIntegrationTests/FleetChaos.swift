import EtcdClient
import Foundation
import FracttalSimulator
import Glibc
import RotordCore
import RotordKit
import RotordTestKit
import Synchronization

/// The fleet's chaos run (issue 20; docs/fleet.md): a seeded sequence of faults on a real fleet (three release
/// `rotord run` hosts behind per-host TCP proxies, a real 3-member etcd, the simulator), while consumers with a short
/// `max_age` keep becoming due, then the invariants of the engine simulation checked on what is left:
///
/// - **no orphan** (after the marker sweep): one live consumer per configured name, and the simulator created as many
///   consumers as it deleted;
/// - **no outage**: every host's deliver file of every consumer holds a pair the simulator accepts, at the end and
///   after every round;
/// - **no secret in etcd in any revision**: every event under the world's prefix from revision 1 (a watch replays
///   them; the tests never compact), none holding a secret the simulator issued, every sealed, escrow, journal and
///   history value of its format, and no journal record with a secret.
///
/// Each round draws one fault from a SplitMix64 seeded by `seed` (the first rounds of a longer run are the rounds of
/// a shorter one with the same seed): kill -9 a host and restart it a few seconds later, SIGSTOP a host for 1 to 3
/// lease TTLs, cut a host from every etcd member, kill one etcd member and restart it, partition one live etcd member
/// from its peers (its clients still reach it: the suite's cluster runs each member in its own network namespace), or
/// nothing. Every fault is undone at the end of its round; every wait is bounded.
enum FleetChaos {
    /// The consumers of the run, seeded long past due so that the first leader rotates each at once.
    static let consumers = ["chaos1", "chaos2", "chaos3", "chaos4"]
    /// The seed when none is given.
    static let defaultSeed: UInt64 = 7
    /// The policy during the run: due 20 s after its creation, each consumer is rotated again and again.
    static let runningPolicy = (maxAge: "30s", rotateBefore: "10s")
    /// The policy at the end (what FleetWorld writes): nothing is due, so the fleet settles.
    static let settledPolicy = (maxAge: "90d", rotateBefore: "7d")
    /// How long the end waits for every rotation in flight to finish (a take-over alone costs a 60 s window).
    static let settleBound = Duration.seconds(240)
    /// The lease TTL of the world's hosts (FleetWorld.leaseTTL), in seconds: a pause lasts 1 to 3 of them.
    static let ttlSeconds = 6

    /// A small seeded generator (SplitMix64), the same on every platform and Swift version.
    struct SplitMix64 {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        /// A number in `range`, by the modulo of the next value (the bias is negligible for these small ranges).
        mutating func int(in range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(next() % UInt64(range.count))
        }
    }

    /// One round's fault.
    enum Fault: Sendable, Equatable, CustomStringConvertible {
        /// `kill -9` of the host, restarted after `down` seconds.
        case kill(String, down: Int)
        /// SIGSTOP of the host for `seconds` (1 to 3 lease TTLs), then SIGCONT.
        case pause(String, seconds: Int)
        /// The host cut from every etcd member (its proxies go silent) for `seconds`, then healed.
        case cut(String, seconds: Int)
        /// One etcd member killed (SIGKILL) for `seconds`, then restarted on its data.
        case etcdDown(Int, seconds: Int)
        /// One etcd member cut from its peers (``EtcdCluster/partition(member:)``) while its clients still reach it.
        case etcdPartition(Int, seconds: Int)
        /// No fault for `seconds`.
        case nothing(seconds: Int)

        var description: String {
            switch self {
            case .kill(let host, let down): "kill \(host) (\(down)s down)"
            case .pause(let host, let seconds): "pause \(host) \(seconds)s"
            case .cut(let host, let seconds): "cut \(host) \(seconds)s"
            case .etcdDown(let member, let seconds): "etcd m\(member) down \(seconds)s"
            case .etcdPartition(let member, let seconds): "etcd m\(member) partitioned \(seconds)s"
            case .nothing(let seconds): "nothing \(seconds)s"
            }
        }

        /// The same fault on `leader` when it targets whoever leads.
        func resolved(leader: String) -> Fault {
            func on(_ host: String) -> String { host == FleetChaos.leaderTarget ? leader : host }
            return switch self {
            case .kill(let host, let down): .kill(on(host), down: down)
            case .pause(let host, let seconds): .pause(on(host), seconds: seconds)
            case .cut(let host, let seconds): .cut(on(host), seconds: seconds)
            case .etcdDown, .etcdPartition, .nothing: self
            }
        }

        /// Short, for the summary line.
        var brief: String {
            switch self {
            case .kill(let host, _): "kill \(host)"
            case .pause(let host, _): "pause \(host)"
            case .cut(let host, _): "cut \(host)"
            case .etcdDown(let member, _): "etcd m\(member) down"
            case .etcdPartition(let member, _): "etcd m\(member) partitioned"
            case .nothing: "nothing"
            }
        }
    }

    /// The host name a fault's plan gives for "whoever leads when the round starts".
    static let leaderTarget = "leader"

    /// The faults of `rounds` rounds from `seed`: kill, pause, cut, an etcd member down and an etcd member partitioned
    /// each twice as likely as nothing; a host fault hits a named host, or (one time in four) whoever leads when the
    /// round starts.
    static func plan(seed: UInt64, rounds: Int, hosts: [String], members: Int) -> [Fault] {
        var random = SplitMix64(state: seed)
        return (0..<max(rounds, 0)).map { _ in
            let kind = random.int(in: 0...10)
            let pick = random.int(in: 0...hosts.count)
            let host = pick == hosts.count ? leaderTarget : hosts[pick]
            let member = random.int(in: 0...(members - 1))
            switch kind {
            case 0, 1: return .kill(host, down: random.int(in: 2...5))
            case 2, 3: return .pause(host, seconds: ttlSeconds * random.int(in: 1...3))
            case 4, 5: return .cut(host, seconds: random.int(in: 5...15))
            case 6, 7: return .etcdDown(member, seconds: random.int(in: 3...8))
            case 8, 9: return .etcdPartition(member, seconds: random.int(in: 3...12))
            default: return .nothing(seconds: random.int(in: 3...6))
            }
        }
    }

    /// What a run found.
    struct Report: Sendable {
        var seed: UInt64
        var faults: [Fault]
        /// The faults as applied (a fault on the leader names the host), one per round run.
        var applied: [String] = []
        /// Rotations finished (the fleet's `history/`).
        var rotations = 0
        /// New terms of the leader key the rounds saw (a host that wins again after its restart counts).
        var takeOvers = 0
        /// The simulator's counters at the end.
        var created = 0
        var deleted = 0
        var orphans = 0
        var outages = 0
        /// Values (or keys) in etcd holding a secret, in any revision.
        var secretsInEtcd = 0
        /// The events replayed under the world's prefix, and the revision the replay reached.
        var events = 0
        var revision: Int64 = 0
        /// Distinct secrets the run knew of when it read etcd.
        var secretsKnown = 0
        /// Every broken invariant, in words (never a secret).
        var violations: [String] = []
        /// What the run did, besides the faults.
        var notes: [String] = []
        var elapsed: Duration = .zero

        /// How to replay it.
        var replay: String {
            "fleet chaos replay: seed \(seed), \(faults.count) rounds (scripts/fleet-chaos.sh \(faults.count) \(seed), "
                + "or ROTORD_FLEET_CHAOS_SEED=\(seed) ROTORD_FLEET_CHAOS_ROUNDS=\(faults.count)): "
                + faults.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: ", ")
        }

        /// The one line the test prints.
        var summary: String {
            "fleet chaos: seed \(seed), \(faults.count) rounds (\(applied.joined(separator: ", "))), "
                + "\(takeOvers) take-overs, \(rotations) rotations, \(orphans) orphans, \(outages) outages, "
                + "\(secretsInEtcd) secrets in \(events) writes of revisions 1...\(revision), "
                + "\(violations.count) violations, in \(Int(elapsed.components.seconds)) s"
        }
    }

    /// A failure of the harness (not of rotord).
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs the chaos on `world` (built on `scenario`, whose simulator holds ``consumers``, and `cluster`): adds the
    /// proxies, writes the configurations, starts the hosts, waits for the first rotations, runs the rounds, heals
    /// everything, settles the fleet and checks the invariants. Stops the hosts and the proxies, and brings every
    /// etcd member back, however it ends.
    static func run(
        seed: UInt64, rounds: Int, world: FleetWorld, scenario: Scenario, cluster: EtcdCluster
    ) async throws -> Report {
        let faults = plan(seed: seed, rounds: rounds, hosts: world.hosts, members: cluster.members.count)
        var report = Report(seed: seed, faults: faults)
        print(report.replay)
        let chaos = Run(world: world, scenario: scenario, cluster: cluster)
        let began = ContinuousClock.now
        do {
            try await chaos.run(faults, into: &report)
        } catch {
            print("fleet chaos: seed \(seed) ended with \(error); \(report.replay)")
            await chaos.finish()
            throw error
        }
        await chaos.finish()
        report.elapsed = began.duration(to: .now)
        return report
    }

    /// True when `needle` occurs in `haystack` (Foundation's search, optimized even in a debug build of the tests:
    /// a long run replays thousands of values against hundreds of secrets).
    static func contains(_ haystack: Data, _ needle: Data) -> Bool {
        !needle.isEmpty && haystack.count >= needle.count && haystack.range(of: needle) != nil
    }
}

extension FleetChaos {
    /// The secrets a run saw, shared with its poller.
    final class SecretsSeen: Sendable {
        let set = Mutex<Set<String>>([])
    }

    /// One run's state: what is broken now (so that it can be undone on every path) and the secrets seen.
    final class Run {
        let world: FleetWorld
        let s: Scenario
        let cluster: EtcdCluster
        /// Every secret the simulator listed while the run polled it (a consumer deleted later no longer lists it).
        let secrets = SecretsSeen()
        private var poller: Task<Void, Never>?
        private var paused: Set<String> = []
        private var cut: Set<String> = []
        private var down: Set<String> = []
        private var membersDown: Set<Int> = []
        private var membersCut: Set<Int> = []
        private var startedAt: [String: ContinuousClock.Instant] = [:]
        private var seeded: Set<Int> = []

        init(world: FleetWorld, scenario: Scenario, cluster: EtcdCluster) {
            self.world = world
            self.s = scenario
            self.cluster = cluster
        }

        func run(_ faults: [Fault], into report: inout Report) async throws {
            let all = await s.simulator.consumers()
            seeded = Set(all.compactMap(\.id))
            for name in consumers where !all.contains(where: { $0.name == name }) {
                throw Failure(description: "the scenario must seed \(name) (FleetChaos.consumers)")
            }
            startPolling()
            try await world.addProxies()
            try world.writeConfigs(consumers: consumers, grace: "0s", resync: "2s")
            try setPolicy(runningPolicy)
            for host in world.hosts { try start(host) }
            try await warmUp()

            var term = await currentTerm()
            for (index, fault) in faults.enumerated() {
                let began = ContinuousClock.now
                let leader = term?.host
                let applied = fault.resolved(leader: leader ?? world.hosts[0])
                report.applied.append(applied.brief + (applied == fault ? "" : " (leader)"))
                print("fleet chaos round \(index + 1)/\(faults.count): \(applied) (leader \(leader ?? "none"))")
                try await apply(applied)
                try await Task.sleep(for: .seconds(2))
                await s.rememberSecrets()
                let outages = await sampleOutages()
                for outage in outages { report.violations.append("outage after round \(index + 1): \(outage)") }
                report.outages += outages.count
                if case .kill(let host, _) = applied, host == leader, let before = term?.since {
                    // The killed leader's key lives until its lease expires (longer when etcd elects a new raft leader,
                    // which renews every lease): wait for the next term.
                    _ = await world.eventually(within: .seconds(30)) { await self.currentTerm()?.since != before }
                }
                let now = await currentTerm()
                if let now, now.since != term?.since {
                    // A new term (even of the same host): its leader may wait a whole budget window before its first
                    // request. Let it work before the next fault, so that faults also meet rotations in flight.
                    report.takeOvers += 1
                    let waited = ContinuousClock.now
                    let working = await world.eventually(within: .seconds(90)) {
                        await self.journaled(since: now.since)
                    }
                    print(
                        "fleet chaos: \(now.host) leads since revision \(now.since); "
                            + (working
                                ? "its first journal write came \(waited.duration(to: .now)) after the round"
                                : "no journal write within 90 s"))
                    if !working { report.notes.append("after round \(index + 1), \(now.host) wrote nothing in 90 s") }
                }
                term = await currentTerm() ?? now
                let finished = (try? await world.client.range(world.prefix + "/history/", prefix: true).kvs.count) ?? 0
                print(
                    "fleet chaos round \(index + 1)/\(faults.count) done in \(began.duration(to: .now)): leader "
                        + "\(term?.host ?? "none"), \(finished) rotations finished so far")
            }

            try await settle(into: &report)
            try await check(into: &report)
        }

        // MARK: - Hosts and faults

        private func start(_ host: String) throws {
            try world.start(host)
            startedAt[host] = .now
            down.remove(host)
        }

        /// Applies one fault and undoes it.
        private func apply(_ fault: Fault) async throws {
            switch fault {
            case .kill(let host, let seconds):
                world.kill9(host)
                down.insert(host)
                try await Task.sleep(for: .seconds(seconds))
                try start(host)
            case .pause(let host, let seconds):
                world.signal(host, SIGSTOP)
                paused.insert(host)
                try await Task.sleep(for: .seconds(seconds))
                world.signal(host, SIGCONT)
                paused.remove(host)
            case .cut(let host, let seconds):
                world.cutEtcd(host)
                cut.insert(host)
                try await Task.sleep(for: .seconds(seconds))
                world.healEtcd(host)
                cut.remove(host)
            case .etcdDown(let member, let seconds):
                await cluster.kill(member: member)
                membersDown.insert(member)
                try await Task.sleep(for: .seconds(seconds))
                try await cluster.restart(member: member)
                membersDown.remove(member)
            case .etcdPartition(let member, let seconds):
                try cluster.partition(member: member)
                membersCut.insert(member)
                try await Task.sleep(for: .seconds(seconds))
                try cluster.heal(member: member)
                membersCut.remove(member)
            case .nothing(let seconds):
                try await Task.sleep(for: .seconds(seconds))
            }
        }

        /// Undoes whatever is still broken: resumes, heals, restarts (hosts and etcd members).
        private func restore() async {
            for host in paused { world.signal(host, SIGCONT) }
            paused = []
            for host in cut { world.healEtcd(host) }
            cut = []
            for member in membersCut { try? cluster.heal(member: member) }
            membersCut = []
            for member in membersDown {
                do { try await cluster.restart(member: member) } catch {
                    print("fleet chaos: etcd m\(member) did not restart (\(error)); trying again")
                    try? await cluster.restart(member: member)
                }
            }
            membersDown = []
            for host in down { try? start(host) }
        }

        /// Brings every etcd member back, stops the hosts, the proxies and the secret poller.
        func finish() async {
            await restore()
            poller?.cancel()
            world.stopAll()
            await world.stopProxies()
        }

        /// Rewrites each host's `defaults:` policy.
        private func setPolicy(_ policy: (maxAge: String, rotateBefore: String)) throws {
            for host in world.hosts {
                let path = world.configPath(host)
                var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
                var replaced = 0
                for index in lines.indices {
                    if lines[index].hasPrefix("  max_age:") {
                        lines[index] = "  max_age: \(policy.maxAge)"
                        replaced += 1
                    } else if lines[index].hasPrefix("  rotate_before:") {
                        lines[index] = "  rotate_before: \(policy.rotateBefore)"
                        replaced += 1
                    }
                }
                guard replaced == 2 else {
                    throw Failure(description: "\(path) has no defaults.max_age and rotate_before to replace")
                }
                try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            }
        }

        // MARK: - Observing

        /// The leader key now: its holder, and the revision that created it (each term has its own), waiting at most
        /// 30 s for one.
        private func currentTerm() async -> (host: String, since: Int64)? {
            var found: EtcdKeyValue?
            _ = await world.eventually(within: .seconds(30)) {
                found = try? await self.world.client.range(self.world.prefix + "/leader").kvs.first
                return found != nil
            }
            return found.map { ($0.string, $0.createRevision) }
        }

        /// Whether the journal (a rotation record or a finished rotation) was written after `revision`.
        private func journaled(since revision: Int64) async -> Bool {
            for folder in ["/rotations/", "/history/"] {
                let kvs = (try? await world.client.range(world.prefix + folder, prefix: true).kvs) ?? []
                if kvs.contains(where: { $0.modRevision > revision }) { return true }
            }
            return false
        }

        /// Polls the simulator's consumers (with their secrets) every 250 ms.
        private func startPolling() {
            let simulator = s.simulator
            let secrets = self.secrets
            poller = Task {
                while !Task.isCancelled {
                    let listed = await simulator.consumers().compactMap(\.secret)
                    secrets.set.withLock { $0.formUnion(listed) }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
        }

        /// Waits (at most 120 s) until every consumer was rotated once and every host's file holds its live key.
        private func warmUp() async throws {
            let began = ContinuousClock.now
            var why = ""
            let ready = await world.eventually(within: .seconds(120)) {
                why = await self.unsettled(requireRotated: true) ?? ""
                return why.isEmpty
            }
            guard ready else {
                let leader = await world.leader() ?? "none"
                throw Failure(
                    description: "the fleet did not rotate every consumer to every host within 120 s: \(why); "
                        + "leader \(leader): \(world.log(leader).suffix(4000))")
            }
            print("fleet chaos: every consumer rotated and delivered to every host in \(began.duration(to: .now))")
        }

        /// Why the fleet is not settled: a rotation in flight, a consumer without exactly one live consumer, a host's
        /// file that does not hold it; `nil` when settled.
        private func unsettled(requireRotated: Bool = false) async -> String? {
            let inFlight: [EtcdKeyValue]
            do { inFlight = try await world.client.range(world.prefix + "/rotations/", prefix: true).kvs } catch {
                return "etcd cannot be read: \(error)"
            }
            if !inFlight.isEmpty {
                let records = inFlight.map { kv in
                    guard let entry = FleetEntry.decode(FleetEntry.Rotation.self, kv.value) else { return kv.key }
                    let record = entry.record
                    let retry = record.retryAt.map { ", retry at \($0)" } ?? ""
                    let failure = record.failure.map { ", \($0)" } ?? ""
                    return
                        "\(record.consumerName) at \(record.step.rawValue) (written by \(entry.writer ?? "?")\(retry)"
                        + "\(failure))"
                }
                return "in flight: " + records.joined(separator: "; ")
            }
            let all = await s.simulator.consumers()
            for name in consumers {
                let live = all.filter { $0.name == name }
                guard live.count == 1, let consumer = live.first else {
                    return "\(name) has \(live.count) live consumers"
                }
                if requireRotated, let id = consumer.id, seeded.contains(id) { return "\(name) not rotated yet" }
                for host in world.hosts where world.deliveredKey(host, name) != consumer.key {
                    return "\(host)'s file of \(name) does not hold its live key yet"
                }
            }
            return nil
        }

        /// Every host's file of every consumer: the pairs the simulator does not accept, in words (the key's first 4
        /// characters at most). A pair that changed while it was checked is read again at the next sample.
        private func sampleOutages() async -> [String] {
            var found: [String] = []
            for host in world.hosts {
                for name in consumers {
                    let path = world.envFile(host, name)
                    guard let pair = s.pair(in: path) else {
                        found.append("\(host)'s \(name) file holds no pair")
                        continue
                    }
                    if await s.simulator.isAccepted(key: pair.key, secret: pair.secret) { continue }
                    if s.pair(in: path)?.key == pair.key {
                        found.append("\(host)'s \(name) file holds \(pair.key.prefix(4))…, which Fracttal refuses")
                    }
                }
            }
            return found
        }

        // MARK: - The end

        /// Heals everything, freezes the policy (nothing due any more, by SIGHUP) and waits until nothing is in
        /// flight and every host holds the one live consumer of each name.
        private func settle(into report: inout Report) async throws {
            await restore()
            try setPolicy(settledPolicy)
            let marker = "configuration reloaded"
            var reloads: [String: Int] = [:]
            for host in world.hosts {
                if let started = startedAt[host] {
                    let up = started.duration(to: .now)
                    // A SIGHUP before rotord traps it would end the process.
                    if up < .seconds(3) { try await Task.sleep(for: .seconds(3) - up) }
                }
                reloads[host] = world.log(host).components(separatedBy: marker).count
                world.signal(host, SIGHUP)
            }
            // A host reloads between two passes: a leader taking over waits a whole budget window inside its pass.
            func notReloaded() -> [String] {
                world.hosts.filter { world.log($0).components(separatedBy: marker).count <= reloads[$0] ?? 0 }
            }
            let began = ContinuousClock.now
            var why = ""
            var lastSaid = ContinuousClock.now
            let settled = await world.eventually(within: settleBound) {
                let waiting = notReloaded()
                why =
                    waiting.isEmpty
                    ? await self.unsettled() ?? "" : "\(waiting.joined(separator: ", ")) not reloaded yet"
                if !why.isEmpty, lastSaid.duration(to: .now) > .seconds(30) {
                    lastSaid = .now
                    print("fleet chaos: settling for \(began.duration(to: .now)): \(why)")
                }
                return why.isEmpty
            }
            if settled {
                // Two more passes (resync 2 s) so that a create that landed late is swept, then look again.
                try await Task.sleep(for: .seconds(5))
                why = await unsettled() ?? ""
            }
            if !why.isEmpty {
                let leader = await world.leader() ?? "none"
                report.violations.append("not settled within \(settleBound): \(why)")
                print("fleet chaos: leader \(leader)'s log: \(world.log(leader).suffix(8000))")
            } else {
                print("fleet chaos: settled in \(began.duration(to: .now))")
            }
        }

        /// The invariants.
        private func check(into report: inout Report) async throws {
            await s.rememberSecrets()
            let all = await s.simulator.consumers()
            let statistics = await s.simulator.statistics()
            report.created = statistics.created
            report.deleted = statistics.deleted
            report.rotations = (try? await world.client.range(world.prefix + "/history/", prefix: true).kvs.count) ?? 0

            // No orphan.
            for name in consumers {
                let live = all.filter { $0.name == name }.count
                if live != 1 {
                    report.orphans += max(live - 1, 0)
                    report.violations.append(
                        "\(name) has \(live) live consumers (ids \(all.filter { $0.name == name }.compactMap(\.id)))")
                }
            }
            let strangers = all.filter { $0.name != "rotord-admin" && !consumers.contains($0.name) }
            report.orphans += strangers.count
            for stranger in strangers { report.violations.append("an unknown live consumer \(stranger.name)") }
            if statistics.created != statistics.deleted {
                report.violations.append(
                    "the simulator created \(statistics.created) consumers and deleted \(statistics.deleted): the "
                        + "seeded \(seeded.count) should be all that is left")
            }

            // No outage.
            let outages = await sampleOutages()
            report.outages += outages.count
            report.violations += outages.map { "outage at the end: \($0)" }

            // No secret in etcd, in any revision.
            let known = secrets.set.withLock { $0 }.union(await s.allSecrets())
            report.secretsKnown = known.count
            if known.count < seeded.count + statistics.created {
                report.notes.append(
                    "the run saw \(known.count) secrets of the \(seeded.count + statistics.created) issued (the "
                        + "others lived less than a poll)")
            }
            try await scanEtcd(secrets: known.map { Data($0.utf8) }, into: &report)
        }

        /// Replays every event under the world's prefix from revision 1 up to a marker written now, and checks each.
        private func scanEtcd(secrets: [Data], into report: inout Report) async throws {
            let end = try await world.client.put(world.prefix + "/chaos-end", "end")
            report.revision = end
            let deadline = ContinuousClock.now.advanced(by: .seconds(120))
            var seen: Int64 = 0
            while seen < end, ContinuousClock.now < deadline {
                let watch = try await world.client.watch(world.prefix + "/", prefix: true, fromRevision: seen + 1)
                let timer = Task {
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    watch.cancel()
                }
                do {
                    for try await batch in watch.events {
                        for event in batch {
                            seen = max(seen, event.kv.modRevision)
                            report.events += 1
                            inspect(event, secrets: secrets, into: &report)
                        }
                        if seen >= end { break }
                    }
                } catch {
                    print("fleet chaos: the replay's watch ended at revision \(seen) (\(error)); watching again")
                }
                timer.cancel()
                watch.cancel()
            }
            if seen < end {
                report.violations.append("the replay of etcd reached revision \(seen) of \(end) within 120 s")
            }
        }

        private func inspect(_ event: EtcdEvent, secrets: [Data], into report: inout Report) {
            let key = event.kv.key
            let value = event.kv.value
            let at = "\(key) at revision \(event.kv.modRevision)"
            let bytes = Data(value)
            let keyBytes = Data(key.utf8)
            for secret in secrets where FleetChaos.contains(bytes, secret) || FleetChaos.contains(keyBytes, secret) {
                report.secretsInEtcd += 1
                report.violations.append("a secret in clear in \(at)")
            }
            guard event.kind == .put else { return }
            let prefix = world.prefix
            func require(_ ok: Bool, _ what: String) {
                if !ok { report.violations.append("\(at) is not \(what)") }
            }
            if key.hasPrefix(prefix + "/sealed/") || key.hasPrefix(prefix + "/escrow/") {
                require(FleetEntry.decode(FleetEntry.Sealed.self, value) != nil, "a sealed copy")
            } else if key.hasPrefix(prefix + "/rotations/") {
                let entry = FleetEntry.decode(FleetEntry.Rotation.self, value)
                require(entry != nil, "a rotation record")
                require(entry?.record.newSecret == nil, "a record without its secret")
            } else if key.hasPrefix(prefix + "/history/") {
                require(FleetEntry.decode(FleetEntry.History.self, value) != nil, "a finished rotation")
            } else if key.hasPrefix(prefix + "/confirm/") {
                require(FleetEntry.decode(FleetEntry.Confirmation.self, value) != nil, "a confirmation")
            } else if key.hasPrefix(prefix + "/hosts/") {
                require(FleetEntry.decode(FleetMember.self, value) != nil, "a member record")
            }
        }
    }
}
