/// The durable steps of one rotation, in order. Each is written (and fsync'd) *before* the side
/// effect it announces, so that after a crash the step says what may have happened.
///
/// ```
/// planned → creating → created → verified → published → grace → retiring → done
///    │          │                               │        │
///    │          │                               └────────┴─ (an action or the probe failed) unconfirmed
///    │          └──────────┴─ (verification fails, secret lost, unmanaged) discarding → failed
///    └─ (unmanaged) abandoned
/// ```
public enum RotationStep: String, Sendable, Hashable, Codable, CaseIterable {
    /// Decided, nothing done yet.
    case planned
    /// About to create (or creating) the replacement; its secret is not saved yet.
    case creating
    /// The replacement exists and its key and secret are saved in the journal.
    case created
    /// The new pair obtained a token.
    case verified
    /// The new pair is in every deliver file.
    case published
    /// The new pair is in the files but its adoption is not confirmed: an `after_publish` action failed
    /// (``RotationRecord/graceUntil`` is `nil`) or, after grace, the adoption probe failed. The old consumer is
    /// kept; the failed check is retried with back-off until it succeeds or an operator accepts the rotation.
    case unconfirmed
    /// Hooks ran; the old consumer lives until the grace deadline.
    case grace
    /// Deleting the old consumer.
    case retiring
    /// Deleting a replacement that will not be used (did not verify, lost its secret, or its
    /// consumer left the configuration); by id when known, else by the rotation's marker.
    case discarding
    /// Finished: the old consumer is gone.
    case done
    /// Finished without replacing the consumer; the reason is recorded.
    case failed
    /// Given up by an operator or because the consumer is no longer managed.
    case abandoned

    /// Whether the rotation is over.
    public var isTerminal: Bool { self == .done || self == .failed || self == .abandoned }

    /// Whether the new secret may exist only in the journal (the files don't have it yet).
    public var holdsUnpublishedSecret: Bool { self == .created || self == .verified }

    /// Whether an operator's acceptance (``RotationEvent/accepted(revokeOldNow:)``) applies at this step: an
    /// unconfirmed rotation, or, when its consumer is no longer `managed`, one held after its pair was published.
    public func acceptsAcceptance(managed: Bool) -> Bool {
        self == .unconfirmed || (!managed && (self == .published || self == .grace))
    }

    /// Whether ``RotationEvent/abandon`` ends a rotation at this step without deleting anything: before a create,
    /// or once the new pair may be in the files.
    public var isAbandonable: Bool { [.planned, .verified, .published, .unconfirmed, .grace].contains(self) }
}
