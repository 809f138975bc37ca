#!/bin/sh
# long-run.sh - the long libFuzzer run of each fuzz target (issue 19 item 10), as opposed
# to fuzz_smoke.sh's 30 s in make check: builds the named targets (default: resp index
# lualibs cmd lua) with clang -fsanitize=fuzzer,address,undefined (`make fuzz-<target>`, the
# flags are FUZZ_CFLAGS in resp/local.mk), then runs each, one process (-jobs=1 in
# effect), at nice 19, for OMK_FUZZ_RUNS executions (default 10,000,000) from a scratch
# copy of its corpus plus the corpus itself, with its dictionary when there is one.
#
# Each finished target appends one line to the results file:
#   target,date_utc,commit,runs,seconds,exec_per_s,cpu_s,cpu_ms_per_exec,cov,ft,
#   corpus_units,peak_rss_mb,load1,result
# where cpu_s is the fuzzer's user+system time (the figure a busy machine moves least:
# cpu_ms_per_exec times OMK_FUZZ_RUNS is what a whole run costs), load1 the load average
# when it ended, and result is "clean", "stopped" (OMK_FUZZ_MAX_TIME ran out before OMK_FUZZ_RUNS) or
# the kind of finding (crash, leak, timeout, oom, ...); and prints the sentence README's
# fuzzing paragraph quotes. A finding's input is copied to <results dir>/findings/
# and named in the output: fix the bug, then add the input to tests/fuzz/corpus/<target>
# so that `make check` replays it (tests/fuzz/replay.c).
#
# Usage: tests/fuzz/long-run.sh [target...]       (from the source tree's top)
# Environment:
#   OMK_FUZZ_BUILD     a configured build directory (default build-test; configured with
#                      --enable-debug when it has no Makefile yet)
#   OMK_FUZZ_RUNS      executions per target (default 10000000)
#   OMK_FUZZ_MAX_TIME  seconds after which a target stops anyway (default 0: no limit)
#   OMK_FUZZ_TIMEOUT   seconds one input may take before it counts as a hang (default 60;
#                      generous because the run is at nice 19 on a shared machine)
#   OMK_FUZZ_RESULTS   the CSV appended to (default bench/fuzz/long-run.csv; not under
#                      bench/results/, which bench/run-all empties)
#   OMK_FUZZ_FLAGS     more libFuzzer flags, after the target's own (below)
#   OMK_FUZZ_KEEP      1 keeps each target's scratch directory (corpus grown, full log)
#   OMK_FUZZ_CONTINUE  1 makes the run one segment of a run that spans sessions (below)
#   OMK_FUZZ_TMPDIR    where cmd and lua keep their store (default /dev/shm when it is a
#                      directory, else /tmp): on tmpfs each input's RocksDB files cost no
#                      disk writes (replaying cmd's grown corpus of 1,700 inputs: 12.1 ->
#                      10.0 CPU s, 12.9 -> 9.4 s, 2026-12-07)
#
# A run in segments (OMK_FUZZ_CONTINUE=1). 10M executions of cmd, lua or index take more
# CPU hours than a session has (COST below), so such a run goes on where the last segment
# stopped: libFuzzer's state between runs is its corpus, and each segment starts from the
# corpus every earlier segment grew, bench/fuzz/grown/<target>/ (committed, read-only to
# libFuzzer: new units go to the scratch corpus, the first directory). A segment that ends
# without a finding merges its new units in (libFuzzer -merge=1: the smallest set keeping
# every feature) and appends "date_utc,commit,runs,cpu_s" to bench/fuzz/grown/<target>.runs;
# the sum of that file's runs is the run's count so far, printed at the end. A segment with
# a finding adds neither: fix the bug, keep its input as a regression input, go on.
#
# Per target (2026-12-07, issue 19 item 10; why in each target's header, COST):
#   cmd, lua   run with -detect_leaks=0: RocksDB's threads make the mallocs and frees of
#              nearly every input differ, and libFuzzer then runs the input again and
#              scans the whole heap for leaks: 65-70% of their CPU. LeakSanitizer still
#              checks at exit (a leak by any input of the run fails it, as "leak"), and
#              after the run the grown corpus is replayed once with -detect_leaks=1
#              (-runs=0, every input checked by itself), which names a leaking input. That
#              replay's line in the results file is the target's name plus "-leaks",
#              with runs = the inputs replayed.
#   others     -detect_leaks stays on: their inputs free what they allocate, so libFuzzer
#              never re-runs them (no leak scan in their profiles).
# CPU ms an execution, before -> after, measured the same day side by side (the same
# corpus, both at nice 10, load average 8-10 on the 2 cores):
#   cmd    10.4 -> 1.8  (tests/fuzz/corpus/cmd, -runs=2500; 10M: 29 -> 5 CPU hours)
#   lua    40.0 -> 5.4  (tests/fuzz/corpus/lua, -runs=1200; 10M: 111 -> 15 CPU hours)
#   index  46.0 -> 34.8 (-runs=0 over a grown corpus of 604 inputs; 10M: 128 -> 97 CPU
#                        hours), then 30.1 -> 17.6 timed one input at a time once
#                        alex_build sized its fanout array to the node (cb71253; 10M:
#                        ~49 CPU hours)
#   resp 0.3, lualibs 0.1: unchanged (10M: ~1 and ~0.3 CPU hours).

