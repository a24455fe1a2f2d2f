import Foundation
import Logging
import RotordCore
import RotordKit
import Synchronization

/// The deterministic simulation of the rotation engine (docs/architecture.md, "Simulation").
///
/// One history: an in-memory Fracttal (``SimulatedFracttal``) with seeded faults, a wall clock that
/// moves only when the history moves it (``SimulatedWallClock``), the real `StateStore` on a
/// temporary directory, crashes at fault points (``SimulatedCrash``), seeded action and probe
/// outcomes (``SimulatedChecks``) and configuration changes between passes, driven through the real
/// `Reconciler`, `RotationDriver`, `RotationMachine`, `RotationPlanner` and `SecretPublisher`. After
/// every step the invariants are checked; at the end, faults stop, every consumer is configured
/// again, time runs on, and the history must settle: one consumer per name, its pair in the files.
///
/// A seed gives the same history on every run: ``history(seed:steps:)`` with the steps of
/// ``SimulationStep/history(seed:count:consumers:)``.
package enum EngineSimulation {
    /// The seven invariants, as the line of `scripts/test.sh` counts them.
    package static let invariants = [
        "I1 no orphan", "I2 no outage", "I3 never publish an unverified pair", "I4 files hold a live pair",
        "I5 bounded requests and creates", "I6 liveness and no spin", "I7 honest audit",
        "I8 rotord always holds a working admin pair",
    ]

    /// The outcome of one history.
    package struct Outcome: Sendable {
        /// The seed.
        package var seed: UInt64
        /// The steps run (the quiescence passes not counted).
        package var steps: [SimulationStep]
        /// Passes of the engine, quiescence included.
        package var passes: Int
        /// Broken invariants, in order.
        package var violations: [SimulationLedger.Violation]
        /// The most API requests the engine sent in any minute of the history (before it settled).
        package var busiestMinute = 0
        /// Whether rotord's own admin consumer was under rotation too.
        package var admin = false
        /// How many times rotord took a new admin pair into use (admin histories; a restart that reads a new pair
        /// from the source files is not counted).
        package var adminSwitches = 0
        /// Whether the admin pair at the end is not the one the history began with (admin histories).
        package var adminReplaced = false
    }

    /// Whether the runner's history of `seed` also rotates rotord's own admin consumer (one seed in four; a seed
    /// replayed by the runner keeps the rule, so `--seed` replays the same history).
    package static func rotatesAdmin(seed: UInt64) -> Bool { seed % 4 == 3 }

    /// The steps of seed `seed`'s history.
    package static func steps(seed: UInt64, count: Int = 60, consumers: Int = 3) -> [SimulationStep] {
        SimulationStep.history(seed: seed, count: count, consumers: consumers)
    }

    /// Runs `steps` (by default seed's own history) with seed's faults; the temporary directory is removed after.
    /// With `admin`, rotord's own admin consumer is under `fracttal.admin.rotate` too (its pair in two source files,
    /// the account refusing every request once rotord acts as a deleted consumer): invariant I8.
    package static func history(seed: UInt64, steps: [SimulationStep]? = nil, consumers: Int = 3, admin: Bool = false)
        async -> Outcome
    {
        let steps = steps ?? Self.steps(seed: seed, consumers: consumers)
        let world = SimulationWorld(seed: seed, consumers: consumers, admin: admin)
        defer { world.remove() }
        var index = 0
        for step in steps {
            index += 1
            world.ledger.with { $0.step = index }
            await world.apply(step)
            await world.checkState()
        }
        world.ledger.with { $0.step = index + 1 }
        let busiest = world.account.busiestMinute
        await world.settle()
        return Outcome(
            seed: seed, steps: steps, passes: world.passes, violations: world.ledger.violations, busiestMinute: busiest,
            admin: admin, adminSwitches: world.account.adminSwitches,
            adminReplaced: world.ledger.adminFilePair.map { !world.originalKeys.contains($0.key) } ?? false)
    }

    /// The shortest sub-history of `outcome` found that still breaks its first broken invariant: steps are
    /// dropped one chunk at a time (halves, then smaller) while the invariant still breaks. Bounded by `budget` runs.
    package static func shrink(_ outcome: Outcome, consumers: Int = 3, budget: Int = 200) async -> [SimulationStep] {
        guard let first = outcome.violations.first else { return outcome.steps }
        var steps = outcome.steps
        var runs = 0
        var chunk = max(steps.count / 2, 1)
        while chunk >= 1 && runs < budget {
            var start = 0
            var shrunk = false
            while start < steps.count && runs < budget {
                var candidate = steps
                candidate.removeSubrange(start..<min(start + chunk, steps.count))
                runs += 1
                let again = await history(
                    seed: outcome.seed, steps: candidate, consumers: consumers, admin: outcome.admin)
                if again.violations.contains(where: { $0.invariant == first.invariant }) {
                    steps = candidate
                    shrunk = true
                } else {
                    start += chunk
                }
            }
            if !shrunk { chunk /= 2 }
        }
        return steps
    }

    /// A failing history as a person reads it: the seed, how to replay it, the violations, the shortest steps.
    package static func report(_ outcome: Outcome, shrunk: [SimulationStep]) -> String {
        var lines = [
            "simulation: seed \(outcome.seed) broke \(outcome.violations.count) invariant check(s)"
                + (outcome.admin ? " (rotord's own admin consumer rotated too)" : "") + "; replay with "
                + "ROTORD_SIMULATION_SEED=\(outcome.seed)"
        ]
        for violation in outcome.violations.prefix(5) { lines.append("  \(violation)") }
        lines.append("  shortest reproduction (\(shrunk.count) of \(outcome.steps.count) steps):")
        for (i, step) in shrunk.enumerated() { lines.append("    \(i + 1). \(step)") }
        return lines.joined(separator: "\n")
    }
}

