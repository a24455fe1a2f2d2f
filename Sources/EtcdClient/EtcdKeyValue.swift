/// A key and its value as etcd stores them, with the revisions a transaction compares.
public struct EtcdKeyValue: Sendable, Equatable {
    /// The key (etcd keys are bytes; rotord's are UTF-8).
    public var key: String
    /// The value's bytes.
    public var value: [UInt8]
    /// The revision at which the key was created (0 compares as "does not exist").
    public var createRevision: Int64
    /// The revision of the last change to the key.
    public var modRevision: Int64
    /// How many times the key was changed since it was created (1 after the create).
    public var version: Int64
    /// The lease the key is attached to, 0 for none.
    public var lease: Int64

    /// The value as UTF-8 text.
    public var string: String { String(decoding: value, as: UTF8.self) }

    init(_ wire: EtcdWire.KeyValue) throws {
        key = String(decoding: try EtcdWire.bytes(base64: wire.key), as: UTF8.self)
        value = try EtcdWire.bytes(base64: wire.value)
        createRevision = wire.createRevision?.value ?? 0
        modRevision = wire.modRevision?.value ?? 0
        version = wire.version?.value ?? 0
        lease = wire.lease?.value ?? 0
    }
}

/// What a range read found.
public struct EtcdRangeResult: Sendable {
    /// The keys found, in key order.
    public var kvs: [EtcdKeyValue]
    /// The store's revision when the read was served.
    public var revision: Int64
    /// How many keys are in the range (more than `kvs.count` when a limit cut it).
    public var count: Int64
    /// Whether a limit left keys out.
    public var more: Bool

    init(_ wire: EtcdWire.RangeResponse) throws {
        kvs = try (wire.kvs ?? []).map(EtcdKeyValue.init)
        revision = wire.header?.revision?.value ?? 0
        count = wire.count?.value ?? 0
        more = wire.more ?? false
    }
}

/// A lease: keys attached to it are deleted when it expires or is revoked.
public struct EtcdLease: Sendable, Equatable {
    /// The lease's id.
    public var id: Int64
    /// Its time to live as granted (or, after a keep-alive, as renewed).
    public var ttl: Duration
}
