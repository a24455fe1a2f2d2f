import Foundation
import Glibc
import RotordCore
import Synchronization

/// Notices changes another process made to the state directory (a manual `rotord rotate` next to
/// the daemon): the audit log's size and modification time.
///
/// It waits on inotify (`IN_MODIFY`, `IN_CLOSE_WRITE`, `IN_MOVED_TO`, `IN_CREATE` on the state
/// directory), so an idle daemon is woken by nothing but a change: no poll. Where inotify cannot be
/// used (no descriptors left, a kernel without it), it falls back to one `stat` a second; inotify
/// does not see changes made by another machine on a network file system, which a state directory
/// should not be. The daemon calls ``settle()`` after each of its own passes, so only changes made
/// since then count; ``changed()`` compares without settling.
final class StateWatch: Sendable {
    private struct Signature: Equatable {
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    /// The watched file (`STATE_DIR/audit.jsonl`).
    let path: String
    private let seen = Mutex<Signature?>(nil)

    /// Watches `path`; the current state counts as seen.
    init(path: String) {
        self.path = path
        settle()
    }

    private func signature() -> Signature? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Signature(size: Int64(st.st_size), seconds: st.st_mtim.tv_sec, nanoseconds: st.st_mtim.tv_nsec)
    }

    /// Whether the file changed since the last ``settle()``.
    func changed() -> Bool {
        let now = signature()
        return seen.withLock { $0 != now }
    }

    /// Marks the file's current state as seen.
    func settle() {
        let now = signature()
        seen.withLock { $0 = now }
    }

    /// Calls `onChange` when the file differs from what was last settled: at once on an inotify
    /// event and then every `interval` until it is settled, or at each poll (`interval`) without
    /// inotify. Cancel the task to stop.
    func start(every interval: Duration = Timing.stateWatchReminder, onChange: @escaping @Sendable () -> Void) -> Task<
        Void, Never
    > {
        let mask = UInt32(IN_MODIFY) | UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_CREATE)
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return poll(every: interval, onChange: onChange) }
        guard inotify_add_watch(fd, AtomicFile.parent(of: path), mask) >= 0 else {
            close(fd)
            return poll(every: interval, onChange: onChange)
        }
        let (events, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let source = DispatchSource.makeReadSource(
            fileDescriptor: fd, queue: DispatchQueue(label: "rotord.state-watch"))
        source.setEventHandler {
            // Drain the events; what changed is read from the file itself.
            var buffer = [UInt8](repeating: 0, count: 4_096)
            for _ in 0..<64 where buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
            continuation.yield()
        }
        source.setCancelHandler { close(fd) }
        source.resume()
        let watched = WatchedSource(source)
        return Task.detached { [self] in
            for await _ in events {
                // Until the daemon settles the change (after its pass), remind it every `interval`:
                // the writer may still hold the state lock when its last write is seen. An idle
                // daemon has nothing unsettled, so nothing wakes it.
                while !Task.isCancelled, changed() {
                    onChange()
                    try? await Task.sleep(for: interval)
                }
            }
            watched.cancel()
        }
    }

    /// The fallback: one `stat` every `interval`.
    private func poll(every interval: Duration, onChange: @escaping @Sendable () -> Void) -> Task<Void, Never> {
        Task.detached { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if changed() { onChange() }
            }
        }
    }
}
