import RotordCore
import Testing

@Suite struct ConfigDurationTests {
    @Test(arguments: [
        ("90d", Int64(90 * 86_400)), ("36h", Int64(36 * 3_600)), ("15m", Int64(900)), ("30s", Int64(30)),
        ("0s", Int64(0)), ("1h30m", Int64(5_400)),
        ("2w", Int64(14 * 86_400)),
    ])
    func parses(text: String, seconds: Int64) {
        #expect(ConfigDuration(parsing: text)?.seconds == seconds)
    }

    @Test(arguments: ["", "90", "d", "-1d", "1.5h", "10y", "3 days", "h1"])
    func rejects(text: String) {
        #expect(ConfigDuration(parsing: text) == nil)
    }

    @Test func printsShortestForm() {
        #expect(ConfigDuration.days(90).description == "90d")
        #expect(ConfigDuration.seconds(5_400).description == "1h30m")
        #expect(ConfigDuration.zero.description == "0s")
        #expect(ConfigDuration.seconds(3 * 86_400 + 4 * 3_600 + 5).humanReadable == "3d 4h")
    }
}

@Suite struct KeyMaskTests {
    @Test func keepsFourCharacters() {
        #expect(KeyMask.mask("AbCdEfGhIjKlMnOpQr") == "AbCd…")
        #expect(KeyMask.mask("abcd") == "…")
    }
}

@Suite struct RotationMarkerTests {
    @Test func roundTrips() {
        let d = RotationMarker.description(original: "nightly export", rotationID: "r1-abc")
        #expect(d == "[rotord:r1-abc] nightly export", "the marker first: a shortened description keeps it")
        #expect(RotationMarker.rotationID(in: d) == "r1-abc")
        #expect(RotationMarker.stripped(d) == "nightly export")
        // A second rotation replaces the marker instead of piling them up.
        let d2 = RotationMarker.description(original: d, rotationID: "r2-def")
        #expect(d2 == "[rotord:r2-def] nightly export")
        #expect(RotationMarker.description(original: nil, rotationID: "x") == "[rotord:x]")
        #expect(RotationMarker.rotationID(in: "no marker") == nil)
    }
}
