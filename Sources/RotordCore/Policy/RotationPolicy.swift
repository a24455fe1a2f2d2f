import Foundation

/// When a consumer must be rotated, and how long the replaced consumer lives on.
///
/// A consumer created at `c` is out of policy at `c + maxAge`; rotord starts its rotation at
/// `c + maxAge - rotateBefore` (the *due date*), inside the window if one is set, and deletes the
/// old consumer `grace` after the new credential is published.
public struct RotationPolicy: Sendable, Hashable {
    /// A consumer older than this is out of policy.
    public var maxAge: ConfigDuration
    /// Rotate this long before `maxAge` is reached.
    public var rotateBefore: ConfigDuration
    /// Keep the old consumer this long after publishing the new credential.
    public var grace: ConfigDuration
    /// Optional: new rotations start only inside this window.
    public var window: RotationWindow?
    /// Never start a policy rotation of a consumer less than this after its last completed one
    /// (`min_interval:`; 0 = no limit). A manual `rotate` is not held by it.
    public var minInterval: ConfigDuration
    /// Spread due times over this span (`jitter:`): each consumer's due date moves earlier by a
    /// stable offset from its name (``RotationJitter``); 0 = no spread.
    public var jitter: ConfigDuration

    /// The defaults of `docs/configuration.md`: 90 days, 7 days early, 24 h grace, no window.
    public init(
        maxAge: ConfigDuration = .days(90),
        rotateBefore: ConfigDuration = .days(7),
        grace: ConfigDuration = .hours(24),
        window: RotationWindow? = nil,
        minInterval: ConfigDuration = .zero,
        jitter: ConfigDuration = .zero
    ) {
        self.maxAge = maxAge
        self.rotateBefore = rotateBefore
        self.grace = grace
        self.window = window
        self.minInterval = minInterval
        self.jitter = jitter
    }

    /// `createdAt + maxAge - rotateBefore`.
    public func dueDate(createdAt: Date) -> Date {
        createdAt.addingTimeInterval(maxAge.timeInterval - rotateBefore.timeInterval)
    }

    /// `createdAt + maxAge`: past this the consumer is out of policy.
    public func expiryDate(createdAt: Date) -> Date {
        createdAt.addingTimeInterval(maxAge.timeInterval)
    }

    /// Whether a consumer created at `createdAt` is due at `now`: `createdAt + maxAge - rotateBefore <= now`.
    ///
    /// This ignores the window: use ``startDate(createdAt:now:)`` for when a rotation may begin.
    public func isDue(createdAt: Date, now: Date) -> Bool {
        dueDate(createdAt: createdAt) <= now
    }

    /// When the rotation of a consumer created at `createdAt` should start, seen at `now`:
    /// the due date, moved into the window when one is set. Never earlier than `now` once due.
    public func startDate(createdAt: Date, now: Date) -> Date {
        let due = dueDate(createdAt: createdAt)
        let earliest = max(due, now)
        guard let window else { return due <= now ? now : due }
        return window.nextStart(onOrAfter: earliest) ?? earliest
    }
}
