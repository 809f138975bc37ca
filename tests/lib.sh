# tests/lib.sh - what the TAP shell tests share (sourced, POSIX sh): ok/diag, and
# starting an omenkv-server on a free loopback port in a temp dir, stopped and removed
# at exit. Before start_server, a script sets SERVER (the binary) and defines ping(),
# which returns 0 when something answers PING on $HOST:$PORT.

n=0
failed=0
HOST=127.0.0.1
PORT=
PID=
DIR=

# ok STATUS NAME: one TAP line; STATUS 0 passes.
ok() {
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=$((failed + 1))
    fi
}

# diag TEXT...: TAP comment lines.
diag() {
    printf '%s\n' "$*" | sed 's/^/# /'
}

# Stop the server if it still runs and remove its temp dir (OMK_KEEP_DATA keeps it).
lib_cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -KILL "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
    fi
    if [ -n "$DIR" ] && [ -z "${OMK_KEEP_DATA:-}" ]; then
        rm -rf "$DIR"
    fi
}
trap lib_cleanup EXIT
trap 'exit 1' INT TERM

# start_server PREFIX [ARGS...]: make DIR=/tmp/PREFIX-XXXXXX and start $SERVER there
# (data in $DIR/data, log in $DIR/server.log) with ARGS on a random free port, trying up
# to 5 ports; polls ping() every 0.1 s, 20 s at most. Returns 0 once it answers, else 1
# after printing the end of the server's log.
start_server() {
    prefix=$1
    shift
    DIR=$(mktemp -d "/tmp/$prefix-XXXXXX") || return 1
    for try in 1 2 3 4 5; do
        PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
        if ping; then
            continue # someone else is listening there
        fi
        "$SERVER" --port "$PORT" --bind "$HOST" --dir "$DIR/data" --logfile "$DIR/server.log" \
            "$@" >>"$DIR/server.out" 2>&1 &
        PID=$!
        i=0
        while [ $i -lt 200 ]; do
            if ping; then
                return 0
            fi
            if ! kill -0 "$PID" 2>/dev/null; then
                break # exited (port taken?): try another port
            fi
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
        PID=
    done
    diag "the server did not start; end of its log:"
    tail -20 "$DIR/server.log" "$DIR/server.out" 2>/dev/null | sed 's/^/#   /'
    return 1
}
