import AsyncHTTPClient
import HTTPExchange
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A client of etcd's v3 API through its JSON gateway (etcd 3.4: `POST /v3/kv/range`, `/v3/kv/put`, `/v3/kv/txn`,
/// `/v3/kv/deleterange`, `/v3/lease/grant`, `/v3/lease/keepalive`, `/v3/lease/revoke`, `/v3/watch`), on
/// AsyncHTTPClient.
///
/// Every call is bounded by ``Configuration/requestTimeout`` (at most one second by default) and goes to the
/// endpoint that last answered. A read that cannot reach it, times out or gets a 5xx is tried on the next endpoint
/// (each endpoint once per call); a write is tried on the next endpoint only when it certainly never left (the
/// connection was refused or could not be made). A write that was sent and then timed out, got a 5xx or lost its
/// connection throws an ``EtcdError`` whose ``EtcdError/isOutcomeUnknown`` is `true`, and the next call starts at
/// the next endpoint. Call ``shutdown()`` when done.
///
/// Over TLS (`https://` endpoints), ``Configuration/tls`` holds the CA and the client certificate, read from their
/// files when the ``Configuration/TLS`` is made (which throws a ``TLSFileError`` naming a file it cannot use).
public final class EtcdClient: Sendable {
    /// Where etcd is and how long a call may take.
    public struct Configuration: Sendable {
        /// TLS to etcd: the CA that signed the members' server certificates, and the client certificate and key the
        /// members ask for when they run with `--client-cert-auth`; every file is PEM. The files are read when the
        /// value is made: a certificate renewed later is used by a client of a configuration made later.
        public struct TLS: Sendable {
            /// The CA certificate(s) that signed the members' server certificates; `nil`: the system's CAs.
            public let caFile: String?
            /// The client certificate (followed by its intermediates, if any), with ``keyFile``; `nil`: none.
            public let certFile: String?
            /// The client certificate's private key (unencrypted); set together with ``certFile``.
            public let keyFile: String?
            /// What the files hold, as AsyncHTTPClient's TLS configuration (TLS 1.2 or later).
            let loaded: TLSConfiguration

            /// Reads and checks the files: throws a ``EtcdClient/TLSFileError`` naming the first one that cannot be
            /// read, holds no PEM certificate or key, or (the key) does not belong to the certificate; or naming the
            /// missing one when only one of `certFile` and `keyFile` is given.
            public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil)
                throws(EtcdClient.TLSFileError)
            {
                self.caFile = caFile
                self.certFile = certFile
                self.keyFile = keyFile
                self.loaded = try EtcdClient.loadTLS(caFile: caFile, certFile: certFile, keyFile: keyFile)
            }
        }

        /// The members' client URLs, e.g. `http://127.0.0.1:2379`; tried in this order.
        public var endpoints: [String]
        /// The longest one call to one endpoint may take, connecting included.
        public var requestTimeout: Duration
        /// The longest the connection to one endpoint may take (less than ``requestTimeout``, so that an endpoint
        /// that cannot be reached leaves time to try another).
        public var connectTimeout: Duration
        /// TLS to the members (`https://` endpoints), or `nil` for plain `http://`.
        public var tls: TLS?
        /// The etcd user to log in as when the cluster runs with authentication enabled, or `nil`.
        public var auth: Auth?

        /// The default of ``requestTimeout``.
        public static let defaultRequestTimeout: Duration = .seconds(1)
        /// The default of ``connectTimeout``.
        public static let defaultConnectTimeout: Duration = .milliseconds(300)

