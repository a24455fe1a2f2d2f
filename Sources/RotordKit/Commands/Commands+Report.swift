import Foundation
import RotordCore

extension Commands {
    /// The formats of `rotord report`.
    package enum ReportFormat: String, Sendable, CaseIterable {
        /// One row per rotation (a consumer without rotations gets one row).
        case csv
        /// An array of ``ComplianceReport``.
        case json
        /// A Markdown section per consumer.
        case md
    }

    /// `rotord report [--since 90d] [--format csv|json|md]`: the compliance report from the audit
    /// log (and, when Fracttal answers, the current consumers' creation dates). Exit 0; 78 on a
    /// configuration error.
    package static func complianceReport(
        _ configPath: String, logLevel: String, since: ConfigDuration, format: ReportFormat
    ) async -> Int32 {
        guard let context = await loadContext(configPath, logLevel: logLevel, createState: false) else {
            return exitConfig
        }
        let now = Date()
        var created: [String: Date] = [:]
        var configuration = context.configuration
        let audit = AuditLog(directory: context.store.directory)
        if case .broken(let line, let reason) = audit.verify() {
            printError(
                "warning: \(audit.path):\(line): \(reason); the report stops before that line: "
                    + "run rotord report --verify")
        }
        if let cluster = configuration.cluster {
            // Only the leader talks to Fracttal (docs/fleet.md): the fleet's journal in etcd dates the credentials.
            let lines = await fleetAuditLines(cluster, configPath: configPath, logLevel: logLevel, local: audit)
            let reports = ComplianceReport.build(
                configuration: configuration, audit: lines, currentCreatedAt: [:],
                since: now.addingTimeInterval(-since.timeInterval), now: now)
            print(render(reports, format: format, since: since, now: now))
            return ExitStatus.success
        }
        do {
            let listing = try await context.directory.consumers()
            for consumer in listing
            where created[consumer.name] == nil
                || created[consumer.name]! < consumer.createdAt
            {
                created[consumer.name] = consumer.createdAt
            }
            let active = activeRotations(context.store)
            configuration = configuration.resolvingAdoption(
                consumers: listing, groupNames: await context.directory.groupNames(for: listing), active: active,
                adminKey: context.directory.adminKey)
        } catch {
            printError(
                "warning: cannot list the Fracttal account (\(error.message)); the report uses the audit log only")
        }
        let reports = ComplianceReport.build(
            configuration: configuration, audit: audit.entries(), currentCreatedAt: created,
            since: now.addingTimeInterval(-since.timeInterval), now: now)
        print(render(reports, format: format, since: since, now: now))
        return ExitStatus.success
    }

    /// With `cluster:`, the report's audit lines: this host's audit log merged with the fleet's journal in etcd
    /// (``ComplianceReport/merging(local:fleet:)``), or this host's alone, with a warning, when etcd cannot be read.
    static func fleetAuditLines(_ cluster: ClusterSettings, configPath: String, logLevel: String, local: AuditLog)
        async -> [AuditLog.Entry]
    {
        do {
            let fleet = try await cluster.withEtcdClient(configPath: configPath, logLevel: logLevel) { client in
                try await ComplianceReport.fleetAudit(client: client, keys: FleetKeys(prefix: cluster.prefix))
            }
            for key in fleet.unreadable {
                printError("warning: \(key) is not a record this rotord can read (a newer rotord wrote it?); left out")
            }
            return ComplianceReport.merging(local: local.entries(), fleet: fleet.lines)
        } catch {
            printError(
                "warning: cannot read the fleet \(cluster.prefix) in etcd (\(error)); the report uses this host's "
                    + "audit log only, which lacks the rotations other hosts led")
            return local.entries()
        }
    }

