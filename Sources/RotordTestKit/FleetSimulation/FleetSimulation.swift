import RotordCore

/// A deterministic simulation of the fleet's election and fencing (issue 20, points 3 and 9), before any host talks
/// to a real etcd: an in-memory etcd (one leader key, leases that expire on its own clock), hosts that campaign,
/// keep their lease alive every TTL/3 and send Fracttal requests only when their ``LeaderFence`` allows, and seeded
/// faults: hosts paused (SIGSTOP) past their lease, cut from etcd, slow networks, a pause between the fence's check
/// and the send. Time moves in 10 ms steps on one shared clock; a seed replays a history.
///
/// Invariants, checked at every step and at the end:
/// - **F1 one sender:** at no instant may two hosts' fences allow a Fracttal request.
/// - **F2 ordered terms:** every request of a leader lands before any request of a later leader, except one that
///   was paused between the check and the send (counted: the next leader's marker sweep removes what it created).
/// - **F3 liveness:** once faults stop, a leader exists and sends within 3 TTLs.
/// - **F4 no orphan after the sweep:** a late request counts as a create nobody journaled; the leader's marker
///   sweep (when it settles into a term, then every ``sweepInterval``) removes what landed before it, and once the
///   history ends none is left. (A sweep only at the start of a term is not enough: a paused old leader's create
///   can land after the new leader's first sweep.)
package enum FleetSimulation {
    /// The outcome of one history.
    package struct Outcome: Sendable {
        /// The seed.
        package var seed: UInt64
        /// Broken invariants.
        package var violations: [String] = []
        /// Leadership terms won.
        package var terms = 0
        /// Fracttal requests that landed.
        package var requests = 0
        /// Requests that landed late (paused between check and send), each left for the next leader's sweep.
        package var late = 0
        /// Late creates the leaders' marker sweeps removed.
        package var swept = 0
    }

    /// How often a leader repeats its marker sweep (the daemon's resync, shortened for the simulation).
    package static let sweepInterval: Duration = .seconds(10)

    struct Host {
        var name: String
        var fence: LeaderFence<SimulatedInstant>
        var term: Int?
        var lease: Int?
        var pausedUntil: Int64 = 0
        var cutUntil: Int64 = 0
        var nextCampaign: Int64 = 0
        var nextKeepAlive: Int64 = 0
        var nextRequest: Int64 = 0
        /// The term it last swept in, and when.
        var sweptTerm: Int?
        var sweptAt: Int64 = 0
    }

    struct Message {
        var at: Int64
        var host: Int
        var kind: Kind
        enum Kind {
            case campaign(sent: Int64)
            case campaignAnswer(sent: Int64, won: Int?, lease: Int)
            case keepAlive(sent: Int64, lease: Int)
            case keepAliveAnswer(sent: Int64, alive: Bool)
            case landing(term: Int, late: Bool)
        }
    }

    /// Runs one history of `seconds` (faults during the first three quarters) with `hosts` hosts.
    /// `margin` is the fence's (more than the 600 ms request timeout), `fenceTimeout` the request time the fence
    /// assumes (the real one by default): a fence that assumes requests take no time shows what it is for.
    package static func history(
        seed: UInt64, hosts count: Int = 3, seconds: Int = 120, margin: Duration = .milliseconds(800),
        fenceTimeout: Duration? = nil, sweepEvery: Duration? = FleetSimulation.sweepInterval
    ) -> Outcome {
        let sweepMs = sweepEvery.map(\.milliseconds) ?? Int64.max
        var random = SimulationRandom(seed: seed)
        let ttl = Duration.seconds(3)
        let ttlMs = ttl.milliseconds
        let timeout = Duration.milliseconds(600)
        var hosts = (0..<count).map { i in
            Host(name: "h\(i)", fence: LeaderFence(ttl: ttl, requestTimeout: fenceTimeout ?? timeout, margin: margin))
        }
        var outcome = Outcome(seed: seed)
        // etcd: the leader key (term, host, lease) and leases (expiry on etcd's clock).
        var leader: (term: Int, host: Int, lease: Int)?
        var leases: [Int: Int64] = [:]
        var nextLease = 1
        var nextTerm = 1
        var inFlight: [Message] = []
        var landings: [(at: Int64, term: Int, host: Int, late: Bool)] = []
        let end = Int64(seconds) * 1000
        let faultsEnd = end * 3 / 4
        var lastSender: (host: Int, at: Int64)?
        var unswept: [Int64] = []  // landing instants of late creates no sweep has removed yet

        func delay(_ now: Int64) -> Int64 {
            now < faultsEnd && random.chance(0.05) ? Int64(random.int(200...900)) : Int64(random.int(1...40))
        }

        var now: Int64 = 0
        while now <= end {
            // etcd expires leases on its own clock.
            for (id, expiry) in leases where expiry <= now {
                leases[id] = nil
                if leader?.lease == id { leader = nil }
            }
            // Deliver what arrives now.
            let arriving = inFlight.filter { $0.at <= now }
            inFlight.removeAll { $0.at <= now }
            for message in arriving.sorted(by: { ($0.at, $0.host) < ($1.at, $1.host) }) {
                let h = message.host
                switch message.kind {
                case .campaign(let sent):
                    // At etcd: grant a lease, and create the leader key only if it does not exist.
                    let lease = nextLease
                    nextLease += 1
                    leases[lease] = now + ttlMs
                    var won: Int?
                    if leader == nil {
                        won = nextTerm
                        nextTerm += 1
                        leader = (won!, h, lease)
                    }
                    inFlight.append(
                        Message(
                            at: now + delay(now), host: h, kind: .campaignAnswer(sent: sent, won: won, lease: lease)))
                case .campaignAnswer(let sent, let won, let lease):
                    // An answer to a host cut off or paused is lost: etcd expires the lease it granted.
                    guard hosts[h].cutUntil <= now, hosts[h].pausedUntil <= now else { continue }
                    if let won {
                        hosts[h].term = won
                        hosts[h].lease = lease
                        hosts[h].fence.won(at: SimulatedInstant(milliseconds: sent))
                        hosts[h].nextKeepAlive = now + ttlMs / 3
                        outcome.terms += 1
                    }
                case .keepAlive(let sent, let lease):
                    let alive = leases[lease] != nil
                    if alive { leases[lease] = now + ttlMs }
                    inFlight.append(
                        Message(at: now + delay(now), host: h, kind: .keepAliveAnswer(sent: sent, alive: alive)))
                case .keepAliveAnswer(let sent, let alive):
                    guard hosts[h].pausedUntil <= now, hosts[h].term != nil else { continue }
                    if alive {
                        hosts[h].fence.keepAliveSucceeded(sentAt: SimulatedInstant(milliseconds: sent))
                    } else {
                        hosts[h].fence.lost()
                        hosts[h].term = nil
                    }
                case .landing(let term, let late):
                    landings.append((now, term, h, late))
                    outcome.requests += 1
                    if late {
                        outcome.late += 1
                        unswept.append(now)
                    }
                }
            }
            // Faults.
            if now < faultsEnd && random.chance(0.002) {
                let h = random.int(0...(count - 1))
                if random.chance(0.5) {
                    hosts[h].pausedUntil = now + Int64(random.int(100...(Int(ttlMs) * 3)))
                } else {
                    hosts[h].cutUntil = now + Int64(random.int(100...(Int(ttlMs) * 3)))
                }
            }
            // Hosts act.
            var allowed: [Int] = []
            for h in hosts.indices where hosts[h].pausedUntil <= now {
                let instant = SimulatedInstant(milliseconds: now)
                let cut = hosts[h].cutUntil > now
                if hosts[h].term != nil, let deadline = hosts[h].fence.leaseDeadline, deadline <= instant {
                    hosts[h].fence.lost()  // the lease has surely ended: stop leading
                    hosts[h].term = nil
                }
                if hosts[h].term == nil {
                    if now >= hosts[h].nextCampaign {
                        hosts[h].nextCampaign = now + 500
                        if !cut { inFlight.append(Message(at: now + delay(now), host: h, kind: .campaign(sent: now))) }
                    }
                    continue
                }
                if now >= hosts[h].nextKeepAlive, let lease = hosts[h].lease {
                    hosts[h].nextKeepAlive = now + ttlMs / 3
                    if !cut {
                        inFlight.append(
                            Message(at: now + delay(now), host: h, kind: .keepAlive(sent: now, lease: lease)))
                    }
                }
                if hosts[h].fence.refusal(at: instant) == nil {
                    allowed.append(h)
                    // The marker sweep: first thing in a term, then every sweepInterval.
                    if hosts[h].sweptTerm != hosts[h].term || now - hosts[h].sweptAt >= sweepMs {
                        hosts[h].sweptTerm = hosts[h].term
                        hosts[h].sweptAt = now
                        outcome.swept += unswept.filter { $0 <= now }.count
                        unswept.removeAll { $0 <= now }
                    }
                    if now >= hosts[h].nextRequest, let term = hosts[h].term {
                        hosts[h].nextRequest = now + 250
                        // The request lands within the timeout, unless the process is paused right after the check.
                        if now < faultsEnd && random.chance(0.01) {
                            let pause = Int64(random.int(Int(ttlMs)...(Int(ttlMs) * 2)))
                            hosts[h].pausedUntil = now + pause
                            inFlight.append(
                                Message(at: now + pause + 5, host: h, kind: .landing(term: term, late: true)))
                        } else {
                            let lands = now + Int64(random.int(1...Int(timeout.milliseconds)))
                            inFlight.append(Message(at: lands, host: h, kind: .landing(term: term, late: false)))
                        }
                    }
                }
            }
            if allowed.count > 1 {
                outcome.violations.append(
                    "F1 at \(now) ms: hosts \(allowed.map { hosts[$0].name }.joined(separator: ", ")) may all send")
            }
            if let h = allowed.first { lastSender = (h, now) }
            now += 10
        }
        // F2: requests land in term order (late ones excepted).
        var highest = 0
        for landing in landings where !landing.late {
            if landing.term < highest {
                outcome.violations.append(
                    "F2 at \(landing.at) ms: a request of term \(landing.term) (\(hosts[landing.host].name)) landed "
                        + "after one of term \(highest)")
            }
            highest = max(highest, landing.term)
        }
        // F3: after the faults, someone leads and sends.
        if let last = lastSender, last.at >= end - 3 * ttlMs {
        } else {
            outcome.violations.append("F3: no host sent anything in the last \(3 * ttlMs) ms after the faults stopped")
        }
        // F4: no late create is left once the history ends.
        if !unswept.isEmpty {
            outcome.violations.append("F4: \(unswept.count) late create(s) left after the last sweep")
        }
        return outcome
    }
}
