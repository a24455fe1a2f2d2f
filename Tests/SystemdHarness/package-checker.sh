#!/bin/bash
# Runs inside the throw-away container (see package.sh): installs the package with dpkg under a
# running systemd, checks it, removes and purges it, and records one line per check in
# /out/container.txt, then powers the container off.
set -u
out=/out/container.txt
: > "$out"
. /usr/local/lib/rotord-test/checker-lib.sh
finish() {
    journalctl -o export --no-pager > /out/journal.export 2>/dev/null
    journalctl -u rotord -u fracttal-sim --no-pager > /out/journal.txt 2>&1
    journalctl -u rotord -o verbose --no-pager > /out/journal-verbose.txt 2>&1
    echo checker-done >> "$out"
    systemctl poweroff
    exit 0
}
trap finish EXIT
t=/etc/rotord-test

# 1. Install under a running systemd: the maintainer scripts make the directories, update the
#    catalog and reload systemd; nothing is enabled or started.
if dpkg -i /pkg/rotord.deb > /out/dpkg-install.txt 2>&1; then pass dpkg-install; else fail dpkg-install "$(tail -3 /out/dpkg-install.txt | tr '\n' '|')"; fi
dpkg -L rotord 2>/dev/null | while read -r f; do [ -d "$f" ] || echo "$f"; done > /out/files.txt   # files and links
if systemctl cat rotord.service rotord-once.service rotord.timer >/dev/null 2>&1 && \
    [ "$(systemctl show rotord -p FragmentPath --value)" = /lib/systemd/system/rotord.service ] && \
    show ExecStart | grep -q 'path=/usr/bin/rotord'; then
    pass units-known-to-systemd
else
    fail units-known-to-systemd "FragmentPath=$(show FragmentPath) ExecStart=$(show ExecStart)"
fi
enabled="$(systemctl is-enabled rotord.service) $(systemctl is-enabled rotord.timer)"
active="$(systemctl is-active rotord.service) $(systemctl is-active rotord.timer)"
if [ "$enabled" = "disabled disabled" ] && [ "$active" = "inactive inactive" ]; then
    pass "installed-not-started (enabled: $enabled; active: $active)"
else
    fail installed-not-started "enabled: $enabled; active: $active"
fi

# 2. Directories: owners and modes (tmpfiles.d/rotord.conf, applied by postinst).
for spec in /etc/rotord:755 /etc/rotord/credentials:700 /etc/rotord/deliver:755 /var/lib/rotord:700 \
    /etc/rotord/rotord.yaml.example:644 /usr/bin/rotord:755 /usr/bin/fracttal-sim:755; do
    path=${spec%%:*}; want="${spec#*:} root root"
    got=$(stat -c '%a %U %G' "$path" 2>&1)
    [ "$got" = "$want" ] && pass "mode $path ($got)" || fail "mode $path" "$got, want $want"
done

# 3. The service identity: root, in a private user namespace where only root is mapped, with an
#    empty capability bounding set (docs/install.md). Checked on the running process in 6.
ident="User=$(show User) PrivateUsers=$(show PrivateUsers) CapabilityBoundingSet=$(show CapabilityBoundingSet)"
if [ "$ident" = "User= PrivateUsers=yes CapabilityBoundingSet=" ]; then
    pass "service-identity-unit ($ident)"
else
    fail service-identity-unit "$ident"
fi

