import Foundation
import Glibc
import RotordCore
import Testing

@testable import RotordKit

@Suite struct AuditLogTests {
    let now = Date(timeIntervalSince1970: 1_780_000_000)

    func record(_ id: String, consumer: String = "etl") -> RotationRecord {
        RotationRecord(
            id: id, consumerName: consumer, trigger: "due", now: now,
            oldConsumers: [
                ConsumerRecord(id: 7, name: consumer, permissionGroupId: 3, key: "OLDKEYoldkey123456", createdAt: now)
            ],
            authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false,
            originalDescription: nil, grace: .hours(1))
    }

    /// Drives `r` through the steps of a successful rotation, saving each.
    func rotate(_ r: inout RotationRecord, in store: StateStore) throws {
        try store.save(r)
        for (i, step) in [RotationStep.creating, .created, .verified, .published, .grace, .retiring, .done].enumerated()
        {
            if step == .created {
                r.newConsumerID = 8
                r.newKey = "NEWKEYnewkey123456"
                r.newSecret = "SecretSecretSecretSecretSecret12"
            }
            if step == .published { r.newSecret = nil }
            r.enter(step, at: now.addingTimeInterval(Double(i + 1) * 10))
            try store.save(r)
            // Saving the same step again (a retry counter, a republish) adds no line.
            try store.save(r)
        }
    }

    @Test func oneChainedLinePerStepWithoutSecrets() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path + "/state")
        var r = record("r1")
        try rotate(&r, in: store)
        let entries = store.auditLog.entries()
        #expect(
            entries.map(\.step) == [
                "planned", "creating", "created", "verified", "published", "grace", "retiring", "done",
            ])
        #expect(entries.map(\.seq) == Array(1...8))
        #expect(entries.first?.prev == AuditLog.genesis)
        #expect(store.auditLog.verify() == .intact(lines: 8))
        let text = try String(contentsOfFile: store.auditLog.path, encoding: .utf8)
        #expect(!text.contains("SecretSecret"), "no secret in the audit log")
        #expect(!text.contains("NEWKEYnewkey123456") && !text.contains("OLDKEYoldkey123456"), "keys masked")
        #expect(text.contains("\"new_key\":\"NEWK…\""))
        var st = stat()
        stat(store.auditLog.path, &st)
        #expect(st.st_mode & 0o777 == 0o600)
    }

    @Test func anEditedLineIsNamed() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        var r = record("r1")
        try rotate(&r, in: store)
        var lines = try String(contentsOfFile: store.auditLog.path, encoding: .utf8).split(separator: "\n").map(
            String.init)
        let pristine = lines
        lines[4] = lines[4].replacingOccurrences(of: "\"trigger\":\"due\"", with: "\"trigger\":\"manual\"")
        try (lines.joined(separator: "\n") + "\n").write(toFile: store.auditLog.path, atomically: true, encoding: .utf8)
        guard case .broken(let line, let reason) = store.auditLog.verify() else {
            Issue.record("an edit went unnoticed")
            return
        }
        #expect(line == 5)
        #expect(reason.contains("changed"))
        // Removing a line breaks the chain at the line after it.
        var removed = pristine
        removed.remove(at: 2)
        try (removed.joined(separator: "\n") + "\n").write(
            toFile: store.auditLog.path, atomically: true, encoding: .utf8)
        #expect(
            store.auditLog.verify()
                == .broken(
                    line: 3,
                    reason:
                        "its prev does not match the sha256 of line 2 (a line was removed, inserted or reordered before it)"
                ))
    }

    @Test func complianceFromTheAudit() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        var r = record("r1")
        try rotate(&r, in: store)
        let configuration = RotordConfiguration(
            fracttal: FracttalSettings(),
            consumers: [
                ManagedConsumer(name: "etl", permissionGroup: "Reportes", policy: RotationPolicy(maxAge: .days(30))),
                ManagedConsumer(name: "erp", permissionGroup: "Reportes", policy: RotationPolicy(maxAge: .days(30))),
            ])
        let later = now.addingTimeInterval(40 * 86_400)
        let reports = ComplianceReport.build(
            configuration: configuration, audit: store.auditLog.entries(), currentCreatedAt: [:],
            since: later.addingTimeInterval(-90 * 86_400), now: later)
        let etl = reports[0]
        #expect(etl.rotations.count == 1)
        #expect(etl.rotations[0].result == "done" && etl.rotations[0].verification == "passed")
        #expect(etl.rotations[0].oldKey == "OLDK…" && etl.rotations[0].newKey == "NEWK…")
        #expect(etl.rotations[0].oldDeletedAt == now.addingTimeInterval(70))
        // Created at now + 30 s, 30 days max_age, seen 40 days later: out of policy for about 10 days.
        #expect(etl.withinPolicy == false)
        #expect(abs(etl.outOfPolicySeconds - 10 * 86_400) < 60)
        #expect(reports[1].withinPolicy == nil, "nothing known of erp")
        let csv = Commands.render(reports, format: .csv, since: .days(90), now: later)
        #expect(csv.split(separator: "\n").count == 3)
        let json = Commands.render(reports, format: .json, since: .days(90), now: later)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        #expect(parsed?.first?["within_policy"] as? Bool == false)
        #expect(Commands.render(reports, format: .md, since: .days(90), now: later).contains("## erp"))
    }

    @Test func checkConfigJSONHasFileLineKeyMessage() throws {
        let text = CheckConfigOutput.render([
            (
                "error",
                ConfigurationError(
                    file: "/etc/rotord.yaml", key: "schedule.max_per_cycle", line: 4, message: "must be a whole number")
            ),
            ("warning", ConfigurationError(file: "/etc/rotord.yaml", key: "", message: "plaintext")),
        ])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        #expect(parsed.count == 2)
        #expect(parsed[0]["file"] as? String == "/etc/rotord.yaml")
        #expect(parsed[0]["line"] as? Int == 4)
        #expect(parsed[0]["key"] as? String == "schedule.max_per_cycle")
        #expect(parsed[0]["message"] as? String == "must be a whole number")
        #expect(parsed[1]["line"] is NSNull)
    }
}