    /// `rotord report --verify`: 0 intact, 1 broken (naming the first bad line).
    package static func verifyAudit(_ configPath: String, logLevel: String) async -> Int32 {
        guard let context = await loadContext(configPath, logLevel: logLevel, createState: false) else {
            return exitConfig
        }
        let audit = AuditLog(directory: context.store.directory)
        switch audit.verify() {
        case .intact(let lines):
            print("\(audit.path): intact (\(lines) lines)")
            return ExitStatus.success
        case .broken(let line, let reason):
            printError(
                "\(audit.path): line \(line): \(reason). The audit chain is broken from that line on: "
                    + "restore the file from a backup, or keep it aside as evidence and investigate")
            return ExitStatus.failure
        }
    }

    /// Renders `reports` as `format`.
    package static func render(_ reports: [ComplianceReport], format: ReportFormat, since: ConfigDuration, now: Date)
        -> String
    {
        func stamp(_ date: Date?) -> String { date.map(UTCTimestamp.format) ?? "" }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .utcTimestamp
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(reports)).flatMap { String(decoding: $0, as: UTF8.self) } ?? "[]"
        case .csv:
            var lines = [
                "consumer,within_policy,out_of_policy_seconds,checked_from,rotation,trigger,started_at,created_at,"
                    + "verified_at,published_at,old_deleted_at,finished_at,result,old_key,new_key,verification,hooks,"
                    + "hook_failures,failure"
            ]
            for r in reports {
                let head = [
                    r.consumer, r.withinPolicy.map { $0 ? "yes" : "no" } ?? "unknown", "\(r.outOfPolicySeconds)",
                    stamp(r.checkedFrom),
                ]
                if r.rotations.isEmpty {
                    lines.append((head + Array(repeating: "", count: 15)).map(csv).joined(separator: ","))
                }
                for x in r.rotations {
                    let row = [
                        x.id, x.trigger, stamp(x.startedAt), stamp(x.createdAt), stamp(x.verifiedAt),
                        stamp(x.publishedAt), stamp(x.oldDeletedAt), stamp(x.finishedAt), x.result, x.oldKey ?? "",
                        x.newKey ?? "", x.verification, x.hooks, x.hookFailures.joined(separator: "; "),
                        x.failure ?? "",
                    ]
                    lines.append((head + row).map(csv).joined(separator: ","))
                }
            }
            return lines.joined(separator: "\n")
        case .md:
            var out = ["# rotord compliance report", "", "Period: the \(since) before \(stamp(now)).", ""]
            for r in reports {
                out.append("## \(r.consumer)" + (r.admin == true ? " (rotord's own admin consumer)" : ""))
                out.append("")
                let verdict =
                    switch r.withinPolicy {
                    case .some(true): "within policy (max_age \(r.maxAge)) since \(stamp(r.checkedFrom))"
                    case .some(false):
                        "**out of policy for \(r.outOfPolicy)** (max_age \(r.maxAge)) since \(stamp(r.checkedFrom))"
                    case .none: "unknown: no dated credential in the audit log or in Fracttal"
                    }
                out.append("Compliance: \(verdict).")
                out.append("")
                guard !r.rotations.isEmpty else {
                    out.append("No rotation in the period.")
                    out.append("")
                    continue
                }
                out.append(
                    "| rotation | trigger | started | published | old deleted | result | old key | new key | verification | hooks |"
                )
                out.append("|---|---|---|---|---|---|---|---|---|---|")
                for x in r.rotations {
                    let hooks = x.hookFailures.isEmpty ? x.hooks : "failed: " + x.hookFailures.joined(separator: "; ")
                    let cells = [
                        x.id, x.trigger, stamp(x.startedAt), stamp(x.publishedAt), stamp(x.oldDeletedAt), x.result,
                        x.oldKey ?? "", x.newKey ?? "", x.verification, hooks,
                    ]
                    out.append("| " + cells.map { $0.replacingAll("|", with: "\\|") }.joined(separator: " | ") + " |")
                }
                out.append("")
            }
            return out.joined(separator: "\n")
        }
    }

    /// One CSV field (RFC 4180).
    static func csv(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingAll("\"", with: "\"\"") + "\""
    }
}
