#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A duration as written in the configuration: a whole number and a unit, `90d`, `36h`, `15m`, `30s`, `0s`.
///
/// Durations are kept as whole seconds: rotation policy never needs finer resolution, and
/// whole seconds compare and print exactly. Their arithmetic saturates instead of trapping: a
/// constructor or a parse that overflows gives `Int64.max` seconds, and ``timeInterval`` (what
/// dates are computed with) is at most ``maximum``. The configuration loader refuses any duration
/// longer than ``maximum``.
public struct ConfigDuration: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The length in seconds; never negative.
    public var seconds: Int64

    /// Creates a duration of `seconds` seconds.
    public init(seconds: Int64) {
        self.seconds = max(0, seconds)
    }

    /// Days, hours, minutes or seconds, for readable code and tests; saturates at `Int64.max` seconds.
    public static func days(_ n: Int64) -> ConfigDuration { .init(seconds: n.saturatingMultiplied(by: 86_400)) }
    /// See ``days(_:)``.
    public static func hours(_ n: Int64) -> ConfigDuration { .init(seconds: n.saturatingMultiplied(by: 3_600)) }
    /// See ``days(_:)``.
    public static func minutes(_ n: Int64) -> ConfigDuration { .init(seconds: n.saturatingMultiplied(by: 60)) }
    /// See ``days(_:)``.
    public static func seconds(_ n: Int64) -> ConfigDuration { .init(seconds: n) }
    /// Zero.
    public static let zero = ConfigDuration(seconds: 0)
    /// The longest duration the configuration accepts: 100 years of 365 days (`36500d`). Dates a
    /// century away are still ordinary dates for the calendar, the formatters and the timers.
    public static let maximum = ConfigDuration.days(36_500)

    /// Parses `90d`, `36h`, `15m`, `30s`, `0s`, and combinations such as `1h30m`.
    ///
    /// Returns `nil` for anything else (no sign, no fractions, no unknown units, not empty). A
    /// value too large for `Int64` seconds saturates at `Int64.max` seconds (above ``maximum``, so
    /// the loader refuses it by its size rather than its spelling).
    public init?(parsing text: String) {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else { return nil }
        var total: Int64 = 0
        var number: Int64? = nil
        for ch in trimmed {
            if let digit = ch.wholeNumberValue, ch.isASCII {
                number = (number ?? 0).saturatingMultiplied(by: 10).saturatingAdding(Int64(digit))
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
            total = total.saturatingAdding(n.saturatingMultiplied(by: unit))
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

    /// This duration as a `TimeInterval`, at most ``maximum``: a date computed from a duration is
    /// never more than a century from its base, whatever the duration (a decoded or hand-built one
    /// beyond what the loader accepts).
    public var timeInterval: TimeInterval { TimeInterval(min(seconds, Self.maximum.seconds)) }

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
