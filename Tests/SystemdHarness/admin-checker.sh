# Sourced by checker.sh inside the container: rotord's own admin consumer (fracttal.admin.rotate) under the
# shipped unit, its pair in the LoadCredential= sources /etc/rotord/credentials/fracttal-admin-{key,secret}.
# Prints one PASS/FAIL line per check into $out (checker-lib.sh).

admin_key() { tr -d '\n' < /etc/rotord/credentials/fracttal-admin-key; }
completed() {  # completed N: at least N admin rotations completed in the journal
    [ "$(journalctl -u rotord -o cat --no-pager MESSAGE_ID=8b7df3b0646248018bbf28f7082aa8e4 ROTORD_CONSUMER=rotord-admin 2>/dev/null | wc -l)" -ge "$1" ]
}
service_works() {  # the unit is active, says it is ready, and rotord status works with the files' pair
    systemctl is-active -q rotord && [ -n "$(show StatusText)" ] && \
        rotord status --config /etc/rotord/rotord.yaml > /dev/null 2>&1
}

# 9. The daemon rotates its own admin consumer (due: created 100 days ago, max_age 90d).
systemctl stop rotord.timer rotord 2>/dev/null
systemctl reset-failed rotord 2>/dev/null
cp /etc/rotord/config-admin.yaml /etc/rotord/rotord.yaml
first_key=$(admin_key)
systemctl start rotord
if wait_for 60 completed 1 && [ "$(admin_key)" != "$first_key" ]; then
    pass "admin-rotated-by-the-daemon ($(admin_key | cut -c1-4)… replaces ${first_key:0:4}…)"
else
    fail admin-rotated-by-the-daemon "key file still ${first_key:0:4}…; $(journalctl -u rotord -o cat --no-pager | tail -3 | tr '\n' '|')"
fi
journalctl -u rotord -o cat --no-pager ROTORD_CONSUMER=rotord-admin MESSAGE_ID=dba2b805be12407da3ed9b1d7471f342 | grep -q . \
    && pass admin-old-consumer-deleted || fail admin-old-consumer-deleted "no old-deleted message for rotord-admin"
journalctl -u rotord -o cat --no-pager | grep -q "now acts as its new admin consumer" \
    && pass admin-taken-into-use || fail admin-taken-into-use "no 'now acts as' message"
modes=$(stat -c '%a' /etc/rotord/credentials/fracttal-admin-key /etc/rotord/credentials/fracttal-admin-secret | sort -u | tr '\n' ' ')
[ "$modes" = "600 " ] && pass "admin-sources-0600" || fail admin-sources-0600 "modes: $modes"
# A restart: systemd copies the new pair from the sources (LoadCredential=), and rotord works with it.
systemctl restart rotord
if wait_for 30 service_works && grep -q "$(admin_key)" /run/credentials/rotord.service/fracttal-admin-key 2>/dev/null; then
    pass "admin-restart-with-the-new-pair ($(show StatusText))"
else
    fail admin-restart-with-the-new-pair "ActiveState=$(show ActiveState) StatusText=$(show StatusText)"
fi

# 10. kill -9 at every step of an admin rotation (rotord-faults, the test-only build, run by hand as an operator's
#    `rotord rotate` would be), then a restart of the real unit: it must start with whatever the sources hold (a
#    pair torn between its two files is completed from the journal) and finish the rotation.
systemctl stop rotord
outcomes=""
all_ok=1
for point in step:creating after:create step:created after:verify step:verified after:publish-first-file \
    step:published step:retiring after:delete-old; do
    before=$(admin_key)
    ROTORD_CRASH_AT=$point /usr/local/lib/rotord-test/rotord-faults rotate rotord-admin \
        --config /etc/rotord/rotord.yaml > /dev/null 2>&1
    died=$?
    systemctl reset-failed rotord 2>/dev/null
    systemctl start rotord
    rotated() { [ "$(admin_key)" != "$before" ] && ! ls /var/lib/rotord/rotations/*.json > /dev/null 2>&1; }
    if [ "$died" = 137 ] && wait_for 60 service_works && wait_for 60 rotated; then
        outcomes="$outcomes $point:ok"
    else
        outcomes="$outcomes $point:FAILED(exit=$died,active=$(show ActiveState))"
        all_ok=0
    fi
    systemctl stop rotord
done
if [ $all_ok = 1 ]; then
    pass "admin-kill-9-at-every-step-then-restart ($outcomes )"
else
    fail admin-kill-9-at-every-step-then-restart "$outcomes"
fi
echo "admin kill -9 outcomes:$outcomes" > /out/admin-kill.txt
