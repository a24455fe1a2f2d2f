# Sourced by checker.sh inside the container: `run --once` without --next-run-in reads the period of the installed
# rotord.timer (daily 02:30): a consumer whose deadline is 6 h away and whose 1-hour window opens in 3 h is rotated
# now, because no daily run before the deadline falls in the window.

# 11. The timer's period read from the installed unit.
systemctl stop rotord rotord.timer 2>/dev/null
# Run from the shell with the service stopped.
sed -e 's/^  max_age: .*/  max_age: 126h/' -e 's/^  rotate_before: .*/  rotate_before: 2d/' \
    /etc/rotord/config-idle.yaml \
    | sed '/^consumers:/,$d' > /etc/rotord/rotord.yaml
# The admin pair is encrypted now (admin-checker.sh): read through admin.rotate's encrypted sources.
sed -i 's|^    secret_file: .*|&\n    rotate: {max_age: 90d, rotate_before: 7d, encrypted: true}|' /etc/rotord/rotord.yaml
cat >> /etc/rotord/rotord.yaml <<YAML
consumers:
  - name: fresh
    permission_group: Reportes
    window: {start: "$(date -u -d '+3 hours' +%H:%M)", end: "$(date -u -d '+4 hours' +%H:%M)"}
    deliver:
      - path: /etc/rotord/deliver/fresh.env
        format: env
YAML
rm -f /etc/rotord/deliver/fresh.env
# Control: without an installed timer, run --once waits for the window (the daemon's rule).
mv /etc/systemd/system/rotord.timer /etc/systemd/system/rotord.timer.away
rotord run --once --config /etc/rotord/rotord.yaml > /dev/null 2>&1
[ -s /etc/rotord/deliver/fresh.env ] && fail run-once-without-timer-waits "rotated without a timer" \
    || pass run-once-without-timer-waits
mv /etc/systemd/system/rotord.timer.away /etc/systemd/system/rotord.timer
once_output=$(rotord run --once --config /etc/rotord/rotord.yaml 2>&1)
once_status=$?
# Its log goes to journald (the checker runs as a service) or to stderr.
said() { echo "$once_output" | grep -q "$1" || journalctl -o cat --no-pager | grep -q "$1"; }
if [ $once_status = 0 ] && [ -s /etc/rotord/deliver/fresh.env ] && said "next run comes from the installed rotord.timer"; then
    pass "run-once-reads-the-installed-timer (rotated 6 h before its deadline, outside its window)"
else
    fail run-once-reads-the-installed-timer "exit $once_status; $(echo "$once_output" | tail -3 | tr '\n' '|')"
fi
