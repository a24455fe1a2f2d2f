import Foundation
import FracttalClient
import FracttalSimulator
import Glibc
import RotordCore
import RotordKit

/// `rotord-bench`: prints the figures of docs/benchmarks.md. Run it with scripts/bench.sh on a
/// release build; it is not part of the tests. Every server binds 127.0.0.1.
@main
struct Benchmark {
    static func main() async throws {
        let args = CommandLine.arguments.dropFirst()
        let only = args.first { !$0.hasPrefix("--") }
        let idleSeconds = Int(value(of: "--idle-seconds", in: Array(args)) ?? "120") ?? 120
        let rotations = Int(value(of: "--rotations", in: Array(args)) ?? "10000") ?? 10000
        let rotord = value(of: "--rotord", in: Array(args)) ?? defaultRotord()
        print(
            "# rotord benchmarks — \(Date().formatted(.iso8601)), \(ProcessInfo.processInfo.activeProcessorCount) cores, "
                + "\(ProcessInfo.processInfo.physicalMemory / 1_073_741_824) GiB, rotord at \(rotord)\n")
        if only == nil || only == "planning" { planning() }
        if only == nil || only == "publish" { try publish() }
        if only == nil || only == "listing" { try await listing() }
        if only == nil || only == "startup" { try await startup(rotord: rotord) }
        if only == nil || only == "idle" {
            try await idle(rotord: rotord, seconds: idleSeconds, metrics: args.contains("--metrics"))
        }
        if only == nil || only == "leak" { try await leak(rotord: rotord, rotations: rotations) }
        if only == nil || only == "budget" { try await budget(rotord: rotord) }
        if only == nil || only == "certbot" { try await certbot(rotord: rotord) }
        if only == nil || only == "memory" { try await memory(rotord: rotord, metrics: args.contains("--metrics")) }
    }

    static func value(of flag: String, in args: [String]) -> String? {
        guard let i = args.firstIndex(of: flag), i + 1 < args.count else { return nil }
        return args[i + 1]
    }

    static func defaultRotord() -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rotord").path
    }

    // MARK: - Helpers

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    static func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        let d = start.duration(to: clock.now)
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func tempDir(_ label: String) -> String {
        let path = "/var/tmp/rotord-bench-\(label)-\(UUID().uuidString.prefix(6))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

}
