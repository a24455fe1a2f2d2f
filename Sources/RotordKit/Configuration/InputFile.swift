import Glibc

/// Reads a file rotord is given (the configuration, an admin credential) without ever blocking:
/// it is opened with `O_NONBLOCK` and must be a regular file, so a FIFO, a socket, a device or a
/// directory is refused with a reason instead of hanging the command or reading forever.
enum InputFile {
    /// Why a file cannot be used; ``description`` is the reason, for a message that names the file.
    enum Problem: Error, CustomStringConvertible {
        /// The file does not exist.
        case missing
        /// It is a directory.
        case directory
        /// It is a FIFO, a socket or a device.
        case notRegular
        /// It is larger than the limit.
        case tooLarge(limit: Int)
        /// `open` or `read` failed with `errno`.
        case unreadable(Int32)

        var description: String {
            switch self {
            case .missing: "does not exist"
            case .directory: "is a directory, not a file"
            case .notRegular: "is not a regular file (a FIFO, socket or device); use a plain file"
            case .tooLarge(let limit): "is larger than \(limit) bytes"
            case .unreadable(let code):
                "cannot be read: \(String(cString: strerror(code)))"
                    + (code == EACCES || code == EPERM ? " (check its permissions)" : "")
            }
        }
    }

    /// The whole content of the regular file `path`, at most `limit` bytes.
    static func read(_ path: String, limit: Int) throws(Problem) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        if fd < 0 {
            let code = errno
            throw code == ENOENT || code == ENOTDIR ? .missing : .unreadable(code)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .unreadable(errno) }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .directory
        default: throw .notRegular
        }
        guard Int(st.st_size) <= limit else { throw .tooLarge(limit: limit) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(errno)
            }
            if n == 0 { break }
            out += buffer[0..<n]
            if out.count > limit { throw .tooLarge(limit: limit) }
        }
        return out
    }
}