/// One simulated host: the files, the account, the clock and the configuration of one history.
final class SimulationWorld: @unchecked Sendable {
    static let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
    static let ops = (id: 3, name: "Operaciones")
    static let other = (id: 4, name: "Contabilidad")
    static let policy = RotationPolicy(maxAge: .hours(48), rotateBefore: .hours(12), grace: .hours(1))
    static let resync = ConfigDuration.hours(1)
    static let keyVariable = "FRACTTAL_KEY"
    static let secretVariable = "FRACTTAL_SECRET"

    struct Managed {
        var name: String
        var configured = true
        var path: String
        /// The file the consumer's service reads when ``path`` does not exist (yet): the last one that did.
        var servicePath: String
        var actions: Bool
        var probe: Bool
        let firstActions: Bool
        let firstPath: String
    }

    let root: String
    let stateDirectory: String
    let deliverDirectory: String
    let clock = SimulatedWallClock(start: start)
    let ledger = SimulationLedger()
    let account: SimulatedFracttal
    let checks: SimulatedChecks
    let crash: SimulatedCrash
    let logger: Logger
    var managed: [Managed] = []
    var maxConcurrent: Int?
    var random: SimulationRandom
    var passes = 0
    var nextWake = start
    var wakeIsDeadline = false
    var lastWake: Timing.Wake?
    var idleWakes = 0
    var newsSinceLastPass = true
    var lastPassHadFault = false
    var originalKeys: Set<String> = []
    var handDeletedKeys: Set<String> = []
    var excused: Set<Int> = []
    var abandonedNames: Set<String> = []
    var reportedOrphans: Set<Int> = []

    /// The admin consumer's name and group, and where its pair lives, when the history rotates it.
    static let adminName = "rotord-admin"
    static let adminGroup = (id: 1, name: "Super Administrador")
    let admin: Bool
    var adminKeyPath: String { root + "/credentials/fracttal-admin-key" }
    var adminSecretPath: String { root + "/credentials/fracttal-admin-secret" }

