/// One condition of a transaction (`compare`): a key's `create_revision`, `mod_revision`, `version`, value or lease
/// against a given one. A key that does not exist has revisions, version and lease 0.
public struct EtcdCompare: Sendable {
    /// How the key's field relates to the given one.
    public enum Relation: String, Sendable {
        /// `EQUAL`
        case equal = "EQUAL"
        /// `NOT_EQUAL`
        case notEqual = "NOT_EQUAL"
        /// `GREATER` (the key's field is greater)
        case greater = "GREATER"
        /// `LESS`
        case less = "LESS"
    }

    let wire: EtcdWire.Compare

    /// The key's `create_revision`; `.createRevision(key, .equal, 0)` holds when the key does not exist.
    public static func createRevision(_ key: String, _ relation: Relation, _ revision: Int64) -> EtcdCompare {
        .init(
            wire: .init(
                result: relation.rawValue, target: "CREATE", key: EtcdWire.base64(key),
                createRevision: .init(revision)))
    }
    /// The key's `mod_revision`: equal to the one a read showed means nobody changed it since.
    public static func modRevision(_ key: String, _ relation: Relation, _ revision: Int64) -> EtcdCompare {
        .init(
            wire: .init(
                result: relation.rawValue, target: "MOD", key: EtcdWire.base64(key), modRevision: .init(revision)))
    }
    /// The key's `version` (0: absent).
    public static func version(_ key: String, _ relation: Relation, _ version: Int64) -> EtcdCompare {
        .init(
            wire: .init(
                result: relation.rawValue, target: "VERSION", key: EtcdWire.base64(key), version: .init(version)))
    }
    /// The key's value.
    public static func value(_ key: String, _ relation: Relation, _ value: [UInt8]) -> EtcdCompare {
        .init(
            wire: .init(
                result: relation.rawValue, target: "VALUE", key: EtcdWire.base64(key), value: EtcdWire.base64(value))
        )
    }
    /// The lease the key is attached to (0: none).
    public static func lease(_ key: String, _ relation: Relation, _ lease: Int64) -> EtcdCompare {
        .init(wire: .init(result: relation.rawValue, target: "LEASE", key: EtcdWire.base64(key), lease: .init(lease)))
    }

    /// Every key under `prefix` has a `mod_revision` related to `revision` as `relation` says (keys that do not exist
    /// do not count): `.prefixModRevision(p, .less, r + 1)` holds when no key under `p` was created or changed after
    /// the read at revision `r`.
    public static func prefixModRevision(_ prefix: String, _ relation: Relation, _ revision: Int64) -> EtcdCompare {
        .init(
            wire: .init(
                result: relation.rawValue, target: "MOD", key: EtcdWire.base64(prefix), modRevision: .init(revision),
                rangeEnd: EtcdWire.base64(EtcdWire.prefixEnd(prefix))))
    }
}
