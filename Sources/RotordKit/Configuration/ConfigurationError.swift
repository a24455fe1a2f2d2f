/// A configuration problem, naming the file, the key and (when known) the line.
///
/// Every command exits 78 (`EX_CONFIG`) on one of these.
package struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The configuration file.
    package var file: String
    /// The key, as a path: `consumers[0].deliver[1].mode`; empty for the file as a whole.
    package var key: String
    /// The line in the file, when known.
    package var line: Int?
    /// What is wrong and what to do.
    package var message: String

    /// Creates an error.
    package init(file: String, key: String, line: Int? = nil, message: String) {
        self.file = file
        self.key = key
        self.line = line
        self.message = message
    }

    package var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(location): \(message)" : "\(location): \(key): \(message)"
    }
}

/// Several configuration problems, reported together so an operator fixes them in one go.
package struct ConfigurationErrors: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    package var errors: [ConfigurationError]

    package var description: String { errors.map(\.description).joined(separator: "\n") }
}
