import Foundation
import FracttalSimulator
import Glibc
import RotordCore
import Testing

/// Issue 12, point 2: an `adopt:` rule brings a consumer made by hand under policy without editing the file.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct AdoptionTests {
    /// The `adopt:` section: `etl-*` in Reportes, delivered to `adopted-{{name}}.env`.
    static func rule(_ s: Scenario) -> String {
        """
        adopt:
          - name: "etl-*"
            permission_group: Reportes
            deliver:
              - path: \(s.deliverDir)/adopted-{{name}}.env
                format: env

        """
    }

    /// The reports of `plan --json` / `status --json`, by consumer name.
    static func reports(_ result: Scenario.Result) throws -> [String: [String: Any]] {
        let parsed = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        let list = try #require(parsed, "\(result.output)")
        return Dictionary(list.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func aConsumerMadeByHandIsAdoptedRotatedAndDeliveredAtItsRenderedPath() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl-explicit", ageDays: 120)])
        defer { s.cleanUp() }
        let explicitOld = try #require(await s.live("etl-explicit").first)
        let byHand = await IdentityTests.add(s, "etl-hand", ageDays: 120)
        let fresh = await IdentityTests.add(s, "etl-fresh", ageDays: 5)
        let other = await IdentityTests.add(s, "other", ageDays: 400)
        let otherGroup = await IdentityTests.add(s, "etl-int", group: 4, ageDays: 400)
        try s.writeConfig(consumers: ["etl-explicit"], extra: Self.rule(s))

        let check = try await s.run(["check-config", "--offline"])
        #expect(check.status == 0 && check.stdout.contains("1 adopt rule"), "\(check.output)")

        let plan = try await s.run(["plan", "--json"])
        #expect(plan.status == 0, "\(plan.output)")
        let before = try Self.reports(plan)
        #expect(before.keys.sorted() == ["etl-explicit", "etl-fresh", "etl-hand"], "\(plan.stdout)")
        #expect(before["etl-explicit"]?["adopted_by"] == nil, "a configured consumer is never adopted")
        #expect(before["etl-hand"]?["adopted_by"] as? String == "adopt[0]")
        #expect(before["etl-hand"]?["status"] as? String == "due")
        #expect(before["etl-fresh"]?["status"] as? String == "ok")

        let run = try await s.run(["run", "--once"])
        #expect(run.status == 0, "\(run.output)")
        let live = await s.live("etl-hand")
        #expect(!live.contains { $0.id == byHand.id }, "the adopted consumer's old credential is deleted (grace 0s)")
        let replacement = try #require(live.first { $0.description?.contains("[rotord:") == true })
        #expect(live.count == 1)
        let pair = try #require(s.envPair("adopted-etl-hand"), "the deliver file is at the rendered path")
        #expect(pair.key == replacement.key)
        #expect(await s.simulator.isAccepted(key: pair.key, secret: pair.secret), "the delivered pair works")
        #expect(s.mode("\(s.deliverDir)/adopted-etl-hand.env") == 0o600)
        #expect(!(await s.live("etl-explicit").contains { $0.id == explicitOld.id }), "the configured one rotates too")
        #expect(s.envPair("adopted-etl-explicit") == nil, "the configured consumer's files only")
        #expect(s.envPair("etl-explicit") != nil)
        #expect(await s.live("etl-fresh").map(\.id) == [fresh.id], "not due: untouched")
        #expect(await s.live("other").map(\.id) == [other.id], "no rule matches: untouched")
        #expect(await s.live("etl-int").map(\.id) == [otherGroup.id], "another group: untouched")
        #expect(await s.simulator.statistics().deleted == 2)
        await IdentityTests.noSecret(s, run.output)

        // The replacement (same name, same group) is still matched: it stays managed, and nothing is due.
        let again = try await s.run(["run", "--once"])
        #expect(again.status == 0 && again.stdout.contains("nothing due"), "\(again.output)")
        let after = try Self.reports(try await s.run(["status", "--json"]))
        #expect(after["etl-hand"]?["adopted_by"] as? String == "adopt[0]")
        #expect(after["etl-hand"]?["status"] as? String == "ok")
        #expect(after["etl-hand"]?["consumer_id"] as? Int == replacement.id)
        #expect(after["etl-hand"]?["last_rotation"] != nil, "the history of an adopted consumer is kept")

        let online = try await s.run(["check-config"])
        #expect(online.status == 0, "\(online.output)")
        #expect(online.stdout.contains("adopted: etl-fresh (adopt[0]), etl-hand (adopt[0])"), "\(online.stdout)")
        // rotate NAME takes an adopted name like a configured one.
        let rotate = try await s.run(["rotate", "etl-fresh"])
        #expect(rotate.status == 0, "\(rotate.output)")
        #expect(!(await s.live("etl-fresh").contains { $0.id == fresh.id }))
        #expect(s.envPair("adopted-etl-fresh")?.key == (await s.live("etl-fresh")).first?.key)
        let unknown = try await s.run(["rotate", "other"])
        #expect(unknown.status == 78 && unknown.stderr.contains("no adopt: rule"), "\(unknown.output)")
        await IdentityTests.noSecret(s, rotate.output + online.output)
    }

    @Test func aNameUnsafeInAPathIsRefusedLoudlyAndNothingIsWritten() async throws {
        let s = try await Scenario(consumers: [.init(name: "kept", ageDays: 5)])
        defer { s.cleanUp() }
        let unsafe = await IdentityTests.add(s, "etl-..x", ageDays: 120)
        try s.writeConfig(consumers: ["kept"], extra: Self.rule(s))

        let status = try await s.run(["status", "--json"])
        let reports = try Self.reports(status)
        #expect(reports["etl-..x"]?["status"] as? String == "refused", "\(status.output)")
        #expect((reports["etl-..x"]?["detail"] as? String)?.contains("not safe in a file path") == true)
        let check = try await s.run(["check-config", "--json"])
        #expect(check.status == 0, "a refused consumer is a warning, the rules are valid: \(check.output)")
        let items = try? JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [[String: Any]]
        let warning = items?.first { $0["key"] as? String == "adopt[0]" }
        #expect(warning?["severity"] as? String == "warning", "\(check.stdout)")
        #expect((warning?["message"] as? String)?.contains("etl-..x") == true)

        let run = try await s.run(["run", "--once"])
        #expect(run.status == 1, "a refused adoption is a problem: \(run.output)")
        #expect(run.stderr.contains("etl-..x") && run.stderr.contains("not safe"), "\(run.stderr)")
        #expect(await s.live("etl-..x").map(\.id) == [unsafe.id], "never rotated")
        let written = (try? FileManager.default.contentsOfDirectory(atPath: s.deliverDir)) ?? []
        #expect(written.isEmpty, "nothing written: \(written)")
        await IdentityTests.noSecret(s, run.output + status.output)
    }

    @Test func anAdoptedRotationInGraceIsResumedWithItsRuleAfterARestart() async throws {
        let s = try await Scenario(consumers: [.init(name: "kept", ageDays: 5)])
        defer { s.cleanUp() }
        let byHand = await IdentityTests.add(s, "etl-hand", ageDays: 120)
        try s.writeConfig(consumers: ["kept"], grace: "1h", extra: Self.rule(s))

        let first = try await s.run(["run", "--once"])
        #expect(first.status == 0, "\(first.output)")
        let pair = try #require(s.envPair("adopted-etl-hand"))
        #expect(await s.live("etl-hand").count == 2, "the old consumer lives through grace")

        // A new process (a restart): the rotation in flight is driven with its rule, not as unmanaged.
        let second = try await s.run(["run", "--once"])
        #expect(second.status == 0, "\(second.output)")
        #expect(!second.output.contains("no longer in the configuration"), "\(second.output)")
        let status = try Self.reports(try await s.run(["status", "--json"]))
        #expect(status["etl-hand"]?["adopted_by"] as? String == "adopt[0]")
        #expect(status["etl-hand"]?["status"] as? String == "in_flight", "\(status)")
        #expect(await s.live("etl-hand").contains { $0.id == byHand.id }, "deleted only after grace")
        #expect(s.envPair("adopted-etl-hand")?.key == pair.key)
        await IdentityTests.noSecret(s, first.output + second.output)
    }

    /// A rotation of an adopted consumer killed right after the create: a restarted rotord finishes it with the
    /// rule (publishes at the rendered path); with the rule removed instead, the machine's unmanaged event
    /// deletes only the replacement rotord made, and leaves the consumer made by hand alone.
    @Test(arguments: [true, false])
    func anAdoptedRotationKilledAfterCreateIsFinishedOrUndone(keepRule: Bool) async throws {
        let s = try await Scenario(consumers: [.init(name: "kept", ageDays: 5)])
        defer { s.cleanUp() }
        let byHand = await IdentityTests.add(s, "etl-hand", ageDays: 120)
        try s.writeConfig(consumers: ["kept"], extra: Self.rule(s))
        let killed = try await s.run(["run", "--once"], environment: ["ROTORD_CRASH_AT": "after:create"], faults: true)
        #expect(killed.status == 128 + SIGKILL, "\(killed.output)")
        #expect(await s.live("etl-hand").count == 2, "the replacement was created")

        if !keepRule { try s.writeConfig(consumers: ["kept"]) }
        let restarted = try await s.run(["run", "--once"])
        let live = await s.live("etl-hand")
        if keepRule {
            #expect(restarted.status == 0, "\(restarted.output)")
            #expect(live.count == 1 && live[0].id != byHand.id, "finished: the old consumer is retired")
            #expect(s.envPair("adopted-etl-hand")?.key == live.first?.key, "published at the rendered path")
        } else {
            #expect(live.map(\.id) == [byHand.id], "the replacement is deleted, the consumer made by hand kept")
            #expect(s.envPair("adopted-etl-hand") == nil, "nothing published for a consumer no rule matches")
        }
        await IdentityTests.noSecret(s, killed.output + restarted.output)
    }

    /// `test-hooks NAME` of an adopted consumer runs its rule's `after_publish` and probe (1 when one fails, 0 when
    /// all pass), rotates nothing, and needs the listing (75 without it); a configured consumer does not.
    @Test func testHooksRunsTheRuleOfAnAdoptedConsumer() async throws {
        let s = try await Scenario(consumers: [.init(name: "kept", ageDays: 5)])
        defer { s.cleanUp() }
        await IdentityTests.add(s, "etl-hand", ageDays: 120)
        await IdentityTests.add(s, "other", ageDays: 120)
        await IdentityTests.add(s, "etl-..x", ageDays: 120)
        func rule(probe: String) -> String {
            Self.rule(s) + """
                    after_publish:
                      - exec: ["/bin/sh", "-c", "test $ROTORD_CONSUMER = etl-hand"]
                    probe:
                      exec: ["\(probe)"]

                """
        }
        try s.writeConfig(consumers: ["kept"], extra: rule(probe: "/bin/false"))
        let failing = try await s.run(["test-hooks", "etl-hand"])
        #expect(failing.status == 1, "\(failing.output)")
        #expect(failing.stdout.contains("etl-hand: after_publish exec /bin/sh -c"), "\(failing.output)")
        #expect(
            failing.stdout.contains(": ok") && failing.stdout.contains("probe /bin/false: FAILED"), "\(failing.output)")

        try s.writeConfig(consumers: ["kept"], extra: rule(probe: "/bin/true"))
        let passing = try await s.run(["test-hooks", "etl-hand"])
        #expect(passing.status == 0, "\(passing.output)")
        #expect(passing.stdout.contains("probe /bin/true: ok"), "\(passing.output)")
        for name in ["other", "etl-absent"] {
            let unknown = try await s.run(["test-hooks", name])
            #expect(unknown.status == 78 && unknown.stderr.contains("no adopt: rule manages"), "\(unknown.output)")
        }
        let refused = try await s.run(["test-hooks", "etl-..x"])
        #expect(refused.status == 78 && refused.stderr.contains("not safe in a file path"), "\(refused.output)")
        #expect(await s.simulator.statistics().created == 0, "no rotation")
        #expect(s.envPair("adopted-etl-hand") == nil, "nothing written")

        // Without the listing, an adopted name cannot be resolved (75); a configured one needs none.
        let text = try String(contentsOfFile: s.configPath, encoding: .utf8)
        try text.replacingOccurrences(of: "127.0.0.1:\(s.port)", with: "127.0.0.1:9")
            .write(toFile: s.configPath, atomically: true, encoding: .utf8)
        let offline = try await s.run(["test-hooks", "etl-hand"])
        #expect(offline.status == 75 && offline.stderr.contains("adopt: rules failed"), "\(offline.output)")
        let configured = try await s.run(["test-hooks", "kept"])
        #expect(configured.status == 0 && configured.stdout.contains("nothing to test"), "\(configured.output)")
        await IdentityTests.noSecret(s, failing.output + passing.output + offline.output)
    }

    /// Offline `status` (Fracttal unreachable) lists, after the configured consumers, those the state directory
    /// knows were adopted (a rotation in flight, a finished rotation), marked with the rule's place in the file.
    @Test func offlineStatusListsTheAdoptedConsumersTheStateDirectoryKnows() async throws {
        let s = try await Scenario(consumers: [.init(name: "kept", ageDays: 5)])
        defer { s.cleanUp() }
        await IdentityTests.add(s, "done-a", ageDays: 120)
        await IdentityTests.add(s, "etl-hand", ageDays: 120)
        let rules = """
            adopt:
              - name: "done-*"
                grace: 0s
                deliver:
                  - path: \(s.deliverDir)/done-{{name}}.env
            """
        // adopt[0] finishes its rotation (grace 0s); adopt[1] (the usual rule) keeps its rotation in grace.
        try s.writeConfig(
            consumers: ["kept"], grace: "1h",
            extra: rules + "\n" + Self.rule(s).replacingOccurrences(of: "adopt:\n", with: ""))
        let run = try await s.run(["run", "--once"])
        #expect(run.status == 0, "\(run.output)")

        let text = try String(contentsOfFile: s.configPath, encoding: .utf8)
        try text.replacingOccurrences(of: "127.0.0.1:\(s.port)", with: "127.0.0.1:9")
            .write(toFile: s.configPath, atomically: true, encoding: .utf8)
        let status = try await s.run(["status"])
        #expect(status.status == 0, "\(status.output)")
        let lines = status.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("(Fracttal unreachable") == true, "\(status.output)")
        #expect(
            lines.dropFirst().map { $0.prefix { $0 != ":" } } == [
                "kept", "done-a (adopted by adopt[0])", "etl-hand (adopted by adopt[1])",
            ], "\(status.stdout)")
        #expect(lines.contains { $0.hasPrefix("done-a (adopted by adopt[0]): last rotation") }, "\(status.stdout)")
        #expect(lines.contains { $0.hasPrefix("etl-hand (adopted by adopt[1]):") && $0.contains("at step grace") })

        let json = try Self.reports(try await s.run(["status", "--json"]))
        #expect(json.keys.sorted() == ["done-a", "etl-hand", "kept"], "\(json)")
        #expect(json["kept"]?["adopted_by"] == nil)
        #expect(json["done-a"]?["adopted_by"] as? String == "adopt[0]" && json["done-a"]?["last_rotation"] != nil)
        #expect(json["etl-hand"]?["adopted_by"] as? String == "adopt[1]")
        #expect(json["etl-hand"]?["permission_group"] as? String == "Reportes")
        #expect((json["etl-hand"]?["in_flight"] as? [String: Any])?["step"] as? String == "grace")
        #expect(json.values.allSatisfy { $0["status"] as? String == "unknown" })
        await IdentityTests.noSecret(s, status.output)
    }
}
