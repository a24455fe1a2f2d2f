import Foundation

/// When `rotord.timer` runs `rotord run --once`, as far as rotord reads its unit: a daily `OnCalendar=*-*-* HH:MM[:SS]`
/// (or `daily`) plus `RandomizedDelaySec=`, in the host's time zone. Used to warn when a consumer's `window:` never
/// contains a run (docs/operations.md, "Pairing the timer with windows"); other calendars are not read.
public struct TimerSchedule: Sendable, Hashable, CustomStringConvertible {
    /// The run's minute of the day, in ``timeZone``.
    public var minuteOfDay: Int
    /// How much later than that a run may start (`RandomizedDelaySec=`).
    public var randomizedDelay: ConfigDuration
    /// The host's time zone (systemd reads `OnCalendar=` in it unless the expression names another).
    public var timeZone: TimeZone

    /// A daily run at `minuteOfDay`, up to `randomizedDelay` later, in `timeZone`.
    public init(minuteOfDay: Int, randomizedDelay: ConfigDuration, timeZone: TimeZone) {
        self.minuteOfDay = minuteOfDay
        self.randomizedDelay = randomizedDelay
        self.timeZone = timeZone
    }

    /// How often the timer runs: every calendar rotord reads is daily.
    public var period: ConfigDuration { .hours(24) }

    /// The schedule of the timer unit `text`, or `nil` when its `OnCalendar=` is not a daily time rotord reads.
    public static func parse(unit text: String, timeZone: TimeZone) -> TimerSchedule? {
        var calendar: String?
        var delay = ConfigDuration.zero
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingSpaces()
            if line.hasPrefix("OnCalendar=") { calendar = String(line.dropFirst("OnCalendar=".count)).trimmingSpaces() }
            if line.hasPrefix("RandomizedDelaySec="),
                let value = ConfigDuration(
                    parsing: String(line.dropFirst("RandomizedDelaySec=".count)).trimmingSpaces())
            {
                delay = value
            }
        }
        guard let calendar else { return nil }
        if calendar == "daily" { return TimerSchedule(minuteOfDay: 0, randomizedDelay: delay, timeZone: timeZone) }
        let parts = calendar.split(separator: " ")
        guard parts.count == 2, parts[0] == "*-*-*" else { return nil }
        let clock = parts[1].split(separator: ":").map { Int($0) }
        guard clock.count >= 2, let hour = clock[0], let minute = clock[1], (0..<24).contains(hour),
            (0..<60).contains(minute)
        else { return nil }
        return TimerSchedule(minuteOfDay: hour * 60 + minute, randomizedDelay: delay, timeZone: timeZone)
    }

    /// Whether some run, on some day of the week after `reference`, starts inside `window`.
    public func meets(_ window: RotationWindow, after reference: Date) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let midnight = calendar.startOfDay(for: reference)
        let spread = max(Int(min(randomizedDelay.seconds, 86_400) / 60), 0)
        for day in 0..<8 {
            guard let start = calendar.date(byAdding: .day, value: day, to: midnight) else { continue }
            for minute in stride(from: 0, through: spread, by: 5) {
                let run = start.addingTimeInterval(TimeInterval((minuteOfDay + minute) * 60))
                if window.contains(run) { return true }
            }
        }
        return false
    }

    public var description: String {
        let time = String(format: "%02d:%02d", minuteOfDay / 60, minuteOfDay % 60)
        return "daily at \(time) (\(timeZone.identifier))"
            + (randomizedDelay.seconds > 0 ? " plus up to \(randomizedDelay)" : "")
    }
}
