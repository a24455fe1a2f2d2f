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

    /// The etcd user's password from `path`: a file (or a link to one, as `LoadCredential=` makes) that group and
    /// others cannot read, its text without the final newline. Never quoted in an error.
    static func password(_ path: String, configPath: String) throws(ConfigurationError) -> String {
        let key = "cluster.etcd.auth.password_file"
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw ConfigurationError(
                file: configPath, key: key,
                message: "the etcd password file \(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw ConfigurationError(file: configPath, key: key, message: "\(path) is not a regular file")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw ConfigurationError(
                file: configPath, key: key,
                message: "the etcd password file \(path) can be read by others (mode "
                    + "\(String(st.st_mode & 0o777, radix: 8))): chmod 0600 it")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError(
                file: configPath, key: key, message: "the etcd password file \(path) cannot be read as UTF-8 text")
        }
        var password = Substring(text)
        while password.last == "\n" || password.last == "\r" { password = password.dropLast() }
        guard !password.isEmpty else {
            throw ConfigurationError(file: configPath, key: key, message: "the etcd password file \(path) is empty")
        }
        return String(password)
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
