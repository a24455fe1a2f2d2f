import AsyncHTTPClient
import HTTPExchange
import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One change a watch saw.
public struct EtcdEvent: Sendable, Equatable {
    /// A put or a delete.
    public enum Kind: Sendable, Equatable {
        /// The key was created or changed (the gateway omits the type for a put).
        case put
        /// The key was deleted (or its lease expired or was revoked).
        case delete
    }

    /// What happened.
    public var kind: Kind
    /// The key as it is after the event (for a delete: the key, its `modRevision` the delete's revision).
    public var kv: EtcdKeyValue
}

/// A watch on a key or a prefix, established (etcd answered `created`) when ``EtcdClient/watch(_:prefix:fromRevision:)``
/// returns. Iterate ``events`` for batches of events; the sequence throws an ``EtcdError`` when the stream ends
/// (its ``EtcdError/compactRevision`` set when etcd cancelled the watch for compaction: re-list, then watch from the
/// listing's revision + 1). ``cancel()`` (or dropping every iterator) closes the connection.
public struct EtcdWatch: Sendable {
    /// The batches of events, each from one watch response, in revision order.
    public let events: AsyncThrowingStream<[EtcdEvent], any Error>
    /// The endpoint the watch is connected to.
    public let endpoint: String
    private let task: Task<Void, Never>

    init(events: AsyncThrowingStream<[EtcdEvent], any Error>, endpoint: String, task: Task<Void, Never>) {
        self.events = events
        self.endpoint = endpoint
        self.task = task
    }

    /// Closes the watch.
    public func cancel() { task.cancel() }
}

extension EtcdClient {
    /// Watches `key` (every key under it when `prefix`), from `fromRevision` when given (else from the next change),
    /// and returns once etcd confirmed the watch. Tries each endpoint in turn until one confirms within the request
    /// timeout. The request carries `Grpc-Metadata-hasleader: true`, so a member cut off from the cluster's leader
    /// ends the watch instead of keeping it silently open.
    public func watch(_ key: String, prefix: Bool = false, fromRevision: Int64? = nil) async throws(EtcdError)
        -> EtcdWatch
    {
        // etcd cancels a watch whose token expired, so nothing is left open when it is sent again.
        try await loggingInAgainIfExpired { () async throws(EtcdError) -> EtcdWatch in
            try await watchOnce(key, prefix: prefix, fromRevision: fromRevision)
        }
    }

    private func watchOnce(_ key: String, prefix: Bool, fromRevision: Int64?) async throws(EtcdError) -> EtcdWatch {
        let operation = "watch \(key)\(prefix ? "*" : "")"
        let request = EtcdWire.WatchRequest(
            createRequest: .init(
                key: EtcdWire.base64(key),
                rangeEnd: prefix ? EtcdWire.base64(EtcdWire.prefixEnd(key)) : nil,
                startRevision: fromRevision.map { .init($0) }))
        let payload: Data
        do { payload = try JSONEncoder().encode(request) } catch {
            throw .malformed(
                "could not encode the request: \(error)", write: false, operation: operation, endpoint: "-")
        }
        var failures: [String] = []
        let authorization = try await self.authorization()
        let endpoints = configuration.endpoints
        let start = endpoints.firstIndex(of: currentEndpoint) ?? 0
        for step in 0..<endpoints.count {
            let endpoint = endpoints[(start + step) % endpoints.count]
            let (events, continuation) = AsyncThrowingStream<[EtcdEvent], any Error>.makeStream()
            let (created, confirm) = AsyncThrowingStream<Void, any Error>.makeStream()
            let task = Task {
                await Self.runWatch(
                    http: http, endpoint: endpoint, payload: payload, authorization: authorization,
                    operation: operation, timeout: configuration.requestTimeout, events: continuation,
                    created: confirm)
            }
            continuation.onTermination = { _ in task.cancel() }
            do {
                var confirmation = created.makeAsyncIterator()
                _ = try await confirmation.next()
                return EtcdWatch(events: events, endpoint: endpoint, task: task)
            } catch {
                task.cancel()
                if let error = error as? EtcdError, error.isInvalidToken { throw error }
                failures.append("\(endpoint): \(error)")
            }
        }
        throw .unavailable(failures.joined(separator: "; "), operation: operation)
    }

