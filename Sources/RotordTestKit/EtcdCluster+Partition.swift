import Foundation

/// Partitions of one live member (issue 20's chaos run; docs/testing.md): a partitionable cluster runs each member in
/// a network namespace of its own, so a test can cut a member from its peers while its clients still reach it.
extension EtcdCluster {
    /// Cuts a live member from every other member: its port on the hub's bridge is taken off the bridge, so what it
    /// sends to its peers and what they send to it goes nowhere (silence, not resets), while clients still reach it
    /// through its proxy. The member keeps running, loses the raft leader, and answers what it can alone.
    public func partition(member index: Int) throws {
        guard let network else { throw Failure(description: "partition needs a cluster started partitionable") }
        try network.hub.ip(["link", "set", Network.port(index), "nomaster"])
    }

    /// Puts a partitioned member back on the bridge.
    public func heal(member index: Int) throws {
        guard let network else { throw Failure(description: "heal needs a cluster started partitionable") }
        try network.hub.ip(["link", "set", Network.port(index), "master", Network.bridge])
    }

    /// The namespaces and client proxies of a partitionable cluster: a hub namespace holding a bridge, one namespace
    /// per member linked to the bridge by a veth pair (`eth0` inside, ``address(_:)``), and per member a proxy on
    /// 127.0.0.1 that connects to the member's client port on its own loopback.
    struct Network: Sendable {
        /// Where each member listens for clients, on its namespace's loopback (not the package's 2379).
        static let clientPort = 12379
        /// Where each member listens for its peers, on its `eth0` (not the package's 2380).
        static let peerPort = 12380
        static let bridge = "br0"

        /// Member `index`'s address inside its namespace.
        static func address(_ index: Int) -> String { "10.213.0.\(index + 1)" }
        /// The hub's end of member `index`'s veth pair.
        static func port(_ index: Int) -> String { "v\(index)" }

        let hub: NetworkNamespace
        let members: [NetworkNamespace]
        let proxies: [TCPProxy]

        /// Makes the namespaces `NAME-hub` and `NAME-m0`… and the proxies; on failure removes what it made.
        static func make(name: String, size: Int) async throws -> Network {
            var made: [NetworkNamespace] = []
            var proxies: [TCPProxy] = []
            do {
                let hub = try NetworkNamespace.add("\(name)-hub")
                made.append(hub)
                try hub.ip(["link", "add", bridge, "type", "bridge"])
                try hub.ip(["link", "set", bridge, "up"])
                for index in 0..<size {
                    let member = try NetworkNamespace.add("\(name)-m\(index)")
                    made.append(member)
                    try hub.ip([
                        "link", "add", port(index), "type", "veth", "peer", "name", "eth0", "netns", member.name,
                    ])
                    try hub.ip(["link", "set", port(index), "master", bridge, "up"])
                    try member.ip(["addr", "add", "\(address(index))/24", "dev", "eth0"])
                    try member.ip(["link", "set", "eth0", "up"])
                    proxies.append(try await TCPProxy.start(to: "127.0.0.1:\(clientPort)", in: member))
                }
                return Network(hub: hub, members: Array(made.dropFirst()), proxies: proxies)
            } catch {
                for proxy in proxies { await proxy.stop() }
                for namespace in made.reversed() { namespace.remove() }
                throw error
            }
        }

        /// Stops the proxies and removes the namespaces (the members must have exited).
        func remove() async {
            for proxy in proxies { await proxy.stop() }
            for namespace in members { namespace.remove() }
            hub.remove()
        }
    }
}
