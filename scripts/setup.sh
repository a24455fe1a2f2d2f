#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine with Swift 6.3 lacks to build and test rotord.
set -euo pipefail
need=()
# lintian, man-db, dpkg-dev: the package test (make deb, Tests/SystemdHarness/package.sh).
for pkg in libsystemd-dev systemd-container pkg-config make lintian man-db groff-base dpkg-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing ${need[*]}" >&2
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${need[@]}"
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.3 expected)" >&2; exit 1; }
