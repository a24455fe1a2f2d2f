/// What encrypts a credential for systemd's `LoadCredentialEncrypted=` and decrypts one back: `systemd-creds` on a
/// host (``SystemdCreds``), an in-memory fake in the engine's simulation and in tests.
///
/// The plaintext is a secret: an implementation never puts it in a process's arguments, environment or a file, and
/// never in an error.
package protocol CredentialCipher: Sendable {
    /// The encrypted form of `plaintext` under the credential name `name` (what `systemd-creds encrypt --name=NAME`
    /// writes).
    func encrypt(name: String, plaintext: [UInt8]) async throws(CredentialCipherFailure) -> [UInt8]
    /// The plaintext of `ciphertext`, which must carry the credential name `name`.
    func decrypt(name: String, ciphertext: [UInt8]) async throws(CredentialCipherFailure) -> [UInt8]
}

/// Why a credential could not be encrypted or decrypted: what was being done, and what the tool said (bounded,
/// never the plaintext).
package struct CredentialCipherFailure: Error, Sendable, CustomStringConvertible {
    /// What was being done, e.g. `encrypting the credential reports-etl.cred`.
    package var operation: String
    /// Why it failed, and what to do where that is known.
    package var reason: String

    /// Creates a failure.
    package init(operation: String, reason: String) {
        self.operation = operation
        self.reason = reason
    }

    package var description: String { "\(operation): \(reason)" }
}
