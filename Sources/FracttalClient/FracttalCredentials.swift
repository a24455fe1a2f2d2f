/// A consumer's key and secret. Its descriptions never show the secret, and the key only masked.
public struct FracttalCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The client key (18 alphanumeric characters at Fracttal).
    public var key: String
    /// The client secret (32 alphanumeric characters at Fracttal).
    public var secret: String

    /// Creates credentials.
    public init(key: String, secret: String) {
        self.key = key
        self.secret = secret
    }

    /// The key's first four characters.
    public var maskedKey: String { key.count > 4 ? String(key.prefix(4)) + "…" : "…" }

    public var description: String { "credentials(key: \(maskedKey))" }
    public var debugDescription: String { description }
}
