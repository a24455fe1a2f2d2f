import Foundation
import Glibc
import RotordKit

/// Fault injection for crash and hang tests, read from the environment of `rotord-faults` (a
/// test-only build of rotord; the shipped `rotord` has no such code).
///
/// - `ROTORD_CRASH_AT=<point>[,<point>…]` sends SIGKILL to the process itself at that point.
/// - `ROTORD_HANG_AT=<point>` makes the rotation loop wait forever there (the process stays alive).
/// - `ROTORD_FAULT_ONCE_FILE=<path>`: crash or hang only if this file does not exist yet, then
///   create it (so a restarted process goes on).
/// - `ROTORD_FAULT_CLOCK_OFFSET=<seconds>` moves the wall clock of the rotation passes of
///   `run --once` and `rotate` by that many seconds (a decimal number; negative: earlier).
///
/// Points: see ``FaultInjector``; docs/testing.md lists them.
struct EnvironmentFaults: FaultInjector {
    let crashPoints: Set<String>
    let hangPoint: String?
    let onceFile: String?
    let wallClock: any WallClock

    /// Reads the environment. An offset that is not a finite number stops the process (exit 78,
    /// naming the variable), so a test never runs with the clock it did not ask for.
    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        crashPoints = Set((environment["ROTORD_CRASH_AT"] ?? "").split(separator: ",").map(String.init))
        hangPoint = environment["ROTORD_HANG_AT"]
        onceFile = environment["ROTORD_FAULT_ONCE_FILE"]
        if let text = environment["ROTORD_FAULT_CLOCK_OFFSET"] {
            guard let offset = TimeInterval(text), offset.isFinite else {
                FileHandle.standardError.write(
                    Data("rotord: test fault: ROTORD_FAULT_CLOCK_OFFSET=\(text) is not a number of seconds\n".utf8))
                exit(78)
            }
            wallClock = OffsetWallClock(offset: offset)
        } else {
            wallClock = SystemWallClock()
        }
    }

    /// Crashes or hangs when told to.
    func reached(_ point: String) async {
        guard crashPoints.contains(point) || hangPoint == point else { return }
        if let onceFile {
            if access(onceFile, F_OK) == 0 { return }
            let fd = open(onceFile, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
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
