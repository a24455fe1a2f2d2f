import Foundation
import RotordCore

/// Reading back what the deliver files hold now, so that the output of a hook or probe run after the journal
/// dropped the secret (an unconfirmed rotation, `test-hooks`) can still be masked before it is logged.
extension SecretPublisher {
    /// The key and secret held by the first of `targets` that can be read (`env`, `credstore`, `json`, `raw`), or
    /// `nil`.
    package static func currentPair(_ targets: [DeliverTarget]) -> (key: String, secret: String)? {
        for target in targets {
            switch target.format {
            case .env(let keyVariable, let secretVariable), .credstore(let keyVariable, let secretVariable):
                guard let text = try? String(contentsOfFile: target.path, encoding: .utf8) else { continue }
                var values: [String: String] = [:]
                for line in text.split(separator: "\n") {
                    let parts = line.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    values[String(parts[0])] = unquote(String(parts[1]))
                }
                if let key = values[keyVariable], let secret = values[secretVariable] { return (key, secret) }
            case .json(let keyField, let secretField):
                guard let data = FileManager.default.contents(atPath: target.path),
                    let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                    let key = object[keyField] as? String, let secret = object[secretField] as? String
                else { continue }
                return (key, secret)
            case .raw(let keyPath, let secretPath):
                guard let key = try? String(contentsOfFile: keyPath, encoding: .utf8),
                    let secret = try? String(contentsOfFile: secretPath, encoding: .utf8)
                else { continue }
                return (key, secret)
            case .template:
                continue
            }
        }
        return nil
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
