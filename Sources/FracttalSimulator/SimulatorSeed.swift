import Foundation

/// The account a simulator starts with; also the JSON seed-file format (snake_case keys).
public struct SimulatorSeed: Codable, Sendable {
    /// A permission group.
    public struct Group: Codable, Sendable {
        /// Its id.
        public var id: Int
        /// Its name.
        public var name: String
        /// Its consumers may manage consumers (the Super Administrator).
        public var superAdmin: Bool

        /// Creates a group.
        public init(id: Int, name: String, superAdmin: Bool = false) {
            self.id = id
            self.name = name
            self.superAdmin = superAdmin
        }

        enum CodingKeys: String, CodingKey { case id, name, superAdmin = "super_admin" }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(Int.self, forKey: .id)
            name = try c.decode(String.self, forKey: .name)
            superAdmin = try c.decodeIfPresent(Bool.self, forKey: .superAdmin) ?? false
        }
    }

    /// A consumer; missing fields are generated.
    public struct Consumer: Codable, Sendable {
        /// Assigned when `nil`.
        public var id: Int?
        /// `client_credentials` or `authorization_code`.
        public var authorizationType: String
        /// The name.
        public var name: String
        /// The description.
        public var description: String?
        /// The permission group's id.
        public var permissionGroupId: Int
        /// The Fracttal Hub flag.
        public var fracttalHub: Bool
        /// 18 alphanumerics; generated when `nil`.
        public var key: String?
        /// 32 alphanumerics; generated when `nil`.
        public var secret: String?
        /// Now when `nil`.
        public var createdAt: Date?

        /// Creates a consumer.
        public init(
            id: Int? = nil, authorizationType: String = "client_credentials", name: String, description: String? = nil,
            permissionGroupId: Int, fracttalHub: Bool = false, key: String? = nil, secret: String? = nil,
            createdAt: Date? = nil
        ) {
            self.id = id
            self.authorizationType = authorizationType
            self.name = name
            self.description = description
            self.permissionGroupId = permissionGroupId
            self.fracttalHub = fracttalHub
            self.key = key
            self.secret = secret
            self.createdAt = createdAt
        }

        enum CodingKeys: String, CodingKey {
            case id, name, description, key, secret
            case authorizationType = "authorization_type"
            case permissionGroupId = "permission_group_id"
            case fracttalHub = "fracttal_hub"
            case createdAt = "created_at"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decodeIfPresent(Int.self, forKey: .id)
            authorizationType = try c.decodeIfPresent(String.self, forKey: .authorizationType) ?? "client_credentials"
            name = try c.decode(String.self, forKey: .name)
            description = try c.decodeIfPresent(String.self, forKey: .description)
            permissionGroupId = try c.decode(Int.self, forKey: .permissionGroupId)
            fracttalHub = try c.decodeIfPresent(Bool.self, forKey: .fracttalHub) ?? false
            key = try c.decodeIfPresent(String.self, forKey: .key)
            secret = try c.decodeIfPresent(String.self, forKey: .secret)
            if let text = try c.decodeIfPresent(String.self, forKey: .createdAt) {
                guard let date = SimulatorDate.parse(text) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .createdAt, in: c, debugDescription: "unreadable date \(text)")
                }
                createdAt = date
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(id, forKey: .id)
            try c.encode(authorizationType, forKey: .authorizationType)
            try c.encode(name, forKey: .name)
            try c.encodeIfPresent(description, forKey: .description)
            try c.encode(permissionGroupId, forKey: .permissionGroupId)
            try c.encode(fracttalHub, forKey: .fracttalHub)
            try c.encodeIfPresent(key, forKey: .key)
            try c.encodeIfPresent(secret, forKey: .secret)
            try c.encodeIfPresent(createdAt.map { SimulatorDate.format($0, offset: true) }, forKey: .createdAt)
        }
    }

    /// The groups.
    public var permissionGroups: [Group]
    /// The consumers.
    public var consumers: [Consumer]

    /// Creates a seed.
    public init(permissionGroups: [Group], consumers: [Consumer]) {
        self.permissionGroups = permissionGroups
        self.consumers = consumers
    }

    enum CodingKeys: String, CodingKey { case permissionGroups = "permission_groups", consumers }

    /// A random `[A-Za-z0-9]` string: Fracttal keys are 18 characters, secrets 32.
    public static func randomCredential(length: Int) -> String {
        let chars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in chars.randomElement(using: &rng)! })
    }

    /// Reads a JSON seed file.
    public static func load(contentsOf path: String) throws -> SimulatorSeed {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(SimulatorSeed.self, from: data)
    }
}

/// The API's date format: `2026-03-04T13:15:00.123456+00:00`.
enum SimulatorDate {
    static func format(_ date: Date, offset: Bool) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let seconds = Int(micros.quotientDivided(by: 1_000_000))
        let fraction = Int(micros - Int64(seconds) * 1_000_000)
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        func p(_ n: Int?, _ w: Int) -> String {
            let s = String(n ?? 0)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return
            "\(p(c.year, 4))-\(p(c.month, 2))-\(p(c.day, 2))T\(p(c.hour, 2)):\(p(c.minute, 2)):\(p(c.second, 2)).\(p(fraction, 6))"
            + (offset ? "+00:00" : "")
    }

    static func parse(_ text: String) -> Date? {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = iso.date(from: text) { return d }
        iso.formatOptions = [.withInternetDateTime]
        if let d = iso.date(from: text) { return d }
        // Without an offset: UTC.
        iso.formatOptions = [
            .withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate, .withFractionalSeconds,
        ]
        iso.timeZone = TimeZone(identifier: "UTC")
        if let d = iso.date(from: text) { return d }
        iso.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        return iso.date(from: text)
    }
}

extension Int64 {
    fileprivate func quotientDivided(by d: Int64) -> Int64 { self >= 0 ? self / d : (self - d + 1) / d }
}
