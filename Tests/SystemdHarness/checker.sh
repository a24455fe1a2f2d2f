#!/bin/bash
# Runs inside the throw-away container (see run.sh): drives rotord under a real systemd and
# records one line per check in /out/results.txt, then powers the container off.
set -u
out=/out/results.txt
: > "$out"
. /usr/local/lib/rotord-test/checker-lib.sh
status_has() { show StatusText | grep -q -- "$1"; }

finish() {
    systemctl show rotord > /out/show-rotord.txt 2>&1
    systemctl show rotord-once > /out/show-rotord-once.txt 2>&1
    journalctl -o json --no-pager > /out/journal.json 2>/dev/null
    journalctl -o export --no-pager > /out/journal.export 2>/dev/null
    journalctl -u rotord -u rotord-once -u fracttal-sim --no-pager > /out/journal.txt 2>&1
    cp -r /etc/rotord/deliver /out/deliver 2>/dev/null
    systemctl poweroff
    exit 0
}
trap finish EXIT

port=$(cat /etc/rotord/sim-port)
listening() { bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"; }
wait_for 30 listening || fail sim-started "fracttal-sim is not listening on $port"

# 1. Start: READY=1 after the first pass, with a status line.
cp /etc/rotord/config-idle.yaml /etc/rotord/rotord.yaml
if systemctl start rotord && [ "$(show ActiveState)" = active ] && [ -n "$(show StatusText)" ]; then
    pass "active-with-status ($(show StatusText))"
else
    fail active-with-status "ActiveState=$(show ActiveState) StatusText=$(show StatusText)"
fi
status_has "2 consumers" && pass status-counts-consumers || fail status-counts-consumers "$(show StatusText)"
# A clean start is quiet: nothing at warning level or above (libdispatch's "Failed to set thread
# priority" lines were, before LIBDISPATCH_LOG=NO in the unit).
noisy=$(journalctl -u rotord -p warning --no-pager -o cat 2>/dev/null)
if [ -z "$noisy" ] && ! journalctl -u rotord --no-pager -o cat | grep -q "thread priority"; then
    pass quiet-start
else
    fail quiet-start "$(echo "$noisy" | head -5 | tr '\n' '|')"
fi

# 2. Reload: systemctl reload returns once the new configuration is active.
cp /etc/rotord/config-idle3.yaml /etc/rotord/rotord.yaml
if systemctl reload rotord && wait_for 5 status_has "3 consumers"; then
    pass "reload-applies ($(show StatusText))"
else
    fail reload-applies "StatusText=$(show StatusText)"
fi

# 3. An invalid configuration is refused: the service stays active and says so.
printf 'fracttal:\n  token_url: not-a-url\n' > /etc/rotord/rotord.yaml
if systemctl reload rotord; then fail invalid-reload-refused "systemctl reload succeeded"; else pass invalid-reload-refused; fi
if [ "$(show ActiveState)" = active ] && status_has "config reload failed"; then
    pass "invalid-config-keeps-running ($(show StatusText))"
else
    fail invalid-config-keeps-running "ActiveState=$(show ActiveState) StatusText=$(show StatusText)"
fi

# 4. The watchdog: the daemon frozen with SIGSTOP (mid-rotation) stops pinging; systemd's SIGABRT
#    must end it at once (no Swift backtracer under MemoryDenyWriteExecute=, see the unit), and it
#    is restarted within WatchdogSec= + 5 s; the restarted daemon finishes the rotations.
cp /etc/rotord/config-due.yaml /etc/rotord/rotord.yaml
systemctl reload rotord || fail reload-due "systemctl reload failed"
frozen=$(show MainPID)
kill -STOP "$frozen"
stopped_at=$(date +%s%N)
watchdog=$(systemctl show rotord -p WatchdogUSec --value)
restarted() { [ "$(show NRestarts)" -ge 1 ] && [ "$(show MainPID)" != "$frozen" ] && [ "$(show MainPID)" != 0 ]; }
if wait_for 60 restarted; then
    took_ms=$(( ($(date +%s%N) - stopped_at) / 1000000 ))
    if [ "$took_ms" -le 11000 ]; then
        pass "watchdog-restart-after-sigstop (restarted ${took_ms} ms after SIGSTOP; WatchdogSec=$watchdog; NRestarts=$(show NRestarts))"
    else
        fail watchdog-restart-after-sigstop "restarted only after ${took_ms} ms (limit: WatchdogSec 6 s + 5 s)"
    fi
else
    fail watchdog-restart-after-sigstop "NRestarts=$(show NRestarts) Result=$(show Result) MainPID=$(show MainPID)"
fi
kill -0 "$frozen" 2>/dev/null && fail frozen-process-gone "pid $frozen still exists" || pass frozen-process-gone
journalctl -u rotord --no-pager | grep -qi "watchdog" && pass watchdog-in-journal || fail watchdog-in-journal "no watchdog message"
done_both() { [ -s /etc/rotord/deliver/etl.env ] && [ -s /etc/rotord/deliver/erp.env ] && \
    [ "$(journalctl -u rotord MESSAGE_ID=8b7df3b0646248018bbf28f7082aa8e4 -o cat --no-pager | wc -l)" -ge 2 ]; }
if wait_for 90 done_both; then pass resumed-and-rotated; else fail resumed-and-rotated "rotations not completed"; fi
wait_for 30 systemctl is-active rotord && pass active-after-restart || fail active-after-restart "$(show ActiveState)"
[ -s /run/hook-target-reloaded ] && pass reload-hook-through-systemd || fail reload-hook-through-systemd "hook-target.service was not reloaded"
stat -c '%a' /etc/rotord/deliver/etl.env | grep -q '^640$' && pass deliver-mode || fail deliver-mode "$(stat -c '%a' /etc/rotord/deliver/etl.env)"

# 5. Stop: clean and within TimeoutStopSec.
start=$SECONDS
systemctl stop rotord
took=$((SECONDS - start))
if [ "$(show Result)" = success ] && [ "$(show ActiveState)" = inactive ] && [ $took -lt 30 ]; then
    pass "stop-clean (${took}s)"
else
    fail stop-clean "Result=$(show Result) ActiveState=$(show ActiveState) took=${took}s"
fi

# 6. Timer mode: rotord.timer starts rotord-once.service, which exits 0.
mkdir -p /etc/systemd/system/rotord.timer.d
printf '[Timer]\nOnCalendar=\nOnActiveSec=1s\nRandomizedDelaySec=0\n' > /etc/systemd/system/rotord.timer.d/test.conf
systemctl daemon-reload
systemctl start rotord.timer
once_ran() { [ "$(systemctl show rotord-once -p ExecMainExitTimestampMonotonic --value)" != 0 ] && \
    ! systemctl is-active -q rotord-once; }
if wait_for 60 once_ran && [ "$(systemctl show rotord-once -p ExecMainStatus --value)" = 0 ] && \
    [ "$(systemctl show rotord-once -p Result --value)" = success ]; then
    pass timer-runs-once
else
    fail timer-runs-once "$(systemctl show rotord-once -p ExecMainStatus,Result | tr '\n' ' ')"
fi

# 7. A configuration error at start-up exits 78 and is not restarted in a loop.
systemctl stop rotord.timer 2>/dev/null
printf 'fracttal:\n  token_url: not-a-url\n' > /etc/rotord/rotord.yaml
systemctl reset-failed rotord 2>/dev/null
systemctl start rotord 2>/dev/null
sleep 3
status=$(show ExecMainStatus); state=$(show ActiveState); restarts=$(show NRestarts)
sleep 2
if [ "$status" = 78 ] && [ "$state" = failed ] && [ "$(show NRestarts)" = "$restarts" ]; then
    pass "config-error-exits-78-no-restart"
else
    fail config-error-exits-78-no-restart "ExecMainStatus=$status ActiveState=$state NRestarts=$restarts→$(show NRestarts)"
fi

# 8. format: credstore-encrypted (issue 21): a service reads its pair with LoadCredentialEncrypted=,
#    before and after the daemon (in its sandbox) rotates it. The host key is made first, as
#    docs/install.md says (rotord's sandbox cannot create it). The operator's first hand-over is
#    encrypted by systemd-creds itself; the rotation's file by rotord.
sealed=/etc/rotord/deliver/sealed.cred
client() { cat /run/sealed-client.txt 2>/dev/null; }
before=""
systemd-creds setup >/dev/null 2>&1
if systemd-creds encrypt --name=sealed.cred /etc/rotord/sealed-initial.env "$sealed" 2>/dev/null && \
    systemctl start sealed-client && client | grep -q ' 200$'; then
    before=$(client | cut -d' ' -f1)
    pass "credstore-encrypted-before-rotation (sealed-client.service: key $before…, token 200)"
else
    fail credstore-encrypted-before-rotation "client: $(client); $(systemctl show sealed-client -p Result --value)"
fi
rm -f /etc/rotord/sealed-initial.env
cp /etc/rotord/config-sealed.yaml /etc/rotord/rotord.yaml
systemctl reset-failed rotord 2>/dev/null
systemctl start rotord
rotated() { client | grep -q ' 200$' && [ -n "$before" ] && [ "$(client | cut -d' ' -f1)" != "$before" ]; }
if wait_for 90 rotated; then
    pass "credstore-encrypted-after-rotation (sealed-client.service restarted by after_publish: key $before… → $(client | cut -d' ' -f1)…, token 200)"
else
    fail credstore-encrypted-after-rotation \
        "client: $(client); rotord: $(journalctl -u rotord -p warning -o cat --no-pager | tail -3 | tr '\n' '|')"
fi
# For run.sh's journal-no-secret: the rotated secret too must be nowhere in the journal.
(umask 077; systemd-creds decrypt --name=sealed.cred "$sealed" - 2>/dev/null | sed -n 's/^FRACTTAL_CLIENT_SECRET=//p' \
    > /out/sealed-secret)
if [ "$(stat -c %a "$sealed")" = 600 ] && ! grep -q FRACTTAL_CLIENT "$sealed" && [ -s /out/sealed-secret ]; then
    pass "credstore-encrypted-file (0600, not plaintext, systemd-creds decrypt --name=sealed.cred reads it)"
else
    fail credstore-encrypted-file "mode $(stat -c %a "$sealed" 2>&1)"
fi
systemctl stop rotord

# 9 and 10: rotord's own admin consumer (fracttal.admin.rotate).
. /usr/local/lib/rotord-test/admin-checker.sh
# 11: run --once reads the installed timer's period.
. /usr/local/lib/rotord-test/timer-checker.sh
