import AsyncHTTPClient
import Foundation
import FracttalSimulator
import Glibc
import RotordTestKit
import Testing

/// RotordTestKit's ``TCPProxy`` in front of an in-process Fracttal simulator, driven with plain sockets so that
/// silence (a partition) is told apart from a close or a reset.
@Suite(.timeLimit(.minutes(1)))
struct TCPProxyTests {
    /// A request the simulator answers (404) without changing anything.
    static let request = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    /// How long a cut proxy must stay silent.
    static let silence: Duration = .milliseconds(500)
    /// The bound on every wait for something that should happen: generous, since a loaded machine (every suite
    /// starting at once on 2 cores) has taken over 5 s to answer; only the silences above are measured.
    static let patience: Duration = .seconds(30)

    @Test func forwardsBothWaysAndCounts() async throws {
        try await withProxy { simulator, proxy in
            #expect(proxy.connectionsAccepted == 0 && proxy.bytesForwarded == 0)
            #expect(proxy.url == "http://127.0.0.1:\(proxy.port)")
            let client = try RawClient(port: proxy.port)
            defer { client.close() }
            try client.send(Self.request)
            let first = try await client.response(within: Self.patience)
            try client.send(Self.request)
            let second = try await client.response(within: Self.patience)
            #expect(first.hasPrefix("HTTP/1.1 404") && second.hasPrefix("HTTP/1.1 404"), "\(first)")
            #expect(proxy.connectionsAccepted == 1)
            #expect(proxy.bytesForwarded == 2 * Self.request.utf8.count + first.utf8.count + second.utf8.count)

            let answer = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "\(proxy.url)/ping"), timeout: .seconds(30))
            #expect(answer.status == .notFound)
            #expect(proxy.connectionsAccepted == 2)
            #expect(await simulator.statistics().requests == 3)
        }
    }

    @Test func urlKeepsTheTargetsScheme() async throws {
        let proxy = try await TCPProxy.start(to: "https://127.0.0.1:9/ignored")
        #expect(proxy.url == "https://127.0.0.1:\(proxy.port)")
        await proxy.stop()
        await #expect(throws: TCPProxy.Failure.self) { try await TCPProxy.start(to: "127.0.0.1") }
    }

    @Test func cutBlackholesOpenAndNewConnectionsUntilHealed() async throws {
        try await withProxy { simulator, proxy in
            let open = try RawClient(port: proxy.port)
            defer { open.close() }
            try open.send(Self.request)
            #expect(try await open.response(within: Self.patience).hasPrefix("HTTP/1.1 404"))

            proxy.cut()
            #expect(proxy.isCut)
            let forwarded = proxy.bytesForwarded
            try open.send(Self.request)
            #expect(
                await open.receive(within: Self.silence) == .silent, "an open connection hears nothing, and stays open")
            let late = try RawClient(port: proxy.port)
            defer { late.close() }
            try late.send(Self.request)
            #expect(
                await late.receive(within: Self.silence) == .silent, "a new connection is accepted, then hears nothing")
            await #expect(throws: (any Error).self, "an HTTP client times out") {
                _ = try await HTTPClient.shared.execute(
                    HTTPClientRequest(url: "\(proxy.url)/ping"), timeout: .milliseconds(500))
            }
            #expect(try await eventually { proxy.connectionsAccepted == 3 })
            #expect(proxy.bytesForwarded == forwarded, "nothing forwarded while cut")
            #expect(await simulator.statistics().requests == 1, "the target received nothing while cut")

            proxy.heal()
            #expect(!proxy.isCut)
            #expect(await open.receive(within: Self.patience).isClose, "connections open while cut are closed at heal")
            #expect(await late.receive(within: Self.patience).isClose)
            let healed = try RawClient(port: proxy.port)
            defer { healed.close() }
            try healed.send(Self.request)
            #expect(try await healed.response(within: Self.patience).hasPrefix("HTTP/1.1 404"))
            #expect(await simulator.statistics().requests == 2)
            #expect(proxy.bytesForwarded > forwarded)
        }
    }

    @Test func refuseClosesConnectionsUntilHealed() async throws {
        try await withProxy { simulator, proxy in
            let open = try RawClient(port: proxy.port)
            defer { open.close() }
            try open.send(Self.request)
            #expect(try await open.response(within: Self.patience).hasPrefix("HTTP/1.1 404"))

            proxy.refuse()
            #expect(!proxy.isCut)
            #expect(await open.receive(within: Self.patience).isClose, "open connections are closed")
            let refused = try? RawClient(port: proxy.port)
            defer { refused?.close() }
            if let refused {
                try? refused.send(Self.request)
                #expect(await refused.receive(within: Self.patience).isClose, "a new connection is closed at once")
            }
            #expect(await simulator.statistics().requests == 1)

            proxy.heal()
            let healed = try RawClient(port: proxy.port)
            defer { healed.close() }
            try healed.send(Self.request)
            #expect(try await healed.response(within: Self.patience).hasPrefix("HTTP/1.1 404"))
        }
    }

    @Test func stopClosesEverythingAndFreesThePort() async throws {
        try await withProxy { _, proxy in
            let open = try RawClient(port: proxy.port)
            defer { open.close() }
            try open.send(Self.request)
            #expect(try await open.response(within: Self.patience).hasPrefix("HTTP/1.1 404"))
            proxy.cut()

            await proxy.stop()
            await proxy.stop()
            #expect(await open.receive(within: Self.patience).isClose, "stop closes cut connections too")
            #expect(throws: RawClient.Failure.self, "nothing listens any more") {
                try RawClient(port: proxy.port).close()
            }
            #expect(RawClient.canListen(on: proxy.port), "the port is free again")
        }
    }

    /// Runs `body` with a simulator and a proxy in front of it, and stops both whatever happens.
    func withProxy(_ body: (FracttalSimulator, TCPProxy) async throws -> Void) async throws {
        let simulator = FracttalSimulator(seed: SimulatorSeed(permissionGroups: [], consumers: []))
        let port = try await simulator.start()
        let proxy: TCPProxy
        do {
            proxy = try await TCPProxy.start(to: "127.0.0.1:\(port)")
        } catch {
            await simulator.stop()
            throw error
        }
        do {
            try await body(simulator, proxy)
        } catch {
            await proxy.stop()
            await simulator.stop()
            throw error
        }
        await proxy.stop()
        await simulator.stop()
    }

    /// Polls `condition` until it holds or ``patience`` has passed.
    func eventually(_ condition: () async -> Bool) async throws -> Bool {
        let end = ContinuousClock.now.advanced(by: Self.patience)
        while ContinuousClock.now < end {
            if await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return await condition()
    }
}

