import Foundation
import Testing

@testable import FracttalClient

/// Issue 11, point 4: every rotord of a host spends one budget. Two ``SharedRequestBudget``s on one
/// ledger file behave as two processes do (each opens the file itself; `flock` locks are per open
/// file, so they exclude each other exactly as two processes would).
@Suite struct RequestBudgetLedgerTests {
    private func ledgerPath() throws -> (String, () -> Void) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (dir + "/request-budget", { try? FileManager.default.removeItem(atPath: dir) })
    }

    @Test func sendsOfOneSharerCountForTheOther() throws {
        let (path, cleanUp) = try ledgerPath()
        defer { cleanUp() }
        let daemon = SharedRequestBudget(limit: 3, ledgerPath: path)
        let rotate = SharedRequestBudget(limit: 3, ledgerPath: path)
        #expect(daemon.ledgerPath == path && rotate.ledgerPath == path)
        let now = ContinuousClock.now
        for _ in 0..<3 { #expect(daemon.withBudget { $0.reserve(at: now) } == .zero) }
        // The daemon spent the window: the other process waits for it, about a minute.
        let wait = rotate.withBudget { $0.reserve(at: now) }
        // (Times cross processes as CLOCK_BOOTTIME nanoseconds: allow for the conversion's rounding.)
        #expect(wait > .seconds(59) && wait <= .seconds(60) + .milliseconds(1), "\(wait)")
        // A window later both may send again.
        #expect(rotate.withBudget { $0.reserve(at: now.advanced(by: .seconds(61))) } == .zero)
        var mode = stat()
        #expect(stat(path, &mode) == 0 && mode.st_mode & 0o777 == 0o600)
    }

    /// A hostile reset header (`ratelimit-reset: 9223372036854775807`, in seconds) blocks for
    /// a very long time, but never traps converting it to the ledger's nanoseconds.
    @Test func aHugeServerResetSaturatesInTheLedger() throws {
        let (path, cleanUp) = try ledgerPath()
        defer { cleanUp() }
        let daemon = SharedRequestBudget(limit: 200, ledgerPath: path)
        let rotate = SharedRequestBudget(limit: 200, ledgerPath: path)
        let now = ContinuousClock.now
        daemon.withBudget { $0.observeRateLimited(reset: .seconds(Int64.max), at: now) }
        #expect(rotate.withBudget { $0.delay(at: now) } > .seconds(100 * 365 * 86_400))
    }

    @Test func aServerBlockSeenByOneSharerStopsTheOther() throws {
        let (path, cleanUp) = try ledgerPath()
        defer { cleanUp() }
        let daemon = SharedRequestBudget(limit: 200, ledgerPath: path)
        let rotate = SharedRequestBudget(limit: 200, ledgerPath: path)
        let now = ContinuousClock.now
        daemon.withBudget { $0.observeRateLimited(reset: .seconds(20), at: now) }
        let wait = rotate.withBudget { $0.reserve(at: now) }
        // The reset, plus the second rotord allows for the server's rounding.
        #expect(wait >= .seconds(20) && wait <= .seconds(22), "\(wait)")
        // The account's remaining count, told to one, limits the other at once.
        let later = now.advanced(by: .seconds(30))
        daemon.withBudget { $0.observe(remaining: 1, reset: .seconds(30), at: later) }
        #expect(rotate.withBudget { $0.reserve(at: later) } == .zero)
        #expect(daemon.withBudget { $0.reserve(at: later) } > .zero)
    }

    @Test func aDamagedOrForeignFileIsAFreshBudget() throws {
        let (path, cleanUp) = try ledgerPath()
        defer { cleanUp() }
        try "rotord-request-budget 1\nboot another-boot\nblocked 99999999999999999\nsends 1 2 3\n"
            .write(toFile: path, atomically: false, encoding: .utf8)
        let budget = SharedRequestBudget(limit: 1, ledgerPath: path)
        #expect(budget.withBudget { $0.reserve(at: .now) } == .zero)
        try "garbage\u{0}\n".write(toFile: path, atomically: false, encoding: .utf8)
        let other = SharedRequestBudget(limit: 1, ledgerPath: path)
        #expect(other.withBudget { $0.reserve(at: .now) } == .zero)
    }

    @Test func anUnusableLedgerLeavesTheProcessItsOwnBudget() {
        let budget = SharedRequestBudget(limit: 1, ledgerPath: "/nonexistent-\(UUID().uuidString)/request-budget")
        #expect(budget.ledgerPath == nil)
        let now = ContinuousClock.now
        #expect(budget.withBudget { $0.reserve(at: now) } == .zero)
        #expect(budget.withBudget { $0.reserve(at: now) } > .zero)
    }
}
