#!/usr/bin/env bash
# The main job: build rotord and run its demo against the built-in Fracttal simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --product rotord 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' >&2 || true
exec .build/debug/rotord demo "$@"
