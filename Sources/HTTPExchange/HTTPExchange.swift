import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// One HTTP request and its whole answer within a bound of real time, on AsyncHTTPClient, and how its failures read:
/// shared by the Fracttal client and the etcd client.
public enum HTTPExchange {
    /// The status, headers and whole body of one answer.
    public struct Answer: Sendable {
        /// The answer's status.
        public var status: HTTPResponseStatus
        /// The answer's headers.
        public var headers: HTTPHeaders
        /// The whole body.
        public var body: ByteBuffer
    }

    /// The exchange's time ran out before the whole body arrived.
    public struct TimedOut: Error {
        /// Creates the error.
        public init() {}
    }

    /// Sends `request` and reads the whole answer (head and body, at most `maximumBytes`) within `timeout` of real
    /// time, or throws ``TimedOut``.
    ///
    /// AsyncHTTPClient's deadline (`execute(_:deadline:)`) bounds the connection and the head only: it is cancelled
    /// once the head arrives, and its read timeout restarts at every byte, so a body trickled a byte a second, or
    /// never ended, would hold the request for ever. The body is therefore collected in a task that races a timer on
    /// the same deadline; the loser is cancelled (a cancelled body stream makes AsyncHTTPClient close the
    /// connection). The timer runs on `ContinuousClock`: it bounds the network, which moves in real time.
    public static func exchange(
        _ request: HTTPClientRequest, on http: HTTPClient, within timeout: Duration, maximumBytes: Int
    ) async throws -> Answer {
        let end = ContinuousClock.now.advanced(by: timeout)
        let deadline = NIODeadline.now() + timeAmount(timeout)
        return try await withThrowingTaskGroup(of: Answer?.self) { group in
            group.addTask {
                let response = try await http.execute(request, deadline: deadline)
                let body = try await response.body.collect(upTo: maximumBytes)
                return Answer(status: response.status, headers: response.headers, body: body)
            }
            group.addTask {
                try await Task.sleep(until: end, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let answer = first else { throw TimedOut() }
            return answer
        }
    }

    /// `duration` as NIO's nanoseconds, saturating at `Int64.max` nanoseconds (about 292 years) instead of trapping.
    public static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .nanoseconds(seconds < 0 ? .min : .max) }
        let (total, overflowAdding) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflowAdding { return .nanoseconds(seconds < 0 ? .min : .max) }
        return .nanoseconds(total)
    }

    /// Whether the error is a timeout: ``TimedOut`` or one of AsyncHTTPClient's own (connecting, the deadline, a read).
    public static func isTimeout(_ error: any Error) -> Bool {
        if error is TimedOut { return true }
        guard let e = error as? HTTPClientError else { return false }
        return e == .connectTimeout || e == .deadlineExceeded || e == .readTimeout
    }

    /// Whether the request certainly never reached the server: no connection could be made, or the request was
    /// unusable.
    public static func neverSent(_ error: any Error) -> Bool {
        if let e = error as? HTTPClientError {
            return e == .connectTimeout || e == .getConnectionFromPoolTimeout || e == .invalidURL
                || e == .emptyHost || e == .emptyScheme || e == .alreadyShutdown
        }
        if error is NIOConnectionError { return true }
        if let e = error as? IOError, e.errnoCode == ECONNREFUSED { return true }
        if let e = error as? ChannelError, case .connectTimeout = e { return true }
        return false
    }

    /// A short description of a transport error, for messages.
    public static func describe(_ error: any Error) -> String {
        if error is TimedOut { return "no whole answer in time" }
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout: return "timed out connecting"
            case .deadlineExceeded, .readTimeout: return "timed out waiting for the answer"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return "HTTP client error: \(e)"
            }
        }
        if error is NIOConnectionError { return "could not connect" }
        if let e = error as? IOError { return "I/O error: \(e)" }
        return "\(error)"
    }
}
