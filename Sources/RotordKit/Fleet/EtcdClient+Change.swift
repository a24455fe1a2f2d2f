import EtcdClient
import RotordCore

extension EtcdClient {
    /// Returns when something under `prefix` changes after `revision` (a watch), or after `atMost`, whichever comes
    /// first; at once after ``Timing/fleetRetry`` when there is no revision (the listing failed). A watch that ends
    /// (etcd unreachable, a compaction) ends the wait early: the caller lists again.
    func waitForChange(under prefix: String, after revision: Int64?, atMost: Duration) async {
        guard let revision else {
            try? await Task.sleep(for: Timing.fleetRetry)
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: atMost) }
            group.addTask {
                guard let watch = try? await self.watch(prefix, prefix: true, fromRevision: revision + 1) else {
                    try? await Task.sleep(for: Timing.fleetRetry)
                    return
                }
                defer { watch.cancel() }
                var events = watch.events.makeAsyncIterator()
                _ = try? await events.next()
            }
            await group.next()
            group.cancelAll()
        }
    }
}
