import Glibc

/// Sets the system's wall clock **to the time it already shows**, for the tests of the daemon's watch on a set
/// clock (`WallClockWatch`): for the kernel that is a setting of `CLOCK_REALTIME` like any other (every
/// `TFD_TIMER_CANCEL_ON_SET` timer is cancelled), while the clock moves by less than a microsecond. Needs
/// `CAP_SYS_TIME` (root on a machine or a privileged container).
public enum WallClockSetting {
    /// Reads `CLOCK_REALTIME` and writes the value back at once; `0`, or the `errno` of `clock_settime`
    /// (`EPERM` without `CAP_SYS_TIME`).
    public static func setToItself() -> Int32 {
        var now = timespec()
        guard clock_gettime(CLOCK_REALTIME, &now) == 0 else { return errno }
        return clock_settime(CLOCK_REALTIME, &now) == 0 ? 0 : errno
    }
}
