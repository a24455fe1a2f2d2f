import Foundation

/// The machine rendered as tables, for `docs/architecture.md` (a test keeps the two equal) and for
/// golden tests: every sample is a record the machine itself produced, every cell a transition it made.
extension RotationMachine {
    /// One example of an event, with the label tables show for it.
    public struct EventSample: Sendable {
        /// How tables show it: the case name, and the variant when its values change the outcome.
        public var label: String
        /// The event.
        public var event: RotationEvent
    }

    /// One record at a step, as the machine leaves it, with the label tables show for it.
    public struct RecordSample: Sendable {
        /// How tables show it: the step, and the variant when the record's fields change the outcome.
        public var label: String
        /// The record.
        public var record: RotationRecord
    }

    /// One example of every event case; failures in every kind, marker searches empty and not.
    public static let eventSamples: [EventSample] = {
        let at = Date(timeIntervalSince1970: 1_780_000_000)
        func failures(_ label: String, _ make: (RotationFailure) -> RotationEvent, ambiguous: Bool = false)
            -> [EventSample]
        {
            let kinds: [RotationFailure.Kind] =
                ambiguous ? [.ambiguous, .transient, .permanent] : [.transient, .permanent]
            return kinds.map { EventSample(label: "\(label) (\($0))", event: make(RotationFailure($0, "\($0) error"))) }
        }
        return [EventSample(label: "resume", event: .resume)]
            + [
                EventSample(
                    label: "created", event: .created(id: 9, key: "NEWKEYnewkey123456", secret: "S3cr3t", createdAt: at)
                )
            ]
            + failures("createFailed", RotationEvent.createFailed, ambiguous: true)
            + [
                EventSample(
                    label: "createFailed (refused answer naming 12)",
                    event: .createFailed(RotationFailure(.ambiguous, "refused answer", createdConsumerID: 12)))
            ]
            + [
                EventSample(label: "markerSearched (none)", event: .markerSearched(consumerIDs: [])),
                EventSample(label: "markerSearched (some)", event: .markerSearched(consumerIDs: [12])),
            ]
            + failures("markerSearchFailed", RotationEvent.markerSearchFailed)
            + [EventSample(label: "discarded", event: .discarded)]
            + failures("discardFailed", RotationEvent.discardFailed)
            + [
                EventSample(label: "verified", event: .verified),
                EventSample(label: "verificationRefused", event: .verificationRefused(reason: "refused")),
            ]
            + failures("verificationUnavailable", RotationEvent.verificationUnavailable)
            + [EventSample(label: "published", event: .published(files: ["/etc/x.env"]))]
            + failures("publishFailed", RotationEvent.publishFailed)
            + [
                EventSample(label: "hooksRan (ok)", event: .hooksRan(failures: [])),
                EventSample(label: "hooksRan (failed)", event: .hooksRan(failures: ["exec /bin/false: exited 1"])),
                EventSample(label: "probed (ok)", event: .probed(failures: [])),
                EventSample(label: "probed (failed)", event: .probed(failures: ["exited with status 1"])),
                EventSample(label: "nothingToRun", event: .nothingToRun),
                EventSample(label: "adminTakenIntoUse", event: .adminTakenIntoUse),
                EventSample(label: "accepted", event: .accepted(revokeOldNow: false)),
                EventSample(label: "accepted (revoke old now)", event: .accepted(revokeOldNow: true)),
                EventSample(label: "oldDeleted", event: .oldDeleted),
            ]
            + failures("oldDeleteFailed", RotationEvent.oldDeleteFailed)
            + [
                EventSample(label: "unmanaged", event: .unmanaged), EventSample(label: "forced", event: .forced),
                EventSample(label: "abandon", event: .abandon),
                EventSample(label: "boundDates", event: .boundDates),
                EventSample(label: "narrowOldConsumers", event: .narrowOldConsumers(to: [7])),
            ]
    }()

