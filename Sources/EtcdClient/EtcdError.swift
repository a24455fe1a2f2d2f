/// An error from ``EtcdClient``, naming the operation and the endpoint, and saying whether the request may have
/// been applied.
///
/// Modelled as a struct wrapping a private code (the style of swift-service-lifecycle's errors), so new cases never
/// break callers: ask ``isOutcomeUnknown``, ``isLeaseNotFound``, ``compactRevision`` and ``grpcCode`` rather
/// than matching.
///
/// **Unknown outcome.** A write that timed out, was answered with a 5xx, or lost its connection after it was sent
/// may or may not have been applied by the cluster: ``isOutcomeUnknown`` is `true`, and the caller acts on nothing
/// until a linearizable read (``EtcdClient/range(_:prefix:limit:serializable:)``) shows the state. Every other error
/// (the request was refused, or never reached a member) means the write was definitely not applied.
public struct EtcdError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        /// No endpoint could be reached: every connection was refused or timed out while connecting.
        case unavailable(detail: String)
        /// The request was sent and no answer came within the timeout.
        case timedOut(after: Duration)
        /// The connection failed after the request was (perhaps) sent.
        case connectionLost(detail: String)
        /// The gateway answered with an HTTP status of 500 or more (etcd unavailable, no leader, request timed out).
        case server(status: Int, grpcCode: Int?, message: String)
        /// The gateway refused the request (4xx): it was not applied.
        case rejected(status: Int, grpcCode: Int?, message: String)
        /// The answer could not be read.
        case malformed(detail: String)
        /// The lease does not exist (expired or revoked).
        case leaseNotFound(id: Int64)
        /// A watch was cancelled because its start revision was compacted; the caller re-lists and watches again.
        case compacted(revision: Int64)
        /// A watch ended: the stream closed or the server cancelled it.
        case watchEnded(detail: String)
    }

    private let code: Code
    private let unknownOutcome: Bool
    /// What was being done, e.g. `txn`, `lease keepalive 7587…`.
    public let operation: String
    /// The endpoint that answered (or failed), or `all endpoints`.
    public let endpoint: String

    private init(_ code: Code, unknownOutcome: Bool, operation: String, endpoint: String) {
        self.code = code
        self.unknownOutcome = unknownOutcome
        self.operation = operation
        self.endpoint = endpoint
    }

    static func unavailable(_ detail: String, operation: String) -> EtcdError {
        .init(.unavailable(detail: detail), unknownOutcome: false, operation: operation, endpoint: "all endpoints")
    }
    static func timedOut(after: Duration, write: Bool, operation: String, endpoint: String) -> EtcdError {
        .init(.timedOut(after: after), unknownOutcome: write, operation: operation, endpoint: endpoint)
    }
    static func connectionLost(_ detail: String, write: Bool, operation: String, endpoint: String) -> EtcdError {
        .init(.connectionLost(detail: detail), unknownOutcome: write, operation: operation, endpoint: endpoint)
    }
    static func http(status: Int, grpcCode: Int?, message: String, write: Bool, operation: String, endpoint: String)
        -> EtcdError
    {
        if status >= 500 {
            return .init(
                .server(status: status, grpcCode: grpcCode, message: message), unknownOutcome: write,
                operation: operation, endpoint: endpoint)
        }
        return .init(
            .rejected(status: status, grpcCode: grpcCode, message: message), unknownOutcome: false,
            operation: operation, endpoint: endpoint)
    }
    static func malformed(_ detail: String, write: Bool, operation: String, endpoint: String) -> EtcdError {
        .init(.malformed(detail: detail), unknownOutcome: write, operation: operation, endpoint: endpoint)
    }
    static func leaseNotFound(_ id: Int64, operation: String, endpoint: String) -> EtcdError {
        .init(.leaseNotFound(id: id), unknownOutcome: false, operation: operation, endpoint: endpoint)
    }
    static func compacted(_ revision: Int64, operation: String, endpoint: String) -> EtcdError {
        .init(.compacted(revision: revision), unknownOutcome: false, operation: operation, endpoint: endpoint)
    }
    static func watchEnded(_ detail: String, operation: String, endpoint: String) -> EtcdError {
        .init(.watchEnded(detail: detail), unknownOutcome: false, operation: operation, endpoint: endpoint)
    }

    /// Whether a write may have been applied although it failed (timeout, 5xx, connection lost after sending): act
    /// on nothing until a linearizable read shows the state. Always `false` for reads, and for writes that
    /// definitely were not applied.
    public var isOutcomeUnknown: Bool { unknownOutcome }

    /// Whether another endpoint might answer: the endpoint could not be reached, timed out, lost the connection or
    /// answered 5xx.
    public var isTransient: Bool {
        switch code {
        case .unavailable, .timedOut, .connectionLost, .server, .watchEnded: true
        case .rejected, .malformed, .leaseNotFound, .compacted: false
        }
    }

    /// Whether etcd refused the request's authentication token (expired, or issued before a restart): the client
    /// logs in again. The request was not applied.
    public var isInvalidToken: Bool {
        switch code {
        case .rejected(_, _, let message), .server(_, _, let message), .watchEnded(let message):
            message.contains("invalid auth token")
        default: false
        }
    }

    /// Whether the lease named in the request does not exist (any more).
    public var isLeaseNotFound: Bool {
        if case .leaseNotFound = code { return true }
        return false
    }

    /// For a watch cancelled because its start revision was compacted: the compaction revision. Re-list the range,
    /// then watch from the listing's revision + 1.
    public var compactRevision: Int64? {
        if case .compacted(let revision) = code { return revision }
        return nil
    }

    /// The gRPC status code etcd gave (e.g. 9 `FAILED_PRECONDITION`, 14 `UNAVAILABLE`), if any.
    public var grpcCode: Int? {
        switch code {
        case .server(_, let grpc, _), .rejected(_, let grpc, _): grpc
        default: nil
        }
    }

    /// What happened, on which endpoint, and what to do.
    public var description: String {
        let outcome = unknownOutcome ? " (outcome unknown: read before acting)" : ""
        let what: String
        switch code {
        case .unavailable(let detail):
            what = "no etcd endpoint answered (\(detail)); check that etcd runs and the endpoints are right"
        case .timedOut(let after): what = "no answer within \(after)"
        case .connectionLost(let detail): what = "the connection failed: \(detail)"
        case .server(let status, let grpc, let message):
            what = "etcd answered \(status)\(grpc.map { " (gRPC code \($0))" } ?? ""): \(message)"
        case .rejected(let status, let grpc, let message):
            what = "etcd refused the request with \(status)\(grpc.map { " (gRPC code \($0))" } ?? ""): \(message)"
        case .malformed(let detail): what = "the answer could not be read: \(detail)"
        case .leaseNotFound(let id): what = "lease \(id) does not exist (expired or revoked)"
        case .compacted(let revision):
            what =
                "the watch was cancelled: its revision was compacted (compact revision \(revision)); re-list and watch again"
        case .watchEnded(let detail): what = "the watch ended: \(detail)"
        }
        return "etcd \(operation) at \(endpoint): \(what)\(outcome)\(hint)"
    }

    /// What an operator does about a refusal whose cause is known.
    private var hint: String {
        switch code {
        case .rejected(_, _, let message), .server(_, _, let message):
            if message.contains("database space exceeded") {
                return "; etcd's database is full and refuses every write until an operator compacts it, "
                    + "defragments it and disarms the alarm (etcdctl compact, etcdctl defrag, etcdctl alarm disarm)"
            }
            if message.contains("permission denied") {
                return "; the etcd user lacks a permission on this key (docs/fleet.md, Trust)"
            }
            if message.contains("user name is empty") {
                return "; etcd runs with authentication: set cluster.etcd.auth"
            }
            return ""
        default: return ""
        }
    }
}
