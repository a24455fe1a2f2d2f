#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A duration as written in the configuration: a whole number and a unit, `90d`, `36h`, `15m`, `30s`, `0s`.
///
/// Durations are kept as whole seconds: rotation policy never needs finer resolution, and
/// whole seconds compare and print exactly.
public struct ConfigDuration: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The length in seconds; never negative.
    public var seconds: Int64

    /// Creates a duration of `seconds` seconds.
    public init(seconds: Int64) {
        self.seconds = max(0, seconds)
    }

    /// Days, hours, minutes or seconds, for readable code and tests.
    public static func days(_ n: Int64) -> ConfigDuration { .init(seconds: n * 86_400) }
    /// See ``days(_:)``.
    public static func hours(_ n: Int64) -> ConfigDuration { .init(seconds: n * 3_600) }
    /// See ``days(_:)``.
    public static func minutes(_ n: Int64) -> ConfigDuration { .init(seconds: n * 60) }
    /// See ``days(_:)``.
    public static func seconds(_ n: Int64) -> ConfigDuration { .init(seconds: n) }
    /// Zero.
    public static let zero = ConfigDuration(seconds: 0)

    /// Parses `90d`, `36h`, `15m`, `30s`, `0s`, and combinations such as `1h30m`.
    ///
    /// Returns `nil` for anything else (no sign, no fractions, no unknown units, not empty).
    public init?(parsing text: String) {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else { return nil }
        var total: Int64 = 0
        var number: Int64? = nil
        for ch in trimmed {
            if let digit = ch.wholeNumberValue, ch.isASCII {
                let (m, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(digit))
                guard !o1, !o2 else { return nil }
                number = a
                continue
            }
            guard let n = number else { return nil }
            let unit: Int64
            switch ch {
            case "w": unit = 604_800
            case "d": unit = 86_400
            case "h": unit = 3_600
            case "m": unit = 60
            case "s": unit = 1
            default: return nil
            }
            let (m, o1) = n.multipliedReportingOverflow(by: unit)
            let (a, o2) = total.addingReportingOverflow(m)
            guard !o1, !o2 else { return nil }
            total = a
            number = nil
        }
        guard number == nil else { return nil }  // a trailing number without a unit
        self.seconds = total
    }

    /// The shortest exact spelling: `90d`, `36h`, `1h30m`, `0s`.
    public var description: String {
        if seconds == 0 { return "0s" }
        var rest = seconds
        var out = ""
        for (unit, name) in [(Int64(86_400), "d"), (3_600, "h"), (60, "m"), (1, "s")] where rest >= unit {
            out += "\(rest / unit)\(name)"
            rest %= unit
        }
        return out
    }

    /// This duration as a `TimeInterval`.
    public var timeInterval: TimeInterval { TimeInterval(seconds) }

    public static func < (lhs: ConfigDuration, rhs: ConfigDuration) -> Bool { lhs.seconds < rhs.seconds }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = ConfigDuration(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a duration: \(text)")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension ConfigDuration {
    /// A compact human form for status lines: `3d 4h`, `12m`, `40s`.
    public var humanReadable: String {
        if seconds >= 86_400 {
            let d = seconds / 86_400, h = (seconds % 86_400) / 3_600
            return h > 0 ? "\(d)d \(h)h" : "\(d)d"
        }
        if seconds >= 3_600 {
            let h = seconds / 3_600, m = (seconds % 3_600) / 60
            return m > 0 ? "\(h)h \(m)m" : "\(h)h"
        }
        if seconds >= 60 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
