import EtcdClient
import Foundation
import Glibc
import RotordCore

extension ClusterSettings {
    /// The etcd client's configuration of `cluster.etcd`: the endpoints, and with `cluster.etcd.tls` the CA and the
    /// client certificate, read from their files now. A file that cannot be used (unreadable, no PEM certificate or
    /// key, a key of another certificate) throws an error naming its key, `cluster.etcd.tls.ca_file`, `cert_file` or
    /// `key_file`, in `configPath`.
    package func etcdConfiguration(configPath: String) throws(ConfigurationError) -> EtcdClient.Configuration {
        var configuration = EtcdClient.Configuration(endpoints: endpoints)
        if let tls {
            do {
                configuration.tls = try EtcdClient.Configuration.TLS(
                    caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile)
            } catch {
                throw ConfigurationError(file: configPath, key: Self.key(of: error.setting), message: error.description)
            }
        }
        if let auth {
            configuration.auth = EtcdClient.Configuration.Auth(
                user: auth.user, password: try Self.password(auth.passwordFile, configPath: configPath))
        }
        return configuration
    }

    /// Runs `body` with a client of `cluster.etcd` that logs at `logLevel`, shut down afterwards; throws the
    /// configuration's error (a file of `cluster.etcd.tls` or `auth` that cannot be used) or `body`'s.
    package func withEtcdClient<T>(
        configPath: String, logLevel: String, _ body: (EtcdClient) async throws -> T
    ) async throws -> T {
        let client = EtcdClient(
            configuration: try etcdConfiguration(configPath: configPath), logger: LogSetup.make(level: logLevel))
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The etcd user's password: the one line of `path` (or of its copy under `$CREDENTIALS_DIRECTORY`, as
    /// `LoadCredential=` makes), read as the admin pair's files are, in a file that group and others cannot read.
    /// Never quoted in an error.
    static func password(_ path: String, configPath: String) throws(ConfigurationError) -> String {
        let key = "cluster.etcd.auth.password_file"
        let (resolved, password) = try AdminCredentials.readPlain(
            path, key: key, configPath: configPath, environment: ProcessInfo.processInfo.environment)
        var st = stat()
        if stat(resolved, &st) == 0, st.st_mode & 0o077 != 0 {
            throw ConfigurationError(
                file: configPath, key: key,
                message: "the etcd password file \(resolved) can be read by others (mode "
                    + "\(String(st.st_mode & 0o777, radix: 8))): chmod 0600 it")
        }
        return password
    }

    /// The configuration key of a file setting of `cluster.etcd.tls`.
    static func key(of setting: EtcdClient.TLSFileError.Setting) -> String {
        switch setting {
        case .caFile: "cluster.etcd.tls.ca_file"
        case .certFile: "cluster.etcd.tls.cert_file"
        case .keyFile: "cluster.etcd.tls.key_file"
        }
    }
}
