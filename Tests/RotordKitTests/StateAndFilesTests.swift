import Foundation
import Glibc
import RotordCore
import Testing

@testable import RotordKit

@Suite struct AtomicFileTests {
    @Test func writesWithModeAndSkipsIdenticalContent() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/secret.env"
        #expect(try AtomicFile.write(Array("A=1\n".utf8), to: path, mode: 0o640))
        #expect(dir.read("secret.env") == "A=1\n")
        #expect(dir.mode("secret.env") == 0o640)
        #expect(try AtomicFile.write(Array("A=1\n".utf8), to: path, mode: 0o640) == false, "republishing is a no-op")
        #expect(try AtomicFile.write(Array("A=1\n".utf8), to: path, mode: 0o600), "a mode change rewrites")
        #expect(dir.mode("secret.env") == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "no temporary files left behind")
    }

    @Test func missingDirectoryIsAnActionableError() {
        #expect {
            try AtomicFile.write([1], to: "/nonexistent-dir-rotord/x")
        } throws: { error in
            "\(error)".contains("does the directory exist?")
        }
    }
}

@Suite struct StateStoreTests {
    let now = Date(timeIntervalSince1970: 1_780_000_000)

    func record(_ id: String, step: RotationStep) -> RotationRecord {
        var r = RotationRecord(
            id: id, consumerName: "etl", trigger: "due", now: now, oldConsumers: [],
            authorizationType: "client_credentials",
            permissionGroupID: 3, fracttalHub: false, originalDescription: nil, grace: .hours(1))
        r.step = step
        r.newKey = "NEWKEYnewkey123456"
        r.newSecret = step == .created ? "SecretSecretSecretSecretSecret12" : nil
        return r
    }

    @Test func journalRoundTripAndArchive() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path + "/state")
        var st = stat()
        stat(store.directory, &st)
        #expect(st.st_mode & 0o777 == 0o700)
        try store.save(record("r1", step: .created))
        #expect(try store.rotations().map(\.id) == ["r1"])
        #expect(try store.rotations().first?.newSecret == "SecretSecretSecretSecretSecret12")
        let file = "\(store.rotationsDirectory)/r1.json"
        stat(file, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        var done = record("r1", step: .done)
        done.updatedAt = now.addingTimeInterval(60)
        try store.save(done)
        #expect(try store.rotations().isEmpty)
        // A crash between appending the history and removing the file archives it twice: read once.
        try store.save(done)
        #expect(store.historyEntries().count == 1)
        #expect(store.consumerHistories()["etl"]?.lastCompletedID == "r1")
        let history = try String(contentsOfFile: store.historyPath, encoding: .utf8)
        #expect(!history.contains("SecretSecret"))
        #expect(!history.contains("NEWKEYnewkey123456"), "keys are masked in the history")
    }

    @Test func failuresCountUntilASuccess() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        try store.save(record("r1", step: .failed))
        try store.save(record("r2", step: .failed))
        #expect(store.consumerHistories()["etl"]?.consecutiveFailures == 2)
        try store.save(record("r3", step: .done))
        #expect(store.consumerHistories()["etl"]?.consecutiveFailures == 0)
        // The summary is derived: without it, the history gives the same answer.
        try FileManager.default.removeItem(atPath: store.summaryPath)
        #expect(store.consumerHistories()["etl"]?.lastCompletedID == "r3")
        try store.ensureSummary()
        #expect(FileManager.default.fileExists(atPath: store.summaryPath))
    }

    @Test func lockIsExclusive() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let first = try #require(try await StateLock.acquire(directory: dir.path, timeout: .seconds(1)))
        let second = try await StateLock.acquire(directory: dir.path, timeout: .milliseconds(50))
        #expect(second == nil)
        first.release()
        let third = try await StateLock.acquire(directory: dir.path, timeout: .milliseconds(50))
        #expect(third != nil)
    }
}

