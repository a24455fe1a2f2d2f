import Glibc
import Logging

/// What the process knows of its systemd surroundings.
public enum SystemdEnvironment {
    /// Whether stderr is connected to journald: `JOURNAL_STREAM` ("device:inode") matches fd 2.
    public static var isStderrJournal: Bool {
        isStderrJournal(journalStream: getenv("JOURNAL_STREAM").map { String(cString: $0) })
    }

    /// Whether `journalStream` (a `JOURNAL_STREAM` value, "device:inode") names this process's fd 2.
    public static func isStderrJournal(journalStream value: String?) -> Bool {
        guard let value else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }

    /// Bootstraps swift-log once: journald when stderr is connected to it, plain stderr lines otherwise.
    public static func bootstrapLogging(identifier: String, level: Logger.Level, forceJournal: Bool = false) {
        let journal = forceJournal || isStderrJournal
        LoggingSystem.bootstrap { label in
            if journal {
                var handler = JournalLogHandler(label: label, identifier: identifier)
                handler.logLevel = level
                return handler
            }
            var handler = StderrLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
