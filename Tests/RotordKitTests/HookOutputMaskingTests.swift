import Foundation
import Logging
import RotordCore
import Testing

@testable import RotordKit

/// What hooks and probes print is logged with every secret rotord knows masked (the new and old
/// secrets, the admin key and secret), even a secret cut by the 4 KiB output limit; and they do not
/// inherit rotord's own variables, `CREDENTIALS_DIRECTORY` among them.
@Suite struct HookOutputMaskingTests {
    static let newSecret = "NewS3cretNewS3cretNewS3cretNew32"
    static let oldSecret = "OldS3cretOldS3cretOldS3cretOld32"
    static let adminKey = "AdminKeyAdminKey18"
    static let adminSecret = "AdminSecretAdminSecretAdminSec32"
    static let all = [newSecret, oldSecret, adminKey, adminSecret]

    /// A logger whose lines the test reads, and a directory holding each secret in a file, so that
    /// a hook prints them without their being on its command line.
    static func world() throws -> (LogRecorder, Logger, TemporaryDirectory) {
        let recorder = LogRecorder()
        var logger = Logger(label: "test") { _ in recorder }
        logger.logLevel = .info
        let dir = TemporaryDirectory()
        for (index, secret) in all.enumerated() {
            try secret.write(toFile: dir.path + "/secret\(index)", atomically: true, encoding: .utf8)
        }
        return (recorder, logger, dir)
    }

    static func expectNoSecret(in lines: [String]) {
        for secret in all {
            // No more of a secret than its mask's four characters.
            #expect(!lines.contains { $0.contains(secret.prefix(5)) }, "\(secret.prefix(4))…: \(lines)")
        }
    }

    /// The log lines of a hook running `script` (given the secrets' folder) with `secret` and `secrets` to mask.
    static func logOfHook(
        _ script: (String) -> String, secret: String? = nil, secrets: [String]
    ) async throws -> [String] {
        let (recorder, logger, dir) = try world()
        defer { dir.remove() }
        let failures = await HookRunner(logger: logger).run(
            [.exec(arguments: ["/bin/sh", "-c", script(dir.path)], timeout: .seconds(5))], consumer: "etl",
            rotationID: "r1", files: [], secret: secret, secrets: secrets)
        #expect(failures.isEmpty)
        return recorder.lines
    }

    @Test func everyKnownSecretIsMaskedInHookOutput() async throws {
        let lines = try await Self.logOfHook(
            { "for f in \($0)/secret*; do echo \"value: $(cat $f).\"; done" }, secret: Self.newSecret,
            secrets: [Self.oldSecret, Self.adminKey, Self.adminSecret])
        #expect(lines.contains { $0.contains("value: OldS….") && $0.contains("value: Admi….") }, "\(lines)")
        Self.expectNoSecret(in: lines)
    }

    @Test func aSecretCutByTheOutputLimitIsMasked() async throws {
        // 4086 bytes, then the old secret: the 4 KiB kept end with its first 10 characters.
        let lines = try await Self.logOfHook(
            { "head -c 4086 /dev/zero | tr '\\0' x; cat \($0)/secret1" }, secrets: Self.all)
        #expect(lines.contains { $0.contains("first 4 KiB") && $0.contains("xxxOldS…") }, "\(lines)")
        Self.expectNoSecret(in: lines)
    }

    @Test func probeOutputIsMaskedToo() async throws {
        let (recorder, logger, dir) = try Self.world()
        defer { dir.remove() }
        let probe = AdoptionProbe(
            arguments: ["/bin/sh", "-c", "cat \(dir.path)/secret3; exit 1"], timeout: .seconds(5))
        let failures = await ProbeRunner(logger: logger).run(
            probe, consumer: "etl", rotationID: "r1", files: [], maskedKey: "NewK…", secrets: Self.all)
        #expect(failures.count == 1)
        #expect(recorder.lines.contains { $0.contains("Admi…") }, "\(recorder.lines)")
        Self.expectNoSecret(in: recorder.lines)
    }

    @Test(arguments: [
        ("log: NewS3cretNewS3cretNewS3cretNew32\n", "log: NewS…"),
        ("tail NewS3cr", "tail NewS…"),
        ("tail NewS", "tail NewS…"),
        ("tail New", "tail New"),
        ("OldS3cretOldS3cretOldS3cretOld32 and NewS3cret", "OldS… and NewS…"),
    ])
    func masking(output: String, expected: String) {
        #expect(HookRunner.masked(output, secrets: Self.all) == expected)
    }

    @Test func hooksAndProbesDoNotInheritRotordsOwnVariables() async throws {
        let (recorder, logger, dir) = try Self.world()
        defer { dir.remove() }
        let inherited = [
            "CREDENTIALS_DIRECTORY": "/run/credentials/rotord.service", "NOTIFY_SOCKET": "/run/systemd/notify",
            "WATCHDOG_USEC": "30000000", "ROTORD_FAULT_ONCE_FILE": "/tmp/x", "PATH": "/usr/bin:/bin",
            "KEPT_VARIABLE": "kept",
        ]
        let hook = PublishHook.exec(arguments: ["/usr/bin/env"], timeout: .seconds(5))
        let failures = await HookRunner(logger: logger, inheritedEnvironment: inherited).run(
            [hook], consumer: "etl", rotationID: "r1", files: ["/etc/etl.env"])
        #expect(failures.isEmpty)
        let probe = AdoptionProbe(arguments: ["/usr/bin/env"], timeout: .seconds(5))
        let probeFailures = await ProbeRunner(logger: logger, inheritedEnvironment: inherited).run(
            probe, consumer: "etl", rotationID: "r1", files: [], maskedKey: "NewK…")
        #expect(probeFailures.isEmpty)
        let lines = recorder.lines
        #expect(lines.count == 2, "\(lines)")
        for line in lines {
            #expect(line.contains("KEPT_VARIABLE=kept") && line.contains("ROTORD_CONSUMER=etl"), "\(line)")
            for name in ["CREDENTIALS_DIRECTORY", "NOTIFY_SOCKET", "WATCHDOG_USEC", "ROTORD_FAULT_ONCE_FILE"] {
                #expect(!line.contains(name), "\(name) reached the child: \(line)")
            }
        }
    }
}
