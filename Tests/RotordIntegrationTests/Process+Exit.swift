import Dispatch
import Foundation

extension Process {
    /// Waits for this (real, running) process to exit, at most `timeout`: on its termination
    /// handler, not by polling. Returns whether it has exited.
    func waitForExit(timeout: Duration) -> Bool {
        let exited = DispatchSemaphore(value: 0)
        terminationHandler = { _ in exited.signal() }
        // It may have exited before the handler was set: then nothing would signal.
        guard isRunning else { return true }
        let milliseconds = Int(
            timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return exited.wait(timeout: .now() + .milliseconds(milliseconds)) == .success || !isRunning
    }
}
