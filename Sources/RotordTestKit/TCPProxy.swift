import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TCP proxy on 127.0.0.1 that a test can cut, for the fleet partition tests: this machine has no nftables or
/// iptables, so a test puts one proxy in front of each etcd member (or the Fracttal simulator) a host talks to, and
/// partitions the host by cutting its proxies.
///
/// It listens on a free port of 127.0.0.1 and forwards every accepted connection to its target, until:
/// - ``cut()``: a blackhole, as a partition is. The open connections stay open but forward nothing more in either
///   direction (what arrives is read and dropped, nothing is written back, nothing is closed or reset), and new
///   connections are accepted but forward nothing. Clients see timeouts.
/// - ``heal()``: new connections forward again; the connections that were open while cut are closed (their streams
///   lost bytes).
/// - ``refuse()``: every connection is closed, and new ones are closed (reset) as soon as accepted, as by a host
///   whose server is down.
///
/// ``stop()`` closes the listener and every connection; a test that starts a proxy calls it in a `defer`.
public final class TCPProxy: Sendable {
    /// The target could not be parsed, or a connection could not be set up.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// The port the proxy listens on, on 127.0.0.1.
    public let port: Int
    /// `SCHEME://127.0.0.1:PORT`: the target's scheme when it was given as a URL, else `http`.
    public let url: String
    private let listener: any Channel
    private let shared: TCPProxyState

    private init(port: Int, url: String, listener: any Channel, shared: TCPProxyState) {
        self.port = port
        self.url = url
        self.listener = listener
        self.shared = shared
    }

