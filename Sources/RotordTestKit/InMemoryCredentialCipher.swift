import RotordKit

/// A ``CredentialCipher`` without `systemd-creds`, for the engine's simulation and unit tests: the "ciphertext" is a
/// header naming the credential, then the plaintext with every byte inverted, so a test can tell that a file is not
/// the plaintext and that a decrypt under another name is refused, as `systemd-creds decrypt --name=` refuses it.
package struct InMemoryCredentialCipher: CredentialCipher {
    /// The first line of every "ciphertext".
    package static let header = "rotord-test-credential "

    /// Creates the cipher.
    package init() {}

    package func encrypt(name: String, plaintext: [UInt8]) async throws(CredentialCipherFailure) -> [UInt8] {
        Array("\(Self.header)\(name)\n".utf8) + plaintext.map { ~$0 }
    }

    package func decrypt(name: String, ciphertext: [UInt8]) async throws(CredentialCipherFailure) -> [UInt8] {
        let prefix = Array("\(Self.header)\(name)\n".utf8)
        guard ciphertext.starts(with: prefix) else {
            throw CredentialCipherFailure(
                operation: "decrypting the credential \(name)",
                reason: "not a credential of this name (embedded name does not match)")
        }
        return ciphertext.dropFirst(prefix.count).map { ~$0 }
    }
}
