import ArgumentParser
import RotordCore
import RotordKit

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the daemon, or one reconcile pass with --once.")

    @OptionGroup var options: ConfigOption
    @Flag(
        name: .long,
        help: ArgumentHelp(
            "One reconcile pass, then exit: 0 all done or nothing due; 75 waiting for a retry; 1 failed. On a fleet "
                + "host: deliver and confirm what is sealed to it (1: a host holds a rotation back).")
    )
    var once = false
    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --once: when the next run comes (the timer's period, e.g. 24h). A due consumer whose window no run "
                + "before its deadline meets is rotated now, outside its window.", valueName: "duration"))
    var nextRunIn: String?

    func validate() throws {
        guard let nextRunIn else { return }
        guard once else {
            throw ValidationError("--next-run-in goes with --once (the daemon wakes when a window opens)")
        }
        guard let period = ConfigDuration(parsing: nextRunIn), period.seconds > 0, period <= ConfigDuration.maximum
        else {
            throw ValidationError(
                "--next-run-in: \"\(nextRunIn)\" is not a positive duration of at most 36500d (e.g. 24h, 1d, 90m)")
        }
    }

    func run() async throws {
        let code =
            await once
            ? Commands.runOnce(
                options.config, logLevel: options.logLevel, faults: RotordCLI.faults,
                nextRunIn: nextRunIn.flatMap(ConfigDuration.init(parsing:)))
            : Commands.runDaemon(options.config, logLevel: options.logLevel, faults: RotordCLI.faults)
        throw ExitCode(code)
    }
}

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show what is due, when, and what each rotation would do. Changes nothing.")

    @OptionGroup var options: ConfigOption
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        throw ExitCode(await Commands.report(options.config, logLevel: options.logLevel, json: json, actions: true))
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Per consumer: age, last rotation, next due, rotation in flight and its step.")

    @OptionGroup var options: ConfigOption
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        throw ExitCode(await Commands.status(options.config, logLevel: options.logLevel, json: json))
    }
}

struct RotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Rotate one consumer now, outside policy and windows. Safe while the daemon runs.")

    @OptionGroup var options: ConfigOption
    @Argument(help: "The consumer's name, as in the configuration.") var name: String
    @Flag(name: .long, help: "Delete the old consumer as soon as the new credential is published (no grace).")
    var revokeOldNow = false
    @Flag(
        name: .long,
        help:
            "End an unconfirmed rotation (a failed after_publish action or probe): grace, then delete the old consumer."
    )
    var acceptUnconfirmed = false
    @Option(
        name: .long,
        help: "In a fleet, with --accept-unconfirmed: stop waiting for this host's confirmation only (docs/fleet.md).")
    var host: String?

    func run() async throws {
        throw ExitCode(
            await Commands.rotate(
                options.config, logLevel: options.logLevel, name: name, revokeOldNow: revokeOldNow,
                acceptUnconfirmed: acceptUnconfirmed, acceptHost: host, faults: RotordCLI.faults))
    }
}

struct AbandonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abandon",
        abstract:
            "End a rotation that waits for a decision (its consumer left the configuration), keeping both consumers.")

    @OptionGroup var options: ConfigOption
    @Argument(help: "The consumer's name.") var name: String

    func run() async throws {
        throw ExitCode(await Commands.abandon(options.config, logLevel: options.logLevel, name: name))
    }
}

struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate the configuration and the secret paths: 0 valid, 78 invalid.")

    @OptionGroup var options: ConfigOption
    @Flag(name: .long, help: "Do not contact Fracttal (skip checking that the consumers exist).") var offline = false
    @Flag(name: .long, help: "Print every problem and warning as a JSON array of objects.") var json = false

    func run() async throws {
        throw ExitCode(
            await Commands.checkConfig(options.config, logLevel: options.logLevel, offline: offline, json: json))
    }
}

struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the running daemon reload its configuration, and wait until it has (for ExecReload=).")

    @OptionGroup var options: ConfigOption
    @Option(name: .long, help: "The daemon's pid (default: $MAINPID, then the state directory's pid file).")
    var pid: Int32?
    @Option(name: .long, help: "Seconds to wait for the daemon's answer.") var timeout: Int = 30
    @Option(name: .long, help: "The daemon's state directory (default: $STATE_DIRECTORY, then state_dir of the file).")
    var stateDir: String?

    func run() async throws {
        throw ExitCode(await Commands.reload(options.config, pid: pid, timeout: timeout, stateDirectory: stateDir))
    }
}

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the Fracttal simulator (fracttal-sim), seed aged consumers, rotate them, and show the result.")

    @OptionGroup var options: ConfigOption
    @Option(name: .long, help: "Where the demo writes its files (emptied first).") var output: String = "./demo-output"
    @Option(name: .long, help: "Grace period of the demo's policy.") var grace: String = "3s"
    @Option(name: .long, help: "The fracttal-sim executable (default: beside rotord, then on PATH).")
    var simulator: String?

    func run() async throws {
        throw ExitCode(await Demo.run(outputDirectory: output, grace: grace, simulator: simulator))
    }
}

struct RepairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Resolve an unreadable journal record: keep its replacement if published, else delete it.",
        discussion: """
            A journal record that cannot be read blocks rotations of its consumer (of every consumer when \
            its name is lost). The replacement it may have created carries the marker [rotord:ID]: kept when \
            its key is in a deliver file, deleted otherwise. Exit 0 repaired; 1 failed; 75 Fracttal or the \
            state lock unavailable; 78 configuration error. See docs/operations.md.
            """)

    @OptionGroup var options: ConfigOption
    @Argument(help: "The rotation id of the unreadable record (as `rotord status` names it).") var id: String

    func run() async throws {
        throw ExitCode(await Commands.repair(options.config, logLevel: options.logLevel, id: id))
    }
}

struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "A fleet of hosts on one Fracttal account (docs/fleet.md).",
        subcommands: [FleetStatusCommand.self, FleetForgetCommand.self, FleetKeygenCommand.self])
}

struct FleetKeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract:
            "Make this host's X25519 key pair: the private key to --out (0600, never replaced), the public printed.")

    // Every command takes --config; keygen reads no configuration.
    @OptionGroup var options: ConfigOption
    @Option(name: .long, help: ArgumentHelp("Where to write the private key.", valueName: "path")) var out: String

    func run() async throws {
        throw ExitCode(Commands.fleetKeygen(out: out))
    }
}

struct FleetStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the fleet from etcd: the leader, each host (alive or down), each rotation in flight, warnings.",
        discussion: """
            Exit 0 nothing to act on; 1 a host blocks a rotation or a warning exists; 75 etcd cannot be reached; \
            78 configuration error or no cluster: section. See docs/cli.md.
            """)

    @OptionGroup var options: ConfigOption
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        throw ExitCode(await Commands.fleetStatus(options.config, logLevel: options.logLevel, json: json))
    }
}

struct FleetForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Remove a host that left the fleet, so that no rotation waits for its confirmation.",
        discussion: """
            Removes hosts/HOST and alive/HOST in one etcd transaction. Refused (exit 1) for a host that is not a \
            member and, unless --force, for a host that is alive or this configuration's own cluster.host. Exit 75 \
            etcd cannot be reached; 78 configuration error or no cluster: section. See docs/cli.md.
            """)

    @OptionGroup var options: ConfigOption
    @Argument(help: "The host's name (cluster.host on that host), as rotord fleet status lists it.") var host: String
    @Flag(name: .long, help: "Forget it even if it is alive or is this host.") var force = false

    func run() async throws {
        throw ExitCode(
            await Commands.fleetForget(options.config, logLevel: options.logLevel, host: host, force: force))
    }
}
