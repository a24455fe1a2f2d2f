import RotordCLI

// The shipped rotord: the command line, with no fault injection (docs/testing.md). The main
// thread only waits (RotordCLI.runParkingMainThread).
RotordCLI.runParkingMainThread()
