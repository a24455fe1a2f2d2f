import Foundation
import RotordKit
import RotordTestKit
import Testing

/// The alerting rules (`contrib/prometheus`) and the Grafana dashboard (`contrib/grafana`) use only metrics
/// rotord writes, every metric rotord writes is documented, and the dashboard is one Grafana imports.
/// (scripts/test.sh runs `promtool check rules` and `promtool test rules` on the rules.)
@Suite struct PrometheusContribTests {
    static let root = DocumentationLinkTests.root
    static let rules = "contrib/prometheus/rotord.rules.yml"
    static let ruleTests = "contrib/prometheus/rotord.rules.test.yml"
    static let dashboard = "contrib/grafana/rotord.dashboard.json"

    static let encoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return encoder
    }()

    static func text(_ file: String) throws -> String {
        try String(contentsOfFile: root + "/" + file, encoding: .utf8)
    }

    /// The metric names `text` mentions.
    static func metricNames(in text: String) -> Set<String> {
        Set(text.matches(of: /rotord_[a-z_]+/).map { String($0.output) })
    }

    @Test(arguments: [rules, ruleTests, dashboard])
    func usesOnlyMetricsRotordWrites(file: String) throws {
        let written = Set(MetricsTextfile.Family.allCases.map(\.rawValue))
        let used = Self.metricNames(in: try Self.text(file))
        #expect(!used.isEmpty, "\(file) names no metric")
        #expect(
            used.subtracting(written).isEmpty,
            "\(file) uses metrics rotord never writes: \(used.subtracting(written).sorted())")
    }

    @Test func everyMetricIsDocumentedAndWatched() throws {
        let documented = try Self.text("docs/configuration.md")
        let watched = Self.metricNames(in: try Self.text(Self.rules) + Self.text(Self.dashboard))
        for family in MetricsTextfile.Family.allCases {
            #expect(
                documented.contains("`\(family.rawValue)`"), "docs/configuration.md does not list \(family.rawValue)")
            #expect(watched.contains(family.rawValue), "neither the rules nor the dashboard show \(family.rawValue)")
        }
    }

    /// Importable: JSON, a `DS_PROMETHEUS` input that every panel and query uses, unique panel ids; and every
    /// query parses (promtool, as the expressions of recording rules).
    @Test func dashboardIsImportable() throws {
        let object = try JSONSerialization.jsonObject(with: Data(try Self.text(Self.dashboard).utf8))
        let json = try #require(object as? [String: Any])
        #expect((json["schemaVersion"] as? Int ?? 0) >= 36)
        let inputs = try #require(json["__inputs"] as? [[String: Any]])
        #expect(
            inputs.contains { $0["name"] as? String == "DS_PROMETHEUS" && $0["pluginId"] as? String == "prometheus" })
        let panels = try #require(json["panels"] as? [[String: Any]])
        #expect(Set(panels.compactMap { $0["id"] as? Int }).count == panels.count, "panel ids are unique")
        var expressions: [String] = []
        for panel in panels {
            let title = panel["title"] as? String ?? "?"
            let targets = try #require(panel["targets"] as? [[String: Any]], "\(title)")
            for target in [panel] + targets {
                let source = target["datasource"] as? [String: Any]
                #expect(
                    source?["uid"] as? String == "${DS_PROMETHEUS}",
                    "\(title): datasource \(String(describing: source))")
            }
            expressions += targets.compactMap { $0["expr"] as? String }
            #expect(expressions.count >= targets.count, "\(title): a query without expr")
        }
        guard let promtool = try Promtool.locate() else { return }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rotord-dashboard-\(UUID()).yml").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        var yaml = "groups:\n  - name: dashboard\n    rules:\n"
        for (index, expression) in expressions.enumerated() {
            // A JSON string is a YAML string; $instance is the dashboard's variable.
            let quoted = String(
                decoding: try Self.encoder.encode(expression.replacingOccurrences(of: "$instance", with: ".*")),
                as: UTF8.self)
            yaml += "      - record: dashboard_query_\(index + 1)\n        expr: \(quoted)\n"
        }
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try Promtool.run(promtool, ["check", "rules", file])
        #expect(result.status == 0, "\(result.output)")
        print("promtool: dashboard queries: \(result.status == 0 ? "OK" : "FAILED") (\(expressions.count) queries)")
    }
}