        /// A configuration for `endpoints` with the default timeouts, over TLS when `tls` is given.
        public init(
            endpoints: [String], requestTimeout: Duration = defaultRequestTimeout,
            connectTimeout: Duration = defaultConnectTimeout, tls: TLS? = nil, auth: Auth? = nil
        ) {
            self.endpoints = endpoints.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
            self.tls = tls
            self.auth = auth
        }
    }

    /// How long an unused connection to a member stays open.
    static let idleConnectionTimeout: TimeAmount = .seconds(30)
    /// The largest answer a unary call reads.
    static let maximumAnswerBytes = 64 * 1024 * 1024
    /// The largest line of a streamed answer (one watch response).
    static let maximumLineBytes = 64 * 1024 * 1024

    /// The settings it was made with.
    public let configuration: Configuration
    let http: HTTPClient
    let logger: Logger
    /// The index of the endpoint the next call starts with.
    private let preferred = Mutex(0)
    /// With ``Configuration/auth``: the token of the last login, until etcd says it is no longer valid.
    let token = Mutex<String?>(nil)

    /// Creates a client of `configuration.endpoints` (over TLS when `configuration.tls` is set), with its own HTTP
    /// connection pool on `eventLoopGroup`.
    public init(
        configuration: Configuration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "rotord.etcd")
    ) {
        precondition(!configuration.endpoints.isEmpty, "EtcdClient needs at least one endpoint")
        self.configuration = configuration
        self.logger = logger
        var http = HTTPClient.Configuration()
        http.redirectConfiguration = .disallow
        http.timeout = .init(connect: HTTPExchange.timeAmount(configuration.connectTimeout))
        http.connectionPool = .init(idleTimeout: Self.idleConnectionTimeout)
        http.tlsConfiguration = configuration.tls?.loaded
        self.http = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: http)
    }

    /// Closes the connections; the client cannot be used afterwards.
    public func shutdown() async throws { try await http.shutdown() }

    /// The endpoint the next call starts with.
    public var currentEndpoint: String { configuration.endpoints[preferred.withLock { $0 }] }

    // MARK: KV

    /// Reads `key`, or every key that starts with `key` when `prefix`; at most `limit` keys when given.
    /// Linearizable unless `serializable` (a serializable read may be served stale by an isolated member).
    public func range(_ key: String, prefix: Bool = false, limit: Int? = nil, serializable: Bool = false)
        async throws(EtcdError) -> EtcdRangeResult
    {
        let request = Self.rangeRequest(key, prefix: prefix, limit: limit, serializable: serializable)
        let response: EtcdWire.RangeResponse = try await call(
            "/v3/kv/range", request, operation: "range \(key)\(prefix ? "*" : "")", write: false)
        return try decoded(operation: "range \(key)") { try EtcdRangeResult(response) }
    }

    /// Sets `key` to `value`, attached to `lease` when given; returns the store's revision after the put.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8], lease: Int64? = nil) async throws(EtcdError) -> Int64 {
        let response: EtcdWire.PutResponse = try await call(
            "/v3/kv/put", Self.putRequest(key, value, lease: lease), operation: "put \(key)", write: true)
        return response.header?.revision?.value ?? 0
    }

    /// Sets `key` to the UTF-8 bytes of `value`.
    @discardableResult
    public func put(_ key: String, _ value: String, lease: Int64? = nil) async throws(EtcdError) -> Int64 {
        try await put(key, Array(value.utf8), lease: lease)
    }

    /// Deletes `key`, or every key that starts with it when `prefix`; returns how many keys were deleted.
    @discardableResult
    public func delete(_ key: String, prefix: Bool = false) async throws(EtcdError) -> Int64 {
        let response: EtcdWire.DeleteRangeResponse = try await call(
            "/v3/kv/deleterange", Self.deleteRequest(key, prefix: prefix), operation: "delete \(key)", write: true)
        return response.deleted?.value ?? 0
    }

    /// Runs `success` if every comparison of `compare` holds, else `failure`, atomically.
    public func txn(_ compare: [EtcdCompare], success: [EtcdOperation], failure: [EtcdOperation] = [])
        async throws(EtcdError) -> EtcdTxnResult
    {
        let request = EtcdWire.TxnRequest(
            compare: compare.map(\.wire), success: success.map(\.wire), failure: failure.map(\.wire))
        let response: EtcdWire.TxnResponse = try await call("/v3/kv/txn", request, operation: "txn", write: true)
        return try decoded(operation: "txn") { try EtcdTxnResult(response) }
    }

    /// Compacts the store's history up to `revision` (`/v3/kv/compaction`, physically): older revisions can no
    /// longer be read or watched from. etcd does not compact by itself unless `--auto-compaction-retention` is set.
    public func compact(revision: Int64) async throws(EtcdError) {
        let _: EtcdWire.PutResponse = try await call(
            "/v3/kv/compaction", EtcdWire.CompactionRequest(revision: .init(revision), physical: true),
            operation: "compact \(revision)", write: true)
    }

    // MARK: Leases

    /// Grants a lease of `ttl` (whole seconds, rounded up; etcd may grant more than asked, never less).
    public func grantLease(ttl: Duration) async throws(EtcdError) -> EtcdLease {
        let (whole, fraction) = ttl.components
        let seconds = max(1, whole + (fraction > 0 ? 1 : 0))
        let response: EtcdWire.LeaseResponse = try await call(
            "/v3/lease/grant", EtcdWire.LeaseGrantRequest(ttl: .init(seconds)), operation: "lease grant", write: true)
        guard let id = response.id?.value, id != 0, let granted = response.ttl?.value else {
            throw .malformed(
                response.error ?? "no lease ID or TTL in the answer", write: true, operation: "lease grant",
                endpoint: currentEndpoint)
        }
        return EtcdLease(id: id, ttl: .seconds(granted))
    }

    /// Renews lease `id` once (one request on `/v3/lease/keepalive`); returns its renewed TTL, or throws an error
    /// whose ``EtcdError/isLeaseNotFound`` is `true` when the lease expired or was revoked (the gateway answers a
    /// `result` without `TTL`).
    public func keepAlive(lease id: Int64) async throws(EtcdError) -> EtcdLease {
        let operation = "lease keepalive \(id)"
        let line: EtcdWire.StreamLine<EtcdWire.LeaseResponse> = try await call(
            "/v3/lease/keepalive", EtcdWire.LeaseIDRequest(id: .init(id)), operation: operation, write: false)
        if let error = line.error {
            throw .http(
                status: error.httpCode ?? 500, grpcCode: error.grpcCode, message: error.message ?? "stream error",
                write: false, operation: operation, endpoint: currentEndpoint)
        }
        guard let ttl = line.result?.ttl?.value, ttl > 0 else {
            throw .leaseNotFound(id, operation: operation, endpoint: currentEndpoint)
        }
        return EtcdLease(id: id, ttl: .seconds(ttl))
    }

    /// Revokes lease `id`: every key attached to it is deleted. A lease that no longer exists throws an error whose
    /// ``EtcdError/isLeaseNotFound`` is `true`.
    public func revoke(lease id: Int64) async throws(EtcdError) {
        do {
            let _: EtcdWire.PutResponse = try await call(
                "/v3/lease/revoke", EtcdWire.LeaseIDRequest(id: .init(id)), operation: "lease revoke \(id)",
                write: true)
        } catch  where error.grpcCode == Self.grpcNotFound {
            throw .leaseNotFound(id, operation: "lease revoke \(id)", endpoint: error.endpoint)
        }
    }

    /// gRPC's `NOT_FOUND`.
    static let grpcNotFound = 5

    // MARK: Requests

    static func rangeRequest(_ key: String, prefix: Bool, limit: Int?, serializable: Bool) -> EtcdWire.RangeRequest {
        EtcdWire.RangeRequest(
            key: EtcdWire.base64(key), rangeEnd: prefix ? EtcdWire.base64(EtcdWire.prefixEnd(key)) : nil,
            limit: limit.map { .init(Int64($0)) }, serializable: serializable ? true : nil)
    }
    static func putRequest(_ key: String, _ value: [UInt8], lease: Int64?) -> EtcdWire.PutRequest {
        EtcdWire.PutRequest(key: EtcdWire.base64(key), value: EtcdWire.base64(value), lease: lease.map { .init($0) })
    }
    static func deleteRequest(_ key: String, prefix: Bool) -> EtcdWire.DeleteRangeRequest {
        EtcdWire.DeleteRangeRequest(
            key: EtcdWire.base64(key), rangeEnd: prefix ? EtcdWire.base64(EtcdWire.prefixEnd(key)) : nil)
    }

    // MARK: Transport

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    private func decoded<T>(operation: String, _ make: () throws -> T) throws(EtcdError) -> T {
        do { return try make() } catch {
            throw .malformed("\(error)", write: false, operation: operation, endpoint: currentEndpoint)
        }
    }

    /// Sends `body` to `path` on the preferred endpoint, failing over as the type's documentation says, and decodes
    /// the answer (for a streamed call, its first line). With ``Configuration/auth`` the call carries the login's
    /// token (logging in first when there is none); a token etcd no longer accepts (expired) is replaced by a new
    /// login and the call is sent once more: etcd refused it, so it was not applied.
    func call<Body: Encodable, Answer: Decodable>(
        _ path: String, _ body: Body, operation: String, write: Bool, authorized: Bool = true
    ) async throws(EtcdError) -> Answer {
        guard authorized else {
            return try await callOnce(path, body, operation: operation, write: write, authorized: false)
        }
        return try await loggingInAgainIfExpired { () async throws(EtcdError) -> Answer in
            try await callOnce(path, body, operation: operation, write: write, authorized: true)
        }
    }

    private func callOnce<Body: Encodable, Answer: Decodable>(
        _ path: String, _ body: Body, operation: String, write: Bool, authorized: Bool
    ) async throws(EtcdError) -> Answer {
        let authorization = authorized ? try await self.authorization() : nil
        let payload: Data
        do { payload = try JSONEncoder().encode(body) } catch {
            throw .malformed(
                "could not encode the request: \(error)", write: false, operation: operation, endpoint: "-")
        }
        let endpoints = configuration.endpoints
        let start = preferred.withLock { $0 }
        var failures: [String] = []
        for step in 0..<endpoints.count {
            let index = (start + step) % endpoints.count
            let endpoint = endpoints[index]
            var request = HTTPClientRequest(url: endpoint + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if let authorization { request.headers.add(name: "Authorization", value: authorization) }
            request.body = .bytes(ByteBuffer(bytes: payload))
            let exchange: HTTPExchange.Answer
            do {
                exchange = try await HTTPExchange.exchange(
                    request, on: http, within: configuration.requestTimeout, maximumBytes: Self.maximumAnswerBytes)
            } catch {
                let handshake = Self.tlsHandshakeFailure(error)
                let sent = handshake == nil && !HTTPExchange.neverSent(error)
                let detail = handshake ?? HTTPExchange.describe(error) + tlsHint(error)
                failures.append("\(endpoint): \(detail)")
                logger.debug(
                    "etcd call failed",
                    metadata: ["operation": "\(operation)", "endpoint": "\(endpoint)", "error": "\(detail)"])
                let next = (index + 1) % endpoints.count
                preferred.withLock { $0 = next }
                if write && sent {
                    if HTTPExchange.isTimeout(error) {
                        throw .timedOut(
                            after: configuration.requestTimeout, write: true, operation: operation, endpoint: endpoint)
                    }
                    throw .connectionLost(detail, write: true, operation: operation, endpoint: endpoint)
                }
                continue
            }
            if exchange.status == .ok {
                preferred.withLock { $0 = index }
                let body = Self.firstLine(exchange.body)
                do { return try Self.decoder.decode(Answer.self, from: Data(body)) } catch {
                    throw .malformed("\(error)", write: write, operation: operation, endpoint: endpoint)
                }
            }
            let (grpcCode, message) = Self.errorDetails(exchange.body)
            let error = EtcdError.http(
                status: Int(exchange.status.code), grpcCode: grpcCode, message: message, write: write,
                operation: operation, endpoint: endpoint)
            if exchange.status.code >= 500 && !write {
                failures.append("\(endpoint): \(exchange.status.code) \(message)")
                preferred.withLock { $0 = (index + 1) % endpoints.count }
                continue
            }
            throw error
        }
        throw .unavailable(failures.joined(separator: "; "), operation: operation)
    }

    /// The bytes up to the first newline (a streamed answer's first message), or all of them.
    static func firstLine(_ buffer: ByteBuffer) -> [UInt8] {
        let bytes = Array(buffer.readableBytesView)
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return bytes }
        return Array(bytes[..<newline])
    }

    /// The gRPC code and message of an error answer in either of the gateway's two shapes: unary
    /// `{"error": "…", "code": 5, "message": "…"}` or streamed `{"error": {"grpc_code": 5, "message": "…"}}`.
    static func errorDetails(_ buffer: ByteBuffer) -> (grpcCode: Int?, message: String) {
        let body = Data(firstLine(buffer))
        if let unary = try? decoder.decode(EtcdWire.UnaryError.self, from: body), unary.code != nil {
            return (unary.code, unary.message ?? unary.error ?? "")
        }
        if let line = try? decoder.decode(EtcdWire.StreamLine<EtcdWire.PutResponse>.self, from: body),
            let error = line.error
        {
            return (error.grpcCode, error.message ?? "")
        }
        return (nil, String(decoding: body.prefix(200), as: UTF8.self))
    }
}

