import Foundation
import Glibc
import Testing

/// Issue 10, `format: template` through the real `rotord`: `{{rotated_at}}` is the new consumer's creation time,
/// and a publish repeated after a crash (the same rotation) leaves the file as it was.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct TemplateDeliveryTests {
    @Test func aRepublishAfterACrashDoesNotRewriteTheTemplateFile() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        let conf = s.deliverDir + "/etl.conf"
        let env = s.deliverDir + "/etl.env"
        try s.writeConfig(
            consumer: "etl",
            deliver: """
                      - path: \(conf)
                        format: template
                        template: "id={{key}}\\nsecret={{secret}}\\nname={{name}}\\nrotated={{rotated_at}}\\n"
                      - path: \(env)

                """)
        let old = try #require(await s.live("etl").first)

        // Killed after the template file (the first) is written, before the env file.
        let killed = try await s.run(
            ["run", "--once"], environment: ["ROTORD_CRASH_AT": "after:publish-first-file"], faults: true)
        #expect(killed.status == 128 + SIGKILL, "\(killed.output)")
        let first = try String(contentsOfFile: conf, encoding: .utf8)
        var st = stat()
        #expect(lstat(conf, &st) == 0)
        let (inode, modified) = (st.st_ino, st.st_mtim.tv_sec * 1_000_000_000 + st.st_mtim.tv_nsec)
        #expect(!FileManager.default.fileExists(atPath: env))
        try await Task.sleep(for: .milliseconds(1_100))  // a rewrite would now carry another time

        // The restart publishes the same rotation again: the template file is already right.
        let restarted = try await s.run(["run", "--once"])
        #expect(restarted.status == 0, "\(restarted.output)")
        #expect(try String(contentsOfFile: conf, encoding: .utf8) == first)
        #expect(lstat(conf, &st) == 0)
        #expect(
            st.st_ino == inode && st.st_mtim.tv_sec * 1_000_000_000 + st.st_mtim.tv_nsec == modified, "not rewritten")

        let new = try #require(await s.live("etl").first { $0.id != old.id })
        let pair = try #require(s.pair(in: env))
        #expect(pair.key == new.key)
        let lines = first.split(separator: "\n").map(String.init)
        #expect(lines.prefix(3) == ["id=\(pair.key)", "secret=\(pair.secret)", "name=etl"])
        let stamp = try #require(lines.last?.split(separator: "=").last.map(String.init))
        let rotatedAt = try #require(try? Date(stamp, strategy: .iso8601), "\(stamp) is ISO-8601")
        #expect(stamp.hasSuffix("Z"), "UTC: \(stamp)")
        let created = try #require(new.createdAt)
        #expect(abs(rotatedAt.timeIntervalSince(created)) < 1, "the new consumer's creation: \(stamp) \(created)")
        #expect(RotationEndToEndTests.secretLike(killed.output + restarted.output).isEmpty)
    }

    /// A template with an unknown variable is a configuration error of every command (78), before Fracttal is
    /// contacted: the error names the file, the key, the unknown variable and the known ones.
    @Test func aTemplateWithAnUnknownVariableIsRefusedByEveryCommand() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(
            consumer: "etl",
            deliver: """
                      - path: \(s.deliverDir)/etl.conf
                        format: template
                        template: "id={{key.x}} secret={{secret}}"

                """)
        for command in [["check-config", "--offline"], ["check-config"], ["run", "--once"], ["status"], ["plan"]]
            + [["test-hooks", "etl"], ["rotate", "etl"]]
        {
            let result = try await s.run(command)
            #expect(result.status == 78, "\(command): \(result.output)")
            for part in [s.configPath, "consumers[0].deliver[0].template", "{{key.x}}", "{{secret}}, {{name}}"] {
                #expect(result.stderr.contains(part), "\(command) names \(part): \(result.stderr)")
            }
        }
        #expect(await s.simulator.statistics().tokenRequests == 0, "refused before contacting Fracttal")
        #expect(await s.simulator.statistics().created == 0)
    }
}
