import Glibc

/// Durable, atomic file replacement: a temporary file in the same directory, written, given its
/// mode and owner, fsync'd, renamed over the target, and the directory fsync'd.
///
/// A reader sees the old content or the new, never a mix; after `write` returns, the new
/// content survives a power cut.
package enum AtomicFile {
    /// An error with the path and the failing call.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        /// The file.
        package var path: String
        /// What was being done.
        package var operation: String
        /// `errno`.
        package var code: Int32

        package var description: String {
            "\(operation) \(path): \(String(cString: strerror(code)))"
                + (code == EACCES || code == EPERM
                    ? " (check the directory's permissions and the unit's ReadWritePaths=)" : "")
                + (code == ENOENT ? " (does the directory exist?)" : "")
                + (code == EROFS ? " (read-only file system: add the directory to the unit's ReadWritePaths=)" : "")
        }
    }

    /// Writes `bytes` to `path` atomically with `mode`, and `uid`/`gid` when given.
    ///
    /// - Returns: `false` when the file already held exactly these bytes with this mode and
    ///   owner, and nothing was written (republishing is a no-op).
    @discardableResult
    package static func write(
        _ bytes: [UInt8], to path: String, mode: mode_t = 0o600, uid: uid_t? = nil, gid: gid_t? = nil,
        skipIfUnchanged: Bool = true
    ) throws(Failure) -> Bool {
        if skipIfUnchanged, isUnchanged(path, bytes, mode: mode, uid: uid, gid: gid) { return false }
        let directory = parent(of: path)
        let base = path.split(separator: "/").last.map(String.init) ?? "file"
        var tmp = ""
        var fd: Int32 = -1
        for _ in 0..<16 {
            tmp = "\(directory)/.\(base).rotord-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw Failure(path: path, operation: "creating a temporary file beside", code: errno) }
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(tmp) }
        }
        // Owner and mode first, so the content is never readable by anyone it should not be.
        try Self.setOwner(fd, uid: uid, gid: gid, path: path)
        guard fchmod(fd, mode) == 0 else { throw Failure(path: path, operation: "setting the mode of", code: errno) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, operation: "writing", code: errno)
            }
            offset += n
        }
        guard fsync(fd) == 0 else { throw Failure(path: path, operation: "syncing", code: errno) }
        guard rename(tmp, path) == 0 else { throw Failure(path: path, operation: "renaming into place", code: errno) }
        ok = true
        try syncDirectory(directory)
        return true
    }

    /// fsyncs a directory, making renames and unlinks in it durable.
    package static func syncDirectory(_ directory: String) throws(Failure) {
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw Failure(path: directory, operation: "opening the directory", code: errno) }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else { throw Failure(path: directory, operation: "syncing the directory", code: errno) }
    }

    /// Removes `path` durably; absent is fine.
    package static func remove(_ path: String) throws(Failure) {
        if unlink(path) != 0 && errno != ENOENT { throw Failure(path: path, operation: "removing", code: errno) }
        try syncDirectory(parent(of: path))
    }

    /// The whole content of `path`, or `nil` when it does not exist.
    package static func read(_ path: String) throws(Failure) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw Failure(path: path, operation: "opening", code: errno)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, operation: "reading", code: errno)
            }
            if n == 0 { break }
            out += buffer[0..<n]
        }
        return out
    }

    /// The names in `directory` (without `.` and `..`), or `nil` when it does not exist
    /// (`ENOENT`). Any other error (not a directory, no permission, an I/O error) throws: an
    /// unreadable directory is never taken for an empty one.
    package static func entries(of directory: String, operation: String) throws(Failure) -> [String]? {
        guard let stream = opendir(directory) else {
            if errno == ENOENT { return nil }
            throw Failure(path: directory, operation: operation, code: errno)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw Failure(path: directory, operation: operation, code: errno) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    static func isUnchanged(_ path: String, _ bytes: [UInt8], mode: mode_t, uid: uid_t?, gid: gid_t?) -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_mode & 0o7777 == mode,
            uid.map({ $0 == st.st_uid }) ?? true, gid.map({ $0 == st.st_gid }) ?? true,
            Int(st.st_size) == bytes.count
        else { return false }
        return ((try? read(path)) ?? nil) == bytes
    }

    /// The directory part of `path`.
    package static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Gives the open file `fd` the owner `uid` and group `gid` (`nil`: keep), calling `fchown` only
    /// for what differs: a file that already has them (`owner: root` written by root) needs no
    /// privilege, so it works under a unit whose syscall filter denies `chown` (see docs/install.md).
    static func setOwner(_ fd: Int32, uid: uid_t?, gid: gid_t?, path: String) throws(Failure) {
        guard uid != nil || gid != nil else { return }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure(path: path, operation: "reading the owner of", code: errno) }
        let newUID = uid.flatMap { $0 == st.st_uid ? nil : $0 }
        let newGID = gid.flatMap { $0 == st.st_gid ? nil : $0 }
        guard newUID != nil || newGID != nil else { return }
        guard fchown(fd, newUID ?? UInt32.max, newGID ?? UInt32.max) == 0 else {
            throw Failure(path: path, operation: "setting the owner of", code: errno)
        }
    }
}
