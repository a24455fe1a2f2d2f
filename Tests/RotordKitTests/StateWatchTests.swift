import Foundation
import Synchronization
import Testing

@testable import RotordKit

/// The daemon's watch on the state directory: woken by a change (inotify), not by a poll.
@Suite(.timeLimit(.minutes(1)))
struct StateWatchTests {
    @Test func aChangeByAnotherWriterIsSeenAtOnceWithoutPolling() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/audit.jsonl"
        try "one\n".write(toFile: path, atomically: false, encoding: .utf8)
        let watch = StateWatch(path: path)
        let calls = Atomic<Int>(0)
        // A poll would call back within this hour only if it polled; inotify needs no interval.
        let task = watch.start(every: .seconds(3_600)) { calls.add(1, ordering: .relaxed) }
        defer { task.cancel() }
        // Unrelated files in the directory change nothing that counts.
        try "x".write(toFile: dir + "/other", atomically: false, encoding: .utf8)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("two\n".utf8))
        try handle.close()
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(10))
        while calls.load(ordering: .relaxed) == 0 && clock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(calls.load(ordering: .relaxed) >= 1, "the append was seen")
        #expect(watch.changed())
        watch.settle()
        #expect(!watch.changed())
    }
}
