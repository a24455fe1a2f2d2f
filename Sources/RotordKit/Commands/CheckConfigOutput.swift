import Foundation

/// What `rotord check-config` reports: printed as it goes (text), or gathered and printed at the end
/// as one JSON array of `{"severity", "file", "line", "key", "message"}` objects (`--json`).
package struct CheckConfigOutput {
    /// Whether to print JSON.
    let json: Bool
    /// Everything reported so far (JSON only).
    package private(set) var items: [(severity: String, error: ConfigurationError)] = []

    package init(json: Bool) { self.json = json }

    /// A problem: the configuration is invalid.
    mutating func problem(_ error: ConfigurationError) {
        if json { items.append(("error", error)) } else { Commands.printError(error.description) }
    }

    /// A warning: valid, but worth a look.
    mutating func warning(_ error: ConfigurationError) {
        if json { items.append(("warning", error)) } else { Commands.printError("warning: \(error.description)") }
    }

    /// Ends the check: the verdict line (text) or the array (JSON); returns the exit status.
    func finish(valid: String?) -> Int32 {
        if json {
            print(Self.render(items))
        } else if let valid {
            print(valid)
        }
        return valid == nil ? Commands.exitConfig : 0
    }

    /// The JSON array of `items`, in order.
    static func render(_ items: [(severity: String, error: ConfigurationError)]) -> String {
        guard !items.isEmpty else { return "[]" }
        let objects: [[String: Any]] = items.map { item in
            [
                "severity": item.severity, "file": item.error.file,
                "line": item.error.line.map { $0 as Any } ?? NSNull(),
                "key": item.error.key, "message": item.error.message,
            ]
        }
        let data = try? JSONSerialization.data(
            withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }
}
