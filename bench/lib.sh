# Shell functions shared by bench/run, bench/redis and bench/sse; sourced, never run on its own.
#
# Before sourcing, the script sets:
#   bench_name   prefix of its error messages ("bench/run")
#   here, root   the bench/ directory and the repository
#   SERVER_CPU, CLIENT_CPU   CPUs the servers and the client are pinned to
# Before calling bench_init_tmp, it sets:
#   bench_pid_vars    names of the variables holding the pids cleanup must stop (in that order)
#   bench_log_files   files in $tmp whose last lines are shown when the script fails
# target_cell reads P99_MAX_MS and RSS_MAX_MIB when asked to check p99 or RSS.
# Variables it sets for the script (idle_rss, progressd_bytes, tmp, ...) are documented at each
# function.
# shellcheck shell=bash disable=SC2034,SC2154

log() { printf '==> %s\n' "$*" >&2; }
die() { printf '%s: %s\n' "$bench_name" "$*" >&2; exit 1; }

# require_cmds CMD...: dies unless every command is installed.
require_cmds() {
    local cmd
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null || die "'$cmd' is not installed"
    done
}

require_two_cpus() {
    (( $(nproc) >= 2 )) || die "needs at least 2 CPUs (server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU)"
}

# ---- scratch directory and cleanup -----------------------------------------------------------
wrk_pid=""
progressd_pid=""

# bench_init_tmp PREFIX: creates $tmp and installs the traps that stop every process in
# bench_pid_vars and remove $tmp (unless KEEP_TMP) however the script ends.
bench_init_tmp() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_cleanup() {
    local rc=$? var pid
    for var in "${bench_pid_vars[@]}"; do
        pid=${!var}
        if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
    done
    for var in "${bench_pid_vars[@]}"; do
        pid=${!var}
        if [[ -n $pid ]]; then wait "$pid" 2>/dev/null || true; fi
    done
    if (( rc != 0 )); then
        local f
        for f in "${bench_log_files[@]}"; do
            [[ -s $tmp/$f ]] || continue
            printf -- '--- last lines of %s ---\n' "$f" >&2
            tail -n 20 "$tmp/$f" >&2 || true
        done
    fi
    if [[ -n ${KEEP_TMP:-} ]]; then
        printf '%s: scratch files kept in %s\n' "$bench_name" "$tmp" >&2
    else
        rm -rf "$tmp"
    fi
    exit "$rc"
}

# ---- processes -------------------------------------------------------------------------------
free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
        return
    fi
    local port
    for port in $(shuf -i 20000-60000 -n 50); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "no free port found"
}

# wait_http URL PID NAME: wait up to 10 s for URL to answer 200 while PID stays alive.
wait_http() {
    local url=$1 pid=$2 name=$3 i code
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || die "$name exited during startup"
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)
        [[ $code == 200 ]] && return 0
        sleep 0.1
    done
    die "$name did not answer 200 on $url within 10 s (last status: ${code:-none})"
}

# start_progressd ARGS...: starts $bin pinned to the server CPU on a free port with ARGS and
# PROGRESSD_ARGS, logging to $tmp/progressd.log; waits for /healthz. Sets progressd_pid, port,
# base and idle_rss.
start_progressd() {
    [[ -x $bin ]] || die "$bin not found (build it, or unset SKIP_BUILD)"
    local extra_args
    read -r -a extra_args <<<"$PROGRESSD_ARGS"
    port=$(free_port)
    log "starting progressd on 127.0.0.1:$port (CPU $SERVER_CPU)"
    # The load comes from one address: the per-client rate limits would measure themselves.
    (cd "$root" && exec taskset -c "$SERVER_CPU" "$bin" --host 127.0.0.1 --port "$port" \
        --write-rate 0 --read-rate 0 --session-write-rate 0 --new-session-rate 0 \
        "$@" "${extra_args[@]}") >"$tmp/progressd.log" 2>&1 &
    progressd_pid=$!
    base=http://127.0.0.1:$port
    wait_http "$base/healthz" "$progressd_pid" progressd
    idle_rss=$(rss_mib "$progressd_pid")
}

# post_json URL FILE: POSTs FILE as JSON; dies unless the answer is 200.
post_json() {
    local url=$1 body=$2 code
    code=$(curl -s -o "$tmp/curl.out" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary "@$body" "$url") || die "POST $url: curl failed"
    [[ $code == 200 ]] || die "POST $url answered $code: $(head -c 500 "$tmp/curl.out")"
}

