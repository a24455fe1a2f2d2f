import Crypto
import Foundation
import Glibc
import RotordCore

/// A fleet host's X25519 key pair (issue 20, point 5): the private key in a file of its own (`cluster.key_file`,
/// mode 0600, loaded by the unit with `LoadCredential=` in production), the public key in the host's `hosts/<h>`
/// record, which sealed copies are sealed to (``SealedCredential``).
///
/// The file holds the raw 32-byte private key in base64 on one line. It is made by `rotord fleet keygen --out PATH`
/// and never overwritten; a file that others can read is refused, as OpenSSH refuses such a key.
package enum FleetHostKey {
    /// Why a key file cannot be made or used. Never quotes the key.
    package struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// The file.
        package var path: String
        /// What is wrong, and what to do.
        package var reason: String

        package var description: String { "\(path): \(reason)" }
    }

    /// Makes a new key pair, writes the private key to `path` (created, never replaced: mode 0600, fsync'd) and
    /// returns the public key in base64.
    package static func generate(at path: String) throws(Failure) -> String {
        let key = Curve25519.KeyAgreement.PrivateKey()
        let line = Array((key.rawRepresentation.base64EncodedString() + "\n").utf8)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST {
                throw Failure(
                    path: path, reason: "exists; rotord never replaces a host key (remove it first if you mean to)")
            }
            throw Failure(path: path, reason: "cannot be created: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fchmod(fd, 0o600) == 0, fsync(fd) == 0 else {
            let code = errno
            unlink(path)
            throw Failure(path: path, reason: "cannot be written: \(String(cString: strerror(code)))")
        }
        let parent = open(AtomicFile.parent(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if parent >= 0 {
            _ = fsync(parent)
            close(parent)
        }
        return key.publicKey.rawRepresentation.base64EncodedString()
    }

    /// The problem with `cluster.pinned_keys` for this host's own `privateKey`, as a configuration error on
    /// `cluster.pinned_keys.<host>`, or `nil` (nothing pinned, or this host's public key is the pinned one).
    package static func pinProblem(
        _ privateKey: Curve25519.KeyAgreement.PrivateKey, cluster: ClusterSettings, configPath: String
    ) -> ConfigurationError? {
        guard let pinned = cluster.pinnedKeys?[cluster.host] else { return nil }
        let own = privateKey.publicKey.rawRepresentation.base64EncodedString()
        guard pinned != own else { return nil }
        return ConfigurationError(
            file: configPath, key: "cluster.pinned_keys.\(cluster.host)",
            message:
                "is not the public key of cluster.key_file \(cluster.keyFile) (which is \(own)): pin this host's "
                + "key as `rotord fleet keygen` printed it")
    }

    /// Reads the private key at `path`: a regular file, not readable by group or others, one line of base64.
    package static func load(_ path: String) throws(Failure) -> Curve25519.KeyAgreement.PrivateKey {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            throw Failure(path: path, reason: "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard st.st_mode & S_IFMT == S_IFREG else { throw Failure(path: path, reason: "is not a regular file") }
        guard st.st_mode & 0o077 == 0 else {
            throw Failure(
                path: path,
                reason: "can be read by others (mode \(String(st.st_mode & 0o777, radix: 8))): chmod 0600 it")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
        else {
            throw Failure(path: path, reason: "is not a host key made by rotord fleet keygen")
        }
        return key
    }
}
