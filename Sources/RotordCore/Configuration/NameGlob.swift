/// A consumer-name pattern in the style of `fnmatch(3)`: `*` any run of characters, `?` one character,
/// `[abc]`, `[a-z]` and `[!abc]` (or `[^abc]`) one character of (or not of) a set; `\` makes the next
/// character literal. A name has no directories, so `*` also matches `/` (no `FNM_PATHNAME`).
public struct NameGlob: Sendable, Hashable, CustomStringConvertible {
    /// One element of a parsed pattern.
    enum Token: Sendable, Hashable {
        case literal(Character)
        case any
        case anyRun
        case set(negated: Bool, items: [ClosedRange<Character>])
    }

    /// The pattern as written.
    public let pattern: String
    let tokens: [Token]

    /// Parses `pattern`; `nil` when it is malformed (an unclosed `[`, an empty set, a trailing `\`).
    public init?(_ pattern: String) {
        var tokens: [Token] = []
        var chars = Array(pattern)[...]
        while let c = chars.popFirst() {
            switch c {
            case "*": if tokens.last != .anyRun { tokens.append(.anyRun) }
            case "?": tokens.append(.any)
            case "\\":
                guard let next = chars.popFirst() else { return nil }
                tokens.append(.literal(next))
            case "[":
                var negated = false
                if let first = chars.first, first == "!" || first == "^" {
                    negated = true
                    chars.removeFirst()
                }
                var items: [ClosedRange<Character>] = []
                var closed = false
                var first = true
                while let d = chars.popFirst() {
                    if d == "]" && !first {
                        closed = true
                        break
                    }
                    first = false
                    if chars.count >= 2, chars.first == "-", let upper = chars.dropFirst().first, upper != "]" {
                        chars.removeFirst(2)
                        guard d <= upper else { return nil }
                        items.append(d...upper)
                    } else {
                        items.append(d...d)
                    }
                }
                guard closed, !items.isEmpty else { return nil }
                tokens.append(.set(negated: negated, items: items))
            default: tokens.append(.literal(c))
            }
        }
        self.pattern = pattern
        self.tokens = tokens
    }

    /// Whether the pattern matches one name only (it has no `*`, `?` or `[…]`).
    public var isLiteral: Bool {
        tokens.allSatisfy { if case .literal = $0 { true } else { false } }
    }

    public var description: String { pattern }

    /// Whether `name` matches the whole pattern.
    public func matches(_ name: String) -> Bool {
        let text = Array(name)
        // Iterative matching with one back-track point for the last `*`: linear in practice, never exponential.
        var t = 0
        var p = 0
        var star: (pattern: Int, text: Int)?
        while t < text.count {
            if p < tokens.count, Self.matchesOne(tokens[p], text[t]) {
                p += 1
                t += 1
            } else if p < tokens.count, tokens[p] == .anyRun {
                star = (p, t)
                p += 1
            } else if let s = star {
                p = s.pattern + 1
                t = s.text + 1
                star = (s.pattern, s.text + 1)
            } else {
                return false
            }
        }
        while p < tokens.count, tokens[p] == .anyRun { p += 1 }
        return p == tokens.count
    }

    static func matchesOne(_ token: Token, _ c: Character) -> Bool {
        switch token {
        case .literal(let l): l == c
        case .any: true
        case .anyRun: false
        case .set(let negated, let items): items.contains { $0.contains(c) } != negated
        }
    }
}
