import Foundation
import FracttalSimulator
import Logging
import RotordCore
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing

@testable import RotordKit

/// The daemon and its watchdog pinger as swift-service-lifecycle services: a graceful shutdown
/// (what the `ServiceGroup` starts on SIGTERM/SIGINT) is triggered at a chosen point, with no
/// signal and no sleep, and the service stops at the next journaled boundary.
@Suite(.timeLimit(.minutes(1)))
struct DaemonServiceTests {
    /// Triggers the graceful shutdown when the rotation reaches `point`.
    struct ShutdownAt: FaultInjector {
        let point: String
        let trigger: GracefulShutdownTestTrigger

        func reached(_ reached: String) async {
            if reached == point { trigger.triggerGracefulShutdown() }
        }
    }

    static var quiet: Logger {
        var logger = Logger(label: "rotord-test")
        logger.logLevel = .critical
        return logger
    }

    @Test func aGracefulShutdownAfterTheCreateLeavesTheRotationResumable() async throws {
        let world = HostileWorld()
        defer { world.remove() }
        let simulator = FracttalSimulator(
            seed: SimulatorSeed(
                permissionGroups: [
                    .init(id: 1, name: "Super Administrador", superAdmin: true), .init(id: 3, name: "Reportes"),
                ],
                consumers: [
                    .init(
                        name: "rotord-admin", permissionGroupId: 1, key: HostileWorld.adminKey,
                        secret: HostileWorld.adminSecret),
                    .init(name: "etl", permissionGroupId: 3, createdAt: Date().addingTimeInterval(-120 * 86_400)),
                ]))
        let port = try await simulator.start()
        do {
            let yaml = world.yaml(consumer: HostileWorld.deliver(world.out + "/etl.env"))
                .replacingOccurrences(of: "https://one.fracttal.com", with: "http://127.0.0.1:\(port)")
                .replacingOccurrences(of: "https://app.fracttal.com", with: "http://127.0.0.1:\(port)")
            try yaml.write(toFile: world.configPath, atomically: true, encoding: .utf8)

            try await testGracefulShutdown { trigger in
                let daemon = try await Daemon(
                    configPath: world.configPath, logger: Self.quiet,
                    faults: ShutdownAt(point: "after:create", trigger: trigger))
                // Returns only because of the shutdown: the first pass stops after the create, and the
                // loop does not sleep.
                await daemon.run()
            }

            let records = try StateStore(directory: world.stateDir, create: false).rotations()
            #expect(records.map(\.step) == [.created], "the rotation stopped at the journaled step after the create")
            #expect(await simulator.consumers().filter { $0.name.hasPrefix("etl") }.count == 2, "the new consumer kept")
            #expect(await simulator.statistics().deleted == 0)
            #expect(!FileManager.default.fileExists(atPath: world.stateDir + "/rotord.pid"), "the pid file removed")
        } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }

    @Test func theWatchdogPingerStopsOnAGracefulShutdownWithoutWaitingForItsNextTick() async {
        let pings = Mutex(0)
        let pinger = WatchdogPinger(
            maxStall: .seconds(30), every: .seconds(3600), monitor: LoopMonitor(), logger: Self.quiet
        ) { pings.withLock { $0 += 1 } }
        await testGracefulShutdown { trigger in
            async let running: Void = pinger.run()
            trigger.triggerGracefulShutdown()
            await running
        }
        #expect(pings.withLock { $0 } <= 1, "at most the first tick, then no sleep of an hour")
    }
}
