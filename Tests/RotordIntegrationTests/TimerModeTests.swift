import Foundation
import Testing

/// Issue 21, point 5: the timer's `run --once --next-run-in 24h` rotates a due consumer whose window no later run
/// meets before its deadline now, instead of at the first run after the deadline; without the flag (or with a
/// run that does meet the window) it waits for the window.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct TimerModeTests {
    static func hhmm(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.hour, .minute], from: date)
        return String(format: "%02d:%02d", c.hour ?? 0, c.minute ?? 0)
    }

    @Test func aDailyTimerRotatesBeforeTheDeadlineWhenNoRunMeetsTheWindow() async throws {
        // Deadline in 6 h (max_age 30d, created 29.75 days ago); a 1-hour window opening in 3 h.
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 29.75)])
        defer { s.cleanUp() }
        let now = Date()
        let window = """
              - name: etl
                permission_group: Reportes
                window:
                  start: "\(Self.hhmm(now.addingTimeInterval(3 * 3_600)))"
                  end: "\(Self.hhmm(now.addingTimeInterval(4 * 3_600)))"
                deliver:
                  - path: \(s.deliverDir)/etl.env
                    format: env

            """
        try s.writeConfig(consumers: [], maxAge: "30d", rotateBefore: "2d", extra: window)
        let old = try #require(await s.live("etl").first)

        let waits = try await s.run(["run", "--once"])
        #expect(waits.status == 0, "\(waits.output)")
        #expect(await s.live("etl").first?.id == old.id, "the daemon's rule: wait for the window")
        let hourly = try await s.run(["run", "--once", "--next-run-in", "1h"])
        #expect(hourly.status == 0, "\(hourly.output)")
        #expect(await s.live("etl").first?.id == old.id, "a run at the window's time will come")

        let daily = try await s.run(["run", "--once", "--next-run-in", "24h"])
        #expect(daily.status == 0, "\(daily.output)")
        let live = await s.live("etl")
        #expect(live.count == 1 && live.first?.id != old.id, "rotated now, before the deadline: \(daily.output)")

        let bad = try await s.run(["run", "--next-run-in", "24h"])
        #expect(bad.status == 64, "--next-run-in goes with --once: \(bad.output)")
    }
}
