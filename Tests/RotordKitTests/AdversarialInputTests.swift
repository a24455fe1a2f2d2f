import Foundation
import FracttalClient
import FracttalSimulator
import Glibc
import RotordCore
import Testing

@testable import RotordKit

/// Issue 14: hostile inputs across configuration, files and API answers, each checked for its
/// expected outcome (a clear error naming the file, key or operation; nothing handed to a third
/// party; no consumer rotated or deleted that rotord did not make or rotate from; no secret shown).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct AdversarialInputTests {
    /// Counts the cases and the ones handled as expected.
    final class Tally: @unchecked Sendable {
        var total = 0
        var handled = 0

        func check(_ label: String, _ ok: Bool, _ detail: @autoclosure () -> String = "") {
            total += 1
            if ok { handled += 1 }
            #expect(ok, "\(label): \(detail())")
        }
    }

    @Test func hostileInputsAreHandled() async throws {
        let tally = Tally()
        configurationInputs(tally)
        await credentialFiles(tally)
        try await apiAnswers(tally)
        identities(tally)
        print("adversarial: \(tally.total) hostile inputs, \(tally.handled) handled")
        #expect(tally.total >= 40)
        #expect(tally.handled == tally.total)
    }

    // MARK: - Configuration

    func configurationInputs(_ tally: Tally) {
        let w = HostileWorld()
        defer { w.remove() }
        let d = HostileWorld.deliver
        let cases: [(String, String, String, String)] = [
            ("deliver = config file", w.yaml(consumer: d(w.configPath)), "deliver[0].path", "configuration file"),
            (
                "deliver = config via //", w.yaml(consumer: d(w.root + "//rotord.yaml")), "deliver[0].path",
                "configuration"
            ),
            (
                "deliver = config via link/..", w.yaml(consumer: d(w.out + "/../rotord.yaml")), "deliver[0].path",
                "configuration"
            ),
            ("deliver = admin key", w.yaml(consumer: d(w.keyFile)), "deliver[0].path", "admin key file"),
            (
                "deliver = admin secret via symlinked dir", w.yaml(consumer: d(w.link + "/../admin-secret")),
                "deliver[0].path", "admin secret"
            ),
            ("deliver = state lock", w.yaml(consumer: d(w.stateDir + "/lock")), "deliver[0].path", "inside state_dir"),
            (
                "deliver = journal dir file", w.yaml(consumer: d(w.stateDir + "/rotations/x.json")), "deliver[0].path",
                "inside state_dir"
            ),
            ("deliver = state_dir/.", w.yaml(consumer: d(w.stateDir + "/.")), "deliver[0].path", "inside state_dir"),
            (
                "deliver under state_dir via ..", w.yaml(consumer: d(w.out + "/../state/summary.json")),
                "deliver[0].path", "inside state_dir"
            ),
            ("duplicate out/./a", w.yaml(consumer: d(w.out + "/a", w.out + "/./a")), "deliver[1].path", "same file"),
            (
                "duplicate through symlink", w.yaml(consumer: d(w.out + "/a", w.link + "/a")), "deliver[1].path",
                "same file"
            ),
            (
                "duplicate with trailing //", w.yaml(consumer: d(w.out + "/a", w.out + "//a")), "deliver[1].path",
                "same file"
            ),
            (
                "raw key_path = secret_path",
                w.yaml(
                    consumer:
                        "    deliver:\n      - format: raw\n        key_path: \(w.out)/k\n        secret_path: \(w.out)/k\n"
                ),
                "deliver[0].secret_path", "same file"
            ),
            (
                "raw secret_path = admin secret",
                w.yaml(
                    consumer:
                        "    deliver:\n      - format: raw\n        key_path: \(w.out)/k\n        secret_path: \(w.secretFile)\n"
                ),
                "deliver[0].secret_path", "admin secret"
            ),
            (
                "raw key_path in state_dir",
                w.yaml(
                    consumer:
                        "    deliver:\n      - format: raw\n        key_path: \(w.stateDir)/k\n        secret_path: \(w.out)/s\n"
                ),
                "deliver[0].key_path", "inside state_dir"
            ),
            (
                "raw PATH.secret = other target",
                w.yaml(consumer: d(w.out + "/x.secret") + "      - path: \(w.out)/x\n        format: raw\n"),
                "deliver[1].secret_path", "same file"
            ),
            (
                "reload: \"\"", w.yaml(consumer: "    after_publish:\n      - reload: \"\"\n"),
                "after_publish[0].reload", "unit"
            ),
            (
                "reload: blanks", w.yaml(consumer: "    after_publish:\n      - reload: \"   \"\n"),
                "after_publish[0].reload", "unit"
            ),
            (
                "grace > max_age", w.yaml(consumer: "    max_age: 2h\n    grace: 3h\n"), "consumers[0].grace",
                "longer than max_age"
            ),
            ("defaults grace > max_age", w.yaml(defaults: "  grace: 100d\n"), "defaults.grace", "longer than max_age"),
            (
                "owner uid absent", w.yaml(consumer: d(w.out + "/o") + "        owner: \"3999999\"\n"),
                "deliver[0].owner", "uid 3999999"
            ),
            (
                "group gid absent", w.yaml(consumer: d(w.out + "/o") + "        group: \"3999999\"\n"),
                "deliver[0].group", "gid 3999999"
            ),
            (
                "consumer_id negative", w.yaml(consumer: "    consumer_id: -4\n"), "consumers[0].consumer_id",
                "whole number"
            ),
            (
                "consumer_id list", w.yaml(consumer: "    consumer_id: [1, 2]\n"), "consumers[0].consumer_id",
                "single value"
            ),
        ]
        for (label, text, key, words) in cases {
            let found = w.errors(text)
            tally.check(
                label,
                found.contains { $0.key.hasSuffix(key) && $0.message.contains(words) && $0.file == w.configPath },
                "\(found)")
        }
        // Files standing in for the configuration itself.
        let fileCases: [(String, () -> Void, String)] = [
            ("config is a FIFO", { mkfifo(w.configPath, 0o600) }, "not a regular file"),
            ("config is a directory", { mkdir(w.configPath, 0o700) }, "is a directory"),
            (
                "config is not UTF-8",
                { _ = FileManager.default.createFile(atPath: w.configPath, contents: Data([0x66, 0xFF, 0x0A])) },
                "not UTF-8"
            ),
            ("config is /dev/zero", { symlink("/dev/zero", w.configPath) }, "not a regular file"),
        ]
        for (label, make, words) in fileCases {
            unlink(w.configPath)
            rmdir(w.configPath)
            make()
            let found = w.errorsOfFile()
            tally.check(
                label, found.first?.message.contains(words) == true && found.first?.file == w.configPath, "\(found)")
        }
        unlink(w.configPath)
        rmdir(w.configPath)
        // A state_dir that is unusable.
        _ = FileManager.default.createFile(atPath: w.root + "/plain", contents: Data())
        let asFile = w.errors(w.yaml(stateDir: w.root + "/plain"))
        tally.check("state_dir is a file", asFile.contains { $0.key == "state_dir" }, "\(asFile)")
        mkdir(w.root + "/shared", 0o777)
        chmod(w.root + "/shared", 0o1777)
        let shared = w.errors(w.yaml(stateDir: w.root + "/shared"))
        var st = stat()
        stat(w.root + "/shared", &st)
        tally.check(
            "state_dir is 1777", shared.contains { $0.key == "state_dir" } && st.st_mode & 0o7777 == 0o1777, "\(shared)"
        )
    }

    // MARK: - Credential files

    func credentialFiles(_ tally: Tally) async {
        let w = HostileWorld()
        defer { w.remove() }
        let path = w.root + "/key"
        let cases: [(String, () -> Void)] = [
            ("key is a FIFO", { mkfifo(path, 0o600) }),
            ("key is a directory", { mkdir(path, 0o700) }),
            ("key is empty", { _ = FileManager.default.createFile(atPath: path, contents: Data()) }),
            ("key is blank lines", { _ = FileManager.default.createFile(atPath: path, contents: Data("\n \n".utf8)) }),
            (
                "key has two lines",
                { _ = FileManager.default.createFile(atPath: path, contents: Data("AAAA\nBBBB".utf8)) }
            ),
            ("key is not UTF-8", { _ = FileManager.default.createFile(atPath: path, contents: Data([0xC0, 0xAF])) }),
            ("key is /dev/urandom", { symlink("/dev/urandom", path) }),
            (
                "key links to a FIFO",
                {
                    mkfifo(w.root + "/fifo", 0o600)
                    symlink(w.root + "/fifo", path)
                }
            ),
            (
                "key is 1 MiB",
                { _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x41, count: 1 << 20)) }
            ),
        ]
        for (label, make) in cases {
            unlink(path)
            rmdir(path)
            unlink(w.root + "/fifo")
            make()
            let settings = FracttalSettings(adminKeyFile: path, adminSecretFile: w.secretFile)
            var message = ""
            do { _ = try await AdminCredentials.load(settings, configPath: w.configPath, environment: [:]) } catch {
                message = error.description
            }
            tally.check(
                label,
                message.contains("fracttal.admin.key_file") && message.contains(path)
                    && !message.contains(HostileWorld.adminSecret),
                message)
        }
    }

    // MARK: - API answers

    func apiAnswers(_ tally: Tally) async throws {
        let adminKey = SimulatorSeed.randomCredential(length: 18)
        let adminSecret = SimulatorSeed.randomCredential(length: 32)
        let seed = SimulatorSeed(
            permissionGroups: [.init(id: 1, name: "Super Administrador", superAdmin: true), .init(id: 3, name: "R")],
            consumers: [
                .init(name: "rotord-admin", permissionGroupId: 1, key: adminKey, secret: adminSecret),
                .init(id: 50, name: "etl", permissionGroupId: 3),
            ])
        let origin = FracttalSimulator(seed: seed)
        let trap = FracttalSimulator(seed: SimulatorSeed(permissionGroups: [], consumers: []))
        let port = try await origin.start()
        let trapPort = try await trap.start()
        defer {
            Task {
                await origin.stop()
                await trap.stop()
            }
        }
        let trapHost = "127.0.0.1:\(trapPort)"
        func client(_ auth: FracttalClientConfiguration.ClientAuthentication) -> FracttalClient {
            FracttalClient(
                configuration: .init(
                    tokenURL: "http://127.0.0.1:\(port)/oauth/token", apiURL: "http://127.0.0.1:\(port)/api",
                    // Each redirect is refused at once; the timeout only bounds a loaded machine (5 s was too short).
                    clientAuthentication: auth, timeout: .seconds(30)),
                credentials: FracttalCredentials(key: adminKey, secret: adminSecret))
        }
        struct Redirect {
            var label: String
            var token: Bool
            var status: Int
            var location: String
            var auth: FracttalClientConfiguration.ClientAuthentication = .basic
            var expectHost: String
        }
        let trapURL = "http://\(trapHost)"
        let redirects = [
            Redirect(
                label: "token 307 (form)", token: true, status: 307, location: trapURL + "/oauth/token", auth: .form,
                expectHost: trapHost),
            Redirect(
                label: "token 307 (basic)", token: true, status: 307, location: trapURL + "/oauth/token",
                expectHost: trapHost),
            Redirect(
                label: "token 308 (form)", token: true, status: 308, location: trapURL + "/oauth/token", auth: .form,
                expectHost: trapHost),
            Redirect(
                label: "token 301", token: true, status: 301, location: trapURL + "/oauth/token", expectHost: trapHost),
            Redirect(
                label: "token 302", token: true, status: 302, location: trapURL + "/x", auth: .form,
                expectHost: trapHost),
            Redirect(label: "token 303", token: true, status: 303, location: trapURL + "/x", expectHost: trapHost),
            Redirect(
                label: "token redirect with a secret-looking query", token: true, status: 307,
                location: trapURL + "/t?client_secret=\(adminSecret)", auth: .form, expectHost: trapHost),
            Redirect(
                label: "token relative Location", token: true, status: 307, location: "/elsewhere",
                expectHost: "relative"),
            Redirect(
                label: "API list 307", token: false, status: 307, location: trapURL + "/api/oauth_consumers",
                expectHost: trapHost),
            Redirect(
                label: "API list 302", token: false, status: 302, location: trapURL + "/api/oauth_consumers",
                expectHost: trapHost),
            Redirect(
                label: "API list 308 (form)", token: false, status: 308, location: trapURL + "/api", auth: .form,
                expectHost: trapHost),
        ]
        for r in redirects {
            var faults = SimulatorFaults()
            faults.redirectStatus = r.status
            if r.token { faults.redirectTokenTo = r.location } else { faults.redirectAPITo = r.location }
            await origin.setFaults(faults)
            var message = ""
            var isRedirect = false
            do { _ = try await client(r.auth).listConsumers() } catch {
                message = error.description
                isRedirect = error.isRedirect
            }
            let operation = r.token ? "obtaining the admin token" : "listing consumers"
            tally.check(
                r.label,
                isRedirect && message.contains(operation) && message.contains(r.expectHost)
                    && message.contains("HTTP \(r.status)") && !message.contains(adminSecret),
                message)
        }
        // The create and the delete are refused without taking effect, and say so.
        var faults = SimulatorFaults()
        faults.redirectAPITo = trapURL + "/api/oauth_consumers"
        await origin.setFaults(faults)
        let directory = FracttalConsumerAccount(client: client(.form))
        do {
            _ = try await directory.create(
                name: "etl", description: "x", authorizationType: "client_credentials", permissionGroupID: 3,
                fracttalHub: false)
            tally.check("create redirected", false, "succeeded")
        } catch {
            tally.check(
                "create redirected",
                error.kind == .permanent && error.message.contains("creating a consumer named etl"),
                "\(error.kind): \(error.message)")
        }
        do {
            try await directory.delete(id: 50)
            tally.check("delete redirected", false, "succeeded")
        } catch {
            tally.check("delete redirected", error.message.contains("deleting consumer 50"), error.message)
        }
        faults.redirectAPITo = nil
        faults.redirectTokenTo = trapURL + "/oauth/token"
        await origin.setFaults(faults)
        var verifyMessage = ""
        do { _ = try await directory.verify(key: "NewKeyNewKeyNewKey", secret: adminSecret) } catch {
            verifyMessage = error.message
        }
        tally.check(
            "verify redirected",
            verifyMessage.contains("verifying the new credential NewK…") && !verifyMessage.contains(adminSecret),
            verifyMessage)
        await origin.setFaults(SimulatorFaults())
        let requests = await trap.statistics().requests
        tally.check("the second listener received nothing", requests == 0, "\(requests) requests")
        let created = await origin.statistics().created
        let remaining = await origin.consumers().count
        tally.check(
            "nothing created or deleted", created == 0 && remaining == 2, "\(created) created, \(remaining) left")
    }

    // MARK: - Identity

    func identities(_ tally: Tally) {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let old = now.addingTimeInterval(-120 * 86_400)
        func consumer(
            _ id: Int, group: Int = 3, groupName: String = "Reportes", type: String = "client_credentials",
            description: String? = nil
        ) -> ConsumerRecord {
            ConsumerRecord(
                id: id, name: "etl", description: description, authorizationType: type, permissionGroupId: group,
                permissionGroup: groupName, key: "Key\(id)Key\(id)Key\(id)",
                createdAt: old.addingTimeInterval(Double(id)))
        }
        func plan(_ listing: [ConsumerRecord], pin: Int? = nil, lastCompleted: String? = nil) -> PlanEntry {
            let managed = ManagedConsumer(name: "etl", permissionGroup: "Reportes", consumerID: pin)
            let history =
                lastCompleted.map { ["etl": ConsumerHistory(lastCompletedID: $0, lastCompletedAt: now)] } ?? [:]
            return RotationPlanner().plan(
                configuration: RotordConfiguration(fracttal: .init(), consumers: [managed]), consumers: listing,
                groupNames: [:], active: [], history: history, now: now
            ).entries[0]
        }
        let sameNameOtherGroup = plan([consumer(1), consumer(2, group: 4, groupName: "Integraciones")])
        tally.check(
            "same name in another group",
            sameNameOtherGroup.status == .due && sameNameOtherGroup.current?.id == 1
                && sameNameOtherGroup.liveConsumers.map(\.id) == [1])
        let authCode = plan([consumer(1), consumer(2, type: "authorization_code")])
        tally.check("same name, authorization_code", authCode.status == .due && authCode.current?.id == 1)
        let onlyAuthCode = plan([consumer(2, type: "authorization_code")])
        tally.check("only an authorization_code consumer", onlyAuthCode.status == .missing)
        let twins = plan([consumer(1), consumer(2)])
        tally.check(
            "two candidates",
            twins.status == .ambiguous(ids: [1, 2]) && twins.isProblem
                && twins.problemDescription.contains("ids 1, 2") && twins.problemDescription.contains("consumer_id")
        )
        let pinned = plan([consumer(1), consumer(2)], pin: 1)
        tally.check("pinned among two", pinned.status == .due && pinned.current?.id == 1)
        let pinMissing = plan([consumer(1), consumer(2)], pin: 9)
        tally.check(
            "pinned id absent",
            pinMissing.status == .pinnedMissing(id: 9) && pinMissing.problemDescription.contains("9"))
        let pinnedAuthCode = plan([consumer(1), consumer(2, type: "authorization_code")], pin: 2)
        tally.check("pinned authorization_code", pinnedAuthCode.status == .pinnedMissing(id: 2))
        let successor = plan(
            [consumer(3, description: "x [rotord:r9-00000001]"), consumer(4)], pin: 1, lastCompleted: "r9-00000001")
        tally.check("pinned consumer replaced by rotord", successor.current?.id == 3 && !successor.isProblem)
        let forged = plan([consumer(3, description: "x [rotord:r9-00000001]"), consumer(4)], pin: 1)
        tally.check("a marker without rotord's history", forged.status == .pinnedMissing(id: 1))
    }
}
