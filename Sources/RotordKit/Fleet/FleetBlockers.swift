import Synchronization

/// The hosts that hold each fleet rotation back, as the leader last saw them (not confirmed, failed, down), by
/// consumer: what the leader's `STATUS=` and the metric `rotord_fleet_blocking_hosts` say (docs/fleet.md).
package final class FleetBlockers: Sendable {
    private let hosts = Mutex<[String: [String]]>([:])

    /// None.
    package init() {}

    /// `consumer`'s rotation is held back by `blocking` (empty: by no host).
    package func set(_ consumer: String, _ blocking: [String]) {
        hosts.withLock { $0[consumer] = blocking.isEmpty ? nil : blocking.sorted() }
    }

    /// By consumer, the hosts that hold its rotation back.
    package var snapshot: [String: [String]] { hosts.withLock { $0 } }
}
