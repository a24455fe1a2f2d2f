import Foundation
import FracttalClient
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A hostile HTTP server on 127.0.0.1 that answers every request with a head announcing a body of
/// `Content-Length: 1000`, then sends the body slowly (`trickle`: a byte every 100 ms, 100 s in all)
/// or ten bytes and then nothing (`stall`: the body never ends). Plain sockets and one thread per
/// connection, so nothing of the client's event loops is shared.
final class SlowBodyServer: Sendable {
    enum Behaviour: Sendable { case trickle, stall }

    let port: Int
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)

    init(_ behaviour: Behaviour) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            while !stopped.load(ordering: .relaxed) {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }  // the listener was shut down
                Thread.detachNewThread { self.serve(connection, behaviour) }
            }
        }
    }

    /// Reads the request's head, answers the head, then misbehaves until the client goes away or
    /// the server stops.
    private func serve(_ fd: Int32, _ behaviour: Behaviour) {
        defer { close(fd) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        // The head ends at the first blank line; the request's body may come in the same read.
        while !String(decoding: received, as: UTF8.self).contains("\r\n\r\n") {
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { return }
            received += buffer[0..<n]
        }
        guard Self.sendText(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        else {
            return
        }
        let bytes = behaviour == .stall ? 10 : 1000
        for _ in 0..<bytes {
            guard !stopped.load(ordering: .relaxed), Self.sendText(fd, " ") else { return }
            if behaviour == .trickle { usleep(100_000) }
        }
        // The body never ends: wait until the client closes the connection or the server stops
        // (reading what else the client sends, so that closing never resets the connection).
        var pending = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !stopped.load(ordering: .relaxed) {
            if poll(&pending, 1, 100) > 0, read(fd, &buffer, buffer.count) <= 0 { return }
        }
    }

    private static func sendText(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

/// `fracttal.timeout` bounds the whole exchange: connecting, the answer's head and its whole body.
/// A body trickled a byte at a time, or never ended, fails within about the timeout with a typed,
/// transient timeout error naming the operation.
@Suite(.timeLimit(.minutes(1)))
struct ExchangeTimeoutTests {
    @Test(arguments: [SlowBodyServer.Behaviour.trickle, .stall])
    func aSlowBodyTimesOutWithinTheTimeout(behaviour: SlowBodyServer.Behaviour) async throws {
        let server = try SlowBodyServer(behaviour)
        defer { server.stop() }
        let client = FracttalClient(
            configuration: FracttalClientConfiguration(
                tokenURL: "http://127.0.0.1:\(server.port)/oauth/token", apiURL: "http://127.0.0.1:\(server.port)/api",
                requestsPerMinute: 0, timeout: .seconds(1), retries: 0, operationTimeout: .seconds(5)),
            credentials: FracttalCredentials(key: "AdminKeyAdminKey18", secret: "AdminSecretAdminSecretAdminSec32"))
        let started = ContinuousClock.now
        do {
            _ = try await client.accessToken()
            Issue.record("\(behaviour): a body that does not arrive within the timeout was accepted")
        } catch {
            let elapsed = started.duration(to: .now)
            #expect(error.isTimeout, "\(behaviour): \(error)")
            #expect(error.isTransient, "\(behaviour): \(error)")
            #expect(error.description.contains("obtaining the admin token"), "\(error)")
            #expect(error.description.contains("timed out"), "\(error)")
            #expect(!error.description.contains("AdminSecret"), "\(error)")
            #expect(elapsed >= .milliseconds(900), "\(behaviour): failed after \(elapsed), before the timeout")
            // Far below the trickle's 100 s and the stall's never; loose, as a loaded machine has taken 8 s.
            #expect(elapsed < .seconds(40), "\(behaviour): failed after \(elapsed), the timeout is 1 s")
        }
    }
}
