import RotordCore

/// What a fleet leader does where a single host acts alone (docs/fleet.md): the journal is etcd's, the publish seals
/// the new pair to every delivering host, and the confirmation is theirs. `nil` in the driver and the reconciler of
/// a single host, which is then exactly what it was before the fleet existed.
package protocol RotationFleet: Sendable {
    /// Before a pass reads its journal: the rotations in etcd replace the unfinished ones of the local state
    /// directory (a new leader resumes what another leader journaled). Throws when etcd cannot be read: the pass
    /// does nothing.
    func recover(into store: StateStore) async throws

    /// Durably records `record` (which follows `previous`) in etcd by a transaction fenced by the leadership key,
    /// **before** the local journal and before the action that follows it; throws when it cannot (nothing is done
    /// after). Moving to ``RotationStep/retiring`` is refused here while a delivering host has not confirmed.
    func persist(_ record: RotationRecord, previous: RotationRecord) async throws

    /// The publish step of a fleet: seals the verified pair to every host that delivers the consumer; the
    /// ``RotationEvent/published(files:)`` it returns names the hosts.
    func publish(_ record: RotationRecord, key: String, secret: String) async -> RotationEvent

    /// The checks of a fleet: waits (bounded) until every delivering host has published, run its actions and its
    /// probe, and says whether they passed: ``RotationEvent/hooksRan(failures:)`` naming each host that failed or did
    /// not answer.
    func confirmations(_ record: RotationRecord) async -> RotationEvent

    /// The marker sweep of every pass (``FleetSweep``): deletes the consumers of `listing` that a paused former
    /// leader created late, through `account`; returns the ids deleted (the pass plans without them). Failures are
    /// logged and retried by the next pass.
    func sweep(_ listing: [ConsumerRecord], account: any ConsumerAccount) async -> Set<Int>

    /// The consumers the fleet must not start rotating now, each with why (hosts that configure it with different
    /// policies, named): told as problems of the pass.
    func refusals() async -> [String: String]
}
