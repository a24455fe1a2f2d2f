import Foundation
import Testing

@testable import RotordCore

/// rotord trims without Foundation's character sets (StringProtocol+Trimming.swift); the results
/// must be Foundation's.
@Suite struct StringTrimmingTests {
    static let samples = [
        "", " ", "\t", "90d", " 90d ", "\t 36h\t", "\u{00A0}15m\u{3000}", "a b", " a b ",
        "\n1234\n", "\r\n 42 \r\n", " \u{2028}x\u{2029} ", "é ", " 🔑 ", "\t\n \n\t",
    ]

    @Test(arguments: samples)
    func spacesAsFoundation(text: String) {
        #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
    }

    @Test(arguments: samples)
    func whitespaceAsFoundation(text: String) {
        #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func aPredicate() {
        #expect("\"'/var/lib/rotord'\"".trimming { $0 == "\"" || $0 == "'" } == "/var/lib/rotord")
        #expect("[::1]".trimming { $0 == "[" || $0 == "]" } == "::1")
        #expect("[]".trimming { $0 == "[" || $0 == "]" } == "")
        #expect("abc"[...].trimming { $0 == "x" } == "abc")
    }
}
