import Foundation
import Logging
import Synchronization

/// The simulation's log: nothing is printed; every line is checked for every secret the account
/// ever handed out (a secret in a log is a violation), and the last lines are kept for a failure's report.
package struct SimulationLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    private let ledger: SimulationLedger
    private let secrets: @Sendable () -> [String]
    private let echo: Bool

    /// A handler that checks lines against `secrets()` and reports into `ledger`; `echo` also prints them (to replay
    /// a seed with the engine's own account of it: `ROTORD_SIMULATION_LOG=1`).
    package init(ledger: SimulationLedger, echo: Bool = false, secrets: @escaping @Sendable () -> [String]) {
        self.ledger = ledger
        self.echo = echo
        self.secrets = secrets
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var text = "\(event.message)"
        for (key, value) in (event.metadata ?? [:]).merging(metadata, uniquingKeysWith: { a, _ in a }) {
            text += " \(key)=\(value)"
        }
        var masked = text
        for secret in secrets() where masked.contains(secret) {
            masked = masked.replacingOccurrences(of: secret, with: "<SECRET>")
        }
        if masked != text { ledger.violate("secret", "a log line holds a secret: \(masked)") }
        // Printed masked: a replay must not print the secret it caught.
        if echo { print("    log[step \(ledger.with { $0.step })] \(event.level): \(masked)") }
    }
}
