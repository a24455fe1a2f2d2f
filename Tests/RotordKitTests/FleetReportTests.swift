import Foundation
import RotordCore
import Testing

@testable import RotordKit

/// `rotord report` on a fleet host (issue 20, docs/fleet.md): the fleet's journal in etcd holds each rotation whole,
/// whichever host led it; its lines report what a single host's audit log would, and replace a host's partial lines.
@Suite struct FleetReportTests {
    let now = Date(timeIntervalSince1970: 1_780_000_000)
    let helper = AuditLogTests()

    /// A finished rotation's record and the local audit log of the same rotation report alike.
    @Test func aFleetRecordReportsWhatTheAuditLogWould() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        var r = helper.record("r1")
        try helper.rotate(&r, in: store)
        let fromAudit = ComplianceReport.rotation(store.auditLog.entries())
        let history = FleetEntry.History(r, leader: "h2")
        #expect(history.record?.newSecret == nil, "the fleet's copy holds no secret")
        let decoded = try #require(FleetEntry.decode(FleetEntry.History.self, FleetEntry.encode(history)))
        let lines = ComplianceReport.auditLines(of: decoded)
        #expect(lines.map(\.step) == store.auditLog.entries().map(\.step))
        #expect(ComplianceReport.rotation(lines) == fromAudit)
        #expect(fromAudit.createdAt != nil && fromAudit.oldDeletedAt != nil && fromAudit.result == "done")
        #expect(!lines.contains { "\($0)".contains("SecretSecret") })
    }

    /// An entry written before records were kept still reports its start, end and keys.
    @Test func anOlderEntryWithoutItsRecordReportsStartAndEnd() throws {
        var r = helper.record("r1")
        r.newKey = "NEWKEYnewkey123456"
        r.enter(.done, at: now.addingTimeInterval(60))
        var history = FleetEntry.History(r, leader: "h1")
        history.record = nil
        let rotation = ComplianceReport.rotation(ComplianceReport.auditLines(of: history))
        #expect(rotation.startedAt == now && rotation.finishedAt == now.addingTimeInterval(60))
        #expect(rotation.result == "done" && rotation.newKey == "NEWK…" && rotation.oldKey == "OLDK…")
    }

    /// This host's lines of a rotation it only started are replaced by the fleet's whole record; its own rotations
    /// from before the fleet stay; rotations are ordered by their start.
    @Test func theFleetsRecordReplacesThisHostsPartialLines() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        var before = helper.record("r0")
        before.startedAt = now.addingTimeInterval(-86_400)
        before.history = [.init(step: .planned, at: before.startedAt)]
        try helper.rotate(&before, in: store)
        // r1: this host led it up to `created`, then was killed; another host finished it.
        var partial = helper.record("r1")
        try store.save(partial)
        partial.enter(.creating, at: now.addingTimeInterval(10))
        try store.save(partial)
        var whole = helper.record("r1")
        let other = TemporaryDirectory()
        defer { other.remove() }
        try helper.rotate(&whole, in: try StateStore(directory: other.path))
        let fleet = ComplianceReport.auditLines(of: FleetEntry.History(whole, leader: "h2"))

        let merged = ComplianceReport.merging(local: store.auditLog.entries(), fleet: fleet)
        #expect(Set(merged.map(\.rotation)) == ["r0", "r1"])
        #expect(merged.first?.rotation == "r0", "ordered by start")
        let r1 = ComplianceReport.rotation(merged.filter { $0.rotation == "r1" })
        #expect(r1.result == "done" && r1.verification == "passed" && r1.publishedAt != nil)
        #expect(merged.filter { $0.rotation == "r1" }.count == fleet.count, "no line of the partial copy is left")
    }
}
