import Foundation
import Glibc
import RotordCore

/// How `rotord reload` learns that the daemon has applied (or refused) a new configuration:
/// the daemon rewrites `state_dir/reload.ack` with a higher generation after each SIGHUP.
package enum ReloadAcknowledgement {
    struct Ack: Codable {
        var generation: Int
        var ok: Bool
        var message: String
    }

    static func path(_ stateDirectory: String) -> String { stateDirectory + "/reload.ack" }

    static func read(_ stateDirectory: String) -> Ack? {
        guard let bytes = try? AtomicFile.read(path(stateDirectory)) else { return nil }
        return try? JSONDecoder().decode(Ack.self, from: Data(bytes))
    }

    /// Written by the daemon after a reload attempt.
    static func write(stateDirectory: String, ok: Bool, message: String) {
        let generation = (read(stateDirectory)?.generation ?? 0) + 1
        guard let data = try? JSONEncoder().encode(Ack(generation: generation, ok: ok, message: message)) else {
            return
        }
        _ = try? AtomicFile.write(Array(data), to: path(stateDirectory), mode: 0o600, skipIfUnchanged: false)
    }
}

extension Commands {
    /// `rotord reload`: SIGHUP the daemon and wait for its acknowledgement. 0 applied; 78 the new
    /// configuration is invalid (the daemon keeps the old one); 1 no daemon or no answer.
    package static func reload(_ configPath: String, pid: Int32?, timeout: Int, stateDirectory explicit: String? = nil)
        async -> Int32
    {
        // Where the daemon acknowledges: --state-dir, systemd's $STATE_DIRECTORY, the file's
        // state_dir (read leniently: the new file may be the broken one), the default.
        let environment = ProcessInfo.processInfo.environment
        let stateDirectory =
            explicit ?? environment["STATE_DIRECTORY"]?.split(separator: ":").first.map(String.init)
            ?? (try? ConfigurationLoader().load(path: configPath))?.stateDirectory
            ?? lenientStateDirectory(configPath) ?? "/var/lib/rotord"
        var target = pid
        var source = "--pid"
        if target == nil, let main = ProcessInfo.processInfo.environment["MAINPID"], let n = Int32(main) {
            target = n
            source = "$MAINPID"
        }
        if target == nil, let bytes = try? AtomicFile.read(stateDirectory + "/rotord.pid") {
            target = Int32(String(decoding: bytes, as: UTF8.self).trimmingWhitespace())
            source = stateDirectory + "/rotord.pid"
        }
        guard let target, target > 0 else {
            printError("no running daemon found (no --pid, no $MAINPID, no \(stateDirectory)/rotord.pid)")
            return ExitStatus.failure
        }
        // A pid file left behind by a kill -9 may name an unrelated process by now: signal only a
        // `rotord run` (systemd's $MAINPID is trusted as it is).
        if source != "$MAINPID", !isRotordDaemon(target) {
            printError(
                "pid \(target) (from \(source)) is not a running `rotord run`; not signalling it "
                    + "(a stale pid file? start the daemon, or pass --pid)")
            return ExitStatus.failure
        }
        let before = ReloadAcknowledgement.read(stateDirectory)?.generation ?? 0
        guard kill(target, SIGHUP) == 0 else {
            printError("cannot signal pid \(target): \(String(cString: strerror(errno)))")
            return ExitStatus.failure
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(max(timeout, 1)))
        while clock.now < deadline {
            if let ack = ReloadAcknowledgement.read(stateDirectory), ack.generation > before {
                if ack.ok {
                    print("configuration reloaded")
                    return ExitStatus.success
                }
                printError("the daemon kept its previous configuration: \(ack.message)")
                return exitConfig
            }
            try? await Task.sleep(for: Timing.reloadPoll)
        }
        printError("the daemon (pid \(target)) did not acknowledge the reload within \(timeout)s")
        return ExitStatus.failure
    }

    /// Whether `pid` is a `rotord run` (or the test build's `rotord-faults run`), from its command line.
    static func isRotordDaemon(_ pid: Int32) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/cmdline"),
            let data = try? handle.readToEnd()
        else { return false }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard let program = arguments.first?.split(separator: "/").last else { return false }
        return (program == "rotord" || program == "rotord-faults") && arguments.dropFirst().contains("run")
    }

    static func lenientStateDirectory(_ configPath: String) -> String? {
        guard let text = try? String(contentsOfFile: configPath, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("state_dir:") {
            let value = line.dropFirst("state_dir:".count).trimmingSpaces()
                .trimming { $0 == "\"" || $0 == "'" }
            if value.hasPrefix("/") { return value }
        }
        return nil
    }
}
