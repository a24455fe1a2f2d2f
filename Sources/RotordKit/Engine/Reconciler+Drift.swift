import Glibc
import Logging
import RotordCore

/// Permission drift: at each pass, a deliver file whose owner, group or mode no longer matches the
/// configuration is put right and logged.
extension Reconciler {
    /// Repairs the owner, group and mode of every existing deliver file of `consumers`; returns what it
    /// changed, one line per file (`path: mode 644 → 600`). A file it cannot repair is logged as an error; a
    /// hostile path (a symbolic link, see ``SecretPublisher/pathProblem(_:owner:)``) is left alone.
    @discardableResult
    package static func repairDrift(_ consumers: [ManagedConsumer], logger: Logger = Logger(label: "rotord"))
        -> [String]
    {
        var repaired: [String] = []
        for consumer in consumers {
            for target in consumer.deliver {
                let uid = target.owner.flatMap(UserDatabase.uid(for:))
                let gid = target.group.flatMap(UserDatabase.gid(for:))
                for path in target.filePaths {
                    guard let change = repair(path, mode: mode_t(target.mode), uid: uid, gid: gid) else { continue }
                    switch change {
                    case .success(let what):
                        repaired.append("\(path): \(what)")
                        logger.warning(
                            "deliver file \(path) of \(consumer.name) had drifted (\(what)); repaired",
                            metadata: .rotation(consumer.name))
                    case .failure(let error):
                        let text =
                            "deliver file \(path) of \(consumer.name) has drifted and cannot be repaired: \(error); "
                            + "fix its owner and mode by hand"
                        logger.error(
                            "\(text)",
                            metadata: .rotation(consumer.name))
                    }
                }
            }
        }
        return repaired
    }

    /// `nil` when `path` is absent, not a regular file, or already right; else what was changed, or why not.
    static func repair(_ path: String, mode: mode_t, uid: uid_t?, gid: gid_t?) -> Result<String, AtomicFile.Failure>? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        var changes: [String] = []
        let wrongOwner = uid.map { $0 != st.st_uid } ?? false
        let wrongGroup = gid.map { $0 != st.st_gid } ?? false
        if wrongOwner || wrongGroup {
            guard fchown(fd, wrongOwner ? uid! : UInt32.max, wrongGroup ? gid! : UInt32.max) == 0 else {
                return .failure(AtomicFile.Failure(path: path, operation: "setting the owner of", code: errno))
            }
            if wrongOwner { changes.append("owner \(st.st_uid) → \(uid!)") }
            if wrongGroup { changes.append("group \(st.st_gid) → \(gid!)") }
        }
        // chown may clear set-id bits; compare the permission bits only.
        if st.st_mode & 0o7777 != mode || wrongOwner || wrongGroup {
            guard fchmod(fd, mode) == 0 else {
                return .failure(AtomicFile.Failure(path: path, operation: "setting the mode of", code: errno))
            }
            if st.st_mode & 0o7777 != mode {
                changes.append("mode \(String(st.st_mode & 0o7777, radix: 8)) → \(String(mode, radix: 8))")
            }
        }
        return changes.isEmpty ? nil : .success(changes.joined(separator: ", "))
    }
}
