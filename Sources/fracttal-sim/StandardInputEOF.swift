import Foundation
import ServiceLifecycle

/// A service that returns when standard input ends (`fracttal-sim --stop-on-stdin-eof`), which
/// shuts the group down gracefully: a simulator started with a parent's pipe as its standard input
/// does not outlive its parent.
struct StandardInputEOF: Service {
    func run() async {
        let (ended, continuation) = AsyncStream.makeStream(of: Never.self)
        // The blocking read has its own thread; the process ends with the group, the thread with it.
        Thread.detachNewThread {
            _ = FileHandle.standardInput.readDataToEndOfFile()
            continuation.finish()
        }
        await cancelWhenGracefulShutdown {
            for await _ in ended {}
        }
    }
}