    init(seed: UInt64, consumers: Int, admin: Bool = false) {
        self.admin = admin
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        root = "\(base)/rotord-sim-\(getpid())-\(seed)-\(UInt32.random(in: 0...UInt32.max))"
        stateDirectory = root + "/state"
        deliverDirectory = root + "/deliver"
        try? FileManager.default.createDirectory(atPath: deliverDirectory, withIntermediateDirectories: true)
        random = SimulationRandom(seed: seed)
        let ledger = self.ledger
        let state = stateDirectory
        account = SimulatedFracttal(
            clock: clock, ledger: ledger, seed: seed ^ 0xFACE, timeout: 3, requestsPerMinute: 200,
            deleteGuard: {
                SimulationWorld.deleteViolation($0, ledger: ledger, state: state, files: ledger.serviceFiles)
            })
        checks = SimulatedChecks(ledger: ledger)
        let root = self.root
        crash = SimulatedCrash(ledger: ledger) { SimulationWorld.snapshot(root: root) }
        let account = self.account
        let echo = ProcessInfo.processInfo.environment["ROTORD_SIMULATION_LOG"] != nil
        logger = Logger(label: "rotord-simulation") { _ in
            SimulationLogHandler(ledger: ledger, echo: echo) { account.all.map(\.secret) }
        }
        let descriptions = [nil, "nightly export", "synchronizes work orders with the ERP every night"]
        for i in 0..<consumers {
            let name = "c\(i)"
            let created = Self.start.addingTimeInterval(-TimeInterval(random.int(0...(40 * 3_600))))
            let consumer = account.add(
                name: name, group: Self.ops, description: descriptions[i % descriptions.count], origin: .original,
                createdAt: created)
            originalKeys.insert(consumer.record.key)
            let path = deliverDirectory + "/\(name).env"
            let actions = random.chance(0.7)
            managed.append(
                Managed(
                    name: name, path: path, servicePath: path, actions: actions, probe: random.chance(0.5),
                    firstActions: actions,
                    firstPath: path))
            Self.write(key: consumer.record.key, secret: consumer.secret, to: path)
        }
        ledger.with { $0.watched = managed.map { ($0.path, $0.servicePath) } }
        // A consumer rotord never manages, of another name.
        account.add(name: "erp-sync", group: Self.ops, description: nil, origin: .hand, createdAt: Self.start)
        if admin {
            // Drawn after everything else, so that a seed's other consumers are the same with or without the admin.
            let created = Self.start.addingTimeInterval(-TimeInterval(random.int(0...(40 * 3_600))))
            let consumer = account.add(
                name: Self.adminName, group: Self.adminGroup, description: "rotord", origin: .original,
                createdAt: created)
            originalKeys.insert(consumer.record.key)
            try? FileManager.default.createDirectory(atPath: root + "/credentials", withIntermediateDirectories: true)
            Self.writeRaw(consumer.record.key, to: adminKeyPath)
            Self.writeRaw(consumer.secret, to: adminSecretPath)
            account.setActingKey(consumer.record.key)
            let files = (key: adminKeyPath, secret: adminSecretPath)
            ledger.with { $0.adminFiles = files }
        }
    }

    static func writeRaw(_ value: String, to path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data((value + "\n").utf8))
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    var store: StateStore { try! StateStore(directory: stateDirectory) }

    // MARK: - Configuration

    func configuration() -> RotordConfiguration {
        let settings = FracttalSettings(
            adminKeyFile: "/nonexistent", adminSecretFile: "/nonexistent", requestsPerMinute: 200,
            timeout: .seconds(3), verifyTimeout: .seconds(60))
        var consumers: [ManagedConsumer] = []
        for m in managed where m.configured {
            var consumer = ManagedConsumer(
                name: m.name, permissionGroup: Self.ops.name, policy: Self.policy,
                deliver: [
                    DeliverTarget(
                        path: m.path, format: .env(keyVariable: Self.keyVariable, secretVariable: Self.secretVariable))
                ],
                afterPublish: m.actions
                    ? [.exec(arguments: ["/usr/local/bin/reload-\(m.name)"], timeout: .seconds(5))] : [])
            if m.probe { consumer.probe = AdoptionProbe(arguments: ["/usr/local/bin/probe-\(m.name)"]) }
            consumers.append(consumer)
        }
        var configuration = RotordConfiguration(
            fracttal: settings, stateDirectory: stateDirectory, defaults: Self.policy, consumers: consumers)
        if admin {
            configuration.fracttal.adminRotation = AdminRotation(
                policy: Self.policy, keySource: adminKeyPath, secretSource: adminSecretPath)
        }
        configuration.schedule = RotationSchedule(maxConcurrent: maxConcurrent)
        configuration.schedule.resync = Self.resync
        return configuration
    }

    // MARK: - Steps

