import Foundation

extension RotationRecord {
    /// The longest retry wait the machine's default backoff produces (30 s doubling, capped at 1 h).
    public static let maxRetryDelay: TimeInterval = 3_600

    /// The record with its dates bounded by what the policy that wrote them allows, and a note per
    /// date it changed (empty when none).
    ///
    /// A clock that was wrong when a date was written (set to 2099, then corrected) must not hold an
    /// old consumer, or a retry, for decades: `graceUntil` is at most the moment grace was entered
    /// (or now, if that is in the future) plus ``graceSeconds``, and `retryAt` at most the last
    /// update (or now) plus ``maxRetryDelay``. Pure: the caller persists and logs the change.
    public func clamped(now: Date, maxRetryDelay: TimeInterval = RotationRecord.maxRetryDelay) -> (
        record: RotationRecord, notes: [String]
    ) {
        var record = self
        var notes: [String] = []
        if let graceUntil {
            let entered = history.last { $0.step == .grace }?.at ?? updatedAt
            let bound = min(entered, now).addingTimeInterval(TimeInterval(max(graceSeconds, 0)))
            if graceUntil > bound {
                record.graceUntil = bound
                notes.append(
                    "graceUntil \(Self.iso(graceUntil)) is beyond grace (\(graceSeconds) s from "
                        + "\(Self.iso(min(entered, now)))); clamped to \(Self.iso(bound))")
            }
        }
        if let retryAt {
            let bound = min(updatedAt, now).addingTimeInterval(maxRetryDelay)
            if retryAt > bound {
                record.retryAt = bound
                notes.append(
                    "retryAt \(Self.iso(retryAt)) is beyond the longest retry wait; clamped to \(Self.iso(bound))")
            }
        }
        return (record, notes)
    }

    static func iso(_ date: Date) -> String { UTCTimestamp.format(date) }
}

extension ConsumerHistory {
    /// The history with `lastFailureAt` no later than `now` (a date from a wrong clock would
    /// otherwise stretch the back-off after failures), and a note when it changed.
    public func clamped(now: Date) -> (history: ConsumerHistory, note: String?) {
        guard let at = lastFailureAt, at > now else { return (self, nil) }
        var history = self
        history.lastFailureAt = now
        return (history, "lastFailureAt \(RotationRecord.iso(at)) is in the future; clamped to now")
    }
}
