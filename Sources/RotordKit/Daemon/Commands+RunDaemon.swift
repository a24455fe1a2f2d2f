import Glibc
import Logging
import ServiceLifecycle

extension Commands {
    /// `rotord run`: the ``Daemon`` and, when systemd enabled the watchdog, its ``WatchdogPinger``
    /// in one `ServiceGroup` that shuts down gracefully on SIGTERM and SIGINT. 0 once stopped; 78 the
    /// configuration is invalid.
    package static func runDaemon(_ configPath: String, logLevel: String, faults: any FaultInjector = NoFaults())
        async -> Int32
    {
        let logger = LogSetup.make(level: logLevel)
        let daemon: Daemon
        do {
            daemon = try await Daemon(configPath: configPath, logger: logger, faults: faults)
        } catch {
            printError(error.description)
            return exitConfig
        }
        // A second SIGTERM while the current step finishes must not end rotord by default action.
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        // Shut down in reverse order: the daemon first, the pinger once the daemon has stopped.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let pinger = daemon.watchdogPinger() { services.append(.init(service: pinger, serviceName: "watchdog")) }
        services.append(
            .init(service: daemon, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "rotord"))
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("rotord stopped unexpectedly: \(error)")
            return ExitStatus.failure
        }
        return ExitStatus.success
    }
}
