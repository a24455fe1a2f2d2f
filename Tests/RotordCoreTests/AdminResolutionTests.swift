import Foundation
import RotordCore
import Testing

/// `fracttal.admin.rotate` resolution against a listing: the admin consumer rotord acts as becomes a managed
/// consumer of its own, and the admin configured as an ordinary consumer is refused.
@Suite struct AdminResolutionTests {
    let now = Date(timeIntervalSince1970: 1_780_000_000)
    let adminKey = "ADMINKEYxxxxxxxxxx"

    var listing: [ConsumerRecord] {
        [
            ConsumerRecord(
                id: 1, name: "rotord-admin", permissionGroupId: 1, permissionGroup: "Super Administrador",
                key: adminKey, createdAt: now.addingTimeInterval(-100 * 86_400)),
            ConsumerRecord(
                id: 2, name: "etl", permissionGroupId: 3, permissionGroup: "Reportes", key: "ETLKEYxxxxxxxxxxxx",
                createdAt: now),
        ]
    }

    func config(rotate: Bool, consumers: [ManagedConsumer] = []) -> RotordConfiguration {
        var settings = FracttalSettings()
        if rotate {
            settings.adminRotation = AdminRotation(
                policy: RotationPolicy(maxAge: .days(90)),
                keySource: AdminRotation.defaultSource(for: settings.adminKeyFile, unit: AdminRotation.unitKeySource),
                secretSource: AdminRotation.defaultSource(
                    for: settings.adminSecretFile, unit: AdminRotation.unitSecretSource))
        }
        return RotordConfiguration(fracttal: settings, consumers: consumers)
    }

    @Test func theAdminBecomesAManagedConsumerDeliveredToItsSources() throws {
        let resolved = config(rotate: true).resolvingAdoption(
            consumers: listing, groupNames: [:], active: [], adminKey: adminKey)
        let admin = try #require(resolved.consumer(named: "rotord-admin"))
        #expect(admin.isAdmin && admin.consumerID == 1 && admin.permissionGroup == "Super Administrador")
        #expect(admin.afterPublish.isEmpty && admin.probe == nil)
        #expect(
            admin.deliver.flatMap(\.filePaths) == [
                "/etc/rotord/credentials/fracttal-admin-key", "/etc/rotord/credentials/fracttal-admin-secret",
            ], "systemd's copy under /run/credentials is read-only: the unit's sources are written")
        #expect(admin.deliver.first?.mode == 0o600)
        let plan = RotationPlanner().plan(
            configuration: resolved, consumers: listing, groupNames: [:], active: [], history: [:], now: now)
        #expect(plan.entries.first { $0.managed.name == "rotord-admin" }?.startsNow == true, "100 days old: due")
    }

    @Test func offUnknownOrUnlistedLeavesTheConfigurationAlone() {
        for (configuration, key) in [
            (config(rotate: false), adminKey), (config(rotate: true), nil), (config(rotate: true), "OTHER"),
        ] {
            let resolved = configuration.resolvingAdoption(
                consumers: listing, groupNames: [:], active: [], adminKey: key)
            #expect(resolved.consumers.isEmpty)
        }
    }

    @Test func theAdminConfiguredAsAnOrdinaryConsumerIsRefused() {
        for pinned in [false, true] {
            var entry = ManagedConsumer(
                name: "rotord-admin", permissionGroup: pinned ? "anything" : "Super Administrador")
            if pinned { entry.consumerID = 1 }
            let resolved = config(rotate: false, consumers: [entry]).resolvingAdoption(
                consumers: listing, groupNames: [:], active: [], adminKey: adminKey)
            #expect(resolved.consumers.count == 1)
            #expect(resolved.consumers.first?.adoptionRefusal?.contains("admin consumer rotord acts as") == true)
            #expect(resolved.actionableConsumer(named: "rotord-admin") == nil)
        }
        // Another consumer of the same name in another group is not the admin.
        let other = ManagedConsumer(name: "rotord-admin", permissionGroup: "Reportes")
        let resolved = config(rotate: true, consumers: [other]).resolvingAdoption(
            consumers: listing, groupNames: [:], active: [], adminKey: adminKey)
        #expect(resolved.consumers.count == 1 && resolved.consumers.first?.adoptionRefusal == nil)
    }

    @Test func aSourceDefaultsToTheFileItselfOutsideSystemd() {
        #expect(AdminRotation.defaultSource(for: "/etc/rotord/admin.key", unit: "/u") == "/etc/rotord/admin.key")
        #expect(AdminRotation.defaultSource(for: "/run/credentials/rotord.service/k", unit: "/u") == "/u")
    }
}
