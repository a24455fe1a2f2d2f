# Sourced by checker.sh inside the container: rotord's own admin consumer (fracttal.admin.rotate) under the
# shipped unit, its pair **encrypted** in LoadCredentialEncrypted= files
# /etc/rotord/credentials/fracttal-admin-{key,secret}.cred (systemd-creds, host key), as docs/install.md sets it up.
# Prints one PASS/FAIL line per check into $out (checker-lib.sh).

creds=/etc/rotord/credentials
admin_key() { systemd-creds decrypt --name=fracttal-admin-key $creds/fracttal-admin-key.cred - 2>/dev/null | tr -d '\n'; }

# The operator's set-up (docs/install.md): encrypt the plain pair, switch the unit to LoadCredentialEncrypted=,
# remove the plain files, and tell rotord the sources are encrypted.
systemctl stop rotord.timer rotord 2>/dev/null
systemd-creds setup > /dev/null 2>&1
for name in fracttal-admin-key fracttal-admin-secret; do
    systemd-creds encrypt --name=$name $creds/$name $creds/$name.cred && chmod 0600 $creds/$name.cred && rm -f $creds/$name
done
mkdir -p /etc/systemd/system/rotord.service.d
cat > /etc/systemd/system/rotord.service.d/encrypted-admin.conf <<'UNIT'
[Service]
LoadCredential=
LoadCredentialEncrypted=fracttal-admin-key:/etc/rotord/credentials/fracttal-admin-key.cred
LoadCredentialEncrypted=fracttal-admin-secret:/etc/rotord/credentials/fracttal-admin-secret.cred
UNIT
systemctl daemon-reload
if [ -s $creds/fracttal-admin-key.cred ] && ! grep -q "$(admin_key)" $creds/fracttal-admin-key.cred && [ -n "$(admin_key)" ]; then
    pass "admin-pair-encrypted (systemd-creds, $(stat -c %a $creds/fracttal-admin-key.cred))"
else
    fail admin-pair-encrypted "$(ls -l $creds | tr '\n' '|')"
fi
completed() {  # completed N: at least N admin rotations completed in the journal
    [ "$(journalctl -u rotord -o cat --no-pager MESSAGE_ID=8b7df3b0646248018bbf28f7082aa8e4 ROTORD_CONSUMER=rotord-admin 2>/dev/null | wc -l)" -ge "$1" ]
}
service_works() {  # the unit is active, says it is ready, and rotord status works with the files' pair
    systemctl is-active -q rotord && [ -n "$(show StatusText)" ] && \
        rotord status --config /etc/rotord/rotord.yaml > /dev/null 2>&1
}

# 9. The daemon rotates its own admin consumer (due: created 100 days ago, max_age 90d).
systemctl reset-failed rotord 2>/dev/null
cp /etc/rotord/config-admin.yaml /etc/rotord/rotord.yaml
first_key=$(admin_key)
# First sources that cannot be written (a read-only bind mount over their directory, as a read-only file system or a
# unit without the ReadWritePaths= would be): the rotation must not take the pair away: the files keep the old pair,
# rotord keeps working with it, and it says why, loudly.
mount --bind $creds $creds && mount -o remount,bind,ro $creds
systemctl start rotord
said_why() { journalctl -u rotord -p warning -o cat --no-pager | grep -q "rotord-admin is due but not rotated"; }
if wait_for 30 said_why && [ "$(admin_key)" = "$first_key" ] && systemctl is-active -q rotord && \
    rotord status --config /etc/rotord/rotord.yaml > /dev/null 2>&1; then
    pass "admin-unwritable-sources-keep-the-old-pair ($(journalctl -u rotord -p warning -o cat --no-pager | grep -m1 "rotord-admin is due" | cut -c1-150)…)"
else
    fail admin-unwritable-sources-keep-the-old-pair "key ${first_key:0:4}… → $(admin_key | cut -c1-4)…; $(journalctl -u rotord -o cat --no-pager | tail -3 | tr '\n' '|')"
fi
systemctl stop rotord
umount $creds
systemctl reset-failed rotord 2>/dev/null
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
modes=$(stat -c '%a' $creds/fracttal-admin-key.cred $creds/fracttal-admin-secret.cred | sort -u | tr '\n' ' ')
if [ "$modes" = "600 " ] && ! grep -q "$(admin_key)" $creds/fracttal-admin-key.cred && [ ! -e $creds/fracttal-admin-key ]; then
    pass "admin-sources-encrypted-0600 (rewritten encrypted, no plain file)"
else
    fail admin-sources-encrypted-0600 "modes: $modes; $(ls $creds | tr '\n' ' ')"
fi
# A restart: systemd decrypts the new pair from the sources (LoadCredentialEncrypted=), and rotord works with it.
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
# For run.sh's journal-no-secret: the admin secret now in use must be nowhere in the journal either.
(umask 077; systemd-creds decrypt --name=fracttal-admin-secret $creds/fracttal-admin-secret.cred - > /out/admin-secret 2>/dev/null)
