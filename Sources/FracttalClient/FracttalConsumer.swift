#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An OAuth consumer as the API lists it. The secret is never part of it.
public struct FracttalConsumer: Sendable, Hashable, Decodable {
    /// Fracttal's id.
    public var id: Int
    /// `client_credentials` or `authorization_code`.
    public var authorizationType: String
    /// The name.
    public var name: String
    /// The description, if any.
    public var description: String?
    /// The permission group's id.
    public var permissionGroupId: Int
    /// The permission group's name, if the API gave it.
    public var permissionGroup: String?
    /// The Fracttal Hub flag.
    public var fracttalHub: Bool
    /// The client key.
    public var key: String
    /// When it was created.
    public var createdAt: Date

    /// Creates a consumer value.
    public init(
        id: Int, authorizationType: String, name: String, description: String?, permissionGroupId: Int,
        permissionGroup: String?, fracttalHub: Bool, key: String, createdAt: Date
    ) {
        self.id = id
        self.authorizationType = authorizationType
        self.name = name
        self.description = description
        self.permissionGroupId = permissionGroupId
        self.permissionGroup = permissionGroup
        self.fracttalHub = fracttalHub
        self.key = key
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description, key
        case authorizationType = "authorization_type"
        case permissionGroupId = "permission_group_id"
        case permissionGroup = "permission_group"
        case fracttalHub = "fracttal_hub"
        case createdAt = "created_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeLenientInt(.id)
        authorizationType = try c.decodeIfPresent(String.self, forKey: .authorizationType) ?? "client_credentials"
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        permissionGroupId = try c.decodeLenientInt(.permissionGroupId)
        permissionGroup = try? c.decodeIfPresent(String.self, forKey: .permissionGroup)
        fracttalHub = (try? c.decodeIfPresent(Bool.self, forKey: .fracttalHub)) ?? false
        key = try c.decode(String.self, forKey: .key)
        let text = try c.decode(String.self, forKey: .createdAt)
        guard let date = FracttalDate.parse(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .createdAt, in: c, debugDescription: "unreadable date \"\(text)\"")
        }
        createdAt = date
    }
}

/// What a new consumer is created with (the API's `NewConsumer`).
public struct NewFracttalConsumer: Sendable, Hashable, Encodable {
    /// `client_credentials` or `authorization_code`.
    public var authorizationType: String
    /// The name (required).
    public var name: String
    /// The description (optional).
    public var description: String?
    /// The permission group's id (required).
    public var permissionGroupId: Int
    /// The Fracttal Hub flag.
    public var fracttalHub: Bool

    /// Creates a request body.
    public init(
        authorizationType: String = "client_credentials", name: String, description: String?, permissionGroupId: Int,
        fracttalHub: Bool = false
    ) {
        self.authorizationType = authorizationType
        self.name = name
        self.description = description
        self.permissionGroupId = permissionGroupId
        self.fracttalHub = fracttalHub
    }

    enum CodingKeys: String, CodingKey {
        case name, description
        case authorizationType = "authorization_type"
        case permissionGroupId = "permission_group_id"
        case fracttalHub = "fracttal_hub"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(authorizationType, forKey: .authorizationType)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(description, forKey: .description)
        try c.encode(permissionGroupId, forKey: .permissionGroupId)
        try c.encode(fracttalHub, forKey: .fracttalHub)
    }
}

/// A consumer just created: the only moment its secret is known.
public struct CreatedFracttalConsumer: Sendable, Hashable, CustomStringConvertible {
    /// The consumer.
    public var consumer: FracttalConsumer
    /// The secret, shown once by the API.
    public var secret: String

    /// The key and secret together.
    public var credentials: FracttalCredentials { .init(key: consumer.key, secret: secret) }

    public var description: String { "consumer \(consumer.id) \(consumer.name) (key \(credentials.maskedKey))" }
}

/// A permission group.
public struct FracttalPermissionGroup: Sendable, Hashable, Decodable {
    /// Its id.
    public var id: Int
    /// Its name.
    public var name: String

    /// Creates a group value.
    public init(id: Int, name: String) {
        self.id = id
        self.name = name
    }

    enum CodingKeys: String, CodingKey { case id, name }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeLenientInt(.id)
        name = try c.decode(String.self, forKey: .name)
    }
}

extension KeyedDecodingContainer {
    /// An Int, or a String holding one (the API is not consistent about numbers).
    func decodeLenientInt(_ key: Key) throws -> Int {
        if let n = try? decode(Int.self, forKey: key) { return n }
        let text = try decode(String.self, forKey: key)
        guard let n = Int(text.trimmedASCII) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a number: \(text)")
        }
        return n
    }

    /// An optional Int, or a String holding one.
    func decodeLenientIntIfPresent(_ key: Key) throws -> Int? {
        guard contains(key), (try? decodeNil(forKey: key)) == false else { return nil }
        return try decodeLenientInt(key)
    }
}
