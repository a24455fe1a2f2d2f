import Foundation
import RotordCore
import RotordKit
import Testing

/// `adopt:` rules at load: the schema, the selectors, the `{{name}}` path template.
@Suite struct AdoptConfigurationTests {
    let loader = ConfigurationLoader()

    static let base = """
        fracttal:
          token_url: https://one.fracttal.com/oauth/token
          api_url: https://app.fracttal.com/api
        consumers:
          - name: a
            permission_group: G

        """

    func errors(_ adopt: String) -> [ConfigurationError] {
        do {
            _ = try loader.parse(Self.base + adopt, path: "/etc/rotord/rotord.yaml")
            return []
        } catch {
            return error.errors
        }
    }

    @Test func readsARuleWithItsPolicyDeliverAndHooks() throws {
        let c = try loader.parse(
            Self.base + """
                defaults:
                  max_age: 60d
                adopt:
                  - name: "etl-*"
                    permission_group: Reportes
                    max_age: 30d
                    deliver:
                      - path: /tmp/{{name}}.env
                    after_publish:
                      - exec: ["/bin/true"]
                  - permission_group: "7"
                    deliver:
                      - path: /tmp/g7-{{name}}
                        format: raw
                """, path: "/etc/rotord/rotord.yaml")
        #expect(c.adopt.count == 2)
        let etl = c.adopt[0]
        #expect(etl.label == "adopt[0]")
        #expect(etl.name?.pattern == "etl-*" && etl.permissionGroup == "Reportes")
        #expect(etl.policy.maxAge == .days(30) && c.adopt[1].policy.maxAge == .days(60), "defaults, then overrides")
        #expect(etl.deliver[0].path == "/tmp/{{name}}.env")
        #expect(etl.afterPublish == [.exec(arguments: ["/bin/true"], timeout: .seconds(30))])
        #expect(c.adopt[1].name == nil && c.adopt[1].permissionGroup == "7")
        #expect(c.adopt[1].renderedDeliver(for: "x")[0].filePaths == ["/tmp/g7-x.key", "/tmp/g7-x.secret"])
        #expect(c.consumers.map(\.name) == ["a"], "rules add no consumer at load")
    }

    @Test func aRuleNeedsASelector() {
        let e = errors("adopt:\n  - max_age: 30d\n")
        #expect(e.count == 1)
        #expect(e.first?.key == "adopt[0]" && e.first?.message.contains("name") == true)
        #expect(e.first?.message.contains("permission_group") == true)
    }

    @Test(arguments: ["\"etl-[\"", "\"[]\"", "\"a\\\\\"", "\"[z-a]\""])
    func aBadGlobIsRefused(_ pattern: String) {
        let e = errors("adopt:\n  - name: \(pattern)\n    deliver:\n      - path: /tmp/{{name}}.env\n")
        #expect(e.map(\.key) == ["adopt[0].name"], "\(pattern): \(e)")
        #expect(e.first?.message.contains("not a valid name pattern") == true)
        #expect(e.first?.line == 8)
    }

    @Test func aPathWithoutTheNameIsRefusedUnlessThePatternIsLiteral() {
        let shared = errors("adopt:\n  - name: \"etl-*\"\n    deliver:\n      - path: /tmp/etl.env\n")
        #expect(shared.map(\.key) == ["adopt[0].deliver[0].path"])
        #expect(shared.first?.message.contains("{{name}}") == true)
        let groupOnly = errors("adopt:\n  - permission_group: G\n    deliver:\n      - path: /tmp/g.env\n")
        #expect(groupOnly.map(\.key) == ["adopt[0].deliver[0].path"], "a group matches many names")
        #expect(errors("adopt:\n  - name: etl-one\n    deliver:\n      - path: /tmp/etl-one.env\n").isEmpty)
    }

    @Test func theNameMayOnlyBeInTheFileName() {
        let e = errors("adopt:\n  - name: \"x*\"\n    deliver:\n      - path: /tmp/{{name}}/creds.env\n")
        #expect(e.map(\.key) == ["adopt[0].deliver[0].path"])
        #expect(e.first?.message.contains("only be in the file's name") == true)
    }

    @Test func aRuleTakesAConsumersKeysButNotConsumerID() {
        let e = errors("adopt:\n  - name: \"x*\"\n    consumer_id: 3\n    nmae: y\n")
        #expect(e.map(\.key).sorted() == ["adopt[0].consumer_id", "adopt[0].nmae"])
        #expect(e.allSatisfy { $0.message.contains("unknown key") })
    }

    @Test func deliverValidationAndCollisionsApplyToRules() {
        let e = errors(
            """
            adopt:
              - name: "x*"
                deliver:
                  - path: /tmp/{{name}}.env
                    mode: "0644"
              - name: "y*"
                deliver:
                  - path: /tmp/{{name}}.env
            """)
        #expect(e.map(\.key).sorted() == ["adopt[0].deliver[0].mode", "adopt[1].deliver[0].path"], "\(e)")
        let state = errors(
            "state_dir: /var/lib/rotord\nadopt:\n  - name: \"x*\"\n    deliver:\n      - path: /var/lib/rotord/{{name}}\n"
        )
        #expect(state.map(\.key) == ["adopt[0].deliver[0].path"])
    }

    @Test func theExampleHasACommentedRuleThatLoadsWhenUncommented() throws {
        let text = try String(contentsOfFile: ConfigurationLoaderTests.examplePath, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "# adopt:") else {
            Issue.record("config/rotord.example.yaml has no commented adopt: section")
            return
        }
        let block = lines[start...].prefix { $0.hasPrefix("#") }.map { $0.dropFirst(2) }.joined(separator: "\n")
        let c = try loader.parse(Self.base + block + "\n", path: "/etc/rotord/rotord.yaml")
        #expect(!c.adopt.isEmpty)
    }
}
