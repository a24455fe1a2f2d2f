import Foundation
import Glibc
import RotordCore
import RotordTestKit
import Testing

@testable import RotordKit

/// Issue 21, point 3: `format: credstore-encrypted`, a deliver file made by `systemd-creds encrypt` for a service's
/// `LoadCredentialEncrypted=`, and ``SystemdCreds``, the seam that runs `systemd-creds` with the plaintext on a pipe.
@Suite struct CredstoreEncryptedTests {
    /// The configuration helpers of the other deliver options' tests.
    let configuration = DeliveryConfigurationTests()

    static let installed = SystemdCreds.unavailability() == nil

    // MARK: - Configuration

    @Test(.enabled(if: installed)) func parsesTheFormatWithItsCredentialName() throws {
        let consumer = try configuration.parse(
            """
                deliver:
                  - path: /etc/rotord/deliver/reports-etl.cred
                    format: credstore-encrypted
                  - path: /etc/rotord/deliver/b.cred
                    format: credstore-encrypted
                    credential_name: fracttal
                    variables: {key: ID, secret: SECRET}

            """)
        let targets = consumer.deliver
        #expect(
            targets[0].format
                == .credstoreEncrypted(
                    keyVariable: "FRACTTAL_CLIENT_ID", secretVariable: "FRACTTAL_CLIENT_SECRET", credentialName: nil))
        #expect(targets[0].credentialName == "reports-etl.cred")
        #expect(targets[0].formatName == "credstore-encrypted" && targets[0].mode == 0o600)
        #expect(targets[1].credentialName == "fracttal")
        #expect(
            targets[1].format
                == .credstoreEncrypted(keyVariable: "ID", secretVariable: "SECRET", credentialName: "fracttal"))
    }

    @Test(
        .enabled(if: installed),
        arguments: [
            (
                "    deliver:\n      - path: /x/a.cred\n        format: credstore-encrypted\n        mode: \"0640\"\n",
                "deliver[0].mode", "always \"0600\""
            ),
            (
                "    deliver:\n      - path: /x/a.env\n        credential_name: a\n", "deliver[0].credential_name",
                "only for format: credstore-encrypted"
            ),
            (
                "    deliver:\n      - path: /x/a:b\n        format: credstore-encrypted\n", "deliver[0].path",
                "set credential_name:"
            ),
            (
                "    deliver:\n      - path: /x/a\n        format: credstore-encrypted\n        credential_name: \"a/b\"\n",
                "deliver[0].credential_name", "not a systemd credential name"
            ),
        ])
    func refusesWhatSystemdWouldNotTake(yaml: String, key: String, message: String) {
        let found = configuration.errors(yaml)
        #expect(found.contains { $0.key.hasSuffix(key) && $0.message.contains(message) }, "\(found)")
    }

    @Test func credentialNames() {
        #expect(ConfigurationParser.isCredentialName("reports-etl.cred"))
        #expect(ConfigurationParser.isCredentialName("a b"))
        for bad in ["", ".", "..", "a/b", "a:b", "tab\there", String(repeating: "x", count: 256)] {
            #expect(!ConfigurationParser.isCredentialName(bad), "\(bad)")
        }
    }

    @Test func anAdoptRuleRendersTheNameInTheCredentialName() {
        let rule = AdoptRule(
            label: "adopt[0]",
            deliver: [
                DeliverTarget(
                    path: "/etc/rotord/deliver/{{name}}.cred",
                    format: .credstoreEncrypted(keyVariable: "ID", secretVariable: "S", credentialName: nil)),
                DeliverTarget(
                    path: "/etc/rotord/deliver/{{name}}.x",
                    format: .credstoreEncrypted(
                        keyVariable: "ID", secretVariable: "S", credentialName: "fracttal-{{name}}")),
            ])
        let targets = rule.renderedDeliver(for: "etl")
        #expect(targets.map(\.credentialName) == ["etl.cred", "fracttal-etl"])
    }

    // MARK: - Publishing (in-memory cipher)

    func target(_ dir: TemporaryDirectory, backup: Int = 0) -> DeliverTarget {
        var target = DeliverTarget(
            path: "\(dir.path)/a.cred",
            format: .credstoreEncrypted(keyVariable: "ID", secretVariable: "SECRET", credentialName: nil))
        target.backup = backup
        return target
    }

    @Test func publishesEncryptedAndReadsItBack() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let cipher = InMemoryCredentialCipher()
        let publisher = SecretPublisher(cipher: cipher)
        let t = target(dir, backup: 2)
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        let files = try await publisher.publish([t], name: "a", key: "k1", secret: "s1", rotatedAt: date)
        #expect(files == [t.path])
        let first = try #require(try AtomicFile.read(t.path))
        #expect(!String(decoding: first, as: UTF8.self).contains("s1"))
        let plain = try await cipher.decrypt(name: "a.cred", ciphertext: first)
        #expect(String(decoding: plain, as: UTF8.self) == "ID=k1\nSECRET=s1\n")
        var st = stat()
        #expect(stat(t.path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        let pair = await SecretPublisher.currentPair([t], cipher: cipher)
        #expect(pair?.key == "k1" && pair?.secret == "s1")
        // A re-publish of the same pair keeps the file as it is: no new ciphertext, no backup.
        _ = try await publisher.publish([t], name: "a", key: "k1", secret: "s1", rotatedAt: date)
        #expect(try AtomicFile.read(t.path) == first)
        #expect(!FileManager.default.fileExists(atPath: t.path + ".1"))
        // A new pair: the old file is the backup.
        _ = try await publisher.publish([t], name: "a", key: "k2", secret: "s2", rotatedAt: date)
        #expect(try AtomicFile.read(t.path + ".1") == first)
        #expect(await SecretPublisher.currentPair([t], cipher: cipher)?.key == "k2")
        // Another name does not decrypt it, nor does the plain reader.
        #expect(SecretPublisher.pair(in: t) == nil)
        let renamed = DeliverTarget(
            path: t.path, format: .credstoreEncrypted(keyVariable: "ID", secretVariable: "SECRET", credentialName: "b"))
        #expect(await SecretPublisher.currentPair([renamed], cipher: cipher) == nil)
    }

    /// A cipher whose files do not decrypt to what was encrypted.
    struct ForgetfulCipher: CredentialCipher {
        func encrypt(name: String, plaintext: [UInt8]) async throws(CredentialCipherFailure) -> [UInt8] {
            Array("sealed".utf8)
        }
        func decrypt(name: String, ciphertext: [UInt8]) async throws(CredentialCipherFailure) -> [UInt8] {
            Array("ID=other\nSECRET=other\n".utf8)
        }
    }

    @Test func aFileThatDoesNotReadBackFailsThePublish() async {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let publisher = SecretPublisher(cipher: ForgetfulCipher())
        do {
            _ = try await publisher.publish([target(dir)], name: "a", key: "k1", secret: "s1", rotatedAt: Date())
            Issue.record("published a file that does not decrypt to the pair")
        } catch {
            #expect(error.kind == .transient)
            #expect(error.message.contains("reading back") && !error.message.contains("s1"), "\(error)")
        }
    }

    // MARK: - systemd-creds

    /// The real tool with a host key of the test's own (`SYSTEMD_CREDENTIAL_SECRET`): the host's
    /// /var/lib/systemd/credential.secret is neither read nor created.
    func systemdCreds(_ dir: TemporaryDirectory) -> SystemdCreds {
        SystemdCreds(environment: ["SYSTEMD_CREDENTIAL_SECRET": "\(dir.path)/credential.secret"])
    }

    @Test(.enabled(if: installed && geteuid() == 0)) func systemdCredsRoundTrip() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let creds = systemdCreds(dir)
        let plain = Array("ID=k1\nSECRET=s3cr3t-value\n".utf8)
        let sealed = try await creds.encrypt(name: "a.cred", plaintext: plain)
        #expect(!String(decoding: sealed, as: UTF8.self).contains("s3cr3t"))
        #expect(try await creds.decrypt(name: "a.cred", ciphertext: sealed) == plain)
        do {
            _ = try await creds.decrypt(name: "other", ciphertext: sealed)
            Issue.record("decrypted under another name")
        } catch {
            #expect(error.description.contains("exited with status"), "\(error)")
            #expect(error.description.contains("does not match"), "\(error)")
            #expect(!error.description.contains("s3cr3t"))
        }
    }

    @Test func aMissingProgramIsAClearFailure() async {
        let creds = SystemdCreds(program: "/nonexistent/systemd-creds")
        #expect(SystemdCreds.unavailability(program: creds.program)?.contains("systemd 250") == true)
        do {
            _ = try await creds.encrypt(name: "a", plaintext: Array("x".utf8))
            Issue.record("ran a missing program")
        } catch {
            #expect(error.description.contains("could not run it"), "\(error)")
        }
    }

    @Test func aHangingProgramIsKilledAtItsTimeout() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let script = "\(dir.path)/hang"
        try "#!/bin/sh\nexec sleep 600\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let creds = SystemdCreds(program: script, timeout: .milliseconds(300))
        let start = ContinuousClock.now
        do {
            _ = try await creds.decrypt(name: "a", ciphertext: Array("x".utf8))
            Issue.record("a hanging program returned")
        } catch {
            #expect(error.description.contains("was killed"), "\(error)")
        }
        // Killed at its timeout (300 ms, then SIGKILL 2 s after SIGTERM at worst), not after its 600 s sleep: the bound
        // is loose because a loaded machine (every suite starting at once) has taken 28 s to spawn and reap it.
        #expect(ContinuousClock.now - start < .seconds(120))
    }

    @Test func aMessageNeverQuotesThePlaintext() {
        #expect(
            SystemdCreds.message("bad input: SECRET=xyz\n", hiding: Array("ID=a\nSECRET=xyz\n".utf8)).contains(
                "withheld"))
        #expect(SystemdCreds.message("Failed\n to decrypt\n", hiding: []) == ": Failed  to decrypt")
        #expect(SystemdCreds.message("", hiding: []) == "")
    }
}