    func apply(_ step: SimulationStep) async {
        switch step {
        case .wake:
            clock.advance(to: nextWake)
            await pass()
            return
        case .idle(let hours):
            clock.advance(by: TimeInterval(hours * 3_600))
            newsSinceLastPass = true
            await pass()
            return
        case .crash(let point):
            crash.arm(at: point)
            clock.advance(to: nextWake)
            await pass()
            return
        case .faults(let faults): account.setFaults(faults)
        case .checks(let outcomes): checks.set(outcomes)
        case .unconfigure(let i): managed[i].configured = false
        case .reconfigure(let i):
            managed[i].configured = true
            managed[i].actions = managed[i].firstActions
        case .moveDeliver(let i):
            // An operator moves the file and points the configuration (and the service) at the new path; one time
            // in four the new directory does not exist yet (every publish fails until it is moved again).
            let directory = random.chance(0.25) ? deliverDirectory + "/missing" : deliverDirectory
            let path = directory + "/\(managed[i].name)-\(random.int(1...999)).env"
            let current =
                FileManager.default.fileExists(atPath: managed[i].path) ? managed[i].path : managed[i].servicePath
            if rename(current, path) == 0 { managed[i].servicePath = path } else { managed[i].servicePath = current }
            managed[i].path = path
        case .toggleActions(let i): managed[i].actions.toggle()
        case .handCreate(let i):
            account.add(
                name: managed[i].name, group: Self.other, description: "made by hand", origin: .hand,
                createdAt: clock.now())
        case .handDeleteOld(let i):
            // Only a consumer older than the one the files hold: a person cleaning up early, not sabotage.
            let held = fileKeys()
            let live = account.all.filter {
                $0.record.name == managed[i].name && $0.record.permissionGroupId == Self.ops.id
            }
            if let inUse = live.first(where: { held.contains($0.record.key) }),
                let old = live.first(where: {
                    !held.contains($0.record.key) && $0.record.createdAt < inUse.record.createdAt
                })
            {
                handDeletedKeys.insert(old.record.key)
                account.removeByHand(id: old.record.id)
            }
        case .clockJump(let seconds): clock.advance(by: TimeInterval(seconds))
        case .accept(let i):
            await operatorPass(name: managed[i].name) { record in
                if [.unconfirmed, .published, .grace].contains(record.step) {
                    self.ledger.with { $0.accepted.insert(record.id) }
                }
            } run: {
                await self.pass(only: $0, accept: [$0: false])
            }
            return
        case .force(let i):
            await operatorPass(name: managed[i].name) { _ in
            } run: {
                await self.pass(only: $0, force: [$0: false])
            }
            return
        case .abandon(let i):
            await operatorPass(name: managed[i].name) { record in
                if [.planned, .verified, .published, .unconfirmed, .grace].contains(record.step) {
                    self.abandonedNames.insert(record.consumerName)
                    self.excused.formUnion(record.oldConsumerIDs + [record.newConsumerID].compactMap { $0 })
                }
            } run: {
                await self.pass(only: $0, abandon: [$0])
            }
            return
        case .maxConcurrent(let n): maxConcurrent = n
        }
        ledger.with { $0.watched = managed.map { ($0.path, $0.servicePath) } }
        newsSinceLastPass = true
    }

    /// A command an operator runs beside the daemon (it takes the state lock for one pass of its consumer).
    func operatorPass(name: String, before: (RotationRecord) -> Void, run: (String) async -> Void) async {
        if let record = unfinished().first(where: { $0.consumerName == name }) { before(record) }
        newsSinceLastPass = true
        await run(name)
        newsSinceLastPass = true
    }

    func unfinished() -> [RotationRecord] { ((try? store.rotations()) ?? []).filter { !$0.step.isTerminal } }

    // MARK: - A pass

