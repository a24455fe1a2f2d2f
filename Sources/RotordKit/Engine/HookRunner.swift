import Foundation
import Logging
import RotordCore

/// Runs `after_publish` hooks: `systemctl reload|restart|try-restart UNIT`, or a program with arguments (no shell).
///
/// Hooks get `ROTORD_CONSUMER`, `ROTORD_ROTATION_ID` and `ROTORD_FILES` (colon-separated) in their
/// environment; never a secret, nor rotord's own variables (``environment(consumer:rotationID:files:inheriting:)``).
/// Each runs as a ``ChildProcess``: none of rotord's descriptors, finished when it exits. Its output
/// (at most 4 KiB) goes to the log with the consumer and rotation fields, with every secret rotord
/// knows masked should a hook print it, even one cut by the 4 KiB limit (``masked(_:secrets:)``).
package struct HookRunner: Sendable {
    /// The systemctl to call for `reload:`.
    package var systemctl: String
    /// Called while waiting, so the watchdog sees progress.
    package var onProgress: @Sendable () -> Void
    /// Where hook output and failures are logged.
    package var logger: Logger
    /// The environment hooks inherit, before rotord's own variables are removed: rotord's.
    package var inheritedEnvironment: [String: String]

    /// Creates a runner; `inheritedEnvironment` is rotord's environment unless a test gives another.
    package init(
        systemctl: String = "/bin/systemctl", logger: Logger = Logger(label: "rotord"),
        onProgress: @escaping @Sendable () -> Void = {},
        inheritedEnvironment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.systemctl = systemctl
        self.logger = logger
        self.onProgress = onProgress
        self.inheritedEnvironment = inheritedEnvironment
    }

    /// Runs every hook in order, returning descriptions of those that failed. Every secret of
    /// `secrets` (the new secret, the old one when known, the admin key and secret), and `secret`
    /// when given, is masked in the hooks' output before it is logged.
    package func run(
        _ hooks: [PublishHook], consumer: String, rotationID: String, files: [String], secret: String? = nil,
        secrets: [String] = []
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
            let environment = Self.environment(
                consumer: consumer, rotationID: rotationID, files: files, inheriting: inheritedEnvironment)
            let result = await ChildProcess.run(
                arguments, environment: environment, timeout: .seconds(max(timeout.seconds, 1)),
                progress: onProgress)
            let problem = Self.problem(result.ending, timeout: timeout, program: arguments[0])
            Self.logOutput(
                result, of: "after_publish hook", field: ("rotord_hook", "\(hook)"), consumer: consumer,
                rotationID: rotationID, secret: secret, secrets: secrets, failed: problem != nil, logger: logger)
            if let problem { failures.append("\(hook): \(problem)") }
        }
        return failures
    }

    /// Logs a child's output (if any) with the consumer and rotation fields, `secret` and every
    /// secret of `secrets` masked (``masked(_:secrets:)``); at warning level when the child failed.
    /// One place for hooks and probes.
    static func logOutput(
        _ result: ChildProcess.Result, of what: String, field: (String, String), consumer: String, rotationID: String,
        secret: String? = nil, secrets: [String] = [], failed: Bool, logger: Logger
    ) {
        let text = masked(result.output, secrets: secrets + (secret.map { [$0] } ?? []))
        guard !text.isEmpty else { return }
        let metadata: Logger.Metadata = [
            "rotord_consumer": "\(consumer)", "rotord_rotation_id": "\(rotationID)", field.0: "\(field.1)",
        ]
        let message: Logger.Message =
            "\(what) output (\(field.1))\(result.outputTruncated ? ", first 4 KiB" : ""): \(text)"
        if failed { logger.warning(message, metadata: metadata) } else { logger.info(message, metadata: metadata) }
    }

    /// `output` without surrounding whitespace, each of `secrets` replaced by its mask
    /// (``KeyMask/mask(_:)``: its first 4 characters and `…`), longest first. When the output ends
    /// with the first 4 or more characters of a secret (one cut by the 4 KiB limit), that end is
    /// masked too, so no more than 4 characters of any secret are ever logged.
    static func masked(_ output: String, secrets: [String]) -> String {
        let known = Set(secrets.filter { !$0.isEmpty }).sorted { $0.count > $1.count }
        var text = output
        for secret in known { text = text.replacingOccurrences(of: secret, with: KeyMask.mask(secret)) }
        text = text.trimmingWhitespace()
        var cut: (length: Int, secret: String)? = nil
        for secret in known {
            let longest = stride(from: secret.count - 1, through: 4, by: -1).first { text.hasSuffix(secret.prefix($0)) }
            if let longest, longest > (cut?.length ?? 0) { cut = (longest, secret) }
        }
        if let cut { text = String(text.dropLast(cut.length)) + KeyMask.mask(cut.secret) }
        return text
    }

    /// `inheriting` (rotord's environment) without rotord's own variables: `ROTORD_*`,
    /// `NOTIFY_SOCKET`, `WATCHDOG_*` and `CREDENTIALS_DIRECTORY` (under systemd, the directory of
    /// rotord's admin key and secret, `LoadCredential=`); plus `ROTORD_CONSUMER`,
    /// `ROTORD_ROTATION_ID` and `ROTORD_FILES` (colon-separated).
    static func environment(
        consumer: String, rotationID: String, files: [String],
        inheriting: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String: String] {
        var environment = inheriting
        for name in environment.keys
        where name.hasPrefix("ROTORD_") || name == "NOTIFY_SOCKET" || name.hasPrefix("WATCHDOG_")
            || name == "CREDENTIALS_DIRECTORY"
        {
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
