import EtcdClient
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
        return configuration
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
