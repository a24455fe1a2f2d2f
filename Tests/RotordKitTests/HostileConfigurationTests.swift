import Foundation
import Glibc
import RotordCore
import RotordKit
import Testing

/// Issue 14, points 2 and 8: rotord's own files are off limits to deliver paths, and inputs that
/// cannot be used are refused up front with the file, the line and the key.
@Suite(.serialized) struct HostileConfigurationTests {
    /// One hostile configuration: what to write (given the world) and the key and words expected.
    struct Case: CustomStringConvertible, Sendable {
        var label: String
        var consumer: @Sendable (HostileWorld) -> String = { _ in "" }
        var defaults: String = ""
        var key: String
        var words: String
        var description: String { label }
    }

    static let cases: [Case] = [
        Case(
            label: "deliver over the configuration file", consumer: { HostileWorld.deliver($0.configPath) },
            key: "consumers[0].deliver[0].path", words: "the configuration file"),
        Case(
            label: "deliver over the admin key file, spelled with /./",
            consumer: { HostileWorld.deliver($0.root + "/./admin-key") },
            key: "consumers[0].deliver[0].path", words: "admin key file"),
        Case(
            label: "deliver over the admin secret file, spelled with ..",
            consumer: { HostileWorld.deliver($0.root + "/out/../admin-secret") },
            key: "consumers[0].deliver[0].path", words: "admin secret file"),
        Case(
            label: "deliver inside state_dir", consumer: { HostileWorld.deliver($0.stateDir + "/history.jsonl") },
            key: "consumers[0].deliver[0].path", words: "inside state_dir"),
        Case(
            label: "deliver to state_dir itself", consumer: { HostileWorld.deliver($0.stateDir) },
            key: "consumers[0].deliver[0].path", words: "inside state_dir"),
        Case(
            label: "duplicate deliver path spelled out/./a.json",
            consumer: { HostileWorld.deliver($0.out + "/a.json", $0.out + "/./a.json") },
            key: "consumers[0].deliver[1].path", words: "same file as consumers[0].deliver[0].path"),
        Case(
            label: "duplicate deliver path through a symlinked directory",
            consumer: { HostileWorld.deliver($0.out + "/a.json", $0.link + "/a.json") },
            key: "consumers[0].deliver[1].path", words: "same file"),
        Case(
            label: "raw key_path equal to secret_path",
            consumer: {
                "    deliver:\n      - format: raw\n        key_path: \($0.out)/k\n        secret_path: \($0.out)/./k\n"
            },
            key: "consumers[0].deliver[0].secret_path", words: "same file as consumers[0].deliver[0].key_path"),
        Case(
            label: "raw default PATH.key colliding with another target",
            consumer: {
                "    deliver:\n      - path: \($0.out)/c.key\n      - path: \($0.out)/c\n        format: raw\n"
            },
            key: "consumers[0].deliver[1].key_path", words: "same file"),
        Case(
            label: "empty reload unit", consumer: { _ in "    after_publish:\n      - reload: \"\"\n" },
            key: "consumers[0].after_publish[0].reload", words: "systemd unit"),
        Case(
            label: "grace longer than max_age", consumer: { _ in "    max_age: 1d\n    grace: 2d\n" },
            key: "consumers[0].grace", words: "longer than max_age"),
        Case(
            label: "grace longer than max_age in defaults", defaults: "  grace: 91d\n", key: "defaults.grace",
            words: "longer than max_age"),
        Case(
            label: "numeric owner that does not exist",
            consumer: { "    deliver:\n      - path: \($0.out)/o.env\n        owner: \"4242424\"\n" },
            key: "consumers[0].deliver[0].owner", words: "no user has the uid 4242424"),
        Case(
            label: "numeric group that does not exist",
            consumer: { "    deliver:\n      - path: \($0.out)/g.env\n        group: \"4242424\"\n" },
            key: "consumers[0].deliver[0].group", words: "no group has the gid 4242424"),
        Case(
            label: "consumer_id that is not a number", consumer: { _ in "    consumer_id: abc\n" },
            key: "consumers[0].consumer_id", words: "whole number"),
        Case(
            label: "consumer_id zero", consumer: { _ in "    consumer_id: 0\n" }, key: "consumers[0].consumer_id",
            words: "whole number"),
    ]

