#!/bin/sh
# test_tools.sh - the stock Redis tools against omenkv-server: redis-cli (SET, GET,
# DBSIZE, INFO, --scan, -r), redis-benchmark (a short SET/GET run) and SHUTDOWN from
# redis-cli. Speaks TAP. Starts its own server ($OMK_SERVER, else
# $OMK_TOP_BUILDDIR/daemon/omenkv-server) on a free loopback port in a temp dir, or uses
# OMK_TEST_SERVER=host:port (then it does not shut the server down).
set -u

if ! command -v redis-cli >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then
    echo "1..0 # SKIP redis-tools not installed"
    exit 0
fi

SERVER=${OMK_SERVER:-${OMK_TOP_BUILDDIR:-.}/daemon/omenkv-server}
. "${OMK_TOP_SRCDIR:-.}/tests/lib.sh"

cli() {
    redis-cli -h "$HOST" -p "$PORT" "$@"
}

ping() {
    [ "$(cli ping 2>/dev/null)" = PONG ]
}

if [ -n "${OMK_TEST_SERVER:-}" ]; then
    HOST=${OMK_TEST_SERVER%:*}
    PORT=${OMK_TEST_SERVER##*:}
    [ "$(cli ping 2>/dev/null)" = PONG ]
    ok $? "the external server answers PING"
else
    start_server omk-tools
    ok $? "omenkv-server starts and answers redis-cli PING"
fi
if [ $failed -ne 0 ]; then
    echo "Bail out! no server"
    exit 1
fi

# ---- redis-cli ----
out=$(cli flushall 2>&1)
[ "$out" = OK ]
ok $? "redis-cli flushall"
out=$(cli set k1 v1 2>&1)
[ "$out" = OK ]
ok $? "redis-cli set k1 v1 -> OK"
out=$(cli get k1 2>&1)
[ "$out" = v1 ]
ok $? "redis-cli get k1 -> v1"
[ "$out" = v1 ] || diag "got '$out'"
out=$(cli get nosuchkey 2>&1)
[ -z "$out" ]
ok $? "redis-cli get of a missing key prints nothing"
cli set k2 v2 >/dev/null 2>&1
cli set k3 'a value with spaces' >/dev/null 2>&1
cli set other x >/dev/null 2>&1
out=$(cli get k3 2>&1)
[ "$out" = "a value with spaces" ]
ok $? "redis-cli get of a value with spaces"
out=$(cli dbsize 2>&1)
[ "$out" = 4 ]
ok $? "redis-cli dbsize -> 4"
[ "$out" = 4 ] || diag "got '$out'"
out=$(cli info server 2>&1)
printf '%s\n' "$out" | grep -q '^redis_version:'
ok $? "redis-cli info server has redis_version:"
out=$(cli --scan --pattern 'k*' 2>&1 | sort | tr '\n' ' ')
[ "$out" = "k1 k2 k3 " ]
ok $? "redis-cli --scan --pattern 'k*' lists k1 k2 k3"
[ "$out" = "k1 k2 k3 " ] || diag "got '$out'"
out=$(cli --scan 2>&1 | wc -l | tr -d ' ')
[ "$out" = 4 ]
ok $? "redis-cli --scan lists all 4 keys"
out=$(cli -r 3 ping 2>&1 | tr '\n' ' ')
[ "$out" = "PONG PONG PONG " ]
ok $? "redis-cli -r 3 ping -> three PONGs"
[ "$out" = "PONG PONG PONG " ] || diag "got '$out'"
out=$(printf 'set piped yes\nget piped\n' | cli 2>&1 | tr '\n' ' ')
[ "$out" = "OK yes " ]
ok $? "redis-cli reading commands from stdin"

# ---- redis-benchmark: short and bounded ----
bench=$(timeout 120 redis-benchmark -h "$HOST" -p "$PORT" -t set,get -n 20000 -c 20 -q 2>&1)
rc=$?
ok $rc "redis-benchmark -t set,get -n 20000 -c 20 exits 0"
rps='^(SET|GET): [0-9]+(\.[0-9]+)? requests per second'
lines=$(printf '%s\n' "$bench" | tr '\r' '\n' | grep -E "$rps")
printf '%s\n' "$lines" | grep -q '^SET: '
ok $? "redis-benchmark prints a numeric requests per second line for SET"
printf '%s\n' "$lines" | grep -q '^GET: '
ok $? "redis-benchmark prints a numeric requests per second line for GET"
if [ -n "$lines" ]; then
    diag "$lines"
else
    diag "redis-benchmark said:"
    printf '%s\n' "$bench" | tr '\r' '\n' | tail -5 | sed 's/^/#   /'
fi

# ---- SHUTDOWN from redis-cli ----
if [ -n "$PID" ]; then
    cli shutdown >/dev/null 2>&1
    # Wait up to 30 s for the process to exit (it stays a zombie until we reap it).
    i=0
    while [ $i -lt 300 ] && [ -d "/proc/$PID" ] &&
        ! grep -q '^State:[[:space:]]*Z' "/proc/$PID/status" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    if [ $i -ge 300 ]; then
        diag "the server still runs 30 s after shutdown; killing it"
        kill -KILL "$PID" 2>/dev/null
    fi
    wait "$PID"
    rc=$?
    PID=
    ok $rc "redis-cli shutdown: the server exits with status 0"
    [ "$(cli ping 2>/dev/null)" != PONG ]
    ok $? "nothing answers on the port after shutdown"
fi

echo "1..$n"
[ $failed -eq 0 ]