    /// Runs one watch stream: confirms on `created` (or fails it within `timeout`), then yields each response's
    /// events; ends `events` with an ``EtcdError`` when the stream ends, errs or is cancelled by etcd.
    private static func runWatch(
        http: HTTPClient, endpoint: String, payload: Data, authorization: String?, operation: String,
        timeout: Duration,
        events: AsyncThrowingStream<[EtcdEvent], any Error>.Continuation,
        created: AsyncThrowingStream<Void, any Error>.Continuation
    ) async {
        var confirmed = false
        let timer = Task {
            try await Task.sleep(for: timeout)
            created.finish(
                throwing: EtcdError.timedOut(after: timeout, write: false, operation: operation, endpoint: endpoint))
        }
        defer { timer.cancel() }
        func end(_ error: EtcdError) {
            created.finish(throwing: error)
            events.finish(throwing: error)
        }
        var request = HTTPClientRequest(url: endpoint + "/v3/watch")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Grpc-Metadata-hasleader", value: "true")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.body = .bytes(ByteBuffer(bytes: payload))
        do {
            let response = try await http.execute(request, deadline: .now() + HTTPExchange.timeAmount(timeout))
            guard response.status == .ok else {
                let body = try await response.body.collect(upTo: maximumLineBytes)
                let (grpcCode, message) = errorDetails(body)
                end(
                    .http(
                        status: Int(response.status.code), grpcCode: grpcCode, message: message, write: false,
                        operation: operation, endpoint: endpoint))
                return
            }
            /// Handles one line of the stream; `true` when the watch ended.
            func handle(_ line: [UInt8]) throws -> Bool {
                if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { return false }
                let message = try decoder.decode(EtcdWire.StreamLine<EtcdWire.WatchResponse>.self, from: Data(line))
                if let error = message.error {
                    end(
                        .http(
                            status: error.httpCode ?? 500, grpcCode: error.grpcCode,
                            message: error.message ?? "stream error", write: false, operation: operation,
                            endpoint: endpoint))
                    return true
                }
                guard let result = message.result else { return false }
                if result.canceled == true {
                    if let revision = result.compactRevision?.value, revision > 0 {
                        end(.compacted(revision, operation: operation, endpoint: endpoint))
                    } else {
                        end(
                            .watchEnded(
                                result.cancelReason ?? "cancelled by etcd", operation: operation, endpoint: endpoint))
                    }
                    return true
                }
                if result.created == true, !confirmed {
                    confirmed = true
                    timer.cancel()
                    created.yield()
                    created.finish()
                }
                let batch = try (result.events ?? []).map { event in
                    EtcdEvent(kind: event.type == "DELETE" ? .delete : .put, kv: try EtcdKeyValue(event.kv ?? .init()))
                }
                if !batch.isEmpty { events.yield(batch) }
                return false
            }
            var line: [UInt8] = []
            for try await chunk in response.body {
                for byte in chunk.readableBytesView {
                    guard byte == UInt8(ascii: "\n") else {
                        line.append(byte)
                        continue
                    }
                    defer { line.removeAll(keepingCapacity: true) }
                    if try handle(line) { return }
                }
                if line.count > maximumLineBytes {
                    end(
                        .malformed(
                            "a watch line over \(maximumLineBytes) bytes", write: false, operation: operation,
                            endpoint: endpoint))
                    return
                }
            }
            // The gateway writes a stream's final error (`{"error": …}`, e.g. "no leader") without a newline.
            if try handle(line) { return }
            end(.watchEnded("the stream closed", operation: operation, endpoint: endpoint))
        } catch {
            end(.watchEnded(HTTPExchange.describe(error), operation: operation, endpoint: endpoint))
        }
    }
}
