import Crypto
import Foundation
import Glibc

extension Commands {
    /// `rotord fleet keygen --out PATH`: makes this host's X25519 key pair for fleet mode (`cluster.key_file`;
    /// docs/cli.md, "fleet keygen"). Writes the private key to `path` (base64 of the 32 raw bytes and a newline,
    /// mode 0600, created exclusively: an existing file, or a symbolic link, is never overwritten), and prints the
    /// public key in base64 through `output`, never the private key. 0 on success, 1 when the file exists or cannot be
    /// written.
    package static func fleetKeygen(out path: String, output: (String) -> Void = { print($0) }) -> Int32 {
        let key = Curve25519.KeyAgreement.PrivateKey()
        let text = key.rawRepresentation.base64EncodedString() + "\n"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason =
                errno == EEXIST
                ? "it exists; rotord never overwrites a key (remove it first)" : String(cString: strerror(errno))
            printError("fleet keygen: cannot create \(path): \(reason)")
            return ExitStatus.failure
        }
        var failure: String?
        if fchmod(descriptor, 0o600) != 0 { failure = "chmod 0600: \(String(cString: strerror(errno)))" }
        let bytes = Array(text.utf8)
        if failure == nil {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written != bytes.count { failure = "write: \(String(cString: strerror(errno)))" }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = "fsync: \(String(cString: strerror(errno)))" }
        close(descriptor)
        if let failure {
            unlink(path)
            printError("fleet keygen: cannot write \(path): \(failure)")
            return ExitStatus.failure
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
        output("public key: \(key.publicKey.rawRepresentation.base64EncodedString())")
        output("private key written to \(path) (mode 0600); set cluster.key_file to it")
        return ExitStatus.success
    }
}
