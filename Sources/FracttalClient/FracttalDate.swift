import RotordCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Fracttal's dates: UTC, ISO 8601, often with microseconds, sometimes without an offset.
///
/// Accepts `2020-02-25T20:19:54.260926+00:00`, `…Z`, `…+0000`, `-03:00`, no fraction, no offset
/// (read as UTC), and a space instead of `T`. Impossible dates (`2026-02-31`, hour 24, second 60,
/// an offset of 24 hours) are refused rather than rolled over. A hand parser: no locale, no ICU, no allocation
/// beyond the string's bytes.
public enum FracttalDate {
    /// Parses any of the forms above; `nil` for anything else.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ width: Int) -> Int? {
            guard i + width <= b.count else { return nil }
            var n = 0
            for k in i..<(i + width) {
                let c = b[k]
                guard c >= 48 && c <= 57 else { return nil }
                n = n * 10 + Int(c - 48)
            }
            i += width
            return n
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2) else {
            return nil
        }
        guard i < b.count, b[i] == 84 || b[i] == 116 || b[i] == 32 else {
            // A date alone: midnight UTC.
            return i == b.count ? make(year, month, day, 0, 0, 0, 0, 0) : nil
        }
        i += 1
        guard let hour = number(2), expect(58), let minute = number(2) else { return nil }
        var second = 0
        if expect(58) {
            guard let s = number(2) else { return nil }
            second = s
        }
        var fraction = 0.0
        if i < b.count, b[i] == 46 || b[i] == 44 {
            i += 1
            var scale = 0.1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                fraction += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
                digits += 1
            }
            guard digits > 0 else { return nil }
        }
        var offset = 0
        if i < b.count {
            let c = b[i]
            if c == 90 || c == 122 {  // Z
                i += 1
            } else if c == 43 || c == 45 {  // + -
                i += 1
                guard let oh = number(2), oh <= 23 else { return nil }
                _ = expect(58)
                let om = number(2) ?? 0
                guard om <= 59 else { return nil }
                offset = (oh * 3600 + om * 60) * (c == 45 ? -1 : 1)
            } else {
                return nil
            }
        }
        guard i == b.count else { return nil }
        return make(year, month, day, hour, minute, second, fraction, offset)
    }

    private static func make(
        _ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, _ fraction: Double, _ offset: Int
    ) -> Date? {
        // Impossible dates are refused, never normalized (`2026-02-31` is not March 3rd).
        guard (1...12).contains(mo), (1...daysIn(month: mo, year: y)).contains(d), (0...23).contains(h),
            (0...59).contains(mi), (0...59).contains(s)
        else { return nil }
        let days = UTCTimestamp.days(year: y, month: mo, day: d)
        let seconds = Double(days * 86_400 + h * 3_600 + mi * 60 + s - offset) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    /// The number of days of `month` (1–12) in `year` of the proleptic Gregorian calendar.
    static func daysIn(month: Int, year: Int) -> Int { UTCTimestamp.daysIn(month: month, year: year) }

    /// Formats like the API: `2026-03-04T13:15:00.123456+00:00`. A date more than 10^15 s (about
    /// 30 million years) from 1970 is formatted as that bound rather than trapped on.
    public static func format(_ date: Date) -> String {
        let total = UTCTimestamp.secondsSince1970(date)
        var seconds = Int(total.rounded(.down))
        var micros = Int(((total - Double(seconds)) * 1_000_000).rounded())
        if micros >= 1_000_000 {
            seconds += 1
            micros -= 1_000_000
        }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (y, m, d) = UTCTimestamp.civil(fromDays: days)
        let pad = UTCTimestamp.pad
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay % 3600 / 60, 2))"
            + ":\(pad(secondOfDay % 60, 2)).\(pad(micros, 6))+00:00"
    }
}
