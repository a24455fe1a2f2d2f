import Foundation
import FracttalSimulator
import Glibc
import Testing

/// Issue 14, points 2 and 8, against the real `rotord`: unusable inputs are refused up front
/// (exit 78, naming the file and key), nothing is written where it should not be, and `plan`
/// exits 75 when Fracttal cannot be reached.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct HostileInputTests {
    @Test func adminKeyFIFODoesNotHangAnyCommand() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"])
        let key = s.dir + "/credentials/admin-key"
        unlink(key)
        #expect(mkfifo(key, 0o600) == 0)
        for command in [["plan"], ["run", "--once"], ["check-config", "--offline"], ["status"]] {
            let result = try await s.run(command, timeout: .seconds(20))
            #expect(result.status == 78, "\(command): \(result.output)")
            #expect(
                result.stderr.contains("fracttal.admin.key_file") && result.stderr.contains("not a regular file"),
                "\(command): \(result.stderr)")
        }
        #expect(await s.simulator.statistics().tokenRequests == 0)
    }

    @Test func deliverOverRotordsOwnFilesIsRefused() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(
            consumers: ["etl"],
            extra: "      - path: \(s.dir)/./rotord.yaml\n      - path: \(s.dir)/credentials/../credentials/admin-key\n"
                + "      - path: \(s.stateDir)/history.jsonl\n      - path: \(s.deliverDir)/./etl.env\n")
        let written = try String(contentsOfFile: s.configPath, encoding: .utf8)
        let key = try String(contentsOfFile: s.dir + "/credentials/admin-key", encoding: .utf8)
        for command in [["check-config", "--offline"], ["run", "--once"], ["plan"]] {
            let result = try await s.run(command)
            #expect(result.status == 78, "\(command): \(result.output)")
            for (index, words) in [
                (3, "configuration file"), (4, "admin key file"), (5, "inside state_dir"), (6, "same file"),
            ] {
                #expect(
                    result.stderr.contains("consumers[0].deliver[\(index)].path: ") && result.stderr.contains(words),
                    "\(command) \(words): \(result.stderr)")
            }
        }
        #expect(try String(contentsOfFile: s.configPath, encoding: .utf8) == written, "the configuration is intact")
        #expect(try String(contentsOfFile: s.dir + "/credentials/admin-key", encoding: .utf8) == key)
        #expect(await s.simulator.statistics().created == 0)
    }

    @Test func sharedStateDirectoryIsRefusedAndLeftAlone() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"])
        mkdir(s.stateDir, 0o777)
        chmod(s.stateDir, 0o1777)
        let result = try await s.run(["run", "--once"])
        #expect(result.status == 78, "\(result.output)")
        #expect(result.stderr.contains("state_dir") && result.stderr.contains("writable by every user"))
        #expect(s.mode(s.stateDir) == 0o1777, "the mode is unchanged")
        #expect(!FileManager.default.fileExists(atPath: s.stateDir + "/rotations"), "nothing written in it")

        // Owned by another user (root can give it away): refused by the commands that write it.
        guard getuid() == 0 else { return }
        chmod(s.stateDir, 0o700)
        chown(s.stateDir, 4_242_424, 4_242_424)
        let foreign = try await s.run(["run", "--once"])
        #expect(foreign.status == 78, "\(foreign.output)")
        #expect(foreign.stderr.contains("owned by uid 4242424"), "\(foreign.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.stateDir + "/rotations"))
    }

    @Test func unusableConfigurationsAreNamed() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        // Not UTF-8.
        try s.writeConfig(consumers: ["etl"])
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: s.configPath)))
        bytes += Array("# caf".utf8) + [0xE9] + [0x0A]  // Latin-1 é
        try Data(bytes).write(to: URL(fileURLWithPath: s.configPath))
        let latin1 = try await s.run(["check-config", "--offline"])
        #expect(latin1.status == 78)
        #expect(latin1.stderr.contains("not UTF-8") && !latin1.stderr.contains("permissions"), "\(latin1.stderr)")

        // A state_dir that is a regular file, an empty reload unit, grace longer than max_age.
        _ = FileManager.default.createFile(atPath: s.stateDir, contents: Data("x".utf8))
        try s.writeConfig(
            consumers: ["etl"], maxAge: "1d", rotateBefore: "1h", grace: "2d",
            extra: "    after_publish:\n      - reload: \"\"\n")
        let result = try await s.run(["plan"])
        #expect(result.status == 78, "\(result.output)")
        for words in ["state_dir: ", "defaults.grace: ", "consumers[0].after_publish[0].reload: "] {
            #expect(result.stderr.contains(words), "\(words): \(result.stderr)")
        }
        #expect(await s.simulator.statistics().tokenRequests == 0, "refused before contacting Fracttal")
    }

    @Test func planExits75WhenFracttalCannotBeReached() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"])
        s.simulator.stop()
        let plan = try await s.run(["plan"])
        #expect(plan.status == 75, "\(plan.output)")
        #expect(plan.stderr.contains("cannot list the Fracttal account"))
        let json = try await s.run(["plan", "--json"])
        #expect(json.status == 75)
    }
}
