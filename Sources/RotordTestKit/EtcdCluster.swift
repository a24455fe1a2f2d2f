import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// A real etcd cluster for the fleet tests: Debian's `etcd` (package `etcd-server`, which scripts/setup.sh installs)
/// started as child processes by pid on 127.0.0.1, with ports picked at random (never the package's 2379/2380),
/// data directories on tmpfs (`/dev/shm/rotord-etcd-…`), a static `--initial-cluster` bootstrap and short heartbeat
/// and election timeouts.
///
/// One cluster per suite; a suite that starts one is `.serialized` and calls ``stop()`` in a `defer`, which kills
/// every member by pid (SIGTERM, then SIGKILL after ``stopGrace``), reaps it and removes the data directories. A
/// cluster left behind by a test process that died is removed by the next ``start(size:tls:arguments:partitionable:)``.
///
/// With `tls: true` the members serve clients over TLS only (`https://` client URLs, `--client-cert-auth`): a
/// throw-away CA, a server certificate for 127.0.0.1 and a client certificate are made with `openssl` in the
/// cluster's folder (``tls``); the members talk to each other over plain HTTP, and each answers `/health` over plain
/// HTTP on a metrics URL (``Member/healthURL``).
///
/// With `partitionable: true` each member runs in a network namespace of its own, linked to the others through a
/// bridge in a "hub" namespace (every address inside those namespaces, none on the machine's interfaces), and clients
/// reach it through a ``TCPProxy`` on 127.0.0.1 that connects inside: ``partition(member:)`` then cuts a live member
/// from its peers while its clients still reach it, as a real network partition does.
public final class EtcdCluster: Sendable {
    /// etcd is not installed, or a member did not become healthy in time.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong and what to do.
        public var description: String
    }

    /// One member: its name, URLs and data directory.
    public struct Member: Sendable {
        /// `m0`, `m1`, …
        public var name: String
        /// `http://127.0.0.1:PORT` (`https://` with TLS), where clients (and the JSON gateway) answer.
        public var clientURL: String
        /// `http://127.0.0.1:PORT`, where the members talk to each other.
        public var peerURL: String
        /// The member's data directory (on tmpfs).
        public var dataDirectory: String
        /// Where the member listens for clients: ``clientURL``, or in a partitionable cluster an address of its own
        /// namespace's loopback that ``clientURL``'s proxy connects to.
        public var listenClientURL: String
        /// The member's network namespace in a partitionable cluster, else `nil`.
        public var namespace: NetworkNamespace?
        /// Where `/health` answers over plain HTTP: ``clientURL``, or with TLS the member's metrics URL
        /// (`--listen-metrics-urls http://127.0.0.1:PORT`).
        public var healthURL: String
    }

    /// The PEM files of a cluster started with TLS, in its folder's `tls` directory (removed by ``stop()``).
    public struct TLSFiles: Sendable {
        /// The throw-away CA that signed the server and client certificates (the members' `--trusted-ca-file`).
        public var caFile: String
        /// The members' server certificate, subjectAltName `IP:127.0.0.1`, usable for serverAuth and clientAuth
        /// (the members' JSON gateway presents it to their own gRPC server).
        public var serverCertFile: String
        /// The server certificate's key.
        public var serverKeyFile: String
        /// A client certificate signed by ``caFile``, without a CN (subject `O=rotord test client`): with etcd auth
        /// on, the JSON gateway refuses a client certificate that has one.
        public var clientCertFile: String
        /// The client certificate's key (unencrypted).
        public var clientKeyFile: String
        /// Another throw-away CA that signed nothing of the cluster's: a client trusting it rejects the members.
        public var otherCAFile: String
    }

    /// The heartbeat interval, in milliseconds (etcd's default is 100).
    public static let heartbeatMilliseconds = 50
    /// The election timeout, in milliseconds (etcd's default is 1000).
    public static let electionMilliseconds = 500
    /// How long ``start(size:tls:arguments:partitionable:)`` and ``restart(member:)`` wait for `/health` to answer `{"health":"true"}`.
    public static let healthTimeout: Duration = .seconds(60)
    /// How long one `/health` request may take.
    static let healthRequestTimeout: TimeAmount = .seconds(1)
    /// How long a member may take to exit after SIGTERM before it gets SIGKILL.
    public static let stopGrace: Duration = .seconds(5)
    /// The pause between two polls (health, exit).
    static let pollInterval: Duration = .milliseconds(50)
    /// Where the data directories go: tmpfs.
    static let root = "/dev/shm"
    static let directoryPrefix = "rotord-etcd-"

    /// The members, in the order of ``clientURLs``.
    public let members: [Member]
    /// The folder holding every member's data directory and the members' logs; its name holds the owner's pid.
    public let directory: String
    /// The certificates and keys when the cluster serves clients over TLS, else `nil`.
    public let tls: TLSFiles?
    /// The namespaces and client proxies of a partitionable cluster, else `nil`.
    let network: Network?
    private let pids: Mutex<[Int32?]>
    /// Added to every member's command line.
    private let extraArguments: [String]

    /// Every member's client URL.
    public var clientURLs: [String] { members.map(\.clientURL) }

    private init(
        members: [Member], directory: String, tls: TLSFiles?, extraArguments: [String], network: Network? = nil
    ) {
        self.members = members
        self.directory = directory
        self.tls = tls
        self.network = network
        self.extraArguments = extraArguments
        self.pids = Mutex(Array(repeating: nil, count: members.count))
    }

    /// The path of `etcd`, or a failure saying to run scripts/setup.sh.
    public static func locate() throws(Failure) -> String {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        if let path = folders.map({ "\($0)/etcd" }).first(where: FileManager.default.isExecutableFile(atPath:)) {
            return path
        }
        throw Failure(description: "etcd is not on PATH: run scripts/setup.sh (it installs Debian's etcd-server)")
    }

    /// Starts `size` members and waits until each answers `/health`; on failure stops what it started. With `tls`,
    /// the members serve clients over TLS and require a client certificate (``tls``). `arguments` are added to each
    /// member's command line (e.g. `--auth-token-ttl 2`). With `partitionable`, each member runs in its own network
    /// namespace (``partition(member:)``); it cannot be combined with `tls`.
    public static func start(
        size: Int = 3, tls: Bool = false, arguments: [String] = [], partitionable: Bool = false
    ) async throws -> EtcdCluster {
        removeAbandoned()
        if partitionable {
            guard !tls else { throw Failure(description: "a partitionable cluster serves plain HTTP only") }
            return try await startPartitionable(size: size, arguments: arguments)
        }
        let (_, directory) = try makeDirectory()
        let files: TLSFiles?
        do { files = tls ? try makeCertificates(in: "\(directory)/tls") : nil } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let perMember = tls ? 3 : 2
        let ports = try freePorts(perMember * size)
        let members = (0..<size).map { index in
            let client = "\(tls ? "https" : "http")://127.0.0.1:\(ports[perMember * index])"
            return Member(
                name: "m\(index)", clientURL: client, peerURL: "http://127.0.0.1:\(ports[perMember * index + 1])",
                dataDirectory: "\(directory)/m\(index)", listenClientURL: client,
                healthURL: tls ? "http://127.0.0.1:\(ports[perMember * index + 2])" : client)
        }
        return try await EtcdCluster(members: members, directory: directory, tls: files, extraArguments: arguments)
            .spawnAll()
    }

    /// Starts every member and waits until each is healthy; on failure stops the cluster.
    func spawnAll() async throws -> EtcdCluster {
        do {
            for index in members.indices { try spawn(index) }
            for index in members.indices { try await waitHealthy(index) }
        } catch {
            await stop()
            throw error
        }
        return self
    }

    /// Makes a new cluster's folder on tmpfs, `rotord-etcd-PID-RANDOM` (the pid tells ``removeAbandoned()`` whose it
    /// is); returns its name and path.
    private static func makeDirectory() throws -> (name: String, path: String) {
        let name = "\(directoryPrefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: "\(root)/\(name)", withIntermediateDirectories: true)
        return (name, "\(root)/\(name)")
    }

    /// Makes a partitionable cluster's folder, namespaces and proxies (``Network``) and starts its members.
    private static func startPartitionable(size: Int, arguments: [String]) async throws -> EtcdCluster {
        let (name, directory) = try makeDirectory()
        let network: Network
        do { network = try await Network.make(name: name, size: size) } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let members = (0..<size).map { index in
            Member(
                name: "m\(index)", clientURL: network.proxies[index].url,
                peerURL: "http://\(Network.address(index)):\(Network.peerPort)",
                dataDirectory: "\(directory)/m\(index)",
                listenClientURL: "http://127.0.0.1:\(Network.clientPort)", namespace: network.members[index],
                healthURL: network.proxies[index].url)
        }
        return try await EtcdCluster(
            members: members, directory: directory, tls: nil, extraArguments: arguments, network: network
        ).spawnAll()
    }

    /// Kills every member (SIGTERM, then SIGKILL), reaps them and removes the data directories.
    public func stop() async {
        for index in members.indices { await stop(member: index, signal: SIGTERM) }
        await network?.remove()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Kills one member with SIGKILL (a crash) and reaps it; its data directory stays for ``restart(member:)``.
    public func kill(member index: Int) async { await stop(member: index, signal: SIGKILL) }

    /// Starts a member again on its data directory and ports, and waits until it is healthy.
    public func restart(member index: Int) async throws {
        await stop(member: index, signal: SIGTERM)
        try spawn(index)
        try await waitHealthy(index)
    }

    /// The pid of a running member, or `nil`.
    public func pid(member index: Int) -> Int32? { pids.withLock { $0[index] } }

    /// Sends `signal` to the member, waits ``stopGrace`` for it to exit, then SIGKILL; reaps it.
    private func stop(member index: Int, signal: Int32) async {
        guard let pid = pids.withLock({ $0[index] }) else { return }
        Foundation.kill(pid, signal)
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: Self.stopGrace)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if clock.now >= end {
                Foundation.kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                break
            }
            try? await Task.sleep(for: Self.pollInterval)
        }
        pids.withLock { $0[index] = nil }
    }

    private func spawn(_ index: Int) throws {
        let etcd = try Self.locate()
        let member = members[index]
        let initial = members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
        var arguments = [
            etcd, "--name", member.name, "--data-dir", member.dataDirectory,
            "--listen-client-urls", member.listenClientURL, "--advertise-client-urls", member.clientURL,
            "--listen-peer-urls", member.peerURL, "--initial-advertise-peer-urls", member.peerURL,
            "--initial-cluster", initial, "--initial-cluster-state", "new",
            "--initial-cluster-token", URL(fileURLWithPath: directory).lastPathComponent,
            "--heartbeat-interval", "\(Self.heartbeatMilliseconds)",
            "--election-timeout", "\(Self.electionMilliseconds)",
            "--logger", "zap", "--log-level", "warn",
        ]
        if let tls {
            arguments += [
                "--cert-file", tls.serverCertFile, "--key-file", tls.serverKeyFile, "--trusted-ca-file", tls.caFile,
                "--client-cert-auth", "--listen-metrics-urls", member.healthURL,
            ]
        }
        arguments += extraArguments
        let executable: String
        if let namespace = member.namespace {
            arguments = try namespace.exec(arguments)
            executable = arguments[0]
        } else {
            executable = etcd
        }
        let log = "\(directory)/\(member.name).log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environment: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/bin:/bin"), nil]
        defer { environment.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environment)
        guard result == 0 else {
            throw Failure(
                description: "could not start \(etcd) for \(member.name): \(String(cString: strerror(result)))")
        }
        pids.withLock { $0[index] = pid }
    }

    /// Polls `/health` of one member until it answers `{"health":"true"}`, for at most ``healthTimeout``.
    private func waitHealthy(_ index: Int) async throws {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: Self.healthTimeout)
        var last = "no answer"
        while clock.now < end {
            var status: Int32 = 0
            if let pid = pid(member: index), waitpid(pid, &status, WNOHANG) == pid {
                pids.withLock { $0[index] = nil }
                throw Failure(description: "etcd \(members[index].name) exited (\(status)); see \(directory)")
            }
            do {
                let request = HTTPClientRequest(url: "\(members[index].healthURL)/health")
                let response = try await HTTPClient.shared.execute(request, timeout: Self.healthRequestTimeout)
                let body = String(buffer: try await response.body.collect(upTo: 4096))
                if body.contains(#""health":"true""#) { return }
                last = body
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: Self.pollInterval)
        }
        throw Failure(description: "etcd \(members[index].name) not healthy after \(Self.healthTimeout): \(last)")
    }

    /// Makes the throw-away CAs and certificates of ``TLSFiles`` with `openssl` in `folder` (EC P-256 keys, valid
    /// for two days).
    static func makeCertificates(in folder: String) throws -> TLSFiles {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let files = TLSFiles(
            caFile: "\(folder)/ca.pem", serverCertFile: "\(folder)/server.pem", serverKeyFile: "\(folder)/server.key",
            clientCertFile: "\(folder)/client.pem", clientKeyFile: "\(folder)/client.key",
            otherCAFile: "\(folder)/other-ca.pem")
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for (name, subject) in [("ca", "/O=rotord test CA"), ("other-ca", "/O=rotord test other CA")] {
            try openssl(
                ["req", "-x509", "-new"] + key + [
                    "-keyout", "\(folder)/\(name).key", "-out", "\(folder)/\(name).pem", "-days", "2", "-subj", subject,
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                ])
        }
        let signed = [
            ("server", "/O=rotord test etcd", "extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1\n"),
            ("client", "/O=rotord test client", "extendedKeyUsage=clientAuth\n"),
        ]
        for (serial, (name, subject, extensions)) in signed.enumerated() {
            let extensionFile = "\(folder)/\(name).ext"
            try ("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n" + extensions)
                .write(toFile: extensionFile, atomically: true, encoding: .utf8)
            try openssl(
                ["req", "-new"] + key + [
                    "-keyout", "\(folder)/\(name).key", "-out", "\(folder)/\(name).csr", "-subj", subject,
                ])
            try openssl([
                "x509", "-req", "-in", "\(folder)/\(name).csr", "-CA", files.caFile, "-CAkey", "\(folder)/ca.key",
                "-set_serial", "\(serial + 2)", "-days", "2", "-extfile", extensionFile, "-out",
                "\(folder)/\(name).pem",
            ])
        }
        return files
    }

    /// Runs `openssl` with `arguments`; a failure carries its standard error.
    static func openssl(_ arguments: [String]) throws {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        guard
            let path = folders.map({ "\($0)/openssl" }).first(where: FileManager.default.isExecutableFile(atPath:))
        else { throw Failure(description: "openssl is not on PATH: install it (Debian: openssl)") }
        let (status, errors) = try ToolRun.run(path, arguments)
        guard status == 0 else {
            throw Failure(
                description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed (\(status)): \(errors)")
        }
    }

    /// `count` TCP ports that were free on 127.0.0.1 a moment ago (bound to port 0, then closed).
    static func freePorts(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        while ports.count < count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                    bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
                }
            }
            guard bound else { throw Failure(description: "bind 127.0.0.1:0: \(String(cString: strerror(errno)))") }
            let port = Int(UInt16(bigEndian: address.sin_port))
            if port != 2379, port != 2380 { ports.append(port) }
        }
        return ports
    }

    /// Removes clusters whose test process is gone: kills the etcd processes that run on their data directories
    /// (found through `/proc/PID/cmdline`) and removes the directories.
    static func removeAbandoned() {
        defer { NetworkNamespace.removeAbandoned(prefix: directoryPrefix) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for name in names where name.hasPrefix(directoryPrefix) {
            let directory = "\(root)/\(name)"
            // The owner's pid is in the name (`rotord-etcd-PID-RANDOM`), so a cluster another suite of this process
            // is just making (its `owner` file not yet written) is never taken for an abandoned one.
            let owner = Int32(name.dropFirst(directoryPrefix.count).prefix { $0.isNumber })
            if let owner, owner == getpid() || Foundation.kill(owner, 0) == 0 { continue }
            let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            for pid in processes.compactMap(Int32.init) {
                guard let commandLine = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
                let words = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                if words.first?.hasSuffix("etcd") == true, words.contains(where: { $0.hasPrefix(directory + "/") }) {
                    Foundation.kill(pid, SIGKILL)
                }
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