set -u
top=$(pwd)
[ -f "$top/tests/fuzz/replay.c" ] || { echo "run from the source tree's top" >&2; exit 2; }
build="${OMK_FUZZ_BUILD:-build-test}"
runs="${OMK_FUZZ_RUNS:-10000000}"
max_time="${OMK_FUZZ_MAX_TIME:-0}"
timeout="${OMK_FUZZ_TIMEOUT:-60}"
results="${OMK_FUZZ_RESULTS:-bench/fuzz/long-run.csv}"
targets="${*:-resp index lualibs cmd lua}"
if [ -z "${OMK_FUZZ_TMPDIR:-}" ] && [ -d /dev/shm ]; then
    OMK_FUZZ_TMPDIR=/dev/shm
    export OMK_FUZZ_TMPDIR
fi

commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$top" diff --quiet HEAD -- . 2>/dev/null || commit="$commit+dirty"
mkdir -p "$(dirname "$results")/findings"
findings="$(cd "$(dirname "$results")" && pwd)/findings"
[ -s "$results" ] ||
    echo "target,date_utc,commit,runs,seconds,exec_per_s,cpu_s,cpu_ms_per_exec,cov,ft,corpus_units,peak_rss_mb,load1,result" \
        >"$results"

# Configure the build directory if it was never configured, then build the targets.
if [ ! -f "$build/Makefile" ]; then
    mkdir -p "$build"
    (cd "$build" && "$top/configure" -q --enable-debug) || exit 2
fi
for t in $targets; do
    nice -n 19 make -C "$build" -s "fuzz-$t" || { echo "cannot build fuzz-$t" >&2; exit 2; }
done

# The libFuzzer flags a target runs with (see the header).
target_flags() {
    case "$1" in
    cmd|lua) echo "-detect_leaks=0" ;;
    *) echo "" ;;
    esac
}

# The kind of finding libFuzzer's log names, or "crash" when it names none.
finding_kind() {
    if grep -q 'ERROR: LeakSanitizer' "$1"; then echo leak
    elif grep -q 'ERROR: libFuzzer: timeout' "$1"; then echo timeout
    elif grep -q 'ERROR: libFuzzer: out-of-memory' "$1"; then echo oom
    elif grep -q 'runtime error:' "$1"; then echo ubsan
    elif grep -q 'ERROR: AddressSanitizer' "$1"; then echo asan
    else echo crash
    fi
}

# /usr/bin/time, when there is one, records the fuzzer's CPU time in $work/cpu.
timer=""
[ -x /usr/bin/time ] && timer="/usr/bin/time -o cpu -f %U+%S"

