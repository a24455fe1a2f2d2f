import AsyncHTTPClient
import HTTPExchange
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
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
public final class EtcdClient: Sendable {
    /// Where etcd is and how long a call may take.
    public struct Configuration: Sendable {
        /// The members' client URLs, e.g. `http://127.0.0.1:2379`; tried in this order.
        public var endpoints: [String]
        /// The longest one call to one endpoint may take, connecting included.
        public var requestTimeout: Duration
        /// The longest the connection to one endpoint may take (less than ``requestTimeout``, so that an endpoint
        /// that cannot be reached leaves time to try another).
        public var connectTimeout: Duration

        /// The default of ``requestTimeout``.
        public static let defaultRequestTimeout: Duration = .seconds(1)
        /// The default of ``connectTimeout``.
        public static let defaultConnectTimeout: Duration = .milliseconds(300)

        /// A configuration for `endpoints` with the default timeouts.
        public init(
            endpoints: [String], requestTimeout: Duration = defaultRequestTimeout,
            connectTimeout: Duration = defaultConnectTimeout
        ) {
            self.endpoints = endpoints.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
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

    /// Creates a client of `configuration.endpoints`, with its own HTTP connection pool on `eventLoopGroup`.
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
    /// the answer (for a streamed call, its first line).
    func call<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body, operation: String, write: Bool)
        async throws(EtcdError) -> Answer
    {
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
            request.body = .bytes(ByteBuffer(bytes: payload))
            let exchange: HTTPExchange.Answer
            do {
                exchange = try await HTTPExchange.exchange(
                    request, on: http, within: configuration.requestTimeout, maximumBytes: Self.maximumAnswerBytes)
            } catch {
                let sent = !HTTPExchange.neverSent(error)
                let detail = HTTPExchange.describe(error)
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
