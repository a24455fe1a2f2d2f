import Foundation
import Glibc
import RotordCore
import RotordKit
import Testing

/// Issue 10: the ways of handing over a credential (`credstore`, `backup`, `in_place`, `restart:`,
/// `try-restart:`), the adoption probe's configuration, hostile paths and permission drift.
@Suite struct DeliveryConfigurationTests {
    let loader = ConfigurationLoader()
    static let base = """
        fracttal:
          token_url: https://one.fracttal.com/oauth/token
        consumers:
          - name: a
            permission_group: G

        """

    func parse(_ yaml: String) throws -> ManagedConsumer {
        try #require(try loader.parse(Self.base + yaml, path: "/etc/rotord/rotord.yaml").consumers.first)
    }

    func errors(_ yaml: String) -> [ConfigurationError] {
        do {
            _ = try loader.parse(Self.base + yaml, path: "/etc/rotord/rotord.yaml")
            return []
        } catch {
            return error.errors
        }
    }

    @Test func acceptsTheNewDeliveryKeys() throws {
        let c = try parse(
            """
                deliver:
                  - path: /run/creds/a.cred
                    format: credstore
                  - path: /etc/a/a.env
                    backup: 3
                    in_place: true
                after_publish:
                  - restart: a.service
                  - try-restart: b.service
                    timeout: 5s
                probe:
                  exec: ["/usr/bin/check", "--quick"]
                  timeout: 20s

            """)
        #expect(
            c.deliver[0].format
                == .credstore(keyVariable: "FRACTTAL_CLIENT_ID", secretVariable: "FRACTTAL_CLIENT_SECRET"))
        #expect(c.deliver[0].mode == 0o600 && c.deliver[0].formatName == "credstore")
        #expect(c.deliver[1].backup == 3 && c.deliver[1].inPlace)
        #expect(c.deliver[0].backup == 0 && !c.deliver[0].inPlace)
        #expect(
            c.afterPublish == [
                .restart(unit: "a.service", timeout: .seconds(30)),
                .tryRestart(unit: "b.service", timeout: .seconds(5)),
            ])
        #expect(c.afterPublish.map(\.description) == ["restart a.service", "try-restart b.service"])
        #expect(c.probe == AdoptionProbe(arguments: ["/usr/bin/check", "--quick"], timeout: .seconds(20)))
    }

    @Test(arguments: [
        (
            "    deliver:\n      - path: /x\n        format: credstore\n        mode: \"0640\"\n", "deliver[0].mode",
            "0600"
        ),
        ("    deliver:\n      - path: /x\n        backup: 100\n", "deliver[0].backup", "0 to 99"),
        ("    deliver:\n      - path: /x\n        in_place: yes please\n", "deliver[0].in_place", "true or false"),
        ("    deliver:\n      - path: /x\n        backups: 2\n", "deliver[0].backups", "unknown key"),
        ("    deliver:\n      - path: /x\n        mode: \"0644\"\n", "deliver[0].mode", "other users"),
        ("    after_publish:\n      - restart: \"\"\n", "after_publish[0].restart", "systemd unit"),
        ("    after_publish:\n      - restart: a\n        reload: b\n", "after_publish[0]", "exactly one"),
        ("    after_publish:\n      - stop: a\n", "after_publish[0].stop", "unknown key"),
        ("    probe:\n      timeout: 5s\n", "probe", "needs exec"),
        ("    probe:\n      exec: [relative]\n", "probe.exec[0]", "absolute"),
        ("    probe:\n      exec: [/bin/true]\n      retries: 3\n", "probe.retries", "unknown key"),
    ])
    func refusesBadValues(yaml: String, key: String, message: String) {
        let found = errors(yaml)
        let match = found.first { $0.key == "consumers[0].\(key)" && $0.message.contains(message) }
        #expect(match != nil, "got \(found)")
        #expect(match?.line != nil, "the error names the line: \(found)")
    }
}

@Suite struct DeliveryPublisherTests {
    let key = "AbCdEfGhIjKlMnOpQr"
    let secret = "s3cretS3CRETs3cretS3CRETs3cret12"

