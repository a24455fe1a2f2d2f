import Foundation
import RotordCore
import RotordKit
import Testing

@Suite struct AdminCredentialsTests {
    @Test func readsTheConfiguredFilesTrimmed() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try "KeyKeyKeyKeyKeyKey\n".write(toFile: dir.path + "/key", atomically: true, encoding: .utf8)
        try "SecretSecretSecretSecretSecret12\n".write(toFile: dir.path + "/secret", atomically: true, encoding: .utf8)
        let settings = FracttalSettings(adminKeyFile: dir.path + "/key", adminSecretFile: dir.path + "/secret")
        let creds = try await AdminCredentials.load(settings, configPath: "/etc/rotord/rotord.yaml", environment: [:])
        #expect(creds.key == "KeyKeyKeyKeyKeyKey")
        #expect(creds.secret == "SecretSecretSecretSecretSecret12")
        #expect(!"\(creds)".contains("Secret"), "descriptions never show the secret")
    }

    @Test func prefersCredentialsDirectory() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/creds", withIntermediateDirectories: true)
        try "FromCredentialsDir".write(
            toFile: dir.path + "/creds/fracttal-admin-key", atomically: true, encoding: .utf8)
        try "SecretFromCredentialsDirectory12".write(
            toFile: dir.path + "/creds/fracttal-admin-secret", atomically: true, encoding: .utf8)
        // The configured paths do not exist: $CREDENTIALS_DIRECTORY (LoadCredential=) has the files.
        let settings = FracttalSettings()
        let creds = try await AdminCredentials.load(
            settings, configPath: "/etc/rotord/rotord.yaml", environment: ["CREDENTIALS_DIRECTORY": dir.path + "/creds"]
        )
        #expect(creds.key == "FromCredentialsDir")
    }

    @Test func missingFileNamesTheKey() async {
        let settings = FracttalSettings(adminKeyFile: "/nonexistent/key", adminSecretFile: "/nonexistent/secret")
        do {
            _ = try await AdminCredentials.load(settings, configPath: "/etc/rotord/rotord.yaml", environment: [:])
            Issue.record("a missing file must be an error")
        } catch {
            #expect(error.key == "fracttal.admin.key_file" && error.file == "/etc/rotord/rotord.yaml")
        }
    }

    /// With `admin.rotate`, the sources are read (not systemd's copy, stale after a self-rotation), and a pair torn by
    /// a crash between the two files (new key, old secret) is completed from the journal's record.
    @Test func withRotationTheSourcesAreReadAndATornPairIsCompletedFromTheJournal() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/copy", withIntermediateDirectories: true)
        try "OldKeyOldKeyOldKey".write(toFile: dir.path + "/copy/fracttal-admin-key", atomically: true, encoding: .utf8)
        try "OldSecretOldSecretOldSecret12345".write(
            toFile: dir.path + "/copy/fracttal-admin-secret", atomically: true, encoding: .utf8)
        try "NewKeyNewKeyNewKey\n".write(toFile: dir.path + "/key", atomically: true, encoding: .utf8)
        try "OldSecretOldSecretOldSecret12345\n".write(toFile: dir.path + "/secret", atomically: true, encoding: .utf8)
        var settings = FracttalSettings()
        settings.adminRotation = AdminRotation(
            policy: RotationPolicy(), keySource: dir.path + "/key", secretSource: dir.path + "/secret")
        let environment = ["CREDENTIALS_DIRECTORY": dir.path + "/copy"]
        let read = try await AdminCredentials.load(settings, configPath: "/c.yaml", environment: environment)
        #expect(read.key == "NewKeyNewKeyNewKey", "the sources, not the copy")
        #expect(read.secret == "OldSecretOldSecretOldSecret12345", "torn, and no journal to complete it")

        let store = try StateStore(directory: dir.path + "/state")
        var record = PassDecision.Start(
            consumer: ManagedConsumer(name: "rotord-admin", permissionGroup: "Super Administrador"),
            current: ConsumerRecord(
                id: 1, name: "rotord-admin", permissionGroupId: 1, key: "OldKeyOldKeyOldKey", createdAt: Date()),
            trigger: "due", revokeOldNow: false
        ).record(now: Date(), id: "r1")
        record = RotationMachine().advance(record, on: .resume, now: Date()).record
        record =
            RotationMachine().advance(
                record,
                on: .created(
                    id: 2, key: "NewKeyNewKeyNewKey", secret: "NewSecretNewSecretNewSecret12345", createdAt: Date()),
                now: Date()
            ).record
        try store.save(record)
        let completed = try await AdminCredentials.load(
            settings, configPath: "/c.yaml", environment: environment, store: store)
        #expect(completed.key == "NewKeyNewKeyNewKey" && completed.secret == "NewSecretNewSecretNewSecret12345")
    }
}
