#!/usr/bin/env bash
# Runs each libFuzzer target of build/fuzz for FUZZ_SECONDS (default 60) on a copy of its seed
# corpus in a temporary directory, so that a run never grows the checked-in fuzz/corpus/.
# Prints one summary line per target and fails when any target finds a crash, a leak, a timeout
# or runs out of memory; the input that did it is kept in build/fuzz/artifacts/.
#
#   fuzz/run.sh [target…]            (default: all four; `make fuzz` builds them first)
#   FUZZ_SECONDS=1800 fuzz/run.sh fuzz_http_request
#   FUZZ_ARGS="-jobs=2 -workers=2" fuzz/run.sh      (extra libFuzzer flags)
#   FUZZ_KEEP_CORPUS=dir fuzz/run.sh                 (keep the grown corpora under dir/<target>)
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build/fuzz"
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
((${#targets[@]} > 0)) || targets=(fuzz_progress_body fuzz_http_request fuzz_session_id fuzz_last_event_id)

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
command -v llvm-symbolizer-14 >/dev/null && export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-14)}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"

failed=()
printf '%-20s %8s %12s %8s %8s %8s  %s\n' target seconds execs cov ft corpus result
for target in "${targets[@]}"; do
    binary="$build/$target"
    if [[ ! -x $binary ]]; then
        echo "fuzz/run.sh: $binary is not built (make fuzz builds it)" >&2
        failed+=("$target")
        continue
    fi
    corpus="$work/$target"
    mkdir -p "$corpus"
    cp "$root/fuzz/corpus/$target/"* "$corpus/"
    dict=()
    [[ -f "$root/fuzz/$target.dict" ]] && dict=("-dict=$root/fuzz/$target.dict")
    log="$build/$target.log"
    # -timeout: an input that takes this long is a hang; -rss_limit_mb: ASan's own use included.
    # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
    "$binary" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$target-" "${dict[@]}" ${FUZZ_ARGS:-} "$corpus" \
        >"$log" 2>&1
    status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
    result=ok
    if ((status != 0)); then
        result="FAILED (exit $status, see $log)"
        failed+=("$target")
    fi
    printf '%-20s %8s %12s %8s %8s %8s  %s\n' "$target" "$seconds" "${execs:-?}" "${cov:-?}" \
        "${ft:-?}" "$(ls "$corpus" | wc -l)" "$result"
    if [[ -n ${FUZZ_KEEP_CORPUS:-} ]]; then
        mkdir -p "$FUZZ_KEEP_CORPUS/$target" && cp "$corpus/"* "$FUZZ_KEEP_CORPUS/$target/"
    fi
done

if ((${#failed[@]} > 0)); then
    echo "fuzz/run.sh: failed: ${failed[*]}" >&2
    for target in "${failed[@]}"; do
        [[ -f "$build/$target.log" ]] && grep -E -A12 '^==[0-9]+==|invariant failed|SUMMARY' \
            "$build/$target.log" | head -40 >&2
    done
    exit 1
fi
