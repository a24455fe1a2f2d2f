#!/usr/bin/env bash
# Tests the Debian package: lintian on the .deb, rotord.yaml(5) against docs/configuration.md, then
# dpkg -i, start without and with a configuration, remove and purge inside a throw-away container
# booted under systemd 252 (the same copy-on-write overlay of / on a tmpfs as run.sh: nothing reaches
# the host, and the host's /tmp is never touched). Prints "package: N passed, M failed".
#
# Usage: Tests/SystemdHarness/package.sh [DEB]   (default: make deb from the release build in BIN_DIR)
set -euo pipefail
cd "$(dirname "$0")/../.."

. Tests/SystemdHarness/harness-lib.sh
harness_require package
deb=${1:-}
if [ -z "$deb" ]; then
    make --no-print-directory deb >&2
    deb=$(ls -t dist/rotord_*.deb | head -1)
fi
echo "package: testing $deb"

harness_overlay pkg
mkdir -p "$base"/pkg
results=$base/out/results.txt
: > "$results"
pass() { echo "PASS $1" >> "$results"; }
fail() { echo "FAIL $1: $2" >> "$results"; }

# 1. lintian (Debian's checks): no error; warnings and overrides are listed (each justified in
#    docs/install.md; the overrides in packaging/lintian-overrides).
SECONDS=0
lintian --tag-display-limit 0 --show-overrides "$deb" > "$base"/out/lintian.txt 2>&1 || true
sed 's/^/package: lintian: /' "$base"/out/lintian.txt
errors=$(grep -c '^E: ' "$base"/out/lintian.txt || true)
warnings=$(grep -c '^W: ' "$base"/out/lintian.txt || true)
overrides=$(grep -c '^O: ' "$base"/out/lintian.txt || true)
if [ "$errors" -eq 0 ] && ! grep -q '^internal error\|^lintian: ' "$base"/out/lintian.txt; then
    pass "lintian-no-errors ($warnings warnings, $overrides overrides, ${SECONDS}s)"
else
    fail lintian-no-errors "$errors errors (E:)"
fi

# 2. rotord.yaml(5) names every key of docs/configuration.md (keys: the first column of its
#    "| key |" tables and the section headings), so the page cannot drift silently.
if missing=$(python3 - docs/configuration.md packaging/man/rotord.yaml.5 <<'PY'
import re, sys
doc, page = open(sys.argv[1], encoding="utf-8").read(), open(sys.argv[2], encoding="utf-8").read()
page = page.replace("\\-", "-").replace("\\fB", "").replace("\\fR", "").replace("\\fI", "")
keys, in_key_table = set(), False
for line in doc.splitlines():
    if line.startswith("#"):
        keys.update(k for k in re.findall(r"`([a-z_]+)`", line))
    if line.startswith("| key |"):
        in_key_table = True
        continue
    if not line.startswith("|"):
        in_key_table = False
        continue
    if in_key_table and not line.startswith("| ---"):
        first = line.split("|")[1]
        keys.update(re.sub(r":.*", "", k) for k in re.findall(r"`([^`]+)`", first))
missing = sorted(k for k in keys if not re.search(r"(?<![\w.-])" + re.escape(k) + r"(?![\w-])", page))
print(" ".join(missing))
sys.exit(1 if missing or len(keys) < 40 else 0)
PY
); then
    pass "man-rotord.yaml.5-has-every-key"
else
    fail man-rotord.yaml.5-has-every-key "missing: $missing"
fi

# 3. Depends: what the statically linked (Swift runtime included) binaries still need.
depends=$(dpkg-deb -f "$deb" Depends)
# libc6 2.36: the first glibc whose loader applies packed relocations (RELR, see 3b).
if echo "$depends" | grep -q 'libsystemd0' && echo "$depends" | grep -qF 'libc6 (>= 2.36)' \
    && ! echo "$depends" | grep -qi swift; then
    pass "deb-depends ($depends; $(du -h "$deb" | cut -f1) packed, $(dpkg-deb -f "$deb" Installed-Size) KiB installed)"
else
    fail deb-depends "$depends"
fi

# 3b. How the shipped rotord is linked (Package.swift, releaseLinking; docs/benchmarks.md,
#     "Memory"): relative relocations packed (RELR: each start reads 24 KB, not 2.9 MB) and no
#     symbol table exported to the dynamic loader (the Swift runtime's static link asks for one).
mkdir -p "$base"/pkg/x
dpkg-deb -x "$deb" "$base"/pkg/x
shipped=$base/pkg/x/usr/bin/rotord
relr=$(readelf -dW "$shipped" | grep -c '(RELR)' || true)
exported=$(readelf -W --dyn-syms "$shipped" | awk '$1 ~ /^[0-9]+:$/ && $7 != "UND"' | wc -l)
if [ "$relr" -ge 1 ] && [ "$exported" -lt 100 ]; then
    pass "deb-rotord-linking (RELR; $exported exported symbols)"
else
    fail deb-rotord-linking "RELR entries: $relr, exported symbols: $exported (expected RELR and under 100)"
fi

