import Foundation
import RotordCore

extension Commands {
    /// `rotord repair ID`: resolves a journal record that could not be read (docs/operations.md).
    ///
    /// The damaged record may have created a replacement consumer, which carries the rotation's
    /// marker `[rotord:ID]` in its description. Each such consumer is looked for in the deliver
    /// files: if its key is there, the rotation had published it and services may use it, so it is
    /// **kept**; otherwise its secret exists nowhere but in the damaged file, so it is deleted.
    /// Then the record is marked repaired and stops blocking rotations. 0 repaired; 1 a delete
    /// failed or there is no such record; 75 Fracttal or the state lock unavailable; 78 bad
    /// configuration.
    package static func repair(_ configPath: String, logLevel: String, id: String) async -> Int32 {
        guard let context = await loadContext(configPath, logLevel: logLevel) else { return exitConfig }
        guard let record = context.store.unreadableRecords().first(where: { $0.id == id }) else {
            printError(
                "no unreadable journal record \(id) in \(context.store.rotationsDirectory) "
                    + "(`rotord status` names the ones there are)")
            return ExitStatus.failure
        }
        guard let lock = await stateLock(context.store, timeout: Self.repairLockTimeout) else { return exitTempFail }
        defer { lock.release() }
        let listing: [ConsumerRecord]
        do { listing = try await context.directory.consumers() } catch {
            printError("cannot list the Fracttal account: \(error.message)")
            return exitTempFail
        }
        let marker = RotationMarker.tag(for: id)
        // Only consumers of the rotation's name carry its marker legitimately (a marker search never reaches others).
        let marked = listing.filter {
            ($0.description?.contains(marker) ?? false)
                && (record.consumerName == nil || $0.name == record.consumerName)
        }
        // The consumers as managed now, adopted ones included (`adopt:` rules resolve against this listing).
        let active = activeRotations(context.store)
        let effective = context.configuration.resolvingAdoption(
            consumers: listing, groupNames: await context.directory.groupNames(for: listing), active: active,
            adminKey: context.directory.adminKey)
        var failed = false
        var resumed: [RotationRecord] = []
        if marked.isEmpty {
            print("no consumer carries the marker \(marker): the rotation left nothing alive in Fracttal")
        }
        for consumer in marked {
            let masked = KeyMask.mask(consumer.key)
            let managed = effective.consumer(named: consumer.name)
            // The files that could hold the replacement's key: its consumer's (an encrypted one decrypted).
            var files: [String] = []
            for target in managed?.deliver ?? [] {
                for path in target.filePaths {
                    guard let bytes = await SecretPublisher.plaintext(of: target, at: path, cipher: SystemdCreds())
                    else { continue }
                    if String(decoding: bytes, as: UTF8.self).contains(consumer.key) { files.append(path) }
                }
            }
            if let managed, !files.isEmpty {
                print(
                    "consumer \(consumer.id) (\(consumer.name), key \(masked)) carries the marker and its key is in "
                        + "\(files.joined(separator: ", ")): kept, it is the credential in use")
                let older = listing.filter {
                    $0.name == consumer.name && $0.id != consumer.id && $0.authorizationType == "client_credentials"
                        && $0.permissionGroupId == consumer.permissionGroupId && $0.createdAt <= consumer.createdAt
                }
                guard !older.isEmpty else { continue }
                // Resume the rotation where its files say it is: published. Its actions run again, then grace,
                // the probe, and the older consumer is retired, as if the record had never been damaged.
                resumed.append(
                    Self.resumedRotation(
                        id: id, of: consumer, replacing: older, managed: managed, files: files, now: Date()))
                print(
                    "  older consumer(s) \(older.map { String($0.id) }.joined(separator: ", ")) of \(consumer.name): the "
                        + "rotation resumes at its after_publish actions, then grace, then deletes them")
            } else {
                do {
                    try await context.directory.delete(id: consumer.id)
                    print(
                        "deleted consumer \(consumer.id) (\(consumer.name), key \(masked)): created by the damaged "
                            + "rotation and never published")
                } catch {
                    printError("deleting consumer \(consumer.id) (\(consumer.name)): \(error.message)")
                    failed = true
                }
            }
        }
        if failed { return ExitStatus.failure }
        do {
            try context.store.markRepaired(record)
            for rotation in resumed { try context.store.save(rotation) }
        } catch {
            printError("\(error)")
            return ExitStatus.failure
        }
        print(
            "journal record \(id) repaired (kept as \(id).json.repaired); rotations of "
                + (record.consumerName ?? "every consumer") + " resume")
        return ExitStatus.success
    }

    /// The journal record of a damaged rotation whose replacement `consumer` is published in `files`: at `published`,
    /// its old consumers the older ones of its name, so that the rotation resumes (actions, grace, probe, retire).
    static func resumedRotation(
        id: String, of consumer: ConsumerRecord, replacing older: [ConsumerRecord], managed: ManagedConsumer,
        files: [String], now: Date
    ) -> RotationRecord {
        var record = RotationRecord(
            id: id, consumerName: consumer.name, trigger: "repair", now: now, oldConsumers: older,
            authorizationType: consumer.authorizationType, permissionGroupID: consumer.permissionGroupId,
            fracttalHub: consumer.fracttalHub, originalDescription: consumer.description, grace: managed.policy.grace)
        record.newDescription = consumer.description ?? record.newDescription
        record.createAttempts = 1
        record.newConsumerID = consumer.id
        record.newKey = consumer.key
        record.newCreatedAt = consumer.createdAt
        record.publishedFiles = files
        record.enter(
            .published, at: now, note: "rebuilt by rotord repair: the damaged record's replacement is in the files")
        return record
    }
}
