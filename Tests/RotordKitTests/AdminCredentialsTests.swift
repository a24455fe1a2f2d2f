import Foundation
import RotordCore
import RotordKit
import Testing

@Suite struct AdminCredentialsTests {
    @Test func readsTheConfiguredFilesTrimmed() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try "KeyKeyKeyKeyKeyKey\n".write(toFile: dir.path + "/key", atomically: true, encoding: .utf8)
        try "SecretSecretSecretSecretSecret12\n".write(toFile: dir.path + "/secret", atomically: true, encoding: .utf8)
        let settings = FracttalSettings(adminKeyFile: dir.path + "/key", adminSecretFile: dir.path + "/secret")
        let creds = try AdminCredentials.load(settings, configPath: "/etc/rotord/rotord.yaml", environment: [:])
        #expect(creds.key == "KeyKeyKeyKeyKeyKey")
        #expect(creds.secret == "SecretSecretSecretSecretSecret12")
        #expect(!"\(creds)".contains("Secret"), "descriptions never show the secret")
    }

    @Test func prefersCredentialsDirectory() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/creds", withIntermediateDirectories: true)
        try "FromCredentialsDir".write(
            toFile: dir.path + "/creds/fracttal-admin-key", atomically: true, encoding: .utf8)
        try "SecretFromCredentialsDirectory12".write(
            toFile: dir.path + "/creds/fracttal-admin-secret", atomically: true, encoding: .utf8)
        // The configured paths do not exist: $CREDENTIALS_DIRECTORY (LoadCredential=) has the files.
        let settings = FracttalSettings()
        let creds = try AdminCredentials.load(
            settings, configPath: "/etc/rotord/rotord.yaml", environment: ["CREDENTIALS_DIRECTORY": dir.path + "/creds"]
        )
        #expect(creds.key == "FromCredentialsDir")
    }

    @Test func missingFileNamesTheKey() {
        let settings = FracttalSettings(adminKeyFile: "/nonexistent/key", adminSecretFile: "/nonexistent/secret")
        #expect {
            _ = try AdminCredentials.load(settings, configPath: "/etc/rotord/rotord.yaml", environment: [:])
        } throws: { error in
            let e = error as? ConfigurationError
            return e?.key == "fracttal.admin.key_file" && e?.file == "/etc/rotord/rotord.yaml"
        }
    }
}