    /// One record per step (two for `discarding`: replacement known by id, or only by marker; two for
    /// `unconfirmed`: the actions failed before grace, or the probe after it), made
    /// by driving this machine from a planned rotation at `now` with a one-hour grace.
    public func recordSamples(now: Date) -> [RecordSample] {
        let old = ConsumerRecord(
            id: 7, name: "reports-etl", description: "nightly", permissionGroupId: 3, key: "OLDKEYoldkey123456",
            createdAt: now.addingTimeInterval(-100 * 86_400))
        let planned = RotationRecord(
            id: "r1-0000abcd", consumerName: "reports-etl", trigger: "due", now: now, oldConsumers: [old],
            authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false,
            originalDescription: "nightly", grace: .hours(1))
        func after(_ record: RotationRecord, _ events: RotationEvent...) -> RotationRecord {
            events.reduce(record) { advance($0, on: $1, now: now).record }
        }
        let creating = after(planned, .resume)
        let created = after(creating, .created(id: 9, key: "NEWKEYnewkey123456", secret: "S3cr3t", createdAt: now))
        let verified = after(created, .verified)
        let published = after(verified, .published(files: ["/etc/x.env"]))
        let grace = after(published, .hooksRan(failures: []))
        let retiring = after(grace, .forced, .probed(failures: []))
        let unconfirmedHooks = after(published, .hooksRan(failures: ["exec /bin/false: exited 1"]))
        let unconfirmedProbe = after(grace, .forced, .probed(failures: ["exited with status 1"]))
        return [
            RecordSample(label: "planned", record: planned),
            RecordSample(label: "creating", record: creating),
            RecordSample(label: "created", record: created),
            RecordSample(label: "verified", record: verified),
            RecordSample(label: "published", record: published),
            RecordSample(label: "unconfirmed (hooks)", record: unconfirmedHooks),
            RecordSample(label: "unconfirmed (probe)", record: unconfirmedProbe),
            RecordSample(label: "grace", record: grace),
            RecordSample(label: "retiring", record: retiring),
            RecordSample(label: "discarding (by id)", record: after(created, .verificationRefused(reason: "refused"))),
            RecordSample(label: "discarding (by marker)", record: after(creating, .unmanaged)),
            RecordSample(label: "done", record: after(retiring, .oldDeleted)),
            RecordSample(label: "failed", record: after(creating, .createFailed(RotationFailure(.permanent, "400")))),
            RecordSample(label: "abandoned", record: after(planned, .unmanaged)),
        ]
    }

    /// What each durable step says may have happened, for people.
    static let stepMeanings: [RotationStep: String] = [
        .planned: "nothing yet",
        .creating: "a consumer may exist whose secret was never saved",
        .created: "key + secret saved (file 0600, directory 0700)",
        .verified: "some deliver files may be written",
        .published: "files hold the new pair",
        .unconfirmed: "files hold the new pair; an action or the probe failed; the old consumer is kept",
        .grace: "`grace_until` saved",
        .retiring: "the old consumer may be deleted",
        .discarding: "the replacement that will not be used may be deleted",
        .done: "the old consumer is gone",
        .failed: "the rotation ended without replacing the consumer",
        .abandoned: "the rotation was given up before anything was created",
    ]

    /// The state table of `docs/architecture.md`: per step, what may have happened and what
    /// `resume` (a start or a restart) does; then every event that does something else.
    public func markdownTable(now: Date = Date(timeIntervalSince1970: 1_780_000_000)) -> String {
        func cell(_ from: RotationRecord, _ t: Transition) -> String {
            let action = "`\(t.action.kind.rawValue)`"
            return t.record.step == from.step ? action : "→ `\(t.record.step.rawValue)`, \(action)"
        }
        let samples = recordSamples(now: now)
        var lines = [
            "| step (durable) | what may have happened | on `resume` (start, restart, timer) |",
            "| --- | --- | --- |",
        ]
        for sample in samples {
            let resume = advance(sample.record, on: .resume, now: now)
            let meaning = Self.stepMeanings[sample.record.step] ?? ""
            lines.append("| `\(sample.label)` | \(meaning) | \(cell(sample.record, resume)) |")
        }
        lines += [
            "",
            "| step | event | next |",
            "| --- | --- | --- |",
        ]
        for sample in samples where !sample.record.step.isTerminal {
            let resume = advance(sample.record, on: .resume, now: now)
            for event in Self.eventSamples where event.event != .resume {
                let t = advance(sample.record, on: event.event, now: now)
                if t == resume { continue }
                lines.append("| `\(sample.label)` | `\(event.label)` | \(cell(sample.record, t)) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
