import Foundation

/// The whole, validated configuration of rotord (the YAML file of `docs/configuration.md`).
///
/// This is a plain value: loading and validating the file is `ConfigurationLoader`'s job in
/// RotordKit, so the core can be built from code in tests and in the demo.
public struct RotordConfiguration: Sendable, Hashable {
    /// The file this configuration was read from, for messages; `nil` when built in code.
    public var sourcePath: String?
    /// How to reach Fracttal.
    public var fracttal: FracttalSettings
    /// Where the rotation journal, lock and history live.
    public var stateDirectory: String
    /// The policy every consumer gets unless it overrides a key.
    public var defaults: RotationPolicy
    /// The consumers rotord manages, in file order.
    public var consumers: [ManagedConsumer]
    /// How many rotations a pass may start (`schedule:`); no limits by default.
    public var schedule = RotationSchedule()
    /// Where to write the Prometheus text-format metrics after each pass (`metrics.textfile:`).
    public var metricsTextfile: String?
    /// The `adopt:` rules, in file order: consumers made by hand that come under policy without being named
    /// (``resolvingAdoption(consumers:groupNames:active:adminKey:)``).
    public var adopt: [AdoptRule] = []
    /// The fleet's settings (`cluster:`), or `nil`: a single host that never touches etcd. Not used by the engine yet.
    public var cluster: ClusterSettings?

    /// Creates a configuration.
    public init(
        sourcePath: String? = nil,
        fracttal: FracttalSettings,
        stateDirectory: String = "/var/lib/rotord",
        defaults: RotationPolicy = .init(),
        consumers: [ManagedConsumer]
    ) {
        self.sourcePath = sourcePath
        self.fracttal = fracttal
        self.stateDirectory = stateDirectory
        self.defaults = defaults
        self.consumers = consumers
    }

    /// The managed consumer called `name`.
    public func consumer(named name: String) -> ManagedConsumer? {
        consumers.first { $0.name == name }
    }
}

/// Connection settings for the Fracttal token endpoint and API (`fracttal:` in the file).
public struct FracttalSettings: Sendable, Hashable {
    /// How the client's key and secret reach the token endpoint.
    public enum ClientAuth: String, Sendable, Hashable, CaseIterable {
        /// HTTP Basic `base64(key:secret)`.
        case basic
        /// `client_id` and `client_secret` form fields.
        case form
    }

    /// `POST` here for tokens.
    public var tokenURL: String
    /// The API base, without a trailing slash.
    public var apiURL: String
    /// Basic or form client authentication.
    public var clientAuth: ClientAuth
    /// File holding the Super Administrator consumer's key.
    public var adminKeyFile: String
    /// File holding the Super Administrator consumer's secret.
    public var adminSecretFile: String
    /// `admin.rotate`: rotate the admin consumer itself; `nil` (the default) leaves it alone.
    public var adminRotation: AdminRotation? = nil
    /// Client-side budget shared by every API request.
    public var requestsPerMinute: Int
    /// Timeout of one HTTP exchange, whole: connecting, the answer's head and its entire body.
    public var timeout: ConfigDuration
    /// How long a new credential may take to start working at the token endpoint.
    public var verifyTimeout: ConfigDuration
    /// The consumer-management path under `apiURL` (assumed endpoint; see the contract).
    public var consumersPath: String
    /// The permission-groups path under `apiURL` (assumed endpoint).
    public var permissionGroupsPath: String

