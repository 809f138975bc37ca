#!/bin/sh
# smoke-omenkv-bench.sh - TAP smoke test of the benchmark tools: starts omenkv-server
# ($OMK_SERVER, else $OMK_TOP_BUILDDIR/daemon/omenkv-server) on a free loopback port in a temp
# dir; runs clients/omenkv-bench for about 2 s with small numbers (load, GET/SET/SCAN mix,
# zipfian, pipelined, a full SCAN) and checks that its text and CSV output parse and add up;
# checks that bad arguments exit 2 with a message and no run; and that
# `bench/store-bench --quick` exits 0 with its ratio line.
set -u

BUILD=${OMK_TOP_BUILDDIR:-.}
SERVER=${OMK_SERVER:-$BUILD/daemon/omenkv-server}
BENCH=$BUILD/clients/omenkv-bench
STORE_BENCH=$BUILD/bench/store-bench
. "${OMK_TOP_SRCDIR:-.}/tests/lib.sh"

# ping: 0 when something answers PONG on $PORT (redis-cli if installed, else the bench).
ping() {
    if command -v redis-cli >/dev/null 2>&1; then
        [ "$(redis-cli -h $HOST -p "$PORT" ping 2>/dev/null)" = PONG ]
    else
        "$BENCH" -p "$PORT" -n 1 -r 1 -c 1 -q >/dev/null 2>&1
    fi
}

echo "1..18"
for f in "$SERVER" "$BENCH" "$STORE_BENCH"; do
    if [ ! -x "$f" ]; then
        echo "Bail out! $f is not built"
        exit 1
    fi
done

