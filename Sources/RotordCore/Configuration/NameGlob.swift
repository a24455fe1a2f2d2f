import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A consumer-name pattern matched by the C library's `fnmatch(3)`: `*` any run of characters, `?` one character,
/// `[abc]`, `[a-z]` and `[!abc]` (or `[^abc]`) one character of (or not of) a set; `\` makes the next character
/// literal outside a set. Inside a set every character is literal (`\` and `[` too: there are no `[:alpha:]`
/// classes), and `]` first in a set is a member. A name has no directories, so `*` also matches `/` (no
/// `FNM_PATHNAME`), and a leading `.` is an ordinary character (no `FNM_PERIOD`).
///
/// "Character" means one Unicode code point: the pattern and the name are compared in their composed form (NFC),
/// so an accented letter written either way matches, but a character built of several code points even then (an
/// emoji with a modifier, a letter with two accents) needs as many `?`. A name containing a NUL character
/// matches no pattern.
public struct NameGlob: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    /// The pattern as `fnmatch(3)` reads it (without `FNM_NOESCAPE`): every literal and every set member escaped,
    /// negation written `!`, so that neither glibc's `[:class:]` syntax nor `POSIXLY_CORRECT` changes its meaning.
    let fnmatchPattern: String

    /// Whether the pattern matches one name only (it has no `*`, `?` or `[…]`).
    public let isLiteral: Bool

    /// Parses `pattern`; `nil` when it is malformed (an unclosed `[`, an empty set, a reversed range, a trailing
    /// `\`, a NUL character).
    public init?(_ pattern: String) {
        var out = ""
        var literal = true
        var scalars = Array(pattern.precomposedStringWithCanonicalMapping.unicodeScalars)[...]
        func escaped(_ s: Unicode.Scalar) -> String { "\\" + String(s) }
        while let c = scalars.popFirst() {
            switch c {
            case "\0": return nil
            case "*":
                literal = false
                out += "*"
            case "?":
                literal = false
                out += "?"
            case "\\":
                guard let next = scalars.popFirst(), next != "\0" else { return nil }
                out += escaped(next)
            case "[":
                literal = false
                var set = "["
                if let first = scalars.first, first == "!" || first == "^" {
                    set += "!"
                    scalars.removeFirst()
                }
                var closed = false
                var first = true
                while let d = scalars.popFirst() {
                    if d == "\0" { return nil }
                    if d == "]" && !first {
                        closed = true
                        break
                    }
                    first = false
                    if scalars.count >= 2, scalars.first == "-", let upper = scalars.dropFirst().first, upper != "]" {
                        scalars.removeFirst(2)
                        guard d.value <= upper.value, upper != "\0" else { return nil }
                        set += escaped(d) + "-" + escaped(upper)
                    } else {
                        set += escaped(d)
                    }
                }
                guard closed, set != "[", set != "[!" else { return nil }
                out += set + "]"
            default: out += escaped(c)
            }
        }
        self.pattern = pattern
        self.fnmatchPattern = out
        self.isLiteral = literal
    }

    public var description: String { pattern }

    /// Whether `name` matches the whole pattern (`fnmatch(3)` in the C.UTF-8 locale, flags 0).
    public func matches(_ name: String) -> Bool {
        let name = name.precomposedStringWithCanonicalMapping
        guard !name.unicodeScalars.contains("\0") else { return false }
        return Self.inUTF8Locale { fnmatch(fnmatchPattern, name, 0) == 0 }
    }

    /// The C.UTF-8 locale, in which `fnmatch(3)` reads UTF-8 code points (in the "C" locale a process starts in, it
    /// reads bytes, and `?` would match half of "é"). `nil` when the C library has none; matching is then by byte.
    nonisolated(unsafe) static let utf8Locale: locale_t? = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil)

    /// Runs `body` with the calling thread in the C.UTF-8 locale (`uselocale(3)`, this thread only), then restores
    /// the thread's locale.
    static func inUTF8Locale<T>(_ body: () -> T) -> T {
        guard let locale = utf8Locale, let previous = uselocale(locale) else { return body() }
        defer { _ = uselocale(previous) }
        return body()
    }
}
