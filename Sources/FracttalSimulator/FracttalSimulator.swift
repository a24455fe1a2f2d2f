import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A simulator of Fracttal's token endpoint and API (see `docs/fracttal-api.md`), served on
/// 127.0.0.1 by Hummingbird, for tests, the demo, benchmarks and operators.
///
/// ```swift
/// let simulator = FracttalSimulator(seed: seed)
/// let port = try await simulator.start()
/// // … http://127.0.0.1:\(port)/oauth/token and /api …
/// await simulator.stop()
/// ```
///
/// ## The control API
///
/// With ``SimulatorConfiguration/control`` set (`fracttal-sim --control`), the same server also
/// answers a small test-control API, so a test can drive a simulator running as a separate process
/// the way it drives an in-process one:
///
/// - `GET /_sim/consumers`: every live consumer, **secrets included**, in id order (a JSON array in
///   the seed format, ``SimulatorSeed/Consumer``);
/// - `GET /_sim/statistics`: ``SimulatorStatistics``;
/// - `GET /_sim/faults` and `PUT /_sim/faults`: ``SimulatorFaults`` (a `PUT` may leave fields out,
///   which keep their defaults);
/// - `POST /_sim/accepts` with `{"key": …, "secret": …}`: `{"accepted": true|false}`, what
///   ``isAccepted(key:secret:)`` answers.
///
/// Its requests are not subject to faults (latency, drops) or the rate limit and do not count in the
/// statistics. It is a development and test tool that hands out every secret: it is off by default,
/// and ``start()`` refuses it on an address other than loopback.
public actor FracttalSimulator {
    let state: SimulatorState
    private let configuration: SimulatorConfiguration
    private var task: Task<Void, any Error>?
    private var boundPort: Int?
    private let logger: Logger

    /// Creates a simulator of the account described by `seed`.
    public init(configuration: SimulatorConfiguration = .init(), seed: SimulatorSeed, logger: Logger? = nil) {
        self.configuration = configuration
        self.state = SimulatorState(configuration: configuration, seed: seed)
        var l = logger ?? Logger(label: "fracttal-sim")
        if logger == nil { l.logLevel = .critical }
        self.logger = l
    }

    /// Binds and serves in the background; returns the bound port.
    public func start() async throws -> Int {
        if let boundPort { return boundPort }
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try service { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        task = Task { try await app.run() }
        var port = 0
        for await p in portStream {
            port = p
            break
        }
        guard port > 0 else {
            task?.cancel()
            task = nil
            throw SimulatorError(message: "could not bind \(configuration.host):\(configuration.port)")
        }
        boundPort = port
        return port
    }

    /// The server as a swift-service-lifecycle `Service`, to run in a `ServiceGroup` (as `fracttal-sim`
    /// does) instead of ``start()``: it serves until the group shuts down gracefully, and calls
    /// `onBound` with the bound port once it listens.
    public nonisolated func service(onBound: @escaping @Sendable (Int) -> Void) throws -> some Service {
        if configuration.control && !["127.0.0.1", "::1", "localhost"].contains(configuration.host) {
            throw SimulatorError(
                message: "the control API exposes secrets: it binds loopback only, not \(configuration.host)")
        }
        let state = self.state
        return Application(
            responder: CallbackResponder { (request: Request, context: SimulatorRequestContext) in
                try await SimulatorHTTP.respond(to: request, context: context, state: state)
            },
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "fracttal-sim"),
            onServerRunning: { channel in onBound(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    /// Stops serving and frees the port.
    public func stop() async {
        guard let task else { return }
        task.cancel()
        _ = try? await task.value
        self.task = nil
        boundPort = nil
    }

    /// The bound port, while running.
    public var port: Int? { boundPort }
    /// `http://127.0.0.1:PORT/oauth/token`.
    public var tokenURL: String { "http://\(configuration.host):\(boundPort ?? 0)/oauth/token" }
    /// `http://127.0.0.1:PORT/api`.
    public var apiURL: String { "http://\(configuration.host):\(boundPort ?? 0)/api" }

    /// Replaces the faults.
    public func setFaults(_ faults: SimulatorFaults) { state.data.withLock { $0.faults = faults } }
    /// The faults in force (counters decrease as they fire).
    public func faults() -> SimulatorFaults { state.data.withLock { $0.faults } }
    /// Every live consumer, secrets included, in id order.
    public func consumers() -> [SimulatorSeed.Consumer] {
        state.data.withLock { d in d.consumers.keys.sorted().map { d.consumers[$0]!.consumer } }
    }
    /// Adds a consumer to the running account (as if made in the web UI), filling in what the
    /// seed leaves out; returns it with its id, key, secret and creation date.
    @discardableResult
    public func add(_ consumer: SimulatorSeed.Consumer) -> SimulatorSeed.Consumer { state.add(consumer) }

    /// Whether the token endpoint would accept this pair now.
    public func isAccepted(key: String, secret: String) -> Bool { state.isAccepted(key: key, secret: secret) }
    /// The counters.
    public func statistics() -> SimulatorStatistics { state.data.withLock { $0.statistics } }
}

/// The simulator could not start.
public struct SimulatorError: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    public var description: String { message }
}

/// Hummingbird's request context plus the channel, so a fault can drop the connection.
public struct SimulatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
