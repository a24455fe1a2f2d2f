#!/usr/bin/env bash
# Every test: unit and integration (swift test), then the tests under a real systemd.
# The process-level tests (integration, crash safety, chaos, daemon, systemd, package) run the
# **release** binaries, built as they are shipped (scripts/release-flags.sh: Swift runtime linked in);
# the unit tests run the debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# Formatting (.swift-format: 120 columns, 4 spaces).
swift format lint --strict -r Sources Tests Package.swift

log=$(mktemp /var/tmp/rotord-build.XXXXXX)
trap 'rm -f "$log"' EXIT
build() {  # build ARGS...: quiet unless something is wrong
    swift build "$@" 2>&1 | tee -a "$log" | grep -E "error|warning:|Build" | grep -vE '^\[[0-9]+/[0-9]+\] Compiling' || true
}
SECONDS=0
. scripts/release-flags.sh  # release_flags: -c release --static-swift-stdlib and function sections
for product in rotord rotord-faults fracttal-sim rotord-simulate; do build "${release_flags[@]}" --product "$product"; done
echo "test: release build took ${SECONDS}s"
SECONDS=0
build --build-tests
echo "test: debug build with tests took ${SECONDS}s"
if grep -qE "error:" "$log"; then echo "test: the build failed" >&2; exit 1; fi
# No warnings in the project's own code (dependencies are not ours to fix).
if grep -E "^$PWD/(Sources|Tests)/.*warning:" "$log" | sort -u | grep .; then
    echo "test: the build has warnings in rotord's own code" >&2
    exit 1
fi

release=$(swift build "${release_flags[@]}" --show-bin-path)
export ROTORD_TEST_BIN_DIR=$release
echo "test: process-level tests run $release/rotord, $release/rotord-faults and $release/fracttal-sim"
# The integration tests check a metrics file written by the release rotord with promtool (scripts/setup.sh
# installs it): here a missing promtool fails them instead of skipping the check.
export ROTORD_REQUIRE_PROMTOOL=1
set +e
# Everything but the tests against a real etcd (the fleet's and the etcd client's), which follow on their own.
etcd_tests='FleetTests|EtcdClientTests\.'
swift test --skip-build --skip "$etcd_tests" 2>&1 | grep --line-buffered -vE ' started\.?$'
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "test: swift test failed" >&2; exit "$status"; }
# The tests against real etcd members (docs/testing.md) on their own: leases of 3 to 6 s, elections, token expiry,
# three rotords per fleet world; beside every other suite starting at once on a 2-core machine, etcd's answers and
# keep-alives came late (a plain put took over 5 s; no leader was elected within 10 s).
SECONDS=0
set +e
swift test --skip-build --filter "$etcd_tests" 2>&1 | grep --line-buffered -vE ' started\.?$'
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "test: the etcd and fleet tests failed" >&2; exit "$status"; }
echo "test: the etcd and fleet tests took ${SECONDS}s"

# The alerting rules for rotord's metrics (contrib/prometheus): valid, and their unit tests pass.
promtool_run() {  # promtool_run WHAT ARGS...: prints promtool's output only when it fails
    local what=$1 out
    shift
    if ! out=$(promtool "$@" 2>&1); then echo "$out"; echo "test: promtool $what failed" >&2; exit 1; fi
    echo "promtool: $what: $(grep -o 'SUCCESS.*' <<<"$out" | head -1)"
}
promtool_run "check rules" check rules contrib/prometheus/rotord.rules.yml
promtool_run "test rules" test rules contrib/prometheus/rotord.rules.test.yml

# The engine simulation (docs/architecture.md, "Simulation"): as many seeded histories of >= 50 steps as fit
# in a minute on this machine's cores, release build, at least 2,000; a failing one prints its seed and its
# shortest reproduction (scripts/simulate.sh replays it).
set +e
"$release/rotord-simulate" --seconds 60 --histories 1000000 --jobs "$(nproc)" | tee "$log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "test: the engine simulation broke an invariant" >&2; exit 1; }
histories=$(sed -n 's/^simulation: \([0-9]*\) histories.*/\1/p' "$log" | tail -1)
[ "${histories:-0}" -ge 2000 ] || { echo "test: the simulation ran ${histories:-0} histories in 60 s (< 2000)" >&2; exit 1; }

Tests/SystemdHarness/run.sh "$release"

# The Debian package, from the binaries tested above (docs/install.md).
SECONDS=0
if ! make --no-print-directory -s deb BIN_DIR="$release" DEB_COMPRESSION="-Zxz -z1" > "$log" 2>&1; then
    cat "$log"; echo "test: make deb failed" >&2; exit 1
fi
grep '^make: ' "$log"
deb=$(ls -t dist/rotord_*.deb | head -1)
echo "test: make deb took ${SECONDS}s"
Tests/SystemdHarness/package.sh "$deb"
