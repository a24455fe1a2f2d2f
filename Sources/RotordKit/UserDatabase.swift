import Glibc

/// Looks up users and groups by name or number.
enum UserDatabase {
    /// The uid of `name`, or the number itself.
    static func uid(for name: String) -> uid_t? {
        if let n = UInt32(name) { return n }
        guard let pw = getpwnam(name) else { return nil }
        return pw.pointee.pw_uid
    }

    /// The gid of `name`, or the number itself.
    static func gid(for name: String) -> gid_t? {
        if let n = UInt32(name) { return n }
        guard let gr = getgrnam(name) else { return nil }
        return gr.pointee.gr_gid
    }
}
