import Foundation
import Testing

/// Exit statuses come only from `ExitStatus` (Sources/RotordKit/Commands/ExitStatus.swift): scripts and the units
/// rely on them (docs/cli.md, "Exit statuses at a glance"), so no command returns a number of its own.
@Suite struct ExitStatusSourceTests {
    nonisolated(unsafe) static let literal = /(return|ExitCode\()\s*(0|1|64|75|78)\b(?!\.)/

    @Test func everyCommandReturnsAnExitStatusByName() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var found: [String] = []
        for folder in ["Sources/RotordKit/Commands", "Sources/RotordKit/Daemon", "Sources/RotordCLI"] {
            let directory = root.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            where name.hasSuffix(".swift") && name != "ExitStatus.swift" {
                let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where line.contains(Self.literal) && !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                    found.append("\(folder)/\(name):\(number + 1): \(line)")
                }
            }
        }
        #expect(found.isEmpty, "return ExitStatus.…:\n\(found.joined(separator: "\n"))")
    }
}
