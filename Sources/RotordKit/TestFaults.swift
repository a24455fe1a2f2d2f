import Foundation
import Glibc

/// Fault injection for crash and hang tests. Inert unless `ROTORD_TEST_FAULTS=1` is set.
///
/// - `ROTORD_CRASH_AT=<point>[,<point>…]` sends SIGKILL to the process itself at that point.
/// - `ROTORD_HANG_AT=<point>` makes the rotation loop wait forever there (the process stays alive).
/// - `ROTORD_FAULT_ONCE_FILE=<path>`: crash or hang only if this file does not exist yet, then
///   create it (so a restarted process goes on).
///
/// Points: `step:<step>` right after that step is durably recorded (e.g. `step:created`), and
/// `after:create` (the create answered, nothing recorded yet), `after:publish-first-file`,
/// `after:delete-old` (old consumer deleted, not recorded), `after:verify`.
/// See `docs/testing.md`.
public struct TestFaults: Sendable {
    let crashPoints: Set<String>
    let hangPoint: String?
    let onceFile: String?

    /// Reads the environment; everything is off without `ROTORD_TEST_FAULTS=1`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard environment["ROTORD_TEST_FAULTS"] == "1" else {
            crashPoints = []
            hangPoint = nil
            onceFile = nil
            return
        }
        crashPoints = Set((environment["ROTORD_CRASH_AT"] ?? "").split(separator: ",").map(String.init))
        hangPoint = environment["ROTORD_HANG_AT"]
        onceFile = environment["ROTORD_FAULT_ONCE_FILE"]
    }

    /// No faults.
    public static let none = TestFaults(environment: [:])

    /// Called at each point; crashes or hangs when told to.
    public func reached(_ point: String) async {
        guard crashPoints.contains(point) || hangPoint == point else { return }
        if let onceFile {
            if access(onceFile, F_OK) == 0 { return }
            let fd = open(onceFile, O_WRONLY | O_CREAT, 0o600)
            if fd >= 0 {
                fsync(fd)
                close(fd)
            }
        }
        if crashPoints.contains(point) {
            kill(getpid(), SIGKILL)
        }
        if hangPoint == point {
            FileHandle.standardError.write(Data("rotord: test fault: hanging at \(point)\n".utf8))
            while true { try? await Task.sleep(for: .seconds(3600)) }
        }
    }
}