# 4. Man pages render without warnings; completions load; the catalog is in journald's index.
export MANWIDTH=80
for page in "8 rotord" "8 rotord.run" "8 rotord.check-config" "5 rotord.yaml" "1 fracttal-sim"; do
    text=$(man -P cat $page 2>/out/man-warnings.txt)
    title=${page#* }
    if echo "$text" | grep -q "^NAME" && echo "$text" | grep -qi -- "$title" && [ ! -s /out/man-warnings.txt ]; then
        pass "man $page ($(echo "$text" | wc -l) lines)"
    else
        fail "man $page" "$(head -c 300 /out/man-warnings.txt) $(echo "$text" | head -3 | tr '\n' '|')"
    fi
done
if bash -c 'source /usr/share/bash-completion/completions/rotord && complete -p rotord' >/dev/null 2>&1 && \
    [ -s /usr/share/zsh/vendor-completions/_rotord ] && [ -s /usr/share/fish/vendor_completions.d/rotord.fish ]; then
    pass completions-bash-zsh-fish
else
    fail completions-bash-zsh-fish "missing or not loadable"
fi
journalctl --list-catalog 2>/dev/null | grep -q '308d42952a6f47faa72c9092dea56e0e' && pass catalog-installed || \
    fail catalog-installed "MESSAGE_ID 308d4295… (ready) not in journalctl --list-catalog"

# 5. Start without a configuration: fails cleanly with 78 and is not restarted in a loop.
systemctl start rotord 2>/dev/null
wait_for 10 test "$(show ActiveState)" = failed
status=$(show ExecMainStatus); state=$(show ActiveState); restarts=$(show NRestarts)
sleep 6   # longer than RestartSec=5s: a restart would have happened
if [ "$status" = 78 ] && [ "$state" = failed ] && [ "$restarts" = 0 ] && [ "$(show NRestarts)" = 0 ]; then
    pass "no-config-exits-78-no-restart (ExecMainStatus=$status, Result=$(show Result), NRestarts=0 after 6 s)"
else
    fail no-config-exits-78-no-restart "ExecMainStatus=$status ActiveState=$state Result=$(show Result) NRestarts=$restarts→$(show NRestarts)"
fi
journalctl -u rotord -o cat --no-pager | grep -q '/etc/rotord/rotord.yaml' && pass no-config-names-the-file || \
    fail no-config-names-the-file "$(journalctl -u rotord -o cat --no-pager | tail -3 | tr '\n' '|')"

# 5b. A configuration but the admin credentials not written yet (the package's empty files): 78 too,
#     naming the empty file, instead of systemd's 243/CREDENTIALS for a missing one.
printf 'fracttal:\n  token_url: http://127.0.0.1:9/oauth/token\n  api_url: http://127.0.0.1:9/api\nconsumers: []\n' \
    > /etc/rotord/rotord.yaml
systemctl reset-failed rotord
systemctl start rotord 2>/dev/null
wait_for 10 test "$(show ActiveState)" = failed
if [ "$(show ExecMainStatus)" = 78 ] && [ "$(show NRestarts)" = 0 ] && \
    journalctl -u rotord -o cat --no-pager | grep -q 'fracttal-admin-key is empty'; then
    pass empty-credentials-exit-78
else
    fail empty-credentials-exit-78 "ExecMainStatus=$(show ExecMainStatus) NRestarts=$(show NRestarts)"
fi

# 6. With a configuration (the shipped example, pointed at the packaged fracttal-sim) and the admin
#    credentials: active, and reports-etl (past its deadline) is rotated.
port=$(cat $t/sim-port)
systemd-run -q --unit=fracttal-sim /usr/bin/fracttal-sim --port "$port" --seed $t/seed.json
listening() { bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"; }
wait_for 30 listening || fail sim-started "fracttal-sim is not listening on $port"
install -m 0600 $t/admin-key /etc/rotord/credentials/fracttal-admin-key
install -m 0600 $t/admin-secret /etc/rotord/credentials/fracttal-admin-secret
sed -e "s|https://one.fracttal.com/oauth/token|http://127.0.0.1:$port/oauth/token|" \
    -e "s|https://app.fracttal.com/api|http://127.0.0.1:$port/api|" /etc/rotord/rotord.yaml.example > /etc/rotord/rotord.yaml
chmod 0600 /etc/rotord/rotord.yaml
if CREDENTIALS_DIRECTORY=/etc/rotord/credentials rotord check-config > /out/check-config.txt 2>&1; then
    pass example-config-checks
else
    fail example-config-checks "$(tail -5 /out/check-config.txt | tr '\n' '|')"
fi
systemctl reset-failed rotord
if systemctl start rotord && [ "$(show ActiveState)" = active ]; then
    pass "active-with-config ($(show StatusText))"
else
    fail active-with-config "ActiveState=$(show ActiveState) Result=$(show Result) ExecMainStatus=$(show ExecMainStatus)"
fi
published() { [ -s /etc/rotord/deliver/reports-etl.env ] && \
    journalctl -u rotord MESSAGE_ID=9929ecd502e14a588932459358b5a4ad -o cat --no-pager | grep -q .; }
if wait_for 60 published && ! grep -q "FRACTTAL_CLIENT_ID=$(cat $t/etl-key)" /etc/rotord/deliver/reports-etl.env; then
    pass "rotates-against-fracttal-sim (reports-etl.env: $(stat -c '%a %U %G' /etc/rotord/deliver/reports-etl.env))"
else
    fail rotates-against-fracttal-sim "StatusText=$(show StatusText); $(ls /etc/rotord/deliver 2>&1 | tr '\n' ' ')"
fi
wait_for 10 test -s /run/reports-etl-reloaded && pass example-hooks-ran || fail example-hooks-ran "reports-etl.service was not reloaded"
pid=$(show MainPID)
uid=$(awk '/^Uid:/ {print $2}' /proc/"$pid"/status 2>/dev/null)
capeff=$(awk '/^CapEff:/ {print $2}' /proc/"$pid"/status 2>/dev/null)
uidmap=$(awk '{print $1, $2, $3}' /proc/"$pid"/uid_map 2>/dev/null)
if [ "$uid" = 0 ] && [ "$capeff" = 0000000000000000 ] && [ "$uidmap" = "0 0 1" ]; then
    pass "service-identity-process (uid 0, CapEff=$capeff, uid_map '$uidmap')"
else
    fail service-identity-process "uid=$uid CapEff=$capeff uid_map=$uidmap"
fi
exposure=$(systemd-analyze security rotord.service 2>/dev/null | sed -n 's/.*Overall exposure level for rotord.service: \([0-9.]*\).*/\1/p')
if [ -n "$exposure" ] && awk "BEGIN {exit !($exposure <= 1.5)}"; then
    pass "systemd-analyze-security ($exposure)"
else
    fail systemd-analyze-security "exposure '$exposure' (want at most 1.5)"
fi

cp /etc/rotord/deliver/reports-etl.env /out/ 2>/dev/null   # its new secret must not be in the journal

# 6b. Upgrade (the same package again: postinst configure with the old version): the running daemon
#     is restarted onto the new binary.
before=$(show MainPID)
restarted() { [ "$(show ActiveState)" = active ] && [ "$(show MainPID)" != "$before" ] && [ "$(show MainPID)" != 0 ]; }
if dpkg -i /pkg/rotord.deb > /out/dpkg-upgrade.txt 2>&1 && wait_for 30 restarted; then
    pass "upgrade-restarts-daemon (MainPID $before → $(show MainPID))"
else
    fail upgrade-restarts-daemon "ActiveState=$(show ActiveState) MainPID $before → $(show MainPID); $(tail -2 /out/dpkg-upgrade.txt | tr '\n' '|')"
fi

# 7. Remove: the units stop and the program goes; configuration and state stay. (Enabled first, as an
#    administrator would: purge removes the link.)
systemctl stop fracttal-sim
systemctl enable -q rotord.service
if dpkg -r rotord > /out/dpkg-remove.txt 2>&1 && [ ! -e /usr/bin/rotord ] && ! systemctl is-active -q rotord && \
    [ -s /etc/rotord/rotord.yaml ] && [ -n "$(ls -A /var/lib/rotord)" ] && [ -s /etc/rotord/deliver/reports-etl.env ]; then
    pass "remove-keeps-config-and-state ($(ls /var/lib/rotord | tr '\n' ' '))"
else
    fail remove-keeps-config-and-state "$(tail -3 /out/dpkg-remove.txt | tr '\n' '|'); active=$(systemctl is-active rotord)"
fi

# 8. Purge: nothing of rotord is left.
dpkg --purge rotord > /out/dpkg-purge.txt 2>&1 || fail dpkg-purge "$(tail -3 /out/dpkg-purge.txt | tr '\n' '|')"
left=""
while read -r f; do [ -f "$f" ] || [ -L "$f" ] && left="$left $f"; done < /out/files.txt
for p in /etc/rotord /var/lib/rotord /etc/systemd/system/multi-user.target.wants/rotord.service; do
    [ -e "$p" ] || [ -L "$p" ] && left="$left $p"
done
systemctl cat rotord.service >/dev/null 2>&1 && left="$left rotord.service(loaded)"
dpkg -s rotord >/dev/null 2>&1 && left="$left dpkg-status"
if [ -z "$left" ] && [ "$(wc -l < /out/files.txt)" -gt 10 ]; then
    pass "purge-removes-everything ($(wc -l < /out/files.txt) paths checked)"
else
    fail purge-removes-everything "left:$left"
fi
