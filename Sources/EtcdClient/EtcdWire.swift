#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The JSON of etcd 3.4's v3 gateway (grpc-gateway v1, jsonpb with `OrigName`): int64s arrive as strings, keys and
/// values in base64, and fields at their default value are omitted (`succeeded` absent is `false`, an event's
/// `type` absent is `PUT`, a `count` of 0 is absent). Requests send int64s as strings too.
enum EtcdWire {
    /// An int64 that the gateway writes as a JSON string (`"42"`), also accepted as a number.
    struct Int64Value: Codable, Sendable {
        var value: Int64
        init(_ value: Int64) { self.value = value }
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int64.self) {
                value = number
                return
            }
            let text = try container.decode(String.self)
            guard let number = Int64(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an int64: \(text)")
            }
            value = number
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(String(value))
        }
    }

    static func base64(_ bytes: some Sequence<UInt8>) -> String { Data(bytes).base64EncodedString() }
    static func base64(_ text: String) -> String { base64(Array(text.utf8)) }
    static func bytes(base64 text: String?) throws -> [UInt8] {
        guard let text else { return [] }
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not base64: \(text.prefix(40))"))
        }
        return Array(data)
    }

    /// The end of the range of every key that starts with `prefix` (etcd's `GetPrefixRangeEnd`): the prefix with its
    /// last byte below 0xff incremented and what follows dropped; `\0` (every key) when there is none.
    static func prefixEnd(_ prefix: String) -> [UInt8] {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return [0]
    }

    // MARK: Requests

    struct RangeRequest: Encodable {
        var key: String
        var rangeEnd: String?
        var limit: Int64Value?
        var serializable: Bool?
        var revision: Int64Value?
        enum CodingKeys: String, CodingKey {
            case key, limit, serializable, revision
            case rangeEnd = "range_end"
        }
    }
    struct PutRequest: Encodable {
        var key: String
        var value: String
        var lease: Int64Value?
    }
    struct DeleteRangeRequest: Encodable {
        var key: String
        var rangeEnd: String?
        enum CodingKeys: String, CodingKey {
            case key
            case rangeEnd = "range_end"
        }
    }
    struct Compare: Encodable {
        var result: String
        var target: String
        var key: String
        var version: Int64Value?
        var createRevision: Int64Value?
        var modRevision: Int64Value?
        var value: String?
        var lease: Int64Value?
        var rangeEnd: String?
        enum CodingKeys: String, CodingKey {
            case result, target, key, version, value, lease
            case createRevision = "create_revision"
            case modRevision = "mod_revision"
            case rangeEnd = "range_end"
        }
    }
    struct RequestOp: Encodable {
        var requestRange: RangeRequest?
        var requestPut: PutRequest?
        var requestDeleteRange: DeleteRangeRequest?
        enum CodingKeys: String, CodingKey {
            case requestRange = "request_range"
            case requestPut = "request_put"
            case requestDeleteRange = "request_delete_range"
        }
    }
    struct TxnRequest: Encodable {
        var compare: [Compare]
        var success: [RequestOp]
        var failure: [RequestOp]
    }
    struct CompactionRequest: Encodable {
        var revision: Int64Value
        var physical: Bool
    }
    struct LeaseGrantRequest: Encodable {
        var ttl: Int64Value
        enum CodingKeys: String, CodingKey { case ttl = "TTL" }
    }
    struct LeaseIDRequest: Encodable {
        var id: Int64Value
        enum CodingKeys: String, CodingKey { case id = "ID" }
    }
    struct WatchCreateRequest: Encodable {
        var key: String
        var rangeEnd: String?
        var startRevision: Int64Value?
        var progressNotify: Bool?
        enum CodingKeys: String, CodingKey {
            case key
            case rangeEnd = "range_end"
            case startRevision = "start_revision"
            case progressNotify = "progress_notify"
        }
    }
    struct WatchRequest: Encodable {
        var createRequest: WatchCreateRequest
        enum CodingKeys: String, CodingKey { case createRequest = "create_request" }
    }

    // MARK: Responses (decoded with `convertFromSnakeCase`)

    /// The response header; its `cluster_id` and `member_id` are uint64s (above `Int64.max` half the time) and
    /// not read.
    struct Header: Decodable {
        var revision: Int64Value?
    }
    struct KeyValue: Decodable {
        var key: String?
        var value: String?
        var createRevision: Int64Value?
        var modRevision: Int64Value?
        var version: Int64Value?
        var lease: Int64Value?
    }
    struct RangeResponse: Decodable {
        var header: Header?
        var kvs: [KeyValue]?
        var more: Bool?
        var count: Int64Value?
    }
    struct AuthenticateRequest: Encodable {
        var name: String
        var password: String
    }
    struct AuthenticateResponse: Decodable {
        var header: Header?
        var token: String?
    }
    struct PutResponse: Decodable {
        var header: Header?
    }
    struct DeleteRangeResponse: Decodable {
        var header: Header?
        var deleted: Int64Value?
    }
    struct ResponseOp: Decodable {
        var responseRange: RangeResponse?
        var responsePut: PutResponse?
        var responseDeleteRange: DeleteRangeResponse?
    }
    struct TxnResponse: Decodable {
        var header: Header?
        var succeeded: Bool?
        var responses: [ResponseOp]?
    }
    struct LeaseResponse: Decodable {
        var header: Header?
        var id: Int64Value?
        var ttl: Int64Value?
        var error: String?
        enum CodingKeys: String, CodingKey {
            case header, error
            case id = "ID"
            case ttl = "TTL"
        }
    }
    /// One line of a streamed answer (`/v3/lease/keepalive`, `/v3/watch`): `{"result": …}` or `{"error": …}`.
    struct StreamLine<Result: Decodable>: Decodable {
        var result: Result?
        var error: StreamError?
    }
    /// A streamed call's error: `{"error": {"grpc_code": 5, "http_code": 404, "message": "…", "http_status": "…"}}`.
    struct StreamError: Decodable {
        var grpcCode: Int?
        var httpCode: Int?
        var message: String?
    }
    /// A unary call's error: `{"error": "…", "code": 5, "message": "…"}`.
    struct UnaryError: Decodable {
        var error: String?
        var code: Int?
        var message: String?
    }
    struct Event: Decodable {
        var type: String?
        var kv: KeyValue?
    }
    struct WatchResponse: Decodable {
        var header: Header?
        var watchId: Int64Value?
        var created: Bool?
        var canceled: Bool?
        var compactRevision: Int64Value?
        var cancelReason: String?
        var events: [Event]?
    }
}