    func pass(
        only: String? = nil, force: [String: Bool] = [:], accept: [String: Bool] = [:], abandon: Set<String> = []
    ) async {
        let configuration = configuration()
        var configured = Dictionary(
            uniqueKeysWithValues: configuration.consumers.map { ($0.name, (!$0.afterPublish.isEmpty, $0.probe != nil)) }
        )
        // The admin's rotation has no actions and no probe: rotord taking the pair into use is its confirmation.
        if admin { configured[Self.adminName] = (false, false) }
        ledger.with { s in
            s.configured = configured
            s.dead = false
            s.faultInjected = false
            s.effects = 0
        }
        account.startPass()
        let before = journal()
        let clock = self.clock
        let ids = Mutex(random)
        let reconciler = Reconciler(
            configuration: configuration, store: store, directory: account, clock: clock, faults: crash,
            logger: logger, lockTimeout: .zero, checks: checks,
            sleep: { clock.advance(by: Backoff.seconds($0)) },
            random: { ids.withLock { UInt32.random(in: 0...UInt32.max, using: &$0) } },
            // In memory: a simulation never runs the host's systemd-creds.
            cipher: InMemoryCredentialCipher())
        let report = await reconciler.pass(force: force, only: only, accept: accept, abandon: abandon)
        random = ids.withLock { $0 }
        passes += 1
        let crashed = crash.finishPass()
        if crashed != nil {
            Self.restore(root: root)
            ledger.with { $0.dead = false }
            // The restarted process reads its admin pair as rotord does at start.
            if admin {
                let pair = try? await AdminCredentials.load(
                    configuration.fracttal, configPath: "simulation", environment: [:], store: store)
                account.restart(actingAs: pair.map { ($0.key, $0.secret) })
            }
        }
        let (creates, _) = account.startPass()
        for (rotation, count) in creates.sorted(by: { $0.key < $1.key })
        where count > CreateLimiter.maxPerRotationPerPass {
            ledger.violate("I5", "rotation \(rotation) sent \(count) creates in one pass")
        }
        let (effects, fault) = ledger.with { ($0.effects, $0.faultInjected) }
        // What the checks of each rotation had to confirm, as configured in the pass it passed them (entered grace,
        // entered retiring).
        let records = unfinished()
        ledger.with { s in
            for record in records where [.grace, .retiring].contains(record.step) {
                if s.actionsExpected[record.id] == nil {
                    s.actionsExpected[record.id] = configured[record.consumerName]?.0 ?? true
                }
                if record.step == .retiring && s.probeExpected[record.id] == nil {
                    s.probeExpected[record.id] = configured[record.consumerName]?.1 ?? true
                }
            }
        }
        let progress = crashed != nil || effects > 0 || journal() != before
        // I6: a wake the engine asked for must find something to do, unless news or a fault came between. One idle
        // wake can be honest (a consumer due at its date found held by max_concurrent); two in a row are a spin.
        let idle = only == nil && wakeIsDeadline && !newsSinceLastPass && !lastPassHadFault && !fault && !progress
        if only == nil { idleWakes = idle ? idleWakes + 1 : 0 }
        if idleWakes >= 2 {
            ledger.violate(
                "I6",
                "the daemon asked to wake for \(lastWake.map(String.init(describing:)) ?? "?") and the pass found "
                    + "nothing to do, \(idleWakes) wakes in a row (a spin: the next wake must be a real deadline); the plan: "
                    + (report.plan?.entries.map { "\($0.managed.name) \($0.status)\($0.deferred ? " deferred" : "")" }
                        .joined(separator: ", ") ?? "none"))
        }
        let now = clock.now()
        if only == nil {
            let (seconds, wake) = Timing.sleep(until: report.nextWake, now: now, resync: Self.resync)
            lastWake = wake
            nextWake = now.addingTimeInterval(seconds)
            wakeIsDeadline = seconds < TimeInterval(Self.resync.seconds)
            newsSinceLastPass = false
            lastPassHadFault = fault || crashed != nil || report.unavailable != nil
        }
    }

    /// The journal as the engine left it: what a pass that made progress changes.
    func journal() -> [RotationRecord] { (try? store.rotations()) ?? [] }

    // MARK: - Invariants

    /// The key and secret of each consumer's deliver file (configured or not), by path.
    func filePairs() -> [String: (key: String, secret: String)] {
        Self.filePairs(ledger.serviceFiles)
    }

    func fileKeys() -> Set<String> { Set(filePairs().values.map(\.key)) }

    static func filePairs(_ paths: [String]) -> [String: (key: String, secret: String)] {
        var out: [String: (key: String, secret: String)] = [:]
        for path in paths {
            let target = DeliverTarget(
                path: path, format: .env(keyVariable: keyVariable, secretVariable: secretVariable))
            if let pair = SecretPublisher.pair(in: target) { out[path] = pair }
        }
        return out
    }

