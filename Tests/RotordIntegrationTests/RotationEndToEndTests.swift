import Foundation
import FracttalSimulator
import Testing

/// `rotord` as a real process against the simulator on 127.0.0.1, with real files.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RotationEndToEndTests {
    /// Anything that looks like a Fracttal secret in a text: 32 alphanumerics with an upper-case
    /// letter (journald MESSAGE_IDs are 32 lower-case hex digits and are fine).
    static func secretLike(_ text: String) -> [String] {
        text.matches(of: /[A-Za-z0-9]{32,}/).map { String($0.output) }.filter { $0.contains(where: \.isUppercase) }
    }

    @Test func runOnceRotatesDueConsumersAndLeavesTheFreshOne() async throws {
        let s = try await Scenario(consumers: [
            .init(name: "etl", ageDays: 120), .init(name: "erp", ageDays: 86), .init(name: "fresh", ageDays: 5),
        ])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl", "erp", "fresh"])
        let before = await s.simulator.consumers()
        let oldPairs = before.filter { $0.name != "rotord-admin" }.map { ($0.name, $0.id!, $0.key!, $0.secret!) }

        let result = try await s.run(["run", "--once"])
        #expect(result.status == 0, "\(result.output)")

        for (name, oldID, oldKey, oldSecret) in oldPairs {
            let live = await s.live(name)
            #expect(live.count == 1, "exactly one consumer named \(name)")
            if name == "fresh" {
                #expect(live.first?.id == oldID, "the fresh consumer is untouched")
                #expect(s.envPair(name) == nil, "nothing written for the fresh consumer")
                continue
            }
            let current = try #require(live.first)
            #expect(current.id != oldID)
            #expect(current.permissionGroupId == 3)
            #expect(current.description?.hasPrefix("[rotord:") == true, "the marker first")
            #expect(current.description?.hasSuffix("] integration \(name)") == true)
            let pair = try #require(s.envPair(name))
            #expect(pair.key == current.key && pair.secret == current.secret)
            #expect(await s.simulator.isAccepted(key: pair.key, secret: pair.secret), "the new pair obtains a token")
            #expect(
                await !s.simulator.isAccepted(key: oldKey, secret: oldSecret), "the old pair is refused after grace")
            // Every deliver file holds the new pair, with the configured mode.
            let json =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: "\(s.deliverDir)/\(name).json"))) as? [String: String]
            #expect(json?["key"] == pair.key && json?["secret"] == pair.secret)
            #expect(try String(contentsOfFile: "\(s.deliverDir)/\(name).key", encoding: .utf8) == pair.key)
            #expect(try String(contentsOfFile: "\(s.deliverDir)/\(name).secret", encoding: .utf8) == pair.secret)
            #expect(s.mode("\(s.deliverDir)/\(name).env") == 0o640)
            #expect(s.mode("\(s.deliverDir)/\(name).json") == 0o600)
            #expect(s.mode("\(s.deliverDir)/\(name).secret") == 0o600)
        }
        #expect(Self.secretLike(result.output).isEmpty, "no secret printed: \(result.output)")
        #expect(result.stdout.contains("etl: rotated"))

        // A second pass finds nothing due and changes nothing.
        let again = try await s.run(["run", "--once"])
        #expect(again.status == 0)
        #expect(again.stdout.contains("nothing due"))
        #expect(await s.simulator.statistics().created == 2)
    }

    @Test func graceKeepsTheOldConsumerUntilItEnds() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"], grace: "1h")
        let old = try #require(await s.live("etl").first)

        let first = try await s.run(["run", "--once"])
        #expect(first.status == 0, "\(first.output)")
        #expect(await s.live("etl").count == 2, "old and new both live during grace")
        #expect(await s.simulator.isAccepted(key: old.key!, secret: old.secret!))

        let status = try await s.run(["status", "--json"])
        #expect(status.status == 0, "\(status.output)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let inFlight = try #require(reports.first?["in_flight"] as? [String: Any])
        #expect(inFlight["step"] as? String == "grace")
        #expect(Self.secretLike(status.output).isEmpty)

        // A manual rotation with --revoke-old-now ends that grace, rotates again and revokes at once.
        let rotated = try await s.run(["rotate", "etl", "--revoke-old-now"])
        #expect(rotated.status == 0, "\(rotated.output)")
        let live = await s.live("etl")
        #expect(live.count == 1)
        #expect(await !s.simulator.isAccepted(key: old.key!, secret: old.secret!))
        let pair = try #require(s.envPair("etl"))
        #expect(pair.key == live.first?.key)
        #expect(await s.simulator.isAccepted(key: pair.key, secret: pair.secret))
    }

    @Test func planShowsWhatWouldHappenAndChangesNothing() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120), .init(name: "fresh", ageDays: 1)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl", "fresh"])
        let result = try await s.run(["plan"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("etl"))
        #expect(result.stdout.contains("\(s.deliverDir)/etl.env (env, mode 0640)"))
        let json = try await s.run(["plan", "--json"])
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(reports.map { $0["status"] as? String } == ["due", "ok"])
        #expect(reports.map { $0["due"] as? Bool } == [true, false])
        #expect(reports.allSatisfy { $0["next_due"] is String && $0["age"] is String })
        #expect(await s.simulator.statistics().created == 0)
        #expect(Self.secretLike(result.output + json.output).isEmpty)
    }

    @Test func missingConsumerIsAConfigError() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 1)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl", "ghost"])
        let check = try await s.run(["check-config"])
        #expect(check.status == 78, "\(check.output)")
        #expect(check.stderr.contains("consumers[1]"))
        #expect(check.stderr.contains("ghost does not exist"))
        let plan = try await s.run(["plan"])
        #expect(plan.status == 78)
    }

    @Test func invalidConfigExits78NamingFileAndKey() async throws {
        let s = try await Scenario(consumers: [])
        defer { s.cleanUp() }
        try "fracttal:\n  token_url: nope\n".write(toFile: s.configPath, atomically: true, encoding: .utf8)
        for command in [["check-config"], ["run", "--once"], ["plan"], ["status"], ["rotate", "x"]] {
            let r = try await s.run(command)
            #expect(r.status == 78, "\(command): \(r.output)")
            #expect(r.stderr.contains("\(s.configPath):2: fracttal.token_url"), "\(r.stderr)")
        }
    }

    @Test func formClientAuthenticationWorks() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"], clientAuth: "form")
        let r = try await s.run(["run", "--once"])
        #expect(r.status == 0, "\(r.output)")
        #expect(await s.simulator.statistics().created == 1)
    }

    @Test func demoRunsAndPrintsNoSecret() async throws {
        let s = try await Scenario(consumers: [])
        defer { s.cleanUp() }
        let out = s.dir + "/demo"
        let result = try await s.run(["demo", "--output", out, "--grace", "1s"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("BEFORE") && result.stdout.contains("AFTER"))
        #expect(result.stdout.contains("demo complete"))
        var secrets: [String] = []
        for file in ["etc/reports-etl/fracttal.env", "etc/bi-dashboard/fracttal.env"] {
            let text = (try? String(contentsOfFile: "\(out)/\(file)", encoding: .utf8)) ?? ""
            secrets += text.split(separator: "\n").compactMap { line in
                line.hasPrefix("FRACTTAL_CLIENT_SECRET=") ? String(line.dropFirst(23)) : nil
            }
        }
        secrets.append((try? String(contentsOfFile: "\(out)/etc/erp-sync/fracttal.secret", encoding: .utf8)) ?? "")
        secrets.append((try? String(contentsOfFile: "\(out)/credentials/fracttal-admin-secret", encoding: .utf8)) ?? "")
        #expect(secrets.filter { !$0.isEmpty }.count == 3)
        for secret in secrets where !secret.isEmpty { #expect(!result.output.contains(secret)) }
        #expect(Self.secretLike(result.output).isEmpty)
    }
}
