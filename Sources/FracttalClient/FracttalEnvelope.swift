#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The API's answer: `{"success": true, "message": "200", "data": ..., "total": N}`.
///
/// `data` may be missing; `total` may be a number or a string.
struct FracttalEnvelope<Payload: Decodable>: Decodable {
    var success: Bool
    var message: String?
    var data: Payload?
    var total: Int?

    enum CodingKeys: String, CodingKey { case success, message, data, total }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        success = (try? c.decode(Bool.self, forKey: .success)) ?? false
        if let text = try? c.decodeIfPresent(String.self, forKey: .message) {
            message = text
        } else if let number = try? c.decodeIfPresent(Int.self, forKey: .message) {
            message = String(number)
        }
        data = try c.decodeIfPresent(Payload.self, forKey: .data)
        total = try? c.decodeLenientIntIfPresent(.total)
    }
}

/// The envelope without its payload, read first and strictly: `success` must be a boolean, `total`
/// (when present) a whole number or a string holding one; `hasData` says whether `data` is there
/// and not null.
struct FracttalEnvelopeHead: Decodable {
    var success: Bool?
    var message: String?
    var hasData: Bool
    var total: Int?
    var totalProblem: String?

    enum CodingKeys: String, CodingKey { case success, message, data, total }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        success = try? c.decodeIfPresent(Bool.self, forKey: .success)
        if let text = try? c.decodeIfPresent(String.self, forKey: .message) {
            message = text
        } else if let number = try? c.decodeIfPresent(Int.self, forKey: .message) {
            message = String(number)
        }
        hasData = c.contains(.data) && (try? c.decodeNil(forKey: .data)) == false
        do {
            total = try c.decodeLenientIntIfPresent(.total)
            if let total, total < 0 { totalProblem = "is negative (\(total))" }
        } catch {
            totalProblem = "is neither a whole number nor a string holding one"
        }
    }
}

/// Only the failure part of an envelope, to read error messages whatever `data` holds.
struct FracttalFailureBody: Decodable {
    var success: Bool?
    var message: String?
    var error: String?

    enum CodingKeys: String, CodingKey { case success, message, error }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        success = try? c.decodeIfPresent(Bool.self, forKey: .success)
        message = try? c.decodeIfPresent(String.self, forKey: .message)
        error = try? c.decodeIfPresent(String.self, forKey: .error)
    }
}

/// A created consumer: the consumer's fields plus `secret` (checked by the caller, so that a
/// missing secret is reported as such).
struct FracttalCreatedPayload: Decodable {
    var consumer: FracttalConsumer
    var secret: String?

    enum CodingKeys: String, CodingKey { case secret }

    init(from decoder: any Decoder) throws {
        consumer = try FracttalConsumer(from: decoder)
        secret = try? decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .secret)
    }
}

/// The token endpoint's answer.
struct FracttalTokenResponse: Decodable {
    var accessToken: String
    var tokenType: String?
    var expiresIn: Int?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        accessToken = try c.decode(String.self, forKey: .accessToken)
        tokenType = try? c.decodeIfPresent(String.self, forKey: .tokenType)
        expiresIn = try? c.decodeLenientIntIfPresent(.expiresIn)
    }
}
