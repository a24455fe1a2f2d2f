import Dispatch
import Foundation
import Glibc
import Logging
import RotordCore
import ServiceLifecycle
import Synchronization
import SystemdSupport
import UnixSignals

/// `rotord run`, as a swift-service-lifecycle `Service`: reconcile, then sleep on a
/// `DispatchSourceTimer` re-armed to the next deadline; SIGHUP (a `UnixSignalsSequence`) reloads
/// the configuration; a graceful shutdown (the `ServiceGroup`'s SIGTERM/SIGINT) stops at a journaled
/// boundary; a change of the audit log by another process (a manual `rotord rotate`) triggers a pass
/// within a second (``StateWatch``).
///
/// ``Commands/runDaemon(_:logLevel:faults:)`` runs it in a `ServiceGroup` beside its
/// ``WatchdogPinger`` (``watchdogPinger()``). systemd is told `READY=1` after the first pass,
/// `STATUS=` after each, `RELOADING=1` and `STOPPING=1` at those moments, and the watchdog is pinged
/// only while ``LoopMonitor`` shows progress.
package final class Daemon: Service, Sendable {

    private struct Shared {
        var context: RotationResources
        var reloadProblem: String?
        var journalFailures = 0
        /// This host's delivery in the fleet, once ``run()`` started it.
        var fleetHost: FleetHost?
    }

    private let configPath: String
    private let shared: Mutex<Shared>
    private let notifier: SystemdNotifier
    private let monitor: LoopMonitor
    private let startup: StartupTimeout
    private let faults: any FaultInjector
    private let logger: Logger
    /// The loop's wake-ups, none of them dropped.
    private let wake = DaemonWakes()
    /// The fleet this host belongs to (`cluster:`, docs/fleet.md); `nil`: a single host, which never touches etcd.
    private let fleet: FleetNode?

    /// Loads the configuration at `configPath` and prepares the daemon; throws the configuration's
    /// errors (exit 78).
    ///
    /// Progress reaches the watchdog one way: every layer that can wait (the Fracttal client's
    /// rate-limit waits, hooks, each journaled step) calls the same `progress` closure, which beats
    /// the ``LoopMonitor`` and, before READY=1 and while stopping, extends systemd's timeout.
    package init(configPath: String, logger: Logger, faults: any FaultInjector = NoFaults())
        async throws(ConfigurationErrors)
    {
        let notifier = SystemdNotifier()
        let monitor = LoopMonitor()
        let startup = StartupTimeout(notifier: notifier)
        let configuration = try ConfigurationLoader().load(path: configPath)
        let fleet = try configuration.cluster.map { cluster throws(ConfigurationErrors) in
            try FleetNode(configuration: configuration, cluster: cluster, configPath: configPath, logger: logger)
        }
        let context: RotationResources
        do {
            context = try await RotationResources.make(
                configuration: configuration, configPath: configPath, logger: logger,
                progress: Self.progress(monitor: monitor, startup: startup), sendGate: fleet?.gate.sendRefusal)
            try await fleet?.refuseLocalOnlyRotations(context.store, configPath: configPath)
        } catch {
            await fleet?.shutdown()
            throw error
        }
        self.fleet = fleet
        self.configPath = configPath
        self.logger = logger
        self.notifier = notifier
        self.monitor = monitor
        self.startup = startup
        self.faults = faults
        self.shared = Mutex(Shared(context: context))
    }

    private static func progress(monitor: LoopMonitor, startup: StartupTimeout) -> @Sendable () -> Void {
        {
            monitor.beat()
            startup.progressed()
        }
    }

    /// Runs until the task shuts down gracefully (or is cancelled), finishing the current journaled
    /// step first; then sends `STOPPING=1` and returns.
    package func run() async {
        // Trapped before the first pass, so a SIGHUP during start-up reloads instead of ending rotord
        // (ignored as well, so one arriving after the sequence has ended cannot end it either).
        signal(SIGHUP, SIG_IGN)
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let wake = self.wake
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in hangups { wake.post(.reload) }
            }
            if let fleet {
                let context = shared.withLock { $0.context }
                let host = fleet.host(
                    configuration: context.configuration, checks: context.checks,
                    onProgress: Self.progress(monitor: monitor, startup: startup))
                shared.withLock { $0.fleetHost = host }
                group.addTask {
                    await fleet.run(host: host) { _ in wake.post(.fleet) }
                }
            }
            await withGracefulShutdownHandler {
                await self.serve()
            } onGracefulShutdown: { [self] in
                stopRequested()
            }
            group.cancelAll()
        }
        await fleet?.shutdown()
    }

    /// A graceful shutdown began (SIGTERM/SIGINT): tell systemd and wake the loop.
    private func stopRequested() {
        startup.stopping()
        notifier.stopping(status: "stopping: finishing the current step")
        notifier.extendTimeout(by: Timing.stopExtension)
        logger.notice("stop requested; finishing the current step")
        wake.post(.stop)
    }

    /// Whether the loop should end: a graceful shutdown, or the task was cancelled.
    private var stopping: Bool { Task.isShuttingDownGracefully || Task.isCancelled }

    private func serve() async {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "rotord.timer"))
        let wake = self.wake
        timer.setEventHandler { wake.post(.timer) }
        timer.schedule(wallDeadline: .distantFuture)
        timer.resume()
        defer { timer.cancel() }
        writePIDFile()
        defer { removePIDFile() }
        // A manual `rotate` next to the daemon changes the audit log: re-plan within a second.
        let watch = StateWatch(path: shared.withLock { $0.context.store.auditLog.path })
        let watching = watch.start { wake.post(.stateChanged) }
        defer { watching.cancel() }
        // The wall clock set while rotord sleeps: plan again at once from the new time.
        let clockWatch = WallClockWatch.start { wake.post(.clockSet) }
        defer { clockWatch?.cancel() }

        var report = await reconcile()
        watch.settle()
        startup.ready()
        let status = statusLine(report)
        notifier.ready(status: status)
        logger.notice("rotord ready: \(status)", metadata: CatalogMessage.daemonReady.metadata)

        var wakeups = wake.makeIterator()
        while !stopping {
            let now = Date()
            let armedAt = ContinuousClock.now
            let resync = shared.withLock { $0.context.configuration.schedule.resync }
            // The one answer to "when next, and why" (Timing); the timer is monotonic, so a wall-clock step
            // neither fires it early nor holds it back.
            let (seconds, _) = Timing.sleep(until: report.nextWake, now: now, resync: resync)
            timer.schedule(
                deadline: .now() + seconds, leeway: .nanoseconds(Int(Timing.timerLeeway.saturatingNanoseconds)))
            monitor.idle(until: .now.advanced(by: .seconds(seconds)))
            let reason = await wake.next(&wakeups) ?? .stop
            monitor.beat()
            // Deadlines are wall-clock dates: if the clock was set while rotord slept, this wake plans again
            // from the new time (the monotonic timer fired when it was due).
            let jump = DaemonTiming.wallClockJump(
                wallThen: now, monotonicThen: armedAt, wallNow: Date(), monotonicNow: .now)
            if let jump, reason != .stop {
                logger.notice(
                    "the wall clock moved by \(Int(saturating: jump.rounded())) s while rotord slept; planning again")
            }
            switch reason {
            case .stop:
                break
            case .reload:
                await reload()
                report = await reconcile()
            case .timer, .fleet:
                report = await reconcile()
            case .clockSet:
                if jump == nil { logger.notice("the wall clock was set; planning again") }
                report = await reconcile()
            case .stateChanged:
                // Another process changed the state (its audit lines). Wait until it has released the
                // lock (the watch asks again each second until then), so this pass never waits on it.
                if jump == nil {
                    guard watch.changed(), await Self.lockIsFree(shared.withLock { $0.context.store.directory })
                    else { continue }
                    logger.info("the state directory changed (a manual rotation?); planning again")
                }
                report = await reconcile()
            }
            watch.settle()
            if !stopping { notifier.status(statusLine(report)) }
        }
        notifier.stopping(status: "stopping")
        logger.notice("rotord stopped")
    }

    // MARK: - Passes

    private func reconcile() async -> Reconciler.Report {
        let context = shared.withLock { $0.context }
        let progress = Self.progress(monitor: monitor, startup: startup)
        if let fleet {
            if let waiting = await Self.fleetFollowing(fleet) { return waiting }
            fleet.takeOverBudget(context.requestBudget)
        }
        let leader = fleet?.leader(pinnedKeys: context.configuration.cluster?.pinnedKeys, onProgress: progress)
        let reconciler = Reconciler(
            configuration: context.configuration, store: context.store, directory: context.directory,
            faults: faults, logger: logger, lockTimeout: Timing.daemonLockTimeout,
            onProgress: progress, checks: context.checks, fleet: leader)
        var report =
            if let leader { await Self.leaderPass(reconciler, leader: leader, store: context.store) } else {
                await reconciler.pass()
            }
        if let fleet { report.fleetBlocking = fleet.blockers.snapshot }
        MetricsTextfile.publish(
            report: report, configuration: context.configuration, store: context.store, logger: logger,
            traffic: context.requestBudget?.traffic)
        let journalBroken = report.outcomes.contains { if case .journalFailed = $0.outcome { true } else { false } }
        let failures = shared.withLock {
            $0.journalFailures = journalBroken ? $0.journalFailures + 1 : 0
            return $0.journalFailures
        }
        if failures >= 3 {
            logger.critical(
                "the rotation journal cannot be written three passes in a row; asking systemd to restart rotord")
            notifier.watchdogTrigger()
        }
        return report
    }

    /// A fleet host that does not lead (or leads but is still settling into its term) runs no pass: the report
    /// says who leads and when to look again. `nil`: lead.
    private static func fleetFollowing(_ fleet: FleetNode) async -> Reconciler.Report? {
        let now = Date()
        var report = Reconciler.Report(at: now)
        if fleet.isLeader {
            guard let settled = fleet.gate.settledAt, ContinuousClock.now < settled else { return nil }
            let wait = ContinuousClock.now.duration(to: settled)
            report.fleet = "leads the fleet (settling into its term)"
            report.nextWake = Timing.Wake(at: now.addingTimeInterval(wait.timeInterval), reason: .resync)
            return report
        }
        let leader = await fleet.leaderName()
        report.fleet = "fleet host \(fleet.settings.host), following \(leader ?? "no leader yet")"
        report.nextWake = Timing.Wake(at: now.addingTimeInterval(Timing.fleetResync.timeInterval), reason: .resync)
        return report
    }

    /// Whether no other process holds the state lock right now.
    private static func lockIsFree(_ directory: String) async -> Bool {
        guard let lock = try? await StateLock.acquire(directory: directory, timeout: .zero) else { return false }
        lock.release()
        return true
    }

    // MARK: - Reload

    private func reload() async {
        notifier.reloading()
        let oldStore = shared.withLock { $0.context.store }
        // `rotord reload` looks for the answer in the new file's state_dir: answer in both.
        var answerIn = [oldStore.directory]
        let result: Result<RotationResources, ConfigurationErrors>
        do throws(ConfigurationErrors) {
            let configuration = try ConfigurationLoader().load(path: configPath)
            if let fleet, configuration.cluster?.fixedAtStart != fleet.settings.fixedAtStart {
                // The election, the etcd client and the host key were made at start: a reload cannot move them.
                throw ConfigurationErrors(errors: [
                    .init(
                        file: configPath, key: "cluster",
                        message:
                            "cluster: changed (etcd, host, key, eligibility or lease); a reload applies every other "
                            + "change (cluster.pinned_keys included): restart rotord to apply it")
                ])
            }
            if configuration.stateDirectory != oldStore.directory {
                answerIn.append(configuration.stateDirectory)
                // Rotations in flight live in the old directory (their secrets, their old consumers):
                // moving away from it would abandon them.
                let inFlight = ((try? oldStore.rotations()) ?? []).filter { !$0.step.isTerminal }
                if !inFlight.isEmpty {
                    throw ConfigurationErrors(errors: [
                        .init(
                            file: configPath, key: "state_dir",
                            message:
                                "cannot move from \(oldStore.directory) to \(configuration.stateDirectory) while "
                                + "rotations are in flight there (\(inFlight.map(\.consumerName).joined(separator: ", ")));"
                                + " reload again once they are done, or restart rotord")
                    ])
                }
            }
            // The new client keeps the old one's request budget: a reload does not refill it.
            let budget = shared.withLock { $0.context.requestBudget }
            result = .success(
                try await RotationResources.make(
                    configuration: configuration, configPath: configPath, logger: logger,
                    progress: Self.progress(monitor: monitor, startup: startup), budget: budget,
                    sendGate: fleet?.gate.sendRefusal))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let context):
            let host = shared.withLock {
                $0.context = context
                $0.reloadProblem = nil
                return $0.fleetHost
            }
            if let host {
                // What this host delivers, and each consumer's policy, as the fleet sees them (`hosts/<h>`).
                host.reconfigure(configuration: context.configuration, checks: context.checks)
                do { try await host.register() } catch {
                    let text =
                        "fleet: the reloaded membership of \(host.settings.host) could not be written to etcd "
                        + "(\(error)); the fleet still sees the previous one: reload again once etcd answers"
                    logger.warning("\(text)")
                }
            }
            logger.notice("configuration reloaded from \(configPath)")
            for dir in answerIn where FileManager.default.fileExists(atPath: dir) {
                ReloadAcknowledgement.write(stateDirectory: dir, ok: true, message: "reloaded")
            }
        case .failure(let errors):
            let first = errors.errors.first?.description ?? "invalid configuration"
            shared.withLock { $0.reloadProblem = first }
            logger.error(
                "configuration reload failed; keeping the previous configuration: \(errors.description)",
                metadata: CatalogMessage.configReloadFailed.metadata)
            for dir in answerIn where FileManager.default.fileExists(atPath: dir) {
                ReloadAcknowledgement.write(stateDirectory: dir, ok: false, message: errors.description)
            }
        }
        notifier.ready()
    }

    // MARK: - Status

    func statusLine(_ report: Reconciler.Report) -> String {
        let problem = shared.withLock { $0.reloadProblem }
        var parts: [String] = []
        if let plan = report.plan {
            let due = plan.entries.filter {
                switch $0.status {
                case .due, .inFlight, .waitingForWindow: true
                default: false
                }
            }.count
            parts.append("\(plan.entries.count) consumers, \(due) due")
            let now = Date()
            if let wake = report.nextWake, wake.at > now {
                let wait = ConfigDuration(seconds: Int64(saturating: wake.at.timeIntervalSince(now))).humanReadable
                parts.append(
                    "next: \(wake.reason.rawValue)" + (wake.consumer.map { " of \($0)" } ?? "") + " in \(wait)")
            }
        }
        let time = ConsumerReport.timestamp(report.at).split(separator: " ").last.map { String($0.prefix(5)) } ?? ""
        if let unavailable = report.unavailable {
            parts.append("last cycle \(time): waiting to retry: \(unavailable)")
        } else if report.failedCount > 0 || !report.problems.isEmpty {
            parts.append("last cycle \(time): \(report.failedCount) failed, \(report.problems.count) problem(s)")
        } else if report.unconfirmedCount > 0 {
            parts.append("last cycle \(time): \(report.unconfirmedCount) unconfirmed")
        } else {
            parts.append("last cycle ok \(time)")
        }
        if report.unconfirmedCount > 0 {
            let names = report.outcomes.filter { $0.record.step == .unconfirmed }.map(\.consumer)
            parts.append("NOT CONFIRMED, old consumer kept: \(names.joined(separator: ", "))")
        }
        if let problem { parts.append("config reload failed: \(problem); running the previous configuration") }
        if let fleet = report.fleet { parts.insert(fleet, at: 0) }
        if !report.fleetBlocking.isEmpty {
            let held = report.fleetBlocking.sorted { $0.key < $1.key }.map {
                "\($0.key) (\($0.value.joined(separator: ", ")))"
            }
            parts.append("OLD CONSUMER KEPT, waiting for hosts: \(held.joined(separator: "; "))")
        }
        return parts.joined(separator: "; ").replacingOccurrences(of: "\n", with: " ")
    }

    // MARK: - Watchdog, pid file

    /// The watchdog's pinger, to run as a second service beside the daemon, when systemd enabled the
    /// watchdog (`$WATCHDOG_USEC`); `nil` otherwise.
    func watchdogPinger() -> WatchdogPinger? {
        guard let settings = WatchdogSettings.fromEnvironment() else { return nil }
        let timeout = shared.withLock { $0.context.configuration.fracttal.timeout }
        // A legitimate step can block for one request timeout; allow that plus a margin.
        let maxStall = max(settings.interval, .seconds(timeout.seconds) + Timing.watchdogStallMargin)
        let notifier = self.notifier
        logger.info("watchdog enabled: ping every \(settings.pingInterval), allowed stall \(maxStall)")
        return WatchdogPinger(maxStall: maxStall, every: settings.pingInterval, monitor: monitor, logger: logger) {
            notifier.watchdogPing()
        }
    }

    private var pidPath: String { shared.withLock { $0.context.store.directory } + "/rotord.pid" }

    private func writePIDFile() {
        _ = try? AtomicFile.write(Array("\(getpid())\n".utf8), to: pidPath, mode: 0o600, skipIfUnchanged: false)
    }

    private func removePIDFile() { unlink(pidPath) }
}
