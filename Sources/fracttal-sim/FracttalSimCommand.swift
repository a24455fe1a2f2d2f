import ArgumentParser
import Foundation
import FracttalSimulator
import Logging
import ServiceLifecycle

/// `fracttal-sim`: the Fracttal simulator as a server on loopback, for trying rotord by hand.
@main
struct FracttalSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fracttal-sim",
        abstract: "Serve a simulated Fracttal token endpoint and API on loopback (a development tool).",
        discussion: """
            Without --seed, seeds a demo account: groups 1 "Super Administrador" (super admin), \
            3 "Reportes", 4 "Integraciones", and an admin consumer rotord-admin whose key and secret are \
            written to --admin-credentials-dir (default ./fracttal-sim-credentials) as fracttal-admin-key \
            and fracttal-admin-secret. This is a development tool: never point it at real secrets.
            """)

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port; 0 picks a free one and prints it.") var port = 0
    @Option(help: "A JSON seed file (permission_groups, consumers).") var seed: String?
    @Option(help: "Token lifetime in seconds.") var tokenLifetime = 7200
    @Option(help: "API requests per minute for the whole account (0 = unlimited).") var requestsPerMinute = 200
    @Option(help: "Seconds of latency added to every answer.") var latency: Double = 0
    @Option(help: "Seconds before a new consumer's credentials work.") var activationDelay: Double = 0
    @Option(help: "The rate-limit window in seconds (60 at Fracttal).") var rateLimitWindow: Double = 60
    @Flag(
        help: """
            Also serve the test-control API under /_sim/ (consumers with their secrets, statistics, faults): \
            for tests only; loopback only.
            """)
    var control = false
    @Flag(
        name: .customLong("stop-on-stdin-eof"),
        help: "Stop when standard input ends (a parent's pipe: the simulator does not outlive its parent).")
    var stopOnStdinEOF = false
    @Option(help: "Where to write the demo admin's key and secret (default ./fracttal-sim-credentials).")
    var adminCredentialsDir: String?

    func run() async throws {
        var seedValue: SimulatorSeed
        var printAdmin: (String, String)?
        if let seed {
            do { seedValue = try SimulatorSeed.load(contentsOf: seed) } catch {
                FileHandle.standardError.write(Data("fracttal-sim: \(seed): not a valid seed file: \(error)\n".utf8))
                throw ExitCode(78)
            }
        } else {
            let key = SimulatorSeed.randomCredential(length: 18), secret = SimulatorSeed.randomCredential(length: 32)
            seedValue = SimulatorSeed(
                permissionGroups: [
                    .init(id: 1, name: "Super Administrador", superAdmin: true), .init(id: 3, name: "Reportes"),
                    .init(id: 4, name: "Integraciones"),
                ],
                consumers: [.init(name: "rotord-admin", permissionGroupId: 1, key: key, secret: secret)])
            do {
                let dir = adminCredentialsDir ?? FileManager.default.currentDirectoryPath + "/fracttal-sim-credentials"
                try FileManager.default.createDirectory(
                    atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                _ = FileManager.default.createFile(
                    atPath: dir + "/fracttal-admin-key", contents: Data(key.utf8),
                    attributes: [.posixPermissions: 0o600])
                _ = FileManager.default.createFile(
                    atPath: dir + "/fracttal-admin-secret", contents: Data(secret.utf8),
                    attributes: [.posixPermissions: 0o600])
                printAdmin = (key, dir)
            } catch {
                FileHandle.standardError.write(
                    Data("fracttal-sim: cannot write the admin credentials: \(error)\n".utf8))
                throw ExitCode(73)
            }
        }
        let simulator = FracttalSimulator(
            configuration: SimulatorConfiguration(
                host: host, port: port, tokenLifetime: tokenLifetime, requestsPerMinute: requestsPerMinute,
                rateLimitWindow: rateLimitWindow, control: control),
            seed: seedValue)
        var faults = SimulatorFaults()
        faults.latency = latency
        faults.newCredentialActivationDelay = activationDelay
        await simulator.setFaults(faults)
        let host = self.host, admin = printAdmin
        let server: any Service
        do {
            server = try simulator.service { bound in
                print("fracttal-sim listening on http://\(host):\(bound)")
                if let (key, dir) = admin {
                    print(
                        "admin consumer rotord-admin: key \(key.prefix(4))…, key and secret in \(dir)/fracttal-admin-key and fracttal-admin-secret"
                    )
                }
                fflush(nil)
            }
        } catch {
            FileHandle.standardError.write(Data("fracttal-sim: \(error)\n".utf8))
            throw ExitCode(1)
        }
        // Serve until SIGINT or SIGTERM (or the end of standard input): a graceful shutdown lets the
        // requests in progress finish.
        var services = [ServiceGroupConfiguration.ServiceConfiguration(service: server, serviceName: "fracttal-sim")]
        if stopOnStdinEOF {
            services.append(.init(service: StandardInputEOF(), successTerminationBehavior: .gracefullyShutdownGroup))
        }
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "fracttal-sim"))
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        do { try await ServiceGroup(configuration: configuration).run() } catch {
            FileHandle.standardError.write(Data("fracttal-sim: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
