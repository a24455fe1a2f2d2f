/// Masks credentials for anything a person or a log will see.
///
/// Only the first four characters of a key survive, which is enough to tell consumers apart
/// in a table and useless to an attacker. Secrets are never shown at all.
public enum KeyMask {
    /// `AbCd…` for a key; `…` for anything of four characters or fewer.
    public static func mask(_ key: String) -> String {
        guard key.count > 4 else { return "…" }
        return String(key.prefix(4)) + "…"
    }
}
