import Logging

/// The events that carry a fixed journald `MESSAGE_ID`, explained in `systemd/rotord.catalog`
/// (`journalctl -x`). Search for one with `journalctl MESSAGE_ID=<id>`.
package enum CatalogMessage: String, Sendable, CaseIterable {
    /// A rotation began.
    case rotationStarted = "b547fb6966c14aefa6b4c2cc75d93871"
    /// A rotation finished: the old consumer is gone.
    case rotationCompleted = "8b7df3b0646248018bbf28f7082aa8e4"
    /// A rotation failed and was given up.
    case rotationFailed = "b69a39ffc8c5496ebb07e373de5e4887"
    /// The new credential never obtained a token.
    case verificationFailed = "82f1bbd9481d4039b5dd65e5c0043e2a"
    /// The replaced consumer was deleted.
    case oldConsumerDeleted = "dba2b805be12407da3ed9b1d7471f342"
    /// An `after_publish` hook failed.
    case hookFailed = "0fb35521706c4beab0f462b4c58ef0e9"
    /// A rotation is not confirmed (an `after_publish` action or the adoption probe failed): the old
    /// consumer is kept and the check is retried.
    case rotationUnconfirmed = "24075106aaf241d3952c0edb89bf16d0"
    /// A configuration reload failed; the previous configuration stays.
    case configReloadFailed = "01b7b641ee3c4349a10126f5639caa60"
    /// The new credential was written to the deliver files.
    case credentialPublished = "9929ecd502e14a588932459358b5a4ad"
    /// The daemon is ready.
    case daemonReady = "308d42952a6f47faa72c9092dea56e0e"

    /// Metadata that tags a log entry with this event.
    package var metadata: Logger.Metadata { ["message_id": .string(rawValue)] }
}

extension Logger.Metadata {
    /// The journal fields of a rotation: `ROTORD_CONSUMER`, `ROTORD_ROTATION_ID`, `ROTORD_STEP`, `ROTORD_KEY` (masked).
    static func rotation(_ consumer: String, id: String? = nil, step: String? = nil, maskedKey: String? = nil)
        -> Logger.Metadata
    {
        var m: Logger.Metadata = ["rotord_consumer": .string(consumer)]
        if let id { m["rotord_rotation_id"] = .string(id) }
        if let step { m["rotord_step"] = .string(step) }
        if let maskedKey { m["rotord_key"] = .string(maskedKey) }
        return m
    }
}
