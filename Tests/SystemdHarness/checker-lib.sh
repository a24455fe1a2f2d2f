# Sourced by the checkers that run inside the container (checker.sh, package-checker.sh), after
# setting `out`, the file that gets one PASS or FAIL line per check.
pass() { echo "PASS $1" >> "$out"; }
fail() { echo "FAIL $1: $2" >> "$out"; }
show() { systemctl show rotord -p "$1" --value; }
wait_for() {  # wait_for SECONDS COMMAND...: poll every 0.2 s, bounded
    local deadline=$((SECONDS + $1)); shift
    while [ $SECONDS -lt $deadline ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
}