    /// Listens on a free port of 127.0.0.1 and forwards to `target`: `HOST:PORT` or `SCHEME://HOST:PORT` (a path
    /// is ignored), HOST an IP address or `localhost`. With `namespace`, the target is an address inside that network
    /// namespace: the proxy listens outside and connects inside (``NetworkNamespace/tcpSocket()``).
    public static func start(to target: String, in namespace: NetworkNamespace? = nil) async throws -> TCPProxy {
        var rest = Substring(target)
        var scheme = "http"
        if let range = rest.firstRange(of: "://") {
            scheme = String(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let colon = rest.lastIndex(of: ":"), let targetPort = Int(rest[rest.index(after: colon)...]),
            (1...65535).contains(targetPort)
        else { throw Failure(description: "the proxy target \(target) is not HOST:PORT or SCHEME://HOST:PORT") }
        var host = String(rest[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" { host = "127.0.0.1" }
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: host, port: targetPort)
        } catch {
            throw Failure(description: "the proxy target \(target) is not an IP address and port: \(error)")
        }
        let shared = TCPProxyState(target: address, namespace: namespace)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { channel in shared.accept(channel) }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = listener.localAddress?.port else {
            try? await listener.close()
            throw Failure(description: "the proxy listener has no local port")
        }
        return TCPProxy(port: port, url: "\(scheme)://127.0.0.1:\(port)", listener: listener, shared: shared)
    }

    /// Whether the proxy is cut: from ``cut()`` until ``heal()`` (or ``refuse()``).
    public var isCut: Bool { shared.connections.withLock { $0.mode == .cut } }
    /// The bytes forwarded so far, both directions together (bytes dropped while cut are not counted).
    public var bytesForwarded: Int { shared.bytesForwarded.load(ordering: .relaxed) }
    /// The connections accepted so far, whatever became of them (forwarded, blackholed or refused).
    public var connectionsAccepted: Int { shared.connectionsAccepted.load(ordering: .relaxed) }

    /// Blackholes every open connection and every new one, until ``heal()``: nothing is forwarded, written back,
    /// closed or reset.
    public func cut() {
        shared.connections.withLock { state in
            guard !state.stopped else { return }
            state.mode = .cut
            for link in state.links.values { link.severed.store(true, ordering: .relaxed) }
        }
    }

    /// Forwards new connections again, and closes the ones that were open while cut.
    public func heal() {
        let severed = shared.connections.withLock { state in
            if !state.stopped { state.mode = .forwarding }
            return state.links.values.filter { $0.severed.load(ordering: .relaxed) }
        }
        for link in severed { link.close() }
    }

    /// Closes every open connection, and new ones as soon as they are accepted (with a reset), until ``heal()``.
    public func refuse() {
        let open = shared.connections.withLock { state in
            if !state.stopped { state.mode = .refusing }
            return Array(state.links.values)
        }
        for link in open { link.close() }
    }

    /// Closes the listener (freeing the port) and every connection. Calling it again does nothing.
    public func stop() async {
        let open = shared.connections.withLock { state in
            state.stopped = true
            state.mode = .refusing
            return Array(state.links.values)
        }
        listener.close(promise: nil)
        try? await listener.closeFuture.get()
        for link in open { await link.closeAndWait() }
    }
}

/// What a ``TCPProxy`` shares with its connections' handlers, on any event loop.
private final class TCPProxyState: Sendable {
    enum Mode { case forwarding, cut, refusing }

    struct Connections {
        var mode = Mode.forwarding
        var stopped = false
        var links: [ObjectIdentifier: TCPProxyLink] = [:]
    }

    let target: SocketAddress
    /// Where the target is, when not in the proxy's own network namespace.
    let namespace: NetworkNamespace?
    let connections = Mutex(Connections())
    let bytesForwarded = Atomic<Int>(0)
    let connectionsAccepted = Atomic<Int>(0)

    init(target: SocketAddress, namespace: NetworkNamespace?) {
        self.target = target
        self.namespace = namespace
    }

    /// Sets up an accepted connection, on its event loop, according to the mode.
    func accept(_ inbound: any Channel) -> EventLoopFuture<Void> {
        connectionsAccepted.add(1, ordering: .relaxed)
        let link = TCPProxyLink(owner: self)
        let mode = connections.withLock { state -> Mode in
            guard state.mode != .refusing, !state.stopped else { return .refusing }
            link.severed.store(state.mode == .cut, ordering: .relaxed)
            _ = link.attach(inbound)
            state.links[ObjectIdentifier(link)] = link
            return state.mode
        }
        do {
            switch mode {
            case .refusing:
                Self.reset(inbound)
            case .cut:
                try inbound.pipeline.syncOperations.addHandler(TCPProxySink())
                try inbound.syncOptions?.setOption(.autoRead, value: true)
            case .forwarding:
                try inbound.pipeline.syncOperations.addHandler(TCPProxyConnector(link: link, owner: self))
            }
        } catch {
            link.close()
        }
        return inbound.eventLoop.makeSucceededVoidFuture()
    }

    /// Connects to the target on the inbound connection's event loop, then glues the two connections together.
    func connect(_ inbound: any Channel, link: TCPProxyLink) {
        let bootstrap = ClientBootstrap(group: inbound.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.autoRead, value: false)
            .channelInitializer { outbound in
                link.attach(outbound)
                    ? outbound.eventLoop.makeSucceededVoidFuture()
                    : outbound.eventLoop.makeFailedFuture(TCPProxy.Failure(description: "the client went away"))
            }
        let connected: EventLoopFuture<any Channel>
        if let namespace {
            // A blocking connect on the event loop: the targets inside a test's namespace are its own loopback's.
            guard let socket = try? namespace.tcpSocket() else {
                link.close()
                return
            }
            let made = target.withSockAddr { address, length in Glibc.connect(socket, address, socklen_t(length)) }
            guard made == 0 else {
                close(socket)
                link.close()
                return
            }
            connected = bootstrap.withConnectedSocket(socket)
        } else {
            connected = bootstrap.connect(to: target)
        }
        connected
            .whenComplete { [self] result in
                guard case .success(let outbound) = result, inbound.isActive, outbound.isActive else {
                    link.close()
                    return
                }
                let (client, server) = TCPProxyGlue.pair(link: link, owner: self)
                do {
                    try inbound.pipeline.syncOperations.addHandler(client)
                    try outbound.pipeline.syncOperations.addHandler(server)
                    try inbound.syncOptions?.setOption(.autoRead, value: true)
                    try outbound.syncOptions?.setOption(.autoRead, value: true)
                } catch {
                    link.close()
                }
            }
    }

    /// Closes a connection with a reset (SO_LINGER 0), as a host without a server on the port does.
    private static func reset(_ channel: any Channel) {
        guard let provider = channel as? any SocketOptionProvider else {
            channel.close(promise: nil)
            return
        }
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Forgets a link whose connections are all closed.
    func remove(_ link: TCPProxyLink) {
        _ = connections.withLock { $0.links.removeValue(forKey: ObjectIdentifier(link)) }
    }
}

/// One proxied connection: the client's and, once connected, the target's channel.
private final class TCPProxyLink: Sendable {
    /// Set by ``TCPProxy/cut()`` (or at accept while cut): forward nothing more, never again.
    let severed = Atomic<Bool>(false)
    /// The open channels; `nil` once all are closed, and then no channel can join.
    private let channels = Mutex<[any Channel]?>([])
    private let owner: TCPProxyState

    init(owner: TCPProxyState) { self.owner = owner }

    /// Adds a channel, removed again when it closes; `false` if the link is already closed.
    func attach(_ channel: any Channel) -> Bool {
        let added = channels.withLock { channels in
            guard channels != nil else { return false }
            channels?.append(channel)
            return true
        }
        if added { channel.closeFuture.whenComplete { [self] _ in detach(channel) } }
        return added
    }

    private func detach(_ channel: any Channel) {
        let done = channels.withLock { channels in
            channels?.removeAll { $0 === channel }
            guard channels?.isEmpty == true else { return false }
            channels = nil
            return true
        }
        if done { owner.remove(self) }
    }

    /// Closes every channel of the link.
    func close() {
        for channel in channels.withLock({ $0 ?? [] }) { channel.close(promise: nil) }
    }

    /// Closes every channel of the link and waits until they are closed.
    func closeAndWait() async {
        let open = channels.withLock { $0 ?? [] }
        for channel in open { channel.close(promise: nil) }
        for channel in open { try? await channel.closeFuture.get() }
    }
}

/// Connects to the target once an accepted connection is active (not before: a connection to 127.0.0.1 may complete
/// at once), then passes everything on to the glue.
private final class TCPProxyConnector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let link: TCPProxyLink
    private let owner: TCPProxyState

    init(link: TCPProxyLink, owner: TCPProxyState) {
        self.link = link
        self.owner = owner
    }

    func channelActive(context: ChannelHandlerContext) {
        owner.connect(context.channel, link: link)
        context.fireChannelActive()
    }
}

/// Reads and drops what arrives on a connection accepted while cut.
private final class TCPProxySink: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

/// One side of a proxied connection, glued to the other side's handler (both on the same event loop): what one
/// side reads, the other writes, reading only while the other side can write; nothing once the link is severed.
private final class TCPProxyGlue {
    private let link: TCPProxyLink
    private let owner: TCPProxyState
    private var partner: TCPProxyGlue?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    private init(link: TCPProxyLink, owner: TCPProxyState) {
        self.link = link
        self.owner = owner
    }

    /// Two handlers glued to each other.
    static func pair(link: TCPProxyLink, owner: TCPProxyState) -> (TCPProxyGlue, TCPProxyGlue) {
        let first = TCPProxyGlue(link: link, owner: owner)
        let second = TCPProxyGlue(link: link, owner: owner)
        first.partner = second
        second.partner = first
        return (first, second)
    }

    private var severed: Bool { link.severed.load(ordering: .relaxed) }

    private func write(_ buffer: ByteBuffer) {
        guard let context else { return }
        owner.bytesForwarded.add(buffer.readableBytes, ordering: .relaxed)
        context.write(NIOAny(buffer), promise: nil)
    }

    private func flush() { context?.flush() }

    private func closeFromPartner() { context?.close(promise: nil) }

    private func partnerBecameWritable() {
        guard pendingRead else { return }
        pendingRead = false
        context?.read()
    }

    private var isWritable: Bool { context?.channel.isWritable ?? false }
}

extension TCPProxyGlue: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !severed else { return }
        partner?.write(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !severed else { return }
        partner?.flush()
    }

    /// One side closed: close the other, unless severed (a partition passes no close either; heal closes both).
    func channelInactive(context: ChannelHandlerContext) {
        guard !severed else { return }
        partner?.closeFromPartner()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

    func read(context: ChannelHandlerContext) {
        if severed || partner?.isWritable == true {
            context.read()
        } else {
            pendingRead = true
        }
    }
}
