import Glibc

/// Looks up users and groups by name or number.
enum UserDatabase {
    /// The uid of `name`, or the number itself when a user has it.
    static func uid(for name: String) -> uid_t? {
        if let n = UInt32(name) { return getpwuid(n) == nil ? nil : n }
        guard let pw = getpwnam(name) else { return nil }
        return pw.pointee.pw_uid
    }

    /// The gid of `name`, or the number itself when a group has it.
    static func gid(for name: String) -> gid_t? {
        if let n = UInt32(name) { return getgrgid(n) == nil ? nil : n }
        guard let gr = getgrnam(name) else { return nil }
        return gr.pointee.gr_gid
    }
}
