import Foundation
import Glibc
import RotordCore
import Yams

/// The configuration schema: the operator-facing keys plus rotord's own extensions (all documented in
/// `docs/configuration.md`).
extension ConfigurationParser {
    mutating func configuration(_ top: [String: Node]) -> RotordConfiguration {
        let allowedTop: Set<String> = [
            "fracttal", "state_dir", "defaults", "consumers", "schedule", "metrics", "adopt", "cluster",
        ]
        for (name, node) in top where !allowedTop.contains(name) {
            error(name, node, "unknown key; expected one of: \(allowedTop.sorted().joined(separator: ", "))")
        }
        var defaults = RotationPolicy()
        if let node = top["defaults"], let map = mapping(node, at: "defaults", allowed: Self.policyKeys) {
            defaults = policy(map, base: defaults, at: "defaults")
        }
        var fracttal = FracttalSettings()
        if let node = top["fracttal"], let map = mapping(node, at: "fracttal", allowed: Self.fracttalKeys) {
            fracttal = fracttalSettings(map, defaults: defaults)
        } else if top["fracttal"] == nil {
            error("fracttal", nil, "is required (token_url, api_url and the admin credential files)")
        }
        var stateDirectory = "/var/lib/rotord"
        if let node = top["state_dir"], let path = absolutePath(node, at: "state_dir") { stateDirectory = path }
        checkStateDirectory(stateDirectory, node: top["state_dir"])
        var consumers: [ManagedConsumer] = []
        var seen: [String: Int] = [:]
        for (i, node) in sequence(top["consumers"], at: "consumers").enumerated() {
            let key = "consumers[\(i)]"
            guard let map = mapping(node, at: key, allowed: Self.consumerKeys.union(Self.policyKeys)) else { continue }
            guard let consumer = consumer(map, defaults: defaults, at: key) else { continue }
            if let first = seen[consumer.name] {
                error("\(key).name", map["name"], "\"\(consumer.name)\" is already managed by consumers[\(first)]")
                continue
            }
            seen[consumer.name] = i
            consumers.append(consumer)
        }
        let rules = adoptRules(top["adopt"], defaults: defaults)
        checkDeliverPaths(fracttal: fracttal, stateDirectory: stateDirectory)
        var configuration = RotordConfiguration(
            sourcePath: file, fracttal: fracttal, stateDirectory: stateDirectory, defaults: defaults,
            consumers: consumers)
        configuration.adopt = rules
        readScheduleAndMetrics(top, into: &configuration)
        if let node = top["cluster"] {
            configuration.cluster = cluster(node)
            // Not in a fleet yet (docs/fleet.md, "Not done yet"): each host's admin sources are its own, and an adopted
            // consumer is delivered by no host's configuration.
            if fracttal.adminRotation != nil {
                error("fracttal.admin.rotate", nil, "is not supported with cluster: yet (docs/fleet.md)")
            }
            if !rules.isEmpty { error("adopt", top["adopt"], "is not supported with cluster: yet (docs/fleet.md)") }
        }
        return configuration
    }

    static let fracttalKeys: Set<String> = [
        "token_url", "api_url", "client_auth", "admin", "requests_per_minute", "timeout", "verify_timeout", "paths",
    ]
    static let policyKeys: Set<String> = ["max_age", "rotate_before", "grace", "window", "min_interval", "jitter"]
    static let consumerKeys: Set<String> = [
        "name", "permission_group", "consumer_id", "deliver", "after_publish", "probe",
    ]

