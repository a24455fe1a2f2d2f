import Foundation
import RotordCore
import Yams

/// The ways of handing over a credential besides the basic formats: `format: credstore` and
/// `format: credstore-encrypted` (with `credential_name:`), `backup: N`,
/// `in_place: true`, and the `after_publish` entries `restart: UNIT` and `try-restart: UNIT`
/// (docs/configuration.md).
extension ConfigurationParser {
    /// The keys of an `after_publish` entry.
    static let hookKeys: Set<String> = ["reload", "restart", "try-restart", "exec", "timeout"]

    /// `restart: UNIT` or `try-restart: UNIT`: `matched` is false when the entry has neither; else `hook` is the
    /// hook, or `nil` after reporting an error.
    mutating func unitHook(_ map: [String: Node], at key: String, timeout: ConfigDuration)
        -> (matched: Bool, hook: PublishHook?)
    {
        let verbs = ["restart", "try-restart"].filter { map[$0] != nil }
        guard let verb = verbs.first else { return (false, nil) }
        let actions = ["reload", "restart", "try-restart", "exec"].filter { map[$0] != nil }
        guard actions.count == 1 else {
            error(
                key, map[verb],
                "must have exactly one of reload: UNIT, restart: UNIT, try-restart: UNIT or exec: [PROGRAM, ARGS...], "
                    + "got \(actions.joined(separator: " and "))")
            return (true, nil)
        }
        guard let unit = string(map[verb], at: "\(key).\(verb)") else { return (true, nil) }
        guard !unit.trimmingSpaces().isEmpty else {
            error("\(key).\(verb)", map[verb], "must name a systemd unit, e.g. reports-etl.service")
            return (true, nil)
        }
        let hook: PublishHook =
            verb == "restart" ? .restart(unit: unit, timeout: timeout) : .tryRestart(unit: unit, timeout: timeout)
        return (true, hook)
    }

    /// `backup: N`, `in_place: true`, and the mode of `format: credstore` (always 0600).
    mutating func deliverOptions(_ map: [String: Node], at key: String, into target: inout DeliverTarget) {
        if let n = int(map["backup"], at: "\(key).backup", range: 0...99) { target.backup = n }
        if let value = bool(map["in_place"], at: "\(key).in_place") { target.inPlace = value }
        if target.mode & 0o007 != 0 {
            error(
                "\(key).mode", map["mode"],
                "\(String(target.mode, radix: 8)) lets other users of the machine read or write the secret; "
                    + "use \"0600\", or \"0640\" with group:")
        }
        if map["credential_name"] != nil, target.credentialName == nil {
            error("\(key).credential_name", map["credential_name"], "is only for format: credstore-encrypted")
        }
        switch target.format {
        case .credstore, .credstoreEncrypted:
            if map["mode"] != nil && target.mode != 0o600 {
                error(
                    "\(key).mode", map["mode"],
                    "format: \(target.formatName) files are always \"0600\" (systemd's LoadCredential= and "
                        + "LoadCredentialEncrypted= read them as root); remove mode")
            }
            target.mode = 0o600
        default: break
        }
    }

    /// The `credential_name:` of a `format: credstore-encrypted` entry (`nil`: the file's name), after checking that
    /// it, or the file's name, is a name systemd takes for a credential, and that `systemd-creds` is installed.
    mutating func credentialName(_ map: [String: Node], at key: String, path: String?) -> String? {
        if let problem = SystemdCreds.unavailability() { error("\(key).format", map["format"], problem) }
        let given = map["credential_name"].flatMap { string($0, at: "\(key).credential_name") }
        let name = given ?? path.map { String($0.split(separator: "/").last ?? "") } ?? ""
        // An adopt rule's {{name}} is replaced by a consumer's name, always a valid credential name.
        let checked = name.replacingOccurrences(of: AdoptRule.namePlaceholder, with: "x")
        if path != nil, !Self.isCredentialName(checked) {
            error(
                given != nil ? "\(key).credential_name" : "\(key).path", map[given != nil ? "credential_name" : "path"],
                "\"\(name)\" is not a systemd credential name (1 to 255 printable ASCII characters, no / or :, not . "
                    + "or ..)" + (given == nil ? "; set credential_name:" : ""))
        }
        return given
    }

    /// Whether systemd takes `name` as a credential's name (its `credential_name_valid()`: a valid file name and a
    /// valid file-descriptor name).
    static func isCredentialName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255, name != ".", name != ".." else { return false }
        return name.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value <= 0x7e && $0 != "/" && $0 != ":" }
    }
}
