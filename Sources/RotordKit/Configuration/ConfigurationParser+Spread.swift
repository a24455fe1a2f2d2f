import Foundation
import RotordCore
import Yams

/// `schedule:`, `metrics:`, and the policy keys `min_interval:` and `jitter:` (docs/configuration.md).
extension ConfigurationParser {
    /// Reads `schedule:` and `metrics:` from the top-level mapping.
    mutating func readScheduleAndMetrics(_ top: [String: Node], into configuration: inout RotordConfiguration) {
        if let node = top["schedule"],
            let map = mapping(node, at: "schedule", allowed: ["max_per_cycle", "max_concurrent", "resync"])
        {
            if let v = duration(map["resync"], at: "schedule.resync") {
                if v.seconds < 1 {
                    error("schedule.resync", map["resync"], "must be at least 1s (how often Fracttal is listed again)")
                } else {
                    configuration.schedule.resync = v
                }
            }
            configuration.schedule.maxPerCycle = int(
                map["max_per_cycle"], at: "schedule.max_per_cycle", range: 1...1_000_000)
            configuration.schedule.maxConcurrent = int(
                map["max_concurrent"], at: "schedule.max_concurrent", range: 1...1_000_000)
        }
        if let node = top["metrics"], let map = mapping(node, at: "metrics", allowed: ["textfile"]) {
            if let path = absolutePath(map["textfile"], at: "metrics.textfile") {
                if !path.hasSuffix(".prom") {
                    error(
                        "metrics.textfile", map["textfile"],
                        "\(path) must end in .prom (node_exporter's textfile collector reads only *.prom files)")
                } else {
                    configuration.metricsTextfile = path
                }
            } else if map["textfile"] == nil {
                error("metrics.textfile", node, "is required under metrics: (an absolute path ending in .prom)")
            }
        }
    }

    /// Reads `min_interval:` and `jitter:` of a policy mapping (`defaults:` or a consumer).
    mutating func spreadPolicy(_ map: [String: Node], into policy: inout RotationPolicy, at key: String) {
        if let v = duration(map["min_interval"], at: "\(key).min_interval") { policy.minInterval = v }
        if let v = duration(map["jitter"], at: "\(key).jitter") { policy.jitter = v }
        let window = policy.maxAge.seconds - policy.rotateBefore.seconds
        if policy.minInterval.seconds >= window && (map["min_interval"] != nil || map["max_age"] != nil) {
            error(
                "\(key).min_interval", map["min_interval"] ?? map["max_age"],
                "(\(policy.minInterval)) must be shorter than max_age - rotate_before "
                    + "(\(ConfigDuration.seconds(max(window, 0)))), or a consumer could never be rotated in time; "
                    + "shorten min_interval")
        }
        if policy.jitter.seconds >= window && (map["jitter"] != nil || map["max_age"] != nil) {
            error(
                "\(key).jitter", map["jitter"] ?? map["max_age"],
                "(\(policy.jitter)) must be shorter than max_age - rotate_before "
                    + "(\(ConfigDuration.seconds(max(window, 0)))); shorten jitter")
        }
    }
}
