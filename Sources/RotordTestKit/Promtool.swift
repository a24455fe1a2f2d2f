import Foundation

/// `promtool`, Prometheus's own checker (Debian's `prometheus` package, which scripts/setup.sh installs), for
/// the tests of the metrics file and of the dashboard in `contrib/grafana`.
///
/// Where `promtool` is not installed the tests skip their promtool checks and say so, unless
/// `ROTORD_REQUIRE_PROMTOOL=1` (scripts/test.sh sets it): then ``locate()`` throws and they fail.
public enum Promtool {
    /// `promtool` is not on `PATH` and `ROTORD_REQUIRE_PROMTOOL=1`.
    public struct Missing: Error, CustomStringConvertible {
        public var description: String { "promtool is not on PATH and ROTORD_REQUIRE_PROMTOOL=1: run scripts/setup.sh" }
    }

    /// What one run of promtool did.
    public struct Run: Sendable {
        /// Its exit status.
        public var status: Int32
        /// Its standard output and standard error.
        public var output: String
    }

    /// The path of `promtool` on `PATH`, or `nil` (with a line in the test output) when it is not installed
    /// and not required.
    public static func locate() throws(Missing) -> String? {
        let environment = ProcessInfo.processInfo.environment
        let folders = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        if let path = folders.map({ "\($0)/promtool" }).first(where: FileManager.default.isExecutableFile(atPath:)) {
            return path
        }
        if environment["ROTORD_REQUIRE_PROMTOOL"] == "1" { throw Missing() }
        print("promtool: not installed, its checks are skipped (scripts/setup.sh installs it)")
        return nil
    }

    /// Runs the `promtool` at `path` with `arguments`, its standard input read from the file `input`.
    public static func run(_ path: String, _ arguments: [String], input: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let input { process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input)) }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
    }

    /// `promtool check metrics` on the metrics file at `path`: `nil` when promtool is skipped, else whether it
    /// accepted the file with nothing to lint, and its output. Prints `promtool: check metrics: OK (N families)`
    /// (or `FAILED`), so the check shows in the test output.
    public static func checkMetrics(_ path: String) throws -> (ok: Bool, output: String)? {
        guard let promtool = try locate() else { return nil }
        let result = try run(promtool, ["check", "metrics"], input: path)
        let ok = result.status == 0 && result.output.isEmpty
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let families = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.count
        print("promtool: check metrics: \(ok ? "OK" : "FAILED") (\(families) families)")
        return (ok, result.output)
    }
}
