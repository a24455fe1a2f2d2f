import Synchronization

/// A ``RequestBudget`` shared by every ``FracttalClient`` built with it, so that the record of
/// requests sent and the server's rate-limit state survive a client rebuild (the daemon rebuilds
/// its client on every configuration reload) instead of starting from a full budget.
///
/// With a `ledgerPath`, the budget is also shared with the other processes that use the same
/// file (every rotord of a host with the same state directory): the requests any of them sent in
/// the last window, and what the server said of the account's budget, count for all of them.
public final class SharedRequestBudget: Sendable {
    private let budget: Mutex<RequestBudget>
    private let ledger: RequestBudgetLedger?
    let trafficCounters = Mutex(FracttalTraffic())

    /// A budget of `limit` requests per `window` (0 = unlimited), shared with other processes
    /// through the file at `ledgerPath` when given and usable (otherwise this process's own).
    public init(limit: Int, window: Duration = .seconds(60), ledgerPath: String? = nil) {
        budget = Mutex(RequestBudget(limit: limit, window: window))
        ledger = ledgerPath.flatMap { RequestBudgetLedger(path: $0) }
    }

    /// The file the budget is shared through, when it is.
    public var ledgerPath: String? { ledger?.path }

    /// Runs `body` on the budget, under its lock (and the ledger's, when shared).
    public func withBudget<R: Sendable>(_ body: (inout RequestBudget) -> R) -> R {
        budget.withLock { budget in
            guard let ledger else { return body(&budget) }
            return ledger.transact(&budget, body)
        }
    }

    /// The limit in force.
    public var limit: Int { budget.withLock { $0.limit } }

    /// Changes the limit (a reload may change `fracttal.requests_per_minute`), keeping the requests
    /// already sent and any wait the server asked for.
    public func setLimit(_ limit: Int) {
        budget.withLock { $0 = $0.resized(limit: limit) }
    }
}

extension RequestBudget {
    /// This budget with another limit: the most recent sends (up to the new limit) and the server's
    /// block are kept.
    public func resized(limit newLimit: Int) -> RequestBudget {
        var out = RequestBudget(limit: newLimit, window: window)
        for instant in sendTimes.suffix(max(newLimit, 0)) { out.record(at: instant) }
        out.copyServerState(from: self)
        return out
    }
}