# seed_sessions: stores the sessions the scenarios read (bench-main; bench-log with one log
# entry) on $base, checks the API answers as the wrk scripts expect, and sets progressd_bytes
# to the size of a GET of bench-main.
seed_sessions() {
    post_json "$base/api/progress/bench-main" "$here/progress.json"
    sed 's/"sessionId":"bench-main"/"sessionId":"bench-log"/' "$here/progress.json" >"$tmp/bench-log.json"
    post_json "$base/api/progress/bench-log" "$tmp/bench-log.json"
    post_json "$base/api/progress/bench-log/log" "$here/log_entry.json"
    progressd_bytes=$(curl -s -o "$tmp/get.out" -w '%{size_download}' --fail "$base/api/progress/bench-main") ||
        die "GET $base/api/progress/bench-main failed: $(head -c 500 "$tmp/get.out")"
}

# ---- measurements ----------------------------------------------------------------------------
# cpu_snapshot: "busy total" jiffies for the server CPU and the client CPU, from /proc/stat.
cpu_snapshot() {
    awk -v a="cpu$SERVER_CPU" -v b="cpu$CLIENT_CPU" '$1 == a || $1 == b {
        busy = $2 + $3 + $4 + $7 + $8 + $9; total = busy + $5 + $6
        out[$1] = busy " " total
    } END { print out[a], out[b] }' /proc/stat
}

# cpu_busy BEFORE AFTER: "server% / client%" busy between two snapshots.
cpu_busy() {
    awk -v x="$1" -v y="$2" 'BEGIN {
        split(x, p); split(y, q)
        s = (q[2] - p[2]) > 0 ? 100 * (q[1] - p[1]) / (q[2] - p[2]) : 0
        c = (q[4] - p[4]) > 0 ? 100 * (q[3] - p[3]) / (q[4] - p[4]) : 0
        printf "%.0f%% / %.0f%%", s, c
    }'
}

rss_mib() {
    awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# Converts a wrk duration ("68.00us", "1.23ms", "2.00s", "1.00m") to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000
        else if (v ~ /ms$/) n = n
        else if (v ~ /m$/) n *= 60000
        else if (v ~ /s$/) n *= 1000
        else if (v ~ /h$/) n *= 3600000
        printf "%.3f", n
    }'
}

# ---- results bookkeeping ---------------------------------------------------------------------
rows=()       # Markdown rows
failures=()   # reasons to exit non-zero
notes=()      # warnings printed under the table
declare -A rps_of=()   # key -> req/s, for ratios

