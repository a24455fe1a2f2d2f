import Foundation

/// The hours in which rotations may start: some weekdays, a start and end time of day, a time zone.
///
/// A window whose end is earlier than its start crosses midnight (`22:00`–`02:00`); the day it
/// belongs to is the day it starts. Rotations already in flight are never held by the window:
/// it only gates the start of a new rotation.
public struct RotationWindow: Sendable, Hashable {
    /// ISO weekdays, 1 = Monday … 7 = Sunday.
    public var days: Set<Int>
    /// Minutes after midnight at which the window opens.
    public var startMinute: Int
    /// Minutes after midnight at which the window closes.
    public var endMinute: Int
    /// The time zone the times are read in.
    public var timeZone: TimeZone

    /// Creates a window; `days` are ISO weekdays (1 = Monday).
    public init(days: Set<Int>, startMinute: Int, endMinute: Int, timeZone: TimeZone) {
        self.days = days
        self.startMinute = startMinute
        self.endMinute = endMinute
        self.timeZone = timeZone
    }

    /// Parses `mon`…`sun` (also full English names), case-insensitive.
    public static func weekday(named name: String) -> Int? {
        let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        let lowered = name.lowercased()
        guard lowered.count >= 3, let index = names.firstIndex(of: String(lowered.prefix(3))) else { return nil }
        let full = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"][index]
        guard lowered == names[index] || lowered == full else { return nil }
        return index + 1
    }

    /// Parses `HH:MM` (24 h) into minutes after midnight.
    public static func minuteOfDay(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2,
            let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0..<60).contains(m),
            h * 60 + m <= 24 * 60
        else { return nil }
        return h * 60 + m
    }

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    private var length: Int {
        endMinute > startMinute ? endMinute - startMinute : endMinute + 24 * 60 - startMinute
    }

    /// The opening of the window that contains `date`, or `nil` when `date` is outside every window.
    public func opening(containing date: Date) -> Date? {
        // A window that contains `date` opened at most `length` minutes earlier: today's or yesterday's.
        let cal = calendar
        let startOfDay = cal.startOfDay(for: date)
        for dayOffset in [0, -1] {
            guard let day = cal.date(byAdding: .day, value: dayOffset, to: startOfDay),
                let open = opening(onDayStarting: day, calendar: cal)
            else { continue }
            let close = open.addingTimeInterval(TimeInterval(length * 60))
            if open <= date && date < close { return open }
        }
        return nil
    }

    /// Whether a rotation may start at `date`.
    public func contains(_ date: Date) -> Bool { opening(containing: date) != nil }

    /// `date` itself when inside the window, else the next time the window opens (within 8 days).
    public func nextStart(onOrAfter date: Date) -> Date? {
        if contains(date) { return date }
        let cal = calendar
        let startOfDay = cal.startOfDay(for: date)
        for dayOffset in 0...8 {
            guard let day = cal.date(byAdding: .day, value: dayOffset, to: startOfDay),
                let open = opening(onDayStarting: day, calendar: cal)
            else { continue }
            if open >= date { return open }
        }
        return nil
    }

    private func opening(onDayStarting day: Date, calendar cal: Calendar) -> Date? {
        // Calendar weekday: 1 = Sunday … 7 = Saturday; ISO: 1 = Monday … 7 = Sunday.
        let weekday = cal.component(.weekday, from: day)
        let iso = weekday == 1 ? 7 : weekday - 1
        guard days.contains(iso) else { return nil }
        return cal.date(bySettingHour: startMinute / 60, minute: startMinute % 60, second: 0, of: day)
    }
}
