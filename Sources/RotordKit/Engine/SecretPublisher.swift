import Foundation
import Glibc
import RotordCore

/// Renders a credential into each deliver target's format and writes it atomically
/// (see ``AtomicFile``; in place with `in_place`), with the target's mode (0600 by default) and owner,
/// keeping `backup` previous versions. `credstore` has the `env` layout; `credstore-encrypted` that layout
/// encrypted by ``cipher`` (see ``sealed(_:for:at:)``), and read back after it is written.
package struct SecretPublisher: Sendable {
    /// Called after each file is written (fault injection in tests; progress for the watchdog).
    package var afterEachFile: @Sendable (String) async -> Void
    /// What encrypts `credstore-encrypted` files.
    package var cipher: any CredentialCipher

    /// Creates a publisher.
    package init(
        cipher: any CredentialCipher = SystemdCreds(),
        afterEachFile: @escaping @Sendable (String) async -> Void = { _ in }
    ) {
        self.cipher = cipher
        self.afterEachFile = afterEachFile
    }

    /// The files and bytes a target gets for this pair; `rotatedAt` is the template's `{{rotated_at}}`.
    package static func render(
        _ target: DeliverTarget, name: String, key: String, secret: String, rotatedAt: Date
    ) throws(DeliverTemplate.Problem) -> [(String, [UInt8])] {
        switch target.format {
        case .env(let keyVariable, let secretVariable), .credstore(let keyVariable, let secretVariable),
            .credstoreEncrypted(let keyVariable, let secretVariable, _):
            let text = "\(keyVariable)=\(envQuote(key))\n\(secretVariable)=\(envQuote(secret))\n"
            return [(target.path, Array(text.utf8))]
        case .json(let keyField, let secretField):
            let text =
                "{\(jsonString(keyField)): \(jsonString(key)), \(jsonString(secretField)): \(jsonString(secret))}\n"
            return [(target.path, Array(text.utf8))]
        case .raw(let keyPath, let secretPath), .rawEncrypted(let keyPath, let secretPath, _, _):
            return [(keyPath, Array(key.utf8)), (secretPath, Array(secret.utf8))]
        case .template(let text):
            let rendered = try DeliverTemplate(text).render(key: key, secret: secret, name: name, rotatedAt: rotatedAt)
            return [(target.path, Array(rendered.utf8))]
        }
    }

    /// Writes every target; returns the files written or already up to date. `rotatedAt` (the template's
    /// `{{rotated_at}}`) must be the same for every publish of one rotation, so that a re-publish writes nothing.
    package func publish(_ targets: [DeliverTarget], name: String, key: String, secret: String, rotatedAt: Date)
        async throws(RotationFailure)
        -> [String]
    {
        // Hostile paths are refused before anything is written (the old consumer stays in service).
        let problems = Self.pathProblems(targets)
        if !problems.isEmpty {
            throw RotationFailure(
                .permanent, "publishing the credential of \(name): refused: \(problems.joined(separator: "; "))")
        }
        var files: [String] = []
        for target in targets {
            let uid = target.owner.flatMap(UserDatabase.uid(for:))
            let gid = target.group.flatMap(UserDatabase.gid(for:))
            if target.owner != nil && uid == nil {
                throw RotationFailure(.permanent, "writing \(target.path): no such user \(target.owner!)")
            }
            if target.group != nil && gid == nil {
                throw RotationFailure(.permanent, "writing \(target.path): no such group \(target.group!)")
            }
            let rendered: [(String, [UInt8])]
            do {
                rendered = try Self.render(target, name: name, key: key, secret: secret, rotatedAt: rotatedAt)
            } catch {
                throw RotationFailure(.permanent, "writing \(target.path): the template \(error)")
            }
            for (path, plain) in rendered {
                let bytes = try await sealed(plain, for: target, at: path)
                do {
                    let mode = mode_t(target.mode)
                    try Self.keepBackups(
                        of: path, count: target.backup, replacingWith: bytes, mode: mode, uid: uid, gid: gid)
                    if target.inPlace {
                        try Self.writeInPlace(bytes, to: path, mode: mode, uid: uid, gid: gid)
                    } else {
                        try AtomicFile.write(bytes, to: path, mode: mode, uid: uid, gid: gid)
                    }
                } catch {
                    throw RotationFailure(.transient, "publishing the credential of \(name): \(error)")
                }
                if bytes != plain { try await readBack(path, for: target, expecting: plain) }
                files.append(path)
                await afterEachFile(path)
            }
        }
        return files
    }

    /// The bytes `target`'s file at `path` gets for the rendered `plain`: `plain` itself, or for `credstore-encrypted`
    /// its encryption; the file's current bytes when they already decrypt to `plain` (a re-publish writes nothing
    /// and keeps no backup, though each encryption differs).
    func sealed(_ plain: [UInt8], for target: DeliverTarget, at path: String) async throws(RotationFailure) -> [UInt8] {
        guard let credential = target.credentialName(of: path) else { return plain }
        if let current = try? AtomicFile.read(path),
            (try? await cipher.decrypt(name: credential, ciphertext: current)) == plain
        {
            return current
        }
        do {
            return try await cipher.encrypt(name: credential, plaintext: plain)
        } catch {
            throw RotationFailure(.transient, "writing \(path): \(error)")
        }
    }

    /// Fails unless the encrypted file at `path` decrypts to `plain`: what a service's `LoadCredentialEncrypted=`
    /// will read.
    func readBack(_ path: String, for target: DeliverTarget, expecting plain: [UInt8]) async throws(RotationFailure) {
        guard let credential = target.credentialName(of: path) else { return }
        let written: [UInt8]?
        do { written = try AtomicFile.read(path) } catch {
            throw RotationFailure(.transient, "reading back \(path): \(error)")
        }
        guard let written else { throw RotationFailure(.transient, "reading back \(path): it is gone") }
        let decrypted: [UInt8]
        do { decrypted = try await cipher.decrypt(name: credential, ciphertext: written) } catch {
            throw RotationFailure(.transient, "reading back \(path): \(error)")
        }
        guard decrypted == plain else {
            throw RotationFailure(.transient, "reading back \(path): it decrypts to another credential")
        }
    }

    /// systemd's EnvironmentFile= takes bare words; quote anything else.
    static func envQuote(_ value: String) -> String {
        let plain = value.unicodeScalars.allSatisfy {
            $0.isASCII
                && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_./+=:@".unicodeScalars.contains($0))
        }
        if plain && !value.isEmpty { return value }
        var out = "\""
        for ch in value {
            if ch == "\"" || ch == "\\" || ch == "$" || ch == "`" { out.append("\\") }
            out.append(ch)
        }
        return out + "\""
    }

    /// A JSON string literal.
    static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