/// Errors of the journal directory are never an empty journal (in-flight rotations must not vanish).
@Suite struct StateStoreErrorTests {
    @Test func anAbsentRotationsDirectoryIsEmpty() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path + "/state", create: false)
        #expect(try store.rotations().isEmpty)
        #expect(store.unreadableRecords().isEmpty)
    }

    /// The tests run as root, which reads any directory: a `rotations` that is a regular file is
    /// the read error (`ENOTDIR`) that root meets too.
    static func storeWhoseRotationsIsAFile(in dir: TemporaryDirectory) throws -> StateStore {
        let store = try StateStore(directory: dir.path)
        try FileManager.default.removeItem(atPath: store.rotationsDirectory)
        #expect(FileManager.default.createFile(atPath: store.rotationsDirectory, contents: Data("x".utf8)))
        return store
    }

    @Test func aRotationsDirectoryThatCannotBeListedThrowsNamingIt() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try Self.storeWhoseRotationsIsAFile(in: dir)
        #expect {
            _ = try store.rotations()
        } throws: { error in
            let failure = error as? AtomicFile.Failure
            return failure?.path == store.rotationsDirectory && failure?.code == ENOTDIR
                && "\(error)".contains("listing the rotation journal")
        }
    }

    @Test func planAndStatusReadWhatTheJournalHolds() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        #expect(Commands.activeRotations(try Self.storeWhoseRotationsIsAFile(in: dir)).isEmpty)
        let store = try StateStore(directory: dir.path + "/ok")
        var record = RotationRecord(
            id: "r1-0000abcd", consumerName: "etl", trigger: "due", now: Date(timeIntervalSince1970: 1_780_000_000),
            oldConsumers: [], authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false,
            originalDescription: nil, grace: .hours(1))
        record.step = .creating
        try store.save(record)
        #expect(Commands.activeRotations(store).map(\.id) == ["r1-0000abcd"])
    }

    @Test func aRotationsDirectoryThatCannotBeListedBlocksEveryConsumer() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try Self.storeWhoseRotationsIsAFile(in: dir)
        let blocking = store.unreadableRecords()
        #expect(blocking.count == 1)
        #expect(blocking.first?.consumerName == nil, "no consumer named: every consumer is blocked")
        let problem = blocking.first?.problem ?? ""
        #expect(problem.contains(store.rotationsDirectory) && problem.contains("every consumer"), "\(problem)")
        #expect(problem.contains("Not a directory"), "\(problem)")
    }

    @Test func anUnreadableRecordThatCannotBeSetAsideThrows() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        let path = store.rotationsDirectory + "/r1-0000abcd.json"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("{ damaged".utf8)))
        // A non-empty directory where the record would be set aside: rename(2) fails, even for root.
        try FileManager.default.createDirectory(atPath: path + ".unreadable/x", withIntermediateDirectories: true)
        #expect {
            _ = try store.rotations()
        } throws: { error in
            let failure = error as? AtomicFile.Failure
            return failure?.path == path
                && "\(error)".contains("setting the unreadable record aside as \(path).unreadable")
        }
        #expect(FileManager.default.fileExists(atPath: path), "the record stays where it was")
    }

    @Test func anUnreadableRecordIsSetAsideAndBlocks() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        let path = store.rotationsDirectory + "/r1-0000abcd.json"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(#"{"consumerName": "etl", "#.utf8)))
        #expect(try store.rotations().isEmpty)
        #expect(FileManager.default.fileExists(atPath: path + ".unreadable"))
        #expect(store.unreadableRecords().map(\.consumerName) == ["etl"])
    }
}

@Suite struct SecretPublisherTests {
    let key = "AbCdEfGhIjKlMnOpQr"
    let secret = "s3cretS3CRETs3cretS3CRETs3cret12"

    @Test func rendersEveryFormat() throws {
        let env = try SecretPublisher.render(
            DeliverTarget(path: "/x.env", format: .env(keyVariable: "ID", secretVariable: "SECRET")), name: "n",
            key: key, secret: secret, rotatedAt: .distantPast)
        #expect(String(decoding: env[0].1, as: UTF8.self) == "ID=\(key)\nSECRET=\(secret)\n")
        let json = try SecretPublisher.render(
            DeliverTarget(path: "/x.json", format: .json(keyField: "client_id", secretField: "client_secret")),
            name: "n", key: key, secret: secret, rotatedAt: .distantPast)
        let object = try? JSONSerialization.jsonObject(with: Data(json[0].1)) as? [String: String]
        #expect(object == ["client_id": key, "client_secret": secret])
        let raw = try SecretPublisher.render(
            DeliverTarget(path: "/x", format: .raw(keyPath: "/x.key", secretPath: "/x.secret")), name: "n", key: key,
            secret: secret, rotatedAt: .distantPast)
        #expect(raw.map(\.0) == ["/x.key", "/x.secret"])
        #expect(raw.map { String(decoding: $0.1, as: UTF8.self) } == [key, secret])
        let template = try SecretPublisher.render(
            DeliverTarget(path: "/x.conf", format: .template("id={{key}}\nsecret={{secret}}\nname={{name}}\n")),
            name: "etl", key: key, secret: secret, rotatedAt: .distantPast)
        #expect(String(decoding: template[0].1, as: UTF8.self) == "id=\(key)\nsecret=\(secret)\nname=etl\n")
    }

