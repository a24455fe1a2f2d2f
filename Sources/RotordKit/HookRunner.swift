import Foundation
import RotordCore

/// Runs `after_publish` hooks: `systemctl reload UNIT`, or a program with arguments (no shell).
///
/// Hooks get `ROTORD_CONSUMER`, `ROTORD_ROTATION_ID` and `ROTORD_FILES` (colon-separated) in their
/// environment; never the secret. Their output is not logged (it could hold anything).
public struct HookRunner: Sendable {
    /// The systemctl to call for `reload:`.
    public var systemctl: String
    /// Called while waiting, so the watchdog sees progress.
    public var onProgress: @Sendable () -> Void

    /// Creates a runner.
    public init(
        systemctl: String = "/bin/systemctl",
        onProgress: @escaping @Sendable () -> Void = {}
    ) {
        self.systemctl = systemctl
        self.onProgress = onProgress
    }

    /// Runs every hook in order, returning descriptions of those that failed.
    public func run(_ hooks: [PublishHook], consumer: String, rotationID: String, files: [String]) async -> [String] {
        var failures: [String] = []
        for hook in hooks {
            let (arguments, timeout): ([String], ConfigDuration) =
                switch hook {
                case .reload(let unit, let timeout): ([systemctl, "reload", unit], timeout)
                case .exec(let arguments, let timeout): (arguments, timeout)
                }
            var environment = ProcessInfo.processInfo.environment
            for name in environment.keys
            where name.hasPrefix("ROTORD_") || name == "NOTIFY_SOCKET" || name.hasPrefix("WATCHDOG_") {
                environment[name] = nil
            }
            environment["ROTORD_CONSUMER"] = consumer
            environment["ROTORD_ROTATION_ID"] = rotationID
            environment["ROTORD_FILES"] = files.joined(separator: ":")
            if let problem = await runProcess(arguments, environment: environment, timeout: timeout) {
                failures.append("\(hook): \(problem)")
            }
        }
        return failures
    }

    /// Runs a program; `nil` on exit 0, else what went wrong.
    func runProcess(_ arguments: [String], environment: [String: String], timeout: ConfigDuration) async -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return "could not start \(arguments[0]): \(error.localizedDescription)" }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(max(timeout.seconds, 1)))
        var delay = Duration.milliseconds(5)
        while process.isRunning && clock.now < deadline {
            onProgress()
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .milliseconds(100))
        }
        if process.isRunning {
            process.terminate()
            let grace = clock.now.advanced(by: .seconds(2))
            while process.isRunning && clock.now < grace { try? await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return "timed out after \(timeout)"
        }
        process.waitUntilExit()
        switch process.terminationReason {
        case .exit where process.terminationStatus == 0: return nil
        case .exit: return "exited with status \(process.terminationStatus)"
        case .uncaughtSignal: return "killed by signal \(process.terminationStatus)"
        @unknown default: return "ended abnormally"
        }
    }
}