# ---- bad arguments: exit status 2, a message naming the problem, no run ----
bad_args() { # NAME PATTERN ARGS...: omenkv-bench ARGS must exit 2 with PATTERN on stderr
    name=$1 pat=$2
    shift 2
    err=$("$BENCH" "$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -eq 2 ] && printf '%s' "$err" | grep -q -- "$pat"; then
        ok 0 "bad arguments: $name"
    else
        ok 1 "bad arguments: $name (exit $rc: $err)"
    fi
}
bad_args "--keys 0" "--keys wants" --keys 0
bad_args "--pipeline x" "--pipeline wants" -P x
bad_args "--mix 1,2" "--mix wants" --mix 1,2
bad_args "--theta 1" "--theta must be" --dist zipfian --theta 1
bad_args "--value-size 9-3" "MIN 9 is larger" -d 9-3
bad_args "unknown option" "unknown option" --frobnicate
bad_args "--requests with --duration" "exclude each other" -r 10 -T 1

if ! start_server omk-smoke-bench --loglevel warning; then
    echo "Bail out! omenkv-server did not start"
    cat "$DIR/server.log" 2>/dev/null | sed 's/^/# /'
    exit 1
fi

# ---- a short run: load 2000 keys, then a mixed, zipfian, pipelined run of ~2 s ----
CSV=$DIR/run.csv
out=$("$BENCH" -p "$PORT" -n 2000 -d 16-48 --load --mix 80,15,5 --dist zipfian --theta 0.9 \
    -P 4 -c 4 -t 2 -T 1.5 -w 0.3 --scan-count 50 --csv "$CSV" --label smoke 2>&1)
rc=$?
diag "$out"
ok $rc "omenkv-bench load + 1.5 s mixed run exits 0"
printf '%s\n' "$out" | grep -q '^load: 2000 requests in' 
ok $? "text report: the load phase wrote 2000 keys"
printf '%s\n' "$out" | grep -Eq '^  latency us: avg [0-9.]+  p50 [0-9.]+  p99 [0-9.]+  p99.9 [0-9.]+  max [0-9.]+$'
ok $? "text report: a latency line with avg, p50, p99, p99.9, max"
printf '%s\n' "$out" | grep -Eq '^  get: [0-9]+ hits, 0 misses$'
ok $? "text report: every GET of a loaded key hit"

# CSV: a header and two rows (load, run) of 33 columns; the run's figures add up.
check=$(awk -F, '
    NR == 1 { cols = NF; for (i = 1; i <= NF; i++) h[$i] = i; next }
    NF != cols { print "row " NR " has " NF " columns, header " cols; bad = 1 }
    $h["phase"] == "load" && $h["requests"] != 2000 { print "load requests " $h["requests"]; bad = 1 }
    $h["phase"] == "run" {
        run = 1
        if ($h["label"] != "smoke" || $h["keys"] != 2000 || $h["dist"] != "zipfian") { print "run labels"; bad = 1 }
        if ($h["requests"] <= 0 || $h["rps"] <= 0) { print "no requests"; bad = 1 }
        if (!($h["p50_us"] <= $h["p99_us"] && $h["p99_us"] <= $h["p999_us"] && $h["p999_us"] <= $h["max_us"])) { print "percentiles out of order"; bad = 1 }
        r = $h["requests"] / $h["seconds"]
        if (r < $h["rps"] * 0.99 || r > $h["rps"] * 1.01) { print "rps " $h["rps"] " != requests/seconds " r; bad = 1 }
        if ($h["errors"] != 0 || $h["get_misses"] != 0) { print "errors or misses"; bad = 1 }
        if ($h["scan_keys"] <= 0) { print "no scan keys"; bad = 1 }
        if ($h["mix_get"] != 80 || $h["mix_set"] != 15 || $h["mix_scan"] != 5) { print "mix " $h["mix_get"]; bad = 1 }
        if ($h["cache_hit_ratio"] != "n/a" && ($h["cache_hit_ratio"] < 0 || $h["cache_hit_ratio"] > 1)) { print "hit ratio"; bad = 1 }
    }
    END { if (NR != 3 || !run) { print "rows: " NR; bad = 1 }; exit bad }' "$CSV")
ok $? "CSV: header + load + run rows, consistent figures"
[ -n "$check" ] && diag "$check"

# ---- a full SCAN: it must meet every key (2000) at least once ----
out=$("$BENCH" -p "$PORT" -n 2000 --scan-all --scan-count 100 --csv - -q 2>&1)
rc=$?
diag "$out"
keys=$(printf '%s\n' "$out" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next } { print $h["scan_keys"] }')
[ "$rc" -eq 0 ] && [ "${keys:-0}" -ge 2000 ]
ok $? "--scan-all walks all 2000 keys (got ${keys:-none})"

# ---- a request-count run ends after exactly that many requests ----
out=$("$BENCH" -p "$PORT" -n 2000 -r 777 -P 10 -c 3 -t 1 --mix set --csv - -q 2>&1)
rc=$?
reqs=$(printf '%s\n' "$out" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next } { print $h["requests"] }')
[ "$rc" -eq 0 ] && [ "$reqs" = 777 ]
ok $? "--requests 777 sends exactly 777 (got ${reqs:-none})"

# ---- a server that answers errors makes the run fail (exit 1) ----
err=$("$BENCH" -p "$PORT" -n 10 -r 10 -c 1 -a wrongpassword -q 2>&1)
rc=$?
[ "$rc" -eq 1 ]
ok $? "AUTH refused by the server: exit 1 (exit $rc: $(printf '%s' "$err" | head -n 1))"

# ---- nothing listening: exit 1 with a message ----
kill -TERM "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
PID=
err=$("$BENCH" -p "$PORT" -n 10 -r 10 -c 1 -q 2>&1)
rc=$?
[ "$rc" -eq 1 ] && printf '%s' "$err" | grep -q "cannot connect"
ok $? "no server: exit 1 with 'cannot connect' (exit $rc)"

# ---- store-bench --quick ----
out=$(TMPDIR=$DIR "$STORE_BENCH" --quick 2>&1)
rc=$?
diag "$out"
ok $rc "store-bench --quick exits 0"
printf '%s\n' "$out" | tail -n 1 | grep -q '^omenkv GET speed-up at 10000 keys: '
ok $? "store-bench --quick ends with its ratio line"

[ "$failed" -eq 0 ]
