import Foundation
import Glibc
import RotordKit

/// A temporary directory laid out like a server for the hostile-input tests: the configuration
/// file, the admin credential files, a state directory, a deliver directory and a symbolic link to
/// it, and a YAML builder that puts a consumer's `deliver:` (or any extra keys) into a valid file.
struct HostileWorld {
    let dir = TemporaryDirectory("rotord-hostile")
    var root: String { dir.path }
    var configPath: String { root + "/rotord.yaml" }
    var keyFile: String { root + "/admin-key" }
    var secretFile: String { root + "/admin-secret" }
    var stateDir: String { root + "/state" }
    var out: String { root + "/out" }
    /// A symbolic link to ``out``.
    var link: String { root + "/link" }

    static let adminKey = "AdminKeyAdminKey18"
    static let adminSecret = "AdminSecretAdminSecretAdminSec32"

    init() {
        try? FileManager.default.createDirectory(atPath: root + "/out", withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: root + "/state", withIntermediateDirectories: true)
        chmod(root + "/state", 0o700)
        symlink(root + "/out", root + "/link")
        try? Self.adminKey.write(toFile: keyFile, atomically: true, encoding: .utf8)
        try? Self.adminSecret.write(toFile: secretFile, atomically: true, encoding: .utf8)
    }

    func remove() { dir.remove() }

    /// A whole configuration: `consumer` is the body of the first consumer after its name and group
    /// (indented 4 spaces), `top` extra top-level text, `defaults` the body of `defaults:`.
    func yaml(consumer: String = "", defaults: String = "", top: String = "", stateDir: String? = nil) -> String {
        """
        fracttal:
          token_url: https://one.fracttal.com/oauth/token
          api_url: https://app.fracttal.com/api
          admin:
            key_file: \(keyFile)
            secret_file: \(secretFile)
        state_dir: \(stateDir ?? self.stateDir)
        defaults:
          max_age: 90d
        \(defaults)
        consumers:
          - name: etl
            permission_group: Reportes
        \(consumer)
        \(top)
        """
    }

    /// `deliver:` with one target per path (format env), 4-space indented for ``yaml(consumer:)``.
    static func deliver(_ paths: String...) -> String {
        "    deliver:\n" + paths.map { "      - path: \($0)\n" }.joined()
    }

    /// The errors of loading `text` written to the configuration file; empty when it loads.
    func errors(_ text: String) -> [ConfigurationError] {
        try? text.write(toFile: configPath, atomically: true, encoding: .utf8)
        return errorsOfFile()
    }

    /// The errors of loading the configuration file as it is.
    func errorsOfFile() -> [ConfigurationError] {
        do {
            _ = try ConfigurationLoader().load(path: configPath)
            return []
        } catch {
            return error.errors
        }
    }
}