    mutating func fracttalSettings(_ map: [String: Node], defaults: RotationPolicy) -> FracttalSettings {
        var s = FracttalSettings()
        if let v = url(map["token_url"], at: "fracttal.token_url") { s.tokenURL = v }
        if let v = url(map["api_url"], at: "fracttal.api_url") { s.apiURL = v }
        if let text = string(map["client_auth"], at: "fracttal.client_auth") {
            if let auth = FracttalSettings.ClientAuth(rawValue: text) {
                s.clientAuth = auth
            } else {
                error("fracttal.client_auth", map["client_auth"], "must be basic or form, got \"\(text)\"")
            }
        }
        if let node = map["admin"],
            let admin = mapping(node, at: "fracttal.admin", allowed: ["key_file", "secret_file", "rotate"])
        {
            if let v = absolutePath(admin["key_file"], at: "fracttal.admin.key_file") { s.adminKeyFile = v }
            if let v = absolutePath(admin["secret_file"], at: "fracttal.admin.secret_file") { s.adminSecretFile = v }
            if let node = admin["rotate"] {
                s.adminRotation = adminRotation(node, settings: s, defaults: defaults)
            }
        }
        if let v = int(map["requests_per_minute"], at: "fracttal.requests_per_minute", range: 1...100_000) {
            s.requestsPerMinute = v
        }
        if let v = duration(map["timeout"], at: "fracttal.timeout") {
            if v.seconds == 0 {
                error("fracttal.timeout", map["timeout"], "must be more than 0s")
            } else {
                s.timeout = v
            }
        }
        if let v = duration(map["verify_timeout"], at: "fracttal.verify_timeout") { s.verifyTimeout = v }
        if let node = map["paths"],
            let paths = mapping(node, at: "fracttal.paths", allowed: ["consumers", "permission_groups"])
        {
            if let v = string(paths["consumers"], at: "fracttal.paths.consumers") { s.consumersPath = trimSlashes(v) }
            if let v = string(paths["permission_groups"], at: "fracttal.paths.permission_groups") {
                s.permissionGroupsPath = trimSlashes(v)
            }
        }
        return s
    }

    /// `fracttal.admin.rotate`: a policy (unset keys from `defaults:`) and the source files to rewrite.
    mutating func adminRotation(_ node: Node, settings: FracttalSettings, defaults: RotationPolicy) -> AdminRotation? {
        let at = "fracttal.admin.rotate"
        guard
            let map = mapping(
                node, at: at, allowed: Self.policyKeys.union(["key_source", "secret_source", "encrypted"]))
        else {
            return nil
        }
        let encrypted = bool(map["encrypted"], at: "\(at).encrypted") ?? false
        // Encrypted sources are the files of LoadCredentialEncrypted=: the unit's paths with `.cred`.
        let suffix = encrypted ? ".cred" : ""
        var rotation = AdminRotation(
            policy: policy(map, base: defaults, at: at),
            keySource: absolutePath(map["key_source"], at: "\(at).key_source")
                ?? AdminRotation.defaultSource(for: settings.adminKeyFile, unit: AdminRotation.unitKeySource + suffix),
            secretSource: absolutePath(map["secret_source"], at: "\(at).secret_source")
                ?? AdminRotation.defaultSource(
                    for: settings.adminSecretFile, unit: AdminRotation.unitSecretSource + suffix))
        rotation.encrypted = encrypted
        rotation.keyName = AdminRotation.credentialID(of: settings.adminKeyFile)
        rotation.secretName = AdminRotation.credentialID(of: settings.adminSecretFile)
        if encrypted, let problem = SystemdCreds.unavailability() {
            error("\(at).encrypted", map["encrypted"], problem)
        }
        for (path, key) in [(rotation.keySource, "key_source"), (rotation.secretSource, "secret_source")]
        where path.hasPrefix(AdminRotation.credentialsCopyPrefix) {
            error(
                "\(at).\(key)", map[key],
                "\(path) is systemd's read-only copy of a credential; name the file LoadCredential= reads "
                    + "(e.g. \(AdminRotation.unitKeySource))")
        }
        if CanonicalPath.of(rotation.keySource) == CanonicalPath.of(rotation.secretSource) {
            error("\(at).secret_source", map["secret_source"], "is the same file as key_source")
        }
        return rotation
    }

    private func trimSlashes(_ text: String) -> String {
        var t = Substring(text)
        while t.hasPrefix("/") { t.removeFirst() }
        while t.hasSuffix("/") { t.removeLast() }
        return String(t)
    }

    mutating func policy(_ map: [String: Node], base: RotationPolicy, at key: String) -> RotationPolicy {
        var p = base
        if let v = duration(map["max_age"], at: "\(key).max_age") {
            if v.seconds == 0 { error("\(key).max_age", map["max_age"], "must be more than 0s") } else { p.maxAge = v }
        }
        if let v = duration(map["rotate_before"], at: "\(key).rotate_before") { p.rotateBefore = v }
        if let v = duration(map["grace"], at: "\(key).grace") { p.grace = v }
        if let node = map["window"] {
            if node.scalar?.string == "none" || node.null != nil {
                p.window = nil
            } else if let w = mapping(node, at: "\(key).window", allowed: ["days", "start", "end", "timezone"]) {
                p.window = window(w, at: "\(key).window")
            }
        }
        spreadPolicy(map, into: &p, at: key)
        if p.grace > p.maxAge && (map["grace"] != nil || map["max_age"] != nil) {
            error(
                "\(key).grace", map["grace"] ?? map["max_age"],
                "(\(p.grace)) is longer than max_age (\(p.maxAge)): the old consumer would outlive the policy; "
                    + "shorten grace")
        }
        if p.rotateBefore >= p.maxAge && (map["rotate_before"] != nil || map["max_age"] != nil) {
            error(
                "\(key).rotate_before", map["rotate_before"] ?? map["max_age"],
                "(\(p.rotateBefore)) must be shorter than max_age (\(p.maxAge)), or every consumer is always due")
        }
        return p
    }

