/// How a caller learns that the client is alive while it waits for the rate limit.
///
/// The client sleeps for the request budget in slices of ``slice`` and calls ``onWait`` before
/// each, so a watchdog fed by the caller's progress does not mistake a long, legitimate wait for a
/// hang. A task-local value, so it reaches the client through any number of calls without plumbing:
///
/// ```swift
/// await FracttalProgress.$onWait.withValue({ monitor.beat() }) { try await client.listConsumers() }
/// ```
public enum FracttalProgress {
    /// Called at least every ``slice`` while the client waits for its budget.
    @TaskLocal public static var onWait: (@Sendable () -> Void)?

    /// The longest single sleep while waiting.
    public static let slice: Duration = .milliseconds(500)
}
