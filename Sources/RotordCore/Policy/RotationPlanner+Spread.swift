import Foundation

extension RotationPlan {
    /// The plan with `schedule`'s limits applied: of the due entries, those closest to their
    /// compliance deadline (then by name) start now, at most `max_per_cycle`, and no more than
    /// `max_concurrent` minus the rotations already in flight (``RotationSchedule/countsAsInFlight(_:)``).
    /// The others are marked ``PlanEntry/deferred`` and keep their status `due`; held by `max_per_cycle`, they ask
    /// for the next pass ``RotationSchedule/followUpDelay`` from ``now``; held by `max_concurrent`, for none (the
    /// rotations in flight wake the daemon at their own deadlines, when a slot may free). Pure.
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
        // Held by max_per_cycle: the next pass starts the next ones, right after this one. Held by max_concurrent: a
        // slot frees only when a rotation in flight moves on, at its own deadline (a retry, a grace end), which the
        // plan already has; waking sooner would find nothing to do (a spin that spends the account's budget).
        let byCycle = allowed == schedule.maxPerCycle
        let next = byCycle ? now.addingTimeInterval(RotationSchedule.followUpDelay.timeInterval) : nil
        for index in due.dropFirst(allowed) {
            out.entries[index].deferred = true
            out.entries[index].nextDeadline = next
            let limit =
                byCycle
                ? "schedule.max_per_cycle (\(schedule.maxPerCycle ?? 0))"
                : "schedule.max_concurrent (\(schedule.maxConcurrent ?? 0), \(inFlight) in flight)"
            out.entries[index].reason =
                byCycle
                ? "due, held for the next pass by \(limit)"
                : "due, held by \(limit) until a rotation in flight finishes or moves on"
        }
        return out
    }
}
