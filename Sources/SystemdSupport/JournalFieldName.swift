/// journald field names: upper case `A-Z`, `0-9`, `_`, not starting with `_` (reserved for
/// trusted fields) or a digit, at most 64 characters.
public enum JournalFieldName {
    /// `rotord.consumer` → `ROTORD_CONSUMER`; `nil` when nothing valid remains.
    public static func sanitize(_ key: String) -> String? {
        var out = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z": out.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!)
            case "A"..."Z", "0"..."9", "_": out.unicodeScalars.append(scalar)
            default: out.append("_")
            }
        }
        while out.hasPrefix("_") { out.removeFirst() }
        if let first = out.unicodeScalars.first, ("0"..."9").contains(first) { out = "F_" + out }
        if out.count > 64 { out = String(out.prefix(64)) }
        return out.isEmpty ? nil : out
    }
}
