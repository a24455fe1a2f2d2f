import Foundation
import FracttalClient
import Logging
import RotordCore

/// Everything a command needs, built from the configuration file: the configuration, the state
/// store, and the Fracttal client behind a ``ConsumerAccount``.
package struct RotationResources: Sendable {
    /// The configuration.
    package var configuration: RotordConfiguration
    /// The state directory.
    package var store: StateStore
    /// The consumers' home.
    package var directory: any ConsumerAccount
    /// The logger.
    package var logger: Logger
    /// The Fracttal client's request budget, handed to the next context on a reload so the rate-limit
    /// state survives the client's rebuild.
    package var requestBudget: SharedRequestBudget?
    /// rotord's own admin key and secret: masked in the output of every action and probe.
    package var adminPair: [String] = []

    /// The consumers' actions and probes as child processes, with the admin pair masked in their output.
    package var checks: ProcessChecks { ProcessChecks(alsoMask: adminPair) }

    /// Loads `configPath`, reads the admin credentials, opens the state directory.
    ///
    /// `progress` is called while the Fracttal client waits for its request budget (see
    /// ``Daemon``: a rate-limit wait is progress for the watchdog, not a hang).
    package static func load(
        configPath: String, logger: Logger, createState: Bool = true, progress: @escaping @Sendable () -> Void = {}
    ) async throws(ConfigurationErrors) -> RotationResources {
        let configuration = try ConfigurationLoader().load(path: configPath)
        return try await make(
            configuration: configuration, configPath: configPath, logger: logger, createState: createState,
            progress: progress)
    }

    /// Builds a context from an already loaded configuration.
    ///
    /// `budget` is the request budget of the context this one replaces (a reload), kept so that a
    /// rebuilt client does not start from a full budget. `sendGate` is asked before every Fracttal request (a
    /// fleet's fence, ``FleetGate``).
    package static func make(
        configuration: RotordConfiguration, configPath: String, logger: Logger, createState: Bool = true,
        progress: @escaping @Sendable () -> Void = {}, budget: SharedRequestBudget? = nil,
        sendGate: (@Sendable () -> String?)? = nil
    ) async throws(ConfigurationErrors) -> RotationResources {
        let store: StateStore
        do { store = try StateStore(directory: configuration.stateDirectory, create: createState) } catch {
            throw ConfigurationErrors(errors: [
                .init(file: configPath, key: "state_dir", message: "\(error)")
            ])
        }
        let credentials: FracttalCredentials
        if configuration.cluster?.leaderEligible == false {
            // A fleet host that may never lead never acts on Fracttal (its client's send gate refuses every request):
            // it needs no admin pair, and holds none (docs/fleet.md).
            credentials = FracttalCredentials(key: "", secret: "")
        } else {
            do {
                credentials = try await AdminCredentials.load(
                    configuration.fracttal, configPath: configPath, store: store)
            } catch {
                throw ConfigurationErrors(errors: [error])
            }
        }
        let settings = configuration.fracttal
        // Every rotord of this host with this state directory spends one budget (the account's).
        let budget =
            budget
            ?? SharedRequestBudget(
                limit: settings.requestsPerMinute, ledgerPath: store.directory + "/" + StateStore.requestBudgetFile)
        for warning in settings.plaintextWarnings { logger.warning("\(configPath): \(warning)") }
        let client = FracttalClient(
            configuration: FracttalClientConfiguration(
                tokenURL: settings.tokenURL, apiURL: settings.apiURL,
                clientAuthentication: settings.clientAuth == .form ? .form : .basic,
                requestsPerMinute: settings.requestsPerMinute, timeout: .seconds(settings.timeout.seconds),
                consumersPath: settings.consumersPath, permissionGroupsPath: settings.permissionGroupsPath),
            credentials: credentials, logger: logger, onWait: progress, budget: budget, sendGate: sendGate)
        return RotationResources(
            configuration: configuration, store: store,
            directory: FracttalConsumerAccount(client: client, adminKey: credentials.key), logger: logger,
            requestBudget: client.requestBudget,
            adminPair: credentials.key.isEmpty ? [] : [credentials.key, credentials.secret])
    }
}
