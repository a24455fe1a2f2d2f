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
}