    mutating func window(_ map: [String: Node], at key: String) -> RotationWindow? {
        var days: Set<Int> = [1, 2, 3, 4, 5, 6, 7]
        if let node = map["days"] {
            days = []
            for (i, d) in sequence(node, at: "\(key).days").enumerated() {
                guard let name = string(d, at: "\(key).days[\(i)]") else { continue }
                guard let day = RotationWindow.weekday(named: name) else {
                    error("\(key).days[\(i)]", d, "must be one of mon, tue, wed, thu, fri, sat, sun; got \"\(name)\"")
                    continue
                }
                days.insert(day)
            }
            if days.isEmpty { error("\(key).days", node, "must name at least one day") }
        }
        let start = requiredString(map, "start", at: key).flatMap { text -> Int? in
            guard let m = RotationWindow.minuteOfDay(text) else {
                error("\(key).start", map["start"], "must be a time of day HH:MM, got \"\(text)\"")
                return nil
            }
            return m
        }
        let end = requiredString(map, "end", at: key).flatMap { text -> Int? in
            guard let m = RotationWindow.minuteOfDay(text) else {
                error("\(key).end", map["end"], "must be a time of day HH:MM, got \"\(text)\"")
                return nil
            }
            return m
        }
        var zone = TimeZone(identifier: "UTC")!
        if let name = string(map["timezone"], at: "\(key).timezone") {
            if let z = TimeZone(identifier: name) {
                zone = z
            } else {
                error(
                    "\(key).timezone", map["timezone"],
                    "unknown time zone \"\(name)\" (use an IANA name such as America/Santiago)")
            }
        }
        guard let start, let end else { return nil }
        if start == end { error("\(key).end", map["end"], "must differ from start") }
        return RotationWindow(days: days, startMinute: start, endMinute: end, timeZone: zone)
    }

    mutating func consumer(_ map: [String: Node], defaults: RotationPolicy, at key: String) -> ManagedConsumer? {
        let name = requiredString(map, "name", at: key)
        let group = requiredString(map, "permission_group", at: key)
        let pinned = int(map["consumer_id"], at: "\(key).consumer_id", range: 1...Int.max)
        let handling = handling(map, defaults: defaults, at: key, owner: "consumer \(name ?? "?")")
        guard let name, let group else { return nil }
        var consumer = ManagedConsumer(
            name: name, permissionGroup: group, consumerID: pinned, policy: handling.policy,
            deliver: handling.deliver, afterPublish: handling.afterPublish)
        consumer.probe = handling.probe
        return consumer
    }

    /// What a consumer entry and an `adopt:` rule share: the policy, deliver targets, hooks and probe.
    /// `owner` names the entry in messages ("consumer etl", "adopt rule etl-*").
    mutating func handling(_ map: [String: Node], defaults: RotationPolicy, at key: String, owner: String) -> (
        policy: RotationPolicy, deliver: [DeliverTarget], afterPublish: [PublishHook], probe: AdoptionProbe?
    ) {
        let policy = policy(map, base: defaults, at: key)
        var deliver: [DeliverTarget] = []
        for (i, node) in sequence(map["deliver"], at: "\(key).deliver").enumerated() {
            let k = "\(key).deliver[\(i)]"
            if let m = mapping(node, at: k, allowed: Self.deliverKeys), let t = deliverTarget(m, at: k, owner: owner) {
                deliver.append(t)
            }
        }
        var hooks: [PublishHook] = []
        for (i, node) in sequence(map["after_publish"], at: "\(key).after_publish").enumerated() {
            let k = "\(key).after_publish[\(i)]"
            if let m = mapping(node, at: k, allowed: Self.hookKeys), let h = hook(m, at: k) {
                hooks.append(h)
            }
        }
        var adoptionProbe: AdoptionProbe?
        if let node = map["probe"] { adoptionProbe = probe(node, at: "\(key).probe") }
        return (policy, deliver, hooks, adoptionProbe)
    }

