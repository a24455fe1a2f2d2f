import CPosixSpawn
import Foundation
import Glibc
import RotordCore

/// A program run by rotord (a hook, a probe): spawned directly (no shell), in its own process
/// group, with **no descriptor of rotord's** (everything above 2 is closed in the child), its
/// standard input from `/dev/null` and its output captured in an unlinked temporary file.
///
/// It is finished when it exits: a background process it leaves behind holds nothing of rotord's
/// (not a socket, not a pipe: output goes to a file), so it cannot keep rotord waiting. This is why
/// rotord does not use Foundation's `Process` here: a child of `Process` inherited a descriptor
/// whose closing `Process` waited for.
struct ChildProcess {
    /// How a run ended.
    enum Ending: Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        case couldNotStart(String)
    }

    /// The ending and the first `outputLimit` bytes of standard output and error (interleaved).
    struct Result {
        var ending: Ending
        var output: String
        var outputTruncated: Bool
    }

    /// The most output kept.
    static let outputLimit = 4096

    /// Runs `arguments` with `environment`, for at most `timeout` (then SIGTERM to its process
    /// group, SIGKILL 2 s later). `progress` is called while waiting.
    static func run(
        _ arguments: [String], environment: [String: String], timeout: Duration,
        progress: @Sendable () -> Void = {}
    ) async -> Result {
        guard let program = arguments.first, program.hasPrefix("/") else {
            return Result(ending: .couldNotStart("not an absolute path"), output: "", outputTruncated: false)
        }
        // Output goes to an unlinked file: nothing for a lingering grandchild to hold open on our side.
        let outputFD = Self.anonymousFile()
        defer { if outputFD >= 0 { close(outputFD) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if outputFD >= 0 {
            posix_spawn_file_actions_adddup2(&actions, outputFD, 1)
            posix_spawn_file_actions_adddup2(&actions, outputFD, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        // Whatever rotord has open (sockets, the state lock, the journal), the child does not get,
        // close-on-exec or not, even a descriptor another thread opens while this spawns: glibc
        // closes every descriptor above 2 in the child (`posix_spawn_file_actions_addclosefrom_np`).
        let closing = rotord_spawn_addclosefrom(&actions, 3)
        guard closing == 0 else {
            return Result(
                ending: .couldNotStart("cannot prepare the child's descriptors: \(String(cString: strerror(closing)))"),
                output: "", outputTruncated: false)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaultSignals, signal) }
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            return Result(
                ending: .couldNotStart(String(cString: strerror(rc))), output: "", outputTruncated: false)
        }

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        // Polls of 1–2 ms, then doubling up to 50–100 ms (the one `Backoff`, equal jitter).
        let polls = Backoff(initial: .milliseconds(2), maximum: .milliseconds(100), jitter: .equal)
        var attempt = 0
        var status: Int32 = 0
        var ending: Ending?
        while ending == nil {
            attempt += 1
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                ending = Self.ending(status)
                break
            }
            if reaped < 0 && errno != EINTR {
                ending = .couldNotStart("lost track of the process: \(String(cString: strerror(errno)))")
                break
            }
            if clock.now >= deadline {
                kill(-pid, SIGTERM)
                let grace = clock.now.advanced(by: .seconds(2))
                while waitpid(pid, &status, WNOHANG) == 0 && clock.now < grace {
                    try? await Task.sleep(for: .milliseconds(20))
                }
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                ending = .timedOut
                break
            }
            progress()
            try? await Task.sleep(for: polls.delay(attempt: attempt))
        }
        let (output, truncated) = outputFD >= 0 ? Self.readOutput(outputFD) : ("", false)
        return Result(ending: ending ?? .timedOut, output: output, outputTruncated: truncated)
    }

    /// A read-write file with no name, for the child's output (`-1` if none can be made).
    static func anonymousFile() -> Int32 {
        var template = Array("/tmp/rotord-hook-output.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return -1 }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    static func ending(_ status: Int32) -> Ending {
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    static func readOutput(_ fd: Int32) -> (String, Bool) {
        let size = lseek(fd, 0, SEEK_END)
        var buffer = [UInt8](repeating: 0, count: outputLimit)
        let count = pread(fd, &buffer, outputLimit, 0)
        guard count > 0 else { return ("", false) }
        return (String(decoding: buffer[0..<count], as: UTF8.self), size > outputLimit)
    }
}
