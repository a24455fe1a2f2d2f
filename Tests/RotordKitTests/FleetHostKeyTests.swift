import Crypto
import Foundation
import Glibc
import Testing

@testable import RotordKit

/// A fleet host's key file: made once (0600), never replaced, refused when others can read it.
@Suite struct FleetHostKeyTests {
    @Test func madeOnceReadBackAndNeverReplaced() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/host.key"
        let publicKey = try FleetHostKey.generate(at: path)
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        let key = try FleetHostKey.load(path)
        #expect(key.publicKey.rawRepresentation.base64EncodedString() == publicKey)
        #expect(throws: FleetHostKey.Failure.self) { try FleetHostKey.generate(at: path) }
        #expect(try FleetHostKey.load(path).rawRepresentation == key.rawRepresentation, "the first key is kept")
        chmod(path, 0o644)
        do {
            _ = try FleetHostKey.load(path)
            Issue.record("a key others can read must be refused")
        } catch {
            #expect(error.reason.contains("chmod 0600"))
            #expect(!error.description.contains(key.rawRepresentation.base64EncodedString()))
        }
    }
}