    static let deliverKeys: Set<String> = [
        "path", "format", "variables", "fields", "owner", "group", "mode", "key_path", "secret_path", "template",
        "backup", "in_place", "credential_name",
    ]

    mutating func deliverTarget(_ map: [String: Node], at key: String, owner: String? = nil) -> DeliverTarget? {
        let formatName = string(map["format"], at: "\(key).format") ?? "env"
        let path: String?
        if formatName == "raw", map["path"] == nil, map["key_path"] != nil, map["secret_path"] != nil {
            path = absolutePath(map["key_path"], at: "\(key).key_path")
        } else if map["path"] == nil {
            error("\(key).path", nil, "is required")
            path = nil
        } else {
            path = absolutePath(map["path"], at: "\(key).path")
        }
        var names = ("", "")
        func renamed(_ field: String, defaults: (String, String)) -> (String, String) {
            guard let node = map[field], let m = mapping(node, at: "\(key).\(field)", allowed: ["key", "secret"]) else {
                return defaults
            }
            let k = string(m["key"], at: "\(key).\(field).key") ?? defaults.0
            let s = string(m["secret"], at: "\(key).\(field).secret") ?? defaults.1
            return (k, s)
        }
        let format: DeliverTarget.Format
        switch formatName {
        case "env", "credstore", "credstore-encrypted":
            names = renamed("variables", defaults: ("FRACTTAL_CLIENT_ID", "FRACTTAL_CLIENT_SECRET"))
            for (value, field) in [(names.0, "key"), (names.1, "secret")] where !Self.isEnvName(value) {
                error(
                    "\(key).variables.\(field)", map["variables"],
                    "\"\(value)\" is not a valid environment variable name")
            }
            switch formatName {
            case "env": format = .env(keyVariable: names.0, secretVariable: names.1)
            case "credstore": format = .credstore(keyVariable: names.0, secretVariable: names.1)
            default:
                format = .credstoreEncrypted(
                    keyVariable: names.0, secretVariable: names.1,
                    credentialName: credentialName(map, at: key, path: path))
            }
        case "json":
            names = renamed("fields", defaults: ("key", "secret"))
            format = .json(keyField: names.0, secretField: names.1)
        case "raw":
            let keyPath =
                map["key_path"].flatMap { absolutePath($0, at: "\(key).key_path") } ?? path.map { "\($0).key" }
            let secretPath =
                map["secret_path"].flatMap { absolutePath($0, at: "\(key).secret_path") } ?? path.map { "\($0).secret" }
            guard let keyPath, let secretPath else { return nil }
            format = .raw(keyPath: keyPath, secretPath: secretPath)
        case "template":
            guard let text = string(map["template"], at: "\(key).template") else {
                error(
                    "\(key).template", nil,
                    "is required with format: template (a Mustache text with {{key}} and {{secret}})")
                return nil
            }
            do {
                _ = try DeliverTemplate(text)
            } catch let problem {
                error(
                    "\(key).template", map["template"],
                    "the template of \(owner.map { "\($0), " } ?? "")deliver file \(path ?? "?") \(problem)"
                )
            }
            format = .template(text)
        default:
            error(
                "\(key).format", map["format"],
                "must be env, json, raw or template, or credstore or credstore-encrypted, got \"\(formatName)\"")
            return nil
        }
        var mode: UInt16 = 0o600
        if let text = string(map["mode"], at: "\(key).mode") {
            if let m = UInt16(text.hasPrefix("0o") ? String(text.dropFirst(2)) : text, radix: 8), m <= 0o777 {
                mode = m
            } else {
                error(
                    "\(key).mode", map["mode"],
                    "must be octal permission bits such as \"0600\" (quoted), got \"\(text)\"")
            }
        }
        let owner = string(map["owner"], at: "\(key).owner")
        let group = string(map["group"], at: "\(key).group")
        if let owner, UserDatabase.uid(for: owner) == nil {
            error(
                "\(key).owner", map["owner"],
                UInt32(owner) != nil
                    ? "no user has the uid \(owner) on this machine" : "no such user \"\(owner)\" on this machine")
        }
        if let group, UserDatabase.gid(for: group) == nil {
            error(
                "\(key).group", map["group"],
                UInt32(group) != nil
                    ? "no group has the gid \(group) on this machine" : "no such group \"\(group)\" on this machine")
        }
        guard let path else { return nil }
        if case .raw(let keyPath, let secretPath) = format {
            deliverFiles.append(("\(key).key_path", map["key_path"] ?? map["path"], keyPath))
            deliverFiles.append(("\(key).secret_path", map["secret_path"] ?? map["path"], secretPath))
        } else {
            deliverFiles.append(("\(key).path", map["path"], path))
        }
        var target = DeliverTarget(path: path, format: format, owner: owner, group: group, mode: mode)
        deliverOptions(map, at: key, into: &target)
        return target
    }

