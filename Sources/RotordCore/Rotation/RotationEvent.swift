import Foundation

/// What happened since the machine last spoke: the outcome of the action it asked for, or
/// `resume` when a rotation is (re)entered without a known outcome (start, restart, timer).
public enum RotationEvent: Sendable, Hashable {
    /// Enter the current step without news: after a restart, a timer, or to begin.
    case resume
    /// The replacement was created: its id, key, secret and creation date.
    case created(id: Int, key: String, secret: String, createdAt: Date)
    /// The create request failed.
    case createFailed(RotationFailure)
    /// The consumers found carrying this rotation's marker.
    case markerSearched(consumerIDs: [Int])
    /// The marker search could not be done.
    case markerSearchFailed(RotationFailure)
    /// The consumers asked for by `discard` are gone (deleted or already absent).
    case discarded
    /// Deleting them failed.
    case discardFailed(RotationFailure)
    /// The new pair obtained a token.
    case verified
    /// The new pair was refused for the whole verification period.
    case verificationRefused(reason: String)
    /// Verification could not be done (token endpoint unreachable).
    case verificationUnavailable(RotationFailure)
    /// Every deliver file holds the new pair.
    case published(files: [String])
    /// Writing a deliver file failed.
    case publishFailed(RotationFailure)
    /// The hooks ran; the descriptions of those that failed.
    case hooksRan(failures: [String])
    /// Asked to run the `after_publish` actions or the probe, there was none configured: nothing ran, and nothing
    /// failed. (Separate from ``hooksRan(failures:)`` and ``probed(failures:)`` so that the journal and the audit
    /// log never say a check passed that did not run.)
    case nothingToRun
    /// rotord's own admin consumer (``ManagedConsumer/isAdmin``): the published pair was read back from its source
    /// files, administers the account, and is the pair rotord acts as now. Its confirmation, in place of
    /// `after_publish` actions, which it has none of.
    case adminTakenIntoUse
    /// The adoption probe ran; the descriptions of its failures, empty when it passed.
    case probed(failures: [String])
    /// An operator accepted an ``RotationStep/unconfirmed`` (or held) rotation (`rotord rotate NAME
    /// --accept-unconfirmed`, or `--revoke-old-now`: `revokeOldNow`, the old consumer is deleted without grace): it
    /// goes on to grace and retirement without the failed checks.
    case accepted(revokeOldNow: Bool)
    /// The old consumers are gone.
    case oldDeleted
    /// Deleting an old consumer failed.
    case oldDeleteFailed(RotationFailure)
    /// The consumer left the configuration: give the rotation up without publishing anything nor deleting the old
    /// consumer, after deleting whatever replacement it may have made (in `creating`, found by the marker).
    case unmanaged
    /// An operator asked for a rotation now: a grace period ends now and a retry wait is skipped.
    case forced
    /// The record was read back: bound the dates a wrong clock wrote (``RotationRecord/clamped(now:maxRetryDelay:)``).
    case boundDates
    /// The record was written by a version that retired every consumer of the name: keep only these old consumers
    /// (the one the rotation replaced, or none when that cannot be told).
    case narrowOldConsumers(to: [Int])
    /// An operator ends a rotation held because its consumer left the configuration (`rotord abandon NAME`):
    /// both consumers are kept, the record ends `abandoned`.
    case abandon

    /// The case of an event, without its values.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case resume, created, createFailed, markerSearched, markerSearchFailed, discarded, discardFailed, verified
        case verificationRefused, verificationUnavailable, published, publishFailed, hooksRan, nothingToRun, probed
        case adminTakenIntoUse
        case accepted
        case oldDeleted, oldDeleteFailed, unmanaged, forced, abandon, boundDates, narrowOldConsumers
    }

    /// The case of this event, without its values.
    public var kind: Kind {
        switch self {
        case .resume: .resume
        case .created: .created
        case .createFailed: .createFailed
        case .markerSearched: .markerSearched
        case .markerSearchFailed: .markerSearchFailed
        case .discarded: .discarded
        case .discardFailed: .discardFailed
        case .verified: .verified
        case .verificationRefused: .verificationRefused
        case .verificationUnavailable: .verificationUnavailable
        case .published: .published
        case .publishFailed: .publishFailed
        case .hooksRan: .hooksRan
        case .nothingToRun: .nothingToRun
        case .adminTakenIntoUse: .adminTakenIntoUse
        case .probed: .probed
        case .accepted: .accepted
        case .oldDeleted: .oldDeleted
        case .oldDeleteFailed: .oldDeleteFailed
        case .unmanaged: .unmanaged
        case .forced: .forced
        case .abandon: .abandon
        case .boundDates: .boundDates
        case .narrowOldConsumers: .narrowOldConsumers
        }
    }
}

