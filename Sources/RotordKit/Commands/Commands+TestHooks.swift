import Foundation
import RotordCore

extension Commands {
    /// `rotord test-hooks NAME`: runs the consumer's `after_publish` actions, then its probe, against the files
    /// it has now, without rotating (nothing is created, written or deleted). `NAME` is a consumer under
    /// `consumers:` or one an `adopt:` rule manages at the account's current listing (its rule's actions, probe
    /// and rendered files). 0 all passed, 1 one failed, 75 Fracttal could not be listed to resolve `adopt:` rules,
    /// 78 configuration error or no consumer `NAME` (or one its rule refuses).
    package static func testHooks(_ configPath: String, logLevel: String, name: String) async -> Int32 {
        let configuration: RotordConfiguration
        do { configuration = try ConfigurationLoader().load(path: configPath) } catch {
            printError(error.description)
            return exitConfig
        }
        let consumer: ManagedConsumer
        if let configured = configuration.consumer(named: name) {
            consumer = configured
        } else if configuration.adopt.isEmpty {
            printError("\(configPath): no consumer named \(name) under consumers:, and no adopt: rules")
            return exitConfig
        } else {
            switch await adoptedConsumer(name, configPath: configPath, logLevel: logLevel) {
            case .success(let adopted): consumer = adopted
            case .failure(let status): return status.code
            }
        }
        let logger = LogSetup.make(level: logLevel)
        let files = consumer.deliver.flatMap(\.filePaths)
        let rotationID = "test-hooks"
        if consumer.afterPublish.isEmpty && consumer.probe == nil {
            print("\(name): no after_publish actions and no probe configured; nothing to test")
            return ExitStatus.success
        }
        var failed = 0
        let pair = await SecretPublisher.currentPair(consumer.deliver)
        let runner = HookRunner(logger: logger)
        for hook in consumer.afterPublish {
            let failures = await runner.run(
                [hook], consumer: name, rotationID: rotationID, files: files, secret: pair?.secret)
            if let failure = failures.first {
                failed += 1
                print("\(name): after_publish \(hook): FAILED: \(failure)")
            } else {
                print("\(name): after_publish \(hook): ok")
            }
        }
        if let probe = consumer.probe {
            let failures = await ProbeRunner(logger: logger).run(
                probe, consumer: name, rotationID: rotationID, files: files,
                maskedKey: pair.map { KeyMask.mask($0.key) },
                secret: pair?.secret)
            if let failure = failures.first {
                failed += 1
                print("\(name): \(probe): FAILED: \(failure)")
            } else {
                print("\(name): \(probe): ok")
            }
        }
        if failed > 0 {
            printError("test-hooks \(name): \(failed) check(s) failed; a rotation would stay unconfirmed")
            return ExitStatus.failure
        }
        return ExitStatus.success
    }

    /// An exit status as an `Error`, for a `Result`.
    struct Exit: Error {
        /// The process's exit status.
        var code: Int32
    }

    /// The consumer `name` as the `adopt:` rules manage it at the account's current listing (what a pass would
    /// rotate), or the exit status after printing why not: 75 when Fracttal cannot be listed, 78 when no rule
    /// adopts `name` or its rule refuses it (several permission groups, an unsafe name, a clashing path).
    static func adoptedConsumer(_ name: String, configPath: String, logLevel: String) async -> Result<
        ManagedConsumer, Exit
    > {
        guard let context = await loadContext(configPath, logLevel: logLevel, createState: false) else {
            return .failure(Exit(code: exitConfig))
        }
        let listing: [ConsumerRecord]
        do { listing = try await context.directory.consumers() } catch {
            printError(
                "test-hooks \(name): \(name) is not under consumers:, and listing the Fracttal account to resolve the "
                    + "adopt: rules failed: \(error.message); try again when Fracttal answers")
            return .failure(Exit(code: exitTempFail))
        }
        let resolved = context.configuration.resolvingAdoption(
            consumers: listing, groupNames: await context.directory.groupNames(for: listing),
            active: activeRotations(context.store), adminKey: context.directory.adminKey)
        guard let consumer = resolved.consumer(named: name) else {
            printError(
                "\(configPath): no consumer named \(name) under consumers:, and no adopt: rule manages one of that name "
                    + "in the Fracttal account now (rotord plan lists the adopted consumers)")
            return .failure(Exit(code: exitConfig))
        }
        if let refusal = consumer.adoptionRefusal {
            printError("test-hooks \(name): \(refusal)")
            return .failure(Exit(code: exitConfig))
        }
        return .success(consumer)
    }
}
