/// Trimming without Foundation's `trimmingCharacters(in:)`, which goes through CoreFoundation's
/// character sets and ICU: a start of rotord then touches their code and tables for a few
/// configuration values (docs/benchmarks.md, "Memory").
extension StringProtocol {
    /// This text without the leading and trailing characters for which `isTrimmed` is true.
    package func trimming(while isTrimmed: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !isTrimmed($0) }), let last = lastIndex(where: { !isTrimmed($0) })
        else { return "" }
        return String(self[first...last])
    }

    /// This text without leading and trailing spaces and tabs (Unicode white space other than line
    /// breaks), like `trimmingCharacters(in: .whitespaces)`.
    package func trimmingSpaces() -> String {
        trimming { $0.isWhitespace && !$0.isNewline }
    }

    /// This text without leading and trailing white space and line breaks, like
    /// `trimmingCharacters(in: .whitespacesAndNewlines)`.
    package func trimmingWhitespace() -> String {
        trimming { $0.isWhitespace }
    }
}