# 4. Under systemd: the container.
if [ -e "$root"/usr/bin/rotord ] || [ -e "$root"/etc/rotord ] || [ -e "$root"/var/lib/rotord ]; then
    fail clean-host "the host already has /usr/bin/rotord, /etc/rotord or /var/lib/rotord"
fi
cp "$deb" "$base"/pkg/rotord.deb
# A container image's policy-rc.d (exit 101: "no service actions") would stop deb-systemd-invoke from
# acting in the maintainer scripts; a real machine has none.
rm -f "$root"/usr/sbin/policy-rc.d
mkdir -p "$root"/usr/local/lib/rotord-test "$root"/etc/rotord-test
install -m 0755 Tests/SystemdHarness/package-checker.sh Tests/SystemdHarness/checker-lib.sh "$root"/usr/local/lib/rotord-test/
cp config/rotord.example.yaml "$root"/etc/rotord-test/
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rand() { python3 -c "import secrets, string; print(''.join(secrets.choice(string.ascii_letters + string.digits) for _ in range($1)))"; }
admin_key=$(rand 18); admin_secret=$(rand 32); etl_key=$(rand 18)
echo "$port" > "$root"/etc/rotord-test/sim-port
printf '%s' "$admin_key" > "$root"/etc/rotord-test/admin-key
printf '%s' "$admin_secret" > "$root"/etc/rotord-test/admin-secret
printf '%s' "$etl_key" > "$root"/etc/rotord-test/etl-key
chmod 0600 "$root"/etc/rotord-test/admin-*
ago() { date -u -d "-$1 days" +%Y-%m-%dT%H:%M:%S.000000+00:00; }
# The example's two consumers: reports-etl past its 30-day deadline (rotated at once, whatever the
# window), erp-sync fresh.
cat > "$root"/etc/rotord-test/seed.json <<JSON
{"permission_groups": [{"id": 1, "name": "Super Administrador", "super_admin": true},
                       {"id": 3, "name": "Reportes"}, {"id": 4, "name": "Integraciones"}],
 "consumers": [
  {"name": "rotord-admin", "permission_group_id": 1, "key": "$admin_key", "secret": "$admin_secret"},
  {"name": "reports-etl", "permission_group_id": 3, "key": "$etl_key", "secret": "$(rand 32)", "created_at": "$(ago 40)"},
  {"name": "erp-sync", "permission_group_id": 4, "secret": "$(rand 32)", "created_at": "$(ago 2)"}]}
JSON
# What the example configuration's hooks call: reports-etl.service (reloaded) and its program.
harness_reloadable_unit reports-etl
printf '#!/bin/sh\n# reports-etl --check-credentials (test)\nexit 0\n' > "$root"/usr/local/bin/reports-etl
chmod 0755 "$root"/usr/local/bin/reports-etl
cat > "$root"/etc/systemd/system/package-checker.service <<'UNIT'
[Unit]
Description=rotord package checks
[Service]
Type=oneshot
ExecStart=/usr/local/lib/rotord-test/package-checker.sh
StandardOutput=journal+console
UNIT
cat > "$root"/etc/systemd/system/package-harness.target <<'UNIT'
[Unit]
Description=rotord package test
Wants=reports-etl.service package-checker.service
UNIT

echo "package: booting a container (systemd $(systemctl --version | head -1 | cut -d' ' -f2))"
SECONDS=0
timeout 300 systemd-nspawn -q --keep-unit --register=no --link-journal=no -D "$root" \
    --bind="$base"/out:/out --bind-ro="$base"/pkg:/pkg -b -- systemd.unit=package-harness.target \
    > "$base"/out/console.txt 2>&1 || true
echo "package: the container ran for ${SECONDS}s"
grep -q '^checker-done' "$base"/out/container.txt 2>/dev/null || fail checker-finished "the checker did not finish"
[ -f "$base"/out/container.txt ] && grep -E '^(PASS|FAIL)' "$base"/out/container.txt >> "$results"

# No secret in the container's journal.
if [ -f "$base"/out/journal.export ]; then
    leaked=""
    etl_secret=$(sed -n 's/^FRACTTAL_CLIENT_SECRET=//p' "$base"/out/reports-etl.env 2>/dev/null)
    for s in "$admin_secret" $etl_secret; do grep -qF "$s" "$base"/out/journal.export && leaked="$leaked ${s:0:4}…"; done
    [ -z "$leaked" ] && [ -n "$etl_secret" ] && pass journal-no-secret || fail journal-no-secret "leaked:$leaked"
fi

sed 's/^/package: /' "$results"
passed=$(grep -c '^PASS' "$results" || true)
failed=$(grep -c '^FAIL' "$results" || true)
if [ "$failed" -gt 0 ]; then
    echo "--- console (last 40 lines)"; tail -40 "$base"/out/console.txt
    echo "--- rotord journal (last 60 lines)"; tail -60 "$base"/out/journal.txt 2>/dev/null
    echo "--- rotord's errors"; grep -E '^ +(ERROR|ROTORD_ERROR)=' "$base"/out/journal-verbose.txt 2>/dev/null | sort | uniq -c | tail -20
fi
echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
