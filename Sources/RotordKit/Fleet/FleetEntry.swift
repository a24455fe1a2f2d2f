import Foundation
import RotordCore

/// The values the fleet writes to etcd (docs/fleet.md, "Keys"), as JSON with a format version. None holds a secret
/// in clear: the rotation record is stored without its secret, and the pair travels only inside
/// ``SealedCredential``s.
package enum FleetEntry {
    /// The format version every value carries.
    package static let format = 1

    /// `rotations/<id>`: the journal record, without ``RotationRecord/newSecret``.
    package struct Rotation: Sendable, Codable {
        /// ``FleetEntry/format``.
        package var format: Int = FleetEntry.format
        /// The record, its secret removed.
        package var record: RotationRecord
        /// The leader that wrote it.
        package var writer: String?

        /// The stored form of `record`, written by the leader `writer`.
        package init(_ record: RotationRecord, writer: String) {
            var stripped = record
            stripped.newSecret = nil
            self.record = stripped
            self.writer = writer
        }
    }

    /// `escrow/<id>/<h>` and `sealed/<id>/<h>`: the new pair sealed to one host, with the context it is bound to.
    package struct Sealed: Sendable, Codable {
        /// ``FleetEntry/format``.
        package var format: Int = FleetEntry.format
        /// The rotation.
        package var rotationID: String
        /// The consumer's name.
        package var consumer: String
        /// The new consumer's id.
        package var newConsumerID: Int
        /// The new key, masked (for people).
        package var maskedKey: String
        /// When the new consumer was created (the deliver files' `rotated_at`).
        package var createdAt: Date?
        /// The pair, sealed to the host.
        package var credential: SealedCredential

        /// The context the pair is bound to, for `host` of the fleet `account`.
        package func context(account: String, host: String) -> SealedCredential.Context {
            .init(
                account: account, host: host, rotationID: rotationID, consumer: consumer, newConsumerID: newConsumerID)
        }
    }

    /// `confirm/<h>/<id>`: what one host did with its sealed copy, written by that host only.
    package struct Confirmation: Sendable, Codable {
        /// ``FleetEntry/format``.
        package var format: Int = FleetEntry.format
        /// The host.
        package var host: String
        /// The `mod_revision` of the sealed copy it answers (a copy sealed again asks again).
        package var sealedRevision: Int64
        /// Published, actions and probe passed.
        package var ok: Bool
        /// Why not (no secret: the host masks its checks' output).
        package var reason: String?
        /// The files it wrote.
        package var files: [String]
        /// The host's wall time when it wrote this.
        package var at: Date
    }

    /// `alive/<h>`: a host's liveness (leased), with its wall time for the skew warning.
    package struct Alive: Sendable, Codable {
        /// ``FleetEntry/format``.
        package var format: Int = FleetEntry.format
        /// The host.
        package var host: String
        /// The host's wall time at the last write.
        package var wallTime: Date
    }

    /// `requests/<id>`: what an operator asks the leader from any host (`rotord rotate`).
    package struct Request: Sendable, Codable {
        /// ``FleetEntry/format``.
        package var format: Int = FleetEntry.format
        /// The request's id (its key, and its answer's).
        package var id: String
        /// The consumer.
        package var consumer: String
        /// The host it was asked on.
        package var from: String
        /// Delete the old consumer now (`--revoke-old-now`).
        package var revokeOldNow: Bool
        /// Accept an unconfirmed rotation (`--accept-unconfirmed`).
        package var acceptUnconfirmed: Bool
        /// Accept for this host only (`--accept-unconfirmed --host H`).
        package var acceptHost: String?
        /// When it was asked (the asking host's wall time).
        package var at: Date
    }

    /// `answers/<id>`: the leader's answer to a request.
    package struct Answer: Sendable, Codable {
        /// ``FleetEntry/format``.
        package var format: Int = FleetEntry.format
        /// The request.
        package var id: String
        /// The leader that answered.
        package var leader: String
        /// Whether what was asked was done (a rotation started or finished, an acceptance recorded).
        package var ok: Bool
        /// What happened, for the operator.
        package var message: String
    }

    /// `history/<id>`: a finished rotation, masked.
    package struct History: Sendable, Codable {
        /// ``FleetEntry/format``.
        package var format: Int = FleetEntry.format
        /// The entry, as the local history keeps it.
        package var entry: StateStore.HistoryEntry
        /// The replacement's id (the marker sweep keeps it).
        package var newConsumerID: Int?
        /// The leader that finished it.
        package var leader: String
        /// The finished record, its secret removed: the times of its steps, which `rotord report` reads on any
        /// host (absent in entries written before it was added).
        package var record: RotationRecord?

        /// The entry of the finished `record`, written by the leader `leader`.
        package init(_ record: RotationRecord, leader: String) {
            var stripped = record
            stripped.newSecret = nil
            entry = StateStore.historyEntry(record)
            newConsumerID = record.newConsumerID
            self.leader = leader
            self.record = stripped
        }
    }

    /// `value` as JSON bytes.
    package static func encode(_ value: some Encodable) -> [UInt8] {
        (try? StateStore.encoder.encode(value)).map(Array.init) ?? []
    }

    /// A value read from etcd, or `nil` when it is not of this format.
    package static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> T? {
        try? StateStore.decoder.decode(type, from: Data(bytes))
    }
}
