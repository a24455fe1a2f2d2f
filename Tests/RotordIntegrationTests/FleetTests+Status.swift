import Foundation
import RotordKit
import RotordTestKit
import Testing

/// `rotord fleet status`, `rotord fleet forget` and the `fleet:` block of `rotord status`, with the release binary
/// against three running hosts (docs/cli.md).
extension FleetTests {
    /// Runs `rotord ARGUMENTS` with `host`'s configuration (copied to the scenario's own path, which
    /// ``Scenario/run(_:environment:faults:timeout:)`` passes).
    static func rotord(
        _ arguments: [String], as host: String, in world: FleetWorld, endpoints: String? = nil
    ) async throws -> Scenario.Result {
        var yaml = try String(contentsOfFile: world.configPath(host), encoding: .utf8)
        if let endpoints {
            yaml = yaml.split(separator: "\n", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces).hasPrefix("endpoints:") ? "    endpoints: [\(endpoints)]" : $0
            }.joined(separator: "\n")
        }
        try yaml.write(toFile: world.scenario.configPath, atomically: true, encoding: .utf8)
        return try await world.scenario.run(arguments, timeout: .seconds(30))
    }

    /// `fleet status --json` as `host` sees it, decoded.
    static func fleetStatus(as host: String, in world: FleetWorld) async throws -> (Scenario.Result, FleetStatus?) {
        let result = try await rotord(["fleet", "status", "--json"], as: host, in: world)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return (result, try? decoder.decode(FleetStatus.self, from: Data(result.stdout.utf8)))
    }

    /// Three hosts: `fleet status` names the leader and three alive hosts; `rotord status` shows the fleet block (and
    /// in JSON a `fleet` object beside the consumers); after `kill -9` of h3 and its lease, h3 is down with its last
    /// seen; `fleet forget h3` removes it; an unknown host, an alive one and the host's own name are refused; etcd
    /// unreachable is 75 for `fleet status` and a line in `status`; a configuration without `cluster:` is 78.
    @Test func fleetStatusShowsTheHostsAndForgetRemovesADownOne() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 10)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        try world.writeConfigs(consumers: ["etl"])
        let started = Date()
        for host in world.hosts { try world.start(host) }

        var last: (Scenario.Result, FleetStatus?)?
        let up = await world.eventually(within: .seconds(30)) {
            last = try? await Self.fleetStatus(as: "h2", in: world)
            guard let status = last?.1 else { return false }
            return status.leader != nil && status.members.filter(\.alive).count == 3
        }
        #expect(up, "a leader and three alive hosts: \(last?.0.output ?? "")")
        let (result, read) = try await Self.fleetStatus(as: "h2", in: world)
        let status = try #require(read, "\(result.output)")
        #expect(result.status == 0, "nothing to act on: \(result.output)")
        let leader = await world.leader()
        #expect(status.leader == leader)
        #expect(status.members.map(\.host) == ["h1", "h2", "h3"])
        #expect(status.members.allSatisfy { $0.alive && $0.delivers == ["etl"] && $0.leaderEligible })
        #expect(status.members.allSatisfy { ($0.lastSeen ?? .distantPast) >= started.addingTimeInterval(-1) })
        #expect(status.members.filter(\.leads).map(\.host) == [status.leader].compactMap { $0 })
        #expect(status.warnings.isEmpty && status.rotations.isEmpty, "\(status.warnings)")

        let text = try await Self.rotord(["fleet", "status"], as: "h2", in: world)
        #expect(text.status == 0 && text.stdout.hasPrefix("fleet \(world.prefix): leader "), "\(text.output)")
        let local = try await Self.rotord(["status"], as: "h2", in: world)
        #expect(local.status == 0, "\(local.output)")
        #expect(local.stdout.contains("\nfleet: leader ") && local.stdout.contains("3 member(s), 3 alive"))
        #expect(local.stdout.contains("etl"), "the local part is still there: \(local.stdout)")
        let json = try await Self.rotord(["status", "--json"], as: "h2", in: world)
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.output)")
        #expect((document["consumers"] as? [[String: Any]])?.first?["name"] as? String == "etl")
        #expect((document["fleet"] as? [String: Any])?["members"] as? [[String: Any]] != nil)

        // h3 killed: once its lease ends (6 s), it is down, with the last time it was seen.
        world.kill9("h3")
        let killed = Date()
        let down = await world.eventually(within: .seconds(30)) {
            last = try? await Self.fleetStatus(as: "h2", in: world)
            guard let status = last?.1, let h3 = status.members.first(where: { $0.host == "h3" }) else { return false }
            return !h3.alive && status.leader != nil
        }
        #expect(down, "h3 down: \(last?.0.output ?? "")")
        let h3 = try #require(last?.1?.members.first { $0.host == "h3" })
        let seen = try #require(h3.lastSeen, "h3's last seen, from etcd's history: \(last?.0.output ?? "")")
        // JSON dates are to the second.
        #expect(
            seen >= started.addingTimeInterval(-1) && seen <= killed.addingTimeInterval(1),
            "last seen \(seen), started at \(started), killed at \(killed)")
        let downText = try await Self.rotord(["fleet", "status"], as: "h1", in: world)
        #expect(downText.stdout.contains("DOWN"), "\(downText.output)")

        // Refusals: an unknown host, an alive host, the host's own name.
        let unknown = try await Self.rotord(["fleet", "forget", "h9"], as: "h2", in: world)
        #expect(unknown.status == 1 && unknown.stderr.contains("h9 is not a member"), "\(unknown.output)")
        #expect(unknown.stderr.contains("its members: h1, h2, h3"), "\(unknown.output)")
        let alive = try await Self.rotord(["fleet", "forget", "h1"], as: "h2", in: world)
        #expect(alive.status == 1 && alive.stderr.contains("h1 is alive"), "\(alive.output)")
        let own = try await Self.rotord(["fleet", "forget", "h2"], as: "h2", in: world)
        #expect(own.status == 1 && own.stderr.contains("--force"), "\(own.output)")

        let forgot = try await Self.rotord(["fleet", "forget", "h3"], as: "h2", in: world)
        #expect(forgot.status == 0 && forgot.stdout.hasPrefix("forgot h3: removed \(world.prefix)/hosts/h3"))
        let (afterResult, after) = try await Self.fleetStatus(as: "h2", in: world)
        #expect(after?.members.map(\.host) == ["h1", "h2"], "\(afterResult.output)")
        let again = try await Self.rotord(["fleet", "forget", "h3"], as: "h2", in: world)
        #expect(again.status == 1 && again.stderr.contains("h3 is not a member"), "\(again.output)")

        // etcd unreachable (nothing listens on port 9): 75 for fleet status; status still prints the local part.
        let unreachable = try await Self.rotord(
            ["fleet", "status"], as: "h2", in: world, endpoints: "http://127.0.0.1:9")
        #expect(unreachable.status == 75 && unreachable.stderr.contains("try again"), "\(unreachable.output)")
        let localOnly = try await Self.rotord(["status"], as: "h2", in: world, endpoints: "http://127.0.0.1:9")
        #expect(
            localOnly.status == 0 && localOnly.stdout.contains("could not be read from etcd"), "\(localOnly.output)")
        #expect(localOnly.stdout.contains("etl"))

        // No cluster: section.
        try s.writeConfig(consumers: ["etl"])
        let single = try await s.run(["fleet", "status"])
        #expect(single.status == 78 && single.stderr.contains("no cluster: section"), "\(single.output)")
        let forgetSingle = try await s.run(["fleet", "forget", "h1"])
        #expect(forgetSingle.status == 78, "\(forgetSingle.output)")
        print(
            "fleet status: leader \(status.leader ?? "none"), h3 down (last seen \(seen)), "
                + "forgotten; unknown host 1, etcd unreachable 75, no cluster: 78")
    }

    /// A rotation waits for one host (not the leader: a new leader waits out the account's request window before
    /// acting), whose action does not finish: `fleet status` shows it `sealed_waiting` and blocking nothing; once
    /// it is killed and its lease ends, `fleet status` says so (exit 1, a warning naming the rotation) and the old
    /// consumer is kept; `fleet forget` lets the leader retire the old consumer.
    @Test func aForgottenDownHostNoLongerHoldsTheOldConsumer() async throws {
        let s = try await Scenario(consumers: [.init(name: "etl", ageDays: 100)])
        defer { s.cleanUp() }
        let world = try FleetWorld(scenario: s, cluster: try FleetClusterScope.cluster())
        defer { world.stopAll() }
        let old = try #require(await s.live("etl").first)
        // Each host's action waits for its own flag (and gives up after 30 s, long after the test is done with it).
        var actions: [String: String] = [:]
        for host in world.hosts {
            actions[host] =
                "for i in $(seq 1 300); do [ -e \(s.dir)/\(host)-may-confirm ] && exit 0; sleep 0.1; done; exit 1"
        }
        try world.writeConfigs(consumers: ["etl"], grace: "0s", actions: actions)
        for host in world.hosts { try world.start(host) }

        var last: (Scenario.Result, FleetStatus?)?
        let sealed = await world.eventually(within: .seconds(60)) {
            last = try? await Self.fleetStatus(as: "h1", in: world)
            return last?.1?.rotations.first?.hosts.map(\.state) == Array(repeating: "sealed_waiting", count: 3)
        }
        #expect(sealed, "sealed to the three hosts: \(last?.0.output ?? "")")
        let leader = try #require(await world.leader())
        let victim = try #require(world.hosts.last { $0 != leader })
        for host in world.hosts where host != victim {
            _ = FileManager.default.createFile(atPath: "\(s.dir)/\(host)-may-confirm", contents: nil)
        }
        let waiting = await world.eventually(within: .seconds(30)) {
            last = try? await Self.fleetStatus(as: leader, in: world)
            return last?.1?.rotations.first?.hosts.filter { $0.state == "confirmed" }.count == 2
        }
        #expect(waiting, "two hosts confirmed, \(victim) sealed and waiting: \(last?.0.output ?? "")")
        let rotation = try #require(last?.1?.rotations.first)
        #expect(rotation.consumer == "etl" && rotation.hosts.allSatisfy { !$0.blocking })
        #expect(rotation.hosts.first { $0.host == victim }?.state == "sealed_waiting")
        #expect(last?.0.status == 0, "an alive host still answering blocks nothing: \(last?.0.output ?? "")")

        world.kill9(victim)
        let blocked = await world.eventually(within: .seconds(30)) {
            last = try? await Self.fleetStatus(as: leader, in: world)
            return last?.1?.members.first { $0.host == victim }?.alive == false
        }
        #expect(blocked, "\(victim) down: \(last?.0.output ?? "")")
        #expect(last?.0.status == 1, "a down host holds the rotation back: \(last?.0.output ?? "")")
        #expect(
            last?.1?.warnings.contains {
                $0.hasPrefix("\(victim) is down: rotation \(rotation.id) of etl waits for it")
            }
                == true, "\(last?.1?.warnings ?? [])")
        #expect(
            await s.live("etl").contains { $0.id == old.id }, "the old consumer is kept while \(victim) is a member")

        let forgot = try await Self.rotord(["fleet", "forget", victim], as: leader, in: world)
        #expect(forgot.status == 0, "\(forgot.output)")
        let retired = await world.eventually(within: .seconds(60)) {
            await !s.live("etl").contains { $0.id == old.id }
        }
        #expect(retired, "\(victim) forgotten, the old consumer goes: \(world.log(leader))")
        let settled = await world.eventually(within: .seconds(30)) {
            last = try? await Self.fleetStatus(as: leader, in: world)
            return last?.1?.rotations.isEmpty == true
        }
        #expect(settled && last?.0.status == 0, "nothing left to act on: \(last?.0.output ?? "")")
        print(
            "fleet forget: \(victim) killed while rotation \(rotation.id) waited for it; forgotten, old consumer "
                + "retired by \(leader)")
    }
}
