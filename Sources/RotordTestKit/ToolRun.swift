import Foundation

/// Runs a command-line tool the test harness needs (`openssl`, `ip`) to its end, with no input and its output
/// discarded, keeping what it said on standard error for the caller's failure.
enum ToolRun {
    /// Runs `path` with `arguments`; returns its exit status and its standard error, trimmed.
    static func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let said = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus,
            String(decoding: said, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }
}
