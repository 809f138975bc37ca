#!/bin/sh
# smoke-omenkv-bench.sh - TAP smoke test of the benchmark tools: starts omenkv-server
# ($OMK_SERVER, else $OMK_TOP_BUILDDIR/daemon/omenkv-server) on a free loopback port in a temp
# dir; runs clients/omenkv-bench for about 2 s with small numbers (load, GET/SET/SCAN mix,
# zipfian, pipelined, a full SCAN) and checks that its text and CSV output parse and add up;
# checks that bad arguments exit 2 with a message and no run; a paced run (--rate) and
# interval reports (--interval, --interval-csv, --interval-info) against the run's own
# totals; a shortened `bench/sustained-writes --quick` (about 30 s: its three phases,
# summary and CSV rows); and that `bench/store-bench --quick` exits 0 with its ratio line.
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

echo "1..26"
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
bad_args "--rate 0" "--rate wants" --rate 0
bad_args "--interval-csv without --interval" "need --interval" --interval-csv x.csv
bad_args "--rate with --load-only" "pace and report a run" --load-only --rate 100

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

# ---- a paced run: each thread schedules its requests at even gaps from the start, none
# at or after the deadline, and sends every one scheduled before it (late or not), so
# 1 s at 500/s over 2 threads sends exactly 500 ----
out=$("$BENCH" -p "$PORT" -n 2000 -d 16 --mix set -c 4 -t 2 -T 1 --rate 500 --csv - -q 2>&1)
rc=$?
reqs=$(printf '%s\n' "$out" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next } { print $h["requests"] }')
[ "$rc" -eq 0 ] && [ "$reqs" = 500 ]
ok $? "--rate 500 for 1 s sends exactly 500 requests (got ${reqs:-none})"

# ---- interval reports: every measured reply is in exactly one interval ----
IV=$DIR/iv.csv
out=$("$BENCH" -p "$PORT" -n 2000 -d 16 --mix 50,50,0 -c 4 -t 2 -T 1.2 --interval 0.4 \
    --interval-csv "$IV" --interval-info rocksdb_stall_micros,no_such_field --csv - 2>&1)
rc=$?
diag "$out"
ivlines=$(printf '%s\n' "$out" | grep -Ec '^  interval [0-9]+ at [0-9.]+ s: [0-9]+ requests/s  p50 [0-9.]+  p99 [0-9.]+  p99.9 [0-9.]+  max [0-9.]+ us  rocksdb_stall_micros [0-9]+  no_such_field n/a$')
runreqs=$(printf '%s\n' "$out" | awk -F, '/^label,/ { for (i = 1; i <= NF; i++) h[$i] = i; next } h["phase"] && $h["phase"] == "run" { print $h["requests"] }')
[ "$rc" -eq 0 ] && [ "$ivlines" -ge 1 ]
ok $? "--interval 0.4: exits 0 and prints $ivlines interval lines with the INFO fields"
check=$(awk -F, -v total="${runreqs:-0}" -v lines="$ivlines" '
    NR == 1 { cols = NF; for (i = 1; i <= NF; i++) h[$i] = i
              if (!("rocksdb_stall_micros" in h) || !("no_such_field" in h) || !("p999_us" in h)) { print "header: " $0; bad = 1 }
              next }
    NF != cols { print "row " NR " has " NF " columns"; bad = 1 }
    { sum += $h["requests"]; rows++
      if ($h["interval"] != rows) { print "interval " $h["interval"] " in row " NR; bad = 1 }
      if (!($h["p50_us"] <= $h["p99_us"] && $h["p99_us"] <= $h["p999_us"] && $h["p999_us"] <= $h["max_us"])) { print "percentiles out of order in row " NR; bad = 1 }
      if ($h["rocksdb_stall_micros"] !~ /^[0-9]+$/ || $h["no_such_field"] != "") { print "INFO fields in row " NR; bad = 1 }
      if ($h["errors"] != 0) { print "errors in row " NR; bad = 1 } }
    END { if (rows < 1 || rows > 3 || rows != lines) { print rows " rows, " lines " lines"; bad = 1 }
          if (sum != total) { print "intervals hold " sum " requests, the run " total; bad = 1 }
          exit bad }' "$IV")
ok $? "--interval-csv: 1 to 3 rows, one per printed line, whose requests add up to the run's ($runreqs)"
[ -n "$check" ] && diag "$check"

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

# ---- bench/sustained-writes --quick, shortened (it starts its own servers) ----
SW=${OMK_TOP_SRCDIR:-.}/bench/sustained-writes
if command -v redis-cli >/dev/null 2>&1 && command -v bash >/dev/null 2>&1; then
    SWCSV=$DIR/sustained.csv
    out=$(TMPDIR=$DIR timeout 300 bash "$SW" --quick --server "$SERVER" --duration 4 \
        --duration2 3 --interval 1 --keys 2000 --space-keys 2000 --settle 5 --csv "$SWCSV" 2>&1)
    rc=$?
    diag "$out"
    [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q '^phase 1, full speed, 4 s: median [0-9]* SET/s' &&
        printf '%s\n' "$out" | grep -q '^phase 2, paced at [0-9]* SET/s, 3 s: median [0-9]* SET/s' &&
        printf '%s\n' "$out" | grep -q '^phase 3, space, 2000 keys: loaded '
    ok $? "sustained-writes --quick (4 s + 3 s, 2000 keys) exits 0 with its summary"
    check=$(awk -F, '
        NR == 1 { cols = NF; for (i = 1; i <= NF; i++) h[$i] = i; next }
        NF != cols { print "row " NR " has " NF " columns"; bad = 1 }
        { n[$h["phase"]]++; v[$h["phase"]] = $0; rps[$h["phase"]] = $h["rps"]; keys[$h["phase"]] = $h["keys"]; note[$h["phase"]] = $h["note"] }
        $h["phase"] == "full" || $h["phase"] == "paced" { if ($h["rps"] <= 0 || $h["stall_us"] !~ /^[0-9]+$/) { print "interval row " NR; bad = 1 } }
        END {
            if (!n["full"] || !n["paced"] || n["full-summary"] != 1 || n["paced-summary"] != 1) { print "phase rows"; bad = 1 }
            split(note["paced-summary"], part, "; ")
            if (part[1] != "rate " int(rps["full-summary"] / 2) || note["paced-summary"] !~ /; longest log write of a pass [0-9]+ ms; longest command [0-9]+ ms$/) { print "note \"" note["paced-summary"] "\" for a median of " rps["full-summary"]; bad = 1 }
            if (keys["space-loaded"] != 2000 || keys["space-deleted"] != 200 || keys["space-settled"] != 200 || keys["space-compacted"] != 200) { print "space keys"; bad = 1 }
            exit bad }' "$SWCSV")
    ok $? "sustained-writes CSV: interval and summary rows, phase 2 at half of phase 1's median with its LATENCY waits, 2000 keys loaded and 200 left"
    [ -n "$check" ] && diag "$check"
else
    n=$((n + 1)); echo "ok $n # SKIP sustained-writes needs bash and redis-cli"
    n=$((n + 1)); echo "ok $n # SKIP sustained-writes needs bash and redis-cli"
fi

# ---- store-bench --quick ----
out=$(TMPDIR=$DIR "$STORE_BENCH" --quick 2>&1)
rc=$?
diag "$out"
ok $rc "store-bench --quick exits 0"
printf '%s\n' "$out" | tail -n 1 | grep -q '^omenkv GET speed-up at 10000 keys: '
ok $? "store-bench --quick ends with its ratio line"

[ "$failed" -eq 0 ]
