import CSystemd
import Glibc
import Logging

/// A swift-log handler that writes structured entries to journald with `sd_journal_sendv(3)`.
///
/// Fields: `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, `CODE_FILE`, `CODE_LINE`, `CODE_FUNC`, and
/// each metadata key as a valid field name (`rotord_consumer` → `ROTORD_CONSUMER`); the key
/// `message_id` becomes `MESSAGE_ID`. It adds nothing else: what is logged is what was passed.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let identifier: String

    /// Creates a handler for `label`, tagging entries with `SYSLOG_IDENTIFIER=identifier`.
    public init(label: String, identifier: String = "rotord", metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.identifier = identifier
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = mergedMetadata(event.metadata)
        let fields = Self.fields(
            message: "\(event.message)", level: event.level, identifier: identifier, metadata: merged, file: event.file,
            function: event.function, line: event.line)
        Self.send(fields)
    }

    /// The syslog priority of a level.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The `FIELD=value` strings of one entry (pure, for tests).
    public static func fields(
        message: String, level: Logger.Level, identifier: String, metadata: Logger.Metadata, file: String,
        function: String, line: UInt
    ) -> [String] {
        var out = [
            "MESSAGE=\(message)", "PRIORITY=\(priority(level))", "SYSLOG_IDENTIFIER=\(identifier)", "CODE_FILE=\(file)",
            "CODE_LINE=\(line)", "CODE_FUNC=\(function)",
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard var name = JournalFieldName.sanitize(key) else { continue }
            if ["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC"].contains(name) {
                name = "META_" + name
            }
            out.append("\(name)=\(flatten(value))")
        }
        return out
    }

    static func flatten(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): s
        case .stringConvertible(let c): c.description
        case .array(let a): a.map(flatten).joined(separator: ",")
        case .dictionary(let d):
            d.sorted { $0.key < $1.key }.map { "\($0.key)=\(flatten($0.value))" }.joined(separator: ",")
        }
    }

    /// Sends the fields; returns `sd_journal_sendv`'s result (0 on success).
    @discardableResult
    public static func send(_ fields: [String]) -> Int32 {
        var buffers = fields.map { Array($0.utf8) }
        return buffers.withUnsafeMutableBufferPointer { bufs -> Int32 in
            var iovecs = [iovec]()
            iovecs.reserveCapacity(bufs.count)
            for i in bufs.indices {
                bufs[i].withUnsafeMutableBytes { raw in
                    iovecs.append(iovec(iov_base: raw.baseAddress, iov_len: raw.count))
                }
            }
            // The pointers stay valid: `buffers` is not mutated until the call returns.
            return sd_journal_sendv(&iovecs, Int32(iovecs.count))
        }
    }
}
