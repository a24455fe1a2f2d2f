import Foundation
import Glibc
import RotordCore

extension Commands {
    /// `rotord check-config`: the file, the admin credential files, the state directory, every
    /// deliver directory and hook program, `cluster.key_file`, and (unless `offline`) that each consumer exists in
    /// Fracttal in the configured permission group and that etcd answers. 0 valid, 78 invalid. With `json`, every problem
    /// and warning is printed as one JSON array (``CheckConfigOutput``).
    package static func checkConfig(_ configPath: String, logLevel: String, offline: Bool, json: Bool = false) async
        -> Int32
    {
        var out = CheckConfigOutput(json: json)
        let configuration: RotordConfiguration
        do { configuration = try ConfigurationLoader().load(path: configPath) } catch {
            for e in error.errors { out.problem(e) }
            return out.finish(valid: nil)
        }
        let problems = await pathProblems(configuration, configPath: configPath)
        if problems.isEmpty == false {
            for p in problems { out.problem(p) }
            return out.finish(valid: nil)
        }
        for warning in configuration.fracttal.plaintextWarnings {
            out.warning(.init(file: configPath, key: "", message: warning))
        }
        for (key, message) in timerWindowWarnings(configuration, timer: installedTimer(), now: Date()) {
            out.warning(.init(file: configPath, key: key, message: message))
        }
        var st = stat()
        if stat(configuration.stateDirectory, &st) == 0, st.st_uid != getuid() {
            out.warning(
                .init(
                    file: configPath, key: "state_dir",
                    message: "\(configuration.stateDirectory) is owned by uid \(st.st_uid); "
                        + "rotord refuses it when run as another user (this is uid \(getuid()))"))
        }
        for (i, consumer) in configuration.consumers.enumerated() {
            if consumer.deliver.isEmpty {
                out.warning(
                    .init(
                        file: configPath, key: "consumers[\(i)].deliver",
                        message: "none: a rotation of \(consumer.name) would create a credential that no file receives")
                )
            }
        }
        if let problem = configuration.cluster?.fencingProblem(fracttalTimeout: configuration.fracttal.timeout) {
            // The fleet is not run by the daemon yet: a warning now, a configuration error once it is.
            out.warning(
                .init(
                    file: configPath, key: "cluster.lease_ttl",
                    message: "the fleet's leader could not fence "
                        + "its Fracttal requests (docs/fleet.md): \(problem)"))
        }
        let counted = Self.counted(configuration)
        guard !offline else {
            return out.finish(valid: "\(configPath): valid (\(counted); Fracttal not contacted)")
        }
        if let cluster = configuration.cluster, !cluster.leaderEligible {
            // It never acts on Fracttal and holds no admin pair: only etcd is contacted.
            let etcd = await clusterReachability(cluster, configPath: configPath, output: &out)
            let note = "Fracttal not contacted: this host is not leader-eligible"
            return out.finish(valid: "\(configPath): valid (\(counted); \(note)\(etcd))")
        }
        guard let context = await loadContext(configPath, logLevel: logLevel, createState: false) else {
            return exitConfig
        }
        var remote: [ConfigurationError] = []
        var adopted = ""
        do {
            let listing = try await context.directory.consumers()
            let groups = await context.directory.groupNames(for: listing)
            let plan = RotationPlanner().plan(
                configuration: configuration, consumers: listing, groupNames: groups, active: [], history: [:],
                now: Date())
            for (index, entry) in plan.entries.enumerated() where entry.isProblem {
                remote.append(.init(file: configPath, key: "consumers[\(index)]", message: entry.problemDescription))
            }
            adopted = Self.adoptionLines(
                configuration, listing: listing, groups: groups, adminKey: context.directory.adminKey,
                configPath: configPath, output: &out)
            if let problem = Self.adminRotationProblem(
                configuration, listing: listing, adminKey: context.directory.adminKey)
            {
                out.warning(.init(file: configPath, key: "fracttal.admin.rotate", message: problem))
            }
        } catch {
            let message = "could not reach Fracttal to check that the consumers exist: \(error.message)"
            if json {
                out.warning(.init(file: configPath, key: "fracttal", message: message))
            } else {
                printError("warning: \(message)")
            }
        }
        if let cluster = configuration.cluster {
            adopted += await clusterReachability(cluster, configPath: configPath, output: &out)
        }
        for p in remote { out.problem(p) }
        return out.finish(valid: remote.isEmpty ? "\(configPath): valid (\(counted)\(adopted))" : nil)
    }

    /// Why `fracttal.admin.rotate` cannot rotate the admin consumer at this listing, or `nil` (also when it is off).
    static func adminRotationProblem(_ configuration: RotordConfiguration, listing: [ConsumerRecord], adminKey: String?)
        -> String?
    {
        guard configuration.fracttal.adminRotation != nil else { return nil }
        guard let admin = listing.first(where: { $0.key == adminKey }) else {
            return "the admin key \(KeyMask.mask(adminKey ?? "")) is not in the account's consumer listing; "
                + "rotord cannot rotate a consumer it cannot see"
        }
        if let index = configuration.consumers.firstIndex(where: { $0.name == admin.name }) {
            return "consumers[\(index)] is named \(admin.name), the admin consumer's name: self-rotation is off while "
                + "it is configured; remove it (admin.rotate rotates the admin consumer)"
        }
        return nil
    }