# The leak pass of a target run with -detect_leaks=0: replay $work/corpus (grown by the
# run) and the seed corpus once each with -detect_leaks=1; a leak is kept as a finding.
# Appends the "<target>-leaks" line. Returns 1 on a finding.
leak_replay() {
    lt=$1 lbin=$2 lwork=$3
    lstart=$(date +%s)
    ltimer=""
    [ -n "$timer" ] && ltimer="/usr/bin/time -o cpu.leaks -f %U+%S"
    (cd "$lwork" && nice -n 19 $ltimer "$top/$lbin" -runs=0 -detect_leaks=1 \
        -timeout="$timeout" -print_final_stats=1 -artifact_prefix="$lwork/" \
        corpus "$top/tests/fuzz/corpus/$lt" >"$lwork/leaks.log" 2>&1)
    lrc=$?
    lsecs=$(( $(date +%s) - lstart ))
    lruns=$(sed -n 's/^stat::number_of_executed_units: *//p' "$lwork/leaks.log")
    [ -n "$lruns" ] || lruns=$(grep -E '^#[0-9]+' "$lwork/leaks.log" | tail -1 |
        sed -n 's/^#\([0-9]*\).*/\1/p')
    lcpu=$(tail -1 "$lwork/cpu.leaks" 2>/dev/null |
        awk -F+ '$1 ~ /^[0-9.]+$/ { print $1 + $2 }')
    lper=$(awk -v c="${lcpu:-0}" -v n="${lruns:-0}" \
        'BEGIN { if (n > 0 && c > 0) printf "%.3f", 1000 * c / n; else print 0 }')
    if [ $lrc -eq 0 ]; then
        lresult=clean
    else
        lresult=$(finding_kind "$lwork/leaks.log")
        for a in "$lwork"/leak-* "$lwork"/crash-*; do
            [ -f "$a" ] || continue
            cp "$a" "$findings/$lt-$(basename "$a")"
            echo "fuzz_$lt: $lresult in the leak replay, input kept as" \
                "$findings/$lt-$(basename "$a")"
        done
        grep -E -m1 -A25 'ERROR:|runtime error:' "$lwork/leaks.log" | sed 's/^/# /'
    fi
    echo "$lt-leaks,$(date -u +%Y-%m-%dT%H:%MZ),$commit,${lruns:-0},$lsecs,0,${lcpu:-0},$lper,0,0,0,0,$(cut -d' ' -f1 /proc/loadavg 2>/dev/null),$lresult" \
        >>"$results"
    echo "fuzz_$lt: leak replay of ${lruns:-0} inputs with -detect_leaks=1 in $lsecs s" \
        "(${lcpu:-?} CPU s): $lresult"
    [ $lrc -eq 0 ]
}

# Merges the units $work/corpus grew into bench/fuzz/grown/$t/ (minimized with the
# grown corpus) and records the segment in bench/fuzz/grown/$t.runs; prints the total.
continue_segment() {
    ct=$1 cbin=$2 cwork=$3 cruns=$4 ccpu=$5
    grown="$top/bench/fuzz/grown/$ct"
    mkdir -p "$grown" "$cwork/merged"
    (cd "$cwork" && nice -n 19 "$top/$cbin" -merge=1 $(target_flags "$ct") \
        -timeout="$timeout" merged "$grown" corpus >"$cwork/merge.log" 2>&1) || {
        echo "fuzz_$ct: merging the grown corpus failed, see $cwork/merge.log" >&2
        return 1
    }
    rm -rf "$grown" && mv "$cwork/merged" "$grown"
    echo "$(date -u +%Y-%m-%dT%H:%MZ),$commit,$cruns,${ccpu:-0}" >>"$grown.runs"
    total=$(awk -F, '{ n += $3 } END { print n + 0 }' "$grown.runs")
    segs=$(wc -l <"$grown.runs")
    echo "fuzz_$ct: segment of $cruns executions merged; $total executions in $segs" \
        "segment(s) so far, grown corpus $(ls "$grown" | wc -l) units"
}

