import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Maps HTTP requests to ``SimulatorState`` operations and answers back to HTTP.
enum SimulatorHTTP {
    static func respond(to request: Request, context: SimulatorRequestContext, state: SimulatorState) async throws
        -> Response
    {
        // The control API (when enabled) is not the contract: no latency, drops, rate limit or counters.
        if state.configuration.control && SimulatorControl.handles(request.uri.path) {
            return try await SimulatorControl.respond(to: request, state: state)
        }
        let latency = state.data.withLock { $0.faults.latency }
        if latency > 0 { try await Task.sleep(for: .milliseconds(Int(latency * 1000))) }
        var path = request.uri.path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        var query: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { query[String(k)] = String(v) }
        let authorization = request.headers[.authorization]
        let method = request.method
        var request = request
        let body = Array(buffer: try await request.collectBody(upTo: 1 << 20))

        let parts = path.split(separator: "/").map(String.init)
        let redirect = state.data.withLock { d -> String? in
            d.statistics.requests += 1
            if parts == ["oauth", "token"] { return d.faults.redirectTokenTo }
            return parts.first == "api" ? d.faults.redirectAPITo : nil
        }
        if let redirect {
            let status = state.data.withLock { $0.faults.redirectStatus }
            var headers = HTTPFields()
            headers[.location] = redirect
            return Response(status: HTTPResponse.Status(code: status), headers: headers)
        }
        let answer: SimulatorAnswer
        switch (parts.first, parts.dropFirst().first, parts.count) {
        case ("oauth", "token", 2):
            guard method == .post else { return respond(.envelope(405, success: false, message: "method not allowed")) }
            answer = state.token(authorization: authorization, form: form(body))
        case ("api", "oauth_consumers", 2):
            switch method {
            case .get: answer = state.api(authorization: authorization) { state.listConsumers(&$0, query: query) }
            case .post: answer = state.api(authorization: authorization) { state.createConsumer(&$0, body: body) }
            default: answer = .envelope(405, success: false, message: "method not allowed")
            }
        case ("api", "oauth_consumers", 3):
            guard let id = Int(parts[2]) else { return respond(.envelope(404, success: false, message: "not found")) }
            switch method {
            case .get: answer = state.api(authorization: authorization) { state.readConsumer(&$0, id: id) }
            case .delete: answer = state.api(authorization: authorization) { state.deleteConsumer(&$0, id: id) }
            default: answer = .envelope(405, success: false, message: "method not allowed")
            }
        case ("api", "permission_groups", 2):
            guard method == .get else { return respond(.envelope(405, success: false, message: "method not allowed")) }
            answer = state.api(authorization: authorization) { state.listGroups(&$0, query: query) }
        default:
            answer = .envelope(404, success: false, message: "not found")
        }
        if answer.special == .drop {
            // Close the connection without answering (a lost response).
            try? await context.channel.close()
            throw CancellationError()
        }
        return respond(answer)
    }

    static func respond(_ answer: SimulatorAnswer) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        for (name, value) in answer.headers {
            if let n = HTTPField.Name(name) { headers[n] = value }
        }
        let bytes: Data
        if answer.special == .malformed {
            bytes = Data("<html>502 Bad Gateway</html>".utf8)
        } else {
            bytes =
                (try? JSONSerialization.data(withJSONObject: answer.body ?? [:], options: [.sortedKeys]))
                ?? Data("{}".utf8)
        }
        let status = answer.special == .malformed ? 200 : answer.status
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func form(_ body: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard let key = kv.first?.removingPercentEncoding else { continue }
            let value =
                kv.count > 1 ? (kv[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
            out[key] = value
        }
        return out
    }
}
