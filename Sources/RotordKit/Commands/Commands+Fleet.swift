import Foundation

extension Commands {
    /// `rotord fleet keygen --out PATH`: a new host key pair; the private key to `path` (0600, never replaced), the
    /// public key printed. 0 made; 73 the file exists or cannot be made.
    package static func fleetKeygen(out path: String) -> Int32 {
        do {
            let publicKey = try FleetHostKey.generate(at: path)
            print("host key written to \(path) (mode 0600; keep it to this host: LoadCredential= in production)")
            print("public key: \(publicKey)")
            return ExitStatus.success
        } catch {
            printError("\(error)")
            return ExitStatus.cannotCreate
        }
    }
}
