import Foundation

/// The journal entry of one rotation: everything needed to resume it after a crash.
///
/// It holds the new consumer's secret between `created` and `grace` (the only copy until the
/// deliver files have it), so the file is written 0600 in a 0700 directory, and its
/// `description` never shows the secret.
public struct RotationRecord: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Unique id; also the marker in the new consumer's description.
    public var id: String
    /// The managed consumer's name.
    public var consumerName: String
    /// Where the rotation is.
    public var step: RotationStep
    /// Why it started, for people: "due", "manual".
    public var trigger: String
    /// When it was planned.
    public var startedAt: Date
    /// When the step last changed.
    public var updatedAt: Date

    /// The consumers being replaced (every live consumer of that name at the start).
    public var oldConsumerIDs: [Int]
    /// The replaced consumer's key, masked.
    public var oldKeyMasked: String?

    /// What the replacement is created with.
    public var authorizationType: String
    /// The permission group's id.
    public var permissionGroupID: Int
    /// The Fracttal Hub flag.
    public var fracttalHub: Bool
    /// The description, marker included.
    public var newDescription: String

    /// The replacement's id, once created.
    public var newConsumerID: Int?
    /// The replacement's key, once created.
    public var newKey: String?
    /// The replacement's secret, from `created` until it is published; `nil` otherwise.
    public var newSecret: String?
    /// The replacement's creation date.
    public var newCreatedAt: Date?

    /// How many creates were attempted.
    public var createAttempts: Int
    /// How long the old consumer lives after publishing, fixed at the start.
    public var graceSeconds: Int64
    /// Delete the old consumer as soon as the new one is published.
    public var revokeOldNow: Bool
    /// When the grace period ends (set on entering `grace`).
    public var graceUntil: Date?
    /// Files written by the publish step.
    public var publishedFiles: [String]
    /// Hooks that failed (descriptions, no output).
    public var hookFailures: [String]
    /// An operator accepted the rotation while ``RotationStep/unconfirmed``: no more checks (hooks, probe) before
    /// retiring the old consumer. `nil` (absent from older journals) means no.
    public var acceptedUnconfirmed: Bool?
    /// Consumers a refused create answer said it made (``RotationFailure/createdConsumerID``), to delete by id
    /// before anything else: their marker may be lost, so a marker search would not find them. Journaled before
    /// the delete; `nil` (absent from older journals) when none.
    public var pendingDiscardIDs: [Int]?
    /// The last error, or the reason for `failed`/`abandoned`.
    public var failure: String?
    /// When to try again after a transient error.
    public var retryAt: Date?
    /// Consecutive transient errors at the current step.
    public var transientErrors: Int
    /// Every step change, oldest first.
    public var history: [StepChange]

    /// One entry of ``history``.
    public struct StepChange: Sendable, Hashable, Codable {
        /// The step entered.
        public var step: RotationStep
        /// When.
        public var at: Date
        /// Why, when it matters.
        public var note: String?

        /// Creates an entry.
        public init(step: RotationStep, at: Date, note: String? = nil) {
            self.step = step
            self.at = at
            self.note = note
        }
    }

    /// Plans a rotation of `current` (or of the consumer named `name` with the given settings).
    public init(
        id: String, consumerName: String, trigger: String, now: Date, oldConsumers: [ConsumerRecord],
        authorizationType: String, permissionGroupID: Int, fracttalHub: Bool, originalDescription: String?,
        grace: ConfigDuration, revokeOldNow: Bool = false
    ) {
        self.id = id
        self.consumerName = consumerName
        self.step = .planned
        self.trigger = trigger
        self.startedAt = now
        self.updatedAt = now
        self.oldConsumerIDs = oldConsumers.map(\.id).sorted()
        self.oldKeyMasked = oldConsumers.max { $0.createdAt < $1.createdAt }.map { KeyMask.mask($0.key) }
        self.authorizationType = authorizationType
        self.permissionGroupID = permissionGroupID
        self.fracttalHub = fracttalHub
        self.newDescription = RotationMarker.description(original: originalDescription, rotationID: id)
        self.createAttempts = 0
        self.graceSeconds = grace.seconds
        self.revokeOldNow = revokeOldNow
        self.publishedFiles = []
        self.hookFailures = []
        self.transientErrors = 0
        self.history = [StepChange(step: .planned, at: now, note: trigger)]
    }

    /// The marker tag carried by the replacement.
    public var marker: String { RotationMarker.tag(for: id) }

    /// Moves to `step` at `now`, recording it in the history; clears the transient-error state.
    public mutating func enter(_ step: RotationStep, at now: Date, note: String? = nil) {
        self.step = step
        self.updatedAt = now
        self.retryAt = nil
        self.transientErrors = 0
        history.append(StepChange(step: step, at: now, note: note))
    }

    /// Why this record is one the machine never produces, or `nil` when it is well-formed.
    ///
    /// The JSON journal can hold any combination of fields (an old version, a hand edit, a damaged
    /// disk); this is the one place that says which combinations the machine refuses. A `created` or
    /// `verified` record must hold the new key and secret: without them the replacement is
    /// unusable. ``RotationMachine/advance(_:on:now:)`` checks every record with it first and turns
    /// an inconsistent one into `discarding` (the replacement is deleted, the old consumer kept).
    public var inconsistency: String? {
        guard step.holdsUnpublishedSecret, newKey == nil || newSecret == nil else { return nil }
        return "the journal lost the new secret before " + (step == .created ? "verification" : "publishing")
    }

    /// A summary without the secret.
    public var description: String {
        "rotation \(id) of \(consumerName) at \(step.rawValue)"
            + (newKey.map { ", new key \(KeyMask.mask($0))" } ?? "")
            + (failure.map { ", last error: \($0)" } ?? "")
    }

    /// Makes a rotation id: UTC time plus random hex, sortable and unique.
    public static func makeID(now: Date, random: UInt32) -> String {
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        return "r\(seconds)-" + String(random, radix: 16).leftPadded(to: 8)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
