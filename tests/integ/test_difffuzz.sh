#!/bin/sh
# test_difffuzz.sh - the differential fuzz of issues 20, 21 and 22, bounded for make check:
# starts a redis-server 7 (the reference) and an omenkv-server, each on a free loopback
# port in a temp dir, and runs clients/omenkv-difffuzz between them with fixed seeds,
# each run ending with omenkv's DEBUG CHECK (the store's self-check):
#   - issue 20: 20,000 commands per family group (string+keys, hash+set+keys, the four)
#     and per protocol (HELLO 2, HELLO 3), seeds 2021-2026;
#   - issue 21: lists+keys and sorted sets+keys, 10,000 commands per protocol (seeds
#     2121-2124); blocking pops with lists, sorted sets and keys, 5,000 per protocol
#     (seeds 2125, 2126: each blocking pop is an episode of several round trips on
#     three connections per server); every family, 10,000 switching protocols (seed
#     2127). Each is skipped (with the reason) while the server under test lacks LPUSH,
#     ZADD, or BLPOP and CLIENT UNBLOCK;
#   - issue 22: bitmaps+keys, large strings+keys and HyperLogLogs+keys, 10,000 commands
#     per protocol (seeds 2221-2226), then the three with strings and keys, 10,000
#     switching protocols (seed 2227); the bitmap runs are skipped while the server lacks
#     SETBIT, the HyperLogLog runs while it lacks PFADD or PFDEBUG. Seed 2127's run covers
#     every family ("all") once the server has both, else the families of issues 20 and 21;
#   - issue 21's SORT and SORT_RO with the families whose keys they read, 2,500 commands
#     switching protocols (seed 2128), skipped while the server lacks SORT.
# omenkv runs with collection-inline-max-bytes 256 so that small collections cross the
# inline/split boundary both ways, and string-fragment-threshold 256 so that strings
# longer than 256 bytes are kept in 4096-byte fragments (without an option the server
# does not know yet, its default). Each run is one TAP test; a difference prints the command, both replies and the
# history of the keys involved as comments. Skipped without redis-server. About 40 s.
# The long runs (200,000 commands and more per mix, and their seeds) are in
# clients/README.md.
# Environment (set by make check): OMK_SERVER, OMK_TOP_BUILDDIR, OMK_TOP_SRCDIR;
# OMK_TEST_SERVER=host:port fuzzes that server instead of starting omenkv (no DEBUG
# CHECK then). OMK_DIFFFUZZ_COMMANDS changes the commands per run.
set -u

bin="${OMK_TOP_BUILDDIR:-.}/clients/omenkv-difffuzz"
SERVER=${OMK_SERVER:-${OMK_TOP_BUILDDIR:-.}/daemon/omenkv-server}
commands=${OMK_DIFFFUZZ_COMMANDS:-20000}

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    echo "1..0 # SKIP redis-server (the reference) is not installed"
    exit 0
fi
if [ ! -x "$bin" ]; then
    echo "1..0 # SKIP omenkv-difffuzz not built"
    exit 0
fi

. "${OMK_TOP_SRCDIR:-.}/tests/lib.sh"

ping() {
    [ "$(redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null)" = PONG ]
}

# ---- the reference: redis-server, no persistence, its own temp dir ----
RPID=
RDIR=$(mktemp -d /tmp/omk-difffuzz-redis-XXXXXX) || exit 1
cleanup() {
    if [ -n "$RPID" ] && kill -0 "$RPID" 2>/dev/null; then
        kill -KILL "$RPID" 2>/dev/null
        wait "$RPID" 2>/dev/null
    fi
    rm -rf "$RDIR"
    lib_cleanup
}
trap cleanup EXIT

RPORT=
for try in 1 2 3 4 5; do
    p=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
    [ "$(redis-cli -h "$HOST" -p "$p" ping 2>/dev/null)" = PONG ] && continue
    redis-server --port "$p" --bind "$HOST" --save '' --appendonly no --dir "$RDIR" \
        --logfile "$RDIR/redis.log" >/dev/null 2>&1 &
    RPID=$!
    i=0
    while [ $i -lt 100 ] && kill -0 "$RPID" 2>/dev/null; do
        if [ "$(redis-cli -h "$HOST" -p "$p" ping 2>/dev/null)" = PONG ]; then
            RPORT=$p
            break
        fi
        sleep 0.1
        i=$((i + 1))
    done
    [ -n "$RPORT" ] && break
    kill -KILL "$RPID" 2>/dev/null
    wait "$RPID" 2>/dev/null
    RPID=
done
[ -n "$RPORT" ]
ok $? "redis-server (the reference) starts: $(redis-server --version | cut -d' ' -f3)"

