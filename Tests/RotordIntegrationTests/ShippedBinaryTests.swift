import Foundation
import Testing

/// The shipped `rotord` carries no test machinery and no server code.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ShippedBinaryTests {
    @Test func ignoresFaultRequestsInItsEnvironment() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"])
        // What rotord-faults obeys (and older rotord builds obeyed): crash at the first step, or hang.
        let result = try await s.run(
            ["run", "--once"],
            environment: [
                "ROTORD_TEST_FAULTS": "1", "ROTORD_CRASH_AT": "step:creating,after:create,step:created",
                "ROTORD_HANG_AT": "step:published", "ROTORD_FAULT_ONCE_FILE": s.dir + "/once",
                // 200 days back: the 120-day-old consumer would not be due yet.
                "ROTORD_FAULT_CLOCK_OFFSET": "-17280000",
            ], timeout: .seconds(60))
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("etl: rotated"), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: s.dir + "/once"), "no fault point was reached")
        #expect(RotationEndToEndTests.secretLike(result.output).isEmpty)
    }

    @Test func containsNoFaultInjectionAndNoSimulator() throws {
        // Strings of 15 bytes or fewer are immediates in Swift code, not bytes in the file, so the
        // markers are long strings and type names (a type descriptor holds its name as a C string).
        let markers = [
            "EnvironmentFaults", "ROTORD_FAULT_ONCE_FILE", "ROTORD_TEST_FAULTS", "ROTORD_SYSTEMCTL", "Hummingbird",
            "ROTORD_FAULT_CLOCK_OFFSET", "OffsetWallClock",
        ]
        let binary = try Data(contentsOf: URL(fileURLWithPath: Scenario.rotordPath))
        for marker in markers {
            #expect(binary.range(of: Data(marker.utf8)) == nil, "\(Scenario.rotordPath) contains \(marker)")
        }
        // The test-only build has them: the search above can find what it looks for.
        let faulty = try Data(contentsOf: URL(fileURLWithPath: Scenario.rotordFaultsPath))
        for marker in ["EnvironmentFaults", "ROTORD_FAULT_ONCE_FILE", "ROTORD_FAULT_CLOCK_OFFSET", "OffsetWallClock"] {
            #expect(faulty.range(of: Data(marker.utf8)) != nil, "\(Scenario.rotordFaultsPath) lacks \(marker)")
        }
    }
}
