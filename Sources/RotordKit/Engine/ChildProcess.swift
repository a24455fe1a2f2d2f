import Glibc
import RotordCore
import Subprocess
import Synchronization
import SystemPackage

/// A program run by rotord (a hook, a probe), on swift-subprocess: spawned directly (no shell), in
/// its own process group, with **no descriptor of rotord's**, its standard input from `/dev/null`
/// and its output captured in an unlinked temporary file.
///
/// What swift-subprocess 1.0.2 does in the child (its `posix_spawn` path on glibc,
/// `swift-subprocess/Sources/Subprocess/Platforms/Subprocess+Spawn.swift` and
/// `swift-subprocess/Sources/_SubprocessCShims/process_shims.c`):
/// - every descriptor above 2 is closed by glibc's `posix_spawn_file_actions_addclosefrom_np`
///   (looked up once with `dlsym`; it is the last file action, after the `dup2`s onto 0, 1 and 2),
///   so even a descriptor another thread opens while this spawns, close-on-exec or not, is not
///   inherited. Without that action (glibc < 2.34) it forks and closes them itself, also race-free;
/// - `POSIX_SPAWN_SETSIGMASK` with an empty mask and `POSIX_SPAWN_SETSIGDEF` with every signal but
///   SIGKILL and SIGSTOP: each disposition back to its default (a superset of the SIGTERM, SIGINT,
///   SIGHUP, SIGPIPE and SIGCHLD rotord resets);
/// - `POSIX_SPAWN_SETPGROUP` with group 0 (`PlatformOptions.processGroupID`): its own group.
///
/// It is finished when it exits: swift-subprocess waits on a pidfd (epoll, on a thread of its own
/// started at the first run), no polling of `waitpid`. A background process the child leaves
/// behind holds nothing of rotord's (not a socket, not a pipe: output goes to a file), so it cannot
/// keep rotord waiting.
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

    /// The longest wait between two calls of `progress` while the child runs.
    static let progressInterval = Timing.childProgress

    /// Runs `arguments` with `environment`, for at most `timeout` (then SIGTERM to its process
    /// group, SIGKILL 2 s later). `progress` is called while waiting, at least every
    /// ``progressInterval``. Cancelling the calling task does not cut the run short (nor did it
    /// before swift-subprocess): the child runs to its end or its timeout.
    static func run(
        _ arguments: [String], environment: [String: String], timeout: Duration,
        progress: @escaping @Sendable () -> Void = {}
    ) async -> Result {
        guard let program = arguments.first, program.hasPrefix("/") else {
            return Result(ending: .couldNotStart("not an absolute path"), output: "", outputTruncated: false)
        }
        // Output goes to an unlinked file: nothing for a lingering grandchild to hold open on our side.
        let outputFD = Self.anonymousFile()
        let sink = outputFD >= 0 ? outputFD : open("/dev/null", O_WRONLY | O_CLOEXEC)
        guard sink >= 0 else {
            return Result(
                ending: .couldNotStart("cannot open /dev/null: \(String(cString: strerror(errno)))"),
                output: "", outputTruncated: false)
        }
        defer { close(sink) }
        // Not a child of this task: its cancellation would end the child through swift-subprocess.
        let ending = await Task {
            await Self.supervise(
                program: program, arguments: Array(arguments.dropFirst()), environment: environment,
                output: sink, timeout: timeout, progress: progress)
        }.value
        let (output, truncated) = outputFD >= 0 ? Self.readOutput(outputFD) : ("", false)
        return Result(ending: ending, output: output, outputTruncated: truncated)
    }

    /// The child's pid once it is spawned (0 until then), shared by the two tasks of ``supervise``.
    private final class SpawnedProcess: Sendable {
        let pid = Atomic<pid_t>(0)
    }

    /// What one of the two tasks of ``supervise`` saw.
    private enum Event: Sendable {
        case ended(Ending)
        case timedOut
        case stopped
    }

    /// Runs the program (first task) and watches the time (second task): `progress` every
    /// ``progressInterval``, and at the deadline SIGTERM to the group, SIGKILL 2 s later.
    private static func supervise(
        program: String, arguments: [String], environment: [String: String], output: Int32, timeout: Duration,
        progress: @escaping @Sendable () -> Void
    ) async -> Ending {
        let options = {
            var options = PlatformOptions()
            options.processGroupID = 0  // a group of its own, whose id is the child's pid
            return options
        }()
        let variables = Self.environment(environment)
        let sink = FileDescriptor(rawValue: output)
        let spawned = SpawnedProcess()
        return await withTaskGroup(of: Event.self) { group in
            group.addTask {
                do {
                    let record = try await Subprocess.run(
                        .path(FilePath(program)), arguments: Arguments(arguments), environment: variables,
                        platformOptions: options, input: .none,
                        output: .fileDescriptor(sink, closeAfterSpawningProcess: false),
                        error: .fileDescriptor(sink, closeAfterSpawningProcess: false)
                    ) { execution in
                        spawned.pid.store(execution.processIdentifier.value, ordering: .releasing)
                    }
                    switch record.terminationStatus {
                    case .exited(let status): return .ended(.exited(status))
                    case .signaled(let signal): return .ended(.signalled(signal))
                    }
                } catch {
                    return .ended(.couldNotStart(Self.reason(error, program: program)))
                }
            }
            group.addTask {
                let clock = ContinuousClock()
                let deadline = clock.now.advanced(by: timeout)
                var pid: pid_t = 0
                // Ends when the run does (this task is then cancelled) or at the deadline.
                while true {
                    if Task.isCancelled { return .stopped }
                    let now = clock.now
                    if now >= deadline {
                        pid = spawned.pid.load(ordering: .acquiring)
                        // A child that has already ended is not timed out, however late this task
                        // runs (a busy executor can resume it after the child's exit): the first
                        // task reports how it ended.
                        if pid > 0 && Self.hasEnded(pid) { return .stopped }
                        if pid > 0 { break }
                    }
                    progress()
                    let wait = now < deadline ? min(progressInterval, now.duration(to: deadline)) : progressInterval
                    try? await Task.sleep(for: wait)
                }
                kill(-pid, SIGTERM)
                // Cut short when the child has exited; the group is killed all the same, for what
                // the child left behind in it.
                try? await Task.sleep(for: Timing.childKillGrace)
                kill(-pid, SIGKILL)
                return .timedOut
            }
            var ending: Ending?
            var timedOut = false
            for await event in group {
                switch event {
                case .ended(let end):
                    ending = end
                    group.cancelAll()
                case .timedOut: timedOut = true
                case .stopped: break
                }
            }
            return timedOut ? .timedOut : ending ?? .timedOut
        }
    }

    /// `variables` as swift-subprocess's environment, replacing rotord's (a name it cannot take is left out).
    static func environment(_ variables: [String: String]) -> Environment {
        .custom(
            Dictionary(
                variables.compactMap { key, value in Environment.Key(rawValue: key).map { ($0, value) } },
                uniquingKeysWith: { first, _ in first }))
    }

    /// Whether the child `pid` has ended: a zombie not yet reaped, or already reaped (by
    /// swift-subprocess). Looks without reaping (`WNOWAIT`).
    static func hasEnded(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return errno == ECHILD }
        return info._sifields._sigchld.si_pid == pid
    }

    /// Why `program` could not start, as `strerror` says it where the error carries an `errno`.
    static func reason(_ error: any Error, program: String) -> String {
        guard let failure = error as? SubprocessError else { return "\(error)" }
        if failure.code == .executableNotFound || failure.underlyingError?.rawValue == ENOENT {
            // swift-subprocess reports a missing and a non-executable file alike: tell them apart.
            return access(program, X_OK) == 0 ? "\(failure)" : String(cString: strerror(errno))
        }
        if let underlying = failure.underlyingError { return String(cString: strerror(underlying.rawValue)) }
        return "\(failure)"
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

    static func readOutput(_ fd: Int32) -> (String, Bool) {
        let size = lseek(fd, 0, SEEK_END)
        var buffer = [UInt8](repeating: 0, count: outputLimit)
        let count = pread(fd, &buffer, outputLimit, 0)
        guard count > 0 else { return ("", false) }
        return (String(decoding: buffer[0..<count], as: UTF8.self), size > outputLimit)
    }
}
