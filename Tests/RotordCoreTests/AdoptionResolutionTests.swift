import Foundation
import RotordCore
import Testing

/// `adopt:` resolution against a listing: which consumers a rule brings under policy.
@Suite struct AdoptionResolutionTests {
    let now = Date(timeIntervalSince1970: 1_780_000_000)

    func consumer(
        _ id: Int, _ name: String, group: Int = 3, type: String = "client_credentials", description: String? = nil
    ) -> ConsumerRecord {
        ConsumerRecord(
            id: id, name: name, description: description, authorizationType: type, permissionGroupId: group,
            key: "KEY\(id)xxxxxxxxxxxxxx", createdAt: now.addingTimeInterval(-100 * 86_400))
    }

    let groups = [3: "Reportes", 4: "Integraciones"]

    func rule(_ index: Int, name: String? = nil, group: String? = nil, path: String = "/etc/a/{{name}}.env")
        -> AdoptRule
    {
        AdoptRule(
            label: "adopt[\(index)]", name: name.flatMap(NameGlob.init), permissionGroup: group,
            policy: RotationPolicy(maxAge: .days(30 + Int64(index))),
            deliver: [DeliverTarget(path: path, format: .env(keyVariable: "K", secretVariable: "S"))])
    }

    func config(_ rules: [AdoptRule], explicit: [String] = []) -> RotordConfiguration {
        var c = RotordConfiguration(
            sourcePath: "/etc/rotord/rotord.yaml", fracttal: FracttalSettings(),
            consumers: explicit.map {
                ManagedConsumer(
                    name: $0, permissionGroup: "Reportes",
                    deliver: [
                        DeliverTarget(
                            path: "/etc/explicit/\($0).env", format: .env(keyVariable: "K", secretVariable: "S"))
                    ])
            })
        c.adopt = rules
        return c
    }

    func adopted(
        _ c: RotordConfiguration, _ listing: [ConsumerRecord], active: [RotationRecord] = [], admin: String? = nil
    )
        -> [ManagedConsumer]
    {
        c.resolvingAdoption(consumers: listing, groupNames: groups, active: active, adminKey: admin).consumers
            .filter { $0.adoptedBy != nil }
    }

    @Test func globOnlyRuleAdoptsMatchingNamesWithRenderedPaths() {
        let out = adopted(
            config([rule(0, name: "etl-*")]),
            [consumer(1, "etl-a"), consumer(2, "erp"), consumer(3, "etl-b", group: 4)])
        #expect(out.map(\.name) == ["etl-a", "etl-b"])
        #expect(out.map(\.permissionGroup) == ["Reportes", "Integraciones"], "the consumer's own group")
        #expect(out[0].deliver.map(\.path) == ["/etc/a/etl-a.env"])
        #expect(out[0].policy.maxAge == .days(30) && out.allSatisfy { $0.adoptedBy == "adopt[0]" })
    }

    @Test func groupOnlyRuleAdoptsEveryNameOfTheGroup() {
        let out = adopted(
            config([rule(0, group: "Integraciones")]),
            [consumer(1, "x"), consumer(2, "y", group: 4), consumer(3, "z", group: 4)])
        #expect(out.map(\.name) == ["y", "z"])
        #expect(out.allSatisfy { $0.permissionGroup == "Integraciones" })
        let byID = adopted(config([rule(0, group: "4")]), [consumer(1, "x"), consumer(2, "y", group: 4)])
        #expect(byID.map(\.name) == ["y"], "a group may be named by id")
    }

    @Test func aConfiguredConsumerWinsAndIsNeverAdopted() {
        let c = config([rule(0, name: "etl-*")], explicit: ["etl-a"])
        let all = c.resolvingAdoption(
            consumers: [consumer(1, "etl-a"), consumer(2, "etl-b")], groupNames: groups, active: [], adminKey: nil)
        #expect(all.consumers.map(\.name) == ["etl-a", "etl-b"])
        #expect(all.consumers.map(\.adoptedBy) == [nil, "adopt[0]"])
        #expect(all.consumers[0].deliver.map(\.path) == ["/etc/explicit/etl-a.env"])
    }

