import Foundation
import Testing

/// The documentation cannot go stale unnoticed: every repository path that `README.md`,
/// `docs/*.md` and the `///` doc comments of `Sources/` cite must exist, and every markdown link
/// to a section (`file.md#section`) must find that heading.
///
/// Pragmatic on purpose: a path counts when it starts with a folder of the repository
/// (`Sources/…`, `docs/…`), or ends in `.swift`, `.md` or `.sh`; URLs, absolute paths (example
/// configuration such as `/etc/…`), globs and placeholders (`*`, `?`, `<id>`, `{…}`, `$VAR`, `…`)
/// are not paths, and a path in a dependency (its first folder is a package of `Package.resolved`,
/// `swift-subprocess/Sources/…`) is not checked. A path may be written relative to the repository, to the citing file's folder, to
/// `Sources/` or to a module's folder (`Engine/ChildProcess.swift` in RotordKit's documentation); a
/// bare file name must exist somewhere in the repository.
@Suite struct DocumentationLinkTests {
    /// The repository root, from this file's path (`Tests/RotordKitTests/…`).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let topFolders: Set<String> = [
        "Sources", "Tests", "scripts", "systemd", "config", "contrib", "docs", "packaging", "Package.swift",
        "README.md",
    ]
    static let fileExtensions = [".swift", ".md", ".sh"]
    static let placeholderCharacters = Set("*?<>{}$…~")

    /// A cited path or link, where it was found.
    struct Citation: CustomStringConvertible {
        var file: String
        var line: Int
        var target: String
        var description: String { "\(file):\(line): \(target)" }
    }

    /// The text of every documentation source: markdown files whole, Swift files' `///` lines.
    static func documents() -> [(file: String, lines: [(Int, String)])] {
        var out: [(String, [(Int, String)])] = []
        let docs = ((try? FileManager.default.contentsOfDirectory(atPath: root + "/docs")) ?? [])
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
        for file in ["README.md"] + docs {
            let text = (try? String(contentsOfFile: root + "/" + file, encoding: .utf8)) ?? ""
            out.append(
                (
                    file,
                    text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map {
                        ($0 + 1, String($1))
                    }
                ))
        }
        for file in allFiles(under: "Sources") where file.hasSuffix(".swift") {
            let text = (try? String(contentsOfFile: root + "/" + file, encoding: .utf8)) ?? ""
            let comments = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap {
                index, line -> (Int, String)? in
                let trimmed = line.drop { $0 == " " }
                return trimmed.hasPrefix("///") ? (index + 1, String(trimmed.dropFirst(3))) : nil
            }
            out.append((file, comments))
        }
        return out
    }

    /// Every file below `folder` (relative to the root), sorted.
    static func allFiles(under folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root + "/" + folder) else { return [] }
        return walker.compactMap { $0 as? String }.map { folder + "/" + $0 }.sorted()
    }

    static let basenames: Set<String> = {
        var names: Set<String> = []
        for folder in topFolders {
            names.insert(folder)
            for file in allFiles(under: folder) { names.insert(String(file.split(separator: "/").last ?? "")) }
        }
        return names
    }()

    static let moduleFolders: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/Sources")) ?? []).map { "Sources/" + $0 }

    /// The identities of the package's dependencies (`swift-subprocess`, `async-http-client` …).
    static let dependencies: Set<String> = {
        let text = (try? String(contentsOfFile: root + "/Package.resolved", encoding: .utf8)) ?? ""
        return Set(text.matches(of: /"identity"\s*:\s*"([^"]+)"/).map { String($0.output.1) })
    }()

    static func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: root + "/" + relative) }

    /// Whether `path`, cited in `file`, names something in the repository.
    static func resolves(_ path: String, citedIn file: String) -> Bool {
        guard path.contains("/") else { return basenames.contains(path) || exists(folder(of: file) + path) }
        if let first = path.split(separator: "/").first, dependencies.contains(first.lowercased()) { return true }
        let bases = ["", folder(of: file), "Sources/", "Tests/", "docs/"] + moduleFolders.map { $0 + "/" }
        return bases.contains { exists($0 + path) }
    }

    static func folder(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "" }
        return String(file[...slash])
    }

    /// The words of `line` that look like repository paths (`#anchor` kept).
    static func pathCandidates(in line: String) -> [String] {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-/#").union(
            placeholderCharacters)
        var words: [String] = []
        var current = ""
        for character in line + " " {
            if allowed.contains(character) {
                current.append(character)
            } else {
                words.append(current)
                current = ""
            }
        }
        return words.compactMap { word -> String? in
            var word = Substring(word)
            while let last = word.last, last == "." || last == "-" { word = word.dropLast() }
            guard !word.isEmpty, !word.hasPrefix("/"), !word.hasPrefix("."), !word.hasPrefix("#"),
                !word.contains("//"), !word.contains(where: placeholderCharacters.contains)
            else { return nil }
            let path = word.split(separator: "#", maxSplits: 1).first.map(String.init) ?? ""
            let first = path.split(separator: "/").first.map(String.init) ?? ""
            if path.contains("/") && topFolders.contains(first) { return String(word) }
            return fileExtensions.contains(where: path.hasSuffix) && path.count > 3 ? String(word) : nil
        }
    }

    /// The targets of the markdown links of `line` that are not URLs.
    static func linkTargets(in line: String) -> [String] {
        line.matches(of: /\]\(([^)\s]+)\)/).map { String($0.output.1) }.filter {
            !$0.contains("://") && !$0.hasPrefix("mailto:")
        }
    }

    /// GitHub's anchors of the headings of a markdown file: lowercase, punctuation removed,
    /// spaces as `-`, repeated headings numbered `-1`, `-2`.
    static func anchors(ofMarkdown file: String) -> Set<String> {
        let text = (try? String(contentsOfFile: root + "/" + file, encoding: .utf8)) ?? ""
        var anchors: Set<String> = []
        var fenced = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("```") { fenced.toggle() }
            guard !fenced, let match = line.wholeMatch(of: /#{1,6}\s+(.*?)\s*#*\s*/) else { continue }
            let slug = String(
                match.output.1.lowercased().compactMap { c -> Character? in
                    if c == " " { return "-" }
                    return c.isLetter || c.isNumber || c == "-" || c == "_" ? c : nil
                })
            var candidate = slug
            var n = 0
            while anchors.contains(candidate) {
                n += 1
                candidate = "\(slug)-\(n)"
            }
            anchors.insert(candidate)
        }
        return anchors
    }

    /// Every broken citation: a path that does not exist, or a `file.md#section` without that heading.
    static func brokenCitations() -> [Citation] {
        var broken: [Citation] = []
        for (file, lines) in documents() {
            for (number, line) in lines {
                let words = pathCandidates(in: line) + linkTargets(in: line)
                for (index, word) in words.enumerated() where !words[..<index].contains(word) {
                    let parts = word.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                    let path = String(parts[0])
                    if !path.isEmpty, !resolves(path, citedIn: file) {
                        broken.append(Citation(file: file, line: number, target: word))
                        continue
                    }
                    guard parts.count == 2 else { continue }
                    let target = path.isEmpty ? file : resolvedMarkdown(path, citedIn: file)
                    guard let target, target.hasSuffix(".md") else { continue }
                    if !anchors(ofMarkdown: target).contains(String(parts[1])) {
                        broken.append(Citation(file: file, line: number, target: word + " (no such heading)"))
                    }
                }
            }
        }
        return broken
    }

    /// A cited markdown file's path from the root.
    static func resolvedMarkdown(_ path: String, citedIn file: String) -> String? {
        [folder(of: file) + path, path, "docs/" + path].first(where: exists)
    }

    @Test func everyCitedPathAndSectionExists() {
        let broken = Self.brokenCitations().map(\.description).joined(separator: "\n")
        #expect(broken.isEmpty, "stale citations:\n\(broken)")
    }

    @Test func theCheckSeesPathsLinksAndAnchors() {
        #expect(
            Self.pathCandidates(in: "see `Sources/RotordKit/Engine/CreateLimiter.swift`.") == [
                "Sources/RotordKit/Engine/CreateLimiter.swift"
            ])
        #expect(Self.pathCandidates(in: "at /etc/rotord/rotord.yaml, docs/*.md, https://x.org/docs/a.md").isEmpty)
        #expect(Self.pathCandidates(in: "`rotations/<id>.json` and `Sources/**/*.swift`").isEmpty)
        #expect(
            Self.linkTargets(in: "[cli](cli.md#rotord-repair) and [web](https://example.org)") == [
                "cli.md#rotord-repair"
            ])
        #expect(!Self.resolves("RotordKit/CreateLimiter.swift", citedIn: "docs/architecture.md"))
        #expect(Self.resolves("RotordKit/Engine/CreateLimiter.swift", citedIn: "docs/architecture.md"))
        #expect(Self.resolves("Engine/ChildProcess.swift", citedIn: "docs/architecture.md"))
        #expect(Self.resolves("swift-subprocess/Sources/Subprocess/API.swift", citedIn: "Sources/RotordKit/x.swift"))
        let cli = Self.anchors(ofMarkdown: "docs/cli.md")
        #expect(cli.contains("rotord-repair"), "\(cli.sorted())")
        #expect(!cli.contains("no-such-section"))
    }
}