    /// Creates the settings; defaults follow `docs/configuration.md`.
    public init(
        tokenURL: String = "https://one.fracttal.com/oauth/token",
        apiURL: String = "https://app.fracttal.com/api",
        clientAuth: ClientAuth = .basic,
        adminKeyFile: String = "/run/credentials/rotord.service/fracttal-admin-key",
        adminSecretFile: String = "/run/credentials/rotord.service/fracttal-admin-secret",
        requestsPerMinute: Int = 200,
        timeout: ConfigDuration = .seconds(30),
        verifyTimeout: ConfigDuration = .minutes(2),
        consumersPath: String = "oauth_consumers",
        permissionGroupsPath: String = "permission_groups"
    ) {
        self.tokenURL = tokenURL
        self.apiURL = apiURL
        self.clientAuth = clientAuth
        self.adminKeyFile = adminKeyFile
        self.adminSecretFile = adminSecretFile
        self.requestsPerMinute = requestsPerMinute
        self.timeout = timeout
        self.verifyTimeout = verifyTimeout
        self.consumersPath = consumersPath
        self.permissionGroupsPath = permissionGroupsPath
    }
}

/// One consumer that rotord keeps within policy (an entry of `consumers:`).
public struct ManagedConsumer: Sendable, Hashable {
    /// The consumer's name in Fracttal.
    public var name: String
    /// The permission group's name; must match the existing consumer's group.
    public var permissionGroup: String
    /// The Fracttal id of the consumer to rotate (`consumer_id:`), required when several
    /// `client_credentials` consumers of this name exist in the group; `nil` when not pinned.
    public var consumerID: Int?
    /// The effective policy (defaults merged with this entry's overrides).
    public var policy: RotationPolicy
    /// Where the credential is written.
    public var deliver: [DeliverTarget]
    /// What runs once the credential is written.
    public var afterPublish: [PublishHook]
    /// What must succeed before the old consumer is deleted (`probe:`); `nil` when none.
    public var probe: AdoptionProbe? = nil
    /// The rule that adopted this consumer (`adopt[0]`); `nil` for a consumer named under `consumers:`.
    public var adoptedBy: String? = nil
    /// Why the rule that matched this consumer cannot manage it (an unsafe name for a path, a file another
    /// consumer writes, several permission groups); `nil` when nothing stops it. A refused consumer is never
    /// rotated and nothing is written for it.
    public var adoptionRefusal: String? = nil
    /// Why its deliver files cannot be written now (a hostile path, a missing directory, an unknown owner), found
    /// before a rotation would create a consumer; `nil` when nothing stops it. Set by the caller (it reads the file
    /// system); a due consumer with a problem is not rotated (``PlanEntry/Status/unwritable(reason:)``).
    public var deliveryProblem: String? = nil
    /// The Super Administrator consumer rotord acts as (`fracttal.admin.rotate`): verified by a read of the consumers
    /// API as well as a token, its published pair read back and verified before rotord acts as it, its old consumer
    /// deleted with the new pair.
    public var isAdmin = false

    /// Creates a managed consumer.
    public init(
        name: String,
        permissionGroup: String,
        consumerID: Int? = nil,
        policy: RotationPolicy = .init(),
        deliver: [DeliverTarget] = [],
        afterPublish: [PublishHook] = []
    ) {
        self.name = name
        self.permissionGroup = permissionGroup
        self.consumerID = consumerID
        self.policy = policy
        self.deliver = deliver
        self.afterPublish = afterPublish
    }
}

/// One place a credential is written (an entry of `deliver:`).
public struct DeliverTarget: Sendable, Hashable {
    /// How the file's content is laid out.
    public enum Format: Sendable, Hashable {
        /// `NAME=value` lines for systemd's `EnvironmentFile=`; the names of the two variables.
        case env(keyVariable: String, secretVariable: String)
        /// A JSON object; the names of the two fields.
        case json(keyField: String, secretField: String)
        /// Two files holding the bare values.
        case raw(keyPath: String, secretPath: String)
        /// A text with `{{key}}`, `{{secret}}` and `{{name}}` placeholders.
        case template(String)
        /// A file for systemd's `LoadCredential=`: the `env` layout, always mode 0600.
        case credstore(keyVariable: String, secretVariable: String)
        /// A file for systemd's `LoadCredentialEncrypted=`: the `env` layout encrypted by `systemd-creds encrypt`
        /// under the credential name `credentialName` (`nil`: the file's name, see
        /// ``DeliverTarget/credentialName``), always mode 0600.
        case credstoreEncrypted(keyVariable: String, secretVariable: String, credentialName: String?)
        /// Two files holding the bare values, each encrypted by `systemd-creds encrypt --name=` under its own name:
        /// rotord's own admin pair when the unit loads it with `LoadCredentialEncrypted=` (`fracttal.admin.rotate`
        /// with `encrypted: true`); not a `format:` of `deliver:`.
        case rawEncrypted(keyPath: String, secretPath: String, keyName: String, secretName: String)
    }

