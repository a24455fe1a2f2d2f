import Foundation
import FracttalClient
import Logging
import RotordCore

/// The Prometheus text-format file of `metrics.textfile:` (for node_exporter's textfile collector),
/// replaced atomically (mode 0644) after each pass. Holds no key and no secret: consumers are named.
package enum MetricsTextfile {
    /// One sample.
    package struct Sample: Sendable, Hashable {
        /// The metric name.
        package var name: String
        /// Label names and values, in order.
        package var labels: [(String, String)]
        /// The value.
        package var value: Double

        package static func == (a: Sample, b: Sample) -> Bool {
            a.name == b.name && a.value == b.value && a.labels.map { [$0.0, $0.1] } == b.labels.map { [$0.0, $0.1] }
        }
        package func hash(into hasher: inout Hasher) {
            hasher.combine(name)
            for (k, v) in labels {
                hasher.combine(k)
                hasher.combine(v)
            }
        }
    }

    /// One metric family: name, type, help and samples.
    package struct Family: Sendable {
        /// The metric name.
        package var name: String
        /// `gauge` or `counter`.
        package var type: String
        /// The `# HELP` text.
        package var help: String
        /// The samples.
        package var samples: [Sample]
    }

    /// The families of one pass.
    ///
    /// - Parameters:
    ///   - lastSuccess: when the last pass that reached Fracttal ended (this one, if it did).
    ///   - traffic: this process's API traffic so far (answers by status, rate-limit waits).
    package static func families(
        report: Reconciler.Report, history: [StateStore.HistoryEntry], lastSuccess: Date?,
        traffic: FracttalTraffic? = nil
    ) -> [Family] {
        func sample(_ name: String, _ labels: [(String, String)], _ value: Double) -> Sample {
            Sample(name: name, labels: labels, value: value)
        }
        var age: [Sample] = []
        var next: [Sample] = []
        var expiry: [Sample] = []
        var inFlight: [Sample] = []
        for entry in report.plan?.entries ?? [] {
            let label = [("consumer", entry.managed.name)]
            if let created = entry.current?.createdAt {
                age.append(sample("rotord_consumer_age_seconds", label, report.at.timeIntervalSince(created).rounded()))
            }
            if let at = entry.nextDeadline {
                next.append(sample("rotord_consumer_next_rotation_timestamp_seconds", label, at.timeIntervalSince1970))
            }
            if let at = entry.expiryDate {
                expiry.append(sample("rotord_consumer_expiry_timestamp_seconds", label, at.timeIntervalSince1970))
            }
            let busy: Double = if case .inFlight = entry.status { 1 } else { 0 }
            inFlight.append(sample("rotord_consumer_rotation_in_flight", label, busy))
        }
        var results: [String: Int] = ["done": 0, "failed": 0, "abandoned": 0]
        for entry in history { results[entry.step.rawValue, default: 0] += 1 }
        let rotations = results.keys.sorted().map {
            sample("rotord_rotations_total", [("result", $0)], Double(results[$0]!))
        }
        var families = [
            Family(
                name: "rotord_consumer_age_seconds", type: "gauge",
                help: "Age of the consumer's current credential at the last pass.", samples: age),
            Family(
                name: "rotord_consumer_next_rotation_timestamp_seconds", type: "gauge",
                help: "When rotord next acts on the consumer (Unix time).", samples: next),
            Family(
                name: "rotord_consumer_expiry_timestamp_seconds", type: "gauge",
                help: "When the consumer's current credential leaves policy: created_at + max_age (Unix time).",
                samples: expiry),
            Family(
                name: "rotord_consumer_rotation_in_flight", type: "gauge",
                help: "1 while a rotation of the consumer is under way.", samples: inFlight),
            Family(
                name: "rotord_rotations_total", type: "counter",
                help: "Finished rotations recorded in the state directory, by result.", samples: rotations),
            Family(
                name: "rotord_last_pass_timestamp_seconds", type: "gauge", help: "When the last pass ran (Unix time).",
                samples: [sample("rotord_last_pass_timestamp_seconds", [], report.at.timeIntervalSince1970)]),
            Family(
                name: "rotord_last_pass_problems", type: "gauge",
                help: "Configuration problems (missing consumers, wrong groups) found by the last pass.",
                samples: [sample("rotord_last_pass_problems", [], Double(report.problems.count))]),
        ]
        if let traffic {
            families.append(
                Family(
                    name: "rotord_api_requests_total", type: "counter",
                    help: "Fracttal API answers since rotord started, by HTTP status (error: no answer).",
                    samples: traffic.responses.keys.sorted().map {
                        sample("rotord_api_requests_total", [("status", $0)], Double(traffic.responses[$0]!))
                    }))
            families.append(
                Family(
                    name: "rotord_rate_limit_waits_total", type: "counter",
                    help: "Requests that waited for the API rate limit since rotord started.",
                    samples: [sample("rotord_rate_limit_waits_total", [], Double(traffic.rateLimitWaits))]))
            families.append(
                Family(
                    name: "rotord_rate_limit_wait_seconds_total", type: "counter",
                    help: "Time spent waiting for the API rate limit since rotord started.",
                    samples: [
                        sample(
                            "rotord_rate_limit_wait_seconds_total", [],
                            (traffic.rateLimitWaitSeconds * 1000).rounded() / 1000)
                    ]))
        }
        if let lastSuccess {
            families.append(
                Family(
                    name: "rotord_last_successful_pass_timestamp_seconds", type: "gauge",
                    help: "When the last pass that reached Fracttal ran (Unix time).",
                    samples: [
                        sample("rotord_last_successful_pass_timestamp_seconds", [], lastSuccess.timeIntervalSince1970)
                    ]
                ))
        }
        return families
    }

    /// The text format (version 0.0.4) of `families`.
    package static func render(_ families: [Family]) -> String {
        var out = ""
        for family in families {
            out += "# HELP \(family.name) \(escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.type)\n"
            for s in family.samples {
                let labels =
                    s.labels.isEmpty
                    ? "" : "{" + s.labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
                out += "\(s.name)\(labels) \(format(s.value))\n"
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func escapeLabel(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n")
    }

    static func escapeHelp(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }

    /// Writes the file of `report` to `path` (atomically, 0644); keeps the last successful pass's time
    /// from the previous file when this pass did not reach Fracttal.
    package static func write(
        report: Reconciler.Report, store: StateStore, traffic: FracttalTraffic? = nil, to path: String
    ) throws(AtomicFile.Failure) {
        var lastSuccess: Date? = report.unavailable == nil ? report.at : nil
        if lastSuccess == nil, let old = try? AtomicFile.read(path) {
            let text = String(decoding: old, as: UTF8.self)
            for line in text.split(separator: "\n")
            where line.hasPrefix("rotord_last_successful_pass_timestamp_seconds ") {
                lastSuccess = line.split(separator: " ").last.flatMap { Double($0) }.map(
                    Date.init(timeIntervalSince1970:))
            }
        }
        let text = render(
            families(report: report, history: store.historyEntries(), lastSuccess: lastSuccess, traffic: traffic))
        _ = try AtomicFile.write(Array(text.utf8), to: path, mode: 0o644, skipIfUnchanged: false)
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
