#!/usr/bin/env bash
# Benchmarks on a release build; prints the figures of docs/benchmarks.md (takes ~10 minutes).
# scripts/bench.sh [planning|publish|listing|startup|idle|leak|budget|certbot|memory] [--idle-seconds N] [--metrics] [--rotations N]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/release-flags.sh
swift build "${release_flags[@]}" --product rotord 2>&1 | grep -E "error|Compiling rotord|Build" || true
swift build "${release_flags[@]}" --product rotord-bench 2>&1 | grep -E "error|Build" || true
swift build "${release_flags[@]}" --product peak-rss 2>&1 | grep -E "error|Build" || true
exec "$(swift build "${release_flags[@]}" --show-bin-path)/rotord-bench" "$@"
