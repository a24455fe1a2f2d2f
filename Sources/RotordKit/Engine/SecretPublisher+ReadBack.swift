import Foundation
import RotordCore

/// Reading back what the deliver files hold now, so that the output of a hook or probe run after the journal
/// dropped the secret (an unconfirmed rotation, `test-hooks`) can still be masked before it is logged.
extension SecretPublisher {
    /// The key and secret held by the first of `targets` that can be read (`env`, `credstore`,
    /// `credstore-encrypted` decrypted by `cipher`, `json`, `raw`), or `nil`.
    package static func currentPair(_ targets: [DeliverTarget], cipher: any CredentialCipher = SystemdCreds()) async
        -> (key: String, secret: String)?
    {
        for target in targets {
            if case .credstoreEncrypted(let keyVariable, let secretVariable, _) = target.format {
                guard let plain = await plaintext(of: target, at: target.path, cipher: cipher),
                    let pair = envPair(String(decoding: plain, as: UTF8.self), keyVariable, secretVariable)
                else { continue }
                return pair
            }
            if case .rawEncrypted(let keyPath, let secretPath, _, _) = target.format {
                guard let key = await plaintext(of: target, at: keyPath, cipher: cipher),
                    let secret = await plaintext(of: target, at: secretPath, cipher: cipher)
                else { continue }
                return rawPair(String(decoding: key, as: UTF8.self), String(decoding: secret, as: UTF8.self))
            }
            if let pair = pair(in: target) { return pair }
        }
        return nil
    }

    /// The secret `targets` hold now when it is not the pair of `newKey`: the old secret, read before a publish
    /// replaces it, so that the actions and the probe run after it can mask it in their output; `nil` when the files
    /// hold none, or already hold the new pair.
    package static func replacedSecret(
        _ targets: [DeliverTarget], newKey: String, cipher: any CredentialCipher = SystemdCreds()
    ) async -> String? {
        guard let old = await currentPair(targets, cipher: cipher), old.key != newKey, !old.secret.isEmpty else {
            return nil
        }
        return old.secret
    }

    /// The key and secret of a target whose file is not encrypted (`env`, `credstore`, `json`, `raw`), or `nil`.
    package static func pair(in target: DeliverTarget) -> (key: String, secret: String)? {
        switch target.format {
        case .env(let keyVariable, let secretVariable), .credstore(let keyVariable, let secretVariable):
            guard let text = try? String(contentsOfFile: target.path, encoding: .utf8) else { return nil }
            return envPair(text, keyVariable, secretVariable)
        case .json(let keyField, let secretField):
            guard let data = FileManager.default.contents(atPath: target.path),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let key = object[keyField] as? String, let secret = object[secretField] as? String
            else { return nil }
            return (key, secret)
        case .raw(let keyPath, let secretPath):
            guard let key = try? String(contentsOfFile: keyPath, encoding: .utf8),
                let secret = try? String(contentsOfFile: secretPath, encoding: .utf8)
            else { return nil }
            return rawPair(key, secret)
        case .template, .credstoreEncrypted, .rawEncrypted:
            return nil
        }
    }

    /// The pair of two bare-value files (`raw`, `raw-encrypted`): a file written by hand may end with a newline,
    /// which is not part of the value.
    static func rawPair(_ key: String, _ secret: String) -> (key: String, secret: String) {
        (key.trimmingWhitespace(), secret.trimmingWhitespace())
    }

    /// What the file `path` of `target` holds, decrypted by `cipher` for `credstore-encrypted`; `nil` when it cannot
    /// be read or decrypted.
    package static func plaintext(of target: DeliverTarget, at path: String, cipher: any CredentialCipher) async
        -> [UInt8]?
    {
        guard let bytes = (try? AtomicFile.read(path)) ?? nil else { return nil }
        guard let credential = target.credentialName(of: path) else { return bytes }
        return try? await cipher.decrypt(name: credential, ciphertext: bytes)
    }

    /// The two variables of an `env` text.
    static func envPair(_ text: String, _ keyVariable: String, _ secretVariable: String)
        -> (key: String, secret: String)?
    {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            values[String(parts[0])] = unquote(String(parts[1]))
        }
        guard let key = values[keyVariable], let secret = values[secretVariable] else { return nil }
        return (key, secret)
    }

    /// The value of an `env` line as ``envQuote(_:)`` wrote it.
    static func unquote(_ value: String) -> String {
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return value }
        var out = ""
        var escaped = false
        for ch in value.dropFirst().dropLast() {
            if escaped || ch != "\\" {
                out.append(ch)
                escaped = false
            } else {
                escaped = true
            }
        }
        return out
    }
}
