import EtcdClient
import Foundation
import RotordTestKit
import Testing

/// A suite trait that starts one real 3-member etcd cluster for the whole suite (``EtcdCluster``), gives it to the
/// suite's tests through ``EtcdClusterScope/current``, and stops it (by pid, data directories removed) when the
/// suite ends, however it ends.
struct EtcdClusterScope: SuiteTrait, TestScoping {
    /// The cluster of the suite that is running.
    @TaskLocal static var current: EtcdCluster?

    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await EtcdCluster.withCluster(label: "etcd") { cluster in
            try await Self.$current.withValue(cluster) { try await function() }
        }
    }

    /// The running suite's cluster (the suite carries `.etcdCluster`).
    static func cluster() throws -> EtcdCluster {
        try #require(current, "the suite needs the .etcdCluster trait")
    }

    /// A client of every member of the running suite's cluster, in member order. `requestTimeout` is the client's
    /// (1 s by default, as in production); tests of plain reads and writes, which time nothing, give a longer one:
    /// a machine busy with every other suite has kept a healthy member's answer past 1 s.
    static func client(endpoints: [String]? = nil, requestTimeout: Duration? = nil) throws -> EtcdClient {
        var configuration = EtcdClient.Configuration(endpoints: try endpoints ?? cluster().clientURLs)
        if let requestTimeout { configuration.requestTimeout = requestTimeout }
        return EtcdClient(configuration: configuration)
    }

    /// The request timeout of the tests that time nothing.
    static let untimedRequestTimeout = Duration.seconds(15)

    /// A key prefix no other test uses.
    static func uniquePrefix(_ name: String) -> String { "/rotord-test/\(name)/\(UUID().uuidString.prefix(8))/" }
}

extension Trait where Self == EtcdClusterScope {
    /// One real 3-member etcd cluster for the suite.
    static var etcdCluster: Self { .init() }
}

/// Watches `key` through `client` again and again (at most 100 times, 100 ms apart, within `limit`) until a watch
/// ends with an error, which it returns: a member that just lost its leader may still make a watch until it notices
/// (an election timeout), and then ends it with "no leader". `nil` if no watch ended so.
func watchUntilItEnds(_ client: EtcdClient, _ key: String, within limit: Duration) async throws -> EtcdError? {
    try await within(limit) {
        for _ in 0..<100 {
            do {
                let watch = try await client.watch(key)
                defer { watch.cancel() }
                for try await _ in watch.events {}
            } catch let error as EtcdError {
                return error
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }
}

/// Runs `body` and fails if it takes longer than `limit` (the body is cancelled).
func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TimeLimit(limit: limit)
        }
        return value
    }
}

/// ``within(_:_:)`` ran out of time.
struct TimeLimit: Error, CustomStringConvertible {
    var limit: Duration
    var description: String { "did not finish within \(limit)" }
}