    static func isEnvName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
        }
    }

    mutating func hook(_ map: [String: Node], at key: String) -> PublishHook? {
        var timeout = ConfigDuration.seconds(30)
        if let t = duration(map["timeout"], at: "\(key).timeout") { timeout = t }
        let unit = unitHook(map, at: key, timeout: timeout)
        if unit.matched { return unit.hook }
        switch (map["reload"], map["exec"]) {
        case (let unit?, nil):
            guard let name = string(unit, at: "\(key).reload") else { return nil }
            guard !name.trimmingSpaces().isEmpty else {
                error("\(key).reload", unit, "must name a systemd unit, e.g. reports-etl.service")
                return nil
            }
            return .reload(unit: name, timeout: timeout)
        case (nil, let exec?):
            var args: [String] = []
            for (i, a) in sequence(exec, at: "\(key).exec").enumerated() {
                if let s = string(a, at: "\(key).exec[\(i)]") { args.append(s) }
            }
            guard let first = args.first else {
                error("\(key).exec", exec, "must be a non-empty list: [\"/path/to/program\", \"arg\", ...]")
                return nil
            }
            if !first.hasPrefix("/") {
                error("\(key).exec[0]", exec, "must be an absolute path (no shell is used), got \"\(first)\"")
                return nil
            }
            return .exec(arguments: args, timeout: timeout)
        default:
            error(
                key, nil,
                "must have exactly one of reload: UNIT, restart: UNIT, try-restart: UNIT or exec: [PROGRAM, ARGS...]")
            return nil
        }
    }

    /// A deliver path may not be rotord's own file (the configuration, an admin credential file,
    /// anything under `state_dir`) nor another deliver path, compared by ``CanonicalPath``.
    mutating func checkDeliverPaths(fracttal: FracttalSettings, stateDirectory: String) {
        var own: [(path: String, what: String)] = [
            (CanonicalPath.of(file), "the configuration file"),
            (CanonicalPath.of(fracttal.adminKeyFile), "the admin key file (fracttal.admin.key_file)"),
            (CanonicalPath.of(fracttal.adminSecretFile), "the admin secret file (fracttal.admin.secret_file)"),
        ]
        if let rotation = fracttal.adminRotation {
            own.append(
                (CanonicalPath.of(rotation.keySource), "the admin key's source (fracttal.admin.rotate.key_source)"))
            own.append(
                (
                    CanonicalPath.of(rotation.secretSource),
                    "the admin secret's source (fracttal.admin.rotate.secret_source)"
                ))
        }
        let state = Self.realDirectory(stateDirectory)
        var seen: [String: String] = [:]
        for target in deliverFiles {
            let canonical = CanonicalPath.of(target.path)
            let shown = canonical == target.path ? target.path : "\(target.path) (\(canonical))"
            if let mine = own.first(where: { $0.path == canonical }) {
                error(
                    target.key, target.node,
                    "\(shown) is \(mine.what); rotord never writes over its own files: choose another path")
            } else if CanonicalPath.isInside(canonical, state) {
                error(
                    target.key, target.node,
                    "\(shown) is inside state_dir (\(stateDirectory)), which belongs to rotord: choose another path")
            }
            if let other = seen[canonical] {
                error(
                    target.key, target.node,
                    "\(shown) is the same file as \(other): every deliver file must be written by one target only")
            } else {
                seen[canonical] = target.key
            }
        }
    }

    /// `path`'s real path when it exists, else its canonical form.
    static func realDirectory(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return CanonicalPath.of(path) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// An existing `state_dir` must be a directory that others cannot write to.
    mutating func checkStateDirectory(_ path: String, node: Node?) {
        var st = stat()
        guard stat(path, &st) == 0 else { return }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            error("state_dir", node, "\(path) exists and is not a directory; remove it or choose another state_dir")
            return
        }
        if st.st_mode & 0o002 != 0 {
            error(
                "state_dir", node,
                "\(path) is writable by every user (mode \(String(st.st_mode & 0o7777, radix: 8))); rotord keeps "
                    + "credentials there: use a directory of its own (it creates a missing one with mode 0700)")
        }
    }
}
