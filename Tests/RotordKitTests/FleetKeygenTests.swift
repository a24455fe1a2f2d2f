import Crypto
import Foundation
import RotordKit
import Testing

/// `rotord fleet keygen`: a 0600 private key that matches the printed public key, never printed itself, never
/// overwriting a file or following a link.
@Suite struct FleetKeygenTests {
    @Test func writesA0600KeyAndPrintsOnlyThePublicKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keygen-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
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
}
