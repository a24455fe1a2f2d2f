import Foundation
import RotordCore

extension Commands {
    /// `rotord run --once` on a fleet host (docs/fleet.md, docs/cli.md): this host's own part, once. Only the
    /// leader's daemon acts on Fracttal, so this registers the host (`hosts/<h>`), delivers every copy sealed to it
    /// that it has not answered (publish, actions, probe, confirmation) and prints the fleet's rotations in flight.
    /// 0 nothing is held back; 1 a host (this one or another) holds a rotation's old consumer back; 75 etcd cannot
    /// be reached or another rotord holds the state directory; 78 a configuration error (or unfinished rotations
    /// from before `cluster:`).
    static func fleetRunOnce(_ context: RotationResources, _ cluster: ClusterSettings, configPath: String) async
        -> Int32
    {
        let node: FleetNode
        do {
            node = try FleetNode(
                configuration: context.configuration, cluster: cluster, configPath: configPath,
                logger: context.logger)
        } catch {
            printError("\(error)")
            return ExitStatus.config
        }
        let code = await fleetRunOnce(context, node: node, configPath: configPath)
        await node.shutdown()
        return code
    }

    private static func fleetRunOnce(_ context: RotationResources, node: FleetNode, configPath: String) async -> Int32 {
        let cluster = node.settings
        do { try await node.refuseLocalOnlyRotations(context.store, configPath: configPath) } catch {
            printError("\(error)")
            return ExitStatus.config
        }
        // As a pass does: one rotord at a time drives what this state directory holds.
        guard let lock = await stateLock(context.store, timeout: Timing.commandLockTimeout) else {
            return ExitStatus.tempFail
        }
        defer { lock.release() }
        let host = node.host(configuration: context.configuration, checks: context.checks, onProgress: {})
        let status: FleetStatus
        do {
            try await host.register()
            try await host.deliverPass()
            status = try await FleetStatus.read(
                client: node.client, keys: node.keys, now: Date(), aliveWriteAge: .seconds(cluster.leaseTTL.seconds),
                trust: cluster)
        } catch {
            printError(
                "fleet \(cluster.prefix): etcd: \(error); nothing more was delivered to \(cluster.host): the next run "
                    + "tries again")
            return ExitStatus.tempFail
        }
        print(
            ([
                "fleet \(cluster.prefix): \(cluster.host) registered and delivered what is sealed to it; \(status.summary)"
            ]
                + status.detailLines).joined(separator: "\n"))
        let held = status.rotations.contains { $0.hosts.contains(where: \.blocking) }
        return held ? ExitStatus.failure : ExitStatus.success
    }
}
