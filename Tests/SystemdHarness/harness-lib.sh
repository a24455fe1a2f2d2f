# Sourced by run.sh and package.sh (from the repository's root): the checks before booting and the
# throw-away root. A copy-on-write overlay of / whose upper layer is a tmpfs under /var/tmp (never
# /tmp: booting systemd empties the /tmp of the file system it boots on; see docs/testing.md).

# harness_require NAME: root and systemd-nspawn, or say so and fail (never a silent pass).
harness_require() {
    [ "$(id -u)" = 0 ] && command -v systemd-nspawn >/dev/null && return 0
    if [ "${ROTORD_SKIP_SYSTEMD_TESTS:-}" = 1 ]; then
        echo "$1: tests skipped on request (ROTORD_SKIP_SYSTEMD_TESTS=1)"
        exit 0
    fi
    echo "$1: cannot run: need root and systemd-nspawn (apt-get install systemd-container);" \
        "set ROTORD_SKIP_SYSTEMD_TESTS=1 to skip them knowingly" >&2
    echo "$1: 0 passed, 1 failed"
    exit 1
}

harness_cleanup() {
    set +e
    mountpoint -q "$base/root" && umount "$base/root"
    mountpoint -q "$base" && umount "$base"
    rmdir "$base" 2>/dev/null
}

# harness_overlay NAME: sets base (with upper, work, root, out) and root (the overlay, with a fresh
# machine id); everything is unmounted and removed on exit, also on failure.
harness_overlay() {
    base=$(mktemp -d "/var/tmp/rotord-$1.XXXXXX")
    trap harness_cleanup EXIT INT TERM
    mount -t tmpfs -o size=2g tmpfs "$base"
    mkdir -p "$base"/upper "$base"/work "$base"/root "$base"/out
    mount -t overlay overlay -o lowerdir=/,upperdir="$base"/upper,workdir="$base"/work "$base"/root
    root=$base/root
    tr -d - < /proc/sys/kernel/random/uuid > "$root"/etc/machine-id
}

# harness_reloadable_unit NAME: NAME.service in the overlay, standing for a service whose credentials
# rotord rotates; `systemctl reload NAME` (an after_publish hook) writes /run/NAME-reloaded.
harness_reloadable_unit() {
    cat > "$root/etc/systemd/system/$1.service" <<UNIT
[Unit]
Description=A service whose credentials rotord rotates (test)
[Service]
ExecStart=/bin/sleep infinity
ExecReload=/bin/sh -c 'date > /run/$1-reloaded'
UNIT
}
