import Foundation
import RotordCore
import RotordKit
import Testing

@Suite struct ConfigurationLoaderTests {
    let loader = ConfigurationLoader()

    static var examplePath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/rotord.example.yaml").path
    }

    @Test func loadsTheExample() throws {
        let c = try loader.load(path: Self.examplePath)
        #expect(c.fracttal.tokenURL == "https://one.fracttal.com/oauth/token")
        #expect(c.fracttal.clientAuth == .basic)
        #expect(c.fracttal.requestsPerMinute == 200)
        #expect(c.stateDirectory == "/var/lib/rotord")
        #expect(c.defaults.maxAge == .days(90))
        #expect(c.defaults.window?.days == [1, 2, 3, 4, 5])
        #expect(c.consumers.count == 2)
        let etl = try #require(c.consumer(named: "reports-etl"))
        #expect(etl.policy.maxAge == .days(30))
        #expect(etl.policy.grace == .hours(24), "unset keys come from defaults")
        #expect(etl.deliver[0].mode == 0o640)
        #expect(
            etl.deliver[0].format == .env(keyVariable: "FRACTTAL_CLIENT_ID", secretVariable: "FRACTTAL_CLIENT_SECRET"))
        #expect(etl.deliver[1].mode == 0o600, "0600 unless configured")
        #expect(etl.deliver[1].format == .json(keyField: "key", secretField: "secret"))
        #expect(
            etl.afterPublish == [
                .reload(unit: "reports-etl.service", timeout: .seconds(30)),
                .exec(arguments: ["/usr/local/bin/reports-etl", "--check-credentials"], timeout: .seconds(30)),
            ])
        let erp = try #require(c.consumer(named: "erp-sync"))
        #expect(
            erp.deliver[0].format
                == .raw(
                    keyPath: "/etc/rotord/deliver/erp-sync.key", secretPath: "/etc/rotord/deliver/erp-sync.secret"))
    }

    func errors(_ yaml: String) -> [ConfigurationError] {
        do {
            _ = try loader.parse(yaml, path: "/etc/rotord/rotord.yaml")
            return []
        } catch {
            return error.errors
        }
    }

    static let base = """
        fracttal:
          token_url: https://one.fracttal.com/oauth/token
          api_url: https://app.fracttal.com/api
        consumers:
          - name: a
            permission_group: G

        """

    @Test(arguments: [
        ("fracttal:\n  token_url: ftp://x\n", "fracttal.token_url", "http(s) URL"),
        (base + "    max_age: 90 days\n", "consumers[0].max_age", "duration"),
        (base + "    deliver:\n      - path: relative/file\n", "consumers[0].deliver[0].path", "absolute"),
        (
            base + "    deliver:\n      - path: /x\n        format: xml\n", "consumers[0].deliver[0].format",
            "env, json, raw or template"
        ),
        (base + "    deliver:\n      - path: /x\n        mode: \"rw\"\n", "consumers[0].deliver[0].mode", "octal"),
        (
            base + "    deliver:\n      - path: /x\n        owner: no-such-user-here\n",
            "consumers[0].deliver[0].owner", "no such user"
        ),
        (base + "    permision_group: typo\n", "consumers[0].permision_group", "unknown key"),
        (base + "  - name: a\n    permission_group: G\n", "consumers[1].name", "already managed"),
        (base + "    after_publish:\n      - exec: [relative]\n", "consumers[0].after_publish[0].exec[0]", "absolute"),
        (base + "    rotate_before: 100d\n", "consumers[0].rotate_before", "shorter than max_age"),
        (base + "defaults:\n  window:\n    start: \"25:00\"\n    end: \"05:00\"\n", "defaults.window.start", "HH:MM"),
        (
            base + "defaults:\n  window:\n    start: \"01:00\"\n    end: \"05:00\"\n    timezone: Mars/Olympus\n",
            "defaults.window.timezone", "unknown time zone"
        ),
        ("consumers: []\n", "fracttal", "required"),
        ("fracttal: [1, 2\n", "", "not valid YAML"),
    ])
    func namesTheKey(yaml: String, key: String, message: String) {
        let found = errors(yaml)
        #expect(found.contains { $0.key == key && $0.message.contains(message) }, "got \(found)")
        #expect(found.allSatisfy { $0.file == "/etc/rotord/rotord.yaml" })
    }

    @Test func reportsLineNumbers() {
        let found = errors(Self.base + "    max_age: soon\n")
        #expect(found.first?.line == 7)
        #expect(found.first?.description.hasPrefix("/etc/rotord/rotord.yaml:7: consumers[0].max_age:") == true)
    }

    @Test func missingFileIsAConfigError() {
        #expect(throws: ConfigurationErrors.self) { try loader.load(path: "/nonexistent/rotord.yaml") }
    }

    /// Every duration is bounded at load (docs/configuration.md, "Durations"): the error names the
    /// key, the value and the limit, so `plan`, `status` and `run` never compute with it.
    @Test(arguments: [
        ("    max_age: 9223372036854775807s\n", "consumers[0].max_age", "9223372036854775807s"),
        ("    grace: 99999999999999999999d\n", "consumers[0].grace", "99999999999999999999d"),
        ("    max_age: 36501d\n", "consumers[0].max_age", "36501d"),
        ("    probe:\n      exec: [/bin/true]\n      timeout: 5300w\n", "consumers[0].probe.timeout", "5300w"),
        ("defaults:\n  jitter: 9999999999999w\n", "defaults.jitter", "9999999999999w"),
        ("schedule:\n  resync: 9223372036854775807s\n", "schedule.resync", "9223372036854775807s"),
    ])
    func refusesDurationsAboveTheMaximum(line: String, key: String, value: String) {
        let found = errors(Self.base + line)
        let error = found.first { $0.key == key }
        #expect(error?.message.contains("\"\(value)\"") == true, "got \(found)")
        #expect(error?.message.contains("36500d (100 years)") == true, "got \(found)")
    }

    @Test func acceptsTheMaximumDuration() throws {
        let parsed = try loader.parse(
            Self.base + "    max_age: 36500d\n    rotate_before: 1d\n    grace: 36500d\n",
            path: "/etc/rotord/rotord.yaml")
        #expect(parsed.consumers[0].policy.maxAge == .maximum)
        #expect(parsed.consumers[0].policy.grace == .maximum)
    }

    static func withAdmin(_ rotate: String) -> String {
        """
        fracttal:
          token_url: https://one.fracttal.com/oauth/token
          api_url: https://app.fracttal.com/api
          admin:
            rotate: \(rotate)
        defaults:
          grace: 2h
        consumers:
          - name: a
            permission_group: G
            deliver:
              - path: /etc/rotord/credentials/fracttal-admin-key

        """
    }

    @Test func adminRotationTakesAPolicyAndDefaultsToTheUnitsSources() throws {
        let parsed = try loader.parse(
            Self.withAdmin("{max_age: 30d, rotate_before: 3d}").replacingOccurrences(
                of: "/etc/rotord/credentials/fracttal-admin-key", with: "/etc/a.env"),
            path: "/etc/rotord/rotord.yaml")
        let rotation = try #require(parsed.fracttal.adminRotation)
        #expect(rotation.policy.maxAge == .days(30) && rotation.policy.rotateBefore == .days(3))
        #expect(rotation.policy.grace == .hours(2), "unset keys from defaults:")
        #expect(
            rotation.keySource == AdminRotation.unitKeySource && rotation.secretSource == AdminRotation.unitSecretSource
        )
        #expect(
            try loader.parse(Self.base, path: "/etc/rotord/rotord.yaml").fracttal.adminRotation == nil, "off by default"
        )
    }

    @Test(arguments: [
        ("{max_age: 30d, every: 1d}", "fracttal.admin.rotate.every", "unknown key"),
        ("{key_source: /run/credentials/rotord.service/k}", "fracttal.admin.rotate.key_source", "read-only copy"),
        ("{key_source: /etc/k, secret_source: /etc/k}", "fracttal.admin.rotate.secret_source", "same file"),
        ("{max_age: 30d}", "consumers[0].deliver[0].path", "admin key's source"),
    ])
    func refusesABadAdminRotation(rotate: String, key: String, message: String) {
        let found = errors(Self.withAdmin(rotate))
        #expect(found.contains { $0.key == key && $0.message.contains(message) }, "got \(found)")
    }

    @Test func scheduleResync() throws {
        let parsed = try loader.parse(Self.base + "schedule:\n  resync: 10m\n", path: "/etc/rotord/rotord.yaml")
        #expect(parsed.schedule.resync == .minutes(10))
        #expect(try loader.parse(Self.base, path: "/etc/rotord/rotord.yaml").schedule.resync == .hours(1))
        let refused = errors(Self.base + "schedule:\n  resync: 0s\n")
        #expect(refused.first?.key == "schedule.resync", "\(refused)")
        #expect(refused.first?.description.contains("at least 1s") == true)
    }
}