    @Test func envQuotingIsSafeForSystemd() {
        #expect(SecretPublisher.envQuote("abc123") == "abc123")
        #expect(SecretPublisher.envQuote("a b$c") == "\"a b\\$c\"")
    }

    @Test func publishesWithModes() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let targets = [
            DeliverTarget(
                path: dir.path + "/a.env", format: .env(keyVariable: "ID", secretVariable: "SECRET"), mode: 0o640),
            DeliverTarget(
                path: dir.path + "/b", format: .raw(keyPath: dir.path + "/b.key", secretPath: dir.path + "/b.secret")),
        ]
        let files = try await SecretPublisher().publish(
            targets, name: "n", key: key, secret: secret, rotatedAt: .distantPast)
        #expect(files == [dir.path + "/a.env", dir.path + "/b.key", dir.path + "/b.secret"])
        #expect(dir.mode("a.env") == 0o640)
        #expect(dir.mode("b.secret") == 0o600)
        #expect(dir.read("b.secret") == secret)
    }
}

@Suite struct HookRunnerTests {
    @Test func reportsFailuresAndTimeouts() async {
        let runner = HookRunner(systemctl: "/bin/false")
        let failures = await runner.run(
            [
                .exec(arguments: ["/bin/true"], timeout: .seconds(5)),
                .exec(arguments: ["/bin/sh", "-c", "exit 3"], timeout: .seconds(5)),
                .exec(arguments: ["/bin/sleep", "10"], timeout: .seconds(1)),
                .reload(unit: "x.service", timeout: .seconds(5)),
                .exec(arguments: ["/nonexistent/program"], timeout: .seconds(5)),
            ], consumer: "etl", rotationID: "r1", files: ["/a"])
        #expect(failures.count == 4)
        #expect(failures[0].contains("status 3"))
        #expect(failures[1].contains("timed out"))
        #expect(failures[2].contains("reload x.service"))
        #expect(failures[3].contains("could not start"))
    }

    @Test func hooksSeeTheConsumerButNoSecret() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let out = dir.path + "/env.txt"
        let failures = await HookRunner().run(
            [.exec(arguments: ["/bin/sh", "-c", "env > \(out)"], timeout: .seconds(5))], consumer: "etl",
            rotationID: "r9",
            files: ["/a", "/b"])
        #expect(failures.isEmpty)
        let env = try String(contentsOfFile: out, encoding: .utf8)
        #expect(env.contains("ROTORD_CONSUMER=etl"))
        #expect(env.contains("ROTORD_ROTATION_ID=r9"))
        #expect(env.contains("ROTORD_FILES=/a:/b"))
    }
}

@Suite struct LoopMonitorTests {
    @Test func idleCountsAsProgressUntilTheDeadline() {
        let t0 = ContinuousClock.now
        let monitor = LoopMonitor(now: t0)
        monitor.idle(until: t0.advanced(by: .seconds(100)), at: t0)
        #expect(monitor.effectiveBeat(at: t0.advanced(by: .seconds(50))) == t0.advanced(by: .seconds(50)))
        // Past the deadline the loop should have woken: the stall counts from the deadline.
        #expect(monitor.effectiveBeat(at: t0.advanced(by: .seconds(500))) == t0.advanced(by: .seconds(100)))
        monitor.beat(at: t0.advanced(by: .seconds(120)))
        #expect(monitor.effectiveBeat(at: t0.advanced(by: .seconds(500))) == t0.advanced(by: .seconds(120)))
    }
}
