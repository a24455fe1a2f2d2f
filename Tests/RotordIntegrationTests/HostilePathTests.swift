import Foundation
import Glibc
import Testing

/// Issue 10: a deliver path that could be turned against its owner is refused before anything is written,
/// with a message naming the path and the reason; the old consumer is kept, and `check-config` says the same.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct HostilePathTests {
    enum Hostility: String, CaseIterable {
        case symlinkAtThePath, symlinkedParent, worldWritableParent
    }

    @Test(arguments: Hostility.allCases)
    func refusedBeforeAnythingIsWritten(hostility: Hostility) async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"])
        let fm = FileManager.default
        let elsewhere = s.dir + "/elsewhere"
        let reason: String
        switch hostility {
        case .symlinkAtThePath:
            try fm.createSymbolicLink(atPath: "\(s.deliverDir)/etl.env", withDestinationPath: elsewhere)
            reason = "\(s.deliverDir)/etl.env is a symbolic link"
        case .symlinkedParent:
            try fm.removeItem(atPath: s.deliverDir)
            try fm.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: s.deliverDir, withDestinationPath: elsewhere)
            reason = "the directory \(s.deliverDir) of \(s.deliverDir)/etl.env is a symbolic link"
        case .worldWritableParent:
            chmod(s.deliverDir, 0o777)
            reason = "the directory \(s.deliverDir) of \(s.deliverDir)/etl.env is writable by every user"
        }
        let old = try #require(await s.live("etl").first)

        let check = try await s.run(["check-config", "--offline"])
        #expect(check.status == 78, "\(check.output)")
        #expect(check.stderr.contains(reason), "\(check.stderr)")

        let result = try await s.run(["run", "--once"])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains(reason), "the message names the path and the reason: \(result.output)")
        #expect(await s.live("etl").contains { $0.id == old.id }, "the old consumer is kept")
        #expect(await s.simulator.isAccepted(key: old.key!, secret: old.secret!))
        let written = ((try? fm.contentsOfDirectory(atPath: s.deliverDir)) ?? []).filter { !$0.hasSuffix(".env") }
        #expect(written.isEmpty, "nothing written: \(written)")
        // Issue 19: told before a consumer is created, not at publish after one was created and verified.
        #expect(await s.simulator.statistics().created == 0, "no consumer created for files that cannot be written")
        #expect(await s.live("etl").count == 1)
        if hostility == .symlinkAtThePath { #expect(!fm.fileExists(atPath: elsewhere), "the link was not followed") }
        #expect(RotationEndToEndTests.secretLike(result.output).isEmpty)
    }

    @Test func permissionDriftIsRepairedAtTheNextPass() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"])
        #expect(try await s.run(["run", "--once"]).status == 0)
        chmod("\(s.deliverDir)/etl.env", 0o666)
        chmod("\(s.deliverDir)/etl.secret", 0o644)
        let again = try await s.run(["run", "--once"])
        #expect(again.status == 0, "\(again.output)")
        #expect(s.mode("\(s.deliverDir)/etl.env") == 0o640)
        #expect(s.mode("\(s.deliverDir)/etl.secret") == 0o600)
        #expect(again.stderr.contains("\(s.deliverDir)/etl.env of etl had drifted (mode 666 → 640)"), "\(again.stderr)")
    }
}
