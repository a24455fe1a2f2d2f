import Foundation

/// The deterministic per-consumer spread of due dates (`jitter:`).
///
/// The offset is a stable hash of the consumer's name (64-bit FNV-1a of its UTF-8 bytes), so it is
/// the same in every process, on every machine and after every restart, unlike Swift's `hashValue`,
/// which is seeded per process. The due date moves **earlier** by the offset, so the spread never
/// pushes a rotation past the compliance deadline (`created_at + max_age`).
public enum RotationJitter {
    /// 64-bit FNV-1a of `text`'s UTF-8 bytes.
    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The offset of consumer `name` within `jitter`: `0 ..< jitter` whole seconds; 0 without jitter.
    public static func offset(for name: String, jitter: ConfigDuration) -> ConfigDuration {
        guard jitter.seconds > 0 else { return .zero }
        return .seconds(Int64(fnv1a64(name) % UInt64(jitter.seconds)))
    }
}