extension TCPProxyTests {
    /// A blocking TCP client socket to 127.0.0.1, read with a timeout.
    struct RawClient {
        struct Failure: Error, CustomStringConvertible {
            var description: String
        }

        /// What one read saw.
        enum Received: Equatable {
            case bytes(String)
            case closed
            case reset
            case silent
            case failed(Int32)

            /// A close or a reset.
            var isClose: Bool { self == .closed || self == .reset }
        }

        let fd: Int32

        /// Connects to `127.0.0.1:port`.
        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
            var address = Self.loopback(port: port)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard connected else {
                let reason = String(cString: strerror(errno))
                Glibc.close(fd)
                throw Failure(description: "connect 127.0.0.1:\(port): \(reason)")
            }
        }

        func close() { Glibc.close(fd) }

        /// Writes all of `text`.
        func send(_ text: String) throws {
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard written > 0 else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
                bytes = bytes.dropFirst(written)
            }
        }

        /// One read, waiting at most `timeout`; polls, so as not to block a thread of the concurrency pool (which the
        /// simulator answers on).
        func receive(within timeout: Duration) async -> Received {
            let end = ContinuousClock.now.advanced(by: timeout)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                let code = errno
                if count > 0 { return .bytes(String(decoding: buffer[..<count], as: UTF8.self)) }
                if count == 0 { return .closed }
                switch code {
                case EAGAIN, EWOULDBLOCK:
                    guard ContinuousClock.now < end else { return .silent }
                    try? await Task.sleep(for: .milliseconds(10))
                case ECONNRESET: return .reset
                default: return .failed(code)
                }
            }
        }

        /// Reads one whole HTTP response (headers and a `Content-Length` body) within `timeout`.
        func response(within timeout: Duration) async throws -> String {
            let end = ContinuousClock.now.advanced(by: timeout)
            var text = ""
            while true {
                if let headerEnd = text.range(of: "\r\n\r\n") {
                    let length =
                        text[..<headerEnd.lowerBound].split(separator: "\r\n").lazy
                        .compactMap { line -> Int? in
                            let parts = line.split(separator: ":", maxSplits: 1)
                            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                            return Int(parts[1].trimmingCharacters(in: .whitespaces))
                        }.first ?? 0
                    if text[headerEnd.upperBound...].utf8.count >= length { return text }
                }
                let left = end - ContinuousClock.now
                guard left > .zero else { throw Failure(description: "no whole response in \(timeout): \(text)") }
                switch await receive(within: left) {
                case .bytes(let more): text += more
                case let other: throw Failure(description: "\(other) after \(text.utf8.count) bytes: \(text)")
                }
            }
        }

        /// Whether a listener can bind `127.0.0.1:port` (with SO_REUSEADDR, as servers do).
        static func canListen(on port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return false }
            defer { Glibc.close(fd) }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var address = loopback(port: port)
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 && listen(fd, 1) == 0
                }
            }
        }

        static func loopback(port: Int) -> sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            return address
        }
    }
}
