import Foundation
import Glibc
import Testing

/// Issue 10, outage safety of the deliver files, with the real `rotord run --once` against the simulator and
/// real file systems and users: a full disk leaves the old file intact and the rotation unfinished until space
/// is freed; files end with the owner, group and mode configured for users the test creates. Needs root
/// (`mount`, `useradd`); skipped with that reason otherwise.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: getuid() == 0, "needs root: mounts a tmpfs and adds users"))
struct DeliveryOutageTests {
    /// Runs a system command to completion (bounded), returning its exit status.
    @discardableResult
    static func command(_ path: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        if !process.waitForExit(timeout: .seconds(30)) { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A small tmpfs in a fresh folder under /var/tmp; ``remove()`` unmounts it and removes the folder.
    struct SmallDisk {
        let path: String

        init(size: String) throws {
            path = "/var/tmp/rotord-enospc-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            // mode=0755: a deliver directory only root may write (rotord refuses a world-writable one).
            let status = try DeliveryOutageTests.command(
                "/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0755", "tmpfs", path])
            guard status == 0 else {
                rmdir(path)
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: "mount tmpfs on \(path): \(status)"])
            }
        }

        func remove() {
            if (try? DeliveryOutageTests.command("/usr/bin/umount", [path])) != 0 {
                _ = try? DeliveryOutageTests.command("/usr/bin/umount", ["-l", path])
            }
            rmdir(path)
        }

        /// Writes `name` in 4 KiB blocks until the file system is full; returns the bytes written.
        func fill(_ name: String) -> Int {
            let fd = open("\(path)/\(name)", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return 0 }
            defer { close(fd) }
            let block = [UInt8](repeating: 0x55, count: 4096)
            var total = 0
            for _ in 0..<1_024 {
                let n = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                total += n
            }
            // The last partial page too, byte by byte (bounded).
            for _ in 0..<4_096 {
                guard write(fd, "x", 1) == 1 else { break }
                total += 1
            }
            return total
        }
    }

    @Test func aFullDiskKeepsTheOldFileAndTheOldConsumerUntilSpaceIsFreed() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        let disk = try SmallDisk(size: "64k")
        defer { disk.remove() }
        let path = disk.path + "/etl.env"
        try s.writeConfig(consumer: "etl", deliver: "      - path: \(path)\n        format: env\n")
        let old = try #require(await s.live("etl").first)
        let oldContent = "FRACTTAL_CLIENT_ID=\(old.key!)\nFRACTTAL_CLIENT_SECRET=\(old.secret!)\n"
        try oldContent.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        let filled = disk.fill("filler")
        #expect(filled > 0 && filled <= 64 * 1024)

        let full = try await s.run(["run", "--once"])
        // A transient failure: the run exits 75 (EX_TEMPFAIL) and the step is retried after a back-off.
        #expect(full.status == 75, "the run reports the failure: \(full.output)")
        #expect(full.stdout.contains("etl: waiting to retry"), "\(full.output)")
        #expect(full.output.contains(path), "the error names the path: \(full.output)")
        #expect(full.output.contains("No space left on device"), "\(full.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(oldContent.utf8), "byte for byte")
        let left = try FileManager.default.contentsOfDirectory(atPath: disk.path).sorted()
        #expect(left == ["etl.env", "filler"], "no temporary file is left: \(left)")
        #expect(await s.live("etl").contains { $0.id == old.id }, "the old consumer is kept")
        #expect(await s.simulator.isAccepted(key: old.key!, secret: old.secret!))

        // Still full: the next pass waits for the back-off instead of hammering the disk; nothing changes.
        let again = try await s.run(["run", "--once"])
        #expect(again.status == 75, "\(again.output)")
        #expect(again.stdout.contains("etl: waiting to retry"), "\(again.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(oldContent.utf8))
        #expect(await s.live("etl").contains { $0.id == old.id })

        // Space is freed; the retry (now, as `rotate` asks, instead of after the 30 s back-off) completes it.
        unlink(disk.path + "/filler")
        let freed = try await s.run(["rotate", "etl"])
        #expect(freed.status == 0, "\(freed.output)")
        let pair = try #require(s.pair(in: path))
        #expect(pair.key != old.key)
        #expect(await s.simulator.isAccepted(key: pair.key, secret: pair.secret))
        #expect(await !s.live("etl").contains { $0.id == old.id }, "the old consumer is deleted (grace 0s)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path) == ["etl.env"])
        for text in [full.output, again.output, freed.output] {
            #expect(RotationEndToEndTests.secretLike(text).isEmpty, "no secret printed: \(text)")
        }
    }

    /// A system user and its group, made by `useradd --system` with a unique name; ``remove()`` deletes both.
    struct SystemUser {
        let name = "rtdtest_\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let uid: uid_t
        let gid: gid_t

        init() throws {
            let status = try DeliveryOutageTests.command(
                "/usr/sbin/useradd",
                ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name])
            guard status == 0, let user = getpwnam(name), let group = getgrnam(name) else {
                _ = try? DeliveryOutageTests.command("/usr/sbin/userdel", [name])
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: "useradd \(name): \(status)"])
            }
            uid = user.pointee.pw_uid
            gid = group.pointee.gr_gid
        }

        func remove() {
            _ = try? DeliveryOutageTests.command("/usr/sbin/userdel", [name])
            if getgrnam(name) != nil { _ = try? DeliveryOutageTests.command("/usr/sbin/groupdel", [name]) }
        }
    }

    @Test func eachFileEndsWithItsConfiguredOwnerGroupAndMode() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        let reader = try SystemUser()
        defer { reader.remove() }
        let writer = try SystemUser()
        defer { writer.remove() }
        let byName = s.deliverDir + "/etl.env"
        let byNumber = s.deliverDir + "/etl.json"
        try s.writeConfig(
            consumer: "etl",
            deliver: """
                      - path: \(byName)
                        owner: \(reader.name)
                        group: \(reader.name)
                        mode: "0640"
                      - path: \(byNumber)
                        format: json
                        owner: "\(writer.uid)"
                        group: "\(writer.gid)"
                        mode: "0600"

                """)
        let result = try await s.run(["run", "--once"])
        #expect(result.status == 0, "\(result.output)")
        for (path, user, mode) in [(byName, reader, 0o640), (byNumber, writer, 0o600)] {
            var st = stat()
            #expect(lstat(path, &st) == 0, "\(path) is written")
            #expect(st.st_uid == user.uid && st.st_gid == user.gid, "\(path): \(st.st_uid):\(st.st_gid)")
            #expect(st.st_mode & 0o7777 == mode, "\(path): \(String(st.st_mode & 0o7777, radix: 8))")
            #expect(st.st_mode & S_IFMT == S_IFREG)
        }
        print(
            "system users \(reader.name) (\(reader.uid):\(reader.gid)) and \(writer.name) (\(writer.uid):\(writer.gid))"
        )
    }
}
