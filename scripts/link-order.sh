#!/usr/bin/env bash
# Regenerates Sources/rotord/rotord.order, the order in which the release link places rotord's
# functions (Package.swift, releaseLinking; docs/benchmarks.md, "Memory"). It runs the release
# rotord under valgrind's callgrind against fracttal-sim: `run --once` with nothing due, the daemon
# until it is idle, a rotation, `status`, `plan` and `check-config`, and lists every function
# executed in the binary, the passes' functions first, hottest first. Needs valgrind.
# Stale entries are harmless (the linker skips names it does not find): rerun after large changes.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "link-order: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
. scripts/release-flags.sh
for product in rotord fracttal-sim; do
    swift build "${release_flags[@]}" --product "$product" 2>&1 | grep -E "error" >&2 || true
done
bin=$(swift build "${release_flags[@]}" --show-bin-path)
work=$(mktemp -d)
sim_pid=
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
# valgrind cannot read the toolchain's DWARF: profile a copy without it (same code, same symbols).
objcopy --strip-debug "$bin/rotord" "$work/rotord"
printf 'LINKORDERKEY01' >"$work/admin-key"
printf 'linkordersecret0000000000000001' >"$work/admin-secret"
chmod 600 "$work/admin-key" "$work/admin-secret"
cat >"$work/seed.json" <<'SEED'
{"permission_groups": [{"id": 1, "name": "Super Administrador", "super_admin": true}, {"id": 3, "name": "Reportes"}],
 "consumers": [
  {"authorization_type": "client_credentials", "name": "rotord-admin", "permission_group_id": 1, "fracttal_hub": false,
   "key": "LINKORDERKEY01", "secret": "linkordersecret0000000000000001"},
  {"authorization_type": "client_credentials", "name": "c0", "permission_group_id": 3, "fracttal_hub": false},
  {"authorization_type": "client_credentials", "name": "c1", "permission_group_id": 3, "fracttal_hub": false},
  {"authorization_type": "client_credentials", "name": "c2", "permission_group_id": 3, "fracttal_hub": false}]}
SEED
"$bin/fracttal-sim" --port 0 --seed "$work/seed.json" >"$work/sim.out" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/sim.out" && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/sim.out")
[ -n "$port" ] || { echo "link-order: fracttal-sim did not start: $(cat "$work/sim.out")" >&2; exit 1; }
mkdir -p "$work/deliver"
cat >"$work/rotord.yaml" <<YAML
fracttal:
  token_url: http://127.0.0.1:$port/oauth/token
  api_url: http://127.0.0.1:$port/api
  admin: { key_file: $work/admin-key, secret_file: $work/admin-secret }
state_dir: $work/state
defaults: { max_age: 90d, rotate_before: 7d, grace: 0s }
consumers:
  - { name: c0, permission_group: Reportes, deliver: [{ path: $work/deliver/c0.env }] }
  - { name: c1, permission_group: Reportes, deliver: [{ path: $work/deliver/c1.env }] }
  - { name: c2, permission_group: Reportes, deliver: [{ path: $work/deliver/c2.env }] }
YAML
profile() { # NAME ARGS...: one callgrind profile
    local name=$1
    shift
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.$name" --dump-instr=no --demangle=no \
        "$work/rotord" "$@" --config "$work/rotord.yaml" >/dev/null 2>&1 || true
}
profile once run --once
# The daemon: start, READY, idle; ended by SIGTERM (bounded: 60 s).
valgrind --tool=callgrind --callgrind-out-file="$work/cg.daemon" --dump-instr=no --demangle=no \
    "$work/rotord" run --config "$work/rotord.yaml" >"$work/daemon.out" 2>&1 &
daemon=$!
for _ in $(seq 600); do grep -q "ready" "$work/daemon.out" && break; sleep 0.1; done
sleep 5
kill -TERM "$daemon"
wait "$daemon" || true
profile rotate rotate c0
profile status status
profile plan plan
profile check check-config
functions() { awk -v object=/rotord -f scripts/link-order/callgrind-functions.awk "$@" | sort -k1,1nr | cut -d' ' -f2-; }
{
    functions "$work/cg.once" "$work/cg.daemon"
    functions "$work/cg.rotate" "$work/cg.status" "$work/cg.plan" "$work/cg.check"
} | awk '!seen[$0]++' >Sources/rotord/rotord.order
# SwiftPM does not know the order file is a link input: remove the binaries so the next build relinks.
rm -f "$bin/rotord" "$bin/rotord-faults"
echo "link-order: $(wc -l <Sources/rotord/rotord.order) functions in Sources/rotord/rotord.order; rotord and rotord-faults relink at the next release build"
