import Glibc
import RotordKit
import Synchronization

/// The entry point shared by `rotord` and the test-only `rotord-faults`.
///
/// Both executables run the same commands; they differ only in the ``FaultInjector`` they plug
/// in before the command line is parsed. The shipped `rotord` plugs in ``NoFaults``.
package enum RotordCLI {
    private static let injector = Mutex<any FaultInjector>(NoFaults())

    /// The fault injector of this process (``NoFaults`` in `rotord`).
    static var faults: any FaultInjector { injector.withLock { $0 } }

    /// Parses the command line and runs the command, then exits with its status.
    package static func main(faults: any FaultInjector = NoFaults()) async {
        injector.withLock { $0 = faults }
        await RotordCommand.main()
    }

    /// Runs ``main(faults:)`` on the global executor and parks the calling thread (the process's
    /// main thread) until the command exits the process.
    ///
    /// An `async` top-level `main` would instead hand the main thread to Dispatch, which ends it
    /// with `pthread_exit`; that forced unwind reads the binary's unwind tables (`.eh_frame`,
    /// `.eh_frame_hdr`), close to 1 MB of pages that then stay resident in an idle daemon
    /// (docs/benchmarks.md, "Memory"). Nothing in rotord runs on the main actor or the main queue.
    package static func runParkingMainThread(faults: any FaultInjector = NoFaults()) -> Never {
        Task.detached {
            await main(faults: faults)
            exit(0)
        }
        while true { pause() }
    }
}
