import Foundation

/// When the old consumer of a fleet rotation may be deleted (issue 20, point 6): only once **every** durable member
/// that delivers the consumer, alive or not, has confirmed the new pair (its actions and probe passed) and its grace
/// has ended, or an operator accepted for it (`rotord rotate NAME --accept-unconfirmed --host H`); a member removed
/// with `rotord fleet forget` no longer counts. Pure: the leader evaluates it on what one linearizable read of etcd
/// returned, and makes the move to `retiring` in a transaction that compares those very revisions.
public enum FleetRevocation {
    /// What one host said about one rotation, under its own key.
    public enum Confirmation: Sendable, Hashable {
        /// Its actions and probe passed; its grace ends at `graceEnds`.
        case confirmed(graceEnds: Date)
        /// Its publish, actions or probe failed (the reason, as the host wrote it).
        case failed(reason: String)
    }

    /// Why one host holds the old consumer back.
    public enum Blocker: Sendable, Hashable, CustomStringConvertible {
        /// The host has not answered yet (down, or still publishing).
        case notConfirmed(host: String)
        /// The host reported a failure.
        case failed(host: String, reason: String)
        /// The host confirmed; its grace ends later.
        case inGrace(host: String, until: Date)

        /// The host.
        public var host: String {
            switch self {
            case .notConfirmed(let host), .failed(let host, _), .inGrace(let host, _): host
            }
        }

        public var description: String {
            switch self {
            case .notConfirmed(let host): "\(host) has not confirmed the new pair"
            case .failed(let host, let reason): "\(host) failed: \(reason)"
            case .inGrace(let host, let until): "\(host) is in its grace period until \(UTCTimestamp.format(until))"
            }
        }
    }

    /// The verdict.
    public enum Verdict: Sendable, Hashable {
        /// Every delivering host confirmed and its grace ended (or an operator accepted for it): retire the old
        /// consumer.
        case retire
        /// Keep the old consumer: the hosts that hold it back, by host name (loudly: status, journald, metric).
        case wait([Blocker])
    }

    /// The verdict for `consumer` at `now`: `members` are the durable members (`hosts/`), `confirmations` what each
    /// host wrote for this rotation, `accepted` the hosts an operator accepted.
    public static func verdict(
        consumer: String, members: [FleetMember], confirmations: [String: Confirmation], accepted: Set<String>,
        now: Date
    ) -> Verdict {
        var blockers: [Blocker] = []
        for member in members.sorted(by: { $0.host < $1.host }) where member.delivers[consumer] != nil {
            if accepted.contains(member.host) { continue }
            switch confirmations[member.host] {
            case nil: blockers.append(.notConfirmed(host: member.host))
            case .failed(let reason): blockers.append(.failed(host: member.host, reason: reason))
            case .confirmed(let graceEnds) where graceEnds > now:
                blockers.append(.inGrace(host: member.host, until: graceEnds))
            case .confirmed: break
            }
        }
        return blockers.isEmpty ? .retire : .wait(blockers)
    }

    /// The consumers configured with different policies on two members, each with the message that names both
    /// hosts: the leader refuses to rotate them until the hosts agree.
    public static func policyConflicts(_ members: [FleetMember]) -> [String: String] {
        let sorted = members.sorted { $0.host < $1.host }
        var out: [String: String] = [:]
        for consumer in Set(sorted.flatMap(\.delivers.keys)) {
            let holders = sorted.filter { $0.delivers[consumer] != nil }
            guard let first = holders.first,
                let other = holders.first(where: { $0.delivers[consumer] != first.delivers[consumer] })
            else { continue }
            out[consumer] =
                "\(consumer) is configured with different policies on \(first.host) and \(other.host); "
                + "make them the same (the fleet does not rotate it until they agree)"
        }
        return out
    }

    /// What the fleet must say loudly about its configuration (point 8): members that act on another account,
    /// consumers whose policy differs between two members (refused, naming both hosts), and consumers a
    /// leader-eligible member does not configure; sorted, for a stable message.
    public static func disagreements(_ members: [FleetMember]) -> [String] {
        var out: [String] = []
        let sorted = members.sorted { $0.host < $1.host }
        if let first = sorted.first {
            for member in sorted.dropFirst() where member.account != first.account {
                out.append("\(member.host) acts on another account than \(first.host) (API URL or requests_per_minute)")
            }
        }
        let conflicts = policyConflicts(members)
        let consumers = Set(sorted.flatMap(\.delivers.keys)).sorted()
        for consumer in consumers {
            if let conflict = conflicts[consumer] { out.append(conflict) }
            // Any leader-eligible host may lead, and a leader rotates by its own configuration: each must have it.
            let missing = sorted.filter { $0.leaderEligible && $0.delivers[consumer] == nil }.map(\.host)
            if !missing.isEmpty {
                out.append(
                    "\(consumer) is not configured on the leader-eligible host(s) \(missing.joined(separator: ", ")); "
                        + "configure it there with the same policy (or set leader_eligible: false)")
            }
        }
        return out
    }
}
