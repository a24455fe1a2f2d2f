import ArgumentParser
import RotordKit

/// `rotord`: rotates Fracttal OAuth consumer credentials on a schedule.
struct RotordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotord",
        abstract: "Rotate Fracttal OAuth consumer credentials on a schedule, unattended.",
        discussion: """
            Exit status: 0 success; 1 a rotation failed; 75 something waits to be retried (run --once); \
            78 configuration error. See docs/operations.md.
            """,
        subcommands: [
            RunCommand.self, PlanCommand.self, StatusCommand.self, RotateCommand.self, AbandonCommand.self,
            TestHooksCommand.self,
            CheckConfigCommand.self, ReloadCommand.self, RepairCommand.self, ReportCommand.self, DemoCommand.self,
            FleetCommand.self,
        ],
        // The embedded default (docs/cli.md): `rotord` alone runs the demo.
        defaultSubcommand: DemoCommand.self
    )
}

/// The `--config` option every command takes.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The configuration file.")
    var config: String = ConfigurationLoader.defaultPath

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"
}
