import Foundation

/// One `adopt:` rule: consumers made by hand whose name matches ``name`` and/or whose permission group is
/// ``permissionGroup`` are managed like a configured consumer, with this rule's policy, deliver targets (paths
/// rendered with the consumer's name) and hooks.
public struct AdoptRule: Sendable, Hashable {
    /// The rule's place in the file, `adopt[0]`, shown as `adopted_by`.
    public var label: String
    /// The name pattern; `nil` matches every name.
    public var name: NameGlob?
    /// The permission group, by name or id; `nil` matches every group.
    public var permissionGroup: String?
    /// The effective policy (defaults merged with the rule's overrides).
    public var policy: RotationPolicy
    /// Where the credential is written; `{{name}}` in a path is replaced by the consumer's name.
    public var deliver: [DeliverTarget]
    /// What runs once the credential is written.
    public var afterPublish: [PublishHook]
    /// What must succeed before the old consumer is deleted.
    public var probe: AdoptionProbe?

    /// The placeholder replaced by the consumer's name in a deliver path.
    public static let namePlaceholder = "{{name}}"

    /// Creates a rule.
    public init(
        label: String, name: NameGlob? = nil, permissionGroup: String? = nil, policy: RotationPolicy = .init(),
        deliver: [DeliverTarget] = [], afterPublish: [PublishHook] = [], probe: AdoptionProbe? = nil
    ) {
        self.label = label
        self.name = name
        self.permissionGroup = permissionGroup
        self.policy = policy
        self.deliver = deliver
        self.afterPublish = afterPublish
        self.probe = probe
    }

    /// Whether some deliver path carries `{{name}}`.
    public var rendersName: Bool {
        deliver.contains {
            $0.filePaths.contains { $0.contains(Self.namePlaceholder) } || $0.path.contains(Self.namePlaceholder)
        }
    }

    /// Whether `group` (a consumer's group name, when known, and id) is this rule's group.
    public func matchesGroup(name group: String?, id: Int) -> Bool {
        guard let permissionGroup else { return true }
        return permissionGroup == group || permissionGroup == String(id)
    }

    /// Why `name` cannot be put into a file path, or `nil`: it must be 1 to 128 characters of `A-Z a-z 0-9 . _ - @ +`,
    /// not start with `.` or `-`, and hold no `..`.
    public static func unsafeNameProblem(_ name: String) -> String? {
        let allowed = name.unicodeScalars.allSatisfy {
            $0.isASCII
                && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-@+".unicodeScalars.contains($0))
        }
        if name.isEmpty || name.count > 128 || !allowed {
            return "its name is not safe in a file path (only 1 to 128 characters of A-Z a-z 0-9 . _ - @ + are)"
        }
        if name.hasPrefix(".") || name.hasPrefix("-") || name.contains("..") {
            return "its name is not safe in a file path (it starts with . or -, or holds ..)"
        }
        return nil
    }

    /// The deliver targets with `{{name}}` replaced by `name` in every path.
    public func renderedDeliver(for name: String) -> [DeliverTarget] {
        deliver.map { target in
            var t = target
            let render = { (path: String) in path.replacingOccurrences(of: Self.namePlaceholder, with: name) }
            t.path = render(t.path)
            if case .raw(let keyPath, let secretPath) = t.format {
                t.format = .raw(keyPath: render(keyPath), secretPath: render(secretPath))
            }
            if case .credstoreEncrypted(let keyVariable, let secretVariable, let credentialName?) = t.format {
                t.format = .credstoreEncrypted(
                    keyVariable: keyVariable, secretVariable: secretVariable, credentialName: render(credentialName))
            }
            return t
        }
    }
}