    @Test func theAdminConsumerAndAuthorizationCodeConsumersAreNeverAdopted() {
        let listing = [
            consumer(1, "etl-admin"), consumer(2, "etl-ui", type: "authorization_code"), consumer(3, "etl-ok"),
        ]
        let out = adopted(config([rule(0, name: "etl-*")]), listing, admin: listing[0].key)
        #expect(out.map(\.name) == ["etl-ok"])
    }

    @Test func theFirstMatchingRuleWins() {
        let c = config([rule(0, name: "etl-*", group: "Integraciones"), rule(1, name: "etl-*"), rule(2, name: "*")])
        let out = adopted(c, [consumer(1, "etl-a"), consumer(2, "etl-b", group: 4), consumer(3, "other")])
        #expect(out.map(\.name) == ["etl-a", "etl-b", "other"])
        #expect(out.map(\.adoptedBy) == ["adopt[1]", "adopt[0]", "adopt[2]"])
        #expect(out.map(\.policy.maxAge) == [.days(31), .days(30), .days(32)])
    }

    @Test func sameNameDuplicatesAreAdoptedAndThenAmbiguousInThePlan() {
        let c = config([rule(0, name: "etl-*")])
        let resolved = c.resolvingAdoption(
            consumers: [consumer(1, "etl-a"), consumer(2, "etl-a")], groupNames: groups, active: [], adminKey: nil)
        let plan = RotationPlanner().plan(
            configuration: resolved, consumers: [consumer(1, "etl-a"), consumer(2, "etl-a")], groupNames: groups,
            active: [], history: [:], now: now)
        #expect(plan.entries.map(\.status) == [.ambiguous(ids: [1, 2])])
        #expect(plan.due.isEmpty)
    }

    @Test func aNameInSeveralGroupsIsRefusedWhenTheRuleNamesNoGroup() {
        let out = adopted(config([rule(0, name: "etl-*")]), [consumer(1, "etl-a"), consumer(2, "etl-a", group: 4)])
        #expect(out.count == 1)
        #expect(out[0].adoptionRefusal?.contains("several permission groups") == true)
        #expect(out[0].deliver.isEmpty)
        let narrowed = adopted(
            config([rule(0, name: "etl-*", group: "Reportes")]), [consumer(1, "etl-a"), consumer(2, "etl-a", group: 4)])
        #expect(narrowed.map(\.adoptionRefusal) == [nil])
    }

    @Test(arguments: ["../etc", ".hidden", "a/b", "bad\u{7}bell", "con trol", "-rf", "ñandú", ""])
    func anUnsafeNameIsRefusedAndNothingIsWritten(_ name: String) {
        let c = config([rule(0, name: "*")])
        let resolved = c.resolvingAdoption(
            consumers: [consumer(1, name)], groupNames: groups, active: [], adminKey: nil)
        let out = resolved.consumers.filter { $0.adoptedBy != nil }
        #expect(out.count == 1)
        #expect(out.first?.adoptionRefusal?.contains("not safe in a file path") == true)
        #expect(out.first?.deliver.isEmpty == true)
        #expect(resolved.actionableConsumer(named: name) == nil)
        let plan = RotationPlanner().plan(
            configuration: resolved, consumers: [consumer(1, name)], groupNames: groups, active: [], history: [:],
            now: now)
        #expect(plan.entries.first.map { if case .refused = $0.status { true } else { false } } == true)
        #expect(plan.entries.first?.isProblem == true && plan.due.isEmpty)
    }

    @Test func aRenderedPathThatIsAnotherConsumersFileIsRefused() {
        let c = config([rule(0, name: "etl-*", path: "/etc/explicit/{{name}}.env")], explicit: ["etl-a"])
        let clash = config([rule(0, name: "x*", path: "/etc/explicit/{{name}}.env")], explicit: ["xa"])
        #expect(adopted(c, [consumer(1, "etl-b")]).map(\.adoptionRefusal) == [nil])
        var twice = clash
        twice.adopt = [rule(0, name: "a*", path: "/etc/explicit/xa.env")]
        let out = adopted(twice, [consumer(1, "ab")])
        #expect(out.first?.adoptionRefusal?.contains("configured consumer xa") == true)
    }

