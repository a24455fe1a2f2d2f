#!/usr/bin/env bash
# The fleet's figures (docs/benchmarks.md, "Fleet"): N due consumers on an account limited to 60 requests a minute,
# rotated by one host alone and by a 3-host fleet (release binaries, a real 3-member etcd); rotations per minute,
# API requests, 406s, and the etcd requests and bytes per rotation. Usage: scripts/fleet-bench.sh [CONSUMERS]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/release-flags.sh
for product in rotord rotord-faults fracttal-sim; do swift build "${release_flags[@]}" --product "$product" >/dev/null; done
swift build --build-tests >/dev/null
export ROTORD_TEST_BIN_DIR=$(swift build "${release_flags[@]}" --show-bin-path)
export ROTORD_FLEET_BENCH=1 ROTORD_FLEET_BENCH_CONSUMERS=${1:-40}
swift test --skip-build --filter 'FleetTests/benchmarkAFleetAtTheAccountsLimit' 2>&1 | grep -E 'fleet bench|✘|passed|failed'
