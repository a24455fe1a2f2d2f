import Glibc
import RotordCore

/// The single-instance lock of a state directory (`flock` on `state_dir/lock`).
///
/// Held for the length of a reconcile pass or a manual rotation, so that two daemons, a daemon
/// and `rotord rotate`, or two `run --once` never drive the same rotation at once. The kernel
/// releases it when the process dies, even by SIGKILL.
package final class StateLock: @unchecked Sendable {
    private var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Takes the lock, waiting up to `timeout`; `nil` when another process kept it that long.
    package static func acquire(directory: String, timeout: Duration) async throws(AtomicFile.Failure) -> StateLock? {
        let path = directory + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AtomicFile.Failure(path: path, operation: "opening the lock", code: errno) }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        // Polls of 2.5–5 ms, then doubling up to 100–200 ms (the one `Backoff`, equal jitter).
        let polls = Backoff(initial: .milliseconds(5), maximum: .milliseconds(200), jitter: .equal)
        for attempt in 1...100_000 {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return StateLock(fd: fd) }
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let code = errno
                close(fd)
                throw AtomicFile.Failure(path: path, operation: "locking", code: code)
            }
            if clock.now >= deadline { break }
            try? await Task.sleep(for: polls.delay(attempt: attempt))
        }
        close(fd)
        return nil
    }

    /// Releases the lock.
    package func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
