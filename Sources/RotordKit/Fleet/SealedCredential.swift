import Crypto
import Foundation

/// A credential pair sealed to one host of a fleet (issue 20; docs/fleet.md): what the leader writes to etcd for a
/// host that delivers the consumer, which only that host can open.
///
/// HPKE (RFC 9180) in base mode with `Curve25519_SHA256_ChachaPoly`, to the host's X25519 public key. The
/// ``Context`` (account, host, rotation, consumer, new consumer id) is bound twice: as the key schedule's `info` and
/// as the associated data of the one message, so a sealed copy moved to another host, rotation, consumer or
/// account does not open. The plaintext is the pair as JSON; it is never kept, logged or put in an error.
package struct SealedCredential: Sendable, Hashable, Codable {
    /// What a sealed copy is for; the same on both sides, or it does not open.
    package struct Context: Sendable, Hashable {
        /// The account (its API URL).
        package var account: String
        /// The host it is sealed to.
        package var host: String
        /// The rotation that made the pair.
        package var rotationID: String
        /// The consumer's name.
        package var consumer: String
        /// The new consumer's id in Fracttal.
        package var newConsumerID: Int

        /// Creates a context.
        package init(account: String, host: String, rotationID: String, consumer: String, newConsumerID: Int) {
            self.account = account
            self.host = host
            self.rotationID = rotationID
            self.consumer = consumer
            self.newConsumerID = newConsumerID
        }

        /// The canonical bytes: a label and version, then each field length-prefixed (so no two contexts share
        /// bytes).
        var bytes: Data {
            var out = Data("rotord-fleet-sealed-credential-v1".utf8)
            for field in [account, host, rotationID, consumer, String(newConsumerID)] {
                let utf8 = Array(field.utf8)
                withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { out.append(contentsOf: $0) }
                out.append(contentsOf: utf8)
            }
            return out
        }
    }

    /// Why a sealed copy could not be made or opened. Never holds a secret.
    package struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        private enum Code: Sendable, Hashable {
            case unsupportedVersion(Int)
            case sealing(String)
            case opening
            case malformed
        }

        private let code: Code

        private init(_ code: Code) { self.code = code }

        static func unsupportedVersion(_ version: Int) -> Failure { Failure(.unsupportedVersion(version)) }
        static func sealing(_ detail: String) -> Failure { Failure(.sealing(detail)) }
        static let opening = Failure(.opening)
        static let malformed = Failure(.malformed)

        package var description: String {
            switch code {
            case .unsupportedVersion(let version):
                "the sealed credential has format version \(version); this rotord reads version "
                    + "\(SealedCredential.currentVersion): upgrade it"
            case .sealing(let detail): "sealing the credential failed: \(detail)"
            case .opening:
                "the sealed credential does not open with this host's key for this context (sealed to another host, "
                    + "rotation, consumer or account, or altered)"
            case .malformed: "the sealed credential opened, but does not hold a key and a secret"
            }
        }
    }

    /// The format version this rotord writes and reads.
    package static let currentVersion = 1
    /// The cipher suite.
    static let suite = HPKE.Ciphersuite.Curve25519_SHA256_ChachaPoly

    /// The format version.
    package var version: Int
    /// HPKE's encapsulated key (base64 in JSON).
    package var encapsulatedKey: Data
    /// The sealed pair (base64 in JSON).
    package var ciphertext: Data

    enum CodingKeys: String, CodingKey {
        case version, ciphertext
        case encapsulatedKey = "encapsulated_key"
    }

    private struct Pair: Codable {
        var key: String
        var secret: String
    }

    /// Seals `key` and `secret` to `recipient` for `context`.
    package static func seal(
        key: String, secret: String, to recipient: Curve25519.KeyAgreement.PublicKey, context: Context
    ) throws(Failure) -> SealedCredential {
        do {
            var sender = try HPKE.Sender(recipientKey: recipient, ciphersuite: suite, info: context.bytes)
            let plaintext = try JSONEncoder().encode(Pair(key: key, secret: secret))
            let ciphertext = try sender.seal(plaintext, authenticating: context.bytes)
            return SealedCredential(
                version: currentVersion, encapsulatedKey: sender.encapsulatedKey, ciphertext: ciphertext)
        } catch {
            throw .sealing("\(type(of: error))")
        }
    }

    /// Opens the sealed pair with the host's private key, for `context`.
    package func open(with privateKey: Curve25519.KeyAgreement.PrivateKey, context: Context) throws(Failure) -> (
        key: String, secret: String
    ) {
        guard version == Self.currentVersion else { throw .unsupportedVersion(version) }
        let plaintext: Data
        do {
            var recipient = try HPKE.Recipient(
                privateKey: privateKey, ciphersuite: Self.suite, info: context.bytes, encapsulatedKey: encapsulatedKey)
            plaintext = try recipient.open(ciphertext, authenticating: context.bytes)
        } catch {
            throw .opening
        }
        guard let pair = try? JSONDecoder().decode(Pair.self, from: plaintext) else { throw .malformed }
        return (pair.key, pair.secret)
    }
}