/// A failure reported to the machine; `kind` decides between retrying and giving up.
public struct RotationFailure: Sendable, Hashable, Error, CustomStringConvertible {
    /// How to treat the failure.
    public enum Kind: Sendable, Hashable {
        /// Will not get better by retrying (bad request, no permission, invalid file path).
        case permanent
        /// May get better (network, 5xx, rate limit).
        case transient
        /// A request may or may not have taken effect (a timeout after sending a create).
        case ambiguous
    }

    /// How to treat it.
    public var kind: Kind
    /// What went wrong, for people. Never holds a secret.
    public var message: String
    /// For a create whose answer was refused (it did not match the request): the id of the consumer the answer
    /// named, when that consumer carries the requested name and is new. It exists, so it is deleted by this id
    /// (its secret was never believed); `nil` otherwise.
    public var createdConsumerID: Int?

    /// Creates a failure.
    public init(_ kind: Kind, _ message: String, createdConsumerID: Int? = nil) {
        self.kind = kind
        self.message = message
        self.createdConsumerID = createdConsumerID
    }

    public var description: String { message }
}

/// The side effect the caller must perform next, after persisting the returned record.
public enum RotationAction: Sendable, Hashable {
    /// `POST` a new consumer with these fields.
    case create(name: String, description: String, authorizationType: String, permissionGroupID: Int, fracttalHub: Bool)
    /// List consumers and report those whose description carries `marker`.
    case findMarked(marker: String)
    /// Delete these consumers (orphans of a lost create, or an unverified replacement).
    case discard(consumerIDs: [Int])
    /// Obtain a token with the new pair, retrying for the verification period.
    case verify(key: String, secret: String)
    /// Write the new pair into every deliver file.
    case publish(key: String, secret: String)
    /// Run the `after_publish` hooks.
    case runHooks
    /// Run the adoption probe (the outcome is ``RotationEvent/probed(failures:)``, empty when none is configured).
    case probe
    /// Delete the replaced consumers.
    case deleteOld(consumerIDs: [Int])
    /// Nothing to do before `date` (grace deadline).
    case waitUntil(Date)
    /// A transient error: try again at `date`.
    case retryAt(Date)
    /// Nothing may be done until news arrives (for ``RotationEvent/boundDates`` and
    /// ``RotationEvent/narrowOldConsumers(to:)``: the record was edited, nothing is performed). Above all: the consumer
    /// left the configuration while its new pair may be in use (the deliver files may hold it), so neither consumer is deleted until it is configured again or an
    /// operator decides (`rotord rotate NAME --accept-unconfirmed`, `rotord abandon NAME`). The reason says so.
    case hold(reason: String)
    /// The rotation is over.
    case finished(RotationStep)

    /// The case of an action, without its values.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case create, findMarked, discard, verify, publish, runHooks, probe, deleteOld, waitUntil, retryAt, hold,
            finished
    }

    /// The case of this action, without its values.
    public var kind: Kind {
        switch self {
        case .create: .create
        case .findMarked: .findMarked
        case .discard: .discard
        case .verify: .verify
        case .publish: .publish
        case .runHooks: .runHooks
        case .probe: .probe
        case .deleteOld: .deleteOld
        case .waitUntil: .waitUntil
        case .retryAt: .retryAt
        case .hold: .hold
        case .finished: .finished
        }
    }

    /// Whether the caller should keep driving the machine now.
    public var continuesNow: Bool {
        switch self {
        case .waitUntil, .retryAt, .hold, .finished: false
        default: true
        }
    }
}
