import Glibc
import RotordCore

/// The request budget on disk, shared by every rotord process of a host that uses the same state
/// directory (the daemon, `run --once`, `rotate`, `plan`), so that together they never send more
/// than the account allows: two processes each spending their own `requests_per_minute` would
/// spend it twice. See docs/fracttal-api.md, "Rate limit".
///
/// The file holds the send times of the last window and what the server said of the account's
/// budget (its block and its remaining count), as `CLOCK_BOOTTIME` nanoseconds tagged with the
/// boot id: a file from an earlier boot is ignored. Every use is one `flock`-protected
/// read-modify-write. It is not fsync'd: it is advice about the last minute, and losing it to a
/// crash costs at most one window of caution, never a rotation step.
final class RequestBudgetLedger: @unchecked Sendable {
    /// Sends kept in the file at most (a window's worth is all that matters).
    static let maximumSends = 4_096

    /// The file's path.
    let path: String
    private let fd: Int32
    private let bootID: String

    /// Opens (creating, 0600) the ledger at `path`; `nil` when it cannot be opened (a read-only
    /// state directory): the budget is then the process's own.
    init?(path: String) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.path = path
        self.bootID = Self.readBootID()
    }

    deinit { close(fd) }

    /// Runs `body` on `budget` with the shared state loaded into it, and stores the result, under
    /// an exclusive lock on the file. `budget`'s own limit and window are kept.
    func transact<R>(_ budget: inout RequestBudget, _ body: (inout RequestBudget) -> R) -> R {
        guard flock(fd, LOCK_EX) == 0 else { return body(&budget) }
        defer { flock(fd, LOCK_UN) }
        let now = ContinuousClock.now
        let nowNanos = Self.bootNanoseconds()
        let stored = read()
        // Send times older than a window no longer count against anything.
        let horizon = nowNanos.saturatingSubtracting(budget.window.saturatingNanoseconds)
        var sends = stored.sends.filter { $0 > horizon && $0 <= nowNanos + 1_000_000_000 }
        var loaded = RequestBudget(limit: budget.limit, window: budget.window)
        for nanos in sends.suffix(max(budget.limit, 0)) { loaded.record(at: Self.instant(nanos, now, nowNanos)) }
        loaded.setServerState(
            blockedUntil: stored.blocked.map { Self.instant($0, now, nowNanos) },
            allowance: stored.allowance.map { ($0.count, Self.instant($0.until, now, nowNanos)) })
        let before = loaded.recordedCount
        let result = body(&loaded)
        let added = loaded.recordedCount - before
        if added > 0 { sends += loaded.sendTimes.suffix(added).map { Self.nanos($0, now, nowNanos) } }
        write(
            sends: Array(sends.suffix(Self.maximumSends)),
            blocked: loaded.blockedUntil.map { Self.nanos($0, now, nowNanos) },
            allowance: loaded.allowance.map { ($0.count, Self.nanos($0.until, now, nowNanos)) })
        budget = loaded
        return result
    }

    // MARK: - The file

    private struct Stored {
        var sends: [Int64] = []
        var blocked: Int64?
        var allowance: (count: Int, until: Int64)?
    }

    /// Format, one item per line: `rotord-request-budget 1`, `boot ID`, `blocked NS`,
    /// `allowance COUNT NS`, `sends NS NS …`. Anything unreadable is an empty ledger.
    private func read() -> Stored {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        var offset: off_t = 0
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
            offset += off_t(n)
        }
        var stored = Stored()
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard lines.first == "rotord-request-budget 1", lines.count > 1, lines[1] == "boot \(bootID)" else {
            return stored
        }
        for line in lines.dropFirst(2) {
            let fields = line.split(separator: " ")
            switch fields.first {
            case "blocked": stored.blocked = fields.count == 2 ? Int64(fields[1]) : nil
            case "allowance":
                if fields.count == 3, let count = Int(fields[1]), let until = Int64(fields[2]) {
                    stored.allowance = (count, until)
                }
            case "sends": stored.sends = fields.dropFirst().compactMap { Int64($0) }.sorted()
            default: break
            }
        }
        return stored
    }

    private func write(sends: [Int64], blocked: Int64?, allowance: (count: Int, until: Int64)?) {
        var text = "rotord-request-budget 1\nboot \(bootID)\n"
        if let blocked { text += "blocked \(blocked)\n" }
        if let allowance { text += "allowance \(allowance.count) \(allowance.until)\n" }
        text += "sends" + sends.map { " \($0)" }.joined() + "\n"
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        if written == bytes.count { ftruncate(fd, off_t(bytes.count)) }
    }

    // MARK: - Time

    /// `CLOCK_BOOTTIME` now, in nanoseconds: one clock for every process of the host.
    private static func bootNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_BOOTTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    private static func instant(_ nanos: Int64, _ now: ContinuousClock.Instant, _ nowNanos: Int64)
        -> ContinuousClock.Instant
    {
        now.advanced(by: .nanoseconds(nanos.saturatingSubtracting(nowNanos)))
    }

    private static func nanos(_ instant: ContinuousClock.Instant, _ now: ContinuousClock.Instant, _ nowNanos: Int64)
        -> Int64
    {
        nowNanos.saturatingAdding(now.duration(to: instant).saturatingNanoseconds)
    }

    private static func readBootID() -> String {
        let fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "unknown" }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return "unknown" }
        return String(decoding: buffer[0..<n], as: UTF8.self).filter { $0.isHexDigit || $0 == "-" }
    }
}
