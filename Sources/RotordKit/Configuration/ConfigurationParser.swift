import Foundation
import RotordCore
import Yams

/// Walks the YAML tree, collecting errors with their key paths and lines.
struct ConfigurationParser {
    let file: String
    var errors: [ConfigurationError] = []
    /// Every file a deliver target writes, with its key and node, for the collision checks.
    var deliverFiles: [(key: String, node: Node?, path: String)] = []

    init(file: String) { self.file = file }

    mutating func error(_ key: String, _ node: Node?, _ message: String) {
        errors.append(.init(file: file, key: key, line: node?.mark?.line, message: message))
    }

    /// A mapping's entries by key, checking that only `allowed` keys appear.
    mutating func mapping(_ node: Node, at key: String, allowed: Set<String>? = nil) -> [String: Node]? {
        guard let mapping = node.mapping else {
            error(key, node, "must be a mapping (key: value lines)")
            return nil
        }
        var out: [String: Node] = [:]
        for (k, v) in mapping {
            guard let name = k.string else {
                error(key, k, "keys must be strings")
                continue
            }
            let path = key.isEmpty ? name : "\(key).\(name)"
            if let allowed, !allowed.contains(name) {
                error(path, k, "unknown key; expected one of: \(allowed.sorted().joined(separator: ", "))")
                continue
            }
            out[name] = v
        }
        return out
    }

    mutating func string(_ node: Node?, at key: String) -> String? {
        guard let node else { return nil }
        guard let scalar = node.scalar else {
            error(key, node, "must be a single value")
            return nil
        }
        return scalar.string
    }

    mutating func requiredString(_ map: [String: Node], _ name: String, at parent: String) -> String? {
        let key = parent.isEmpty ? name : "\(parent).\(name)"
        guard let node = map[name] else {
            error(key, nil, "is required")
            return nil
        }
        guard let value = string(node, at: key), !value.isEmpty else {
            if node.scalar != nil { error(key, node, "must not be empty") }
            return nil
        }
        return value
    }

    mutating func absolutePath(_ node: Node?, at key: String) -> String? {
        guard let value = string(node, at: key) else { return nil }
        guard value.hasPrefix("/") else {
            error(key, node, "must be an absolute path (starting with /), got \"\(value)\"")
            return nil
        }
        return value
    }

    mutating func duration(_ node: Node?, at key: String) -> ConfigDuration? {
        guard let text = string(node, at: key) else { return nil }
        guard let value = ConfigDuration(parsing: text) else {
            error(key, node, "must be a duration such as 90d, 36h, 15m, 30s or 0s, got \"\(text)\"")
            return nil
        }
        guard value <= .maximum else {
            error(key, node, "must be at most \(ConfigDuration.maximum) (100 years), got \"\(text)\"")
            return nil
        }
        return value
    }

    mutating func int(_ node: Node?, at key: String, range: ClosedRange<Int>) -> Int? {
        guard let text = string(node, at: key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            error(key, node, "must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
            return nil
        }
        return value
    }

    mutating func url(_ node: Node?, at key: String) -> String? {
        guard let text = string(node, at: key) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme, scheme == "https" || scheme == "http",
            url.host != nil
        else {
            error(key, node, "must be an http(s) URL, got \"\(text)\"")
            return nil
        }
        return text
    }

    /// `true` or `false`; `nil` when absent or (with an error) anything else.
    mutating func bool(_ node: Node?, at key: String) -> Bool? {
        guard let node, let text = string(node, at: key) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default:
            error(key, node, "must be true or false, got \"\(text)\"")
            return nil
        }
    }

    mutating func sequence(_ node: Node?, at key: String) -> [Node] {
        guard let node else { return [] }
        guard let seq = node.sequence else {
            error(key, node, "must be a list")
            return []
        }
        return Array(seq)
    }
}
