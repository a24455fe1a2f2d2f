import Foundation
import Testing

@testable import RotordCore

/// rotord formats and reads its UTC timestamps without Foundation's ISO 8601 style
/// (UTCTimestamp.swift); the text must be Foundation's, so that state files, reports and
/// templates read the same as before.
@Suite struct UTCTimestampTests {
    static let seconds: [Double] = [
        0, 0.999, 59, 86_399.5, 951_782_400 /* 2000-02-29 */, 1_709_164_800 /* 2024-02-29 */,
        1_796_028_166.123_456, 1_798_761_599.9 /* 2026-12-31T23:59:59 */, 4_107_542_400 /* 2100-03-01 */,
        253_402_300_799 /* 9999-12-31T23:59:59 */,
    ]

    @Test(arguments: seconds)
    func formatsAsFoundation(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(UTCTimestamp.format(date) == date.ISO8601Format())
        #expect(UTCTimestamp.format(date) == date.formatted(.iso8601))
    }

    @Test(arguments: seconds)
    func readsWhatItWrites(seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        let text = UTCTimestamp.format(date)
        #expect(UTCTimestamp.parse(text) == (try Date(text, strategy: .iso8601)))
        #expect(UTCTimestamp.parse(text)?.timeIntervalSince1970 == seconds.rounded(.down))
    }

    @Test(arguments: [
        "", "2026-11-30", "2026-11-30T08:15:00", "2026-11-30T08:15:00+00:00", "2026-11-30 08:15:00Z",
        "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30T08:60:00Z",
        "2026-11-30T08:15:60Z", "2O26-11-30T08:15:00Z", "2026-11-30T08:15:00.5Z",
    ])
    func refusesEverythingElse(text: String) {
        #expect(UTCTimestamp.parse(text) == nil)
    }

    struct Stamped: Codable, Equatable {
        var at: Date
    }

    @Test func jsonStrategiesMatchFoundations() throws {
        let value = Stamped(at: Date(timeIntervalSince1970: 1_796_028_166))
        let ours = JSONEncoder()
        ours.dateEncodingStrategy = .utcTimestamp
        let foundations = JSONEncoder()
        foundations.dateEncodingStrategy = .iso8601
        #expect(try ours.encode(value) == foundations.encode(value))

        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .utcTimestamp
        #expect(
            try decoder.decode(Stamped.self, from: Data(#"{"at":"2026-11-30T08:15:00Z"}"#.utf8)).at
                == Date(timeIntervalSince1970: 1_796_026_500))
        // Another ISO 8601 form (an offset, fractions) still reads, through Foundation.
        #expect(
            try decoder.decode(Stamped.self, from: Data(#"{"at":"2026-11-30T09:15:00.000+01:00"}"#.utf8)).at
                == Date(timeIntervalSince1970: 1_796_026_500))
        #expect(throws: DecodingError.self) {
            try decoder.decode(Stamped.self, from: Data(#"{"at":"yesterday"}"#.utf8))
        }
    }
}
