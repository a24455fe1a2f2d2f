#!/usr/bin/env bash
# The main job: build rotord and fracttal-sim (release, as shipped) and run the demo: rotord starts
# fracttal-sim beside it as a child process.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/release-flags.sh
for product in rotord fracttal-sim; do
    swift build "${release_flags[@]}" --product "$product" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' >&2 || true
done
bin=$(swift build "${release_flags[@]}" --show-bin-path)
exec "$bin/rotord" demo "$@"
