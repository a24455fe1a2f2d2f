import Foundation
import FracttalSimulator
import Glibc
import RotordCore
import Testing

/// Issue 14, point 1: rotord deletes only what it made or rotated from, and refuses to guess
/// between several consumers of one name.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct IdentityTests {
    /// Adds a consumer named `name` to the scenario's account.
    @discardableResult
    static func add(
        _ s: Scenario, _ name: String, group: Int = 3, type: String = "client_credentials", ageDays: Double = 120
    ) async -> SimulatorSeed.Consumer {
        await s.simulator.add(
            SimulatorSeed.Consumer(
                authorizationType: type, name: name, description: "not rotord's", permissionGroupId: group,
                createdAt: Date().addingTimeInterval(-ageDays * 86_400)))
    }

    static func noSecret(_ s: Scenario, _ output: String) async {
        #expect(RotationEndToEndTests.secretLike(output).isEmpty, "no secret printed: \(output)")
        for secret in await s.allSecrets() { #expect(!output.contains(secret), "a secret was printed") }
    }

    @Test func retiresOnlyTheRotatedConsumer() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        let original = try #require(await s.live("etl").first)
        let otherGroup = await Self.add(s, "etl", group: 4)
        let authCode = await Self.add(s, "etl", type: "authorization_code")
        try s.writeConfig(consumers: ["etl"])

        let result = try await s.run(["run", "--once"])
        #expect(result.status == 0, "\(result.output)")
        let live = await s.live("etl")
        #expect(!live.contains { $0.id == original.id }, "the rotated consumer is retired")
        #expect(live.contains { $0.id == otherGroup.id }, "the same name in another group is untouched")
        #expect(live.contains { $0.id == authCode.id }, "the authorization_code consumer is untouched")
        let replacement = try #require(live.first { $0.description?.contains("[rotord:") == true })
        #expect(s.envPair("etl")?.key == replacement.key)
        #expect(await s.simulator.statistics().deleted == 1)
        await Self.noSecret(s, result.output)
    }

    @Test func severalCandidatesAreRefusedUntilOneIsPinned() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        let first = try #require(await s.live("etl").first)
        let twin = await Self.add(s, "etl", ageDays: 100)
        try s.writeConfig(consumers: ["etl"])
        let ids = [first.id!, twin.id!].sorted().map(String.init).joined(separator: ", ")

        let plan = try await s.run(["plan"])
        #expect(plan.status == 78, "\(plan.output)")
        #expect(plan.stderr.contains("ids \(ids)") && plan.stderr.contains("consumer_id"), "\(plan.stderr)")
        let check = try await s.run(["check-config"])
        #expect(check.status == 78, "\(check.output)")
        #expect(check.stderr.contains("consumers[0]") && check.stderr.contains("ids \(ids)"), "\(check.stderr)")
        let once = try await s.run(["run", "--once"])
        #expect(once.status == 1, "\(once.output)")
        #expect(once.stderr.contains("ids \(ids)"), "\(once.stderr)")
        #expect(await s.simulator.statistics().created == 0, "nothing rotated")
        #expect(await s.simulator.statistics().deleted == 0, "nothing deleted")

        // Pinned: the pinned one is rotated, the twin is left alone.
        try s.writeConfig(consumers: ["etl"], extra: "    consumer_id: \(first.id!)\n")
        let pinned = try await s.run(["run", "--once"])
        #expect(pinned.status == 0, "\(pinned.output)")
        let live = await s.live("etl")
        #expect(!live.contains { $0.id == first.id } && live.contains { $0.id == twin.id }, "\(live.map(\.id))")
        #expect(live.count == 2)

        // The pin now names a consumer rotord replaced: its replacement is followed through the marker.
        let after = try await s.run(["plan"])
        #expect(after.status == 0, "\(after.output)")
        #expect(after.stdout.contains("within policy"), "\(after.stdout)")
        await Self.noSecret(s, plan.output + check.output + once.output + pinned.output + after.output)
    }

    @Test func aPinnedIdThatDoesNotExistIsAProblem() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl"], extra: "    consumer_id: 987654\n")
        let plan = try await s.run(["plan"])
        #expect(plan.status == 78, "\(plan.output)")
        #expect(plan.stderr.contains("consumer_id 987654"), "\(plan.stderr)")
        let once = try await s.run(["run", "--once"])
        #expect(once.status == 1, "\(once.output)")
        #expect(await s.simulator.statistics().created == 0)
    }

    @Test func anAuthorizationCodeConsumerAloneIsNeverRotated() async throws {
        let s = try await Scenario(consumers: [])
        defer { s.cleanUp() }
        let authCode = await Self.add(s, "portal", type: "authorization_code")
        try s.writeConfig(consumers: ["portal"])
        let once = try await s.run(["run", "--once"])
        #expect(once.status == 1, "\(once.output)")
        #expect(once.stderr.contains("does not exist"), "\(once.stderr)")
        #expect(await s.live("portal").map(\.id) == [authCode.id])
        #expect(await s.simulator.statistics().created == 0)
    }

    /// A journal record written by an earlier rotord lists every consumer of the name as old: only
    /// the one it replaced (identified by its masked key) is retired.
    @Test func anOldRecordWithSeveralOldIdsRetiresOnlyTheReplacedOne() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 120)])
        defer { s.cleanUp() }
        let original = try #require(await s.live("etl").first)
        let otherGroup = await Self.add(s, "etl", group: 4)
        let authCode = await Self.add(s, "etl", type: "authorization_code")
        try s.writeConfig(consumers: ["etl"])
        let now = Date()
        let id = RotationRecord.makeID(now: now, random: 0xABCD)
        let replacement = await s.simulator.add(
            SimulatorSeed.Consumer(
                name: "etl", description: RotationMarker.description(original: nil, rotationID: id),
                permissionGroupId: 3,
                createdAt: now.addingTimeInterval(-60)))
        let originalRecord = ConsumerRecord(
            id: original.id!, name: "etl", permissionGroupId: 3, key: original.key!, createdAt: original.createdAt!)
        var record = RotationRecord(
            id: id, consumerName: "etl", trigger: "due", now: now.addingTimeInterval(-120),
            oldConsumers: [originalRecord], authorizationType: "client_credentials", permissionGroupID: 3,
            fracttalHub: false, originalDescription: nil, grace: .seconds(1))
        record.oldConsumerIDs = [original.id!, otherGroup.id!, authCode.id!].sorted()
        record.step = .grace
        record.graceUntil = now.addingTimeInterval(-30)
        record.newConsumerID = replacement.id
        record.newKey = replacement.key
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        try FileManager.default.createDirectory(atPath: s.stateDir + "/rotations", withIntermediateDirectories: true)
        chmod(s.stateDir, 0o700)
        try encoder.encode(record).write(to: URL(fileURLWithPath: s.stateDir + "/rotations/\(id).json"))

        let once = try await s.run(["run", "--once"])
        #expect(once.status == 0, "\(once.output)")
        let live = await s.live("etl").map(\.id)
        #expect(!live.contains(original.id!), "the replaced consumer is retired")
        #expect(live.contains(otherGroup.id!) && live.contains(authCode.id!), "the others are kept: \(live)")
        #expect(live.contains(replacement.id!))
        #expect(once.stderr.contains("several old consumers"), "a warning names them: \(once.stderr)")
    }
}
