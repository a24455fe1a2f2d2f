import Foundation
import RotordKit

/// The system's clock moved by a fixed number of seconds (`ROTORD_FAULT_CLOCK_OFFSET`), so a test
/// can run a pass as if a back-off or a grace period had passed without waiting for it.
struct OffsetWallClock: WallClock {
    /// Seconds added to the system's time (negative: earlier).
    let offset: TimeInterval

    func now() -> Date { Date().addingTimeInterval(offset) }
}
