// Temporary stand-in until the SystemdSupport module lands (replaced wholesale).
import Logging

public enum SystemdEnvironment {
    public static func bootstrapLogging(identifier: String, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}

public struct SystemdNotifier: Sendable {
    public init() {}
    public var isActive: Bool { false }
    @discardableResult public func send(_ assignments: String) -> Bool { false }
    public func ready(status: String? = nil) {}
    public func status(_ text: String) {}
    public func stopping(status: String? = nil) {}
    public func reloading(now: ContinuousClock.Instant? = nil) {}
    public func extendTimeout(by: Duration) {}
    public func watchdogPing() {}
    public func watchdogTrigger() {}
}
public struct WatchdogSettings: Sendable, Equatable {
    public var interval: Duration
    public var pingInterval: Duration { interval / 2 }
    public static func fromEnvironment() -> WatchdogSettings? { nil }
}
public struct WatchdogGate: Sendable {
    public init(maxStall: Duration) {}
    public enum Decision: Sendable, Equatable { case ping, withhold(stalledFor: Duration) }
    public func decide(now: ContinuousClock.Instant, lastHeartbeat: ContinuousClock.Instant) -> Decision { .ping }
}
