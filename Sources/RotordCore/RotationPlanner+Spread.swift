import Foundation

extension RotationPlan {
    /// The plan with `schedule`'s limits applied: of the due entries, those closest to their
    /// compliance deadline (then by name) start now, at most `max_per_cycle`, and no more than
    /// `max_concurrent` minus the rotations already in flight (``RotationSchedule/countsAsInFlight(_:)``).
    /// The others are marked ``PlanEntry/deferred``, keep their status `due`, and ask for the next pass
    /// ``RotationSchedule/followUpDelay`` from ``now``. Pure.
    public func spread(_ schedule: RotationSchedule) -> RotationPlan {
        guard schedule.maxPerCycle != nil || schedule.maxConcurrent != nil else { return self }
        let inFlight = entries.count(where: { entry in
            if case .inFlight(let record) = entry.status {
                RotationSchedule.countsAsInFlight(record.step)
            } else {
                false
            }
        })
        var allowed = Int.max
        if let perCycle = schedule.maxPerCycle { allowed = min(allowed, perCycle) }
        if let concurrent = schedule.maxConcurrent { allowed = min(allowed, max(concurrent - inFlight, 0)) }
        let due = entries.indices.filter { entries[$0].status == .due }.sorted { a, b in
            let (ea, eb) = (entries[a], entries[b])
            return (ea.expiryDate ?? .distantFuture, ea.managed.name) < (
                eb.expiryDate ?? .distantFuture, eb.managed.name
            )
        }
        guard due.count > allowed else { return self }
        var out = self
        let next = now.addingTimeInterval(RotationSchedule.followUpDelay.timeInterval)
        for index in due.dropFirst(allowed) {
            out.entries[index].deferred = true
            out.entries[index].nextDeadline = next
            let limit =
                allowed == schedule.maxPerCycle
                ? "schedule.max_per_cycle (\(schedule.maxPerCycle ?? 0))"
                : "schedule.max_concurrent (\(schedule.maxConcurrent ?? 0), \(inFlight) in flight)"
            out.entries[index].reason = "due, held for the next pass by \(limit)"
        }
        return out
    }
}
