#!/usr/bin/env bash
# The engine simulation (docs/architecture.md, "Simulation"): seeded random histories of the real
# rotation engine against an in-memory Fracttal, a manual clock and crash points, with the seven
# invariants checked after every step. Release build, 2 histories at once.
#
#   scripts/simulate.sh                       2,000 histories
#   scripts/simulate.sh --histories 10000     as many as asked (a night's worth before a release)
#   scripts/simulate.sh --seconds 60          as many as fit in a minute
#   scripts/simulate.sh --seed 1234           replay one history (or ROTORD_SIMULATION_SEED=1234)
#   scripts/simulate.sh --first 50000 ...     start from another seed
#
# A failing history prints its seed, the broken invariants and its shortest reproduction; the last
# line is `simulation: N histories, M steps, 8 invariants, V violations`. Exit 1 on a violation.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/release-flags.sh
swift build "${release_flags[@]}" --product rotord-simulate 2>&1 | grep -E "error|warning: " || true
exec "$(swift build "${release_flags[@]}" --show-bin-path)/rotord-simulate" "$@"
