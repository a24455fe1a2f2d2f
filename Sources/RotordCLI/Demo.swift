import Foundation
import FracttalClient
import Logging
import RotordCore
import RotordKit

/// `rotord demo`: the whole idea in one command, against the Fracttal simulator on 127.0.0.1.
///
/// Starts `fracttal-sim` (installed beside `rotord`) as a child process, seeds three consumers
/// (two past policy, one fresh), rotates with a short grace period into `./demo-output`, and
/// prints a before/after table. No secret is printed: keys are masked. The simulator is a separate
/// program so that the production binary carries no server code.
enum Demo {
    struct Seeded {
        var name: String
        var group: Int
        var ageDays: Double
        var deliver: [DeliverTarget]
    }

    /// Runs the demo; 0 when every check passed.
    static func run(outputDirectory: String, grace: String, simulator simulatorPath: String?) async -> Int32 {
        guard let graceDuration = ConfigDuration(parsing: grace), graceDuration <= .maximum else {
            Commands.printError("--grace: not a duration of at most \(ConfigDuration.maximum): \(grace)")
            return ExitStatus.usage
        }
        let out = absolute(outputDirectory)
        let logger = LogSetup.make(level: "warning")
        try? FileManager.default.removeItem(atPath: out)
        for dir in ["", "/state", "/credentials", "/etc/reports-etl", "/etc/erp-sync", "/etc/bi-dashboard"] {
            try? FileManager.default.createDirectory(atPath: out + dir, withIntermediateDirectories: true)
        }
        chmod(out + "/credentials", 0o700)

        let now = Date()
        let adminKey = randomCredential(length: 18)
        let adminSecret = randomCredential(length: 32)
        let consumers = [
            Seeded(
                name: "reports-etl", group: 3, ageDays: 120,
                deliver: [
                    DeliverTarget(
                        path: out + "/etc/reports-etl/fracttal.env",
                        format: .env(keyVariable: "FRACTTAL_CLIENT_ID", secretVariable: "FRACTTAL_CLIENT_SECRET"),
                        mode: 0o640),
                    DeliverTarget(
                        path: out + "/etc/reports-etl/fracttal.json",
                        format: .json(keyField: "key", secretField: "secret")),
                ]),
            Seeded(
                name: "erp-sync", group: 4, ageDays: 86,
                deliver: [
                    DeliverTarget(
                        path: out + "/etc/erp-sync/fracttal",
                        format: .raw(
                            keyPath: out + "/etc/erp-sync/fracttal.key",
                            secretPath: out + "/etc/erp-sync/fracttal.secret"))
                ]),
            Seeded(
                name: "bi-dashboard", group: 3, ageDays: 10,
                deliver: [
                    DeliverTarget(
                        path: out + "/etc/bi-dashboard/fracttal.env",
                        format: .env(keyVariable: "FRACTTAL_CLIENT_ID", secretVariable: "FRACTTAL_CLIENT_SECRET"))
                ]),
        ]
        let groupNames = [1: "Super Administrador", 3: "Reportes", 4: "Integraciones"]
        // The seed: the admin consumer and the three integrations, with secrets the demo knows, so
        // that it can check afterwards which pairs the token endpoint still accepts.
        var secrets: [String: (key: String, secret: String)] = [:]
        var seededConsumers: [[String: Any]] = [
            [
                "name": "rotord-admin", "permission_group_id": 1, "key": adminKey, "secret": adminSecret,
                "description": "rotord's Super Administrator consumer", "created_at": Self.isoDate(now),
            ]
        ]
        for c in consumers {
            let pair = (key: randomCredential(length: 18), secret: randomCredential(length: 32))
            secrets[c.name] = pair
            seededConsumers.append([
                "name": c.name, "permission_group_id": c.group, "key": pair.key, "secret": pair.secret,
                "description": "demo integration \(c.name)",
                "created_at": Self.isoDate(now.addingTimeInterval(-c.ageDays * 86_400)),
            ])
        }
        let seed: [String: Any] = [
            "permission_groups": groupNames.sorted { $0.key < $1.key }.map { id, name in
                ["id": id, "name": name, "super_admin": id == 1] as [String: Any]
            },
            "consumers": seededConsumers,
        ]
        let seedPath = out + "/credentials/simulator-seed.json"
        do {
            let data = try JSONSerialization.data(withJSONObject: seed, options: [.sortedKeys])
            _ = try AtomicFile.write(Array(data), to: seedPath)
            _ = try AtomicFile.write(Array(adminKey.utf8), to: out + "/credentials/fracttal-admin-key")
            _ = try AtomicFile.write(Array(adminSecret.utf8), to: out + "/credentials/fracttal-admin-secret")
        } catch {
            Commands.printError("cannot write the demo's files under \(out): \(error)")
            return ExitStatus.failure
        }
        let simulator: SimulatorProcess
        do { simulator = try await SimulatorProcess.start(executable: simulatorPath, seed: seedPath) } catch {
            Commands.printError("\(error)")
            return ExitStatus.failure
        }
        defer { simulator.stop() }
        let port = simulator.port

        let policy = RotationPolicy(maxAge: .days(90), rotateBefore: .days(7), grace: graceDuration)
        let configuration = RotordConfiguration(
            fracttal: FracttalSettings(
                tokenURL: "http://127.0.0.1:\(port)/oauth/token", apiURL: "http://127.0.0.1:\(port)/api",
                adminKeyFile: out + "/credentials/fracttal-admin-key",
                adminSecretFile: out + "/credentials/fracttal-admin-secret", verifyTimeout: .seconds(30)),
            stateDirectory: out + "/state", defaults: policy,
            consumers: consumers.map {
                ManagedConsumer(
                    name: $0.name, permissionGroup: groupNames[$0.group]!, policy: policy, deliver: $0.deliver)
            })
        let context: RotationResources
        do {
            context = try await RotationResources.make(
                configuration: configuration, configPath: "(demo)", logger: logger)
        } catch {
            Commands.printError("\(error)")
            return ExitStatus.failure
        }
        print(
            "rotord demo: Fracttal simulator on http://127.0.0.1:\(port); policy max_age 90d, rotate_before 7d, grace \(graceDuration)"
        )
        print("")
        let before = (try? await context.directory.consumers()) ?? []
        let beforePlan = RotationPlanner().plan(
            configuration: configuration, consumers: before, groupNames: groupNames, active: [], history: [:],
            now: Date())
        print("BEFORE")
        printTable(
            header: ["CONSUMER", "KEY", "AGE", "STATUS"],
            rows: beforePlan.entries.map { e in
                [
                    e.managed.name, e.current.map { KeyMask.mask($0.key) } ?? "-", age(e.current?.createdAt),
                    e.startsNow ? "due: rotate" : "ok: within policy",
                ]
            })
        print("")

        let reconciler = Reconciler(
            configuration: configuration, store: context.store, directory: context.directory, logger: logger)
        var report = await reconciler.pass()
        Commands.printSummary(report)
        var rounds = 0
        while ExitStatus.pass(report) == 0, let next = report.nextDeadline, next.timeIntervalSinceNow < 60, rounds < 5,
            report.outcomes.contains(where: { if case .waiting = $0.outcome { true } else { false } })
        {
            rounds += 1
            let wait = max(next.timeIntervalSinceNow, 0) + 0.2
            print("waiting \(String(format: "%.1f", wait))s for the grace period to end…")
            try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
            report = await reconciler.pass()
            Commands.printSummary(report)
        }
        print("")

        let after = (try? await context.directory.consumers()) ?? []
        var checks: [(String, Bool)] = []
        var rows: [[String]] = []
        for c in consumers {
            let old = before.first { $0.name == c.name }
            let now = after.filter { $0.name == c.name }.max { $0.createdAt < $1.createdAt }
            let files = c.deliver.flatMap(\.filePaths)
            let written = files.filter { FileManager.default.fileExists(atPath: $0) }
            let rotated = old?.id != now?.id
            var oldState = "kept (within policy)"
            if rotated, let old {
                let live = after.contains { $0.id == old.id }
                let refused = await accepts(context, secrets[c.name]) == false
                oldState = live ? "alive (in grace)" : "deleted"
                checks.append(("\(c.name): old consumer deleted", !live && refused))
                if let pair = SecretPublisher.pair(in: c.deliver.first!) {
                    let accepted = await accepts(context, pair)
                    checks.append(
                        ("\(c.name): the pair in \(files[0]) obtains a token", accepted && pair.key == now?.key))
                }
            } else {
                checks.append(("\(c.name): untouched", written.isEmpty && old != nil))
            }
            rows.append([
                c.name, old.map { KeyMask.mask($0.key) } ?? "-", now.map { KeyMask.mask($0.key) } ?? "-",
                age(now?.createdAt), oldState,
                written.isEmpty ? "-" : written.map { relative($0, to: out) }.joined(separator: ", "),
            ])
        }
        print("AFTER")
        printTable(header: ["CONSUMER", "OLD KEY", "NEW KEY", "AGE", "OLD CONSUMER", "FILES WRITTEN"], rows: rows)
        print("")
        for (text, ok) in checks { print("\(ok ? "ok  " : "FAIL") \(text)") }
        let passed = checks.allSatisfy(\.1)
        print("")
        print(
            passed
                ? "demo complete: files are in \(out) (secrets are in the files only; nothing printed them)."
                : "demo FAILED")
        return passed ? 0 : 1
    }

    /// Whether the token endpoint accepts `pair` now (`nil` pair: not accepted).
    static func accepts(_ context: RotationResources, _ pair: (key: String, secret: String)?) async -> Bool {
        guard let pair else { return false }
        return (try? await context.directory.verify(key: pair.key, secret: pair.secret)) ?? false
    }

    /// A random `[A-Za-z0-9]` string: Fracttal keys are 18 characters, secrets 32.
    static func randomCredential(length: Int) -> String {
        let chars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in chars.randomElement(using: &rng)! })
    }

    /// `2026-03-04T13:15:00.123Z`: an ISO 8601 date the simulator's seed reader accepts.
    static func isoDate(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func printTable(header: [String], rows: [[String]]) {
        for line in ReportRenderer.columns(header: header, rows: rows) { print(line) }
    }

    static func age(_ date: Date?) -> String {
        guard let date else { return "-" }
        let seconds = Int64(max(Date().timeIntervalSince(date), 0))
        return ConfigDuration(seconds: seconds).humanReadable
    }

    static func relative(_ path: String, to base: String) -> String {
        path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
    }

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }

}
