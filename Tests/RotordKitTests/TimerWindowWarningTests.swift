import Foundation
import RotordCore
import Testing

@testable import RotordKit

/// Issue 21, point 5: `check-config` and `plan` warn about a consumer whose window never contains a run of the
/// installed `rotord.timer` (the shipped one: daily at 02:30, up to 30 minutes later).
@Suite struct TimerWindowWarningTests {
    @Test func aWindowTheShippedTimerNeverMeetsIsWarnedAbout() throws {
        let unit = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("systemd/rotord.timer"), encoding: .utf8)
        let timer = try #require(TimerSchedule.parse(unit: unit, timeZone: .gmt))
        func consumer(_ name: String, from start: Int, to end: Int) -> ManagedConsumer {
            var policy = RotationPolicy()
            policy.window = RotationWindow(
                days: Set(1...7), startMinute: start * 60, endMinute: end * 60, timeZone: .gmt)
            return ManagedConsumer(name: name, permissionGroup: "Reportes", policy: policy)
        }
        let configuration = RotordConfiguration(
            fracttal: FracttalSettings(),
            consumers: [consumer("night", from: 2, to: 4), consumer("afternoon", from: 15, to: 16)])
        let warnings = Commands.timerWindowWarnings(
            configuration, timer: timer, now: Date(timeIntervalSince1970: 1_779_969_600))
        #expect(warnings.map(\.key) == ["consumers[1].window"], "\(warnings)")
        #expect(warnings.first?.message.contains("never contains a run of rotord.timer") == true)
        #expect(Commands.timerWindowWarnings(configuration, timer: nil, now: Date()).isEmpty, "no timer, no warning")
    }
}
