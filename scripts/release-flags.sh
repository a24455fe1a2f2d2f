# How rotord's release binaries are built: the one definition, sourced by the scripts (test, demo,
# bench, link-order, the systemd harness) and read by the Makefile (SWIFT_BUILD_FLAGS).
#
# --static-swift-stdlib  the Swift runtime, Foundation and ICU linked in (docs/install.md): no
#                        shared Swift libraries to map and relocate at each start.
# -function-sections     every function in a section of its own (Swift, C and C++), so that the
#                        linker can place the functions a pass runs together (Package.swift,
#                        releaseLinking; Sources/rotord/rotord.order; docs/benchmarks.md, "Memory").
#
# SwiftPM does not recompile Swift modules when only these flags change: after changing them, remove
# .build/release (and .build/x86_64-unknown-linux-gnu/release) once.
release_flags=(-c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xcxx -ffunction-sections)
