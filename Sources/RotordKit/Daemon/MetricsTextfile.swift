import Foundation
import FracttalClient
import Logging
import Prometheus
import RotordCore

/// The Prometheus text-format file of `metrics.textfile:` (for node_exporter's textfile collector),
/// rendered by swift-prometheus and replaced atomically (mode 0644) after each pass. Holds no key and no
/// secret: consumers are named.
///
/// Each pass renders a fresh registry, so a consumer removed from the configuration leaves the file
/// with that pass. The alerting rules (`contrib/prometheus/rotord.rules.yml`) and the Grafana dashboard
/// (`contrib/grafana/rotord.dashboard.json`) use these names: they are operator interface.
package enum MetricsTextfile {
    /// The metric families rotord writes (docs/configuration.md, "metrics"): each case's raw value is the
    /// metric's name, ``help`` its `# HELP` text; a name ending in `_total` is a counter, any other a gauge.
    package enum Family: String, CaseIterable, Sendable {
        case consumerAge = "rotord_consumer_age_seconds"
        case nextRotation = "rotord_consumer_next_rotation_timestamp_seconds"
        case expiry = "rotord_consumer_expiry_timestamp_seconds"
        case inFlight = "rotord_consumer_rotation_in_flight"
        case unconfirmedSince = "rotord_consumer_rotation_unconfirmed_since_timestamp_seconds"
        case admin = "rotord_consumer_is_admin"
        case rotations = "rotord_rotations_total"
        case lastPass = "rotord_last_pass_timestamp_seconds"
        case problems = "rotord_last_pass_problems"
        case apiRequests = "rotord_api_requests_total"
        case rateLimitWaits = "rotord_rate_limit_waits_total"
        case rateLimitWaitSeconds = "rotord_rate_limit_wait_seconds_total"
        case lastSuccessfulPass = "rotord_last_successful_pass_timestamp_seconds"
        case fleetBlocking = "rotord_fleet_blocking_hosts"

        /// Whether the family is a counter (else a gauge).
        package var isCounter: Bool { rawValue.hasSuffix("_total") }

        /// The `# HELP` text.
        package var help: String {
            switch self {
            case .consumerAge: "Age of the consumer's current credential at the last pass."
            case .nextRotation: "When rotord next acts on the consumer (Unix time)."
            case .expiry: "When the consumer's current credential leaves policy: created_at + max_age (Unix time)."
            case .inFlight: "1 while a rotation of the consumer is under way."
            case .unconfirmedSince:
                "When the consumer's rotation became unconfirmed (Unix time); absent unless it is."
            case .admin: "1 for rotord's own admin consumer (fracttal.admin.rotate); absent for the others."
            case .rotations: "Finished rotations recorded in the state directory, by result."
            case .lastPass: "When the last pass ran (Unix time)."
            case .problems: "Configuration problems (missing consumers, wrong groups) found by the last pass."
            case .apiRequests: "Fracttal API answers since rotord started, by HTTP status (error: no answer)."
            case .rateLimitWaits: "Requests that waited for the API rate limit since rotord started."
            case .rateLimitWaitSeconds: "Time spent waiting for the API rate limit since rotord started."
            case .lastSuccessfulPass: "When the last pass that reached Fracttal ran (Unix time)."
            case .fleetBlocking:
                "On a fleet's leader: hosts that hold the consumer's rotation back (not confirmed, failed, down)."
            }
        }
    }

    /// The metrics of one pass, in a registry of their own.
    ///
    /// - Parameters:
    ///   - lastSuccess: when the last pass that reached Fracttal ended (this one, if it did).
    ///   - traffic: this process's API traffic so far (answers by status, rate-limit waits).
    package static func registry(
        report: Reconciler.Report, history: [StateStore.HistoryEntry], lastSuccess: Date?,
        traffic: FracttalTraffic? = nil
    ) -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        func record(_ family: Family, _ labels: [(String, String)] = [], _ value: Double) {
            // The whole name as the descriptor's metric name, so that it is exactly the family's.
            let descriptor = MetricNameDescriptor(metricName: family.rawValue, unitName: "", helpText: family.help)
            if !family.isCounter {
                registry.makeGauge(descriptor: descriptor, labels: labels).set(to: value)
            } else if value == value.rounded(), value < 1e15 {
                registry.makeCounter(descriptor: descriptor, labels: labels).increment(by: Int64(value))
            } else {
                registry.makeCounter(descriptor: descriptor, labels: labels).increment(by: value)
            }
        }
        for entry in report.plan?.entries ?? [] {
            let label = [("consumer", entry.managed.name)]
            if let created = entry.current?.createdAt {
                // A credential created during the pass (after `report.at`) is 0 s old, not -0.4 s (`-0.0`).
                let age = report.at.timeIntervalSince(created).rounded()
                record(.consumerAge, label, age > 0 ? age : 0)
            }
            if let at = entry.nextDeadline { record(.nextRotation, label, at.timeIntervalSince1970) }
            if let at = entry.expiryDate { record(.expiry, label, at.timeIntervalSince1970) }
            var busy = 0.0
            if case .inFlight(let rotation) = entry.status {
                busy = 1
                if rotation.step == .unconfirmed {
                    let since = rotation.history.last { $0.step == .unconfirmed }?.at ?? rotation.updatedAt
                    record(.unconfirmedSince, label, since.timeIntervalSince1970)
                }
            }
            record(.inFlight, label, busy)
            if entry.managed.isAdmin { record(.admin, label, 1) }
        }
        var results: [String: Int] = ["done": 0, "failed": 0, "abandoned": 0]
        for entry in history { results[entry.step.rawValue, default: 0] += 1 }
        for (result, count) in results { record(.rotations, [("result", result)], Double(count)) }
        record(.lastPass, [], report.at.timeIntervalSince1970)
        record(.problems, [], Double(report.problems.count))
        if let traffic {
            for (status, count) in traffic.responses { record(.apiRequests, [("status", status)], Double(count)) }
            record(.rateLimitWaits, [], Double(traffic.rateLimitWaits))
            record(.rateLimitWaitSeconds, [], (traffic.rateLimitWaitSeconds * 1000).rounded() / 1000)
        }
        if let lastSuccess { record(.lastSuccessfulPass, [], lastSuccess.timeIntervalSince1970) }
        for (consumer, hosts) in report.fleetBlocking {
            record(.fleetBlocking, [("consumer", consumer)], Double(hosts.count))
        }
        return registry
    }

    /// Writes the file of `report` to `path` (atomically, 0644); keeps the last successful pass's time
    /// from the previous file when this pass did not reach Fracttal.
    package static func write(
        report: Reconciler.Report, store: StateStore, traffic: FracttalTraffic? = nil, to path: String
    ) throws(AtomicFile.Failure) {
        var lastSuccess: Date? = report.unavailable == nil ? report.at : nil
        if lastSuccess == nil, let old = try? AtomicFile.read(path) {
            let prefix = Family.lastSuccessfulPass.rawValue + " "
            for line in String(decoding: old, as: UTF8.self).split(separator: "\n") where line.hasPrefix(prefix) {
                lastSuccess = Double(line.dropFirst(prefix.count)).map(Date.init(timeIntervalSince1970:))
            }
        }
        var text: [UInt8] = []
        registry(report: report, history: store.historyEntries(), lastSuccess: lastSuccess, traffic: traffic)
            .emit(into: &text)
        _ = try AtomicFile.write(text, to: path, mode: 0o644, skipIfUnchanged: false)
    }
}

extension MetricsTextfile {
    /// Writes the metrics of `report` when `configuration` asks for them; a failure is logged, never fatal.
    package static func publish(
        report: Reconciler.Report, configuration: RotordConfiguration, store: StateStore, logger: Logger,
        traffic: FracttalTraffic? = nil
    ) {
        guard let path = configuration.metricsTextfile else { return }
        do { try write(report: report, store: store, traffic: traffic, to: path) } catch {
            let message =
                "cannot write the metrics file \(path) (metrics.textfile): \(error); check that its directory "
                + "exists and is writable by rotord"
            logger.warning("\(message)")
        }
    }
}
