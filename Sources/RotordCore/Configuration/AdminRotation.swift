/// `fracttal.admin.rotate`: rotord rotates the Super Administrator consumer it acts as, on a policy of its own
/// (docs/configuration.md, "Rotating rotord's own admin consumer").
///
/// The rotation is an ordinary one of ``RotationMachine`` for a ``ManagedConsumer`` whose ``ManagedConsumer/isAdmin``
/// is set (``RotordConfiguration/resolvingAdmin(consumers:groupNames:adminKey:)``): its replacement is created in the
/// admin's permission group, verified by a token **and** a read of the consumers API, written to the **source**
/// files (``keySource``, ``secretSource``), read back and verified again, and only then does rotord act as the new
/// pair; the old admin consumer is deleted after grace, by the new pair.
public struct AdminRotation: Sendable, Hashable {
    /// The policy (`max_age`, `rotate_before`, `grace`, `window`, `jitter`, `min_interval`).
    public var policy: RotationPolicy
    /// The file the admin key is written to: the source of the unit's `LoadCredential=` (not the read-only copy
    /// under `$CREDENTIALS_DIRECTORY`), or `admin.key_file` itself outside systemd.
    public var keySource: String
    /// The file the admin secret is written to (as ``keySource``).
    public var secretSource: String
    /// The sources are `systemd-creds encrypt` output, for `LoadCredentialEncrypted=` (`encrypted: true`): rotord
    /// encrypts what it writes and decrypts what it reads, under ``keyName`` and ``secretName``.
    public var encrypted = false
    /// The credential names sealed into the sources: the unit's credential IDs, the last components of
    /// `admin.key_file` and `admin.secret_file` (`fracttal-admin-key`, `fracttal-admin-secret`).
    public var keyName = "fracttal-admin-key"
    /// See ``keyName``.
    public var secretName = "fracttal-admin-secret"

    /// Where the shipped unit's `LoadCredential=` reads the pair from.
    public static let unitKeySource = "/etc/rotord/credentials/fracttal-admin-key"
    /// See ``unitKeySource``.
    public static let unitSecretSource = "/etc/rotord/credentials/fracttal-admin-secret"
    /// Where systemd puts the credentials of `rotord.service`: files there are a read-only copy.
    public static let credentialsCopyPrefix = "/run/credentials/"

    /// Creates the settings.
    public init(policy: RotationPolicy, keySource: String, secretSource: String) {
        self.policy = policy
        self.keySource = keySource
        self.secretSource = secretSource
    }

    /// The default source of `file` (`admin.key_file` or `admin.secret_file`): `unit` when `file` is a read-only
    /// copy made by systemd (under `/run/credentials/`), else `file` itself.
    public static func defaultSource(for file: String, unit: String) -> String {
        file.hasPrefix(credentialsCopyPrefix) ? unit : file
    }

    /// The deliver target of the admin pair: the two source files, bare values (encrypted when ``encrypted``), mode
    /// 0600.
    public var deliver: DeliverTarget {
        DeliverTarget(
            path: keySource,
            format: encrypted
                ? .rawEncrypted(keyPath: keySource, secretPath: secretSource, keyName: keyName, secretName: secretName)
                : .raw(keyPath: keySource, secretPath: secretSource),
            mode: 0o600)
    }

    /// The last component of `path`: the credential ID of a file under `$CREDENTIALS_DIRECTORY`.
    public static func credentialID(of path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }
}
