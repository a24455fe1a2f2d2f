import Foundation
import Logging
import RotordCore

/// Runs `after_publish` hooks: `systemctl reload|restart|try-restart UNIT`, or a program with arguments (no shell).
///
/// Hooks get `ROTORD_CONSUMER`, `ROTORD_ROTATION_ID` and `ROTORD_FILES` (colon-separated) in their
/// environment; never the secret. Each runs as a ``ChildProcess``: none of rotord's descriptors,
/// finished when it exits. Its output (at most 4 KiB) goes to the log with the consumer and rotation
/// fields, with the new secret masked should a hook print it.
package struct HookRunner: Sendable {
    /// The systemctl to call for `reload:`.
    package var systemctl: String
    /// Called while waiting, so the watchdog sees progress.
    package var onProgress: @Sendable () -> Void
    /// Where hook output and failures are logged.
    package var logger: Logger

    /// Creates a runner.
    package init(
        systemctl: String = "/bin/systemctl", logger: Logger = Logger(label: "rotord"),
        onProgress: @escaping @Sendable () -> Void = {}
    ) {
        self.systemctl = systemctl
        self.logger = logger
        self.onProgress = onProgress
    }

    /// Runs every hook in order, returning descriptions of those that failed. `secret`, when given,
    /// is masked in the hooks' output before it is logged.
    package func run(
        _ hooks: [PublishHook], consumer: String, rotationID: String, files: [String], secret: String? = nil
    ) async -> [String] {
        var failures: [String] = []
        for hook in hooks {
            let (arguments, timeout): ([String], ConfigDuration) =
                switch hook {
                case .reload(let unit, let timeout): ([systemctl, "reload", unit], timeout)
                case .restart(let unit, let timeout): ([systemctl, "restart", unit], timeout)
                case .tryRestart(let unit, let timeout): ([systemctl, "try-restart", unit], timeout)
                case .exec(let arguments, let timeout): (arguments, timeout)
                }
            let environment = Self.environment(consumer: consumer, rotationID: rotationID, files: files)
            let result = await ChildProcess.run(
                arguments, environment: environment, timeout: .seconds(max(timeout.seconds, 1)),
                progress: onProgress)
            let problem = Self.problem(result.ending, timeout: timeout, program: arguments[0])
            Self.logOutput(
                result, of: "after_publish hook", field: ("rotord_hook", "\(hook)"), consumer: consumer,
                rotationID: rotationID, secret: secret, failed: problem != nil, logger: logger)
            if let problem { failures.append("\(hook): \(problem)") }
        }
        return failures
    }

    /// Logs a child's output (if any) with the consumer and rotation fields, `secret` masked; at
    /// warning level when the child failed. One place for hooks and probes.
    static func logOutput(
        _ result: ChildProcess.Result, of what: String, field: (String, String), consumer: String, rotationID: String,
        secret: String?, failed: Bool, logger: Logger
    ) {
        var output = result.output
        if let secret, !secret.isEmpty { output = output.replacingOccurrences(of: secret, with: KeyMask.mask(secret)) }
        let text = output.trimmingWhitespace()
        guard !text.isEmpty else { return }
        let metadata: Logger.Metadata = [
            "rotord_consumer": "\(consumer)", "rotord_rotation_id": "\(rotationID)", field.0: "\(field.1)",
        ]
        let message: Logger.Message =
            "\(what) output (\(field.1))\(result.outputTruncated ? ", first 4 KiB" : ""): \(text)"
        if failed { logger.warning(message, metadata: metadata) } else { logger.info(message, metadata: metadata) }
    }

    /// rotord's environment without its own variables (`ROTORD_*`, `NOTIFY_SOCKET`, `WATCHDOG_*`), plus
    /// `ROTORD_CONSUMER`, `ROTORD_ROTATION_ID` and `ROTORD_FILES` (colon-separated).
    static func environment(consumer: String, rotationID: String, files: [String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in environment.keys
        where name.hasPrefix("ROTORD_") || name == "NOTIFY_SOCKET" || name.hasPrefix("WATCHDOG_") {
            environment[name] = nil
        }
        environment["ROTORD_CONSUMER"] = consumer
        environment["ROTORD_ROTATION_ID"] = rotationID
        environment["ROTORD_FILES"] = files.joined(separator: ":")
        return environment
    }

    /// `nil` on exit 0, else what went wrong.
    static func problem(_ ending: ChildProcess.Ending, timeout: ConfigDuration, program: String) -> String? {
        switch ending {
        case .exited(0): nil
        case .exited(let status): "exited with status \(status)"
        case .signalled(let signal): "killed by signal \(signal)"
        case .timedOut: "timed out after \(timeout)"
        case .couldNotStart(let reason): "could not start \(program): \(reason)"
        }
    }
}
