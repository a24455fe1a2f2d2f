import Glibc

/// The identity of a path for comparisons: `.` and `..` removed lexically, then the parent
/// directory's symbolic links resolved with `realpath` where the parent exists.
///
/// Two spellings of one file (`/out/./a.json`, `/out/sub/../a.json`, `/link-to-out/a.json`) give the
/// same canonical path, so a deliver path cannot hide a collision with another file behind them.
enum CanonicalPath {
    /// `path` without `.`, `..` and repeated slashes (absolute paths only; `..` stops at `/`).
    static func lexical(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The canonical form of `path`: lexical, then the parent's real path when it exists.
    static func of(_ path: String) -> String {
        let clean = lexical(path)
        guard clean != "/" else { return clean }
        let parent = AtomicFile.parent(of: clean)
        let name = clean[clean.index(after: clean.lastIndex(of: "/")!)...]
        guard let resolved = realpath(parent, nil) else { return clean }
        defer { free(resolved) }
        let real = String(cString: resolved)
        return (real == "/" ? "" : real) + "/" + name
    }

    /// Whether `path` is `directory` or lies under it (both canonical).
    static func isInside(_ path: String, _ directory: String) -> Bool {
        directory == "/" || path == directory || path.hasPrefix(directory + "/")
    }
}
