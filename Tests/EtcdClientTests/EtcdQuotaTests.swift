import EtcdClient
import Foundation
import RotordTestKit
import Testing

/// A member whose database is full (`--quota-backend-bytes` reached: etcd raises its NOSPACE alarm): every write is
/// refused, not applied, with an error that says what an operator does; reads still work (docs/fleet.md,
/// "Compaction and quota").
@Suite(.timeLimit(.minutes(2)))
struct EtcdQuotaTests {
    @Test func aFullDatabaseRefusesWritesAndSaysWhatToDo() async throws {
        try await EtcdCluster.withCluster(
            size: 1, arguments: ["--quota-backend-bytes", "\(1 << 20)"], label: "etcd quota"
        ) { cluster in
            let client = EtcdClient(configuration: .init(endpoints: cluster.clientURLs, requestTimeout: .seconds(15)))
            var refusal: EtcdError?
            var written = 0
            let value = String(repeating: "x", count: 100_000)
            for index in 0..<64 {
                do {
                    _ = try await client.put("/quota/\(index)", value)
                    written += 1
                } catch {
                    refusal = error as? EtcdError
                    break
                }
            }
            try? await client.shutdown()
            let error = try #require(refusal, "1 MiB quota, \(written) values of 100 kB written and no refusal")
            #expect(!error.isOutcomeUnknown, "refused, so not applied: \(error)")
            #expect(
                error.description.contains("database is full") && error.description.contains("alarm disarm"),
                "\(error)")
            let reader = EtcdClient(configuration: .init(endpoints: cluster.clientURLs, requestTimeout: .seconds(15)))
            #expect(try await reader.range("/quota/", prefix: true, limit: 1).kvs.count == 1, "reads still work")
            try? await reader.shutdown()
            print("etcd quota: refused after \(written) writes of 100 kB: \(error)")
        }
    }
}