    func inode(_ path: String) -> ino_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_ino : 0
    }

    @Test func credstoreHasTheEnvLayoutAndMode0600() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let target = DeliverTarget(
            path: dir.path + "/a.cred", format: .credstore(keyVariable: "ID", secretVariable: "SECRET"))
        _ = try await SecretPublisher().publish([target], name: "a", key: key, secret: secret, rotatedAt: .distantPast)
        #expect(dir.read("a.cred") == "ID=\(key)\nSECRET=\(secret)\n")
        #expect(dir.mode("a.cred") == 0o600)
    }

    @Test func backupKeepsThePreviousVersions() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var target = DeliverTarget(path: dir.path + "/a.env", format: .env(keyVariable: "ID", secretVariable: "S"))
        target.backup = 2
        let publisher = SecretPublisher()
        for n in 1...4 {
            _ = try await publisher.publish(
                [target], name: "a", key: "key\(n)", secret: "secret\(n)", rotatedAt: .distantPast)
        }
        #expect(dir.read("a.env") == "ID=key4\nS=secret4\n")
        #expect(dir.read("a.env.1") == "ID=key3\nS=secret3\n")
        #expect(dir.read("a.env.2") == "ID=key2\nS=secret2\n")
        #expect(dir.read("a.env.3") == nil, "only 2 kept")
        #expect(dir.mode("a.env.1") == 0o600)
        // Republishing the same pair changes nothing, not even the backups.
        _ = try await publisher.publish([target], name: "a", key: "key4", secret: "secret4", rotatedAt: .distantPast)
        #expect(dir.read("a.env.1") == "ID=key3\nS=secret3\n")
    }

    @Test func inPlaceKeepsTheInode() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/a.env"
        try "old\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o644)
        let before = inode(path)
        var target = DeliverTarget(path: path, format: .env(keyVariable: "ID", secretVariable: "S"))
        target.inPlace = true
        _ = try await SecretPublisher().publish([target], name: "a", key: key, secret: secret, rotatedAt: .distantPast)
        #expect(inode(path) == before, "the same file, for a single-file bind mount")
        #expect(dir.read("a.env") == "ID=\(key)\nS=\(secret)\n")
        #expect(dir.mode("a.env") == 0o600)
        var atomic = target
        atomic.inPlace = false
        _ = try await SecretPublisher().publish(
            [atomic], name: "a", key: "other", secret: secret, rotatedAt: .distantPast)
        #expect(inode(path) != before, "the atomic write replaces the file")
    }

    @Test func unchangedContentIsWrittenOnce() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let target = DeliverTarget(path: dir.path + "/a.env", format: .env(keyVariable: "ID", secretVariable: "S"))
        _ = try await SecretPublisher().publish([target], name: "a", key: key, secret: secret, rotatedAt: .distantPast)
        let first = inode(dir.path + "/a.env")
        _ = try await SecretPublisher().publish([target], name: "a", key: key, secret: secret, rotatedAt: .distantPast)
        #expect(inode(dir.path + "/a.env") == first, "the second publish wrote nothing")
    }

    @Test func hostilePathsAreRefusedBeforeAnythingIsWritten() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir.path + "/real", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir.path + "/open", withIntermediateDirectories: true)
        chmod(dir.path + "/open", 0o777)
        try fm.createSymbolicLink(atPath: dir.path + "/linked", withDestinationPath: dir.path + "/real")
        try fm.createSymbolicLink(atPath: dir.path + "/real/b.env", withDestinationPath: dir.path + "/elsewhere")
        let env = DeliverTarget.Format.env(keyVariable: "ID", secretVariable: "S")
        let good = DeliverTarget(path: dir.path + "/real/a.env", format: env)
        for (hostile, reason) in [
            (dir.path + "/real/b.env", "is a symbolic link"),
            (dir.path + "/linked/c.env", "is a symbolic link; set the path to the real directory"),
            (dir.path + "/open/d.env", "writable by every user"),
        ] {
            await #expect(throws: RotationFailure.self) {
                _ = try await SecretPublisher().publish(
                    [good, DeliverTarget(path: hostile, format: env)], name: "a", key: key, secret: secret,
                    rotatedAt: .distantPast)
            }
            do {
                _ = try await SecretPublisher().publish(
                    [good, DeliverTarget(path: hostile, format: env)], name: "a", key: key, secret: secret,
                    rotatedAt: .distantPast)
            } catch {
                #expect(error.message.contains(hostile) && error.message.contains(reason), "\(error.message)")
                #expect(!error.message.contains(secret))
            }
            #expect(dir.read("real/a.env") == nil, "nothing written, not even the good file")
        }
        #expect(!fm.fileExists(atPath: dir.path + "/elsewhere"), "the link was not followed")
        #expect(SecretPublisher.pathProblems([good]).isEmpty)
    }

    @Test func permissionDriftIsRepaired() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let target = DeliverTarget(
            path: dir.path + "/a.env", format: .env(keyVariable: "ID", secretVariable: "S"), mode: 0o640)
        _ = try await SecretPublisher().publish([target], name: "a", key: key, secret: secret, rotatedAt: .distantPast)
        chmod(dir.path + "/a.env", 0o666)
        let consumer = ManagedConsumer(name: "a", permissionGroup: "G", deliver: [target])
        let repaired = Reconciler.repairDrift([consumer])
        #expect(repaired == ["\(dir.path)/a.env: mode 666 → 640"])
        #expect(dir.mode("a.env") == 0o640)
        #expect(Reconciler.repairDrift([consumer]).isEmpty, "nothing left to repair")
    }

    @Test func theProbeSeesTheMaskedKeyAndNoSecret() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let out = dir.path + "/env.txt"
        let probe = AdoptionProbe(arguments: ["/bin/sh", "-c", "env > \(out)"], timeout: .seconds(5))
        let failures = await ProbeRunner().run(
            probe, consumer: "etl", rotationID: "r9", files: ["/a", "/b"], maskedKey: KeyMask.mask(key))
        #expect(failures.isEmpty)
        let env = try String(contentsOfFile: out, encoding: .utf8)
        #expect(env.contains("ROTORD_CONSUMER=etl") && env.contains("ROTORD_ROTATION_ID=r9"))
        #expect(env.contains("ROTORD_FILES=/a:/b") && env.contains("ROTORD_KEY=AbCd…"))
        #expect(!env.contains(key))
        let failed = await ProbeRunner().run(
            AdoptionProbe(arguments: ["/bin/false"]), consumer: "etl", rotationID: "r9", files: [], maskedKey: nil)
        #expect(failed == ["probe /bin/false: exited with status 1"])
        #expect(await ProbeRunner().run(nil, consumer: "etl", rotationID: "r9", files: [], maskedKey: nil).isEmpty)
    }

    @Test func theFilesAreReadBackToMaskTheSecretInOutput() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let quoted = "s3cret with \"quotes\" and $dollar"
        let targets = [
            DeliverTarget(path: dir.path + "/a.env", format: .env(keyVariable: "ID", secretVariable: "S")),
            DeliverTarget(path: dir.path + "/a.json", format: .json(keyField: "k", secretField: "s")),
            DeliverTarget(
                path: dir.path + "/a", format: .raw(keyPath: dir.path + "/a.key", secretPath: dir.path + "/a.secret")),
        ]
        _ = try await SecretPublisher().publish(targets, name: "a", key: key, secret: quoted, rotatedAt: .distantPast)
        for target in targets {
            let pair = await SecretPublisher.currentPair([target])
            #expect(pair?.key == key && pair?.secret == quoted, "\(target.formatName)")
        }
        #expect(
            await SecretPublisher.currentPair([
                DeliverTarget(path: dir.path + "/none", format: .json(keyField: "k", secretField: "s"))
            ]) == nil)
        let probe = AdoptionProbe(arguments: ["/bin/cat", dir.path + "/a.secret", "/nonexistent"])
        let failures = await ProbeRunner().run(
            probe, consumer: "a", rotationID: "r1", files: [], maskedKey: nil, secret: quoted)
        #expect(failures.count == 1 && !failures[0].contains(quoted))
    }
}
