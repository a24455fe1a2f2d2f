import Foundation
import FracttalClient
import RotordCore

/// Reads the Super Administrator consumer's key and secret from their files.
///
/// Under systemd, `LoadCredential=` puts them in `$CREDENTIALS_DIRECTORY`; when that variable is
/// set and holds a file with the configured file's name, that file is used.
package enum AdminCredentials {
    /// Loads the pair named by `settings`; errors name the configuration key and the file.
    ///
    /// With `admin.rotate`, `store` (the state directory) completes a pair torn by a crash between the two files of
    /// a self-rotation's publish (``completingInterruptedPublish(_:store:)``).
    /// Encrypted sources (`encrypted: true`) are decrypted by `cipher`.
    package static func load(
        _ settings: FracttalSettings, configPath: String,
        environment: [String: String] = ProcessInfo.processInfo.environment, store: StateStore? = nil,
        cipher: any CredentialCipher = SystemdCreds()
    ) async throws(ConfigurationError) -> FracttalCredentials {
        // With `admin.rotate`, the source files are the truth: after a self-rotation the copy systemd made at start
        // (`$CREDENTIALS_DIRECTORY`) still holds the old pair until the next start, and a reload must not go back to it.
        if let rotation = settings.adminRotation, FileManager.default.fileExists(atPath: rotation.keySource),
            FileManager.default.fileExists(atPath: rotation.secretSource)
        {
            let keyName = rotation.encrypted ? rotation.keyName : nil
            let secretName = rotation.encrypted ? rotation.secretName : nil
            let key = try await read(
                rotation.keySource, key: "fracttal.admin.rotate.key_source", configPath: configPath, environment: [:],
                decrypting: keyName, cipher: cipher)
            let secret = try await read(
                rotation.secretSource, key: "fracttal.admin.rotate.secret_source", configPath: configPath,
                environment: [:], decrypting: secretName, cipher: cipher)
            return completingInterruptedPublish(FracttalCredentials(key: key, secret: secret), store: store)
        }
        let key = try await read(
            settings.adminKeyFile, key: "fracttal.admin.key_file", configPath: configPath, environment: environment)
        let secret = try await read(
            settings.adminSecretFile, key: "fracttal.admin.secret_file", configPath: configPath,
            environment: environment)
        return FracttalCredentials(key: key, secret: secret)
    }

    /// The admin pair a restart acts as. A self-rotation publishes the key file, then the secret file: a crash
    /// between the two leaves the new key beside the old secret, a pair no consumer has. The journal still holds the
    /// new pair then (a record keeps its new secret until the rotation is confirmed), so when the files' key is a
    /// rotation's new key and the secret differs from that rotation's, the journal's secret completes the pair (the
    /// resumed rotation writes the secret file again). Found by a `kill -9` after the first file
    /// (`AdminRotationTests`) and then by the engine simulation (invariant I8).
    package static func completingInterruptedPublish(_ read: FracttalCredentials, store: StateStore?)
        -> FracttalCredentials
    {
        guard let records = try? store?.rotations() else { return read }
        for record in records where !record.step.isTerminal && record.newKey == read.key {
            if let secret = record.newSecret, secret != read.secret {
                return FracttalCredentials(key: read.key, secret: secret)
            }
        }
        return read
    }

    /// The file actually read for `path`.
    package static func resolve(_ path: String, environment: [String: String]) -> String {
        if let dir = environment["CREDENTIALS_DIRECTORY"], !dir.isEmpty {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            let candidate = dir + "/" + name
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return path
    }

    /// The credential in `configured` (or its copy under `$CREDENTIALS_DIRECTORY`); decrypted by `cipher` under the
    /// name `decrypting` when that is given (an encrypted source of `admin.rotate`).
    static func read(
        _ configured: String, key: String, configPath: String, environment: [String: String],
        decrypting name: String? = nil, cipher: any CredentialCipher = SystemdCreds()
    ) async throws(ConfigurationError) -> String {
        var (path, bytes) = try fileBytes(configured, key: key, configPath: configPath, environment: environment)
        if let name {
            do { bytes = try await cipher.decrypt(name: name, ciphertext: bytes) } catch {
                throw ConfigurationError(
                    file: configPath, key: key,
                    message: "\(path) cannot be decrypted as the credential \(name): \(error)")
            }
        }
        return try line(of: bytes, path: path, key: key, configPath: configPath)
    }

    /// The one line of the plain credential file `configured` (or its copy under `$CREDENTIALS_DIRECTORY`), read as
    /// ``read(_:key:configPath:environment:decrypting:cipher:)`` reads it: also the etcd user's password
    /// (`cluster.etcd.auth.password_file`). Returns the path it read, too.
    static func readPlain(_ configured: String, key: String, configPath: String, environment: [String: String])
        throws(ConfigurationError) -> (path: String, text: String)
    {
        let (path, bytes) = try fileBytes(configured, key: key, configPath: configPath, environment: environment)
        return (path, try line(of: bytes, path: path, key: key, configPath: configPath))
    }

    /// The resolved path of `configured` and what it holds (a regular file, at most 64 KiB).
    private static func fileBytes(
        _ configured: String, key: String, configPath: String, environment: [String: String]
    ) throws(ConfigurationError) -> (path: String, bytes: [UInt8]) {
        let path = resolve(configured, environment: environment)
        do { return (path, try InputFile.read(path, limit: 65_536)) } catch {
            if case .missing = error {
                throw ConfigurationError(
                    file: configPath, key: key,
                    message: "\(path) does not exist (under systemd, check LoadCredential= in rotord.service)")
            }
            throw ConfigurationError(file: configPath, key: key, message: "\(path) \(error)")
        }
    }

    /// The one non-empty line of a credential file's `bytes`.
    private static func line(of bytes: [UInt8], path: String, key: String, configPath: String)
        throws(ConfigurationError) -> String
    {
        // The content is a credential: no message below ever quotes it.
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError(file: configPath, key: key, message: "\(path) is not UTF-8 text")
        }
        let lines = decoded.split(whereSeparator: \.isNewline)
            .map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        guard let text = lines.first else {
            throw ConfigurationError(
                file: configPath, key: key, message: "\(path) is empty; it must hold the credential on one line")
        }
        guard lines.count == 1 else {
            throw ConfigurationError(
                file: configPath, key: key,
                message: "\(path) holds \(lines.count) non-empty lines; it must hold exactly one (the credential alone)"
            )
        }
        return text
    }
}
