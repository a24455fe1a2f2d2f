import Foundation
import Glibc
import RotordCore
import RotordKit
import Synchronization
import Testing

/// Issue 10: a service reading its deliver file while rotord replaces it never sees a partial, empty or missing
/// file. A reader thread reads the file in a tight loop while the publisher writes it 1,000 times, alternating
/// two contents of different lengths. `in_place: true` is measured, not asserted: it is not atomic for readers
/// (docs/configuration.md).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ConcurrentReaderTests {
    /// What the reader thread saw.
    final class Reads: Sendable {
        let stop = Atomic<Bool>(false)
        let total = Atomic<Int>(0)
        let other = Atomic<Int>(0)
        let empty = Atomic<Int>(0)
        let missing = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        let firstOther = Mutex<String?>(nil)
        /// Signalled after the reader's first read, and when it has stopped.
        let started = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
    }

    let a = (key: "AAAAkeyAAAAAAAAAAA", secret: "a-secret")
    let b = (key: "BBBBkeyBBBBBBBBBBBBBBBBBBBBBBBBBB", secret: "b-secret-that-is-much-longer-than-a-secret-0123456789")

    /// Reads `path` whole, in one `open`/`read`/`close`, until told to stop (or 60 s or 10 million reads); counts
    /// every read that is neither `first` nor `second`.
    static func startReader(_ path: String, _ first: [UInt8], _ second: [UInt8]) -> Reads {
        let reads = Reads()
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            var n = 0
            while !reads.stop.load(ordering: .acquiring) && n < 10_000_000 {
                n += 1
                if n % 1024 == 0 && ContinuousClock.now > deadline { break }
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    reads.missing.add(1, ordering: .relaxed)
                    continue
                }
                var count = 0
                while count < buffer.count {
                    let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
                    if got <= 0 { break }
                    count += got
                }
                close(fd)
                let bytes = Array(buffer[..<count])
                if bytes != first && bytes != second {
                    reads.other.add(1, ordering: .relaxed)
                    if count == 0 { reads.empty.add(1, ordering: .relaxed) }
                    reads.firstOther.withLock { if $0 == nil { $0 = "\(count) bytes" } }
                }
                if reads.total.add(1, ordering: .relaxed).newValue == 1 { reads.started.signal() }
            }
            reads.done.store(true, ordering: .releasing)
            reads.finished.signal()
        }
        thread.start()
        return reads
    }

    /// Publishes `target` `count` times alternating A and B, with the reader running; returns what it saw.
    func publishUnderRead(_ target: DeliverTarget, count: Int) async throws -> Reads {
        let publisher = SecretPublisher()
        let rotatedAt = Date(timeIntervalSince1970: 1_796_026_500)
        _ = try await publisher.publish([target], name: "a", key: a.key, secret: a.secret, rotatedAt: rotatedAt)
        func content(_ pair: (key: String, secret: String)) throws -> [UInt8] {
            try SecretPublisher.render(target, name: "a", key: pair.key, secret: pair.secret, rotatedAt: rotatedAt)[0].1
        }
        let reads = Self.startReader(target.path, try content(a), try content(b))
        defer { reads.stop.store(true, ordering: .releasing) }
        // Let the reader start before the first write (bounded).
        _ = reads.started.wait(timeout: .now() + .seconds(1))
        for i in 1...count {
            let pair = i % 2 == 1 ? b : a
            _ = try await publisher.publish(
                [target], name: "a", key: pair.key, secret: pair.secret, rotatedAt: rotatedAt)
        }
        reads.stop.store(true, ordering: .releasing)
        _ = reads.finished.wait(timeout: .now() + .seconds(10))
        let stopped = reads.done.load(ordering: .acquiring)
        #expect(stopped, "the reader stopped")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target.path)) == Data(try content(count % 2 == 1 ? b : a)))
        return reads
    }

    @Test func aReaderNeverSeesAPartialFileDuring1000Publishes() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let target = DeliverTarget(path: dir.path + "/a.env", format: .env(keyVariable: "ID", secretVariable: "S"))
        let clock = ContinuousClock()
        let start = clock.now
        let reads = try await publishUnderRead(target, count: 1_000)
        let total = reads.total.load(ordering: .relaxed)
        print(
            "atomic publish: 1000 publishes, \(total) reads in \(clock.now - start), "
                + "\(reads.other.load(ordering: .relaxed)) neither A nor B")
        #expect(total > 1_000, "the reader ran while the file was replaced")
        #expect(reads.other.load(ordering: .relaxed) == 0, "first: \(reads.firstOther.withLock { $0 } ?? "")")
        #expect(reads.missing.load(ordering: .relaxed) == 0, "the file is never missing")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.env"], "no temporary file left")
    }

    /// `in_place: true` truncates and rewrites the file: a reader can see it empty or partly written. Measured and
    /// printed, not asserted beyond "never missing" (the count of torn reads depends on the scheduler).
    @Test func inPlaceIsNotAtomicForReaders() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var target = DeliverTarget(path: dir.path + "/a.env", format: .env(keyVariable: "ID", secretVariable: "S"))
        target.inPlace = true
        let reads = try await publishUnderRead(target, count: 1_000)
        print(
            "in_place publish: 1000 publishes, \(reads.total.load(ordering: .relaxed)) reads, "
                + "\(reads.other.load(ordering: .relaxed)) neither A nor B (\(reads.empty.load(ordering: .relaxed)) empty)"
        )
        #expect(reads.missing.load(ordering: .relaxed) == 0, "the file is never missing (same inode)")
    }
}
