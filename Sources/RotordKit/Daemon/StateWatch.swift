import Foundation
import Glibc
import Synchronization

/// Notices changes another process made to the state directory (a manual `rotord rotate` next to
/// the daemon), by polling the audit log's size and modification time once a second.
///
/// Polling one `stat` a second is cheap and works on every file system (inotify misses changes on
/// NFS and needs a descriptor per watch). The daemon calls ``settle()`` after each of its own
/// passes, so only changes made since then count; ``changed()`` compares without settling.
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

    /// Calls `onChange` about once a second while the file differs from what was last settled.
    func start(every interval: Duration = .seconds(1), onChange: @escaping @Sendable () -> Void) -> Task<Void, Never> {
        Task.detached { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if changed() { onChange() }
            }
        }
    }
}
