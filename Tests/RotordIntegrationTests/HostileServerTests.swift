import Foundation
import FracttalSimulator
import Testing

/// A selection of hostile or broken answers met by a whole `rotord run --once` (the real binaries):
/// each ends in an error naming the operation, no rotation step proceeds on it (no deliver file is
/// written, the original consumer stays), no consumer is left behind, and at most
/// ``CreateLimiter``'s 3 creates per rotation and pass are made.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct HostileServerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var faults: SimulatorFaults
        /// Words the output must hold (the operation and the field).
        var words: [String]
        /// Whether the listing already fails (then nothing is created at all).
        var listingFails: Bool
        var testDescription: String { name }

        static func make(_ name: String, words: [String], listingFails: Bool, _ set: (inout SimulatorFaults) -> Void)
            -> Case
        {
            var faults = SimulatorFaults()
            set(&faults)
            return Case(name: name, faults: faults, words: words, listingFails: listingFails)
        }
    }

    /// The original consumer gets id 2 (the admin is 1).
    static let cases: [Case] = [
        .make("list 200 success:false", words: ["listing consumers", "success: false"], listingFails: true) {
            $0.listSuccessFalse = true
        },
        .make("list without data", words: ["listing consumers", "`data` is missing"], listingFails: true) {
            $0.listWithoutData = true
        },
        .make("pages repeat forever", words: ["listing consumers", "repeated page"], listingFails: true) {
            $0.repeatPages = true
            $0.reportedTotal = 1_000_000
        },
        .make("impossible dates", words: ["listing consumers", "created_at"], listingFails: true) {
            $0.impossibleDates = true
        },
        .make(
            "create 200 success:false", words: ["creating a consumer named etl-a", "success: false"],
            listingFails: false
        ) {
            $0.createSuccessFalse = true
        },
        .make("create without secret", words: ["creating a consumer named etl-a", "data.secret"], listingFails: false) {
            $0.createWithoutSecret = true
        },
        .make("create answers the old id", words: ["creating a consumer named etl-a", "data.id"], listingFails: false) {
            $0.createAnswerID = 2
        },
        .make(
            "create answers another group", words: ["creating a consumer named etl-a", "data.permission_group_id"],
            listingFails: false
        ) { $0.createAnswerGroup = 4 },
    ]

    @Test(arguments: cases)
    func runOnceActsOnNothingItDidNotUnderstand(_ hostile: Case) async throws {
        let s = try await Scenario(consumers: [.init(name: "etl-a", ageDays: 120)], faults: hostile.faults)
        defer { s.cleanUp() }
        try s.writeConfig(consumers: ["etl-a"])
        let original = try #require(await s.live("etl-a").first)
        #expect(original.id == 2)
        let result = try await s.run(["run", "--once"], timeout: .seconds(120))
        #expect(result.status != 0, "\(hostile.name): \(result.output)")
        for word in hostile.words {
            #expect(result.output.contains(word), "\(hostile.name): no \"\(word)\" in \(result.output)")
        }
        #expect(!result.output.contains("does not exist in Fracttal"), "\(hostile.name): \(result.output)")
        try await s.simulator.setFaults(SimulatorFaults())  // read the account as it is
        let live = await s.simulator.consumers()
        #expect(
            live.filter { $0.name == "etl-a" }.map(\.id) == [original.id], "\(hostile.name): no orphan, original kept")
        #expect(live.count == 2, "\(hostile.name): \(live.map(\.name))")
        #expect(s.envPair("etl-a") == nil, "\(hostile.name): nothing published")
        let created = await s.simulator.statistics().created
        #expect(created <= (hostile.listingFails ? 0 : 3), "\(hostile.name): \(created) creates")
        for secret in await s.allSecrets() {
            #expect(!result.output.contains(secret), "\(hostile.name): a secret was printed")
        }
        print("hostile server (run --once): \(hostile.name): exit \(result.status), \(created) creates, 0 orphans")
    }

    /// An unreliable server: 30 % of API requests answer 503 before processing, or are processed and
    /// their answer dropped. Every rotation finishes within a bounded number of `run --once`, and no
    /// consumer is left behind.
    @Test(arguments: ["5xx", "dropped"])
    func unreliableServerEveryRotationFinishes(kind: String) async throws {
        var faults = SimulatorFaults()
        if kind == "5xx" {
            faults.failureRate = 0.3
            faults.failureStatus = 503
        } else {
            faults.dropAfterProcessingRate = 0.3
        }
        let names = ["u1", "u2", "u3"]
        let s = try await Scenario(consumers: names.map { .init(name: $0, ageDays: 120) }, faults: faults)
        defer { s.cleanUp() }
        try s.writeConfig(consumers: names)
        let originals = Dictionary(
            uniqueKeysWithValues: await s.simulator.consumers().compactMap { c in c.id.map { (c.name, $0) } })
        var runs = 0
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(200))
        var last: Scenario.Result?
        while clock.now < deadline && runs < 100 {
            runs += 1
            // A failed step is retried after a back-off (15–30 s, doubling): each pass runs a minute
            // later than the one before (rotord-faults' clock offset) instead of waiting for it.
            let result = try await s.run(
                ["run", "--once"], environment: ["ROTORD_FAULT_CLOCK_OFFSET": "\(60 * (runs - 1))"], faults: true,
                timeout: .seconds(120))
            last = result
            #expect(result.status == 0 || result.status == 75, "\(kind) run \(runs): \(result.output)")
            if result.status == 0, OrphanTests.journalSteps(s).isEmpty,
                names.allSatisfy({ s.envPair($0) != nil })
            {
                break
            }
        }
        try await s.simulator.setFaults(SimulatorFaults())
        let stats = await s.simulator.statistics()
        var rotated = 0
        for name in names {
            let live = await s.live(name)
            #expect(live.count == 1, "\(kind): exactly one \(name): \(live.map(\.id))")
            if let pair = s.envPair(name), live.first?.key == pair.key, live.first?.id != originals[name] {
                rotated += 1
                #expect(await s.simulator.isAccepted(key: pair.key, secret: pair.secret))
            }
        }
        let marked = await OrphanTests.marked(s).filter { c in names.allSatisfy { s.envPair($0)?.key != c.key } }
        print(
            "hostile server (\(kind) 30 %): \(runs) runs, \(rotated)/\(names.count) rotated, created=\(stats.created) "
                + "deleted=\(stats.deleted) orphans=\(marked.count)")
        #expect(rotated == names.count, "\(kind): last output: \(last?.output ?? "")")
        #expect(marked.isEmpty, "\(kind): orphans \(marked.map(\.id))")
        #expect(OrphanTests.journalSteps(s).isEmpty, "\(kind): nothing in flight")
        #expect(stats.created <= names.count * 6, "\(kind): \(stats.created) creates")
    }
}
