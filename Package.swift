// swift-tools-version:6.2
// SPDX-License-Identifier: Apache-2.0
import PackageDescription

/// How the release executables are linked (docs/benchmarks.md, "Memory"): with lld, relative
/// relocations packed (RELR: 24 KB instead of 2.9 MB of `.rela.dyn`, which every start reads),
/// no symbol table exported to the dynamic loader (the static Swift runtime's link arguments ask
/// for `--export-dynamic`; nothing resolves symbols in rotord at run time), and the functions a
/// pass runs placed together (`order`, made by scripts/link-order.sh), so that the pages of code
/// one pass touches are few. Debug builds (the unit tests) link as SwiftPM does by default.
func releaseLinking(order: String?) -> [LinkerSetting] {
    var flags = [
        "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic",
    ]
    if let order {
        flags += [
            "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/\(order)",
            "-Xlinker", "--no-warn-symbol-ordering",
        ]
    }
    return [.unsafeFlags(flags, .when(configuration: .release))]
}

let package = Package(
    name: "rotord",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rotord", targets: ["rotord"]),
        .executable(name: "fracttal-sim", targets: ["fracttal-sim"]),
        .executable(name: "rotord-simulate", targets: ["rotord-simulate"]),
        .library(name: "RotordCore", targets: ["RotordCore"]),
        .library(name: "FracttalClient", targets: ["FracttalClient"]),
        .library(name: "FracttalSimulator", targets: ["FracttalSimulator"]),
        .library(name: "SystemdSupport", targets: ["SystemdSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // TLS to etcd (EtcdClient); AsyncHTTPClient depends on it already.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Without its Foundation trait: rotord passes descriptors and strings, never `Data`.
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2", traits: []),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        // The metrics file's text format (MetricsTextfile).
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // libsystemd, through pkg-config (Debian: libsystemd-dev).
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // sd_notify, the watchdog and a journald LogHandler; usable on its own.
        .target(
            name: "SystemdSupport",
            dependencies: [
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The rotation domain: policy, plan, journal records, state machine. Pure: no I/O.
        .target(name: "RotordCore"),
        // The Fracttal OAuth token endpoint and REST API, on AsyncHTTPClient.
        .target(
            name: "FracttalClient",
            dependencies: [
                "RotordCore",
                "HTTPExchange",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // One HTTP request and its whole answer within a bound of real time (FracttalClient, EtcdClient).
        .target(
            name: "HTTPExchange",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // etcd's v3 API through its JSON gateway, and leader election on it (docs/fleet.md). No dependency on
        // rotord's own targets.
        .target(
            name: "EtcdClient",
            dependencies: [
                "HTTPExchange",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // An in-process Fracttal simulator (token endpoint + API) for tests, the demo and operators.
        .target(
            name: "FracttalSimulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The effects around the core: configuration files, state directory, secret files,
        // hooks (on swift-subprocess), the Fracttal adapter, the scheduler and the commands'
        // implementations.
        // No server code: the simulator is a separate program (fracttal-sim).
        .target(
            name: "RotordKit",
            dependencies: [
                "RotordCore",
                "FracttalClient",
                "EtcdClient",
                "SystemdSupport",
                "CSystemd",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The command line (swift-argument-parser) and the demo, shared by the two executables below.
        .target(
            name: "RotordCLI",
            dependencies: [
                "RotordKit",
                "RotordCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The shipped binary.
        .executableTarget(
            name: "rotord", dependencies: ["RotordCLI"], exclude: ["rotord.order"],
            linkerSettings: releaseLinking(order: "Sources/rotord/rotord.order")),
        // rotord with fault injection from its environment, for the crash and hang tests only:
        // never installed, so the shipped rotord cannot react to a fault request (docs/testing.md).
        .executableTarget(
            name: "rotord-faults", dependencies: ["RotordCLI", "RotordKit"],
            linkerSettings: releaseLinking(order: "Sources/rotord/rotord.order")),
        // Test helpers shared by the test targets and the benchmarks, and the engine simulation (an
        // in-memory Fracttal, a manual wall clock, crash points, seeded histories; docs/architecture.md,
        // "Simulation"). Never linked into a shipped binary.
        .target(
            name: "RotordTestKit",
            dependencies: [
                "RotordCore", "RotordKit", "FracttalClient", .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Runs the engine simulation for as many histories or seconds as asked (scripts/simulate.sh).
        .executableTarget(name: "rotord-simulate", dependencies: ["RotordTestKit"]),
        // Benchmarks (not part of the tests): scripts/bench.sh, docs/benchmarks.md.
        // Runs a command and reports its own peak RSS, for the benchmarks (C: see main.c).
        .executableTarget(name: "peak-rss"),
        .executableTarget(
            name: "rotord-bench",
            dependencies: ["RotordKit", "RotordCore", "FracttalClient", "FracttalSimulator", "RotordTestKit"]
        ),
        .executableTarget(
            name: "fracttal-sim",
            dependencies: [
                "FracttalSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            linkerSettings: releaseLinking(order: nil)
        ),
        .testTarget(name: "RotordCoreTests", dependencies: ["RotordCore"]),
        // EtcdClient and the election against a real 3-member etcd cluster (RotordTestKit/EtcdCluster).
        .testTarget(
            name: "EtcdClientTests",
            dependencies: [
                "EtcdClient", "RotordTestKit", "RotordKit", "RotordCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        // The engine simulation's histories and the regression cases it found (docs/architecture.md, "Simulation").
        .testTarget(name: "EngineSimulationTests", dependencies: ["RotordTestKit", "RotordKit", "RotordCore"]),
        .testTarget(name: "SystemdSupportTests", dependencies: ["SystemdSupport", "RotordTestKit"]),
        .testTarget(
            name: "FracttalSimulatorTests",
            dependencies: [
                "FracttalSimulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "FracttalClientTests", dependencies: ["FracttalClient", "FracttalSimulator", "RotordTestKit"]),
        .testTarget(
            name: "RotordKitTests",
            dependencies: [
                "RotordKit", "FracttalSimulator", "RotordTestKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "RotordIntegrationTests",
            dependencies: [
                "RotordKit", "FracttalSimulator", "RotordTestKit", "rotord", "rotord-faults", "fracttal-sim",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system && target.name != "peak-rss" {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