    /// I1, I3 and I4, after every step.
    func checkState() async {
        let files = filePairs()
        let live = account.all
        let verified = account.verifiedKeys
        // I3: every pair in a file obtained a token (or was there from the start).
        for (path, pair) in files.sorted(by: { $0.key < $1.key })
        where !originalKeys.contains(pair.key) && !verified.contains(pair.key) {
            ledger.violate("I3", "\(path) holds key \(KeyMask.mask(pair.key)), which never obtained a token")
        }
        // I4: every configured file holds a live pair (unless a person deleted that consumer).
        for m in managed where m.configured {
            guard let pair = files[m.path] else { continue }
            let alive = live.contains { $0.record.key == pair.key && $0.secret == pair.secret }
            if !alive && !handDeletedKeys.contains(pair.key) {
                ledger.violate("I4", "\(m.path) holds key \(KeyMask.mask(pair.key)), which no live consumer has")
            }
        }
        // I8: a restart now would act as a pair that works (the files, completed from the journal after a crash
        // between them, as rotord reads them at start), and so does the running process.
        var adminFileKey: String?
        if admin {
            if let pair = try? await AdminCredentials.load(
                configuration().fracttal, configPath: "simulation", environment: [:], store: store)
            {
                adminFileKey = pair.key
                if !live.contains(where: { $0.record.key == pair.key && $0.secret == pair.secret }) {
                    ledger.violate(
                        "I8",
                        "a restart would read the admin pair \(KeyMask.mask(pair.key)), which no live consumer has")
                }
            } else {
                ledger.violate("I8", "the admin source files cannot be read")
            }
            if let acting = account.adminKey, !live.contains(where: { $0.record.key == acting }) {
                ledger.violate("I8", "rotord acts as \(KeyMask.mask(acting)), which no live consumer has")
            }
        }
        // I1: every consumer rotord made is in use, the replacement or old consumer of a rotation in flight,
        // or carries the marker of one.
        let records = unfinished()
        let keys = Set(files.values.map(\.key) + [adminFileKey].compactMap { $0 })
        for consumer in live {
            guard case .rotord(let rotation) = consumer.origin, !keys.contains(consumer.record.key),
                !excused.contains(consumer.record.id), !reportedOrphans.contains(consumer.record.id)
            else { continue }
            let tracked = records.contains {
                $0.id == rotation || $0.newConsumerID == consumer.record.id
                    || $0.oldConsumerIDs.contains(consumer.record.id)
            }
            if !tracked {
                reportedOrphans.insert(consumer.record.id)
                ledger.violate(
                    "I1",
                    "consumer \(consumer.record.id) (\(consumer.record.name), key \(KeyMask.mask(consumer.record.key))) "
                        + "made by rotation \(rotation) is left behind: no file holds it and no rotation in flight "
                        + "tracks it")
            }
        }
    }

    /// I2, asked by the account before each delete: the violation the delete would be, if any.
    static func deleteViolation(
        _ consumer: SimulatedFracttal.Consumer, ledger: SimulationLedger, state: String, files: [String]
    ) -> String? {
        let id = consumer.record.id
        let masked = KeyMask.mask(consumer.record.key)
        if let (path, _) = filePairs(files).first(where: { $0.value.key == consumer.record.key }) {
            return "consumer \(id) (\(consumer.record.name), key \(masked)) deleted while \(path) holds its pair"
        }
        if let admin = ledger.adminFilePair, admin.key == consumer.record.key {
            return "admin consumer \(id) (key \(masked)) deleted while the admin source files hold its pair"
        }
        let records = ((try? StateStore(directory: state, create: false).rotations()) ?? []).filter {
            !$0.step.isTerminal
        }
        if let retiring = records.first(where: { $0.step == .retiring && $0.oldConsumerIDs.contains(id) }) {
            return ledger.with { s in
                if s.accepted.contains(retiring.id) { return nil }
                let name = retiring.consumerName
                let actionsNeeded = s.actionsExpected[retiring.id] ?? s.configured[name]?.actions ?? true
                let probeNeeded = s.configured[name]?.probe ?? s.probeExpected[retiring.id] ?? true
                if actionsNeeded && !s.actionsPassed.contains(retiring.id) {
                    return "old consumer \(id) of \(name) deleted by rotation \(retiring.id) before its after_publish "
                        + "actions passed" + (s.configured[name] == nil ? " (\(name) is not configured)" : "")
                }
                if probeNeeded && !s.probePassed.contains(retiring.id) {
                    return "old consumer \(id) of \(name) deleted by rotation \(retiring.id) before its probe passed"
                        + (s.configured[name] == nil ? " (\(name) is not configured and no operator accepted)" : "")
                }
                return nil
            }
        }
        if case .rotord(let rotation) = consumer.origin, records.contains(where: { $0.id == rotation }) {
            return nil  // a replacement its own rotation discards
        }
        return "consumer \(id) (\(consumer.record.name), key \(masked)) deleted, although no rotation in flight "
            + "made it or retires it"
    }

    // MARK: - The end

