import Crypto
import Foundation
import RotordCore
import RotordKit
import Testing

/// `rotord fleet keygen`: a 0600 private key that matches the printed public key, never printed itself, never
/// overwriting a file or following a link.
@Suite struct FleetKeygenTests {
    /// A new temporary directory, and a closure that removes it.
    static func temporaryDirectory() throws -> (path: String, remove: @Sendable () -> Void) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keygen-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return (path, { try? FileManager.default.removeItem(atPath: path) })
    }

    @Test func writesA0600KeyAndPrintsOnlyThePublicKey() throws {
        let (directory, remove) = try Self.temporaryDirectory()
        defer { remove() }
        let path = "\(directory)/fleet.key"
        var lines: [String] = []
        #expect(Commands.fleetKeygen(out: path) { lines.append($0) } == 0)

        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let raw = try #require(Data(base64Encoded: text.trimmingCharacters(in: .newlines)))
        let key = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
        let printed = lines.joined(separator: "\n")
        #expect(printed.contains("public key: \(key.publicKey.rawRepresentation.base64EncodedString())"))
        #expect(!printed.contains(raw.base64EncodedString()), "the private key is never printed")

        // Never overwritten.
        var again: [String] = []
        #expect(Commands.fleetKeygen(out: path) { again.append($0) } == 1)
        #expect(again.isEmpty)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)

        // Never through a symbolic link.
        let link = "\(directory)/link.key"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "\(directory)/target.key")
        #expect(Commands.fleetKeygen(out: link) { _ in } == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/target.key"))
    }

    @Test func checkConfigChecksTheKeyFile() throws {
        let (directory, remove) = try Self.temporaryDirectory()
        defer { remove() }
        let path = "\(directory)/fleet.key"
        let cluster = ClusterSettings(endpoints: ["http://127.0.0.1:1"], prefix: "/rotord/t", host: "h", keyFile: path)
        func problems() -> [String] {
            Commands.clusterKeyProblems(cluster, configPath: "/etc/rotord/rotord.yaml").map(\.description)
        }
        #expect(problems().count == 1 && problems()[0].contains("cluster.key_file"), "missing: \(problems())")
        #expect(Commands.fleetKeygen(out: path) { _ in } == 0)
        #expect(problems().isEmpty)
        chmod(path, 0o644)
        #expect(problems().first?.contains("must be 0600") == true, "\(problems())")
        try "not a key\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        #expect(problems().first?.contains("does not hold an X25519 private key") == true, "\(problems())")
    }
}
