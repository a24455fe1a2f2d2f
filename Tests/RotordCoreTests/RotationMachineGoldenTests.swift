import Foundation
import RotordCore
import Testing

/// The whole machine as a golden table: for every step and one example of every event case (and
/// the failure kinds or values that change the outcome), the next step and the kind of action.
/// A change of behaviour anywhere shows up here as a changed row.
@Suite struct RotationMachineGoldenTests {
    static let t0 = Date(timeIntervalSince1970: 1_780_000_000)
    static let machine = RotationMachine()

    /// A record at `step` with the fields the machine would have set on the way (grace ends in an hour).
    static func record(at step: RotationStep) -> RotationRecord {
        let old = ConsumerRecord(
            id: 7, name: "reports-etl", description: "nightly", permissionGroupId: 3, key: "OLDKEYoldkey123456",
            createdAt: Date(timeIntervalSince1970: 1_770_000_000))
        var r = RotationRecord(
            id: "r1-0000abcd", consumerName: "reports-etl", trigger: "due", now: t0, oldConsumers: [old],
            authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false,
            originalDescription: "nightly", grace: .hours(1))
        r.step = step
        if step != .planned { r.createAttempts = 1 }
        if ![.planned, .creating, .abandoned].contains(step) {
            r.newConsumerID = 9
            r.newKey = "NEWKEYnewkey123456"
            r.newCreatedAt = t0
        }
        if [.created, .verified, .published, .discarding].contains(step) { r.newSecret = "S3cr3t" }
        if [.published, .grace, .retiring, .done].contains(step) { r.publishedFiles = ["/etc/x.env"] }
        if [.grace, .retiring, .done].contains(step) { r.graceUntil = t0.addingTimeInterval(3_600) }
        if step == .discarding { r.failure = "verification failed: refused" }
        return r
    }

    static func failure(_ kind: RotationFailure.Kind) -> RotationFailure { RotationFailure(kind, "\(kind) error") }

    /// One example of every event case, then the variants whose values change the outcome.
    static let events: [(label: String, event: RotationEvent)] = [
        ("resume", .resume),
        ("created", .created(id: 9, key: "NEWKEYnewkey123456", secret: "S3cr3t", createdAt: t0)),
        ("createFailed(transient)", .createFailed(failure(.transient))),
        ("markerSearched([])", .markerSearched(consumerIDs: [])),
        ("markerSearchFailed(transient)", .markerSearchFailed(failure(.transient))),
        ("discarded", .discarded),
        ("discardFailed(transient)", .discardFailed(failure(.transient))),
        ("verified", .verified),
        ("verificationRefused", .verificationRefused(reason: "refused")),
        ("verificationUnavailable(transient)", .verificationUnavailable(failure(.transient))),
        ("published", .published(files: ["/etc/x.env"])),
        ("publishFailed(transient)", .publishFailed(failure(.transient))),
        ("hooksRan", .hooksRan(failures: [])),
        ("oldDeleted", .oldDeleted),
        ("oldDeleteFailed(transient)", .oldDeleteFailed(failure(.transient))),
        ("unmanaged", .unmanaged),
        ("forced", .forced),
        ("createFailed(ambiguous)", .createFailed(failure(.ambiguous))),
        ("createFailed(permanent)", .createFailed(failure(.permanent))),
        ("markerSearched([12])", .markerSearched(consumerIDs: [12])),
        ("markerSearchFailed(permanent)", .markerSearchFailed(failure(.permanent))),
        ("discardFailed(permanent)", .discardFailed(failure(.permanent))),
        ("publishFailed(permanent)", .publishFailed(failure(.permanent))),
    ]