// MARK: - TLS

extension EtcdClient {
    /// A file of ``Configuration/TLS`` that cannot be used: which setting, the path, and why. Its description names
    /// the file and never shows what the file holds.
    public struct TLSFileError: Error, Sendable, CustomStringConvertible {
        /// A file setting of ``Configuration/TLS``.
        public enum Setting: Sendable, Hashable {
            /// ``Configuration/TLS/caFile``.
            case caFile
            /// ``Configuration/TLS/certFile``.
            case certFile
            /// ``Configuration/TLS/keyFile``.
            case keyFile
        }

        /// The setting whose file cannot be used.
        public let setting: Setting
        /// The file's path, or `nil` when the setting is missing (a certificate without its key, or the reverse).
        public let path: String?
        /// Why, e.g. `cannot be read: No such file or directory`, `holds no PEM certificate`.
        public let reason: String

        /// Creates the error.
        public init(setting: Setting, path: String?, reason: String) {
            self.setting = setting
            self.path = path
            self.reason = reason
        }

        /// What the setting's file is for, in words.
        var role: String {
            switch setting {
            case .caFile: "the CA certificate file for etcd"
            case .certFile: "the client certificate file for etcd"
            case .keyFile: "the client private key file for etcd"
            }
        }

        /// The file, the setting, and what is wrong, e.g. "the client certificate file for etcd /etc/rotord/c.pem
        /// cannot be read: No such file or directory".
        public var description: String {
            guard let path else { return "\(role) is not set: \(reason)" }
            return "\(role) \(path) \(reason)"
        }
    }

