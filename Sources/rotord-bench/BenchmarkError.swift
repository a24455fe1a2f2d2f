/// A benchmark that cannot run as set up: what is missing and what to do.
struct BenchmarkError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}