    /// "2 consumers" or "2 consumers, 1 adopt rule".
    static func counted(_ configuration: RotordConfiguration) -> String {
        let rules = configuration.adopt.count
        return "\(configuration.consumers.count) consumers"
            + (rules == 0 ? "" : ", \(rules) adopt rule\(rules == 1 ? "" : "s")")
    }

    /// What the `adopt:` rules adopt at this listing: a refused consumer is a warning (the rule is valid; the
    /// consumer is not managed); returns "; adopted: a (adopt[0]), …" for the verdict line.
    static func adoptionLines(
        _ configuration: RotordConfiguration, listing: [ConsumerRecord], groups: [Int: String], adminKey: String?,
        configPath: String, output: inout CheckConfigOutput
    ) -> String {
        guard !configuration.adopt.isEmpty else { return "" }
        let resolved = configuration.resolvingAdoption(
            consumers: listing, groupNames: groups, active: [], adminKey: adminKey)
        let adopted = resolved.consumers.filter { $0.adoptedBy != nil }
        for consumer in adopted {
            guard let refusal = consumer.adoptionRefusal, let rule = consumer.adoptedBy else { continue }
            output.warning(
                .init(file: configPath, key: rule, message: "consumer \(consumer.name) is not managed: \(refusal)"))
        }
        let names = adopted.filter { $0.adoptionRefusal == nil }.map { "\($0.name) (\($0.adoptedBy ?? ""))" }
        return names.isEmpty ? "; adopt rules match no consumer now" : "; adopted: \(names.joined(separator: ", "))"
    }

    /// Where the timer unit may be installed, most specific first.
    static let timerUnits = [
        "/etc/systemd/system/rotord.timer", "/usr/lib/systemd/system/rotord.timer", "/lib/systemd/system/rotord.timer",
    ]

    /// The installed `rotord.timer`'s schedule, when one is installed and its `OnCalendar=` is a daily time.
    static func installedTimer() -> TimerSchedule? {
        for path in timerUnits {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            return TimerSchedule.parse(unit: text, timeZone: .current)
        }
        return nil
    }

    /// A warning per consumer whose `window:` never contains a run of `timer` (none without a timer).
    static func timerWindowWarnings(_ configuration: RotordConfiguration, timer: TimerSchedule?, now: Date)
        -> [(key: String, message: String)]
    {
        guard let timer else { return [] }
        return configuration.consumers.enumerated().compactMap { index, consumer in
            guard let window = consumer.policy.window, !timer.meets(window, after: now) else { return nil }
            return (
                "consumers[\(index)].window",
                "the window of \(consumer.name) never contains a run of rotord.timer (\(timer)): a due consumer "
                    + "would wait for a window no run sees; rotord-once.service's --next-run-in rotates it at a run "
                    + "before its deadline, outside the window (docs/operations.md)"
            )
        }
    }

    /// Problems with the files and directories the configuration names.
    static func pathProblems(_ configuration: RotordConfiguration, configPath: String) async -> [ConfigurationError] {
        var problems: [ConfigurationError] = []
        // A fleet host that may never lead needs no admin pair (docs/fleet.md).
        let adminFiles =
            configuration.cluster?.leaderEligible == false
            ? []
            : [
                ("fracttal.admin.key_file", configuration.fracttal.adminKeyFile),
                ("fracttal.admin.secret_file", configuration.fracttal.adminSecretFile),
            ]
        for (key, path) in adminFiles {
            // The same reading as every command (regular file, UTF-8, one line); the value is dropped.
            do {
                _ = try await AdminCredentials.read(
                    path, key: key, configPath: configPath, environment: ProcessInfo.processInfo.environment)
            } catch {
                problems.append(error)
            }
        }
        if let cluster = configuration.cluster {
            problems += clusterKeyProblems(cluster, configPath: configPath)
        }
        let state = configuration.stateDirectory
        if access(state, W_OK) != 0 && access(AtomicFile.parent(of: state), W_OK) != 0 {
            problems.append(.init(file: configPath, key: "state_dir", message: "\(state) cannot be created or written"))
        }
        let entries =
            configuration.consumers.enumerated().map {
                (
                    key: "consumers[\($0.offset)]", deliver: $0.element.deliver, hooks: $0.element.afterPublish,
                    probe: $0.element.probe
                )
            }
            + configuration.adopt.map { (key: $0.label, deliver: $0.deliver, hooks: $0.afterPublish, probe: $0.probe) }
        for (consumerKey, deliver, hooks, probe) in entries {
            for (j, target) in deliver.enumerated() {
                for problem in SecretPublisher.preflightProblems(target) {
                    problems.append(
                        .init(file: configPath, key: "\(consumerKey).deliver[\(j)].path", message: problem))
                }
            }
            for (j, hook) in hooks.enumerated() {
                if case .exec(let arguments, _) = hook, access(arguments[0], X_OK) != 0 {
                    problems.append(
                        .init(
                            file: configPath, key: "\(consumerKey).after_publish[\(j)].exec",
                            message: "\(arguments[0]) is not an executable program"))
                }
            }
            if let program = probe?.arguments.first, access(program, X_OK) != 0 {
                problems.append(
                    .init(
                        file: configPath, key: "\(consumerKey).probe.exec",
                        message: "\(program) is not an executable program"))
            }
        }
        return problems
    }
}
