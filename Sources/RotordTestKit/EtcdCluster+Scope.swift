import Foundation

extension EtcdCluster {
    /// Starts a cluster of `size` members, runs `body` with it, and stops it (by pid, data directories removed)
    /// however `body` ends: what a suite's scope trait does for its tests. `arguments` go to every member's command
    /// line; `partitionable` runs each member in its own network namespace (``partition(member:)``). Prints the
    /// members' URLs, prefixed by `label`.
    public static func withCluster(
        size: Int = 3, arguments: [String] = [], partitionable: Bool = false, label: String,
        _ body: (EtcdCluster) async throws -> Void
    ) async throws {
        let began = ContinuousClock.now
        let cluster = try await start(size: size, arguments: arguments, partitionable: partitionable)
        let pids = cluster.members.indices.compactMap { cluster.pid(member: $0) }.map(String.init)
        print(
            "\(label): \(size) members healthy in \(began.duration(to: .now)) at "
                + "\(cluster.clientURLs.joined(separator: " ")) (pids \(pids.joined(separator: " ")), data in "
                + "\(cluster.directory))")
        do { try await body(cluster) } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }
}
