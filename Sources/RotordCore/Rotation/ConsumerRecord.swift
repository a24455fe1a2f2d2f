import Foundation

/// A Fracttal OAuth consumer as the rotation domain sees it. Never holds a secret.
public struct ConsumerRecord: Sendable, Hashable, Codable {
    /// Fracttal's id.
    public var id: Int
    /// The consumer's name; rotord manages consumers by name.
    public var name: String
    /// Free text; rotord appends its rotation marker here.
    public var description: String?
    /// `client_credentials` or `authorization_code`.
    public var authorizationType: String
    /// The permission group's id.
    public var permissionGroupId: Int
    /// The permission group's name, when the API gave it.
    public var permissionGroup: String?
    /// The "Activate Fracttal Hub (Middleware)" flag.
    public var fracttalHub: Bool
    /// The client key (not secret, but shown masked).
    public var key: String
    /// When it was created, in UTC.
    public var createdAt: Date

    /// Creates a record.
    public init(
        id: Int, name: String, description: String? = nil, authorizationType: String = "client_credentials",
        permissionGroupId: Int, permissionGroup: String? = nil, fracttalHub: Bool = false, key: String,
        createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.authorizationType = authorizationType
        self.permissionGroupId = permissionGroupId
        self.permissionGroup = permissionGroup
        self.fracttalHub = fracttalHub
        self.key = key
        self.createdAt = createdAt
    }

    /// The rotation id in this consumer's description marker, if rotord created it.
    public var rotationMarker: String? { RotationMarker.rotationID(in: description) }
}

/// The tag rotord writes into a new consumer's description, so a crash can never leave an
/// untracked consumer: `[rotord:<rotation id>]`.
public enum RotationMarker {
    /// `[rotord:ID]`.
    public static func tag(for rotationID: String) -> String { "[rotord:\(rotationID)]" }

    /// The rotation id in `description`, if it carries a marker.
    public static func rotationID(in description: String?) -> String? {
        guard let description, let start = description.range(of: "[rotord:", options: .backwards),
            let end = description[start.upperBound...].firstIndex(of: "]")
        else { return nil }
        let id = description[start.upperBound..<end]
        return id.isEmpty ? nil : String(id)
    }

    /// `description` without any rotord marker, trimmed; `nil` when nothing else is left.
    public static func stripped(_ description: String?) -> String? {
        guard var text = description else { return nil }
        while let start = text.range(of: "[rotord:"),
            let end = text[start.upperBound...].firstIndex(of: "]")
        {
            text.removeSubrange(start.lowerBound...end)
        }
        let trimmed = text.trimmingSpaces()
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The description of a replacement: the new marker, then the original text (markers removed). The marker
    /// comes first so that a server that stores only the start of a description still keeps it.
    public static func description(original: String?, rotationID: String) -> String {
        if let base = stripped(original) { return "\(tag(for: rotationID)) \(base)" }
        return tag(for: rotationID)
    }
}
