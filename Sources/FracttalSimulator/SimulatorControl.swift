import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The test-control API under `/_sim/`, served only when ``SimulatorConfiguration/control`` is set
/// (see ``FracttalSimulator``). Its requests bypass latency, drops, the rate limit and the counters.
enum SimulatorControl {
    /// The path prefix; Fracttal's paths start with `/oauth` and `/api`, so it cannot collide.
    static let prefix = "/_sim"

    /// Whether `path` belongs to the control API.
    static func handles(_ path: String) -> Bool { path == prefix || path.hasPrefix(prefix + "/") }

    /// The request body `POST /_sim/accepts` takes.
    struct Pair: Codable {
        var key: String
        var secret: String
    }

    /// The answer of `POST /_sim/accepts`.
    struct Accepted: Codable {
        var accepted: Bool
    }

    static func respond(to request: Request, state: SimulatorState) async throws -> Response {
        var path = request.uri.path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        let method = request.method
        var request = request
        let body = Data(try await request.collectBody(upTo: 1 << 20).readableBytesView)
        switch (path, method) {
        case ("/_sim/consumers", .get):
            return json(state.data.withLock { d in d.consumers.keys.sorted().map { d.consumers[$0]!.consumer } })
        case ("/_sim/consumers", .post):
            guard let consumer = try? JSONDecoder().decode(SimulatorSeed.Consumer.self, from: body) else {
                return error(400, "the body must be one consumer in the seed format")
            }
            return json(state.add(consumer))
        case ("/_sim/statistics", .get):
            return json(state.data.withLock { $0.statistics })
        case ("/_sim/faults", .get):
            return json(state.data.withLock { $0.faults })
        case ("/_sim/faults", .put):
            guard let faults = try? JSONDecoder().decode(SimulatorFaults.self, from: body) else {
                return error(400, "the body must be the JSON of SimulatorFaults (any of its fields, each of its type)")
            }
            state.data.withLock { $0.faults = faults }
            return json(faults)
        case ("/_sim/accepts", .post):
            guard let pair = try? JSONDecoder().decode(Pair.self, from: body) else {
                return error(400, "the body must be {\"key\": …, \"secret\": …}")
            }
            return json(Accepted(accepted: state.isAccepted(key: pair.key, secret: pair.secret)))
        case ("/_sim/consumers", _), ("/_sim/statistics", _), ("/_sim/faults", _), ("/_sim/accepts", _):
            return error(405, "method not allowed")
        default:
            return error(404, "not found")
        }
    }

    static func json(_ value: some Encodable, status: Int = 200) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ status: Int, _ message: String) -> Response {
        json(["error": message], status: status)
    }
}
