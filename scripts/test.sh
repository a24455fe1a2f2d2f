#!/usr/bin/env bash
# Every test: unit and integration (swift test), then the tests under a real systemd.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# Formatting (.swift-format: 120 columns, 4 spaces).
swift format lint --strict -r Sources Tests Package.swift

log=$(mktemp /var/tmp/rotord-build.XXXXXX)
trap 'rm -f "$log"' EXIT
swift build --build-tests 2>&1 | tee "$log" | grep -E "error|warning:|Compiling|Build" | grep -vE '^\[[0-9]+/[0-9]+\] Compiling' || true
if grep -qE "error:" "$log"; then echo "test: the build failed" >&2; exit 1; fi
# No warnings in the project's own code (dependencies are not ours to fix).
if grep -E "^$PWD/(Sources|Tests)/.*warning:" "$log" | sort -u | grep .; then
    echo "test: the build has warnings in rotord's own code" >&2
    exit 1
fi

set +e
swift test --skip-build 2>&1 | grep --line-buffered -vE ' started\.?$'
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "test: swift test failed" >&2; exit "$status"; }

if [ -x tests/systemd/run.sh ]; then
    tests/systemd/run.sh
fi
