import Dispatch

/// A watch's dispatch source (the state directory's inotify, the wall clock's timerfd), cancelled (and its
/// descriptor closed by its cancel handler) once, when the watching task ends. Dispatch sources are thread-safe;
/// the type only says so to the compiler.
final class WatchedSource: @unchecked Sendable {
    private let source: any DispatchSourceRead

    init(_ source: any DispatchSourceRead) { self.source = source }

    func cancel() { source.cancel() }
}
