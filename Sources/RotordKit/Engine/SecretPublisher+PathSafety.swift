import Glibc
import RotordCore

/// Hostile paths: a deliver file is refused, before anything is written, when writing it could be turned
/// against its owner (a link sends the secret elsewhere; a directory another user may write lets that user
/// swap the file or the link under rotord).
extension SecretPublisher {
    /// Why writing `path` for a file owned by `owner` is unsafe, or `nil`: the final path is a symbolic link,
    /// its parent directory is a symbolic link, or the parent may be written by anyone other than root and the
    /// file's owner (other users, a group other than root's, or another owner).
    package static func pathProblem(_ path: String, owner: uid_t) -> String? {
        var st = stat()
        if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
            return "\(path) is a symbolic link; rotord never writes through one: replace it with a regular file, "
                + "or set the path to the real file"
        }
        let parent = AtomicFile.parent(of: path)
        guard lstat(parent, &st) == 0 else { return nil }  // a missing directory fails the write itself, clearly
        if (st.st_mode & S_IFMT) == S_IFLNK {
            return "the directory \(parent) of \(path) is a symbolic link; set the path to the real directory"
        }
        if st.st_mode & 0o002 != 0 {
            return "the directory \(parent) of \(path) is writable by every user (mode "
                + "\(String(st.st_mode & 0o7777, radix: 8))), who could replace the file: use a directory only root "
                + "and the file's owner can write"
        }
        if st.st_mode & 0o020 != 0 && st.st_gid != 0 {
            return "the directory \(parent) of \(path) is writable by the group \(st.st_gid), whose members could "
                + "replace the file: remove the group's write permission (chmod g-w)"
        }
        if st.st_uid != 0 && st.st_uid != owner {
            return "the directory \(parent) of \(path) belongs to uid \(st.st_uid), neither root nor the file's "
                + "owner (uid \(owner)), who could replace the file: chown it to root or to the file's owner"
        }
        return nil
    }

    /// The problems of every file of `targets` (see ``pathProblem(_:owner:)``), as `path: reason` lines.
    package static func pathProblems(_ targets: [DeliverTarget]) -> [String] {
        var problems: [String] = []
        for target in targets {
            let owner = target.owner.flatMap(UserDatabase.uid(for:)) ?? geteuid()
            for path in target.filePaths {
                if let problem = pathProblem(path, owner: owner) { problems.append(problem) }
            }
        }
        return problems
    }

    /// Everything that would make writing `target` fail or unsafe and can be told before a rotation creates a
    /// consumer: a hostile path (``pathProblem(_:owner:)``), an owner or group that does not exist, a missing or
    /// unwritable directory, a path that exists and is not a regular file. `check-config` reports these as
    /// configuration errors; a pass starts no rotation while one is left (its old consumer stays in service).
    package static func preflightProblems(_ target: DeliverTarget) -> [String] {
        var problems = pathProblems([target])
        if let owner = target.owner, UserDatabase.uid(for: owner) == nil { problems.append("no such user \(owner)") }
        if let group = target.group, UserDatabase.gid(for: group) == nil { problems.append("no such group \(group)") }
        for path in target.filePaths {
            let dir = AtomicFile.parent(of: path)
            var st = stat()
            if stat(dir, &st) != 0 || (st.st_mode & S_IFMT) != S_IFDIR {
                problems.append("the directory \(dir) does not exist")
            } else if access(dir, W_OK | X_OK) != 0 {
                problems.append("the directory \(dir) is not writable by this user")
            }
            if lstat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG, (st.st_mode & S_IFMT) != S_IFLNK {
                problems.append("\(path) exists and is not a regular file")
            }
        }
        return problems
    }

    /// `configuration` with each consumer's ``ManagedConsumer/deliveryProblem`` found on the file system now; a
    /// consumer of `known` (an earlier answer of this pass, by name) is not looked at again.
    package static func withDeliveryProblems(_ configuration: RotordConfiguration, known: [ManagedConsumer] = [])
        -> RotordConfiguration
    {
        var out = configuration
        let earlier = Dictionary(known.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for index in out.consumers.indices {
            let consumer = out.consumers[index]
            if let seen = earlier[consumer.name], seen.deliver == consumer.deliver {
                out.consumers[index].deliveryProblem = seen.deliveryProblem
                continue
            }
            // Once each: two files of one directory (a `raw` pair) share its problem.
            var problems: [String] = []
            for problem in consumer.deliver.flatMap(preflightProblems) where !problems.contains(problem) {
                problems.append(problem)
            }
            out.consumers[index].deliveryProblem =
                problems.isEmpty ? nil : "its deliver files cannot be written: " + problems.joined(separator: "; ")
        }
        return out
    }
}
