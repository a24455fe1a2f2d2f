/// `adopt:` resolution: which consumers of the account the rules bring under policy, at one listing.
extension RotordConfiguration {
    /// This configuration with the consumers adopted by ``adopt`` appended to ``consumers`` (after the configured
    /// ones, sorted by name), each with ``ManagedConsumer/adoptedBy`` set; refused ones carry
    /// ``ManagedConsumer/adoptionRefusal`` and no deliver target. Pure: the same listing gives the same result.
    ///
    /// A consumer is a candidate when it is `client_credentials`, is not named under `consumers:` (a configured
    /// consumer always wins), is not the admin consumer rotord acts as (`adminKey`), and is not the replacement of
    /// a rotation still in flight (`active`: its marker). The first rule, in file order, whose name pattern and
    /// permission group match some candidate of a name adopts that name; several consumers of that name in the
    /// group are then ``PlanEntry/Status/ambiguous(ids:)`` as for a configured consumer.
    public func resolvingAdoption(
        consumers listing: [ConsumerRecord], groupNames: [Int: String], active: [RotationRecord], adminKey: String?
    ) -> RotordConfiguration {
        let withAdmin = resolvingAdmin(consumers: listing, groupNames: groupNames, adminKey: adminKey)
        guard !adopt.isEmpty else { return withAdmin }
        let configured = Set(withAdmin.consumers.map(\.name))
        let inFlight = Set(active.filter { !$0.step.isTerminal }.map(\.id))
        var byName: [String: [ConsumerRecord]] = [:]
        for c in listing where c.authorizationType == "client_credentials" && !configured.contains(c.name) {
            if let adminKey, c.key == adminKey { continue }
            if let marker = c.rotationMarker, inFlight.contains(marker) { continue }
            byName[c.name, default: []].append(c)
        }
        func group(_ c: ConsumerRecord) -> String? { c.permissionGroup ?? groupNames[c.permissionGroupId] }
        var reserved = withAdmin.reservedFiles()
        var out = withAdmin
        for name in byName.keys.sorted() {
            let candidates = byName[name]!
            for rule in adopt where rule.name?.matches(name) ?? true {
                let matching = candidates.filter { rule.matchesGroup(name: group($0), id: $0.permissionGroupId) }
                guard let first = matching.first else { continue }
                let groups = Set(matching.map { group($0) ?? String($0.permissionGroupId) })
                var managed = ManagedConsumer(
                    name: name,
                    permissionGroup: rule.permissionGroup ?? group(first) ?? String(first.permissionGroupId),
                    policy: rule.policy, afterPublish: rule.afterPublish)
                managed.probe = rule.probe
                managed.adoptedBy = rule.label
                if groups.count > 1 {
                    managed.adoptionRefusal =
                        "\(rule.label) matches consumers of this name in several permission groups "
                        + "(\(groups.sorted().joined(separator: ", "))); give the rule a permission_group, or "
                        + "configure the consumer under consumers:"
                } else if rule.rendersName, let problem = AdoptRule.unsafeNameProblem(name) {
                    managed.adoptionRefusal =
                        "\(rule.label) cannot deliver it: \(problem); rename the consumer, or "
                        + "configure it under consumers: with a path of its own"
                } else {
                    let deliver = rule.renderedDeliver(for: name)
                    let files = deliver.flatMap(\.filePaths)
                    if let clash = files.lazy.compactMap({ file in reserved[file].map { (file, $0) } }).first {
                        managed.adoptionRefusal =
                            "\(rule.label) would write \(clash.0), which is \(clash.1); nothing is written for it: "
                            + "change the rule's path, or configure the consumer under consumers:"
                    } else if let inside = files.first(where: { $0.hasPrefix(stateDirectory + "/") }) {
                        managed.adoptionRefusal =
                            "\(rule.label) would write \(inside), inside state_dir (\(stateDirectory)); change the rule's path"
                    } else {
                        managed.deliver = deliver
                        for file in files { reserved[file] = "written for the consumer \(name) (\(rule.label))" }
                    }
                }
                out.consumers.append(managed)
                break
            }
        }
        return out
    }

    /// This configuration with the admin consumer rotord acts as appended to ``consumers`` when
    /// `fracttal.admin.rotate` is set (``AdminRotation``): the consumer of the listing whose key is `adminKey`,
    /// pinned by its id, in its own permission group, delivered to the admin pair's source files. Unchanged when
    /// rotation is off, the admin key is unknown or not listed, or another consumer of the admin's name is configured
    /// under `consumers:`. The admin consumer itself configured under `consumers:` (its name and group, or its id) is
    /// refused (``ManagedConsumer/adoptionRefusal``): rotating it as an ordinary consumer would delete the pair rotord
    /// acts as.
    public func resolvingAdmin(consumers listing: [ConsumerRecord], groupNames: [Int: String], adminKey: String?)
        -> RotordConfiguration
    {
        guard let adminKey, let admin = listing.first(where: { $0.key == adminKey }) else { return self }
        let group = admin.permissionGroup ?? groupNames[admin.permissionGroupId] ?? String(admin.permissionGroupId)
        var out = self
        // The admin consumer configured as an ordinary one: its rotation would delete the pair rotord acts as.
        if let index = consumers.firstIndex(where: {
            $0.name == admin.name
                && ($0.consumerID == admin.id || ($0.consumerID == nil && $0.permissionGroup == group))
        }) {
            out.consumers[index].adoptionRefusal =
                "it is the admin consumer rotord acts as; rotating it as an ordinary consumer would delete the pair "
                + "rotord uses: remove it from consumers: and set fracttal.admin.rotate"
            return out
        }
        guard let rotation = fracttal.adminRotation, consumer(named: admin.name) == nil else { return self }
        var managed = ManagedConsumer(
            name: admin.name, permissionGroup: group, consumerID: admin.id, policy: rotation.policy,
            deliver: [rotation.deliver])
        managed.isAdmin = true
        out.consumers.append(managed)
        return out
    }

    /// Whether some managed consumers come from the account's listing (`adopt:` rules, `fracttal.admin.rotate`): a
    /// lookup by name must then resolve against a listing (``resolvingAdoption(consumers:groupNames:active:adminKey:)``).
    public var resolvesFromListing: Bool { !adopt.isEmpty || fracttal.adminRotation != nil }

    /// The managed consumer called `name` that rotord may act on: configured, or adopted and not refused.
    public func actionableConsumer(named name: String) -> ManagedConsumer? {
        consumer(named: name).flatMap { $0.adoptionRefusal == nil ? $0 : nil }
    }

    /// Files an adopted consumer may never write: rotord's own, and every configured consumer's deliver files.
    func reservedFiles() -> [String: String] {
        var reserved: [String: String] = [:]
        if let sourcePath { reserved[sourcePath] = "the configuration file" }
        reserved[fracttal.adminKeyFile] = "the admin key file"
        reserved[fracttal.adminSecretFile] = "the admin secret file"
        if let rotation = fracttal.adminRotation {
            reserved[rotation.keySource] = "the admin key's source file"
            reserved[rotation.secretSource] = "the admin secret's source file"
        }
        if let metricsTextfile { reserved[metricsTextfile] = "the metrics textfile" }
        for consumer in consumers {
            for file in consumer.deliver.flatMap(\.filePaths) {
                reserved[file] = "a deliver file of the configured consumer \(consumer.name)"
            }
        }
        return reserved
    }
}
