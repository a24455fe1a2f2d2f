import Foundation
import Glibc
import Logging
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
            ["/bin/sh", "-c", "setsid sleep 60 & echo $!"], environment: [:], timeout: .seconds(120))
        #expect(result.ending == .exited(0))
        // Waiting for the grandchild would take 60 s; a loaded machine may take a few to run `sh`.
        #expect(start.duration(to: clock.now) < .seconds(30))
        if let pid = Int32(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) { kill(pid, SIGKILL) }
    }

    @Test func outputIsBoundedAndTimeoutsKillTheGroup() async throws {
        let big = await ChildProcess.run(
            ["/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x"], environment: [:], timeout: .seconds(5))
        #expect(big.output.utf8.count == ChildProcess.outputLimit && big.outputTruncated)
        let slow = await ChildProcess.run(["/bin/sleep", "10"], environment: [:], timeout: .milliseconds(300))
        #expect(slow.ending == .timedOut)
        let missing = await ChildProcess.run(["/nonexistent/x"], environment: [:], timeout: .seconds(1))
        if case .couldNotStart = missing.ending {} else { Issue.record("\(missing.ending)") }
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
