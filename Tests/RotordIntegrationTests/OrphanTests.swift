import Foundation
import FracttalSimulator
import Testing

/// A consumer removed from the configuration in the middle of a rotation leaves nothing behind in
/// Fracttal: whatever the rotation created is deleted, the original consumer is untouched.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct OrphanTests {
    /// The consumers carrying a rotation marker in their description.
    static func marked(_ s: Scenario) async -> [SimulatorSeed.Consumer] {
        await s.simulator.consumers().filter { $0.description?.contains("[rotord:") ?? false }
    }

    /// The steps of the rotations in flight in the journal.
    static func journalSteps(_ s: Scenario) -> [String] {
        let dir = s.stateDir + "/rotations"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }
        return files.sorted().compactMap { file in
            guard let data = FileManager.default.contents(atPath: dir + "/" + file),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return "unreadable \(file)" }
            return object["step"] as? String
        }
    }

    @Test func consumerRemovedWhileCreatingLeavesNoOrphan() async throws {
        var faults = SimulatorFaults()
        faults.loseNextCreateResponses = 1  // the create happens, its answer is lost
        faults.failDeletes = 1_000  // and the orphan cannot be deleted for now
        let s = try await Scenario(
            consumers: [.init(name: "etl", ageDays: 120), .init(name: "erp", ageDays: 10)], faults: faults)
        do {
            try await removedWhileCreating(s)
        } catch {
            s.cleanUp()
            throw error
        }
        s.cleanUp()
    }

    func removedWhileCreating(_ s: Scenario) async throws {
        try s.writeConfig(consumers: ["etl", "erp"])
        let original = try #require(await s.live("etl").first)

        // The rotation of etl stays in `creating`, its marked replacement alive in Fracttal.
        let first = try await s.run(["run", "--once"], timeout: .seconds(90))
        #expect(first.status == 75, "waiting to retry the delete: \(first.output)")
        #expect(Self.journalSteps(s) == ["creating"])
        let orphans = await Self.marked(s)
        #expect(orphans.count == 1, "the replacement of the lost create: \(orphans.map(\.name))")
        #expect(orphans.first?.name == "etl")
        await s.rememberSecrets()

        // etl leaves the configuration; deletes work again.
        try s.writeConfig(consumers: ["erp"])
        try await s.simulator.setFaults(SimulatorFaults())
        let second = try await s.run(["run", "--once"], timeout: .seconds(90))
        let third = try await s.run(["run", "--once"], timeout: .seconds(90))
        #expect(third.status == 0, "nothing left to do: \(third.output)")

        #expect(await Self.marked(s).isEmpty, "the marked replacement is deleted")
        let live = await s.live("etl")
        #expect(live.map(\.id) == [original.id], "the original consumer is untouched")
        #expect(live.first?.key == original.key)
        #expect(live.first?.secret == original.secret)
        #expect(await s.simulator.statistics().created == 1, "no second create for a consumer nobody manages")
        #expect(Self.journalSteps(s).isEmpty, "nothing in flight")
        let history = (try? String(contentsOfFile: s.stateDir + "/history.jsonl", encoding: .utf8)) ?? ""
        #expect(history.contains("no longer in the configuration"), "\(history)")

        let output = first.output + second.output + third.output
        #expect(RotationEndToEndTests.secretLike(output).isEmpty, "no secret printed: \(output)")
        for secret in await s.allSecrets() {
            #expect(!output.contains(secret), "a secret was printed")
        }
    }
}
