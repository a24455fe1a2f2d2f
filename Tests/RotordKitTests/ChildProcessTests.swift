import Foundation
import Glibc
import Logging
import Synchronization
import Testing

@testable import RotordKit

/// Hooks and probes run as ``ChildProcess``: no inherited descriptor, finished when they exit,
/// output captured and bounded.
@Suite struct ChildProcessTests {
    @Test func theChildGetsNoDescriptorOfOurs() async throws {
        // Something of ours that is open and not close-on-exec, as a careless library might leave it.
        let fd = open("/dev/null", O_RDONLY)
        defer { close(fd) }
        #expect(fd > 2)
        let result = await ChildProcess.run(
            ["/bin/sh", "-c", "ls /proc/self/fd"], environment: [:], timeout: .seconds(5))
        #expect(result.ending == .exited(0))
        let fds = result.output.split(separator: "\n").compactMap { Int($0) }.sorted()
        // 0, 1, 2 and the one `ls` opens to read the directory.
        #expect(fds.count == 4 && fds.prefix(3) == [0, 1, 2], "\(fds)")
    }

    @Test func aBackgroundGrandchildDoesNotKeepUsWaiting() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let result = await ChildProcess.run(
            ["/bin/sh", "-c", "setsid sleep 600 & echo $!"], environment: [:], timeout: .seconds(900))
        #expect(result.ending == .exited(0))
        // Waiting for the grandchild would take 600 s; a loaded machine has taken 32 s to run `sh`.
        #expect(start.duration(to: clock.now) < .seconds(300))
        if let pid = Int32(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) { kill(pid, SIGKILL) }
    }

    @Test func outputIsBoundedAndTimeoutsKillTheGroup() async throws {
        let big = await ChildProcess.run(
            ["/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x"], environment: [:], timeout: .seconds(5))
        #expect(big.output.utf8.count == ChildProcess.outputLimit && big.outputTruncated)
        let slow = await ChildProcess.run(["/bin/sleep", "10"], environment: [:], timeout: .milliseconds(300))
        #expect(slow.ending == .timedOut)
        let missing = await ChildProcess.run(["/nonexistent/x"], environment: [:], timeout: .seconds(1))
        #expect(missing.ending == .couldNotStart("No such file or directory"))
        let stdin = await ChildProcess.run(["/bin/cat"], environment: [:], timeout: .seconds(5))
        #expect(stdin.ending == .exited(0) && stdin.output.isEmpty)
    }

    @Test func aDescriptorOpenedWhileSpawningIsNotInherited() async throws {
        // Another thread opens and closes descriptors (not close-on-exec) as fast as it can while
        // children start: none may reach a child (glibc's closefrom action, not a list made before).
        let stop = Atomic<Bool>(false)
        let opened = Atomic<Int>(0)
        let opener = Thread {
            let clock = ContinuousClock()
            let end = clock.now.advanced(by: .seconds(60))
            while !stop.load(ordering: .relaxed) && clock.now < end {
                let fds = (0..<8).map { _ in open("/dev/null", O_RDONLY) }
                opened.add(fds.count, ordering: .relaxed)
                for fd in fds where fd >= 0 { close(fd) }
                sched_yield()  // busy, but not at the expense of the children and the other tests
            }
        }
        opener.start()
        defer { stop.store(true, ordering: .relaxed) }
        for _ in 0..<20 {
            // A generous timeout: this checks descriptors, not speed (a loaded CI machine is slow).
            let result = await ChildProcess.run(["/bin/ls", "/proc/self/fd"], environment: [:], timeout: .seconds(60))
            #expect(result.ending == .exited(0))
            let fds = result.output.split(separator: "\n").compactMap { Int($0) }.sorted()
            // 0, 1, 2 and the one `ls` opens to read the directory.
            #expect(fds.count == 4 && fds.prefix(3) == [0, 1, 2], "\(fds)")
        }
        #expect(opened.load(ordering: .relaxed) > 0)
    }

    @Test func theChildStartsWithDefaultSignalsAndGetsSIGTERMOnTimeout() async throws {
        // Ignored here (a shell cannot trap a signal ignored when it starts): the child must get
        // SIGTERM's default back, an empty mask and no ignored signal.
        let previous = signal(SIGTERM, SIG_IGN)
        defer { signal(SIGTERM, previous) }
        let status = await ChildProcess.run(
            ["/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"], environment: [:], timeout: .seconds(5))
        #expect(status.ending == .exited(0))
        let masks = Dictionary(
            uniqueKeysWithValues: status.output.split(separator: "\n").compactMap { line -> (String, UInt64)? in
                let parts = line.split(separator: "\t")
                guard parts.count == 2, let mask = UInt64(parts[1], radix: 16) else { return nil }
                return (String(parts[0]), mask)
            })
        #expect(masks["SigBlk:"] == 0, "\(status.output)")
        // glibc's posix_spawn leaves its own two internal signals (32 and 33, below SIGRTMIN) ignored.
        let glibcInternal: UInt64 = 1 << 31 | 1 << 32
        #expect(masks["SigIgn:"].map { $0 & ~glibcInternal } == 0, "\(status.output)")
        // The shell says "ready" once its trap is set; a SIGTERM that comes earlier (a loaded machine
        // starting the shell slowly) proves nothing, so the run is repeated with a longer timeout.
        var trapped: ChildProcess.Result?
        for timeout in [Duration.milliseconds(500), .seconds(3), .seconds(10)] {
            let run = await ChildProcess.run(
                ["/bin/sh", "-c", "trap 'echo got TERM; exit 7' TERM; echo ready; sleep 30 & wait"],
                environment: [:], timeout: timeout)
            #expect(run.ending == .timedOut)
            if run.output.hasPrefix("ready\n") {
                trapped = run
                break
            }
        }
        #expect(trapped?.output == "ready\ngot TERM\n", "\(String(describing: trapped))")
    }

    @Test func aChildIgnoringSIGTERMIsKilledTwoSecondsLater() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let result = await ChildProcess.run(
            ["/bin/sh", "-c", "trap '' TERM; echo started; while :; do sleep 0.1; done"], environment: [:],
            timeout: .milliseconds(300))
        let took = start.duration(to: clock.now)
        #expect(result.ending == .timedOut)
        #expect(result.output.hasPrefix("started\n"))
        // At least the 2 s of grace; the upper bound only catches a hang (a loaded machine is slow).
        #expect(took >= .seconds(2) && took < .seconds(60), "\(took)")
    }

    @Test func progressIsReportedWhileWaiting() async throws {
        let calls = Atomic<Int>(0)
        let result = await ChildProcess.run(["/bin/sleep", "2"], environment: [:], timeout: .seconds(60)) {
            calls.add(1, ordering: .relaxed)
        }
        #expect(result.ending == .exited(0))
        // Every 200 ms at most: 10 in 2 s, fewer on a loaded machine, never fewer than two.
        #expect(calls.load(ordering: .relaxed) >= 2, "\(calls.load(ordering: .relaxed))")
    }

    @Test func theEnvironmentIsTheOneGivenAndAFailedStartIsExplained() async throws {
        let result = await ChildProcess.run(
            ["/usr/bin/env"], environment: ["ROTORD_CONSUMER": "etl", "LANG": "C"], timeout: .seconds(5))
        #expect(result.ending == .exited(0))
        #expect(result.output.split(separator: "\n").sorted() == ["LANG=C", "ROTORD_CONSUMER=etl"])
        let missing = await ChildProcess.run(["relative/x"], environment: [:], timeout: .seconds(1))
        #expect(missing.ending == .couldNotStart("not an absolute path"))
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try "echo hi\n".write(toFile: dir.path + "/hook", atomically: true, encoding: .utf8)
        let notExecutable = await ChildProcess.run([dir.path + "/hook"], environment: [:], timeout: .seconds(1))
        #expect(notExecutable.ending == .couldNotStart("Permission denied"))
    }

    @Test func hookOutputIsLoggedWithTheSecretMasked() async throws {
        let secret = "S3cretS3cretS3cretS3cretS3cret12"
        let recorder = LogRecorder()
        var logger = Logger(label: "test") { _ in recorder }
        logger.logLevel = .info
        // The hook prints the secret it read from a deliver file (its command line does not hold it).
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try secret.write(toFile: dir.path + "/secret", atomically: true, encoding: .utf8)
        let failures = await HookRunner(logger: logger).run(
            [
                .exec(
                    arguments: ["/bin/sh", "-c", "echo reloaded with $(cat \(dir.path)/secret)"], timeout: .seconds(5))
            ],
            consumer: "etl", rotationID: "r1", files: [], secret: secret)
        #expect(failures.isEmpty)
        let lines = recorder.lines
        #expect(lines.contains { $0.contains("reloaded with S3cr…") }, "\(lines)")
        #expect(!lines.contains { $0.contains(secret) })
    }
}

/// A swift-log handler that keeps the rendered messages and metadata.
final class LogRecorder: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var lines: [String] { lock.withLock { stored } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: Logging.LogEvent) {
        lock.withLock { stored.append("\(event.level) \(event.message) \(event.metadata ?? [:])") }
    }
}
