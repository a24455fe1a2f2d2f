import Foundation
import FracttalClient
import FracttalSimulator
import Glibc
import RotordCore
import RotordKit

extension Benchmark {
    /// Planning 1,000 / 10,000 / 100,000 consumers.
    static func planning() {
        print("## Planning\n\n| consumers | median | p90 | per consumer |\n| --- | --- | --- | --- |")
        let now = Date()
        for n in [1_000, 10_000, 100_000] {
            let names = (0..<n).map { "consumer-\($0)" }
            let config = RotordConfiguration(
                fracttal: FracttalSettings(),
                consumers: names.map { ManagedConsumer(name: $0, permissionGroup: "Reportes") })
            let consumers = names.enumerated().map {
                ConsumerRecord(
                    id: $0.offset, name: $0.element, permissionGroupId: 3, key: "K\($0.offset)",
                    createdAt: now.addingTimeInterval(-Double($0.offset % 120) * 86_400))
            }
            let planner = RotationPlanner()
            var samples: [Double] = []
            for _ in 0..<(n >= 100_000 ? 5 : 20) {
                samples.append(
                    time {
                        let plan = planner.plan(
                            configuration: config, consumers: consumers, groupNames: [3: "Reportes"], active: [],
                            history: [:], now: now)
                        precondition(plan.entries.count == n)
                    })
            }
            let median = percentile(samples, 0.5)
            print(
                "| \(n) | \(ms(median)) | \(ms(percentile(samples, 0.9))) | \(String(format: "%.2f µs", median / Double(n) * 1e6)) |"
            )
        }
        print("")
    }

    /// One fsync'd atomic publish vs a bare write + fsync + rename on the same disk.
    static func publish() throws {
        let dir = tempDir("publish")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let content = Array(
            "FRACTTAL_CLIENT_ID=\(SimulatorSeed.randomCredential(length: 18))\nFRACTTAL_CLIENT_SECRET=\(SimulatorSeed.randomCredential(length: 32))\n"
                .utf8)
        let n = 500
        var rotord: [Double] = []
        var bare: [Double] = []
        for i in 0..<n {
            var bytes = content
            bytes[bytes.count - 2] = UInt8(ascii: "a") + UInt8(i % 26)  // new content each time
            rotord.append(try time { try AtomicFile.write(bytes, to: dir + "/rotord.env", mode: 0o640) })
            bare.append(time { bareWrite(bytes, dir: dir) })
        }
        let (r50, r99, b50, b99) = (
            percentile(rotord, 0.5), percentile(rotord, 0.99), percentile(bare, 0.5), percentile(bare, 0.99)
        )
        print("## Publish (\(n) writes each, \(dir.hasPrefix("/var/tmp") ? "/var/tmp" : dir))\n")
        print("| | p50 | p99 |\n| --- | --- | --- |")
        print("| rotord atomic publish (tmp + fchmod + write + fsync + rename + fsync dir) | \(ms(r50)) | \(ms(r99)) |")
        print("| bare write + fsync + rename | \(ms(b50)) | \(ms(b99)) |")
        print("| ratio | \(String(format: "%.2f×", r50 / b50)) | \(String(format: "%.2f×", r99 / b99)) |\n")
    }

    static func bareWrite(_ bytes: [UInt8], dir: String) {
        let tmp = dir + "/bare.tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        rename(tmp, dir + "/bare.env")
    }

    /// The first complete listing of a 1,000-consumer account under a 200/min budget.
    static func listing() async throws {
        var seed: [SimulatorSeed.Consumer] = [
            .init(
                name: "admin", permissionGroupId: 1, key: "AdminKeyAdminKey12",
                secret: "AdminSecretAdminSecretAdminSec12")
        ]
        for i in 0..<999 { seed.append(.init(name: "c\(i)", permissionGroupId: 3)) }
        let sim = FracttalSimulator(
            configuration: SimulatorConfiguration(requestsPerMinute: 200),
            seed: SimulatorSeed(
                permissionGroups: [.init(id: 1, name: "Admin", superAdmin: true), .init(id: 3, name: "Reportes")],
                consumers: seed))
        let port = try await sim.start()
        var samples: [Double] = []
        for _ in 0..<5 {
            let client = FracttalClient(
                configuration: FracttalClientConfiguration(
                    tokenURL: "http://127.0.0.1:\(port)/oauth/token", apiURL: "http://127.0.0.1:\(port)/api",
                    requestsPerMinute: 200),
                credentials: FracttalCredentials(key: "AdminKeyAdminKey12", secret: "AdminSecretAdminSecretAdminSec12"))
            let clock = ContinuousClock()
            let start = clock.now
            let all = try await client.listConsumers()
            precondition(all.count == 1000)
            let d = start.duration(to: clock.now)
            samples.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        }
        await sim.stop()
        print("## First complete listing of a 1,000-consumer account (10 pages, new client each time)\n")
        print(
            "| median | p90 |\n| --- | --- |\n| \(ms(percentile(samples, 0.5))) | \(ms(percentile(samples, 0.9))) |\n")
    }
}
