#!/usr/bin/env bash
# Tests rotord under a real systemd 252, booted in a throw-away container (systemd-nspawn) on a
# copy-on-write overlay of / whose upper layer is a tmpfs: nothing reaches the host, and the
# host's /tmp is never touched (booting systemd on the host's own root would empty /tmp; see
# docs/testing.md, "Tests under a real systemd"). Prints "systemd: N passed, M failed".
#
# Usage: Tests/SystemdHarness/run.sh [BIN_DIR]   (default: the release build, built if needed)
set -euo pipefail
cd "$(dirname "$0")/../.."

. Tests/SystemdHarness/harness-lib.sh
harness_require systemd
bin=${1:-}
if [ -z "$bin" ]; then
    . scripts/release-flags.sh
    for product in rotord rotord-faults fracttal-sim; do swift build "${release_flags[@]}" --product "$product" 2>&1 | grep -E "error" || true; done
    bin=$(swift build "${release_flags[@]}" --show-bin-path)
fi
echo "systemd: testing $bin/rotord and $bin/fracttal-sim"

harness_overlay sd

# What is under test.
install -m 0755 "$bin/rotord" "$bin/fracttal-sim" "$root"/usr/local/bin/
install -m 0644 systemd/rotord.service systemd/rotord-once.service systemd/rotord.timer "$root"/etc/systemd/system/
mkdir -p "$root"/usr/lib/systemd/catalog "$root"/usr/local/lib/rotord-test
install -m 0644 systemd/rotord.catalog "$root"/usr/lib/systemd/catalog/
install -m 0755 Tests/SystemdHarness/checker.sh Tests/SystemdHarness/checker-lib.sh Tests/SystemdHarness/sealed-client.sh \
    Tests/SystemdHarness/admin-checker.sh Tests/SystemdHarness/timer-checker.sh "$root"/usr/local/lib/rotord-test/
# The test-only build with crash points (never installed by the package), for the admin's kill -9 checks.
install -m 0755 "$bin/rotord-faults" "$root"/usr/local/lib/rotord-test/

# The Fracttal simulator inside the container, on a free loopback port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rand() { python3 -c "import secrets, string; print(''.join(secrets.choice(string.ascii_letters + string.digits) for _ in range($1)))"; }
admin_key=$(rand 18); admin_secret=$(rand 32)
etl_secret=$(rand 32); erp_secret=$(rand 32); fresh_secret=$(rand 32); sealed_key=$(rand 18); sealed_secret=$(rand 32)
ago() { date -u -d "-$1 days" +%Y-%m-%dT%H:%M:%S.000000+00:00; }
mkdir -p "$root"/etc/rotord/credentials "$root"/etc/rotord/deliver
chmod 0700 "$root"/etc/rotord/credentials
echo "$port" > "$root"/etc/rotord/sim-port
cat > "$root"/etc/rotord/seed.json <<JSON
{"permission_groups": [{"id": 1, "name": "Super Administrador", "super_admin": true}, {"id": 3, "name": "Reportes"}],
 "consumers": [
  {"name": "rotord-admin", "permission_group_id": 1, "key": "$admin_key", "secret": "$admin_secret", "created_at": "$(ago 100)"},
  {"name": "etl", "permission_group_id": 3, "description": "nightly export", "secret": "$etl_secret", "created_at": "$(ago 120)"},
  {"name": "erp", "permission_group_id": 3, "secret": "$erp_secret", "created_at": "$(ago 100)"},
  {"name": "fresh", "permission_group_id": 3, "secret": "$fresh_secret", "created_at": "$(ago 5)"},
  {"name": "sealed", "permission_group_id": 3, "key": "$sealed_key", "secret": "$sealed_secret", "created_at": "$(ago 120)"}]}
