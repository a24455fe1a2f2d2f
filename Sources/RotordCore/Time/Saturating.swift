/// Conversions that clamp instead of trapping: an out-of-range value (a date centuries away, a
/// duration of `Int64.max` seconds) must never end the process with an overflow trap (SIGILL).
extension FixedWidthInteger {
    /// `value` rounded toward zero and clamped to `Self.min...Self.max`; NaN is 0. Unlike
    /// `init(_:)`, never traps.
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= Double(Self.max) {
            // Double(Self.max) rounds up to a power of two for 64-bit types, so `>=` is the exact test.
            self = .max
        } else if value <= Double(Self.min) {
            self = .min
        } else {
            self = Self(value)
        }
    }

    /// `self * other`, or the bound of `Self` in the direction of the overflow.
    public func saturatingMultiplied(by other: Self) -> Self {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) == (other < 0) ? .max : .min
    }

    /// `self - other`, or the bound of `Self` in the direction of the overflow.
    public func saturatingSubtracting(_ other: Self) -> Self {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }

    /// `self + other`, or the bound of `Self` in the direction of the overflow.
    public func saturatingAdding(_ other: Self) -> Self {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other < 0 ? .min : .max
    }
}

extension Duration {
    /// The longest duration rotord computes with: `Int64.max` seconds. Twice it still fits a
    /// `Duration`, so a sum or a doubling of two clamped durations cannot overflow.
    public static let saturationLimit = Duration.seconds(Int64.max)

    /// `seconds` as a duration, clamped to `-saturationLimit...saturationLimit`; NaN is zero.
    /// Unlike `.seconds(_:)` of a `Double`, never traps.
    public static func saturatingSeconds(_ seconds: Double) -> Duration {
        if seconds.isNaN { return .zero }
        if seconds >= Double(Int64.max) { return saturationLimit }
        if seconds <= Double(Int64.min) { return .seconds(Int64.min) }
        return .seconds(seconds)
    }

    /// This duration in whole nanoseconds, clamped to `Int64.min...Int64.max` (about ±292 years).
    public var saturatingNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.saturatingMultiplied(by: 1_000_000_000).saturatingAdding(attoseconds / 1_000_000_000)
    }

    /// This duration in seconds, as Foundation's dates count them.
    public var timeInterval: Double { Double(saturatingNanoseconds) / 1_000_000_000 }

    /// This duration clamped to `-saturationLimit...saturationLimit`.
    public var clampedToSaturationLimit: Duration {
        min(max(self, .seconds(Int64.min)), Self.saturationLimit)
    }
}
