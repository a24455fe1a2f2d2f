import Foundation

/// Every wait rotord decides, in one place, and the one answer to "when next, and why"
/// (docs/architecture.md, "Time").
///
/// The engine (`RotordKit/Engine`) and the daemon (`RotordKit/Daemon`) hold no duration of their own: a
/// retry after Fracttal was unreachable, the state lock's patience, the polls of a new credential, a
/// child process's progress and its kill, the stop's extension, the timer's leeway all come from here,
/// and a test reads those sources and fails on a duration literal. Waits that the configuration sets
/// (grace, windows, jitter, `resync`, `max_age`) come from the configuration through the policy and the
/// plan; the back-offs are ``Backoff/rotationStep`` and ``Backoff/failedRotations``.
///
/// ``nextWake(plan:after:also:)`` is what the daemon's timer waits for, what `STATUS=` names, and what
/// `run --once` reports.
public enum Timing {
    /// After Fracttal was unreachable, the state lock was held by another rotord, or the journal could not be
    /// written: the next pass.
    public static let unavailableRetry = ConfigDuration.minutes(1)
    /// The shortest sleep of the daemon between passes.
    public static let minimumSleep = ConfigDuration.seconds(1)
    /// How long a new credential may take to work at the token endpoint, unless configured
    /// (`fracttal.verify_timeout`).
    public static let verifyTimeout = ConfigDuration.minutes(2)
    /// The polls of a new credential: 125–250 ms, doubling up to 2.5–5 s (equal jitter).
    public static let verificationPolls = Backoff(initial: .milliseconds(250), maximum: .seconds(5), jitter: .equal)
    /// How long a command waits for the state lock (another rotord's pass).
    public static let commandLockTimeout = Duration.seconds(300)
    /// How long the daemon's pass waits for the state lock (a manual `rotate` beside it).
    public static let daemonLockTimeout = Duration.seconds(10)
    /// How much longer a stopping daemon asks systemd for (`EXTEND_TIMEOUT_USEC`) to finish its step.
    public static let stopExtension = Duration.seconds(20)
    /// How late the daemon's timer may fire, so the kernel can batch wake-ups.
    public static let timerLeeway = Duration.milliseconds(500)
    /// How often a child process's wait reports progress to the watchdog.
    public static let childProgress = Duration.milliseconds(200)
    /// After SIGTERM at a child's timeout, the wait before SIGKILL.
    public static let childKillGrace = Duration.seconds(2)
    /// The longest a `systemd-creds encrypt` or `decrypt` of one deliver file may take (it reads a key file, or asks
    /// a TPM2, and seals a few hundred bytes: well under a second; a TPM2 under load can take seconds), then it is
    /// killed and the publish fails transiently.
    public static let credentialCipher = Duration.seconds(30)
    /// While another process's change of the state directory is unsettled, how often the watch reminds the daemon.
    public static let stateWatchReminder = Duration.seconds(1)
    /// The watchdog's allowance beyond one request timeout for a step that blocks.
    public static let watchdogStallMargin = Duration.seconds(5)
    /// How often `rotord reload` looks for the daemon's acknowledgement.
    public static let reloadPoll = Duration.milliseconds(50)
    /// Before READY=1 and while stopping, progress asks systemd for this much more time (`EXTEND_TIMEOUT_USEC`)…
    public static let startupExtension = Duration.seconds(30)
    /// …at most once per this long.
    public static let startupExtensionEvery = Duration.seconds(10)
    /// The watchdog pinger's tick, unless systemd's `WATCHDOG_USEC` asks for another.
    public static let watchdogTick = Duration.seconds(1)
    /// A wall-clock jump smaller than this between two readings is drift, not a jump.
    public static let wallClockJumpTolerance: TimeInterval = 5

    // MARK: The fleet (docs/fleet.md)

