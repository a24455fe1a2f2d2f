/// Whether the fleet's leader may send a request to Fracttal now (issue 20, point 3): etcd fences its own writes by
/// transactions, but Fracttal has no transactions, so the leader fences itself in time, on the monotonic clock.
///
/// - The lease deadline is the instant the last *successful* keep-alive was **sent**, plus the TTL: the lease
///   cannot have been granted longer than that (an answer that took long does not extend it).
/// - A request (each try, checked again after the rate-budget wait and the token fetch) goes out only while that
///   deadline is at least ``margin`` away, and ``margin`` exceeds `fracttal.timeout`: a request sent then is answered
///   or abandoned before another host can lead.
/// - A new leader sends nothing for `fracttal.timeout` + ``margin`` after it wins (its predecessor's last request
///   may still land), then assumes the predecessor spent the whole current budget window and searches for markers
///   before any create.
///
/// A process paused between the check and the send can still land one late create; the next leader's marker sweep
/// removes it (docs/fleet.md). Pure: instants are given.
public struct LeaderFence<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// The lease's time to live.
    public var ttl: Duration
    /// `fracttal.timeout`: the longest one request may take.
    public var requestTimeout: Duration
    /// How far the lease deadline must be when a request is sent; more than ``requestTimeout``.
    public var margin: Duration
    /// When this process won, `nil` while it does not lead.
    public private(set) var wonAt: Instant?
    /// When the last successful keep-alive was sent.
    public private(set) var lastKeepAliveSent: Instant?

    /// Why no request may go out now.
    public enum Refusal: Sendable, Hashable, CustomStringConvertible {
        /// This process does not lead.
        case notLeader
        /// It won less than `requestTimeout + margin` ago: the previous leader's last request may still land.
        case settling(until: Instant)
        /// The lease may end before the answer: the deadline is less than `margin` away (or passed).
        case leaseEnding(deadline: Instant)

        public var description: String {
            switch self {
            case .notLeader: "this host does not lead the fleet"
            case .settling: "just became the leader: waiting for the previous leader's last request to end"
            case .leaseEnding: "the leadership lease may end before an answer: renewing it first"
            }
        }
    }

    /// A fence with the fleet's timings; ``configurationProblem`` says when they cannot work together.
    public init(ttl: Duration, requestTimeout: Duration, margin: Duration) {
        self.ttl = ttl
        self.requestTimeout = requestTimeout
        self.margin = margin
    }

    /// Why these timings can never allow a request (or can only right after a keep-alive), or `nil`. Keep-alives go
    /// every TTL/3, so right before one the deadline is two thirds of the TTL away: the margin must be less.
    public var configurationProblem: String? {
        if margin <= requestTimeout {
            return "the fencing margin must exceed fracttal.timeout (\(requestTimeout))"
        }
        if margin >= ttl * 2 / 3 {
            return "fracttal.timeout (\(requestTimeout)) plus its margin must stay under two thirds of the lease TTL "
                + "(\(ttl)): lower fracttal.timeout or raise the TTL"
        }
        return nil
    }

    /// This process won the election at `instant`; its lease was last renewed by a keep-alive (or the grant) sent at
    /// `sent` (at most `instant`; `nil`: then).
    public mutating func won(at instant: Instant, keepAliveSentAt sent: Instant? = nil) {
        wonAt = instant
        lastKeepAliveSent = min(sent ?? instant, instant)
    }

    /// A keep-alive sent at `sent` was answered: the lease runs from `sent`.
    public mutating func keepAliveSucceeded(sentAt sent: Instant) {
        guard wonAt != nil else { return }
        if let last = lastKeepAliveSent, last > sent { return }
        lastKeepAliveSent = sent
    }

    /// It lost or resigned.
    public mutating func lost() {
        wonAt = nil
        lastKeepAliveSent = nil
    }

    /// Until when the lease holds at most.
    public var leaseDeadline: Instant? { lastKeepAliveSent.map { $0.advanced(by: ttl) } }

    /// Whether a Fracttal request may be sent at `now`: `nil` when it may, else why not.
    public func refusal(at now: Instant) -> Refusal? {
        guard let wonAt, let deadline = leaseDeadline else { return .notLeader }
        let settled = wonAt.advanced(by: requestTimeout + margin)
        if now < settled { return .settling(until: settled) }
        if now.duration(to: deadline) < margin { return .leaseEnding(deadline: deadline) }
        return nil
    }
}
