#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An error from the Fracttal client, naming the operation, with what to do about it.
///
/// Modelled as a struct wrapping a private code, so new cases never break callers; ask the
/// properties (``isTransient``, ``mayHaveTakenEffect``, ``status``) rather than matching.
public struct FracttalError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case http(status: Int, message: String?)
        case invalidClient
        case unauthorizedEndpoint
        case rateLimited
        case notFound
        case transport(sent: Bool, detail: String)
        case malformedResponse(detail: String)
        case invalidConfiguration(detail: String)
        case redirected(status: Int, host: String)
        case refused(status: Int, message: String?)
        case invalidAnswer(field: String, detail: String)
        case unbounded(detail: String)
        case deadline(tries: Int, last: String)
        case timedOut(after: Duration, sent: Bool)
        case withheld(reason: String)
    }

    private let code: Code
    /// What was being done, e.g. "listing consumers", "creating a consumer named reports-etl".
    public let operation: String
    /// For a create whose answer was refused: the id the answer gave, when the consumer it names carries the
    /// requested name and no listing of this client showed it before, so this create made it. It exists and its
    /// secret is not believed: the caller deletes it by this id. `nil` otherwise.
    public private(set) var createdConsumerID: Int?

    private init(_ code: Code, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The API answered `status` (with the envelope's `message`, if any).
    public static func http(status: Int, message: String?, operation: String) -> FracttalError {
        if status == 406 { return .init(.rateLimited, operation: operation) }
        if status == 404 { return .init(.notFound, operation: operation) }
        if status == 401, message == "UNAUTHORIZED_ENDPOINT" {
            return .init(.unauthorizedEndpoint, operation: operation)
        }
        return .init(.http(status: status, message: message), operation: operation)
    }
    /// The token endpoint refused the client's key and secret.
    public static func invalidClient(operation: String) -> FracttalError { .init(.invalidClient, operation: operation) }
    /// The connection failed; `sent` says whether the request may have reached the server.
    public static func transport(sent: Bool, detail: String, operation: String) -> FracttalError {
        .init(.transport(sent: sent, detail: detail), operation: operation)
    }
    /// The answer could not be read.
    public static func malformed(_ detail: String, operation: String) -> FracttalError {
        .init(.malformedResponse(detail: detail), operation: operation)
    }
    /// A URL or setting is unusable.
    public static func invalidConfiguration(_ detail: String, operation: String) -> FracttalError {
        .init(.invalidConfiguration(detail: detail), operation: operation)
    }

    /// The server answered with a redirect (3xx), which is never followed: the request carried a
    /// credential. Only the host of `location` is kept (a URL's path or query may hold anything).
    public static func redirected(status: Int, location: String?, operation: String) -> FracttalError {
        let host: String
        if let location, let url = URL(string: location), let name = url.host, !name.isEmpty {
            host = url.port.map { "\(name):\($0)" } ?? name
        } else if let location, !location.isEmpty {
            host = "the same host (a relative Location)"
        } else {
            host = "nowhere (no Location header)"
        }
        return .init(.redirected(status: status, host: host), operation: operation)
    }

    /// The server answered with a success status but `success: false` (or without `success`):
    /// the request failed by its own account, for the reason in `message`.
    public static func refused(status: Int, message: String?, operation: String) -> FracttalError {
        .init(.refused(status: status, message: message), operation: operation)
    }

    /// This error, naming the consumer that a refused create answer says this create made.
    public func naming(createdConsumerID id: Int) -> FracttalError {
        var error = self
        error.createdConsumerID = id
        return error
    }

    /// The answer was readable but not believable: `field` is missing, of the wrong type, or does not
    /// match the request (a create answered with another name, group or id, a secret of the wrong
    /// shape). `detail` never holds a secret.
    public static func invalidAnswer(field: String, _ detail: String, operation: String) -> FracttalError {
        .init(.invalidAnswer(field: field, detail: detail), operation: operation)
    }

    /// A listing did not end within its bounds (a repeated page, more pages than `total` allows).
    public static func unbounded(_ detail: String, operation: String) -> FracttalError {
        .init(.unbounded(detail: detail), operation: operation)
    }

    /// One HTTP exchange (connecting, the answer's head and its whole body) did not complete within
    /// `after` (`fracttal.timeout`); `sent` says whether the request may have reached the server.
    public static func timedOut(after: Duration, sent: Bool, operation: String) -> FracttalError {
        .init(.timedOut(after: after, sent: sent), operation: operation)
    }

    /// The request was never sent: the client's send gate withheld it (a fleet host that is not the leader, or whose
    /// leadership lease is too close to its end; docs/fleet.md). Transient: the next leader, or this one once its
    /// lease is renewed, sends it.
    public static func withheld(reason: String, operation: String) -> FracttalError {
        .init(.withheld(reason: reason), operation: operation)
    }

    /// The operation's deadline passed after `tries` tries; `last` describes the last failure.
    public static func deadlineExceeded(tries: Int, last: String, operation: String) -> FracttalError {
        .init(.deadline(tries: tries, last: last), operation: operation)
    }

    /// The answer field that was refused (``invalidAnswer(field:_:operation:)``): `data`, `total`,
    /// `secret`, `data[3].created_at` …; `success` for a ``refused(status:message:operation:)``.
    public var field: String? {
        switch code {
        case .invalidAnswer(let field, _): field
        case .refused: "success"
        case .unbounded: "data"
        default: nil
        }
    }

    /// The server answered `success: false`.
    public var isRefusedByServer: Bool {
        if case .refused = code { return true }
        return false
    }

    /// The answer was refused by rotord as not following the contract (missing or wrong fields,
    /// `success: false`, an endless listing).
    public var isUntrustedAnswer: Bool {
        switch code {
        case .refused, .invalidAnswer, .unbounded, .malformedResponse: true
        default: false
        }
    }

    /// The server redirected the request (which was not followed).
    public var isRedirect: Bool {
        if case .redirected = code { return true }
        return false
    }

    /// One HTTP exchange ran out of its time (``timedOut(after:sent:operation:)``): transient.
    public var isTimeout: Bool {
        if case .timedOut = code { return true }
        return false
    }

    /// The HTTP status, when the server answered.
    public var status: Int? {
        switch code {
        case .http(let status, _): status
        case .redirected(let status, _): status
        case .invalidClient: 401
        case .unauthorizedEndpoint: 401
        case .rateLimited: 406
        case .notFound: 404
        case .refused(let status, _): status
        default: nil
        }
    }

    /// The record is absent (HTTP 404).
    public var isNotFound: Bool { code == .notFound }
    /// The token endpoint refused the credentials.
    public var isInvalidClient: Bool { code == .invalidClient }
    /// Retrying later may succeed: network errors, 5xx, rate limiting, 408/407 clock skew.
    public var isTransient: Bool {
        switch code {
        case .transport, .rateLimited, .malformedResponse, .refused, .invalidAnswer, .unbounded, .deadline, .timedOut,
            .withheld:
            true
        case .http(let status, _): status >= 500 || status == 407 || status == 429
        default: false
        }
    }
    /// The request may have been processed although no usable answer came back
    /// (a timeout or a dropped connection after sending, a 5xx, an unreadable body).
    public var mayHaveTakenEffect: Bool {
        switch code {
        case .transport(let sent, _), .timedOut(_, let sent): sent
        case .malformedResponse, .refused, .invalidAnswer: true
        case .deadline: true
        case .http(let status, _): status >= 500
        default: false
        }
    }

    public var description: String {
        switch code {
        case .http(let status, let message):
            let hint =
                switch status {
                case 400: "the API rejected the request as malformed; check the configuration values it was built from"
                case 401: "the admin token was refused; check the admin key and secret files"
                case 403: "the admin consumer lacks permission; it must belong to the Super Administrator"
                case 405: "the endpoint does not accept this method; check fracttal.paths in the configuration"
                case 408: "the item already exists"
                case 429: "Fracttal asked rotord to slow down (Retry-After); rotord retries later"
                default: status >= 500 ? "Fracttal had an internal error; rotord retries later" : "unexpected answer"
                }
            return "\(operation): HTTP \(status)\(message.map { ": \($0)" } ?? ""): \(hint)"
        case .invalidClient:
            return "\(operation): the token endpoint refused the key and secret (invalid_client)"
        case .unauthorizedEndpoint:
            return "\(operation): HTTP 401 UNAUTHORIZED_ENDPOINT: the admin consumer's permission group does not "
                + "cover this endpoint; use a consumer of the Super Administrator"
        case .rateLimited:
            return "\(operation): HTTP 406 Maximum number of request exceeded: the account's rate limit is spent; "
                + "rotord waits for the window to reset"
        case .notFound:
            return "\(operation): HTTP 404: not found"
        case .transport(let sent, let detail):
            return "\(operation): \(detail)" + (sent ? " (the request may have been processed)" : "")
        case .timedOut(let after, let sent):
            return "\(operation): timed out: no complete answer within \(after) (fracttal.timeout bounds connecting, "
                + "the answer's head and its whole body)" + (sent ? "; the request may have been processed" : "")
                + "; rotord retries later"
        case .malformedResponse(let detail):
            return "\(operation): unreadable answer: \(detail)"
        case .invalidConfiguration(let detail):
            return "\(operation): \(detail)"
        case .refused(let status, let message):
            return "\(operation): HTTP \(status) with success: false\(message.map { ": \($0)" } ?? ""): "
                + "Fracttal reports the request failed; nothing was taken from the answer, rotord retries later"
        case .invalidAnswer(let field, let detail):
            return "\(operation): answer refused, field `\(field)` \(detail): it does not follow "
                + "docs/fracttal-api.md, so rotord acts on nothing in it and retries later; if it persists, "
                + "check fracttal.api_url and fracttal.paths"
        case .unbounded(let detail):
            return "\(operation): listing stopped at field `data`, \(detail): the server's pages do not add up; "
                + "rotord acts on no partial listing and retries later"
        case .deadline(let tries, let last):
            return "\(operation): gave up after \(tries) tries, the operation's deadline passed; last error: "
                + "\(last); rotord retries later"
        case .withheld(let reason):
            return "\(operation): not sent: \(reason)"
        case .redirected(let status, let host):
            return "\(operation): HTTP \(status) redirect to \(host) refused: rotord never follows a redirect "
                + "with a credential; set fracttal.token_url and fracttal.api_url to the final address"
        }
    }
}
