import CSystemd
import Foundation
import Glibc

/// Tells the daemon at once when the system's wall clock is **set** (`date -s`, an NTP step, `timedatectl
/// set-time`, a virtual machine resumed with a corrected clock): the moment every wall-clock deadline of the plan
/// moved relative to the monotonic timer the daemon sleeps on.
///
/// The kernel's own mechanism, the one systemd uses for its calendar timers: a `CLOCK_REALTIME` timerfd armed at
/// the end of time with `TFD_TIMER_CANCEL_ON_SET`, which the kernel cancels (its `read` fails with `ECANCELED`)
/// whenever the clock is set, and never otherwise. Nothing polls; an idle daemon is woken by nothing else. Where a
/// timerfd cannot be made, ``start(onChange:)`` returns `nil` and the daemon still compares the two clocks at each
/// wake (`DaemonTiming.wallClockJump`), as before.
struct WallClockWatch: Sendable {
    /// Arms the watch and calls `onChange` each time the wall clock is set, until the returned task is cancelled;
    /// `nil` when no timerfd can be made.
    static func start(onChange: @escaping @Sendable () -> Void) -> Task<Void, Never>? {
        let fd = timerfd_create(CLOCK_REALTIME, Int32(TFD_CLOEXEC) | Int32(TFD_NONBLOCK))
        guard fd >= 0 else { return nil }
        guard arm(fd) else {
            close(fd)
            return nil
        }
        let (events, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: DispatchQueue(label: "rotord.clock"))
        source.setEventHandler {
            var expirations: UInt64 = 0
            // ECANCELED: the clock was set. The timer stays cancelled until armed again.
            if read(fd, &expirations, MemoryLayout<UInt64>.size) < 0, errno == ECANCELED {
                _ = arm(fd)
                continuation.yield()
            }
        }
        source.setCancelHandler { close(fd) }
        source.resume()
        let watched = WatchedSource(source)
        return Task.detached {
            for await _ in events {
                if Task.isCancelled { break }
                onChange()
            }
            watched.cancel()
        }
    }

    /// Arms `fd` at the end of time, cancelled by any setting of the clock.
    private static func arm(_ fd: Int32) -> Bool {
        var spec = itimerspec()
        spec.it_value.tv_sec = time_t.max
        return timerfd_settime(fd, Int32(TFD_TIMER_ABSTIME) | Int32(TFD_TIMER_CANCEL_ON_SET), &spec, nil) == 0
    }
}