JSON
printf '%s' "$admin_key" > "$root"/etc/rotord/credentials/fracttal-admin-key
printf '%s' "$admin_secret" > "$root"/etc/rotord/credentials/fracttal-admin-secret
chmod 0600 "$root"/etc/rotord/credentials/*
# sealed's pair as an operator first hands it over; the checker encrypts it with systemd-creds.
printf 'FRACTTAL_CLIENT_ID=%s\nFRACTTAL_CLIENT_SECRET=%s\n' "$sealed_key" "$sealed_secret" > "$root"/etc/rotord/sealed-initial.env
chmod 0600 "$root"/etc/rotord/sealed-initial.env

config() {  # config MAX_AGE NAMES...
    local max_age=$1; shift
    cat <<YAML
fracttal:
  token_url: http://127.0.0.1:$port/oauth/token
  api_url: http://127.0.0.1:$port/api
  admin:
    key_file: /run/credentials/rotord.service/fracttal-admin-key
    secret_file: /run/credentials/rotord.service/fracttal-admin-secret${ADMIN_ROTATE:+
    rotate: $ADMIN_ROTATE}
  timeout: 2s
  verify_timeout: 10s
state_dir: /var/lib/rotord
defaults:
  max_age: $max_age
  rotate_before: 7d
  grace: 0s
consumers:
YAML
    for name in "$@"; do
        # owner/group root: under the unit's syscall filter (no chown), a file already root's must still work.
        printf '  - name: %s\n    permission_group: Reportes\n    deliver:\n      - path: /etc/rotord/deliver/%s.env\n        format: env\n        mode: "0640"\n        owner: root\n        group: "0"\n' "$name" "$name"
        # etl's service is reloaded through systemd from inside rotord's sandbox.
        if [ "$name" = etl ]; then printf '    after_publish:\n      - reload: hook-target.service\n'; fi

    done
}
config 1000d etl erp > "$root"/etc/rotord/config-idle.yaml
config 1000d etl erp fresh > "$root"/etc/rotord/config-idle3.yaml
config 90d etl erp fresh > "$root"/etc/rotord/config-due.yaml
# rotord's own admin consumer (admin-checker.sh): its sources are the unit's LoadCredential= files (the default).
ADMIN_ROTATE="{max_age: 90d, rotate_before: 7d, grace: 0s, encrypted: true}" config 1000d etl erp \
    > "$root"/etc/rotord/config-admin.yaml
cp "$root"/etc/rotord/config-idle.yaml "$root"/etc/rotord/rotord.yaml
# format: credstore-encrypted (issue 21): sealed is due; its service reads the file with LoadCredentialEncrypted=.
{ config 90d; printf '  - name: sealed\n    permission_group: Reportes\n    deliver:\n      - path: /etc/rotord/deliver/sealed.cred\n        format: credstore-encrypted\n    after_publish:\n      - restart: sealed-client.service\n'; } \
    > "$root"/etc/rotord/config-sealed.yaml

cat > "$root"/etc/systemd/system/fracttal-sim.service <<UNIT
[Unit]
Description=Fracttal simulator (test)
[Service]
ExecStart=/usr/local/bin/fracttal-sim --port $port --seed /etc/rotord/seed.json
UNIT
mkdir -p "$root"/etc/systemd/system/rotord.service.d "$root"/etc/systemd/system/rotord-once.service.d
cat > "$root"/etc/systemd/system/rotord.service.d/test.conf <<'UNIT'
[Unit]
Requires=fracttal-sim.service
After=fracttal-sim.service
[Service]
WatchdogSec=6s
RestartSec=1s
UNIT
cat > "$root"/etc/systemd/system/rotord-once.service.d/test.conf <<'UNIT'
[Unit]
Requires=fracttal-sim.service
After=fracttal-sim.service
UNIT
cat > "$root"/etc/systemd/system/checker.service <<'UNIT'
[Unit]
Description=rotord systemd checks
After=fracttal-sim.service
[Service]
Type=oneshot
ExecStart=/usr/local/lib/rotord-test/checker.sh
StandardOutput=journal+console
UNIT
harness_reloadable_unit hook-target
cat > "$root"/etc/systemd/system/sealed-client.service <<'UNIT'
[Unit]
Description=A service reading its Fracttal pair with LoadCredentialEncrypted= (test)
After=fracttal-sim.service
[Service]
Type=oneshot
RemainAfterExit=yes
LoadCredentialEncrypted=sealed.cred:/etc/rotord/deliver/sealed.cred
ExecStart=/usr/local/lib/rotord-test/sealed-client.sh
UNIT
cat > "$root"/etc/systemd/system/harness.target <<'UNIT'
[Unit]
Description=rotord test harness
Wants=fracttal-sim.service hook-target.service checker.service
UNIT

echo "systemd: booting a container (systemd $(systemctl --version | head -1 | cut -d' ' -f2))"
timeout 600 systemd-nspawn -q --keep-unit --register=no --link-journal=no -D "$root" \
    --bind="$base"/out:/out -b -- systemd.unit=harness.target > "$base"/out/console.txt 2>&1 || true

results=$base/out/results.txt
[ -s "$results" ] || { echo "systemd: the checker wrote no results"; tail -50 "$base"/out/console.txt; echo "systemd: 0 passed, 1 failed"; exit 1; }

# Journal checks on the host: fields, MESSAGE_IDs, transport, and no secret anywhere.
secrets="$admin_secret $etl_secret $erp_secret $fresh_secret $sealed_secret"
# The admin secret the self-rotation checks left in the (encrypted) sources, decrypted by admin-checker.sh.
[ -s "$base"/out/admin-secret ] && secrets="$secrets $(cat "$base"/out/admin-secret)"
for f in "$base"/out/deliver/*.env; do
    [ -f "$f" ] && secrets="$secrets $(sed -n 's/^FRACTTAL_CLIENT_SECRET=//p' "$f")"
done
# sealed's rotated secret, decrypted inside the container by the checker (/out is this run's tmpfs).
if [ -f "$base"/out/sealed-secret ]; then secrets="$secrets $(cat "$base"/out/sealed-secret)"; fi
python3 - "$base/out/journal.json" "$base/out/journal.export" $secrets >> "$results" <<'PY'
import json, sys
path, export, secrets = sys.argv[1], sys.argv[2], [s for s in sys.argv[3:] if s]
entries = []
for line in open(path, encoding="utf-8", errors="replace"):
    try: entries.append(json.loads(line))
    except ValueError: pass
mine = [e for e in entries if e.get("SYSLOG_IDENTIFIER") == "rotord" and e.get("_TRANSPORT") == "journal"]
def check(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
check("journal-transport", len(mine) > 0, "no rotord entry with _TRANSPORT=journal")
fields = set().union(*[set(e) for e in mine]) if mine else set()
for f in ["ROTORD_CONSUMER", "ROTORD_ROTATION_ID", "ROTORD_STEP", "ROTORD_KEY", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "PRIORITY"]:
    check("journal-field-" + f, f in fields, "missing")
ids = {e.get("MESSAGE_ID") for e in mine}
for name, mid in [("started", "b547fb6966c14aefa6b4c2cc75d93871"), ("published", "9929ecd502e14a588932459358b5a4ad"),
                  ("completed", "8b7df3b0646248018bbf28f7082aa8e4"), ("old-deleted", "dba2b805be12407da3ed9b1d7471f342"),
                  ("ready", "308d42952a6f47faa72c9092dea56e0e"), ("reload-failed", "01b7b641ee3c4349a10126f5639caa60")]:
    check("journal-message-id-" + name, mid in ids, "not found")
keys = [e.get("ROTORD_KEY", "") for e in mine if e.get("ROTORD_KEY")]
check("journal-keys-masked", all(len(k) <= 5 for k in keys), str(keys[:3]))
data = open(export, "rb").read() + open(path, "rb").read()
leaked = [s[:4] + "…" for s in secrets if s.encode() in data]
check("journal-no-secret", not leaked and len(secrets) >= 4, "leaked: " + ", ".join(leaked))
PY

cat "$results" | sed 's/^/systemd: /'
passed=$(grep -c '^PASS' "$results" || true)
failed=$(grep -c '^FAIL' "$results" || true)
if [ "$failed" -gt 0 ]; then
    echo "--- console (last 40 lines)"; tail -40 "$base"/out/console.txt
    echo "--- rotord journal (last 60 lines)"; tail -60 "$base"/out/journal.txt
fi
echo "systemd: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
