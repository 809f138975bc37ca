#!/bin/sh
# test_crash.sh - kill -9 under load loses no acknowledged write: clients/omenkv-crashcheck
# runs 10 rounds under each appendfsync mode (always, everysec, no), each followed by a
# clean round, with its default load: 4 writers with one request in flight, 2 writers
# sending batches of 16 and of 100 commands, and 4 clients (2 per worker) INCRing 4
# shared counters; and the collection writers of issues 20, 21 and 22 (HINCRBY, SADD/SREM,
# RPUSH/LPOP queues, ZINCRBY, SETBIT, PFADD), each kind when the server has its commands.
# After each kill every acknowledged write is there and every shared
# counter is at least the highest value an INCR reply showed; in the clean round every
# key and counter is exactly what was acknowledged. Then 2 rounds with a 1 MB RocksDB
# write buffer so that memtable flushes and compactions run during the load, then 1
# round with --inject-faults, which must fail (it proves the checker catches a lost
# write, an old version, a resurrected key, a lower counter and a lower shared counter).
# Issue 22's SETBIT and PFADD writers also run alone, 3 kill rounds and a clean one
# under everysec with bitmaps and HyperLogLogs in fragments (string-fragment-threshold
# 256), skipped while the server has neither SETBIT nor PFADD.
# Each round is one TAP test; about a minute in all. The long run is in clients/README.md.
# Environment (set by make check): OMK_SERVER, OMK_TOP_BUILDDIR.

bin="${OMK_TOP_BUILDDIR:-.}/clients/omenkv-crashcheck"
server="${OMK_SERVER:-${OMK_TOP_BUILDDIR:-.}/daemon/omenkv-server}"

if [ -n "$OMK_TEST_SERVER" ]; then
    echo "1..0 # SKIP kills its own servers (OMK_TEST_SERVER is set)"
    exit 0
fi
if [ ! -x "$bin" ] || [ ! -x "$server" ]; then
    echo "1..0 # SKIP omenkv-crashcheck or omenkv-server not built"
    exit 0
fi

out=$(mktemp /tmp/omk-crash-tap-XXXXXX)
trap 'rm -f "$out"' EXIT
n=0
failed=0

# Run the checker with "$@"; print its round verdicts as TAP tests, the rest as
# comments. Returns the checker's exit status.
run() {
    "$bin" --server "$server" "$@" >"$out" 2>&1
    rc=$?
    while IFS= read -r line; do
        case $line in
        "OK: "*)
            n=$((n + 1))
            echo "ok $n - ${line#OK: }"
            ;;
        "FAILED: "*)
            n=$((n + 1))
            failed=1
            echo "not ok $n - ${line#FAILED: }"
            ;;
        *)
            echo "# $line"
            ;;
        esac
    done <"$out"
    return $rc
}

run --rounds 10 --fsync all --run-ms 150-600
rc=$?
clean=$(grep -c '^OK: clean round' "$out")
n=$((n + 1))
if [ $rc -eq 0 ] && [ "$clean" -eq 3 ]; then
    echo "ok $n - 30 kill rounds, 10 per appendfsync mode, and 3 clean rounds: exit 0"
else
    echo "not ok $n - 30 kill rounds and 3 clean rounds: exit $rc, $clean clean rounds passed"
    failed=1
fi

run --rounds 2 --fsync everysec --flushes --run-ms 500-1000
rc=$?
n=$((n + 1))
ssts=$(grep -o 'rocksdb so far: [0-9]* SST files' "$out" | tail -1 | grep -o '[0-9][0-9]*')
if [ $rc -eq 0 ] && [ "${ssts:-0}" -gt 0 ]; then
    echo "ok $n - forced flushes: exit 0, memtables flushed to ${ssts} SST files during the load"
else
    echo "not ok $n - forced flushes: exit $rc, ${ssts:-no} SST files"
    failed=1
fi

run --rounds 3 --fsync everysec --mix bitmap,hll --run-ms 200-700
rc=$?
if [ $rc -eq 3 ]; then
    n=$((n + 1))
    echo "ok $n # SKIP the server has no SETBIT and no PFADD (bitmaps, HyperLogLogs not merged)"
else
    n=$((n + 1))
    if [ $rc -eq 0 ] && grep -q '^OK: clean round' "$out"; then
        echo "ok $n - SETBIT and PFADD writers alone: 3 kill rounds and a clean round, exit 0"
    else
        echo "not ok $n - SETBIT and PFADD writers alone: exit $rc"
        failed=1
    fi
fi

# The checker must catch what it injects: its verdict lines are expected to fail here,
# so they are shown as comments only.
"$bin" --server "$server" --rounds 1 --fsync no --run-ms 300-600 --inject-faults >"$out" 2>&1
rc=$?
sed 's/^/# /' "$out"
injected=$(grep -c '^injected:' "$out")
shared=$(grep -c '^injected: cc:shared:' "$out")
found=$(grep -c '^VIOLATION' "$out")
n=$((n + 1))
if [ $rc -eq 1 ] && [ "$injected" -ge 4 ] && [ "$shared" -eq 1 ] && [ "$found" -eq "$injected" ]
then
    echo "ok $n - injected faults: all $injected found as violations, exit 1"
else
    echo "not ok $n - injected faults: $injected injected, $found found, exit $rc"
    failed=1
fi

echo "1..$n"
exit $failed
