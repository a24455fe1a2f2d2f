import AsyncHTTPClient
import Foundation
import NIOCore

/// etcd authentication (RBAC) for the tests (docs/fleet.md, "Trust"): users, roles and their permissions made
/// through the JSON gateway's `/v3/auth/…` calls, then authentication enabled. The cluster is started by the test
/// (`--auth-token simple`), which then acts as `root`.
extension EtcdCluster {
    /// One permission of a role: a single key, or every key from `key` up to (not including) `rangeEnd`.
    public struct Permission: Sendable, Hashable {
        /// `READ`, `WRITE` or `READWRITE`, as etcd names them.
        public var type: String
        /// The key, or the first key of the range.
        public var key: String
        /// The end of the range (exclusive), or `nil` for the single key.
        public var rangeEnd: String?

        /// Read and write every key under `prefix` (which ends with `/`).
        public static func readWrite(prefix: String) -> Permission {
            Permission(type: "READWRITE", key: prefix, rangeEnd: String(prefix.dropLast()) + "0")
        }

        /// Read every key under `prefix` (which ends with `/`).
        public static func read(prefix: String) -> Permission {
            Permission(type: "READ", key: prefix, rangeEnd: String(prefix.dropLast()) + "0")
        }

        /// Read and write the single key `key`.
        public static func readWrite(key: String) -> Permission { Permission(type: "READWRITE", key: key) }
    }

    /// An etcd user with its password and roles.
    public struct User: Sendable, Hashable {
        /// The user name.
        public var name: String
        /// Its password (a test's throw-away value).
        public var password: String
        /// The roles granted to it.
        public var roles: [String]

        /// Creates the user.
        public init(name: String, password: String, roles: [String]) {
            self.name = name
            self.password = password
            self.roles = roles
        }
    }

    /// Calls the gateway of the first member at `path` with the JSON `body`, as `token` when given; throws on an
    /// answer other than 200, with the answer. Returns the answer's JSON text.
    @discardableResult
    public func authCall(_ path: String, _ body: String, token: String? = nil) async throws -> String {
        var request = HTTPClientRequest(url: clientURLs[0] + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: token) }
        request.body = .bytes(Array(body.utf8))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status == .ok else { throw Failure(description: "\(path): \(response.status) \(text)") }
        return text
    }

    /// Makes `root` (password `rootPassword`), each role of `roles` with its permissions and each user of `users`,
    /// then enables authentication.
    public func enableAuthentication(
        rootPassword: String, roles: [String: [Permission]], users: [User]
    ) async throws {
        try await authCall("/v3/auth/user/add", #"{"name": "root", "password": "\#(rootPassword)"}"#)
        try await authCall("/v3/auth/role/add", #"{"name": "root"}"#)
        try await authCall("/v3/auth/user/grant", #"{"user": "root", "role": "root"}"#)
        for (role, permissions) in roles.sorted(by: { $0.key < $1.key }) {
            try await authCall("/v3/auth/role/add", #"{"name": "\#(role)"}"#)
            for permission in permissions {
                let end = permission.rangeEnd.map { #", "range_end": "\#(Self.base64($0))""# } ?? ""
                try await authCall(
                    "/v3/auth/role/grant",
                    #"{"name": "\#(role)", "perm": {"permType": "\#(permission.type)", "key": "\#(Self.base64(permission.key))"\#(end)}}"#
                )
            }
        }
        for user in users {
            try await authCall("/v3/auth/user/add", #"{"name": "\#(user.name)", "password": "\#(user.password)"}"#)
            for role in user.roles {
                try await authCall("/v3/auth/user/grant", #"{"user": "\#(user.name)", "role": "\#(role)"}"#)
            }
        }
        try await authCall("/v3/auth/enable", "{}")
    }

    /// `text`'s UTF-8 in base64, as the gateway takes keys.
    public static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
}
