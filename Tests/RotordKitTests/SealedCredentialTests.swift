import Crypto
import Foundation
import Testing

@testable import RotordKit

/// Issue 20's per-host delivery: a pair sealed to one host opens there, for its context only.
@Suite struct SealedCredentialTests {
    let key = "AbCdEfGhIjKlMnOpQr"
    let secret = "S3cr3tS3cr3tS3cr3tS3cr3tS3cr3t12"
    let context = SealedCredential.Context(
        account: "https://app.fracttal.com/api", host: "etl-1", rotationID: "r1767225600-0000abcd", consumer: "etl",
        newConsumerID: 1042)

    @Test func theHostItIsSealedToOpensIt() throws {
        let host = Curve25519.KeyAgreement.PrivateKey()
        let sealed = try SealedCredential.seal(key: key, secret: secret, to: host.publicKey, context: context)
        let pair = try sealed.open(with: host, context: context)
        #expect(pair.key == key && pair.secret == secret)
        // Each seal is fresh: the same pair sealed twice gives two different copies.
        let again = try SealedCredential.seal(key: key, secret: secret, to: host.publicKey, context: context)
        #expect(again.ciphertext != sealed.ciphertext && again.encapsulatedKey != sealed.encapsulatedKey)
    }

    @Test func anotherHostOrAnotherContextCannotOpenIt() throws {
        let host = Curve25519.KeyAgreement.PrivateKey()
        let sealed = try SealedCredential.seal(key: key, secret: secret, to: host.publicKey, context: context)
        #expect(throws: SealedCredential.Failure.self) {
            try sealed.open(with: Curve25519.KeyAgreement.PrivateKey(), context: context)
        }
        var others: [SealedCredential.Context] = []
        for change in 0..<5 {
            var other = context
            switch change {
            case 0: other.account = "https://other.example/api"
            case 1: other.host = "etl-2"
            case 2: other.rotationID = "r1767225600-0000abce"
            case 3: other.consumer = "etl2"
            default: other.newConsumerID = 1043
            }
            others.append(other)
        }
        for other in others {
            #expect(throws: SealedCredential.Failure.self, "\(other)") { try sealed.open(with: host, context: other) }
        }
        var altered = sealed
        altered.ciphertext[altered.ciphertext.startIndex] ^= 1
        #expect(throws: SealedCredential.Failure.self) { try altered.open(with: host, context: context) }
    }

    @Test func theSealedFormHoldsNothingInClear() throws {
        let host = Curve25519.KeyAgreement.PrivateKey()
        let sealed = try SealedCredential.seal(key: key, secret: secret, to: host.publicKey, context: context)
        let json = String(decoding: try JSONEncoder().encode(sealed), as: UTF8.self)
        #expect(json.contains("\"version\":1") && json.contains("encapsulated_key"))
        #expect(!json.contains(secret) && !json.contains(key) && !json.contains(secret.prefix(8)))
        let bytes = sealed.ciphertext + sealed.encapsulatedKey
        #expect(bytes.range(of: Data(secret.utf8)) == nil && bytes.range(of: Data(key.utf8)) == nil)
        let decoded = try JSONDecoder().decode(SealedCredential.self, from: Data(json.utf8))
        #expect(try decoded.open(with: host, context: context).secret == secret)
        var future = decoded
        future.version = 2
        do {
            _ = try future.open(with: host, context: context)
            Issue.record("a newer format must be refused")
        } catch {
            #expect(error.description.contains("version 2"))
            #expect(!error.description.contains(secret))
        }
    }
}
