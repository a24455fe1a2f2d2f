import Foundation
import Glibc

/// A stand-in for systemd's notification socket: an AF_UNIX datagram socket that records what a
/// process sends with `sd_notify`. Point `NOTIFY_SOCKET` at ``path``.
///
/// Every receive has a timeout, so a message that never comes fails a test instead of hanging it.
/// Read it regularly: a full queue blocks the sender (libsystemd sends blocking datagrams).
public final class FakeNotifySocket: @unchecked Sendable {
    /// The socket's path (in `/var/tmp`, so it outlives nothing and collides with nothing).
    public let path: String
    private let fd: Int32
    /// Every message received so far, oldest first.
    public private(set) var messages: [String] = []

    /// Binds a fresh socket.
    public init() throws {
        path = "/var/tmp/rotord-notify-\(UUID().uuidString.prefix(8)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard fd >= 0, bound == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
    }

    /// The next message, or `nil` after `timeout` seconds.
    public func receive(timeout: Double) -> String? {
        let whole = Int(timeout)
        var t = timeval(tv_sec: whole, tv_usec: Int((timeout - Double(whole)) * 1_000_000))
        if whole == 0 && t.tv_usec == 0 { t.tv_usec = 1_000 }
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let message = String(decoding: buffer[0..<n], as: UTF8.self)
        messages.append(message)
        return message
    }

    /// Reads until a message contains `text`; that message and the seconds it took, or `nil`.
    public func wait(for text: String, timeout: Double = 20) -> (message: String, seconds: Double)? {
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<100_000 {
            let elapsed = start.duration(to: clock.now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            guard seconds < timeout else { return nil }
            if let message = receive(timeout: min(0.2, timeout - seconds)), message.contains(text) {
                let total = start.duration(to: clock.now)
                return (message, Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18)
            }
        }
        return nil
    }

    /// Closes and removes the socket.
    public func close() {
        Glibc.close(fd)
        unlink(path)
    }
}
