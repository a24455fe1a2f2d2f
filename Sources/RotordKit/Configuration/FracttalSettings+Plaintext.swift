import Foundation
import RotordCore

extension FracttalSettings {
    /// One warning per URL that sends credentials in clear text (`http://`) to a host that is not
    /// the loopback interface, naming the key.
    package var plaintextWarnings: [String] {
        [("fracttal.token_url", tokenURL), ("fracttal.api_url", apiURL)].compactMap { key, text in
            guard let url = URL(string: text), url.scheme?.lowercased() == "http", let host = url.host,
                !Self.isLoopback(host)
            else { return nil }
            return "\(key): \(text) is plain http to \(host): the admin key, secret and token cross the network "
                + "unencrypted; use https"
        }
    }

    /// `localhost`, `127.0.0.0/8` or `::1`.
    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimming { $0 == "[" || $0 == "]" }
        return h == "localhost" || h == "::1"
            || (h.hasPrefix("127.") && h.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber })
    }
}
