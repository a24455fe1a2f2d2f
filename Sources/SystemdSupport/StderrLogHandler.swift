import Glibc
import Logging

/// The fallback when stderr is not journald: one plain line per entry,
/// `LEVEL message key=value …`, no colours (journald or a terminal adds its own time stamps).
public struct StderrLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String

    /// Creates a handler.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = mergedMetadata(event.metadata)
        let line = Self.format(level: event.level, message: "\(event.message)", metadata: merged) + "\n"
        // One write(2) per line: unbuffered, and lines from several threads never interleave.
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// One line (pure, for tests).
    public static func format(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var out = "\(level.rawValue) \(message)"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where key != "message_id" {
            out += " \(key)=\(JournalLogHandler.flatten(value))"
        }
        return String(out.map { $0.isNewline ? " " : $0 })
    }
}