    @Test(arguments: cases)
    func refused(_ c: Case) {
        let world = HostileWorld()
        defer { world.remove() }
        let found = world.errors(world.yaml(consumer: c.consumer(world), defaults: c.defaults))
        #expect(
            found.contains { $0.key == c.key && $0.message.contains(c.words) && $0.line != nil },
            "\(c.label): got \(found)")
        #expect(found.allSatisfy { $0.file == world.configPath })
        #expect(!found.description.contains(HostileWorld.adminSecret))
    }

    @Test func distinctPathsAndAPinnedConsumerLoad() throws {
        let world = HostileWorld()
        defer { world.remove() }
        let text = world.yaml(
            consumer: "    consumer_id: 4711\n"
                + HostileWorld.deliver(world.out + "/a.env", world.out + "/b.env", world.link + "/c.env"))
        #expect(world.errors(text).isEmpty)
        let configuration = try ConfigurationLoader().load(path: world.configPath)
        #expect(configuration.consumers.first?.consumerID == 4711)
    }

    @Test func stateDirThatIsAFileIsRefused() {
        let world = HostileWorld()
        defer { world.remove() }
        _ = FileManager.default.createFile(atPath: world.root + "/statefile", contents: Data("x".utf8))
        let found = world.errors(world.yaml(stateDir: world.root + "/statefile"))
        #expect(found.contains { $0.key == "state_dir" && $0.message.contains("not a directory") }, "\(found)")
    }

    @Test func worldWritableStateDirIsRefusedAndNotChanged() {
        let world = HostileWorld()
        defer { world.remove() }
        chmod(world.stateDir, 0o1777)
        let found = world.errors(world.yaml())
        #expect(found.contains { $0.key == "state_dir" && $0.message.contains("writable by every user") }, "\(found)")
        #expect(throws: AtomicFile.Failure.self) { _ = try StateStore(directory: world.stateDir) }
        var st = stat()
        stat(world.stateDir, &st)
        #expect(st.st_mode & 0o7777 == 0o1777, "the mode is left as it was")
    }

    @Test func foreignOwnedStateDirIsRefusedByTheStore() throws {
        let world = HostileWorld()
        defer { world.remove() }
        guard getuid() == 0 else { return }  // only root can give a directory away
        chown(world.stateDir, 4_242_424, 4_242_424)
        #expect {
            _ = try StateStore(directory: world.stateDir)
        } throws: { error in
            "\(error)".contains("owned by uid 4242424")
        }
    }

    @Test func missingStateDirIsCreated0700() throws {
        let world = HostileWorld()
        defer { world.remove() }
        let store = try StateStore(directory: world.root + "/new-state")
        var st = stat()
        stat(store.directory, &st)
        #expect(st.st_mode & 0o777 == 0o700)
    }

    @Test func nonUTF8ConfigurationSaysSo() throws {
        let world = HostileWorld()
        defer { world.remove() }
        var bytes = Array(world.yaml().utf8)
        bytes.insert(contentsOf: [0x23, 0x20, 0xC3, 0x28, 0x0A], at: 0)  // "# \xC3(" : not UTF-8, line 1
        try Data(bytes).write(to: URL(fileURLWithPath: world.configPath))
        let found = world.errorsOfFile()
        #expect(found.count == 1)
        #expect(found.first?.message.contains("not UTF-8") == true, "\(found)")
        #expect(found.first?.line == 1)
    }

    @Test func configurationFIFODoesNotHang() {
        let world = HostileWorld()
        defer { world.remove() }
        mkfifo(world.configPath, 0o600)
        let found = world.errorsOfFile()
        #expect(found.first?.message.contains("not a regular file") == true, "\(found)")
    }

    @Test(arguments: ["fifo", "directory", "empty", "blank", "two lines", "not UTF-8", "device", "too large"])
    func unusableAdminKeyFile(_ kind: String) async throws {
        let world = HostileWorld()
        defer { world.remove() }
        let path = world.root + "/bad-key"
        switch kind {
        case "fifo": mkfifo(path, 0o600)
        case "directory": mkdir(path, 0o700)
        case "empty": _ = FileManager.default.createFile(atPath: path, contents: Data())
        case "blank": _ = FileManager.default.createFile(atPath: path, contents: Data(" \n\t\n".utf8))
        case "two lines": _ = FileManager.default.createFile(atPath: path, contents: Data("KeyOne\n\nKeyTwo\n".utf8))
        case "not UTF-8": _ = FileManager.default.createFile(atPath: path, contents: Data([0xFF, 0xFE, 0x41]))
        case "device": symlink("/dev/zero", path)
        default: _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x41, count: 70_000))
        }
        let settings = FracttalSettings(adminKeyFile: path, adminSecretFile: world.secretFile)
        do {
            _ = try await AdminCredentials.load(settings, configPath: world.configPath, environment: [:])
            Issue.record("\(path) must be refused")
        } catch {
            #expect(
                error.key == "fracttal.admin.key_file" && error.message.contains(path) && error.file == world.configPath
            )
        }
    }

    @Test func plaintextURLsToOtherHostsAreWarnedAbout() {
        var settings = FracttalSettings(
            tokenURL: "http://fracttal.example/oauth/token", apiURL: "http://127.0.0.1:8/api")
        #expect(settings.plaintextWarnings.count == 1)
        #expect(settings.plaintextWarnings.first?.hasPrefix("fracttal.token_url:") == true)
        settings.apiURL = "http://127.evil.example/api"
        #expect(settings.plaintextWarnings.count == 2)
        settings = FracttalSettings(tokenURL: "http://localhost:1/t", apiURL: "https://app.fracttal.com/api")
        #expect(settings.plaintextWarnings.isEmpty)
    }
}
