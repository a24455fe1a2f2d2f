import Foundation
import RotordCore

/// `rotord report`: per consumer, whether it stayed within policy over a period, and every
/// rotation of the period as the audit log recorded it. Holds no secret: keys are masked.
package struct ComplianceReport: Sendable, Encodable, Hashable {
    /// The consumer's name.
    package var consumer: String
    /// Its `max_age`, for people (`90d`).
    package var maxAge: String
    /// Whether every credential of the consumer was younger than `max_age` throughout the period
    /// (as far as ``checkedFrom`` and the audit log tell); `nil` when nothing is known.
    package var withinPolicy: Bool?
    /// How long, within the period, a credential of the consumer was older than `max_age`.
    package var outOfPolicySeconds: Int64
    /// The same, for people (`3d 4h`); `0s` when within policy.
    package var outOfPolicy: String
    /// From when the compliance is known: the creation of the oldest credential the audit log (or
    /// Fracttal) dates, or the start of the period; `nil` when nothing is known.
    package var checkedFrom: Date?
    /// The rotations started in the period, oldest first.
    package var rotations: [Rotation]
    /// `true` for rotord's own admin consumer (`fracttal.admin.rotate`); absent (`nil`) for the others.
    package var admin: Bool? = nil

    /// One rotation, from its audit lines.
    package struct Rotation: Sendable, Encodable, Hashable {
        /// Its id.
        package var id: String
        /// `due` or `manual`.
        package var trigger: String
        /// When it started (`planned`).
        package var startedAt: Date
        /// When the new consumer was created.
        package var createdAt: Date?
        /// When the new credential passed verification.
        package var verifiedAt: Date?
        /// When it was published (written to every deliver file).
        package var publishedAt: Date?
        /// When the old consumer was deleted (the rotation reached `done`).
        package var oldDeletedAt: Date?
        /// When it finished (`done`, `failed` or `abandoned`).
        package var finishedAt: Date?
        /// `done`, `failed`, `abandoned`, or `in_flight` with its step.
        package var result: String
        /// The replaced key, masked.
        package var oldKey: String?
        /// The new key, masked.
        package var newKey: String?
        /// `passed`, `failed` or `not_reached`.
        package var verification: String
        /// `ok`, `failed` (see ``hookFailures``) or `not_run`.
        package var hooks: String
        /// The hooks that failed.
        package var hookFailures: [String]
        /// Why it failed.
        package var failure: String?

        enum CodingKeys: String, CodingKey {
            case id, trigger, result, verification, hooks, failure
            case startedAt = "started_at", createdAt = "created_at", verifiedAt = "verified_at"
            case publishedAt = "published_at", oldDeletedAt = "old_deleted_at", finishedAt = "finished_at"
            case oldKey = "old_key", newKey = "new_key", hookFailures = "hook_failures"
        }
    }

    enum CodingKeys: String, CodingKey {
        case consumer, rotations, admin
        case maxAge = "max_age", withinPolicy = "within_policy", outOfPolicySeconds = "out_of_policy_seconds"
        case outOfPolicy = "out_of_policy", checkedFrom = "checked_from"
    }

    /// Folds the audit lines of one rotation.
    static func rotation(_ lines: [AuditLog.Entry]) -> Rotation {
        let first = lines[0]
        func at(_ step: RotationStep) -> Date? { lines.first { $0.step == step.rawValue }?.at }
        let last = lines[lines.count - 1]
        let terminal = RotationStep(rawValue: last.step)?.isTerminal ?? false
        let failures = lines.compactMap(\.hookFailures).last ?? []
        let verified = at(.verified)
        let reachedVerification = lines.contains { $0.step == RotationStep.created.rawValue }
        return Rotation(
            id: first.rotation, trigger: first.trigger, startedAt: first.at, createdAt: at(.created),
            verifiedAt: verified, publishedAt: at(.published), oldDeletedAt: at(.done),
            finishedAt: terminal ? last.at : nil, result: terminal ? last.step : "in_flight (\(last.step))",
            oldKey: lines.compactMap(\.oldKey).last, newKey: lines.compactMap(\.newKey).last,
            verification: verified != nil ? "passed" : (reachedVerification && terminal ? "failed" : "not_reached"),
            hooks: at(.published) == nil ? "not_run" : (failures.isEmpty ? "ok" : "failed"), hookFailures: failures,
            failure: lines.compactMap(\.failure).last)
    }

    /// Builds the report of every consumer of `configuration` over `since ..< now`.
    ///
    /// - Parameters:
    ///   - audit: every line of the audit log.
    ///   - currentCreatedAt: per consumer, when its current credential was created, if Fracttal told.
    package static func build(
        configuration: RotordConfiguration, audit: [AuditLog.Entry], currentCreatedAt: [String: Date], since: Date,
        now: Date
    ) -> [ComplianceReport] {
        var byRotation: [String: [AuditLog.Entry]] = [:]
        var order: [String] = []
        for line in audit {
            if byRotation[line.rotation] == nil { order.append(line.rotation) }
            byRotation[line.rotation, default: []].append(line)
        }
        let all = order.map { rotation(byRotation[$0]!) }
        let consumerOf = Dictionary(audit.map { ($0.rotation, $0.consumer) }, uniquingKeysWith: { a, _ in a })
        return configuration.consumers.map { managed in
            let mine = all.filter { consumerOf[$0.id] == managed.name }
            let maxAge = managed.policy.maxAge.timeInterval
            // Credential lifetimes: each completed rotation's credential lives from its creation to the
            // next completed rotation's deletion of it (or now).
            let done = mine.filter { $0.result == RotationStep.done.rawValue && $0.createdAt != nil }
            var spans: [(from: Date, to: Date)] = []
            for (i, r) in done.enumerated() {
                spans.append((r.createdAt!, i + 1 < done.count ? (done[i + 1].oldDeletedAt ?? now) : now))
            }
            if let current = currentCreatedAt[managed.name],
                !spans.contains(where: { abs($0.from.timeIntervalSince(current)) < 1 })
            {
                spans.append((current, now))
            }
            var out: TimeInterval = 0
            for span in spans {
                let start = max(span.from.addingTimeInterval(maxAge), since)
                let end = min(span.to, now)
                if end > start { out += end.timeIntervalSince(start) }
            }
            let checkedFrom = spans.map(\.from).min().map { max($0, since) }
            let seconds = Int64(saturating: out.rounded())
            return ComplianceReport(
                consumer: managed.name, maxAge: managed.policy.maxAge.description,
                withinPolicy: checkedFrom == nil ? nil : seconds == 0, outOfPolicySeconds: seconds,
                outOfPolicy: ConfigDuration.seconds(seconds).humanReadable, checkedFrom: checkedFrom,
                rotations: mine.filter { $0.startedAt >= since && $0.startedAt <= now },
                admin: managed.isAdmin ? true : nil)
        }
    }
}
