import Foundation
import FracttalClient
import RotordCore

/// Reads the Super Administrator consumer's key and secret from their files.
///
/// Under systemd, `LoadCredential=` puts them in `$CREDENTIALS_DIRECTORY`; when that variable is
/// set and holds a file with the configured file's name, that file is used.
package enum AdminCredentials {
    /// Loads the pair named by `settings`; errors name the configuration key and the file.
    package static func load(
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
    package static func resolve(_ path: String, environment: [String: String]) -> String {
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
        let bytes: [UInt8]
        do { bytes = try InputFile.read(path, limit: 65_536) } catch {
            if case .missing = error {
                throw ConfigurationError(
                    file: configPath, key: key,
                    message: "\(path) does not exist (under systemd, check LoadCredential= in rotord.service)")
            }
            throw ConfigurationError(file: configPath, key: key, message: "\(path) \(error)")
        }
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
