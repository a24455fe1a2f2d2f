import Foundation

/// A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: it refuses
/// anything the format does not allow, and a few things it allows but rotord never writes.
///
/// Checked: every line ends with `\n` (the file too); metric and label names match the format's
/// grammar; label values are quoted with only `\\`, `\"` and `\n` escapes; values parse as floats
/// (`NaN`, `+Inf`, `-Inf` included); at most one `# HELP` and one `# TYPE` per family, the type
/// one of counter, gauge, histogram, summary, untyped, given before the family's samples; a family's
/// samples are contiguous; no series appears twice; no blank line.
public struct PrometheusTextParser {
    /// One sample.
    public struct Sample: Sendable, Hashable {
        /// The metric name.
        public var name: String
        /// Its labels.
        public var labels: [String: String]
        /// Its value.
        public var value: Double
    }

    /// A violation, with its 1-based line.
    public struct Failure: Error, CustomStringConvertible {
        /// The line.
        public var line: Int
        /// What is wrong.
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// The samples parsed.
    public private(set) var samples: [Sample] = []
    /// The type of each family.
    public private(set) var types: [String: String] = [:]
    /// The help of each family.
    public private(set) var help: [String: String] = [:]

    /// Parses `text`, throwing at the first violation.
    public init(_ text: String) throws(Failure) {
        guard text.isEmpty || text.hasSuffix("\n") else { throw Failure(line: 0, message: "no final newline") }
        var closed = Set<String>()
        var current: String?
        var series = Set<String>()
        for (index, raw) in text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = String(raw)
            func fail(_ message: String) -> Failure { Failure(line: number, message: message) }
            if line.isEmpty { throw fail("blank line") }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                guard parts.count >= 3, parts[0] == "#", parts[1] == "HELP" || parts[1] == "TYPE" else { continue }
                let name = parts[2]
                guard Self.isMetricName(name) else { throw fail("bad metric name \"\(name)\"") }
                if closed.contains(name) { throw fail("\(name): metadata after its samples ended") }
                if parts[1] == "HELP" {
                    guard help[name] == nil else { throw fail("\(name): second HELP") }
                    help[name] = parts.count > 3 ? parts[3] : ""
                } else {
                    guard types[name] == nil else { throw fail("\(name): second TYPE") }
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3])
                    else { throw fail("\(name): bad TYPE") }
                    if samples.contains(where: { Self.family(of: $0.name) == name }) {
                        throw fail("\(name): TYPE after samples")
                    }
                    types[name] = parts[3]
                }
                if let c = current, c != name { closed.insert(c) }
                current = name
                continue
            }
            var scanner = Substring(line)
            let name = String(scanner.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") })
            guard Self.isMetricName(name) else { throw fail("bad metric name in \"\(line)\"") }
            scanner = scanner.dropFirst(name.count)
            var labels: [String: String] = [:]
            if scanner.first == "{" {
                scanner = scanner.dropFirst()
                while scanner.first != "}" {
                    let label = String(scanner.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
                    guard Self.isLabelName(label) else { throw fail("bad label name") }
                    scanner = scanner.dropFirst(label.count)
                    guard scanner.hasPrefix("=\"") else { throw fail("expected =\" after \(label)") }
                    scanner = scanner.dropFirst(2)
                    var value = ""
                    while true {
                        guard let c = scanner.popFirst() else { throw fail("unterminated label value") }
                        if c == "\"" { break }
                        if c == "\\" {
                            switch scanner.popFirst() {
                            case "\\": value.append("\\")
                            case "\"": value.append("\"")
                            case "n": value.append("\n")
                            default: throw fail("bad escape in label value")
                            }
                        } else {
                            value.append(c)
                        }
                    }
                    guard labels.updateValue(value, forKey: label) == nil else { throw fail("label \(label) twice") }
                    if scanner.first == "," {
                        scanner = scanner.dropFirst()
                    } else if scanner.first != "}" {
                        throw fail("expected , or } in labels")
                    }
                }
                scanner = scanner.dropFirst()
            }
            guard scanner.first == " " else { throw fail("expected one space before the value") }
            let fields = scanner.dropFirst().split(separator: " ", omittingEmptySubsequences: false)
            guard (1...2).contains(fields.count), let value = Self.float(String(fields[0])) else {
                throw fail("bad value in \"\(line)\"")
            }
            if fields.count == 2, Int64(fields[1]) == nil { throw fail("bad timestamp") }
            let family = Self.family(of: name)
            guard !closed.contains(family) else { throw fail("\(family): samples are not contiguous") }
            if let c = current, c != family { closed.insert(c) }
            current = family
            let key = name + "{" + labels.keys.sorted().map { "\($0)=\(labels[$0]!)" }.joined(separator: ",") + "}"
            guard series.insert(key).inserted else { throw fail("series \(key) twice") }
            samples.append(Sample(name: name, labels: labels, value: value))
        }
    }

    /// The family a sample name belongs to (histogram and summary suffixes stripped when typed so).
    static func family(of name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            return String(name.dropLast(suffix.count))
        }
        return name
    }

    static func isMetricName(_ s: String) -> Bool {
        guard let first = s.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    static func isLabelName(_ s: String) -> Bool {
        guard let first = s.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return !s.hasPrefix("__") && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    static func float(_ s: String) -> Double? {
        switch s {
        case "NaN": return .nan
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        default:
            guard !s.isEmpty, s.allSatisfy({ "0123456789.eE+-".contains($0) }) else { return nil }
            return Double(s)
        }
    }

    /// The value of the sample `name` with exactly `labels`.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}
