import RotordCLI

// The shipped rotord: the command line, with no fault injection (docs/testing.md).
await RotordCLI.main()
