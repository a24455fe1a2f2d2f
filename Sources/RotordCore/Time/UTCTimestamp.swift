import Foundation

/// ISO 8601 timestamps in UTC to the second (`2026-11-30T08:15:00Z`), the form of Foundation's
/// `ISO8601Format()`, `formatted(.iso8601)` and the `.iso8601` JSON date strategies, computed
/// without them.
///
/// Foundation's ISO 8601 style formats through a Gregorian `Calendar`, whose creation loads the
/// current time zone from ICU's data: a `run --once` that formats one date touches ICU's time-zone
/// code and tables, about 1 MB of pages (docs/benchmarks.md, "Memory"). The proleptic Gregorian
/// arithmetic here is Howard Hinnant's (`days_from_civil`, `civil_from_days`).
package enum UTCTimestamp {
    /// `date` as `yyyy-MM-ddTHH:mm:ssZ`; fractions of a second are dropped (rounded down), as
    /// Foundation does. A date beyond ``formattableSeconds`` is formatted as that bound, never
    /// trapped on.
    package static func format(_ date: Date) -> String {
        let seconds = Int(secondsSince1970(date).rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }

    /// The seconds from 1970 that the formatters compute with: ±10^15 (about 30 million years),
    /// so that their integer arithmetic on days and years cannot overflow.
    package static let formattableSeconds: ClosedRange<Double> = -1e15...1e15

    /// `date.timeIntervalSince1970` clamped to ``formattableSeconds``; NaN is 0.
    package static func secondsSince1970(_ date: Date) -> Double {
        let seconds = date.timeIntervalSince1970
        return seconds.isNaN ? 0 : min(max(seconds, formattableSeconds.lowerBound), formattableSeconds.upperBound)
    }

    /// The proleptic Gregorian date of day `days` after 1970-01-01 (Hinnant's `civil_from_days`).
    package static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The number of days from 1970-01-01 to a proleptic Gregorian date (Hinnant's
    /// `days_from_civil`); the date must be valid.
    package static func days(year: Int, month: Int, day: Int) -> Int {
        let yy = month <= 2 ? year - 1 : year
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `n` in decimal, with leading zeros to `width` digits.
    package static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Parses exactly the form ``format(_:)`` writes; `nil` for anything else (callers that must
    /// read older or foreign forms fall back to Foundation).
    package static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ from: Int, _ width: Int) -> Int? {
            var n = 0
            for i in from..<(from + width) {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) else { return nil }
                n = n * 10 + Int(b[i] - UInt8(ascii: "0"))
            }
            return n
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), (1...12).contains(month),
            (1...daysIn(month: month, year: year)).contains(day), (0...23).contains(hour), (0...59).contains(minute),
            (0...59).contains(second)
        else { return nil }
        let days = days(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3_600 + minute * 60 + second))
    }

    /// The number of days of `month` (1–12) in `year` of the proleptic Gregorian calendar.
    package static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension JSONEncoder.DateEncodingStrategy {
    /// `.iso8601`'s output, written by ``UTCTimestamp``.
    package static var utcTimestamp: Self {
        .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(UTCTimestamp.format(date))
        }
    }
}

extension JSONDecoder.DateDecodingStrategy {
    /// Reads what ``JSONEncoder/DateEncodingStrategy/utcTimestamp`` and `.iso8601` write; any other
    /// ISO 8601 form goes to Foundation's parser.
    package static var utcTimestamp: Self {
        .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = UTCTimestamp.parse(text) ?? (try? Date(text, strategy: .iso8601)) { return date }
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not an ISO 8601 date: \"\(text)\"")
        }
    }
}
