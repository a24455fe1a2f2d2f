import Foundation
import Glibc
import RotordTestKit
import Testing

/// A running daemon notices a manual `rotord rotate` beside it and re-plans within a second.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ManualRotationWatchTests {
    @Test func daemonReplansAfterAManualRotation() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 1), .init(name: "erp", ageDays: 1)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl", "erp"], grace: "1h")
        let receiver = try FakeNotifySocket()
        defer { receiver.close() }
        let daemon = try s.start(["run"], environment: ["NOTIFY_SOCKET": receiver.path])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let ready = try #require(receiver.wait(for: "READY=1")?.message)
        #expect(ready.contains("STATUS=2 consumers, 0 due"), "\(ready)")

        // Nothing is due for months: only the watch can make the daemon look again.
        let rotate = try await s.run(["rotate", "etl"])
        #expect(rotate.status == 0, "\(rotate.output)")
        let seen = receiver.wait(for: "STATUS=2 consumers, 1 due", timeout: 5)
        #expect(seen != nil, "\(receiver.messages)")
        if let seen { #expect(seen.seconds < 3, "re-planned \(seen.seconds) s after the rotation") }
        kill(daemon.processIdentifier, SIGTERM)
        let result = await s.wait(daemon, timeout: .seconds(20))
        #expect(result.status == 0, "\(result.output)")
    }
}
