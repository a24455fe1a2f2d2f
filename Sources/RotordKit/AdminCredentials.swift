import Foundation
import FracttalClient
import RotordCore

/// Reads the Super Administrator consumer's key and secret from their files.
///
/// Under systemd, `LoadCredential=` puts them in `$CREDENTIALS_DIRECTORY`; when that variable is
/// set and holds a file with the configured file's name, that file is used.
public enum AdminCredentials {
    /// Loads the pair named by `settings`; errors name the configuration key and the file.
    public static func load(
        _ settings: FracttalSettings, configPath: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> FracttalCredentials {
        let key = try read(
            settings.adminKeyFile, key: "fracttal.admin.key_file", configPath: configPath, environment: environment)
        let secret = try read(
            settings.adminSecretFile, key: "fracttal.admin.secret_file", configPath: configPath,
            environment: environment)
        return FracttalCredentials(key: key, secret: secret)
    }

    /// The file actually read for `path`.
    public static func resolve(_ path: String, environment: [String: String]) -> String {
        if let dir = environment["CREDENTIALS_DIRECTORY"], !dir.isEmpty {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            let candidate = dir + "/" + name
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return path
    }

    static func read(_ configured: String, key: String, configPath: String, environment: [String: String])
        throws(ConfigurationError) -> String
    {
        let path = resolve(configured, environment: environment)
        let bytes: [UInt8]?
        do { bytes = try AtomicFile.read(path) } catch {
            throw ConfigurationError(file: configPath, key: key, message: "cannot read \(path): \(error)")
        }
        guard let bytes else {
            throw ConfigurationError(
                file: configPath, key: key,
                message: "\(path) does not exist (under systemd, check LoadCredential= in rotord.service)")
        }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ConfigurationError(file: configPath, key: key, message: "\(path) is empty") }
        guard !text.contains(where: \.isNewline) else {
            throw ConfigurationError(file: configPath, key: key, message: "\(path) must hold one line")
        }
        return text
    }
}