# fmt_ms MS: "0.542 ms", "4.55 ms"; "n/a" when there is no number.
fmt_ms() {
    [[ $1 =~ ^[0-9.]+$ ]] || { echo "n/a"; return; }
    awk -v v="$1" 'BEGIN { if (v < 1) printf "%.3f ms", v; else printf "%.2f ms", v }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "n/a"; else if (a / b < 0.1) printf "%.3f", a / b; else printf "%.2f", a / b }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
verdict() { if "$@"; then echo ok; else echo MISS; fi; }

# wrk_run KEY OUTFILE CONNS DURATION URL [wrk args...]: runs wrk pinned to the client CPU,
# parses its output into PARSED_RPS / PARSED_P50 / PARSED_P99 (ms) and records failures.
wrk_run() {
    local key=$1 out=$2 conns=$3 duration=$4 url=$5
    shift 5
    log "$key: wrk -t1 -c$conns -d$duration $* $url"
    local before rc=0
    before=$(cpu_snapshot)
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$conns" -d"$duration" --latency "$@" "$url" >"$out" 2>&1 &
    wrk_pid=$!
    wait "$wrk_pid" || rc=$?
    wrk_pid=""
    PARSED_CPU=$(cpu_busy "$before" "$(cpu_snapshot)")
    parse_wrk "$key" "$out" "$rc"
}

parse_wrk() {
    local key=$1 out=$2 rc=$3
    if (( rc != 0 )) || ! grep -q '^Requests/sec:' "$out"; then
        cat "$out" >&2
        die "$key: wrk failed (exit $rc)"
    fi
    # A Lua error inside wrk is printed but does not change its exit status.
    if grep -Eq '\.lua:[0-9]+:|PANIC|attempt to ' "$out"; then
        cat "$out" >&2
        die "$key: wrk script error"
    fi
    PARSED_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    PARSED_P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    PARSED_P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")

    # Scripted runs count every non-2xx status in Lua ("BENCH ..." lines); plain GET runs have
    # no script (it would slow wrk down) and rely on wrk's own count of statuses >= 400.
    local lua_bad non2xx
    lua_bad=$(sed -n 's/^BENCH 2xx=[0-9]* non2xx=\([0-9]*\)$/\1/p' "$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
    if [[ -z $lua_bad && -n $non2xx && $non2xx != 0 ]]; then
        failures+=("$key: $non2xx responses with status >= 400")
    fi
    if [[ -n $lua_bad && $lua_bad != 0 ]]; then
        failures+=("$key: $lua_bad non-2xx responses: $(grep '^BENCH status' "$out" | sed 's/^BENCH //' | paste -sd, -)")
        local sample
        sample=$(sed -n 's/^BENCH first non-2xx body: //p' "$out")
        [[ -n $sample ]] && failures+=("$key: first non-2xx body: $sample")
    fi
    local sock
    sock=$(sed -n 's/^ *Socket errors: //p' "$out")
    if [[ -n $sock ]]; then
        # connect/read/write errors are lost or broken requests; timeouts alone are slowness.
        if [[ $sock =~ connect\ ([0-9]+),\ read\ ([0-9]+),\ write\ ([0-9]+) ]] &&
            (( BASH_REMATCH[1] + BASH_REMATCH[2] + BASH_REMATCH[3] > 0 )); then
            failures+=("$key: socket errors: $sock")
        else
            notes+=("$key: socket errors: $sock")
        fi
    fi
}

# add_row LABEL KEY CEILING_KEY RSS TARGET: a table row for the PARSED_* values just measured;
# the ratio column is req/s divided by CEILING_KEY's, or "ceiling" without one.
add_row() {
    local label=$1 key=$2 ceiling_key=$3 rss=$4 target=$5 r
    rps_of[$key]=$PARSED_RPS
    if [[ -n $ceiling_key ]]; then
        r="$(ratio "$PARSED_RPS" "${rps_of[$ceiling_key]}")×"
    else
        r="1.00× (ceiling)"
    fi
    rows+=("| $label | $(printf '%.0f' "$PARSED_RPS") | $(fmt_ms "$PARSED_P50") | $(fmt_ms "$PARSED_P99") | $r | $rss | $PARSED_CPU | $target |")
}

# target_cell RATIO_MIN CEILING_KEY CHECK_P99(yes|no) [RSS_MIB]: the target verdicts for the row
# just parsed: req/s ratio to CEILING_KEY, optionally p99 and RSS.
target_cell() {
    local ratio_min=$1 ceiling_key=$2 check_p99=$3 rss=${4:-} parts=() r
    r=$(ratio "$PARSED_RPS" "${rps_of[$ceiling_key]}")
    parts+=("≥${ratio_min}×: $(verdict ge "$r" "$ratio_min")")
    if [[ $check_p99 == yes ]]; then
        parts+=("p99≤${P99_MAX_MS} ms: $(verdict le "$PARSED_P99" "$P99_MAX_MS")")
    fi
    if [[ -n $rss ]]; then
        parts+=("RSS≤${RSS_MAX_MIB} MiB: $(verdict le "$rss" "$RSS_MAX_MIB")")
    fi
    local joined
    joined=$(printf '%s; ' "${parts[@]}")
    echo "${joined%; }"
}

# ---- report ----------------------------------------------------------------------------------
# report_host_lines: the date, machine and commit lines of a report header.
report_host_lines() {
    local commit cpu_model
    commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo uncommitted)
    if [[ $commit != uncommitted && -n $(git -C "$root" status --porcelain 2>/dev/null) ]]; then
        commit="$commit (dirty tree)"
    fi
    cpu_model=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- kernel: $(uname -r); CPU: ${cpu_model:-unknown}; nproc: $(nproc); load avg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- commit: $commit"
}

# report_rows_and_notes: the table rows, then the notes and **ERROR** lines under it.
report_rows_and_notes() {
    printf '%s\n' "${rows[@]}"
    if (( ${#notes[@]} )); then
        echo
        printf -- '- note: %s\n' "${notes[@]}"
    fi
    if (( ${#failures[@]} )); then
        echo
        printf -- '- **ERROR**: %s\n' "${failures[@]}"
    fi
}

# exit_on_failures: exits 1, listing them on stderr, if any failure was recorded.
exit_on_failures() {
    if (( ${#failures[@]} )); then
        printf '\n%s: FAILED — the numbers above include error responses:\n' "$bench_name" >&2
        printf '  %s\n' "${failures[@]}" >&2
        exit 1
    fi
}
