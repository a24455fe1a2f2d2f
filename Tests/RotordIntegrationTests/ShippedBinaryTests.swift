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
            ], timeout: .seconds(60))
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("etl: rotated"), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: s.dir + "/once"), "no fault point was reached")
        #expect(RotationEndToEndTests.secretLike(result.output).isEmpty)
    }

    @Test func containsNoFaultInjectionAndNoSimulator() throws {
        // An optimized build keeps string literals of at most 15 UTF-8 bytes as immediates in the
        // code, not as bytes in the file: only longer markers prove anything about a release build.
        let binary = try Data(contentsOf: URL(fileURLWithPath: Scenario.rotordPath))
        for marker in [
            "ROTORD_CRASH_AT", "ROTORD_HANG_AT", "ROTORD_TEST_FAULTS", "ROTORD_FAULT_ONCE_FILE", "ROTORD_SYSTEMCTL",
            "Hummingbird",
        ] {
            #expect(binary.range(of: Data(marker.utf8)) == nil, "\(Scenario.rotordPath) contains \(marker)")
        }
        // The test-only build does obey them: the test above means something.
        let faulty = try Data(contentsOf: URL(fileURLWithPath: Scenario.rotordFaultsPath))
        #expect(faulty.range(of: Data("ROTORD_FAULT_ONCE_FILE".utf8)) != nil)
    }
}
