import Foundation

/// How many rotations a pass may start (`schedule:` in the configuration), so that a fleet whose
/// consumers fall due together never stampedes the Fracttal API or the services that reload.
public struct RotationSchedule: Sendable, Hashable {
    /// At most this many new rotations start in one pass (`max_per_cycle:`); `nil` = no limit.
    /// The rest stay due and start in the following passes, which come ``followUpDelay`` apart.
    public var maxPerCycle: Int?
    /// At most this many rotations may be in flight at once (`max_concurrent:`): started and not
    /// yet published (steps `planned` to `verified`, including those waiting to retry). A
    /// rotation in its grace period does not count. `nil` = no limit.
    public var maxConcurrent: Int?

    /// The daemon lists Fracttal again at least this often (`resync:`), even with no deadline
    /// nearer, so that changes made by hand are noticed; 1 h by default.
    public var resync: ConfigDuration = .hours(1)

    /// How soon the next pass runs when due consumers were held back by the limits.
    public static let followUpDelay: ConfigDuration = .seconds(1)

    /// Creates a schedule; without arguments, no limits.
    public init(maxPerCycle: Int? = nil, maxConcurrent: Int? = nil) {
        self.maxPerCycle = maxPerCycle
        self.maxConcurrent = maxConcurrent
    }

    /// Whether a rotation at `step` counts against ``maxConcurrent``.
    public static func countsAsInFlight(_ step: RotationStep) -> Bool {
        switch step {
        case .planned, .creating, .created, .verified, .discarding: true
        default: false
        }
    }
}
