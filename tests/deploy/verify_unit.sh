#!/usr/bin/env bash
# Checks deploy/progressd.service as systemd reads it, on a machine where systemd need not run:
#   1. `systemd-analyze verify` says nothing about the unit. Unknown keys and bad values are
#      only warnings to systemd (exit status 0), so any line naming the unit fails the check.
#   2. The same check rejects a copy with a misspelt key, so it can fail on this systemd.
#   3. `systemd-analyze security --offline` rates the sandbox at most 1.2 (today's score:
#      raise it only with a reason), and every item it rates is set but a known few.
#   4. ExecStart, with the port made 0 and the store moved to a temp dir, and with the unit's
#      Environment= set, starts the built progressd (every flag and value is accepted), and
#      SIGHUP (ExecReload) does not stop it, and SIGTERM does, well within TimeoutStopSec.
# Usage: tests/deploy/verify_unit.sh PROGRESSD_BINARY   (ctest: deploy_unit)
set -euo pipefail

bin=${1:?usage: verify_unit.sh PROGRESSD_BINARY}
unit=$(cd "$(dirname "$0")/../../deploy" && pwd)/progressd.service
installed_bin=/usr/local/bin/progressd

fail() { echo "verify_unit: $*" >&2; exit 1; }

command -v systemd-analyze >/dev/null ||
    fail "systemd-analyze is missing (Debian package systemd; scripts/bootstrap --test installs it)"
[[ -x $bin ]] || fail "$bin is not an executable progressd"
bin=$(realpath "$bin")  # systemd wants an absolute path

tmp=$(mktemp -d)
server_pid=
cleanup() {
    [[ -z $server_pid ]] || kill -KILL "$server_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# systemd-analyze verify checks that ExecStart is executable, so the copy points at the build.
grep -q "^ExecStart=$installed_bin " "$unit" || fail "ExecStart no longer starts $installed_bin"
sed "s|^ExecStart=$installed_bin |ExecStart=$bin |" "$unit" >"$tmp/progressd.service"

# verify FILE: succeeds when systemd-analyze accepts FILE without a word about it.
verify() {
    local output status=0
    output=$(systemd-analyze verify --man=no "$1" 2>&1) || status=$?
    if ((status != 0)) || grep -q 'progressd\.service' <<<"$output"; then
        printf '%s\n' "$output" >&2
        return 1
    fi
}

# ---- 1 and 2: verify ------------------------------------------------------------------------
verify "$tmp/progressd.service" || fail "systemd-analyze verify complains about $unit"

mkdir "$tmp/broken"
sed 's/^ProtectSystem=/ProtectSytem=/' "$tmp/progressd.service" >"$tmp/broken/progressd.service"
if verify "$tmp/broken/progressd.service" 2>/dev/null; then
    fail "systemd-analyze verify accepts a misspelt key: this check cannot fail here"
fi

# ---- 3: security ----------------------------------------------------------------------------
if ! report=$(systemd-analyze security --offline=yes --threshold=12 "$tmp/progressd.service" 2>&1); then
    printf '%s\n' "$report" >&2
    fail "the sandbox is weaker than before (exposure above 1.2)"
fi
echo "verify_unit: ${report##*$'\n'}"
# The score moves in steps of 0.1, so one dropped setting may not show in it: every item that
# systemd rates must be set, except these, which a network server needs or which do not apply.
allowed_unset='DeviceAllow=
IPAddressDeny=
PrivateNetwork=
RestrictAddressFamilies=~AF_(INET|INET6)
RestrictAddressFamilies=~AF_UNIX
RootDirectory=/RootImage=
SystemCallFilter=~@resources'
json=$(systemd-analyze security --offline=yes --json=short "$tmp/progressd.service")
(($(grep -o '"set":true,"name":"' <<<"$json" | wc -l) > 50)) ||
    fail "cannot read systemd-analyze security --json=short output: $json"
unset_now=$(grep -o '"set":false,"name":"[^"]*"' <<<"$json" | sed 's/.*"name":"//; s/"$//' | LC_ALL=C sort)
newly_unset=$(LC_ALL=C comm -13 <(echo "$allowed_unset") <(echo "$unset_now") | tr '\n' ' ')
[[ -z $newly_unset ]] || fail "hardening settings missing: $newly_unset"

# ---- 4: the command line runs ---------------------------------------------------------------
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
read -ra argv <<<"$exec_start"
argv[0]=$bin
found_port=0 found_store=0
for i in "${!argv[@]}"; do
    case ${argv[i]} in
        --port) argv[i + 1]=0; found_port=1 ;;
        sqlite:/var/lib/progressd/*) argv[i]=sqlite:$tmp/${argv[i]#sqlite:/var/lib/progressd/}; found_store=1 ;;
    esac
done
((found_port && found_store)) || fail "ExecStart has no --port, or its store is not in /var/lib/progressd"

environment=()
while IFS= read -r assignment; do
    read -ra words <<<"$assignment"
    environment+=("${words[@]}")
done < <(sed -n 's/^Environment=//p' "$unit")

(cd "$tmp" && exec env "${environment[@]}" "${argv[@]}") 2>"$tmp/progressd.log" &
server_pid=$!
for _ in $(seq 100); do
    grep -q 'listening on' "$tmp/progressd.log" && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
grep -q 'listening on' "$tmp/progressd.log" || {
    cat "$tmp/progressd.log" >&2
    fail "ExecStart's command line does not start progressd: ${environment[*]} ${argv[*]}"
}

# ExecReload sends SIGHUP: it must reload, never stop the service (for a signal's default action
# systemd's Restart=on-failure would not even restart it). Binaries from before the TLS reload
# die of it, and say nothing of SIGHUP in their --help.
if "$bin" --help | grep -q SIGHUP; then
    kill -HUP "$server_pid"
    sleep 0.2
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/progressd.log" >&2; fail "SIGHUP (ExecReload) stopped progressd"; }
    echo "verify_unit: SIGHUP (ExecReload) leaves progressd running"
else
    echo "verify_unit: SIGHUP not checked: this progressd does not reload on SIGHUP"
fi

stop_limit=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s\{0,1\}$/\1/p' "$unit")
[[ -n $stop_limit ]] || fail "TimeoutStopSec is not a number of seconds"
started=$(date +%s%N)
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
((status == 0)) || { cat "$tmp/progressd.log" >&2; fail "progressd exited with $status on SIGTERM"; }
# progressd's own grace is 4.5 s; systemd must never have to SIGKILL it before that ends.
((stop_limit * 1000 > 4500 + 1000)) || fail "TimeoutStopSec=${stop_limit}s leaves no room above the 4.5 s grace"
echo "verify_unit: ExecStart runs; stopped in ${elapsed_ms} ms (TimeoutStopSec=${stop_limit}s)"
