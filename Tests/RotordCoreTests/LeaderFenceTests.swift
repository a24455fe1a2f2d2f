import RotordCore
import Testing

/// Issue 20, point 3: the leader fences its Fracttal requests in time.
@Suite struct LeaderFenceTests {
    let t0 = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { t0.advanced(by: .milliseconds(Int64(seconds * 1000))) }

    @Test func aNewLeaderWaitsThenSendsOnlyWhileTheLeaseIsFarEnough() {
        var fence = LeaderFence<ContinuousClock.Instant>(
            ttl: .seconds(10), requestTimeout: .seconds(2), margin: .seconds(3))
        #expect(fence.configurationProblem == nil)
        #expect(fence.refusal(at: at(0)) == .notLeader)
        fence.won(at: at(0))
        // Settling: the previous leader's last request may still land (timeout + margin = 5 s).
        #expect(fence.refusal(at: at(4.9)) == .settling(until: at(5)))
        #expect(fence.refusal(at: at(5)) == nil, "deadline at 10 s, 5 s away")
        #expect(fence.refusal(at: at(7.1)) == .leaseEnding(deadline: at(10)), "less than the margin left")
        // A keep-alive sent at 3.3 s and answered late still counts from its sending.
        fence.keepAliveSucceeded(sentAt: at(3.3))
        #expect(fence.leaseDeadline == at(13.3))
        #expect(fence.refusal(at: at(10)) == nil)
        #expect(fence.refusal(at: at(10.4)) == .leaseEnding(deadline: at(13.3)))
        // An older keep-alive answered after a newer one does not move the deadline back.
        fence.keepAliveSucceeded(sentAt: at(1))
        #expect(fence.leaseDeadline == at(13.3))
        fence.lost()
        #expect(fence.refusal(at: at(11)) == .notLeader)
    }

    @Test func timingsThatCanNeverWorkAreSaid() {
        let timeoutTooLong = LeaderFence<ContinuousClock.Instant>(
            ttl: .seconds(10), requestTimeout: .seconds(30), margin: .seconds(31))
        #expect(timeoutTooLong.configurationProblem?.contains("two thirds of the lease TTL") == true)
        let marginTooSmall = LeaderFence<ContinuousClock.Instant>(
            ttl: .seconds(10), requestTimeout: .seconds(3), margin: .seconds(3))
        #expect(marginTooSmall.configurationProblem?.contains("must exceed fracttal.timeout") == true)
    }
}
