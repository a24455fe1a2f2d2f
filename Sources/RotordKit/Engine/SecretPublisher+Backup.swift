import Glibc

/// `backup: N` (keep previous versions) and `in_place: true` (overwrite, for single-file bind mounts).
extension SecretPublisher {
    /// Before `path` gets `bytes`: when it holds other content, keeps it as `path.1`, shifting older copies
    /// (`path.1` → `path.2` … up to `path.count`; the oldest is dropped). The copies get the target's mode and
    /// owner: they hold a secret too.
    static func keepBackups(
        of path: String, count: Int, replacingWith bytes: [UInt8], mode: mode_t, uid: uid_t?, gid: gid_t?
    ) throws(AtomicFile.Failure) {
        guard count > 0, let current = try AtomicFile.read(path), current != bytes else { return }
        if count > 1 {
            for k in stride(from: count - 1, through: 1, by: -1) {
                if rename("\(path).\(k)", "\(path).\(k + 1)") != 0 && errno != ENOENT {
                    throw AtomicFile.Failure(path: "\(path).\(k)", operation: "keeping the backup", code: errno)
                }
            }
        }
        try AtomicFile.write(current, to: "\(path).1", mode: mode, uid: uid, gid: gid, skipIfUnchanged: false)
    }

    /// Overwrites `path` in place (same inode: a single-file bind mount sees the change), with `mode` and the
    /// owner. Not atomic: a reader may see a short or mixed file while it is written. Refuses a symbolic link.
    ///
    /// - Returns: `false` when the file already held these bytes, mode and owner.
    @discardableResult
    static func writeInPlace(_ bytes: [UInt8], to path: String, mode: mode_t, uid: uid_t?, gid: gid_t?)
        throws(AtomicFile.Failure) -> Bool
    {
        if AtomicFile.isUnchanged(path, bytes, mode: mode, uid: uid, gid: gid) { return false }
        let fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AtomicFile.Failure(path: path, operation: "opening (in place)", code: errno) }
        defer { close(fd) }
        try AtomicFile.setOwner(fd, uid: uid, gid: gid, path: path)
        guard fchmod(fd, mode) == 0 else {
            throw AtomicFile.Failure(path: path, operation: "setting the mode of", code: errno)
        }
        guard ftruncate(fd, 0) == 0 else { throw AtomicFile.Failure(path: path, operation: "truncating", code: errno) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AtomicFile.Failure(path: path, operation: "writing", code: errno)
            }
            offset += n
        }
        guard fsync(fd) == 0 else { throw AtomicFile.Failure(path: path, operation: "syncing", code: errno) }
        return true
    }
}
