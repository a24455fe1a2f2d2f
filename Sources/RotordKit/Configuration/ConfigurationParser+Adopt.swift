import Foundation
import RotordCore
import Yams

/// `adopt:` rules (docs/configuration.md): consumers made by hand that come under policy by name pattern and/or
/// permission group, each rule with the keys of a consumer except `name` being a pattern and no `consumer_id`.
extension ConfigurationParser {
    /// The keys of an `adopt:` rule besides the policy keys.
    static let adoptKeys: Set<String> = ["name", "permission_group", "deliver", "after_publish", "probe"]

    /// Reads the `adopt:` list.
    mutating func adoptRules(_ node: Node?, defaults: RotationPolicy) -> [AdoptRule] {
        var rules: [AdoptRule] = []
        for (i, node) in sequence(node, at: "adopt").enumerated() {
            let key = "adopt[\(i)]"
            guard let map = mapping(node, at: key, allowed: Self.adoptKeys.union(Self.policyKeys)) else { continue }
            if let rule = adoptRule(map, defaults: defaults, at: key) { rules.append(rule) }
        }
        return rules
    }

    mutating func adoptRule(_ map: [String: Node], defaults: RotationPolicy, at key: String) -> AdoptRule? {
        var glob: NameGlob?
        if let text = string(map["name"], at: "\(key).name") {
            if text.isEmpty {
                error("\(key).name", map["name"], "must not be empty; leave it out to match every name")
            } else if let parsed = NameGlob(text) {
                glob = parsed
            } else {
                error(
                    "\(key).name", map["name"],
                    "\"\(text)\" is not a valid name pattern (use * ? and closed [...] sets, e.g. \"etl-*\")")
            }
        }
        let group = string(map["permission_group"], at: "\(key).permission_group")
        if group?.isEmpty == true {
            error("\(key).permission_group", map["permission_group"], "must not be empty")
        }
        if map["name"] == nil && map["permission_group"] == nil {
            error(
                key, nil,
                "needs name (a pattern such as \"etl-*\") and/or permission_group: a rule must not adopt every consumer"
            )
        }
        // The same keys as a consumer: policy, deliver, hooks, probe.
        let handling = handling(
            map, defaults: defaults, at: key,
            owner: "adopt rule \(glob.map { "\"\($0.pattern)\"" } ?? "of permission group \(group ?? "?")")")
        let literal = glob?.isLiteral ?? false
        for (i, target) in handling.deliver.enumerated() {
            let paths = Set(target.filePaths + [target.path]).sorted()
            let rendered = paths.contains { $0.contains(AdoptRule.namePlaceholder) }
            if !rendered && !literal {
                error(
                    "\(key).deliver[\(i)].path", nil,
                    "\(target.path) has no {{name}}: several consumers can match this rule and would share the file; "
                        + "put {{name}} in the path, e.g. /etc/rotord/adopted/{{name}}.env")
            }
            for path in paths where path.contains(AdoptRule.namePlaceholder) {
                let parent = AtomicFile.parent(of: path)
                if parent.contains(AdoptRule.namePlaceholder) {
                    error(
                        "\(key).deliver[\(i)].path", nil,
                        "\(path): {{name}} may only be in the file's name, not in a directory (directories are "
                            + "not created)")
                }
            }
        }
        return AdoptRule(
            label: key, name: glob, permissionGroup: group?.isEmpty == true ? nil : group,
            policy: handling.policy, deliver: handling.deliver, afterPublish: handling.afterPublish,
            probe: handling.probe)
    }
}
