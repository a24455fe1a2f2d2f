#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension EtcdClient.Configuration {
    /// An etcd user and its password, for a cluster run with authentication enabled (`etcdctl auth enable`): the
    /// client logs in (`/v3/auth/authenticate`) before its first call and again when etcd no longer accepts the
    /// token (tokens expire: `--auth-token-ttl`, 5 minutes by default). Through the JSON gateway this is the way to
    /// combine RBAC with TLS: with authentication enabled the gateway refuses client certificates that carry a common
    /// name, so the certificates carry none and the user comes from the login. The password is never printed.
    public struct Auth: Sendable, CustomStringConvertible {
        /// The etcd user.
        public let user: String
        /// Its password.
        let password: String

        /// `user` with `password`.
        public init(user: String, password: String) {
            self.user = user
            self.password = password
        }

        /// The user, without the password.
        public var description: String { "etcd user \(user)" }
    }
}

extension EtcdClient {
    /// The value of the `Authorization` header: `nil` without ``Configuration/auth``; otherwise the current token,
    /// after logging in when there is none. A refused login throws an error naming the user (never the password).
    func authorization() async throws(EtcdError) -> String? {
        guard let auth = configuration.auth else { return nil }
        if let current = token.withLock({ $0 }) { return current }
        let answer: EtcdWire.AuthenticateResponse = try await call(
            "/v3/auth/authenticate", EtcdWire.AuthenticateRequest(name: auth.user, password: auth.password),
            operation: "logging in as etcd user \(auth.user)", write: false, authorized: false)
        guard let fresh = answer.token, !fresh.isEmpty else {
            throw .malformed(
                "etcd answered the login without a token (is authentication enabled?)", write: false,
                operation: "logging in as etcd user \(auth.user)", endpoint: currentEndpoint)
        }
        token.withLock { $0 = fresh }
        return fresh
    }

    /// `send`, and with ``Configuration/auth`` once more after a new login when etcd refused the token (expired, or
    /// lost by a member's restart): a refused request was not applied, so sending it again is safe.
    func loggingInAgainIfExpired<T>(_ send: () async throws(EtcdError) -> T) async throws(EtcdError) -> T {
        do { return try await send() } catch  where configuration.auth != nil && error.isInvalidToken {
            token.withLock { $0 = nil }
            return try await send()
        }
    }
}
