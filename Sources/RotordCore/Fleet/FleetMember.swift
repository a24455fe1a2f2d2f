import Foundation

/// One durable member of a fleet, as its `hosts/<name>` record says (issue 20; docs/fleet.md): its public key, the
/// consumers its own configuration delivers (each with a hash of its policy) and the account it acts on. Written by
/// the host itself, with no lease: only `rotord fleet forget` removes it, so a host that is down still counts.
public struct FleetMember: Sendable, Hashable, Codable {
    /// The host's name (`cluster.host`).
    public var host: String
    /// Its X25519 public key, base64 (what sealed copies are sealed to).
    public var publicKey: String
    /// The consumers it delivers: name → a hash of the policy it configures for it.
    public var delivers: [String: String]
    /// Whether it may lead (`cluster.leader_eligible`: it has the admin pair).
    public var leaderEligible: Bool
    /// The account it acts on (API URL and `requests_per_minute`), as a hash: members of one fleet must agree.
    public var account: String
    /// The record's format version.
    public var version: Int = 1

    /// Creates a member record.
    public init(
        host: String, publicKey: String, delivers: [String: String], leaderEligible: Bool, account: String
    ) {
        self.host = host
        self.publicKey = publicKey
        self.delivers = delivers
        self.leaderEligible = leaderEligible
        self.account = account
    }
}
