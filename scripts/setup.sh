#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine with Swift 6.3 lacks to build and test rotord.
set -euo pipefail
need=()
# lintian, man-db, dpkg-dev: the package test (make deb, Tests/SystemdHarness/package.sh). iproute2 (ip): the
# etcd partition tests run each member in a network namespace of their own (docs/testing.md).
for pkg in libsystemd-dev systemd-container pkg-config make lintian man-db groff-base dpkg-dev iproute2; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing ${need[*]}" >&2
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${need[@]}"
fi
# Installs Debian packages that come with a server of their own without starting or enabling it: a
# policy-rc.d refuses the start during the installation (containers usually have one already), and on a
# machine running systemd the unit named first is disabled (and stopped) again. Usage: install_no_start
# UNIT PACKAGE...
install_no_start() {
    local unit=$1 SUDO="" policy="" status=0
    shift
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
        $SUDO chmod 755 "$policy"
    fi
    $SUDO apt-get update -qq || status=$?
    [ "$status" -ne 0 ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" \
        >/dev/null || status=$?
    [ -z "$policy" ] || $SUDO rm -f "$policy"
    [ "$status" -eq 0 ] || exit "$status"
    if [ -d /run/systemd/system ]; then $SUDO systemctl disable --now --quiet "$unit" || true; fi
}
# promtool (Debian's prometheus package): the metrics file, the alerting rules and their unit tests
# (contrib/prometheus; scripts/test.sh). The Prometheus server it comes with is not started.
if ! command -v promtool >/dev/null; then
    echo "setup: installing prometheus (for promtool; the server is not started)" >&2
    install_no_start prometheus.service prometheus
fi
# etcd (Debian's etcd-server 3.4.23, and etcd-client for etcdctl): the fleet tests start their own 3-member
# cluster by pid on random ports with data on tmpfs (Sources/RotordTestKit/EtcdCluster.swift;
# docs/testing.md). The package's own etcd service (127.0.0.1:2379) is not started.
if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
    echo "setup: installing etcd-server and etcd-client (the package's service is not started)" >&2
    install_no_start etcd.service etcd-server etcd-client
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.3 expected)" >&2; exit 1; }
