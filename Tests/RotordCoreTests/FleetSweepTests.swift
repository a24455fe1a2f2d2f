import Foundation
import RotordCore
import Testing

/// The fleet leader's marker sweep: which consumers are creates that landed after their leader lost the fleet.
struct FleetSweepTests {
    static func consumer(_ id: Int, marker: String?) -> ConsumerRecord {
        ConsumerRecord(
            id: id, name: "etl",
            description: marker.map { RotationMarker.description(original: "etl", rotationID: $0) },
            authorizationType: "client_credentials", permissionGroupId: 3, fracttalHub: false, key: "key\(id)",
            createdAt: Date(timeIntervalSince1970: 0))
    }

    @Test func aMarkedConsumerThatIsNotTheJournaledReplacementIsLate() {
        let listing = [Self.consumer(1, marker: nil), Self.consumer(2, marker: "r1"), Self.consumer(3, marker: "r1")]
        let known = ["r1": FleetSweep.Known(step: .published, newConsumerID: 2)]
        #expect(FleetSweep.lateCreates(in: listing, known: known).map(\.id) == [3])
    }

    @Test func aFinishedRotationKeepsOnlyItsReplacement() {
        let listing = [Self.consumer(2, marker: "r1"), Self.consumer(9, marker: "r1")]
        #expect(FleetSweep.lateCreates(in: listing, known: ["r1": .init(step: nil, newConsumerID: 2)]).map(\.id) == [9])
        // A failed or abandoned rotation kept no replacement: every consumer with its marker is late.
        #expect(
            FleetSweep.lateCreates(in: listing, known: ["r1": .init(step: nil, newConsumerID: nil)]).map(\.id) == [
                2, 9,
            ])
    }

    @Test func stepsWithTheirOwnMarkerSearchAndUnknownMarkersAreLeftAlone() {
        let listing = [Self.consumer(5, marker: "r2"), Self.consumer(6, marker: "single-host")]
        for step in [RotationStep.planned, .creating, .discarding] {
            #expect(FleetSweep.lateCreates(in: listing, known: ["r2": .init(step: step, newConsumerID: nil)]).isEmpty)
        }
        #expect(FleetSweep.lateCreates(in: listing, known: [:]).isEmpty, "a marker the fleet does not know")
    }
}
