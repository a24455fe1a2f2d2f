import ArgumentParser
import RotordKit

struct TestHooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-hooks",
        abstract: "Run a consumer's after_publish actions and probe against its current files; no rotation.")

    @OptionGroup var options: ConfigOption
    @Argument(help: "The consumer's name, as in the configuration.") var name: String

    func run() async throws {
        throw ExitCode(await Commands.testHooks(options.config, logLevel: options.logLevel, name: name))
    }
}
