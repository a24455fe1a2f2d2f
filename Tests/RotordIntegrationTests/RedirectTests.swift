import Foundation
import FracttalSimulator
import Testing

/// Issue 14, point 3: a redirect from the token endpoint or the API is never followed, so the
/// admin key, secret and token never reach another host; a second listener on 127.0.0.1 receives
/// nothing.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct RedirectTests {
    /// A second simulator standing for the host a redirect points to.
    static func trap() async throws -> (FracttalSimulator, Int) {
        let trap = FracttalSimulator(seed: SimulatorSeed(permissionGroups: [], consumers: []))
        return (trap, try await trap.start())
    }

    @Test(arguments: ["form", "basic"])
    func tokenRedirectIsRefusedAndNothingLeaves(clientAuth: String) async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        let (trap, trapPort) = try await Self.trap()
        defer {
            s.cleanUp()
            Task { await trap.stop() }
        }
        try s.writeConfig(consumers: ["etl"], clientAuth: clientAuth)
        var faults = SimulatorFaults()
        faults.redirectTokenTo = "http://127.0.0.1:\(trapPort)/oauth/token"
        try await s.simulator.setFaults(faults)

        let plan = try await s.run(["plan"])
        #expect(plan.status == 75, "Fracttal cannot be used: \(plan.output)")
        #expect(plan.stderr.contains("obtaining the admin token: HTTP 307 redirect to 127.0.0.1:\(trapPort) refused"))
        let once = try await s.run(["run", "--once"])
        #expect(once.status == 75, "\(once.output)")
        let rotate = try await s.run(["rotate", "etl"])
        #expect(rotate.status == 1, "\(rotate.output)")

        #expect(await trap.statistics().requests == 0, "the second listener received nothing")
        #expect(await s.simulator.statistics().created == 0)
        let output = plan.output + once.output + rotate.output
        #expect(!output.contains(s.adminSecret) && !output.contains(s.adminKey), "no credential printed")
    }

    @Test func apiRedirectIsRefusedAndNothingLeaves() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        let (trap, trapPort) = try await Self.trap()
        defer {
            s.cleanUp()
            Task { await trap.stop() }
        }
        try s.writeConfig(consumers: ["etl"], clientAuth: "form")
        var faults = SimulatorFaults()
        faults.redirectAPITo = "http://127.0.0.1:\(trapPort)/api/oauth_consumers"
        faults.redirectStatus = 308
        try await s.simulator.setFaults(faults)

        let once = try await s.run(["run", "--once"])
        #expect(once.status == 75, "\(once.output)")
        #expect(once.stderr.contains("listing consumers: HTTP 308 redirect to 127.0.0.1:\(trapPort) refused"))
        let check = try await s.run(["check-config"])
        #expect(check.status == 0, "Fracttal unreachable is a warning for check-config: \(check.output)")
        #expect(check.stderr.contains("redirect"))
        #expect(await trap.statistics().requests == 0, "the second listener received nothing")
        #expect(!(once.output + check.output).contains(s.adminSecret))
    }
}
