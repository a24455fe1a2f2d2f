import RotordCLI

// rotord with fault injection, for the crash and hang tests only (never installed). It is the
// same command line as `rotord`, plus the faults of `EnvironmentFaults` (docs/testing.md).
RotordCLI.runParkingMainThread(faults: EnvironmentFaults())
