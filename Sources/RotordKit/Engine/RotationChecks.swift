import Logging
import RotordCore

/// What a check of a published credential is told: whose it is and where it was written.
package struct CheckRequest: Sendable, Hashable {
    /// The consumer's name.
    package var consumer: String
    /// The rotation's id.
    package var rotationID: String
    /// The deliver files the rotation wrote.
    package var files: [String]
    /// The new key, masked (`ROTORD_KEY` of a probe).
    package var maskedKey: String?
    /// Every secret rotord knows for this consumer (new, old when known): masked in any output that is logged.
    package var secrets: [String]

    /// Creates a request.
    package init(consumer: String, rotationID: String, files: [String], maskedKey: String?, secrets: [String]) {
        self.consumer = consumer
        self.rotationID = rotationID
        self.files = files
        self.maskedKey = maskedKey
        self.secrets = secrets
    }
}

/// The checks that confirm that a service took a published credential: a consumer's `after_publish`
/// actions and its adoption probe (`probe:`).
///
/// In production they run as child processes (``ProcessChecks``); the engine simulation
/// (`RotordTestKit`) answers them with seeded outcomes, so that a history of thousands of passes
/// spawns nothing.
package protocol RotationChecks: Sendable {
    /// Runs `actions` in order; returns the descriptions of those that failed (empty: all passed, or there are
    /// none).
    func runActions(
        _ actions: [PublishHook], for request: CheckRequest, logger: Logger, onProgress: @escaping @Sendable () -> Void
    ) async -> [String]

    /// Runs `probe`; returns the description of its failure, empty when it passed or there is none.
    func runProbe(
        _ probe: AdoptionProbe?, for request: CheckRequest, logger: Logger, onProgress: @escaping @Sendable () -> Void
    ) async -> [String]
}

/// The checks as child processes: ``HookRunner`` and ``ProbeRunner``.
package struct ProcessChecks: RotationChecks {
    /// Secrets masked in every check's output besides the request's own: rotord's admin key and secret.
    package var alsoMask: [String]

    /// Creates the checks; `alsoMask` lists secrets to mask in their output besides each rotation's own.
    package init(alsoMask: [String] = []) { self.alsoMask = alsoMask }

    package func runActions(
        _ actions: [PublishHook], for request: CheckRequest, logger: Logger, onProgress: @escaping @Sendable () -> Void
    ) async -> [String] {
        await HookRunner(logger: logger, onProgress: onProgress).run(
            actions, consumer: request.consumer, rotationID: request.rotationID, files: request.files,
            secrets: request.secrets + alsoMask)
    }

    package func runProbe(
        _ probe: AdoptionProbe?, for request: CheckRequest, logger: Logger, onProgress: @escaping @Sendable () -> Void
    ) async -> [String] {
        await ProbeRunner(logger: logger, onProgress: onProgress).run(
            probe, consumer: request.consumer, rotationID: request.rotationID, files: request.files,
            maskedKey: request.maskedKey, secrets: request.secrets + alsoMask)
    }
}
