import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A network namespace made by a test with `ip netns add` (iproute2), for partitions that a proxy cannot express:
/// an etcd member cut from its peers while its clients still reach it (``EtcdCluster/partition(member:)``).
///
/// Every address a test uses lives inside its namespaces; nothing is added to the machine's own interfaces. A test
/// that makes one removes it (``remove()``, in a `defer` or the owner's `stop()`); namespaces left behind by a test
/// process that died are removed by ``removeAbandoned(prefix:)``, which finds them by name (the owner's pid is in it).
public struct NetworkNamespace: Sendable, Hashable {
    /// `ip` failed, or a socket could not be made inside the namespace.
    public struct Failure: Error, CustomStringConvertible {
        /// What failed, with `ip`'s standard error.
        public var description: String
    }

    /// The namespace's name (`/run/netns/NAME`).
    public let name: String

    /// Wraps an existing namespace's name.
    public init(name: String) { self.name = name }

    /// Makes a namespace called `name` with its loopback up.
    public static func add(_ name: String) throws -> NetworkNamespace {
        try ip(["netns", "add", name])
        let namespace = NetworkNamespace(name: name)
        do { try namespace.ip(["link", "set", "lo", "up"]) } catch {
            namespace.remove()
            throw error
        }
        return namespace
    }

    /// Deletes the namespace (its interfaces go with it once no process runs inside). Never throws: cleanup.
    public func remove() { try? Self.ip(["netns", "delete", name]) }

    /// Runs `ip -n NAME ARGUMENTS…`.
    public func ip(_ arguments: [String]) throws { try Self.ip(["-n", name] + arguments) }

    /// The command line that runs `command` inside the namespace (`ip netns exec NAME command…`: `ip` enters the
    /// namespace and then replaces itself with the command, so the pid spawned is the command's).
    public func exec(_ command: [String]) throws -> [String] { [try Self.locateIP(), "netns", "exec", name] + command }

    /// Removes the namespaces whose name starts with `prefix` followed by a pid that no longer runs (`PREFIX<pid>-…`).
    public static func removeAbandoned(prefix: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        for name in names where name.hasPrefix(prefix) {
            let owner = name.dropFirst(prefix.count).prefix { $0.isNumber }
            guard let pid = Int32(owner), pid != getpid(), kill(pid, 0) != 0 else { continue }
            NetworkNamespace(name: name).remove()
        }
    }

    /// A TCP socket (IPv4, close-on-exec) that belongs to the namespace: made by the calling thread after it entered
    /// the namespace (`setns`), which it leaves again before returning. A socket keeps the namespace it was made in,
    /// so a proxy in the test process can connect into a namespace while it listens outside.
    public func tcpSocket() throws -> Int32 {
        let path = "/run/netns/\(name)"
        let target = open(path, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw Failure(description: "open \(path): \(String(cString: strerror(errno)))") }
        defer { close(target) }
        let own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard own >= 0 else { throw Failure(description: "open own namespace: \(String(cString: strerror(errno)))") }
        defer { close(own) }
        let setns = try Self.setns()
        guard setns(target, Self.cloneNewNet) == 0 else {
            throw Failure(description: "setns \(name): \(String(cString: strerror(errno)))")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let made = errno
        // The thread must leave the namespace whatever happened: it is an event loop's or the test's own thread.
        guard setns(own, Self.cloneNewNet) == 0 else {
            fatalError("could not leave network namespace \(name): \(String(cString: strerror(errno)))")
        }
        guard fd >= 0 else { throw Failure(description: "socket in \(name): \(String(cString: strerror(made)))") }
        return fd
    }

    /// `CLONE_NEWNET` (sched.h), which Swift's Glibc module does not import.
    private static let cloneNewNet: Int32 = 0x4000_0000

    private typealias SetNS = @convention(c) (Int32, Int32) -> Int32

    /// glibc's `setns`, declared only under `_GNU_SOURCE`, so looked up at run time.
    private static func setns() throws -> SetNS {
        guard let symbol = dlsym(nil, "setns") else { throw Failure(description: "this libc has no setns") }
        return unsafeBitCast(symbol, to: SetNS.self)
    }

    /// The path of `ip`, or a failure saying which package provides it.
    static func locateIP() throws -> String {
        for path in ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        throw Failure(description: "ip is not installed (Debian: iproute2)")
    }

    /// Runs `ip ARGUMENTS…`; a failure carries its standard error.
    static func ip(_ arguments: [String]) throws {
        let (status, errors) = try ToolRun.run(try locateIP(), arguments)
        guard status == 0 else {
            throw Failure(description: "ip \(arguments.joined(separator: " ")) failed (\(status)): \(errors)")
        }
    }
}
