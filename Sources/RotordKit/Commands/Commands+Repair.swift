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
        guard let context = loadContext(configPath, logLevel: logLevel) else { return exitConfig }
        guard let record = context.store.unreadableRecords().first(where: { $0.id == id }) else {
            printError(
                "no unreadable journal record \(id) in \(context.store.rotationsDirectory) "
                    + "(`rotord status` names the ones there are)")
            return ExitStatus.failure
        }
        let lock: StateLock?
        do { lock = try await StateLock.acquire(directory: context.store.directory, timeout: .seconds(30)) } catch {
            printError("\(error)")
            return exitTempFail
        }
        guard let lock else {
            printError("another rotord holds \(context.store.directory)/lock; try again when it is done")
            return exitTempFail
        }
        defer { lock.release() }
        let listing: [ConsumerRecord]
        do { listing = try await context.directory.consumers() } catch {
            printError("cannot list the Fracttal account: \(error.message)")
            return exitTempFail
        }
        let marker = RotationMarker.tag(for: id)
        let marked = listing.filter { $0.description?.contains(marker) ?? false }
        // The files that could hold the replacement's key: its consumer's, or every consumer's.
        let files = context.configuration.consumers
            .filter { record.consumerName == nil || $0.name == record.consumerName }
            .flatMap(\.deliver).flatMap(\.filePaths)
        let contents: [(path: String, text: String)] = files.compactMap { path in
            guard let bytes = (try? AtomicFile.read(path)) ?? nil else { return nil }
            return (path, String(decoding: bytes, as: UTF8.self))
        }
        var failed = false
        if marked.isEmpty {
            print("no consumer carries the marker \(marker): the rotation left nothing alive in Fracttal")
        }
        for consumer in marked {
            let masked = KeyMask.mask(consumer.key)
            if let file = contents.first(where: { $0.text.contains(consumer.key) }) {
                print(
                    "consumer \(consumer.id) (\(consumer.name), key \(masked)) carries the marker and its key is in "
                        + "\(file.path): kept, it is the credential in use")
                let older = listing.filter {
                    $0.name == consumer.name && $0.id != consumer.id && $0.authorizationType == "client_credentials"
                }
                if !older.isEmpty {
                    print(
                        "  older consumer(s) \(older.map { String($0.id) }.joined(separator: ", ")) of \(consumer.name) "
                            + "are still alive: once every service uses key \(masked), delete them in Fracttal, or pin "
                            + "consumer_id: \(consumer.id) in the configuration")
                }
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
        do { try context.store.markRepaired(record) } catch {
            printError("\(error)")
            return ExitStatus.failure
        }
        print(
            "journal record \(id) repaired (kept as \(id).json.repaired); rotations of "
                + (record.consumerName ?? "every consumer") + " resume")
        return ExitStatus.success
    }
}
