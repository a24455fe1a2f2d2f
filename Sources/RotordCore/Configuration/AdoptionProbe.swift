/// A command that must succeed before the old consumer is deleted (`probe:` of a consumer): it checks that
/// the service adopted the new credential. Run directly (no shell) with a timeout.
public struct AdoptionProbe: Sendable, Hashable, CustomStringConvertible {
    /// The program (absolute path) and its arguments.
    public var arguments: [String]
    /// The probe is killed, and has failed, after this long.
    public var timeout: ConfigDuration

    /// Creates a probe.
    public init(arguments: [String], timeout: ConfigDuration = .seconds(30)) {
        self.arguments = arguments
        self.timeout = timeout
    }

    public var description: String { "probe \(arguments.joined(separator: " "))" }
}
