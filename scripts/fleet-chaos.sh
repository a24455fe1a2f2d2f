#!/usr/bin/env bash
# The fleet's chaos run (docs/fleet.md, issue 20): kills, pauses and partitions of three release rotord hosts and of
# one etcd member, then the engine simulation's invariants (FleetTests.aChaosRunKeepsTheFleetsInvariants,
# Tests/RotordIntegrationTests/FleetChaos.swift).
#
#   scripts/fleet-chaos.sh [ROUNDS [SEED]]     e.g. scripts/fleet-chaos.sh 30      (ROUNDS 30, SEED 7 by default)
#
# A failure prints its seed and its rounds' faults; the same ROUNDS and SEED replay the same faults. Each take-over
# costs a whole rate-limit window (60 s) and the next round waits for the new leader to work: a 30-round run takes
# six to ten minutes or more (seed 7, session 9: 383 s, 3 partitions of an etcd member, 4 take-overs, 43 rotations,
# 0 violations).
# SCRATCH (default .build) is the build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-30}
seed=${2:-7}
scratch=${SCRATCH:-.build}

. scripts/release-flags.sh  # release_flags: -c release --static-swift-stdlib and function sections
echo "fleet-chaos: building the release rotord, rotord-faults and fracttal-sim"
for product in rotord rotord-faults fracttal-sim; do
    swift build --scratch-path "$scratch" "${release_flags[@]}" --product "$product"
done
release=$(swift build --scratch-path "$scratch" "${release_flags[@]}" --show-bin-path)
export ROTORD_TEST_BIN_DIR=$release
export ROTORD_FLEET_CHAOS_ROUNDS=$rounds
export ROTORD_FLEET_CHAOS_SEED=$seed
echo "fleet-chaos: $rounds rounds, seed $seed, binaries in $release"
swift test --scratch-path "$scratch" --filter 'FleetTests/aChaosRunKeepsTheFleetsInvariants' 2>&1 \
    | grep --line-buffered -vE ' started\.?$'
exit "${PIPESTATUS[0]}"
