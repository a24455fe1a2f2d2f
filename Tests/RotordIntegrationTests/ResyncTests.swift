import Foundation
import FracttalSimulator
import Glibc
import RotordTestKit
import Testing

/// Issue 12: the daemon lists Fracttal again at least every `schedule.resync`, so a change made by
/// hand is noticed although no deadline is near.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ResyncTests {
    @Test func aConsumerMadeByHandIsNoticedWithinTheResyncInterval() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 1)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"], extra: "schedule:\n  resync: 2s\n")
        let receiver = try FakeNotifySocket()
        defer { receiver.close() }
        let daemon = try s.start(["run"], environment: ["NOTIFY_SOCKET": receiver.path])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let ready = try #require(receiver.wait(for: "READY=1")?.message)
        #expect(ready.contains("last cycle ok"), "\(ready)")

        // Someone creates a second "etl" in the web UI: the name is now ambiguous (a problem the
        // next pass reports), and the next deadline is months away.
        await s.simulator.add(SimulatorSeed.Consumer(name: "etl", description: "made by hand", permissionGroupId: 3))
        let noticed = receiver.wait(for: "problem", timeout: 15)
        #expect(noticed != nil, "STATUS after the resync: \(receiver.messages.suffix(3))")
        kill(daemon.processIdentifier, SIGTERM)
        let stopped = await s.wait(daemon, timeout: .seconds(20))
        #expect(stopped.status == 0, "\(stopped.output)")
    }
}
