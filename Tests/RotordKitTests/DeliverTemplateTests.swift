import Foundation
import Glibc
import RotordCore
import RotordKit
import Testing

/// `format: template` on swift-mustache: the variables, no HTML escaping, a `{{rotated_at}}` that does not
/// change between publishes of one rotation, and bad templates refused when the configuration is loaded.
@Suite struct DeliverTemplateTests {
    let key = "AbCdEfGhIjKlMnOpQr"
    /// Characters HTML escaping would change, plus a quote, a backslash and a dollar.
    let secret = #"s3&cr<e>t"'\$x{{y}}"#
    /// 2026-11-30T08:15:00Z.
    let rotatedAt = Date(timeIntervalSince1970: 1_796_026_500)

    @Test func rendersEveryVariable() throws {
        let template = try DeliverTemplate(
            "id={{key}}\nsecret={{secret}}\nname={{name}}\nrotated={{rotated_at}}\n{{! a comment }}")
        let text = template.render(key: key, secret: "plain", name: "etl", rotatedAt: rotatedAt)
        #expect(text == "id=\(key)\nsecret=plain\nname=etl\nrotated=2026-11-30T08:15:00Z\n")
    }

    @Test func rotatedAtIsUTCToTheSecond() {
        #expect(DeliverTemplate.stamp(rotatedAt.addingTimeInterval(0.75)) == "2026-11-30T08:15:00Z")
    }

    @Test func valuesAreNotEscaped() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let target = DeliverTarget(
            path: dir.path + "/a.conf", format: .template("<secret>{{secret}}</secret>\n{{#key}}k={{key}}{{/key}}\n"))
        _ = try await SecretPublisher().publish([target], name: "a", key: key, secret: secret, rotatedAt: rotatedAt)
        #expect(dir.read("a.conf") == "<secret>\(secret)</secret>\nk=\(key)\n")
    }

    @Test func republishingTheSameRotationWritesNothing() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let target = DeliverTarget(
            path: dir.path + "/a.conf", format: .template("secret={{secret}}\nrotated={{rotated_at}}\n"))
        _ = try await SecretPublisher().publish([target], name: "a", key: key, secret: secret, rotatedAt: rotatedAt)
        let first = dir.inode("a.conf")
        // The same rotation published again later (a retry, a resumed run): the same record, the same time.
        _ = try await SecretPublisher().publish([target], name: "a", key: key, secret: secret, rotatedAt: rotatedAt)
        #expect(dir.inode("a.conf") == first, "the second publish wrote nothing")
        // Permission drift repair does not render the template at all: only the mode changes.
        chmod(dir.path + "/a.conf", 0o644)
        #expect(
            Reconciler.repairDrift([ManagedConsumer(name: "a", permissionGroup: "G", deliver: [target])]).count == 1)
        #expect(dir.inode("a.conf") == first)
        #expect(dir.read("a.conf") == "secret=\(secret)\nrotated=2026-11-30T08:15:00Z\n")
    }

    static let base = """
        fracttal:
          token_url: https://one.fracttal.com/oauth/token
        consumers:
          - name: erp
            permission_group: G
            deliver:
              - path: /etc/erp/fracttal.conf
                format: template
                template: 
        """

    @Test(arguments: [
        ("\"secret={{secret\"", "not a valid Mustache template", "not closed"),
        ("\"{{#key}}{{secret}}\"", "not a valid Mustache template", "{{/NAME}}"),
        ("\"{{#key}}{{secret}}{{/name}}\"", "not a valid Mustache template", "another name"),
        ("\"{{client_secret}} {{secret}}\"", "unknown variable(s) {{client_secret}}", "{{rotated_at}}"),
        ("\"{{^key}}{{nope}}{{/key}}{{secret}}\"", "unknown variable(s) {{nope}}", "{{name}}"),
        ("\"id={{key}}\"", "does not use {{secret}}", "{{secret}}"),
        ("\"{{.}} {{secret}}\"", "unknown variable(s) {{.}}", "{{key}}"),
        ("\"{{> other}}{{secret}}\"", "partial", "does not support"),
        ("\"{{key.x}} {{secret}}\"", "unknown variable(s) {{key.x}}", "{{rotated_at}}"),
        ("\"{{secrets}}\"", "unknown variable(s) {{secrets}}", "{{secret}}, {{name}}"),
        ("\"{{#foo}}{{secret}}{{/foo}}\"", "unknown variable(s) {{foo}}", "{{key}}"),
        ("\"{{#key}}{{name.first}}{{/key}}{{secret}}\"", "unknown variable(s) {{name.first}}", "{{key}}"),
        ("\"{{^rotated_at}}{{.secret.x}}{{/rotated_at}}{{secret}}\"", "{{.secret.x}}", "{{name}}"),
        ("\"{{foo(key)}} {{secret}}\"", "unknown function(s) foo", "uppercased"),
    ])
    func badTemplatesAreConfigurationErrors(template: String, problem: String, detail: String) throws {
        var errors: [ConfigurationError] = []
        do {
            _ = try ConfigurationLoader().parse(Self.base + template + "\n", path: "/etc/rotord/rotord.yaml")
        } catch {
            errors = error.errors
        }
        let error = try #require(errors.first, "\(template) is refused")
        #expect(errors.count == 1)
        #expect(error.key == "consumers[0].deliver[0].template")
        #expect(error.line == 9)
        for part in ["consumer erp", "/etc/erp/fracttal.conf", problem, detail] {
            #expect(error.message.contains(part), "\(error.message) names \(part)")
        }
        #expect(error.file == "/etc/rotord/rotord.yaml")
    }

    /// The documented variables, in variables, sections, inverted sections and through a function, load.
    @Test func theDocumentedVariablesLoad() throws {
        let template =
            #""{{! ok }}id={{key}} {{{secret}}} {{&name}} {{#rotated_at}}{{.}}{{/rotated_at}}"#
            + #"{{^key}}none{{/key}} {{uppercased(name)}} {{.key}}""#
        let configuration = try ConfigurationLoader().parse(Self.base + template + "\n", path: "/etc/rotord/r.yaml")
        guard case .template(let text) = configuration.consumers.first?.deliver.first?.format else {
            Issue.record("the consumer delivers a template")
            return
        }
        let rendered = try DeliverTemplate(text).render(key: "K", secret: "S", name: "etl", rotatedAt: rotatedAt)
        #expect(rendered == "id=K S etl 2026-11-30T08:15:00Z ETL K")
    }

    /// An `adopt:` rule's template is checked as a consumer's is, under the rule's key.
    @Test func anAdoptRulesUnknownVariableIsRefusedAtLoad() throws {
        let text =
            AdoptConfigurationTests.base + """
                adopt:
                  - name: "etl-*"
                    deliver:
                      - path: /etc/etl/{{name}}.conf
                        format: template
                        template: "{{secret}} {{key.length}}"

                """
        var errors: [ConfigurationError] = []
        do {
            _ = try ConfigurationLoader().parse(text, path: "/etc/rotord/rotord.yaml")
        } catch {
            errors = error.errors
        }
        let error = try #require(errors.first, "the rule's template is refused")
        #expect(errors.count == 1)
        #expect(error.key == "adopt[0].deliver[0].template")
        for part in ["adopt rule \"etl-*\"", "/etc/etl/{{name}}.conf", "{{key.length}}", "{{rotated_at}}"] {
            #expect(error.message.contains(part), "\(error.message) names \(part)")
        }
    }
}