failed=0
for t in $targets; do
    bin="$build/tests/fuzz/fuzz_$t"
    work=$(mktemp -d /tmp/omk-fuzz-long-XXXXXX)
    mkdir "$work/corpus"
    dict=""
    [ -f "$top/tests/fuzz/$t.dict" ] && dict="-dict=$top/tests/fuzz/$t.dict"
    flags="$(target_flags "$t") ${OMK_FUZZ_FLAGS:-}"
    grown_dir=""
    if [ "${OMK_FUZZ_CONTINUE:-0}" = 1 ] && [ -d "$top/bench/fuzz/grown/$t" ]; then
        grown_dir="$top/bench/fuzz/grown/$t"
    fi
    echo "fuzz_$t: $runs executions, flags:$flags, log $work/fuzz.log${grown_dir:+, from $grown_dir}"
    start=$(date +%s)
    (cd "$work" && nice -n 19 $timer "$top/$bin" -runs="$runs" -max_total_time="$max_time" \
        -timeout="$timeout" -print_final_stats=1 -artifact_prefix="$work/" $dict \
        $flags corpus $grown_dir "$top/tests/fuzz/corpus/$t" >"$work/fuzz.log" 2>&1)
    rc=$?
    secs=$(( $(date +%s) - start ))
    log="$work/fuzz.log"
    done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    # The last status line ("#N ... cov: C ft: F corp: U/...") carries the coverage.
    status=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(echo "$status" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$status" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    units=$(echo "$status" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
    if [ -z "$done_runs" ]; then # a finding stops libFuzzer before its final stats
        done_runs=$(echo "$status" | sed -n 's/^#\([0-9]*\).*/\1/p')
        rate=$(echo "$status" | sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p')
        rss=$(echo "$status" | sed -n 's/.* rss: \([0-9]*\)Mb.*/\1/p')
    fi
    if [ $rc -eq 0 ] && [ "${done_runs:-0}" -ge "$runs" ]; then
        result=clean
    elif [ $rc -eq 0 ]; then
        result=stopped
    else
        result=$(finding_kind "$log")
        failed=1
        for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* \
                 "$work"/slow-unit-*; do
            [ -f "$a" ] || continue
            cp "$a" "$findings/$t-$(basename "$a")"
            echo "fuzz_$t: $result, input kept as $findings/$t-$(basename "$a")"
        done
        grep -E -m1 -A25 'ERROR:|runtime error:' "$log" | sed 's/^/# /'
    fi
    cpu=$(tail -1 "$work/cpu" 2>/dev/null | awk -F+ '$1 ~ /^[0-9.]+$/ { print $1 + $2 }')
    cpu_per=$(awk -v c="${cpu:-0}" -v n="${done_runs:-0}" \
        'BEGIN { if (n > 0 && c > 0) printf "%.3f", 1000 * c / n; else print 0 }')
    load1=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)
    date_utc=$(date -u +%Y-%m-%dT%H:%MZ)
    echo "$t,$date_utc,$commit,${done_runs:-0},$secs,${rate:-0},${cpu:-0},$cpu_per,${cov:-0},${ft:-0},${units:-0},${rss:-0},${load1:-0},$result" \
        >>"$results"
    echo "fuzz_$t: ${done_runs:-0} executions in $secs s (${rate:-0}/s, ${cpu:-?} CPU s," \
        "$cpu_per CPU ms each), cov $cov ft $ft, peak RSS ${rss:-?} MB, $result" \
        "($date_utc, $commit, load $load1)"
    case "$flags" in
    *-detect_leaks=0*) leak_replay "$t" "$bin" "$work" || { rc=1; failed=1; } ;;
    esac
    if [ "${OMK_FUZZ_CONTINUE:-0}" = 1 ] && [ $rc -eq 0 ]; then
        continue_segment "$t" "$bin" "$work" "${done_runs:-0}" "$cpu" || failed=1
    fi
    if [ "${OMK_FUZZ_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
        echo "fuzz_$t: scratch directory kept: $work"
    else
        rm -rf "$work"
    fi
done
exit $failed