    /// `event → next step: action kind`, per step, in the order of ``events``.
    static let golden: [RotationStep: [String]] = [
        .planned: [
            "resume → creating: create",
            "created → creating: create",
            "createFailed(transient) → creating: create",
            "markerSearched([]) → creating: create",
            "markerSearchFailed(transient) → creating: create",
            "discarded → creating: create",
            "discardFailed(transient) → creating: create",
            "verified → creating: create",
            "verificationRefused → creating: create",
            "verificationUnavailable(transient) → creating: create",
            "published → creating: create",
            "publishFailed(transient) → creating: create",
            "hooksRan → creating: create",
            "oldDeleted → creating: create",
            "oldDeleteFailed(transient) → creating: create",
            "unmanaged → abandoned: finished",
            "forced → creating: create",
            "createFailed(ambiguous) → creating: create",
            "createFailed(permanent) → creating: create",
            "markerSearched([12]) → creating: create",
            "markerSearchFailed(permanent) → creating: create",
            "discardFailed(permanent) → creating: create",
            "publishFailed(permanent) → creating: create",
        ],
        .creating: [
            "resume → creating: findMarked",
            "created → created: verify",
            "createFailed(transient) → creating: retryAt",
            "markerSearched([]) → creating: create",
            "markerSearchFailed(transient) → creating: retryAt",
            "discarded → creating: create",
            "discardFailed(transient) → creating: retryAt",
            "verified → creating: findMarked",
            "verificationRefused → creating: findMarked",
            "verificationUnavailable(transient) → creating: findMarked",
            "published → creating: findMarked",
            "publishFailed(transient) → creating: findMarked",
            "hooksRan → creating: findMarked",
            "oldDeleted → creating: findMarked",
            "oldDeleteFailed(transient) → creating: findMarked",
            "unmanaged → discarding: findMarked",
            "forced → creating: findMarked",
            "createFailed(ambiguous) → creating: findMarked",
            "createFailed(permanent) → failed: finished",
            "markerSearched([12]) → creating: discard",
            "markerSearchFailed(permanent) → failed: finished",
            "discardFailed(permanent) → failed: finished",
            "publishFailed(permanent) → creating: findMarked",
        ],
        .created: [
            "resume → created: verify",
            "created → created: verify",
            "createFailed(transient) → created: verify",
            "markerSearched([]) → created: verify",
            "markerSearchFailed(transient) → created: verify",
            "discarded → created: verify",
            "discardFailed(transient) → created: verify",
            "verified → verified: publish",
            "verificationRefused → discarding: discard",
            "verificationUnavailable(transient) → created: retryAt",
            "published → created: verify",
            "publishFailed(transient) → created: verify",
            "hooksRan → created: verify",
            "oldDeleted → created: verify",
            "oldDeleteFailed(transient) → created: verify",
            "unmanaged → discarding: discard",
            "forced → created: verify",
            "createFailed(ambiguous) → created: verify",
            "createFailed(permanent) → created: verify",
            "markerSearched([12]) → created: verify",
            "markerSearchFailed(permanent) → created: verify",
            "discardFailed(permanent) → created: verify",
            "publishFailed(permanent) → created: verify",
        ],
        .verified: [
            "resume → verified: publish",
            "created → verified: publish",
            "createFailed(transient) → verified: publish",
            "markerSearched([]) → verified: publish",
            "markerSearchFailed(transient) → verified: publish",
            "discarded → verified: publish",
            "discardFailed(transient) → verified: publish",
            "verified → verified: publish",
            "verificationRefused → verified: publish",
            "verificationUnavailable(transient) → verified: publish",
            "published → published: runHooks",
            "publishFailed(transient) → verified: retryAt",
            "hooksRan → verified: publish",
            "oldDeleted → verified: publish",
            "oldDeleteFailed(transient) → verified: publish",
            "unmanaged → discarding: discard",
            "forced → verified: publish",
            "createFailed(ambiguous) → verified: publish",
            "createFailed(permanent) → verified: publish",
            "markerSearched([12]) → verified: publish",
            "markerSearchFailed(permanent) → verified: publish",
            "discardFailed(permanent) → verified: publish",
            "publishFailed(permanent) → verified: retryAt",
        ],
        .published: [
            "resume → published: runHooks",
            "created → published: runHooks",
            "createFailed(transient) → published: runHooks",
            "markerSearched([]) → published: runHooks",
            "markerSearchFailed(transient) → published: runHooks",
            "discarded → published: runHooks",
            "discardFailed(transient) → published: runHooks",
            "verified → published: runHooks",
            "verificationRefused → published: runHooks",
            "verificationUnavailable(transient) → published: runHooks",
            "published → published: runHooks",
            "publishFailed(transient) → published: runHooks",
            "hooksRan → grace: waitUntil",
            "oldDeleted → published: runHooks",
            "oldDeleteFailed(transient) → published: runHooks",
            "unmanaged → published: runHooks",
            "forced → published: runHooks",
            "createFailed(ambiguous) → published: runHooks",
            "createFailed(permanent) → published: runHooks",
            "markerSearched([12]) → published: runHooks",
            "markerSearchFailed(permanent) → published: runHooks",
            "discardFailed(permanent) → published: runHooks",
            "publishFailed(permanent) → published: runHooks",
        ],
        .grace: [
            "resume → grace: waitUntil",
            "created → grace: waitUntil",
            "createFailed(transient) → grace: waitUntil",
            "markerSearched([]) → grace: waitUntil",
            "markerSearchFailed(transient) → grace: waitUntil",
            "discarded → grace: waitUntil",
            "discardFailed(transient) → grace: waitUntil",
            "verified → grace: waitUntil",
            "verificationRefused → grace: waitUntil",
            "verificationUnavailable(transient) → grace: waitUntil",
            "published → grace: waitUntil",
            "publishFailed(transient) → grace: waitUntil",
            "hooksRan → grace: waitUntil",
            "oldDeleted → grace: waitUntil",
            "oldDeleteFailed(transient) → grace: waitUntil",
            "unmanaged → grace: waitUntil",
            "forced → retiring: deleteOld",
            "createFailed(ambiguous) → grace: waitUntil",
            "createFailed(permanent) → grace: waitUntil",
            "markerSearched([12]) → grace: waitUntil",
            "markerSearchFailed(permanent) → grace: waitUntil",
            "discardFailed(permanent) → grace: waitUntil",
            "publishFailed(permanent) → grace: waitUntil",
        ],
        .retiring: [
            "resume → retiring: deleteOld",
            "created → retiring: deleteOld",
            "createFailed(transient) → retiring: deleteOld",
            "markerSearched([]) → retiring: deleteOld",
            "markerSearchFailed(transient) → retiring: deleteOld",
            "discarded → retiring: deleteOld",
            "discardFailed(transient) → retiring: deleteOld",
            "verified → retiring: deleteOld",
            "verificationRefused → retiring: deleteOld",
            "verificationUnavailable(transient) → retiring: deleteOld",
            "published → retiring: deleteOld",
            "publishFailed(transient) → retiring: deleteOld",
            "hooksRan → retiring: deleteOld",
            "oldDeleted → done: finished",
            "oldDeleteFailed(transient) → retiring: retryAt",
            "unmanaged → retiring: deleteOld",
            "forced → retiring: deleteOld",
            "createFailed(ambiguous) → retiring: deleteOld",
            "createFailed(permanent) → retiring: deleteOld",
            "markerSearched([12]) → retiring: deleteOld",
            "markerSearchFailed(permanent) → retiring: deleteOld",
            "discardFailed(permanent) → retiring: deleteOld",
            "publishFailed(permanent) → retiring: deleteOld",
        ],
        .discarding: [
            "resume → discarding: discard",
            "created → discarding: discard",
            "createFailed(transient) → discarding: discard",
            "markerSearched([]) → discarding: discard",
            "markerSearchFailed(transient) → discarding: discard",
            "discarded → failed: finished",
            "discardFailed(transient) → discarding: retryAt",
            "verified → discarding: discard",
            "verificationRefused → discarding: discard",
            "verificationUnavailable(transient) → discarding: discard",
            "published → discarding: discard",
            "publishFailed(transient) → discarding: discard",
            "hooksRan → discarding: discard",
            "oldDeleted → discarding: discard",
            "oldDeleteFailed(transient) → discarding: discard",
            "unmanaged → discarding: discard",
            "forced → discarding: discard",
            "createFailed(ambiguous) → discarding: discard",
            "createFailed(permanent) → discarding: discard",
            "markerSearched([12]) → discarding: discard",
            "markerSearchFailed(permanent) → discarding: discard",
            "discardFailed(permanent) → discarding: retryAt",
            "publishFailed(permanent) → discarding: discard",
        ],
        .done: [
            "resume → done: finished",
            "created → done: finished",
            "createFailed(transient) → done: finished",
            "markerSearched([]) → done: finished",
            "markerSearchFailed(transient) → done: finished",
            "discarded → done: finished",
            "discardFailed(transient) → done: finished",
            "verified → done: finished",
            "verificationRefused → done: finished",
            "verificationUnavailable(transient) → done: finished",
            "published → done: finished",
            "publishFailed(transient) → done: finished",
            "hooksRan → done: finished",
            "oldDeleted → done: finished",
            "oldDeleteFailed(transient) → done: finished",
            "unmanaged → done: finished",
            "forced → done: finished",
            "createFailed(ambiguous) → done: finished",
            "createFailed(permanent) → done: finished",
            "markerSearched([12]) → done: finished",
            "markerSearchFailed(permanent) → done: finished",
            "discardFailed(permanent) → done: finished",
            "publishFailed(permanent) → done: finished",
        ],
        .failed: [
            "resume → failed: finished",
            "created → failed: finished",
            "createFailed(transient) → failed: finished",
            "markerSearched([]) → failed: finished",
            "markerSearchFailed(transient) → failed: finished",
            "discarded → failed: finished",
            "discardFailed(transient) → failed: finished",
            "verified → failed: finished",
            "verificationRefused → failed: finished",
            "verificationUnavailable(transient) → failed: finished",
            "published → failed: finished",
            "publishFailed(transient) → failed: finished",
            "hooksRan → failed: finished",
            "oldDeleted → failed: finished",
            "oldDeleteFailed(transient) → failed: finished",
            "unmanaged → failed: finished",
            "forced → failed: finished",
            "createFailed(ambiguous) → failed: finished",
            "createFailed(permanent) → failed: finished",
            "markerSearched([12]) → failed: finished",
            "markerSearchFailed(permanent) → failed: finished",
            "discardFailed(permanent) → failed: finished",
            "publishFailed(permanent) → failed: finished",
        ],
        .abandoned: [
            "resume → abandoned: finished",
            "created → abandoned: finished",
            "createFailed(transient) → abandoned: finished",
            "markerSearched([]) → abandoned: finished",
            "markerSearchFailed(transient) → abandoned: finished",
            "discarded → abandoned: finished",
            "discardFailed(transient) → abandoned: finished",
            "verified → abandoned: finished",
            "verificationRefused → abandoned: finished",
            "verificationUnavailable(transient) → abandoned: finished",
            "published → abandoned: finished",
            "publishFailed(transient) → abandoned: finished",
            "hooksRan → abandoned: finished",
            "oldDeleted → abandoned: finished",
            "oldDeleteFailed(transient) → abandoned: finished",
            "unmanaged → abandoned: finished",
            "forced → abandoned: finished",
            "createFailed(ambiguous) → abandoned: finished",
            "createFailed(permanent) → abandoned: finished",
            "markerSearched([12]) → abandoned: finished",
            "markerSearchFailed(permanent) → abandoned: finished",
            "discardFailed(permanent) → abandoned: finished",
            "publishFailed(permanent) → abandoned: finished",
        ],
    ]

    static func row(_ label: String, _ t: RotationMachine.Transition) -> String {
        "\(label) → \(t.record.step.rawValue): \(t.action.kind.rawValue)"
    }

    @Test func eventsCoverEveryCase() {
        #expect(Set(Self.events.map(\.event.kind)) == Set(RotationEvent.Kind.allCases))
        #expect(Set(Self.golden.keys) == Set(RotationStep.allCases))
    }

    @Test(arguments: RotationStep.allCases)
    func everyEventAtStep(step: RotationStep) {
        let record = Self.record(at: step)
        #expect(record.inconsistency == nil)
        let actual = Self.events.map { Self.row($0.label, Self.machine.advance(record, on: $0.event, now: Self.t0)) }
        let expected = Self.golden[step] ?? []
        #expect(
            actual == expected,
            """
            step \(step.rawValue) changed; if intended, the new rows are:
                .\(step.rawValue): [
            \(actual.map { "        \"\($0)\"," }.joined(separator: "\n"))
                ],
            """)
    }
}