    @Test func rotordsInFlightReplacementIsNotAdoptedButTheDoneOneIs() {
        var record = RotationRecord(
            id: "r1", consumerName: "etl-a", trigger: "due", now: now, oldConsumers: [consumer(1, "etl-a")],
            authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false, originalDescription: nil,
            grace: .hours(1))
        let replacement = consumer(2, "etl-a", description: "[rotord:r1]")
        let c = config([rule(0, name: "etl-*")])
        // The old consumer is gone (deleted by hand) while the rotation is in flight: the name is not adopted, so
        // the rotation is finished by the machine's unmanaged event.
        #expect(adopted(c, [replacement], active: [record]).isEmpty)
        // While the old consumer lives, the name stays adopted, and the plan shows the rotation in flight.
        let both = c.resolvingAdoption(
            consumers: [consumer(1, "etl-a"), replacement], groupNames: groups, active: [record], adminKey: nil)
        #expect(both.actionableConsumer(named: "etl-a")?.adoptedBy == "adopt[0]")
        let plan = RotationPlanner().plan(
            configuration: both, consumers: [consumer(1, "etl-a"), replacement], groupNames: groups, active: [record],
            history: [:], now: now)
        #expect(plan.entries.map(\.status) == [.inFlight(record)])
        // Once the rotation is done, the replacement (same name, same group) is matched by the rule.
        record.step = .done
        #expect(adopted(c, [replacement], active: [record]).map(\.name) == ["etl-a"])
    }

    @Test(arguments: [
        ("etl-*", "etl-a", true), ("etl-*", "etl-", true), ("etl-*", "xetl-a", false), ("e?l", "etl", true),
        ("e?l", "el", false), ("[a-c]x", "bx", true), ("[!a-c]x", "bx", false), ("[!a-c]x", "dx", true),
        ("*a*b*", "xxaxxbxx", true), ("*a*b", "ab-ba", false), ("a\\*", "a*", true), ("a\\*", "ab", false),
        ("[]]x", "]x", true), ("*", "", true),
        // A literal dot, the empty name, `/` and a leading dot are ordinary (no FNM_PATHNAME, no FNM_PERIOD).
        ("etl.*", "etl.a", true), ("etl.*", "etlxa", false), ("?", "", false), ("etl-*", "", false),
        ("*", ".hidden", true), ("a*b", "a/x/b", true), ("a\\?", "a?", true), ("a\\?", "ab", false),
        // Sets: `^` negates as `!` does; `\` and `[` are members (no escapes, no [:classes:] inside a set).
        ("[^a-c]x", "bx", false), ("[^a-c]x", "dx", true), ("[\\]x", "\\x", true), ("[\\]x", "]x", false),
        ("[[:alpha:]]", "a", false), ("[[:alpha:]]", "a]", true), ("[a-]", "-", true),
        // Non-ASCII names: one code point per `?`, composed and decomposed forms alike.
        ("caf?", "café", true), ("caf[é]", "café", true), ("[à-ú]x", "éx", true), ("ünï-*", "ünï-ab", true),
        ("caf?", "cafe\u{301}", true), ("café", "cafe\u{301}", true), ("?", "日", true), ("??", "日", false),
        ("??", "👍🏽", true), ("?", "👍🏽", false), ("x*", "x\u{0}y", false),
    ])
    func globMatching(_ pattern: String, _ name: String, _ expected: Bool) throws {
        let glob = try #require(NameGlob(pattern))
        #expect(glob.matches(name) == expected)
    }

    @Test func literalGlobs() {
        #expect(NameGlob("etl-one")?.isLiteral == true)
        #expect(NameGlob("a\\*")?.isLiteral == true)
        #expect(NameGlob("etl-?")?.isLiteral == false)
        #expect(NameGlob("[ab]")?.isLiteral == false)
        #expect(NameGlob("[abc") == nil && NameGlob("x\\") == nil && NameGlob("[]") == nil)
        #expect(NameGlob("[z-a]") == nil && NameGlob("[!]") == nil && NameGlob("a\u{0}") == nil)
    }
}
