/// The exit statuses of rotord's commands, decided in one place (docs/cli.md, "Exit statuses at a
/// glance"; scripts and the units rely on them: `RestartPreventExitStatus=78`).
package enum ExitStatus {
    /// Success.
    package static let success: Int32 = 0
    /// A rotation failed or is unconfirmed, a consumer is missing or ambiguous, a check failed.
    package static let failure: Int32 = 1
    /// A bad command line (the argument parser's own status).
    package static let usage: Int32 = 64
    /// EX_CANTCREAT: an output file cannot be created (`fleet keygen` onto an existing file).
    package static let cannotCreate: Int32 = 73
    /// EX_TEMPFAIL: something waits to be retried.
    package static let tempFail: Int32 = 75
    /// EX_CONFIG: the configuration (file, credentials, state directory) is unusable.
    package static let config: Int32 = 78

    /// `run --once`: 1 when a rotation failed, is unconfirmed or is held (its consumer left the configuration after
    /// publishing: `unmanaged_in_flight`) or a consumer has a problem; 75 when
    /// something waits (a retry, a back-off, Fracttal unavailable); 0 otherwise.
    package static func pass(_ report: Reconciler.Report) -> Int32 {
        if report.failedCount > 0 || !report.problems.isEmpty || report.unconfirmedCount > 0 || report.heldCount > 0 {
            return failure
        }
        if report.retryingCount > 0 || report.backingOffCount > 0 || report.unavailable != nil { return tempFail }
        return success
    }

    /// `rotate NAME`: 0 when the rotation of `name` is done or waits only for its grace period; 1
    /// otherwise, including Fracttal unreachable (the operator asked for this rotation now).
    package static func rotation(of name: String, _ report: Reconciler.Report) -> Int32 {
        guard report.problems.isEmpty, report.unavailable == nil,
            let last = report.outcomes.last(where: { $0.consumer == name })
        else { return failure }
        switch last.outcome {
        case .done, .waiting: return success
        default: return failure
        }
    }
}
