import Logging

extension LogHandler {
    /// What an entry carries: the handler's metadata, then the provider's, then the entry's own
    /// (a later source wins a key).
    func mergedMetadata(_ entry: Logger.Metadata?) -> Logger.Metadata {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let entry { merged.merge(entry) { _, new in new } }
        return merged
    }
}