@Suite struct AuditLogDamageTests {
    @Test func aDamagedTailDoesNotStopRotationsAndIsNamed() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        let now = Date(timeIntervalSince1970: 1_780_000_000)
        let record = RotationRecord(
            id: "r1", consumerName: "etl", trigger: "due", now: now, oldConsumers: [],
            authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false,
            originalDescription: nil, grace: .hours(1))
        try store.save(record)
        // A crash in the middle of an append leaves half a line.
        let handle = try #require(FileHandle(forWritingAtPath: store.auditLog.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"seq\":2,\"at\"".utf8))
        try handle.close()
        var next = record
        next.enter(.creating, at: now.addingTimeInterval(1))
        try store.save(next)
        #expect(store.auditLog.verify() == .broken(line: 2, reason: "the line does not end with its \"sha256\" field"))
        let lines = try String(contentsOfFile: store.auditLog.path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[2].contains("\"step\":\"creating\"") && lines[2].contains("\"seq\":3"))
    }
}

@Suite struct AuditLogLengthTests {
    @Test func aLongLogStillChains() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        let now = Date(timeIntervalSince1970: 1_780_000_000)
        // About 400 lines of ~400 bytes: several times the 64 KiB read from the end on each append.
        for i in 0..<200 {
            var record = RotationRecord(
                id: "r\(i)", consumerName: "consumer-\(i)", trigger: "due", now: now, oldConsumers: [],
                authorizationType: "client_credentials", permissionGroupID: 3, fracttalHub: false,
                originalDescription: nil, grace: .hours(1))
            try store.save(record)
            record.enter(.creating, at: now.addingTimeInterval(Double(i)))
            try store.save(record)
        }
        #expect(store.auditLog.verify() == .intact(lines: 400))
        #expect(store.auditLog.entries().last?.seq == 400)
    }
}
