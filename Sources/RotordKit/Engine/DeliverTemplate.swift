import Foundation
import Mustache
import RotordCore

/// The text of a `format: template` deliver file: a Mustache template (swift-mustache) whose values are written
/// as they are, never HTML-escaped, so a secret with `&`, `<` or `"` reaches the file unchanged.
///
/// Variables: `{{key}}`, `{{secret}}` (required), `{{name}}` (the consumer's name) and `{{rotated_at}}` (when the
/// published consumer was created, ISO-8601 UTC: the same for every publish of one rotation, so re-publishing
/// it does not change the file), optionally through a function of a text (`{{uppercased(name)}}`). Any other
/// name (`{{secrets}}`, a dotted `{{key.x}}`, a section `{{#foo}}`), another function, a partial (`{{> file}}`) or
/// a malformed tag is a ``Problem``, found when the configuration is loaded.
package struct DeliverTemplate: Sendable {
    /// The variables a template may use.
    package static let variables = ["key", "secret", "name", "rotated_at"]

    /// Put before every template: values are text, not HTML. Takes no line, so the parser's line numbers stay
    /// those of the operator's text.
    static let textPragma = "{{% CONTENT_TYPE: TEXT}}"

    /// Why a template cannot be used.
    package struct Problem: Error, Sendable, CustomStringConvertible {
        /// What is wrong and what to do.
        package var description: String
    }

    let template: MustacheTemplate

    /// Parses `text`; throws when it is malformed, uses an unknown variable or a partial, or lacks `{{secret}}`.
    package init(_ text: String) throws(Problem) {
        do {
            template = try MustacheTemplate(string: Self.textPragma + text)
        } catch let error as MustacheTemplate.ParserError {
            let context = error.context
            let column = context.lineNumber == 1 ? context.columnNumber - Self.textPragma.count : context.columnNumber
            throw Problem(
                description:
                    "is not a valid Mustache template (\(Self.explain(error.error)) at line \(context.lineNumber), "
                    + "column \(max(column, 1))): \(context.line.replacingOccurrences(of: Self.textPragma, with: ""))")
        } catch {
            throw Problem(description: "is not a valid Mustache template (\(error))")
        }
        if text.contains("{{>") || text.contains("{{<") {
            throw Problem(description: "uses a partial ({{> NAME}} or {{< NAME}}), which rotord does not support")
        }
        // Render twice, once with every variable a text and once with every variable false, so that the names
        // in both plain and inverted sections are asked for; any name rotord does not know is an error.
        let filled = LookupRecorder(values: Dictionary(uniqueKeysWithValues: Self.variables.map { ($0, "x") }))
        _ = template.render(filled)
        let empty = LookupRecorder(values: Dictionary(uniqueKeysWithValues: Self.variables.map { ($0, false) }))
        _ = template.render(empty)
        // A dotted name ({{key.x}}) asks the recorder for its first part only, and a function ({{f(key)}}) that a
        // text does not have renders nothing: both are found in the parsed tags.
        let tags = Self.tags(in: template)
        var unknown = filled.unknown.union(empty.unknown)
        for tag in tags where tag.name.dropFirst().contains(".") { unknown.insert(tag.name) }
        if !unknown.isEmpty {
            let names = unknown.sorted().map { "{{\($0)}}" }.joined(separator: ", ")
            throw Problem(
                description:
                    "uses unknown variable(s) \(names); the variables are "
                    + Self.variables.map { "{{\($0)}}" }.joined(separator: ", "))
        }
        let functions = Set(tags.flatMap(\.transforms)).subtracting(Self.functions)
        if !functions.isEmpty {
            throw Problem(
                description:
                    "uses unknown function(s) \(functions.sorted().joined(separator: ", ")); the functions of a "
                    + "variable are \(Self.functions.joined(separator: ", ")), e.g. {{uppercased(name)}}")
        }
        if !filled.asked.contains("secret") {
            throw Problem(description: "does not use {{secret}}")
        }
    }

    /// The functions swift-mustache applies to a text variable, e.g. `{{uppercased(name)}}`.
    package static let functions = ["capitalized", "empty", "lowercased", "reversed", "uppercased"]

    /// Every variable and section tag of `template`, sections' contents included, with its functions
    /// (`{{f(name)}}`). swift-mustache keeps its parsed tokens internal, so they are read with `Mirror`
    /// (`DeliverTemplateTests` fails if a new version of swift-mustache lays them out otherwise).
    static func tags(in template: MustacheTemplate) -> [(name: String, transforms: [String])] {
        var found: [(name: String, transforms: [String])] = []
        func walk(_ template: MustacheTemplate) {
            guard let tokens = Mirror(reflecting: template).descendant("tokens") as? [Any] else { return }
            for token in tokens {
                guard let tag = Mirror(reflecting: token).children.first else { continue }
                let fields = Mirror(reflecting: tag.value)
                if ["variable", "unescapedVariable", "section", "invertedSection"].contains(tag.label),
                    let name = fields.descendant("name") as? String
                {
                    found.append((name, fields.descendant("transforms") as? [String] ?? []))
                }
                for field in fields.children {
                    if let nested = field.value as? MustacheTemplate { walk(nested) }
                }
            }
        }
        walk(template)
        return found
    }

    /// The file's text for one credential.
    package func render(key: String, secret: String, name: String, rotatedAt: Date) -> String {
        let values: [String: String] = [
            "key": key, "secret": secret, "name": name, "rotated_at": Self.stamp(rotatedAt),
        ]
        return template.render(values)
    }

    /// `rotated_at`: ISO-8601 in UTC to the second, e.g. `2026-11-30T08:15:00Z`.
    package static func stamp(_ date: Date) -> String {
        UTCTimestamp.format(date)
    }

    static func explain(_ error: any Error) -> String {
        switch error as? MustacheTemplate.Error {
        case .sectionCloseNameIncorrect: "a section is closed with another name than it was opened with"
        case .unfinishedName: "a tag is not closed: {{ without }}"
        case .expectedSectionEnd: "a section {{#NAME}} is not closed with {{/NAME}}"
        case .invalidSetDelimiter: "a set-delimiter tag is malformed"
        case .invalidConfigVariableSyntax, .unrecognisedConfigVariable: "a pragma {{% ...}} is not understood"
        // The parser's own error when the text ends inside a tag.
        default: "\(error)" == "overflow" ? "a tag is not closed: {{ without }}" : "\(error)"
        }
    }
}

/// A Mustache context that records the names a template asks for (used once per template, at load time). Rendered
/// itself (`{{.}}` outside a section), it records `.` as unknown.
private final class LookupRecorder: MustacheParent, CustomStringConvertible {
    let values: [String: Any]
    var asked: Set<String> = []
    var unknown: Set<String> = []

    init(values: [String: Any]) { self.values = values }

    var description: String {
        unknown.insert(".")
        return ""
    }

    func child(named name: String) -> Any? {
        asked.insert(name)
        guard let value = values[name] else {
            unknown.insert(name)
            return nil
        }
        return value
    }
}
