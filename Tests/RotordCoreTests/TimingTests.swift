import Foundation
import RotordCore
import Testing

/// One owner of time (docs/architecture.md, "Time"): every wait of the engine and the daemon comes from
/// `Timing`, which answers (next wake, reason).
@Suite struct TimingTests {
    static let t0 = Date(timeIntervalSince1970: 1_780_000_000)

    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// A duration written as a number in the engine or the daemon: `.seconds(60)`, `addingTimeInterval(60)`,
    /// `Duration.milliseconds(200)`, `sleep(for: .seconds(2))` …
    nonisolated(unsafe) static let literal =
        /(\.(seconds|milliseconds|microseconds|nanoseconds|minutes|hours|days)\(\s*[0-9])|(addingTimeInterval\(\s*-?[0-9])|(TimeInterval\s*=\s*[0-9])/

    @Test func theEngineAndTheDaemonHoldNoDurationLiteral() throws {
        var found: [String] = []
        for folder in ["Sources/RotordKit/Engine", "Sources/RotordKit/Daemon"] {
            let directory = Self.repository.appendingPathComponent(folder)
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            #expect(!names.isEmpty, "\(folder) has no sources")
            for name in names where name.hasSuffix(".swift") {
                let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                    if code.contains(Self.literal) { found.append("\(folder)/\(name):\(number + 1): \(line)") }
                }
            }
        }
        #expect(
            found.isEmpty,
            "durations belong to Timing (RotordCore/Time/Timing.swift):\n\(found.joined(separator: "\n"))")
    }

    static func entry(_ name: String, _ status: PlanEntry.Status, next: Date?, deferred: Bool = false) -> PlanEntry {
        var entry = PlanEntry(
            managed: ManagedConsumer(name: name, permissionGroup: "Ops"), current: nil, liveConsumers: [],
            status: status)
        entry.nextDeadline = next
        entry.deferred = deferred
        return entry
    }

    @Test func theNextWakeIsTheEarliestDeadlineWithItsReason() {
        let plan = RotationPlan(
            entries: [
                Self.entry("a", .ok, next: Self.t0.addingTimeInterval(7_200)),
                Self.entry(
                    "b", .waitingForWindow(opens: Self.t0.addingTimeInterval(600)),
                    next: Self.t0.addingTimeInterval(600)),
                Self.entry("c", .due, next: nil, deferred: true),
            ], now: Self.t0)
        let wake = Timing.nextWake(plan: plan, after: Self.t0)
        #expect(wake == Timing.Wake(at: Self.t0.addingTimeInterval(600), reason: .window, consumer: "b"))
        let retry = Timing.Wake(at: Self.t0.addingTimeInterval(30), reason: .retry, consumer: "a")
        #expect(Timing.nextWake(plan: plan, after: Self.t0, also: [retry]) == retry)
        #expect(Timing.nextWake(plan: RotationPlan(entries: [], now: Self.t0), after: Self.t0) == nil)
    }

    @Test func theDaemonSleepsAtLeastASecondAndAtMostResync() {
        let soon = Timing.Wake(at: Self.t0.addingTimeInterval(0.2), reason: .retry, consumer: "a")
        #expect(Timing.sleep(until: soon, now: Self.t0, resync: .hours(1)).seconds == 1)
        let late = Timing.Wake(at: Self.t0.addingTimeInterval(86_400), reason: .due, consumer: "a")
        let capped = Timing.sleep(until: late, now: Self.t0, resync: .hours(1))
        #expect(capped.seconds == 3_600 && capped.wake.reason == .resync)
        #expect(Timing.sleep(until: nil, now: Self.t0, resync: .hours(1)).wake.reason == .resync)
    }
}
