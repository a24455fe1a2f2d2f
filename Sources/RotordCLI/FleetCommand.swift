import ArgumentParser
import RotordKit

/// `rotord fleet …`: fleet mode's commands (docs/fleet.md); today only `keygen`.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Fleet mode (in progress; docs/fleet.md).",
        subcommands: [FleetKeygenCommand.self])
}

/// `rotord fleet keygen --out PATH`.
struct FleetKeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract:
            "Make this host's X25519 key pair: the private key to PATH (0600, never overwritten), the public key printed."
    )

    @Option(name: .long, help: "Where to write the private key (it must not exist).") var out: String

    func run() async throws {
        throw ExitCode(Commands.fleetKeygen(out: out))
    }
}
