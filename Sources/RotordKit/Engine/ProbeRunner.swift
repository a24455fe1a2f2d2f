import Foundation
import Logging
import RotordCore

/// Runs a consumer's adoption probe (`probe:`), the command that must succeed before the old consumer is
/// deleted. Like ``HookRunner``, it runs as a ``ChildProcess`` with `ROTORD_CONSUMER`, `ROTORD_ROTATION_ID`,
/// `ROTORD_FILES` (colon-separated) and `ROTORD_KEY` (the new key, masked) in its environment, never a
/// secret nor rotord's own variables (`CREDENTIALS_DIRECTORY` among them); its output (at most 4 KiB) is
/// logged with every secret rotord knows masked.
package struct ProbeRunner: Sendable {
    /// Called while waiting, so the watchdog sees progress.
    package var onProgress: @Sendable () -> Void
    /// Where the probe's output is logged.
    package var logger: Logger
    /// The environment the probe inherits, before rotord's own variables are removed: rotord's.
    package var inheritedEnvironment: [String: String]

    /// Creates a runner; `inheritedEnvironment` is rotord's environment unless a test gives another.
    package init(
        logger: Logger = Logger(label: "rotord"), onProgress: @escaping @Sendable () -> Void = {},
        inheritedEnvironment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.logger = logger
        self.onProgress = onProgress
        self.inheritedEnvironment = inheritedEnvironment
    }

    /// Runs `probe`; returns the description of its failure, or an empty list when it passed (or is `nil`).
    /// Every secret of `secrets` (the new secret, the old one when known, the admin key and secret), and
    /// `secret` when given, is masked in the probe's output before it is logged.
    package func run(
        _ probe: AdoptionProbe?, consumer: String, rotationID: String, files: [String], maskedKey: String?,
        secret: String? = nil, secrets: [String] = []
    ) async -> [String] {
        guard let probe, let program = probe.arguments.first else { return [] }
        var environment = HookRunner.environment(
            consumer: consumer, rotationID: rotationID, files: files, inheriting: inheritedEnvironment)
        environment["ROTORD_KEY"] = maskedKey ?? ""
        let result = await ChildProcess.run(
            probe.arguments, environment: environment, timeout: .seconds(max(probe.timeout.seconds, 1)),
            progress: onProgress)
        let problem = HookRunner.problem(result.ending, timeout: probe.timeout, program: program)
        HookRunner.logOutput(
            result, of: "probe", field: ("rotord_probe", "\(probe)"), consumer: consumer, rotationID: rotationID,
            secret: secret, secrets: secrets, failed: problem != nil, logger: logger)
        return problem.map { ["\(probe): \($0)"] } ?? []
    }
}