    /// How long a fleet leader's pass waits for every delivering host to confirm a published pair before the
    /// rotation is `unconfirmed` (retried with ``Backoff/rotationStep``; the old consumer kept).
    public static let fleetConfirmationWait = Duration.seconds(60)
    /// A fleet host lists its sealed copies at least this often, besides its watch (which may miss events while
    /// etcd is unreachable), a follower's daemon wakes this often to see who leads, and a leader waiting for the
    /// hosts' confirmations (woken by a watch) reads the members again this often.
    public static let fleetResync = Duration.seconds(5)
    /// After an etcd call of a fleet loop failed: the next try.
    public static let fleetRetry = Duration.seconds(1)
    /// How long `rotord rotate` in a fleet waits for the leader's answer before it gives up (exit 75).
    public static let fleetRequestWait = Duration.seconds(300)
    /// Hosts whose published wall times differ by more than this are warned about (leases, not wall clocks, decide
    /// leadership; grace ends are the leader's).
    public static let fleetClockSkewWarning = Duration.seconds(30)

    /// Why the daemon wakes.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// A consumer becomes due (its policy, jitter or `min_interval`).
        case due
        /// A rotation window opens.
        case window
        /// A rotation step is retried after a transient error.
        case retry
        /// A grace period ends.
        case grace
        /// The pause after failed rotations of a consumer ends.
        case backoff
        /// Due consumers held by `schedule.max_per_cycle` start in the next pass.
        case followUp = "follow_up"
        /// Fracttal was unreachable (or the lock or the journal was): the pass is tried again.
        case unavailable
        /// Nothing is due before `resync`: Fracttal is listed again to see changes made by hand.
        case resync
    }

    /// The next wake: when, why, and for which consumer (none for `resync` and `unavailable`).
    public struct Wake: Sendable, Hashable, CustomStringConvertible {
        /// When.
        public var at: Date
        /// Why.
        public var reason: Reason
        /// The consumer it is for, when one.
        public var consumer: String?

        /// Creates a wake.
        public init(at: Date, reason: Reason, consumer: String? = nil) {
            self.at = at
            self.reason = reason
            self.consumer = consumer
        }

        public var description: String {
            "\(reason.rawValue)" + (consumer.map { " of \($0)" } ?? "") + " at \(UTCTimestamp.format(at))"
        }
    }

    /// Why `entry` asks to be looked at again at its ``PlanEntry/nextDeadline``.
    public static func reason(of entry: PlanEntry) -> Reason {
        switch entry.status {
        case .waitingForWindow: .window
        case .backingOff: .backoff
        case .inFlight(let record): record.retryAt != nil ? .retry : .grace
        case .due: entry.deferred ? .followUp : .due
        default: .due
        }
    }

    /// The first deadline after `instant` of `plan` and of `also` (the waits of the pass that made the plan), or
    /// `nil` when nothing is ever due. The one definition of "next": the daemon's timer, `STATUS=`, `status`,
    /// `plan` and `run --once` use it.
    public static func nextWake(plan: RotationPlan?, after instant: Date, also: [Wake] = []) -> Wake? {
        var candidates = also.filter { $0.at > instant }
        for entry in plan?.entries ?? [] {
            guard let at = entry.nextDeadline, at > instant else { continue }
            candidates.append(Wake(at: at, reason: reason(of: entry), consumer: entry.managed.name))
        }
        return candidates.min { ($0.at, $0.reason.rawValue) < ($1.at, $1.reason.rawValue) }
    }

    /// What the daemon sleeps for after a pass at `now`: `next`, no sooner than ``minimumSleep`` and no later than
    /// `resync` (then the reason is ``Reason/resync``).
    public static func sleep(until next: Wake?, now: Date, resync: ConfigDuration) -> (
        seconds: TimeInterval, wake: Wake
    ) {
        let seconds = DaemonTiming.sleepSeconds(next: next?.at, now: now, resync: resync)
        let at = now.addingTimeInterval(seconds)
        guard let next, next.at <= at else { return (seconds, Wake(at: at, reason: .resync)) }
        return (seconds, next)
    }
}
