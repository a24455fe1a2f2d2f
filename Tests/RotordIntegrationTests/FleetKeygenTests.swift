import Foundation
import Glibc
import Testing

/// `rotord fleet keygen --out PATH` with the release binary: the private key only in the file, the public printed.
@Suite struct FleetKeygenTests {
    @Test func keygenWritesThePrivateKeyOnceAndPrintsOnlyThePublicOne() async throws {
        let s = try await Scenario(consumers: [])
        defer { s.cleanUp() }
        let path = s.dir + "/host.key"
        let made = try await s.run(["fleet", "keygen", "--out", path])
        #expect(made.status == 0, "\(made.output)")
        let privateKey = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(Data(base64Encoded: privateKey)?.count == 32)
        #expect(!made.output.contains(privateKey), "the private key is never printed")
        let publicKey = made.stdout.split(separator: "\n").first { $0.hasPrefix("public key: ") }
        #expect(publicKey.map { Data(base64Encoded: String($0.dropFirst("public key: ".count)))?.count } == 32)
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        let again = try await s.run(["fleet", "keygen", "--out", path])
        #expect(again.status == 73 && again.stderr.contains("never replaces"), "\(again.output)")
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains(privateKey), "the first key is kept")
    }
}
