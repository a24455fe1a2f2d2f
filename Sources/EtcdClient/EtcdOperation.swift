/// One operation of a transaction's `success` or `failure` branch.
public struct EtcdOperation: Sendable {
    let wire: EtcdWire.RequestOp

    /// Sets `key` to `value`, attached to `lease` when given.
    public static func put(_ key: String, _ value: [UInt8], lease: Int64? = nil) -> EtcdOperation {
        .init(wire: .init(requestPut: EtcdClient.putRequest(key, value, lease: lease)))
    }
    /// Sets `key` to the UTF-8 bytes of `value`.
    public static func put(_ key: String, _ value: String, lease: Int64? = nil) -> EtcdOperation {
        put(key, Array(value.utf8), lease: lease)
    }
    /// Reads `key`, or every key under it when `prefix` (linearizable, as the transaction).
    public static func range(_ key: String, prefix: Bool = false) -> EtcdOperation {
        .init(wire: .init(requestRange: EtcdClient.rangeRequest(key, prefix: prefix, limit: nil, serializable: false)))
    }
    /// Deletes `key`, or every key under it when `prefix`.
    public static func delete(_ key: String, prefix: Bool = false) -> EtcdOperation {
        .init(wire: .init(requestDeleteRange: EtcdClient.deleteRequest(key, prefix: prefix)))
    }
}

/// What a transaction did: which branch ran, and each operation's answer in order.
public struct EtcdTxnResult: Sendable {
    /// One operation's answer.
    public enum Response: Sendable {
        /// A range read's keys.
        case range(EtcdRangeResult)
        /// A put (nothing more to say: the revision is the transaction's).
        case put
        /// A delete, with how many keys it removed.
        case delete(deleted: Int64)
    }

    /// Whether every comparison held, so the `success` branch ran (the gateway omits `false`).
    public var succeeded: Bool
    /// The store's revision after the transaction.
    public var revision: Int64
    /// The answers of the branch that ran.
    public var responses: [Response]

    /// The keys the first range operation of the branch that ran found (empty when there is none).
    public var firstRange: [EtcdKeyValue] {
        for case .range(let result) in responses { return result.kvs }
        return []
    }

    init(_ wire: EtcdWire.TxnResponse) throws {
        succeeded = wire.succeeded ?? false
        revision = wire.header?.revision?.value ?? 0
        responses = try (wire.responses ?? []).map { op in
            if let range = op.responseRange { return .range(try EtcdRangeResult(range)) }
            if let delete = op.responseDeleteRange { return .delete(deleted: delete.deleted?.value ?? 0) }
            return .put
        }
    }
}
