import Foundation
import RotordCore
import Testing

@testable import RotordKit

/// `plan` and `status` print dates relative to now; a date centuries away (a policy at the
/// largest durations, a damaged record) is printed, never trapped on.
@Suite struct ConsumerReportTimeTests {
    static let now = Date(timeIntervalSince1970: 1_796_028_166)

    @Test(arguments: [1e300, -1e300, 9.3e18, -9.3e18])
    func farDatesArePrinted(offset: Double) {
        let text = ConsumerReport.human(Self.now.addingTimeInterval(offset), now: Self.now)
        #expect(text.hasPrefix(offset > 0 ? "in " : ""))
        #expect(text.contains("d"))
    }

    @Test func theMaximumDurationIsPrinted() {
        let text = ConsumerReport.human(Self.now.addingTimeInterval(ConfigDuration.maximum.timeInterval), now: Self.now)
        #expect(text.hasPrefix("in 36500d"))
    }
}