    /// Faults stop, every consumer is configured again, time runs on: every rotation must finish (I6) and leave
    /// one consumer per name whose pair the files hold (I1, I4); the audit log verifies and says no more than
    /// happened (I7).
    func settle() async {
        account.setFaults(.none)
        checks.set(.init())
        maxConcurrent = nil
        for i in managed.indices where !managed[i].configured {
            managed[i].configured = true
        }
        // The operator creates the directory a deliver path was moved into.
        try? FileManager.default.createDirectory(
            atPath: deliverDirectory + "/missing", withIntermediateDirectories: true)
        newsSinceLastPass = true
        for _ in 0..<48 {
            clock.advance(to: nextWake)
            await pass()
            await checkState()
            if unfinished().isEmpty, nextWake.timeIntervalSince(clock.now()) >= TimeInterval(Self.resync.seconds) {
                break
            }
        }
        let left = unfinished()
        if admin, left.isEmpty {
            // I8 and I1 for the admin: one admin consumer remains, the one the files hold and rotord acts as.
            let live = account.all.filter { $0.record.name == Self.adminName }
            let held = ledger.adminFilePair?.key
            if live.count != 1 || live.first?.record.key != held || account.adminKey != held {
                ledger.violate(
                    "I8",
                    "after settling, \(live.count) admin consumer(s) remain (ids "
                        + "\(live.map { String($0.record.id) }.joined(separator: ", "))); exactly one must, the one "
                        + "the source files hold and rotord acts as")
            }
        }
        for record in left {
            ledger.violate(
                "I6",
                "after the faults stopped, rotation \(record.id) of \(record.consumerName) is still at "
                    + "\(record.step.rawValue): \(record.failure ?? "no reason")")
        }
        let files = filePairs()
        for m in managed {
            let live = account.all.filter {
                $0.record.name == m.name && $0.record.permissionGroupId == Self.ops.id
                    && !excused.contains($0.record.id)
            }
            guard !abandonedNames.contains(m.name), left.isEmpty else { continue }
            if live.count != 1 {
                ledger.violate(
                    "I1",
                    "after settling, \(m.name) has \(live.count) live consumers in its group (ids "
                        + "\(live.map { String($0.record.id) }.joined(separator: ", "))); exactly one must remain")
            }
            if let pair = files[m.path], let only = live.first, live.count == 1, pair.key != only.record.key {
                ledger.violate("I4", "after settling, \(m.path) does not hold the pair of \(m.name)'s live consumer")
            }
        }
        // I7: the chain verifies, and a note says a check passed only when it ran and passed.
        let audit = AuditLog(directory: stateDirectory)
        if case .broken(let line, let reason) = audit.verify() {
            ledger.violate("I7", "the audit log is broken at line \(line): \(reason)")
        }
        let (actions, probes) = ledger.with { ($0.actionsRan, $0.probeRan) }
        for entry in audit.entries() {
            if entry.note == "after_publish actions succeeded" && !actions.contains(entry.rotation) {
                ledger.violate(
                    "I7",
                    "audit line \(entry.seq) says the after_publish actions of \(entry.rotation) succeeded; "
                        + "none ran and passed")
            }
            if entry.note == "adoption probe succeeded" && !probes.contains(entry.rotation) {
                ledger.violate(
                    "I7", "audit line \(entry.seq) says the probe of \(entry.rotation) succeeded; none ran and passed")
            }
        }
    }

    // MARK: - Files

    static func write(key: String, secret: String, to path: String) {
        let text = "\(keyVariable)=\(key)\n\(secretVariable)=\(secret)\n"
        _ = FileManager.default.createFile(
            atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    }

    /// What a `kill -9` leaves: the state directory and the deliver files as they are now (every write the engine
    /// made is already fsync'd), copied aside.
    static func snapshot(root: String) {
        let fm = FileManager.default
        for name in ["state", "deliver", "credentials"] {
            try? fm.removeItem(atPath: "\(root)/crash-\(name)")
            try? fm.copyItem(atPath: "\(root)/\(name)", toPath: "\(root)/crash-\(name)")
        }
    }

    /// The restart finds the disk as the crash left it.
    static func restore(root: String) {
        let fm = FileManager.default
        for name in ["state", "deliver", "credentials"] {
            try? fm.removeItem(atPath: "\(root)/\(name)")
            try? fm.moveItem(atPath: "\(root)/crash-\(name)", toPath: "\(root)/\(name)")
        }
    }
}
