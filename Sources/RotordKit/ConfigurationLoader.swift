import Foundation
import RotordCore
import Yams

/// Reads and validates the YAML configuration described in `docs/configuration.md`.
///
/// Unknown keys are errors (a typo must not silently fall back to a default), every path must be
/// absolute, and all problems are reported together, each naming the file, the key and the line.
public struct ConfigurationLoader: Sendable {
    /// The default location.
    public static let defaultPath = "/etc/rotord/rotord.yaml"

    /// Creates a loader.
    public init() {}

    /// Loads the file at `path`.
    public func load(path: String) throws(ConfigurationErrors) -> RotordConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason =
                FileManager.default.fileExists(atPath: path)
                ? "cannot be read (check its permissions)" : "does not exist"
            throw ConfigurationErrors(errors: [.init(file: path, key: "", message: "the configuration file \(reason)")])
        }
        return try parse(text, path: path)
    }

    /// Parses `text` as if read from `path`.
    public func parse(_ text: String, path: String) throws(ConfigurationErrors) -> RotordConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationErrors(errors: [.init(file: path, key: "", message: "not valid YAML: \(error)")])
        }
        var reader = ConfigReader(file: path)
        guard let root, let top = reader.mapping(root, at: "") else {
            throw ConfigurationErrors(
                errors: reader.errors.isEmpty
                    ? [.init(file: path, key: "", message: "the file is empty")] : reader.errors)
        }
        let configuration = reader.configuration(top)
        if !reader.errors.isEmpty { throw ConfigurationErrors(errors: reader.errors) }
        return configuration
    }
}