    /// The file's path (for `raw`, the base of `PATH.key` / `PATH.secret` unless paths are given).
    public var path: String
    /// The layout.
    public var format: Format
    /// Owner user name or numeric uid; `nil` keeps the writer's.
    public var owner: String?
    /// Group name or numeric gid; `nil` keeps the writer's.
    public var group: String?
    /// Permission bits; 0600 unless configured.
    public var mode: UInt16
    /// How many previous versions to keep as `PATH.1` … `PATH.N` (`backup:`); 0 keeps none.
    public var backup: Int = 0
    /// Overwrite the file in place instead of replacing it (`in_place:`, for single-file bind mounts); not atomic.
    public var inPlace: Bool = false

    /// Creates a target.
    public init(path: String, format: Format, owner: String? = nil, group: String? = nil, mode: UInt16 = 0o600) {
        self.path = path
        self.format = format
        self.owner = owner
        self.group = group
        self.mode = mode
    }

    /// Every file this target writes.
    public var filePaths: [String] {
        if case .raw(let keyPath, let secretPath) = format { return [keyPath, secretPath] }
        if case .rawEncrypted(let keyPath, let secretPath, _, _) = format { return [keyPath, secretPath] }
        return [path]
    }

    /// The format's name as written in the file.
    public var formatName: String {
        switch format {
        case .env: "env"
        case .json: "json"
        case .raw: "raw"
        case .template: "template"
        case .credstore: "credstore"
        case .credstoreEncrypted: "credstore-encrypted"
        case .rawEncrypted: "raw-encrypted"
        }
    }

    /// For `credstore-encrypted`, the name sealed into the file (`systemd-creds encrypt --name=`), which a service's
    /// `LoadCredentialEncrypted=ID:PATH` must use as its ID: `credential_name:`, else the file's name (the last
    /// component of its path). `nil` for the other formats.
    public var credentialName: String? {
        guard case .credstoreEncrypted(_, _, let name) = format else { return nil }
        return name ?? String(path.split(separator: "/").last ?? Substring(path))
    }

    /// The name sealed into `file`, one of ``filePaths``, when the format encrypts it (`credstore-encrypted`,
    /// `raw-encrypted`); `nil` for a plain file.
    public func credentialName(of file: String) -> String? {
        if case .rawEncrypted(let keyPath, let secretPath, let keyName, let secretName) = format {
            return file == keyPath ? keyName : file == secretPath ? secretName : nil
        }
        return credentialName
    }
}

/// Something that runs after a credential is published (an entry of `after_publish:`).
public enum PublishHook: Sendable, Hashable, CustomStringConvertible {
    /// `systemctl reload UNIT`.
    case reload(unit: String, timeout: ConfigDuration)
    /// A command, run directly (no shell), with a timeout.
    case exec(arguments: [String], timeout: ConfigDuration)
    /// `systemctl restart UNIT`.
    case restart(unit: String, timeout: ConfigDuration)
    /// `systemctl try-restart UNIT` (restarts it only if it runs).
    case tryRestart(unit: String, timeout: ConfigDuration)

    public var description: String {
        switch self {
        case .reload(let unit, _): "reload \(unit)"
        case .restart(let unit, _): "restart \(unit)"
        case .tryRestart(let unit, _): "try-restart \(unit)"
        case .exec(let arguments, _): "exec \(arguments.joined(separator: " "))"
        }
    }
}
