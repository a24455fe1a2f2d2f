import Logging

/// One contender in the election of one leader under a prefix, the way etcd's own election recipe does it with the
/// KV API (not `/v3/election/campaign`, which holds the request open and deletes the candidate on a disconnect).
///
/// The contender holds a lease of ``ttl`` and renews it every ``keepAliveInterval`` (TTL/3). To become leader it
/// runs one transaction: if `PREFIX/leader` does not exist (`create_revision == 0`), put it with the host's name as
/// value, attached to the lease; otherwise read it. The key is the leader's as long as the lease lives; if the
/// answer was lost, the next transaction finds the key attached to its own lease and the contender is leader.
///
/// **Fencing.** The contender's ``leaseDeadline`` is the moment the last successful keep-alive (or the grant) was
/// *sent*, plus the TTL etcd answered, on the monotonic clock: etcd cannot have expired the lease before then, so
/// until then no other contender can hold the key. ``isLeader(now:)`` is `false` from that moment on even if no
/// answer says so, and a leader whose keep-alives keep failing reports the loss of leadership then.
public actor EtcdElection {
    /// The shortest TTL accepted (for tests); production uses at most ``maximumProductionTTL``.
    public static let minimumTTL: Duration = .seconds(3)
    /// The longest TTL production should use: a dead leader is replaced within about this long.
    public static let maximumProductionTTL: Duration = .seconds(10)

    /// What a contender knows at one moment.
    public struct Status: Sendable, Equatable {
        /// Whether it holds the leader key and its lease deadline has not passed.
        public var isLeader: Bool
        /// The host named by the leader key at the last look, if any.
        public var leader: String?
        /// The contender's lease, if it holds one.
        public var lease: Int64?
        /// The moment the lease can expire at the earliest (see the type's documentation).
        public var leaseDeadline: ContinuousClock.Instant?
    }

    /// The client it talks through.
    public nonisolated let client: EtcdClient
    /// The leader key: `PREFIX/leader`.
    public nonisolated let key: String
    /// This contender's name, the leader key's value while it leads.
    public nonisolated let host: String
    /// The lease's time to live.
    public nonisolated let ttl: Duration
    /// How often the lease is renewed and, while not leader, the key tried: TTL/3.
    public nonisolated var keepAliveInterval: Duration { ttl / 3 }
    private let logger: Logger
    private let clock = ContinuousClock()

    private var lease: Int64?
    private var deadline: ContinuousClock.Instant?
    private var leading = false
    private var leaderName: String?
    private var stopped = false
    private var changes: [AsyncStream<Bool>.Continuation] = []

    /// A contender named `host` for the leader key under `prefix` (`/rotord/ACCOUNT` makes `/rotord/ACCOUNT/leader`).
    public init(
        client: EtcdClient, prefix: String, host: String, ttl: Duration,
        logger: Logger = Logger(label: "rotord.election")
    ) {
        precondition(ttl >= Self.minimumTTL, "an election TTL under \(Self.minimumTTL)")
        self.client = client
        self.key = (prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix) + "/leader"
        self.host = host
        self.ttl = ttl
        self.logger = logger
    }

    /// Whether this contender is leader at `now`: it holds the key and `now` is before ``leaseDeadline``.
    public func isLeader(now: ContinuousClock.Instant = ContinuousClock.now) -> Bool {
        guard leading, let deadline else { return false }
        return now < deadline
    }

    /// The earliest moment the lease can expire; `nil` without a lease.
    public var leaseDeadline: ContinuousClock.Instant? { deadline }

    /// What the contender knows now.
    public func status(now: ContinuousClock.Instant = ContinuousClock.now) -> Status {
        Status(isLeader: isLeader(now: now), leader: leaderName, lease: lease, leaseDeadline: deadline)
    }

    /// A stream of leadership changes: `true` when the contender becomes leader, `false` when it stops being one
    /// (resigned, the key was lost, or the lease deadline passed without a successful keep-alive).
    public func leadershipChanges() -> AsyncStream<Bool> {
        let (stream, continuation) = AsyncStream<Bool>.makeStream()
        changes.append(continuation)
        return stream
    }

    /// Campaigns and keeps the lease alive until the task is cancelled or ``resign()`` is called: one step every
    /// ``keepAliveInterval``. Errors are logged and retried at the next step; leadership ends at the lease deadline.
    /// Cancelling the task stops the keep-alives without revoking (as a crash would); call ``resign()`` to hand over
    /// at once.
    public func run() async {
        while !stopped && !Task.isCancelled {
            let began = clock.now
            await step()
            try? await clock.sleep(until: began.advanced(by: keepAliveInterval))
        }
        expireIfPast(clock.now)
    }

    /// One step: renew the lease (or grant one), then, if not leader, try to take the key.
    public func step() async {
        guard !stopped else { return }
        expireIfPast(clock.now)
        do {
            let lease = try await renewLease()
            // resign() may have run while this step waited for etcd: what the step got is given up too.
            guard !stopped else { return await revokeQuietly(lease) }
            try await campaign(lease: lease)
            if stopped {
                setLeading(false)
                await revokeQuietly(lease)
            }
        } catch {
            logger.info(
                "election step failed", metadata: ["host": "\(host)", "key": "\(key)", "error": "\(error)"])
            expireIfPast(clock.now)
        }
    }

    /// Gives up: revokes the lease (which deletes the leader key if this contender held it) and stops ``run()``.
    public func resign() async {
        stopped = true
        setLeading(false)
        guard let lease else { return }
        await revokeQuietly(lease)
    }

    /// Revokes `lease` and forgets it (and the deadline); a failure is logged: the lease expires within its TTL.
    private func revokeQuietly(_ lease: Int64) async {
        if self.lease == lease {
            self.lease = nil
            deadline = nil
        }
        do { try await client.revoke(lease: lease) } catch {
            guard !error.isLeaseNotFound else { return }
            logger.warning(
                "could not revoke the election lease; it expires within its TTL",
                metadata: ["host": "\(host)", "lease": "\(lease)", "error": "\(error)"])
        }
    }

    /// Keeps the current lease alive, or grants a new one when there is none or it is gone; moves the deadline.
    private func renewLease() async throws(EtcdError) -> Int64 {
        let sent = clock.now
        if let lease {
            do {
                let renewed = try await client.keepAlive(lease: lease)
                deadline = sent.advanced(by: renewed.ttl)
                return lease
            } catch  where error.isLeaseNotFound {
                logger.notice("election lease expired", metadata: ["host": "\(host)", "lease": "\(lease)"])
                self.lease = nil
                deadline = nil
                setLeading(false)
            }
        }
        let granted = try await client.grantLease(ttl: ttl)
        lease = granted.id
        deadline = sent.advanced(by: granted.ttl)
        return granted.id
    }

    /// Takes the key if nobody holds it; learns who does otherwise.
    private func campaign(lease: Int64) async throws(EtcdError) {
        let result = try await client.txn(
            [.createRevision(key, .equal, 0)], success: [.put(key, host, lease: lease)], failure: [.range(key)])
        if result.succeeded {
            leaderName = host
            setLeading(true)
            return
        }
        let holder = result.firstRange.first
        leaderName = holder?.string
        setLeading(holder?.lease == lease)
    }

    private func expireIfPast(_ now: ContinuousClock.Instant) {
        if leading, let deadline, now >= deadline {
            logger.warning(
                "leadership lost: no successful keep-alive before the lease deadline",
                metadata: ["host": "\(host)", "key": "\(key)"])
            setLeading(false)
        }
    }

    private func setLeading(_ value: Bool) {
        guard value != leading else { return }
        leading = value
        if value {
            logger.info("became leader", metadata: ["host": "\(host)", "key": "\(key)"])
        }
        for continuation in changes { continuation.yield(value) }
    }
}
