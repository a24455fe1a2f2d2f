/// A configuration problem, naming the file, the key and (when known) the line.
///
/// Every command exits 78 (`EX_CONFIG`) on one of these.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The configuration file.
    public var file: String
    /// The key, as a path: `consumers[0].deliver[1].mode`; empty for the file as a whole.
    public var key: String
    /// The line in the file, when known.
    public var line: Int?
    /// What is wrong and what to do.
    public var message: String

    /// Creates an error.
    public init(file: String, key: String, line: Int? = nil, message: String) {
        self.file = file
        self.key = key
        self.line = line
        self.message = message
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(location): \(message)" : "\(location): \(key): \(message)"
    }
}

/// Several configuration problems, reported together so an operator fixes them in one go.
public struct ConfigurationErrors: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    public var errors: [ConfigurationError]

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
