import Foundation
import RotordCore
import Yams

/// Reads and validates the YAML configuration described in `docs/configuration.md`.
///
/// Unknown keys are errors (a typo must not silently fall back to a default), every path must be
/// absolute, and all problems are reported together, each naming the file, the key and the line.
package struct ConfigurationLoader: Sendable {
    /// The default location.
    package static let defaultPath = "/etc/rotord/rotord.yaml"

    /// Creates a loader.
    package init() {}

    /// Loads the file at `path`.
    package func load(path: String) throws(ConfigurationErrors) -> RotordConfiguration {
        let bytes: [UInt8]
        do { bytes = try InputFile.read(path, limit: 4 << 20) } catch {
            throw ConfigurationErrors(errors: [
                .init(file: path, key: "", message: "the configuration file \(error)")
            ])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let line = Self.firstInvalidUTF8Line(bytes)
            throw ConfigurationErrors(errors: [
                .init(
                    file: path, key: "", line: line,
                    message: "the configuration file is not UTF-8 text; save it as UTF-8")
            ])
        }
        return try parse(text, path: path)
    }

    /// The 1-based line holding the first byte sequence that is not UTF-8.
    static func firstInvalidUTF8Line(_ bytes: [UInt8]) -> Int? {
        var line = 1
        var start = 0
        for (i, byte) in bytes.enumerated() where byte == 0x0A {
            if String(validating: bytes[start..<i], as: UTF8.self) == nil { return line }
            line += 1
            start = i + 1
        }
        return String(validating: bytes[start...], as: UTF8.self) == nil ? line : nil
    }

    /// Parses `text` as if read from `path`.
    package func parse(_ text: String, path: String) throws(ConfigurationErrors) -> RotordConfiguration {
        let root: Node?
        do {
            // The basic resolver: every plain scalar stays a string, which ConfigurationParser reads
            // and checks itself. Yams' default resolver compiles seven NSRegularExpressions (ICU)
            // to tag scalars as bool, int, null…, 12 % of a `run --once` (docs/benchmarks.md).
            root = try Yams.compose(yaml: text, .basic)
        } catch {
            throw ConfigurationErrors(errors: [.init(file: path, key: "", message: "not valid YAML: \(error)")])
        }
        var reader = ConfigurationParser(file: path)
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
