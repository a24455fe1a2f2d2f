import Foundation
import RotordCore

/// What `plan` and `status` show of one managed consumer. Holds no secret: keys are masked.
package struct ConsumerReport: Sendable, Encodable, Hashable {
    /// The consumer's name.
    package var name: String
    /// The configured permission group (for an adopted consumer, the rule's or the consumer's).
    package var permissionGroup: String
    /// The `adopt:` rule that brought the consumer under policy (`adopt[0]`); `nil` for a configured consumer.
    package var adoptedBy: String?
    /// The Super Administrator consumer rotord acts as, rotated by `fracttal.admin.rotate` (JSON `"admin": true`).
    package var isAdmin = false
    /// `ok`, `due`, `waiting_for_window`, `backing_off`, `in_flight`, `unconfirmed` (in flight, an action or the
    /// probe failed, old consumer kept), `unmanaged_in_flight` (in flight, but the consumer left the configuration:
    /// held with both consumers kept until an operator decides), `missing`, `group_mismatch`, `ambiguous`,
    /// `pinned_missing`, `refused` (an `adopt:` rule matched it but cannot manage it), `unwritable` (due, but its deliver
    /// files cannot be written: not rotated until fixed).
    package var status: String
    /// A sentence for people.
    package var detail: String
    /// The current consumer's id.
    package var consumerID: Int?
    /// The current key, masked.
    package var key: String?
    /// When the current consumer was created.
    package var createdAt: Date?
    /// Its age in seconds.
    package var ageSeconds: Int64?
    /// Its age for people (`120d`).
    package var age: String?
    /// Whether a rotation starts now (due and inside its window).
    package var due: Bool
    /// When its rotation is due.
    package var dueAt: Date?
    /// The same as ``dueAt`` (`next_due` in JSON, as docs/cli.md names it).
    package var nextDue: Date? { dueAt }
    /// When it leaves policy.
    package var expiresAt: Date?
    /// When rotord will act next.
    package var nextAt: Date?
    /// How many live consumers carry the name (2 during a grace period).
    package var liveConsumers: Int
    /// The last completed rotation.
    package var lastRotation: LastRotation?
    /// The rotation in flight.
    package var inFlight: InFlight?
    /// What a rotation would do (plan only).
    package var wouldDo: Actions?
    /// Why rotord looks at this consumer again at ``nextAt`` (`Timing.Reason`: `due`, `window`, `retry`, `grace`,
    /// `backoff`, `follow_up`); `nil` when only news can change it. The daemon's `STATUS=` names the earliest.
    package var nextReason: String?
    /// The last error of the consumer: of the rotation in flight, else of the last failed rotation
    /// since the last completed one; `nil` when none.
    package var lastError: String?
    /// Why the plan departs from the plain due date (outside the window for the deadline, held by
    /// `min_interval` or `schedule:`).
    package var reason: String?

    /// A finished rotation.
    package struct LastRotation: Sendable, Codable, Hashable {
        /// Its id.
        package var id: String
        /// When it finished.
        package var finishedAt: Date

        enum CodingKeys: String, CodingKey {
            case id
            case finishedAt = "finished_at"
        }
    }

    /// A rotation under way.
    package struct InFlight: Sendable, Codable, Hashable {
        /// Its id.
        package var id: String
        /// Its step.
        package var step: String
        /// When it started.
        package var startedAt: Date
        /// The new key, masked, once created.
        package var newKey: String?
        /// The end of the grace period.
        package var graceUntil: Date?
        /// When a transient error will be retried.
        package var retryAt: Date?
        /// The last error.
        package var lastError: String?

        enum CodingKeys: String, CodingKey {
            case id, step
            case startedAt = "started_at", newKey = "new_key", graceUntil = "grace_until", retryAt = "retry_at"
            case lastError = "last_error"
        }
    }

    /// The side effects of a rotation.
    package struct Actions: Sendable, Codable, Hashable {
        /// The consumer to create.
        package var create: String
        /// The files to write.
        package var write: [String]
        /// The hooks to run.
        package var run: [String]
        /// What is deleted, and when.
        package var delete: String
    }

    enum CodingKeys: String, CodingKey {
        case name, status, detail, key, wouldDo = "would_do"
        case permissionGroup = "permission_group", consumerID = "consumer_id", createdAt = "created_at"
        case ageSeconds = "age_seconds", dueAt = "due_at", expiresAt = "expires_at", nextAt = "next_at", age, due
        case nextDue = "next_due"
        case liveConsumers = "live_consumers", lastRotation = "last_rotation", inFlight = "in_flight"
        case lastError = "last_error", reason
        case adoptedBy = "adopted_by", isAdmin = "admin"
        case nextAction = "next_action"
    }

    /// `next_action` in JSON: when and why.
    struct NextAction: Encodable {
        var at: Date
        var reason: String
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(permissionGroup, forKey: .permissionGroup)
        try c.encodeIfPresent(adoptedBy, forKey: .adoptedBy)
        if isAdmin { try c.encode(true, forKey: .isAdmin) }
        try c.encode(status, forKey: .status)
        try c.encode(detail, forKey: .detail)
        try c.encode(due, forKey: .due)
        try c.encodeIfPresent(consumerID, forKey: .consumerID)
        try c.encodeIfPresent(key, forKey: .key)
        try c.encodeIfPresent(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(age, forKey: .age)
        try c.encodeIfPresent(ageSeconds, forKey: .ageSeconds)
        try c.encodeIfPresent(dueAt, forKey: .dueAt)
        try c.encodeIfPresent(nextDue, forKey: .nextDue)
        try c.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try c.encodeIfPresent(nextAt, forKey: .nextAt)
        if let nextAt, let nextReason {
            try c.encode(NextAction(at: nextAt, reason: nextReason), forKey: .nextAction)
        }
        try c.encode(liveConsumers, forKey: .liveConsumers)
        try c.encodeIfPresent(lastRotation, forKey: .lastRotation)
        try c.encodeIfPresent(inFlight, forKey: .inFlight)
        try c.encodeIfPresent(wouldDo, forKey: .wouldDo)
        try c.encodeIfPresent(lastError, forKey: .lastError)
        try c.encodeIfPresent(reason, forKey: .reason)
    }

    /// The report of a rotation whose consumer is no longer configured (`unmanaged_in_flight`).
    package init(unmanaged record: RotationRecord, history: ConsumerHistory?, now: Date) {
        let entry = PlanEntry(
            managed: ManagedConsumer(name: record.consumerName, permissionGroup: String(record.permissionGroupID)),
            current: nil, liveConsumers: [], status: .inFlight(record))
        self.init(entry: entry, history: history, now: now, includeActions: false)
        status = "unmanaged_in_flight"
        detail =
            "NOT CONFIGURED, both consumers kept: rotation \(record.id) at step \(record.step.rawValue); configure "
            + "\(record.consumerName) again to finish it, or run rotord rotate \(record.consumerName) "
            + "--accept-unconfirmed (retire the old consumer) or rotord abandon \(record.consumerName) (keep both)"
        nextAt = nil
        nextReason = nil
    }

    /// Builds the report of `entry`.
    package init(entry: PlanEntry, history: ConsumerHistory?, now: Date, includeActions: Bool) {
        name = entry.managed.name
        permissionGroup = entry.managed.permissionGroup
        adoptedBy = entry.managed.adoptedBy
        isAdmin = entry.managed.isAdmin
        consumerID = entry.current?.id
        key = entry.current.map { KeyMask.mask($0.key) }
        createdAt = entry.current?.createdAt
        ageSeconds = entry.current.map { Int64(saturating: now.timeIntervalSince($0.createdAt)) }
        age = ageSeconds.map { ConfigDuration(seconds: max($0, 0)).humanReadable }
        due = entry.startsNow
        dueAt = entry.dueDate
        expiresAt = entry.expiryDate
        nextAt = entry.nextDeadline
        nextReason = entry.nextDeadline.map { _ in Timing.reason(of: entry).rawValue }
        liveConsumers = entry.liveConsumers.count
        if let id = history?.lastCompletedID, let at = history?.lastCompletedAt {
            lastRotation = LastRotation(id: id, finishedAt: at)
        }
        switch entry.status {
        case .ok:
            status = "ok"
            detail = "within policy; due \(Self.human(entry.dueDate, now: now))"
        case .due:
            status = "due"
            detail = "due \(Self.human(entry.dueDate, now: now)); rotates now"
        case .waitingForWindow(let opens):
            status = "waiting_for_window"
            detail = "due; the rotation window opens \(Self.human(opens, now: now))"
        case .backingOff(let until):
            status = "backing_off"
            detail =
                "\(history?.consecutiveFailures ?? 0) failed rotation(s), last: \(history?.lastFailure ?? "?"); next try \(Self.human(until, now: now))"
        case .inFlight(let r):
            status = r.step == .unconfirmed ? "unconfirmed" : "in_flight"
            detail =
                (r.step == .unconfirmed ? "NOT CONFIRMED, old consumer kept: " : "")
                + "rotation \(r.id) at step \(r.step.rawValue)"
                + (r.step == .grace ? "; old consumer deleted \(Self.human(r.graceUntil, now: now))" : "")
                + (r.retryAt.map { "; retry \(Self.human($0, now: now))" } ?? "")
                + (r.failure.map { "; last error: \($0)" } ?? "")
            inFlight = InFlight(
                id: r.id, step: r.step.rawValue, startedAt: r.startedAt, newKey: r.newKey.map(KeyMask.mask),
                graceUntil: r.graceUntil, retryAt: r.retryAt, lastError: r.failure)
        case .missing:
            status = "missing"
            detail = entry.problemDescription
        case .groupMismatch:
            status = "group_mismatch"
            detail = entry.problemDescription
        case .ambiguous:
            status = "ambiguous"
            detail = entry.problemDescription
        case .pinnedMissing:
            status = "pinned_missing"
            detail = entry.problemDescription
        case .unwritable:
            status = "unwritable"
            detail = entry.problemDescription
        case .refused:
            status = "refused"
            detail = entry.problemDescription
        }
        if let rule = adoptedBy { detail += "; adopted by \(rule)" }
        if isAdmin { detail += "; rotord's own admin consumer (fracttal.admin.rotate)" }
        lastError = inFlight?.lastError ?? history?.lastFailure
        reason = entry.reason
        if let reason { detail += "; \(reason)" }
        if entry.deferred { detail = detail.replacingAll("; rotates now", with: "") }
        if includeActions, let current = entry.current {
            let m = entry.managed
            wouldDo = Actions(
                create:
                    "consumer \"\(m.name)\" in permission group \(current.permissionGroupId) (\(m.permissionGroup)), "
                    + "\(current.authorizationType), Fracttal Hub \(current.fracttalHub ? "on" : "off")",
                write: m.deliver.flatMap { t in
                    t.filePaths.map { path in
                        "\(path) (\(t.formatName), mode \(String(format: "%04o", Int(t.mode)))"
                            + (t.owner.map { ", owner \($0)" } ?? "") + (t.group.map { ", group \($0)" } ?? "") + ")"
                    }
                },
                run: m.afterPublish.map(\.description),
                delete: "consumer \(current.id) "
                    + (m.policy.grace.seconds == 0 ? "right after publishing" : "\(m.policy.grace) after publishing"))
        }
    }

    /// "in 3d 4h", "2h ago", or a date.
    static func human(_ date: Date?, now: Date) -> String {
        guard let date else { return "unknown" }
        let delta = Int64(saturating: date.timeIntervalSince(now))
        if delta == 0 { return "now" }
        let span = ConfigDuration(seconds: Int64(clamping: delta.magnitude)).humanReadable
        return delta > 0 ? "in \(span) (\(timestamp(date)))" : "\(span) ago (\(timestamp(date)))"
    }

    /// `2026-11-29 03:39Z`.
    package static func timestamp(_ date: Date) -> String {
        let text = UTCTimestamp.format(date)
        return text.replacingAll("T", with: " ")
    }
}

extension String {
    func rightPadded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

/// Renders reports as a table or JSON.
package enum ReportRenderer {
    /// JSON with ISO 8601 dates and sorted keys. With `fleet` (`rotord status --json` with `cluster:`), `value` is
    /// wrapped as `{"consumers": value, "fleet": …}`.
    package static func json<T: Encodable>(_ value: T, fleet: FleetStatus.Section? = nil) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .utcTimestamp
        let encoded =
            if let fleet {
                try? encoder.encode(FleetStatus.StatusDocument(consumers: value, fleet: fleet))
            } else {
                try? encoder.encode(value)
            }
        guard let data = encoded else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Aligned columns, two spaces apart: the header line, then one line per row.
    package static func columns(header: [String], rows: [[String]]) -> [String] {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return ([header] + rows).map { cells in
            cells.enumerated().map { $0.element.rightPadded(widths[$0.offset]) }.joined(separator: "  ")
                .trimmingSpaces()
        }
    }

    /// A text table with one row per consumer, then the detail lines.
    package static func table(_ reports: [ConsumerReport], actions: Bool) -> String {
        let header = ["CONSUMER", "KEY", "AGE", "DUE", "STATUS"]
        let rows = reports.map { r in
            [
                r.isAdmin ? "\(r.name) (admin)" : r.name, r.key ?? "-", r.age ?? "-",
                r.dueAt.map(ConsumerReport.timestamp) ?? "-", r.status,
            ]
        }
        var out = columns(header: header, rows: rows)
        out.append("")
        for r in reports {
            out.append("\(r.name): \(r.detail)")
            if let last = r.lastRotation {
                out.append("  last rotation: \(last.id), finished \(ConsumerReport.timestamp(last.finishedAt))")
            }
            if let error = r.lastError { out.append("  last error: \(error)") }
            if actions, let a = r.wouldDo, r.status == "due" || r.status == "waiting_for_window" || r.status == "ok" {
                out.append("  a rotation would create: \(a.create)")
                for w in a.write { out.append("  write: \(w)") }
                if a.write.isEmpty { out.append("  write: (no deliver files configured)") }
                for h in a.run { out.append("  run: \(h)") }
                out.append("  delete: \(a.delete)")
            }
        }
        // The same answer as the daemon's STATUS= (Timing.nextWake): the earliest next action, and why.
        let next = reports.compactMap { r in r.nextAt.map { (at: $0, reason: r.nextReason ?? "due", name: r.name) } }
            .min { ($0.at, $0.reason) < ($1.at, $1.reason) }
        if let next {
            out.append("next: \(next.reason) of \(next.name) at \(ConsumerReport.timestamp(next.at))")
        }
        return out.joined(separator: "\n")
    }
}
