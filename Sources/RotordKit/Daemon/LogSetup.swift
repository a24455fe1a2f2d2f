import Logging
import SystemdSupport

/// The process-wide logging set-up: journald when stderr is connected to it, else plain stderr lines.
package enum LogSetup {
    nonisolated(unsafe) private static var bootstrapped = false

    /// A logger at `level` (trace … critical), bootstrapping the process's log handler once.
    package static func make(level: String) -> Logger {
        let parsed = Logger.Level(rawValue: level.lowercased()) ?? .info
        if !bootstrapped {
            bootstrapped = true
            SystemdEnvironment.bootstrapLogging(identifier: "rotord", level: parsed)
        }
        var logger = Logger(label: "rotord")
        logger.logLevel = parsed
        return logger
    }
}
