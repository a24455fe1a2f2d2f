import Foundation
import RotordCore

extension Commands {
    /// `rotord test-hooks NAME`: runs the consumer's `after_publish` actions, then its probe, against the files
    /// it has now, without rotating (nothing is created, written or deleted). 0 all passed, 1 one failed,
    /// 78 configuration error or no consumer `NAME`.
    package static func testHooks(_ configPath: String, logLevel: String, name: String) async -> Int32 {
        let configuration: RotordConfiguration
        do { configuration = try ConfigurationLoader().load(path: configPath) } catch {
            printError(error.description)
            return exitConfig
        }
        guard let consumer = configuration.consumer(named: name) else {
            printError("\(configPath): no consumer named \(name) under consumers:")
            return exitConfig
        }
        let logger = LogSetup.make(level: logLevel)
        let files = consumer.deliver.flatMap(\.filePaths)
        let rotationID = "test-hooks"
        if consumer.afterPublish.isEmpty && consumer.probe == nil {
            print("\(name): no after_publish actions and no probe configured; nothing to test")
            return ExitStatus.success
        }
        var failed = 0
        let pair = SecretPublisher.currentPair(consumer.deliver)
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
}
