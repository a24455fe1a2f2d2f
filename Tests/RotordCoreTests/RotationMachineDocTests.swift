import Foundation
import RotordCore
import Testing

/// `docs/architecture.md` shows the machine's state table; it is rendered from the machine, so the
/// two cannot drift apart.
@Suite struct RotationMachineDocTests {
    static let begin =
        "<!-- BEGIN rotation table: RotationMachine.markdownTable(), checked by RotationMachineDocTests -->"
    static let end = "<!-- END rotation table -->"

    static var architecturePath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/architecture.md").path
    }

    /// A line-by-line comparison: `-` what the document says, `+` what the machine does.
    static func diff(document: String, machine: String) -> String {
        let a = document.split(separator: "\n", omittingEmptySubsequences: false)
        let b = machine.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [String] = []
        for i in 0..<max(a.count, b.count) {
            let left = i < a.count ? String(a[i]) : nil
            let right = i < b.count ? String(b[i]) : nil
            if left == right { continue }
            if let left { out.append("- \(left)") }
            if let right { out.append("+ \(right)") }
        }
        return out.joined(separator: "\n")
    }

    @Test func architectureStateTableIsTheMachines() throws {
        let text = try String(contentsOfFile: Self.architecturePath, encoding: .utf8)
        let start = try #require(text.range(of: Self.begin + "\n"), "the document lacks \(Self.begin)")
        let stop = try #require(
            text.range(of: Self.end, range: start.upperBound..<text.endIndex), "the document lacks \(Self.end)")
        let document = String(text[start.upperBound..<stop.lowerBound])
        let machine = RotationMachine().markdownTable()
        // `ROTORD_UPDATE_DOCS=1 swift test --filter RotationMachineDocTests` writes the machine's table into the document.
        if ProcessInfo.processInfo.environment["ROTORD_UPDATE_DOCS"] == "1" && document != machine {
            try (text[..<start.upperBound] + machine + text[stop.lowerBound...])
                .write(toFile: Self.architecturePath, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            document == machine,
            "docs/architecture.md disagrees with the machine (- document, + machine):\n\(Self.diff(document: document, machine: machine))"
        )
    }

    @Test func tableCoversEveryStepAndEveryEventCase() {
        let samples = RotationMachine().recordSamples(now: Date(timeIntervalSince1970: 1_780_000_000))
        #expect(Set(samples.map(\.record.step)) == Set(RotationStep.allCases))
        for sample in samples {
            #expect(sample.label.hasPrefix(sample.record.step.rawValue))
            #expect(sample.record.inconsistency == nil, "\(sample.label) is a record the machine produces")
        }
        #expect(Set(RotationMachine.eventSamples.map(\.event.kind)) == Set(RotationEvent.Kind.allCases))
    }
}