    /// The largest file ``Configuration/TLS`` reads (a PEM certificate chain or key is a few kilobytes).
    static let maximumTLSFileBytes = 1024 * 1024

    /// The client's TLS configuration (TLS 1.2 or later) from the files of ``Configuration/TLS``: the CA
    /// certificates as trust roots (the system's when `caFile` is `nil`), and the client certificate chain and its
    /// key.
    static func loadTLS(caFile: String?, certFile: String?, keyFile: String?) throws(TLSFileError)
        -> TLSConfiguration
    {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile {
            configuration.trustRoots = .certificates(try certificates(in: caFile, setting: .caFile))
        }
        switch (certFile, keyFile) {
        case (nil, nil):
            return configuration
        case (let certFile?, nil):
            throw TLSFileError(
                setting: .keyFile, path: nil, reason: "the client certificate \(certFile) needs its private key")
        case (nil, let keyFile?):
            throw TLSFileError(
                setting: .certFile, path: nil, reason: "the client private key \(keyFile) needs its certificate")
        case (let certFile?, let keyFile?):
            configuration.certificateChain = try certificates(in: certFile, setting: .certFile).map {
                .certificate($0)
            }
            let bytes = try contents(of: keyFile, setting: .keyFile)
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: bytes, format: .pem))
            } catch {
                throw TLSFileError(
                    setting: .keyFile, path: keyFile,
                    reason: "holds no PEM private key that can be read (an encrypted key is not supported)")
            }
            // The TLS library pairs the key with the certificate here; a key of another certificate fails.
            do { _ = try NIOSSLContext(configuration: configuration) } catch {
                throw TLSFileError(
                    setting: .keyFile, path: keyFile,
                    reason: "is not the private key of the client certificate \(certFile)")
            }
            return configuration
        }
    }

    /// The PEM certificates in the file at `path`, at least one.
    private static func certificates(in path: String, setting: TLSFileError.Setting) throws(TLSFileError)
        -> [NIOSSLCertificate]
    {
        let bytes = try contents(of: path, setting: setting)
        let found = try? NIOSSLCertificate.fromPEMBytes(bytes)
        guard let found, !found.isEmpty else {
            throw TLSFileError(setting: setting, path: path, reason: "holds no PEM certificate")
        }
        return found
    }

    /// The bytes of the regular file at `path`, at most ``maximumTLSFileBytes``.
    private static func contents(of path: String, setting: TLSFileError.Setting) throws(TLSFileError) -> [UInt8] {
        func failure(_ reason: String) -> TLSFileError { TLSFileError(setting: setting, path: path, reason: reason) }
        // Non-blocking: a FIFO at the path must not hang the open (a regular file ignores the flag).
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw failure("cannot be read: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw failure("cannot be read: \(String(cString: strerror(errno)))") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw failure("is not a regular file") }
        guard status.st_size <= maximumTLSFileBytes else {
            throw failure("is larger than \(maximumTLSFileBytes) bytes: not a PEM certificate or key")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure("cannot be read: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            filled += count
        }
        return Array(bytes[..<filled])
    }
}

extension EtcdClient {
    /// What a failed TLS handshake means and what to check, when `error` is one, else `nil`. The request was not
    /// sent: application data follows a handshake that succeeded.
    static func tlsHandshakeFailure(_ error: any Error) -> String? {
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return "TLS: etcd's server certificate does not name the endpoint's host (\(error)); its subjectAltName "
                + "must hold the host name or IP address of the endpoint"
        }
        guard let error = error as? NIOSSLError, case .handshakeFailed(let failure) = error else { return nil }
        let reasons = Self.reasons(failure)
        let reason = reasons.isEmpty ? "\(failure)" : reasons.joined(separator: ", ")
        if reasons.contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS: etcd's server certificate could not be verified (\(reason)); the CA file must hold the CA "
                + "that signed the members' --cert-file, and the certificate must be valid now"
        }
        if reasons.contains(where: { $0.contains("ALERT") && ($0.contains("CERTIFICATE") || $0.contains("_CA")) }) {
            return "TLS: etcd refused this client's certificate (\(reason)); it wants a client certificate (and its "
                + "key) signed by the CA of the members' --trusted-ca-file"
        }
        if reasons.contains(where: { $0 == "WRONG_VERSION_NUMBER" || $0 == "HTTP_REQUEST" }) {
            return "TLS: the endpoint does not speak TLS (\(reason)); is it a member's http:// URL?"
        }
        return "TLS: the handshake failed (\(reason))"
    }

    /// The reason codes of BoringSSL's error stack, e.g. `CERTIFICATE_VERIFY_FAILED`: the word after
    /// `OPENSSL_internal:` in each error's description.
    static func reasons(_ failure: BoringSSLError) -> [String] {
        let marker = "OPENSSL_internal:"
        return "\(failure)".split(separator: marker, omittingEmptySubsequences: false).dropFirst().compactMap { rest in
            let reason = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            return reason.isEmpty ? nil : String(reason)
        }
    }

    /// Over TLS, what a connection the server closed may mean: with TLS 1.3 the client's handshake ends before the
    /// member has checked its certificate, and a member that refuses the certificate (or its absence) closes the
    /// connection; empty otherwise.
    func tlsHint(_ error: any Error) -> String {
        guard let tls = configuration.tls, let error = error as? HTTPClientError, error == .remoteConnectionClosed
        else { return "" }
        let certificate =
            tls.certFile == nil
            ? "this client has none (certFile and keyFile are not set)"
            : "check that the client certificate is signed by the CA of the members' --trusted-ca-file"
        return " (over TLS, etcd closes the connection of a client whose certificate it refuses or that has none "
            + "when it runs with --client-cert-auth: \(certificate))"
    }
}