# ---- the server under test ----
check=
if [ -n "${OMK_TEST_SERVER:-}" ]; then
    HOST=${OMK_TEST_SERVER%:*}
    PORT=${OMK_TEST_SERVER##*:}
    ping
    ok $? "the server under test ($OMK_TEST_SERVER) answers PING"
else
    if start_server omk-difffuzz --enable-debug-command yes \
        --collection-inline-max-bytes 256 --string-fragment-threshold 256 >/dev/null 2>&1; then
        :
    elif rm -rf "$DIR" && start_server omk-difffuzz --enable-debug-command yes \
        --collection-inline-max-bytes 256 >/dev/null 2>&1; then
        diag "omenkv-server does not take --string-fragment-threshold: its default"
    else
        rm -rf "$DIR"
        diag "omenkv-server does not take --collection-inline-max-bytes: default boundary"
        start_server omk-difffuzz --enable-debug-command yes
    fi
    ok $? "omenkv-server starts"
    check="--debug-check a"
fi
if [ $failed -ne 0 ]; then
    echo "Bail out! no server"
    exit 1
fi

out="$RDIR/fuzz.out"

# fuzz SEED FAMILIES PROTO COMMANDS [OPTIONS]: one run, one TAP test.
fuzz() {
    # shellcheck disable=SC2086 # $check is empty or two words, $5 options
    "$bin" --a "$HOST:$PORT" --b "$HOST:$RPORT" --seed "$1" --commands "$4" \
        --families "$2" --proto "$3" $check ${5:-} >"$out" 2>&1
    rc=$?
    summary=$(grep -E '^[0-9]+ commands, [0-9]+ differences' "$out")
    [ $rc -eq 0 ]
    ok $? "families $2, RESP$3, seed $1: ${summary:-no summary (exit $rc)}"
    if [ $rc -ne 0 ]; then
        head -c 6000 "$out" | sed 's/^/# /'
        echo
    else
        grep '^covered:' "$out" | sed 's/^/# /'
    fi
    if [ -n "$PID" ] && ! kill -0 "$PID" 2>/dev/null; then
        echo "Bail out! omenkv-server died; end of its log:"
        tail -20 "$DIR/server.log" | sed 's/^/# /'
        exit 1
    fi
}

# skip_runs N REASON: N TAP tests skipped.
skip_runs() {
    i=0
    while [ $i -lt "$1" ]; do
        n=$((n + 1))
        echo "ok $n # SKIP $2"
        i=$((i + 1))
    done
}

# has COMMAND: the server under test knows COMMAND (COMMAND INFO answers its entry).
has() {
    [ -n "$(redis-cli -h "$HOST" -p "$PORT" command info "$1" 2>/dev/null | head -1)" ]
}

# Issue 20: strings, hashes, sets and the key commands.
seed=2020
for fams in string,keys hash,set,keys string,hash,set,keys; do
    for proto in 2 3; do
        seed=$((seed + 1))
        fuzz $seed $fams $proto "$commands"
    done
done

# Issue 21: lists, sorted sets, blocking pops.
lists=0 zsets=0 blocks=0
has lpush && lists=1
has zadd && zsets=1
if has blpop && [ "$(redis-cli -h "$HOST" -p "$PORT" client unblock 999999999 2>&1)" = 0 ]; then
    blocks=1
fi
if [ $lists -eq 1 ]; then
    fuzz 2121 list,keys 2 $((commands / 2))
    fuzz 2122 list,keys 3 $((commands / 2))
else
    skip_runs 2 "the server has no LPUSH (lists not merged yet)"
fi
if [ $zsets -eq 1 ]; then
    fuzz 2123 zset,keys 2 $((commands / 2))
    fuzz 2124 zset,keys 3 $((commands / 2))
else
    skip_runs 2 "the server has no ZADD (sorted sets not merged yet)"
fi
bitmaps=0 hlls=0
has setbit && bitmaps=1
has pfadd && has pfdebug && hlls=1
if [ $lists -eq 1 ] && [ $zsets -eq 1 ] && [ $blocks -eq 1 ]; then
    fuzz 2125 block,list,zset,keys 2 $((commands / 4))
    fuzz 2126 block,list,zset,keys 3 $((commands / 4))
    if [ $bitmaps -eq 1 ] && [ $hlls -eq 1 ]; then
        fuzz 2127 all alt $((commands / 2))
    else
        fuzz 2127 string,hash,set,keys,list,zset,block alt $((commands / 2))
    fi
else
    skip_runs 3 "the server lacks lists, sorted sets, or BLPOP and CLIENT UNBLOCK"
fi

# Issue 22: bitmaps, large strings in fragments, HyperLogLogs.
if [ $bitmaps -eq 1 ]; then
    fuzz 2221 bitmap,keys 2 $((commands / 2))
    fuzz 2222 bitmap,keys 3 $((commands / 2))
else
    skip_runs 2 "the server has no SETBIT (bitmaps not merged yet)"
fi
fuzz 2223 bigstr,keys 2 $((commands / 2))
fuzz 2224 bigstr,keys 3 $((commands / 2))
if [ $hlls -eq 1 ]; then
    fuzz 2225 hll,keys 2 $((commands / 2))
    fuzz 2226 hll,keys 3 $((commands / 2))
else
    skip_runs 2 "the server has no PFADD or PFDEBUG (HyperLogLogs not merged yet)"
fi
if [ $bitmaps -eq 1 ] && [ $hlls -eq 1 ]; then
    fuzz 2227 bitmap,bigstr,hll,string,keys alt $((commands / 2))
else
    skip_runs 1 "the server lacks SETBIT or PFADD"
fi

# Issue 21's SORT and SORT_RO (the sort family, with the lists, sets and sorted sets they
# read and the hashes and strings their patterns name), 2,500 commands switching
# protocols (seed 2128); skipped while the server has no SORT.
if has sort && [ $lists -eq 1 ] && [ $zsets -eq 1 ]; then
    fuzz 2128 sort,list,set,zset,hash,string,keys alt $((commands / 8))
else
    skip_runs 1 "the server has no SORT, LPUSH or ZADD"
fi

# Issue 23: keyspace notifications (--notify): every family, the messages a subscriber
# gets after each step compared too; skipped while the server has no
# notify-keyspace-events.
if [ "$(redis-cli -h "$HOST" -p "$PORT" config get notify-keyspace-events 2>/dev/null | head -1)" = \
    notify-keyspace-events ]; then
    fuzz 2327 all alt $((commands / 4)) "--notify KEAn --exclude OBJECT"
else
    skip_runs 1 "the server has no notify-keyspace-events"
fi

echo "1..$n"
[ $failed -eq 0 ]
