import Foundation
import Glibc

/// A fresh directory under the system's temp folder, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "rotord-test") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func read(_ name: String) -> String? { try? String(contentsOfFile: "\(path)/\(name)", encoding: .utf8) }

    /// The inode of `name` (not following a link), or 0 when it is absent: a changed inode means a new file.
    func inode(_ name: String) -> ino_t {
        var st = stat()
        return lstat("\(path)/\(name)", &st) == 0 ? st.st_ino : 0
    }

    func mode(_ name: String) -> UInt16? {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: "\(path)/\(name)"),
            let perms = attrs[.posixPermissions] as? NSNumber
        else { return nil }
        return perms.uint16Value
    }
}
