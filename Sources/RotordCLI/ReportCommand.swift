import ArgumentParser
import RotordCore
import RotordKit

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "Compliance report per consumer from the audit log; --verify checks the audit chain (0 intact, 1 broken).")

    @OptionGroup var options: ConfigOption
    @Option(name: .long, help: "The period: the report covers this long before now (a duration: 90d, 36h).")
    var since: String = "90d"
    @Option(name: .long, help: "csv, json or md.") var format: String = "md"
    @Flag(name: .long, help: "Print JSON (the same as --format json).") var json = false
    @Flag(name: .long, help: "Check the audit log's hash chain instead: 0 intact, 1 broken (names the first bad line).")
    var verify = false

    func run() async throws {
        if verify { throw ExitCode(await Commands.verifyAudit(options.config, logLevel: options.logLevel)) }
        guard let period = ConfigDuration(parsing: since), period.seconds > 0, period <= .maximum else {
            Commands.printError(
                "report: --since must be a duration such as 90d or 36h, at most \(ConfigDuration.maximum), "
                    + "got \"\(since)\"")
            throw ExitCode(ExitStatus.usage)
        }
        let chosen: Commands.ReportFormat? = json ? .json : Commands.ReportFormat(rawValue: format)
        guard let chosen else {
            Commands.printError("report: --format must be csv, json or md, got \"\(format)\"")
            throw ExitCode(ExitStatus.usage)
        }
        throw ExitCode(
            await Commands.complianceReport(options.config, logLevel: options.logLevel, since: period, format: chosen))
    }
}
