import Foundation
import FracttalClient
import RotordCore
import RotordKit
import Synchronization

/// An in-memory Fracttal account behind ``ConsumerAccount``, with seeded faults: the engine
/// simulation's server (docs/architecture.md, "Simulation").
///
/// It answers as `FracttalConsumerAccount` does over HTTP, failures already classified: an answer
/// lost before or after its effect, a 5xx, a 406/429, a slow answer cut by the timeout (the clock
/// moves by `fracttal.timeout`), a new pair refused for a while after its create, and a server that
/// stores a shortened description (the client refuses such a create answer: the marker is lost).
package final class SimulatedFracttal: ConsumerAccount {
    /// Where a consumer came from.
    package enum Origin: Sendable, Hashable {
        /// There before the history began (the pair the deliver files start with).
        case original
        /// Created by rotord for the rotation whose marker it was sent with.
        case rotord(rotationID: String)
        /// Created by a person in the web UI during the history.
        case hand
    }

    /// One consumer, with what only the server knows.
    package struct Consumer: Sendable, Hashable {
        /// As listed.
        package var record: ConsumerRecord
        /// The secret.
        package var secret: String
        /// Where it came from.
        package var origin: Origin
        /// The token endpoint accepts the pair from this instant.
        package var activeAt: Date
    }

    /// The faults the server injects; changed by the history between passes.
    package struct Faults: Sendable, Hashable {
        /// Probability that a request fails with a 5xx before any effect.
        package var serverError = 0.0
        /// Probability that a create or delete takes effect and its answer is lost.
        package var lostAfterEffect = 0.0
        /// Probability that a create's answer is lost before it reaches the server.
        package var lostBeforeEffect = 0.0
        /// Probability that a request is refused by the rate limit (406/429 with headers).
        package var rateLimited = 0.0
        /// Probability that an answer is so slow that the timeout cuts it (the clock moves by the timeout).
        package var slow = 0.0
        /// A new pair is refused by the token endpoint for this long after its create.
        package var activationDelay: TimeInterval = 0
        /// The server stores at most this many characters of a description (`nil`: all).
        package var descriptionLimit: Int? = nil

        /// No fault at all.
        package static let none = Faults()

        /// No fault; set the fields to add some.
        package init() {}
    }

    struct State {
        var consumers: [Int: Consumer] = [:]
        var nextID = 1_000
        var random: SimulationRandom
        var faults = Faults.none
        /// Instants of every request the engine sent (for the budget invariant).
        var requests: [Date] = []
        /// Keys that obtained a token.
        var verifiedKeys: Set<String> = []
        /// Creates per rotation in the pass under way.
        var createsThisPass: [String: Int] = [:]
        /// Requests in the pass under way.
        var requestsThisPass = 0
        /// The most requests sent in any minute so far.
        var busiestMinute = 0
        /// The key of the admin consumer rotord acts as, when the history rotates it (`nil`: the admin is outside
        /// the account, as in most histories).
        var actingKey: String?
        /// How many times rotord took a new admin pair into use.
        var adminSwitches = 0
    }

    private let state: Mutex<State>
    private let clock: SimulatedWallClock
    private let ledger: SimulationLedger
    private let timeout: TimeInterval
    /// Asked before a delete takes effect: the violation it would be (I2), or `nil`.
    private let deleteGuard: @Sendable (Consumer) -> String?
    /// The account's request budget per minute.
    package let requestsPerMinute: Int

    /// An empty account on `clock`, its faults drawn from `seed`.
    package init(
        clock: SimulatedWallClock, ledger: SimulationLedger, seed: UInt64, timeout: TimeInterval,
        requestsPerMinute: Int, deleteGuard: @escaping @Sendable (Consumer) -> String?
    ) {
        state = Mutex(State(random: SimulationRandom(seed: seed)))
        self.clock = clock
        self.ledger = ledger
        self.timeout = timeout
        self.requestsPerMinute = requestsPerMinute
        self.deleteGuard = deleteGuard
    }

    // MARK: - The history's hand

    /// Sets the faults.
    package func setFaults(_ faults: Faults) { state.withLock { $0.faults = faults } }

    /// The faults in force.
    package var faults: Faults { state.withLock { $0.faults } }

    /// Adds a consumer as a person (or the initial set-up) would; returns it.
    @discardableResult
    package func add(
        name: String, group: (id: Int, name: String), description: String?, origin: Origin, createdAt: Date
    ) -> Consumer {
        state.withLock { s in
            let id = s.nextID
            s.nextID += 1
            let consumer = Consumer(
                record: ConsumerRecord(
                    id: id, name: name, description: description, permissionGroupId: group.id,
                    permissionGroup: group.name, key: s.random.token(18), createdAt: createdAt),
                secret: s.random.token(32), origin: origin, activeAt: createdAt)
            s.consumers[id] = consumer
            return consumer
        }
    }

    /// Removes a consumer as a person would (no guard: it is not rotord's doing).
    package func removeByHand(id: Int) { _ = state.withLock { $0.consumers.removeValue(forKey: id) } }

    /// Every live consumer, by id.
    package var all: [Consumer] { state.withLock { $0.consumers.values.sorted { $0.record.id < $1.record.id } } }

    /// The most requests the engine sent in any minute so far.
    package var busiestMinute: Int { state.withLock { $0.busiestMinute } }

    /// Keys that obtained a token.
    package var verifiedKeys: Set<String> { state.withLock { $0.verifiedKeys } }

    /// Starts counting a new pass; returns the previous pass's creates per rotation and request count.
    @discardableResult
    package func startPass() -> (creates: [String: Int], requests: Int) {
        state.withLock { s in
            defer {
                s.createsThisPass = [:]
                s.requestsThisPass = 0
            }
            return (s.createsThisPass, s.requestsThisPass)
        }
    }

    // MARK: - ConsumerAccount

    /// Counts a request and draws its fate: `nil` to answer, else the failure to throw before any effect.
    private func request(_ operation: String, s: inout State, api: Bool = true) -> RotationFailure? {
        if ledger.dead { return RotationFailure(.transient, "\(operation): the process is dead (simulated crash)") }
        if api, let acting = s.actingKey, !s.consumers.values.contains(where: { $0.record.key == acting }) {
            ledger.violate(
                "I8", "\(operation): rotord acts as the admin key \(KeyMask.mask(acting)), whose consumer is gone")
            return RotationFailure(.permanent, "\(operation): HTTP 401 (the admin consumer is gone; simulated)")
        }
        let now = clock.now()
        s.requests.append(now)
        s.requestsThisPass += 1
        s.requests.removeAll { now.timeIntervalSince($0) >= 60 }
        s.busiestMinute = max(s.busiestMinute, s.requests.count)
        if s.requests.count > requestsPerMinute {
            ledger.violate(
                "I5",
                "\(s.requests.count) requests in the minute before \(UTCTimestamp.format(now)), "
                    + "over the account's \(requestsPerMinute)")
        }
        if s.random.chance(s.faults.rateLimited) {
            return injected(RotationFailure(.transient, "\(operation): HTTP 429, Retry-After: 7 (simulated)"))
        }
        if s.random.chance(s.faults.serverError) {
            return injected(RotationFailure(.transient, "\(operation): HTTP 503 (simulated)"))
        }
        if s.random.chance(s.faults.slow) {
            clock.advance(by: timeout)
            return injected(
                RotationFailure(.transient, "\(operation): no whole answer within \(Int(timeout)) s (simulated)"))
        }
        return nil
    }

    private func injected(_ failure: RotationFailure) -> RotationFailure {
        ledger.with { $0.faultInjected = true }
        return failure
    }

    package func consumers() async throws(RotationFailure) -> [ConsumerRecord] {
        try state.withLock { s throws(RotationFailure) in
            if let failure = request("listing consumers", s: &s) { throw failure }
            return s.consumers.values.map(\.record).sorted { $0.id < $1.id }
        }
    }

    package func permissionGroups() async throws(RotationFailure) -> [Int: String] {
        try state.withLock { s throws(RotationFailure) in
            if let failure = request("listing permission groups", s: &s) { throw failure }
            return Dictionary(s.consumers.values.map { ($0.record.permissionGroupId, $0.record.permissionGroup ?? "") })
            {
                a, _ in a
            }
        }
    }

    package func create(
        name: String, description: String, authorizationType: String, permissionGroupID: Int, fracttalHub: Bool
    ) async throws(RotationFailure) -> (consumer: ConsumerRecord, secret: String) {
        let operation = "creating a consumer named \(name)"
        let now = clock.now()
        let result: Result<Consumer, RotationFailure> = state.withLock { s in
            if let failure = request(operation, s: &s) { return .failure(failure) }
            let rotation = RotationMarker.rotationID(in: description) ?? "?"
            s.createsThisPass[rotation, default: 0] += 1
            if s.random.chance(s.faults.lostBeforeEffect) {
                return .failure(injected(RotationFailure(.ambiguous, "\(operation): no answer (simulated)")))
            }
            let id = s.nextID
            s.nextID += 1
            let stored = s.faults.descriptionLimit.map { String(description.prefix($0)) } ?? description
            let group = s.consumers.values.first { $0.record.permissionGroupId == permissionGroupID }?.record
                .permissionGroup
            let consumer = Consumer(
                record: ConsumerRecord(
                    id: id, name: name, description: stored, authorizationType: authorizationType,
                    permissionGroupId: permissionGroupID, permissionGroup: group, fracttalHub: fracttalHub,
                    key: s.random.token(18), createdAt: now),
                secret: s.random.token(32), origin: .rotord(rotationID: rotation),
                activeAt: now.addingTimeInterval(s.faults.activationDelay))
            s.consumers[id] = consumer
            ledger.with { $0.effects += 1 }
            if !FracttalClient.descriptionMatches(sent: description, answered: stored) {
                // What FracttalClient does with such an answer: refuse it, naming the consumer it made.
                return .failure(
                    injected(
                        RotationFailure(
                            .ambiguous,
                            "\(operation): the answer's data.description differs from the description sent "
                                + "(the rotation marker is lost)", createdConsumerID: id)))
            }
            if s.random.chance(s.faults.lostAfterEffect) {
                return .failure(injected(RotationFailure(.ambiguous, "\(operation): the answer was lost (simulated)")))
            }
            return .success(consumer)
        }
        switch result {
        case .success(let consumer): return (consumer.record, consumer.secret)
        case .failure(let failure): throw failure
        }
    }

    package func delete(id: Int) async throws(RotationFailure) {
        let operation = "deleting consumer \(id)"
        let target: Consumer? = try state.withLock { s throws(RotationFailure) in
            if let failure = request(operation, s: &s) { throw failure }
            return s.consumers[id]
        }
        guard let target else { return }  // absent: deleted already
        if let acting = adminKey, target.record.key == acting {
            ledger.violate("I8", "consumer \(id) deleted: it is the admin consumer rotord acts as")
        }
        if let violation = deleteGuard(target) { ledger.violate("I2", violation) }
        try state.withLock { s throws(RotationFailure) in
            s.consumers[id] = nil
            ledger.with { $0.effects += 1 }
            if s.random.chance(s.faults.lostAfterEffect) {
                throw injected(RotationFailure(.transient, "\(operation): the answer was lost (simulated)"))
            }
        }
    }

    package func verify(key: String, secret: String) async throws(RotationFailure) -> Bool {
        let now = clock.now()
        return try state.withLock { s throws(RotationFailure) in
            if let failure = request("obtaining a token with key \(KeyMask.mask(key))", s: &s, api: false) {
                throw failure
            }
            guard let consumer = s.consumers.values.first(where: { $0.record.key == key }), consumer.secret == secret
            else { return false }
            guard now >= consumer.activeAt else {
                ledger.with { $0.faultInjected = true }
                return false
            }
            s.verifiedKeys.insert(key)
            return true
        }
    }

    package var adminKey: String? { state.withLock { $0.actingKey } }

    /// Makes the consumer with `key` the admin rotord acts as (the history's set-up).
    package func setActingKey(_ key: String?) { state.withLock { $0.actingKey = key } }

    /// A restarted rotord acts as the pair it read at start: a pair that obtains no token locks it out (I8).
    package func restart(actingAs pair: (key: String, secret: String)?) {
        state.withLock { s in
            guard let pair else {
                ledger.violate("I8", "a restart cannot read an admin pair")
                return
            }
            s.actingKey = pair.key
            if !s.consumers.values.contains(where: { $0.record.key == pair.key && $0.secret == pair.secret }) {
                ledger.violate(
                    "I8", "a restart reads the admin pair \(KeyMask.mask(pair.key)), which obtains no token: locked out"
                )
            }
        }
    }

    package func verifyAdministration(key: String, secret: String, consumerID: Int) async throws(RotationFailure)
        -> Bool
    {
        guard try await verify(key: key, secret: secret) else { return false }
        return try state.withLock { s throws(RotationFailure) in
            if let failure = request("reading consumer \(consumerID) as \(KeyMask.mask(key))", s: &s, api: false) {
                throw failure
            }
            return s.consumers[consumerID] != nil
        }
    }

    /// How many times rotord took a new admin pair into use.
    package var adminSwitches: Int { state.withLock { $0.adminSwitches } }

    package func actAs(key: String, secret: String) async {
        state.withLock { s in
            if s.actingKey != key { s.adminSwitches += 1 }
            if let consumer = s.consumers.values.first(where: { $0.record.key == key }), consumer.secret == secret {
                s.actingKey = key
            } else {
                ledger.violate("I8", "rotord acts as \(KeyMask.mask(key)), a pair that does not work")
                s.actingKey = key
            }
        }
    }
}
