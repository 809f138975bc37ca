#!/bin/sh
# test_shards.sh - three omenkv-server shards behind twemproxy (nutcracker) with ketama
# consistent hashing, the README's recipe ("Past one machine: shards behind twemproxy"):
# redis-cli, redis-benchmark and redis-py through the proxy; every key on exactly one
# shard (asked of each shard directly) and read back through the proxy; MGET, MSET and
# DEL across shards; hashes, sets, lists and sorted sets; hash tags; a shard killed with
# kill -9 under writes and restarted keeps every acknowledged write; and a second pool
# with redis_auth over a shard with requirepass (the recipe for shards on other hosts).
# Speaks TAP; about 30 s. Skipped when nutcracker (Debian nutcracker, which ./bootstrap installs) or
# redis-tools is missing.
set -u

NUTCRACKER=${NUTCRACKER:-$(command -v nutcracker 2>/dev/null || echo /usr/sbin/nutcracker)}
if [ ! -x "$NUTCRACKER" ]; then
    echo "1..0 # SKIP nutcracker not installed (Debian nutcracker; ./bootstrap installs it)"
    exit 0
fi
if ! command -v redis-cli >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then
    echo "1..0 # SKIP redis-tools not installed"
    exit 0
fi

SERVER=${OMK_SERVER:-${OMK_TOP_BUILDDIR:-.}/daemon/omenkv-server}
CLIENT_PY=${OMK_TOP_SRCDIR:-.}/tests/integ/shards_client.py
. "${OMK_TOP_SRCDIR:-.}/tests/lib.sh"

NKEYS=3000           # string keys written through the proxy
TOP=$(mktemp -d /tmp/omk-shards-XXXXXX) || exit 1
PX=                  # the proxy's port
PXA=                 # the port of its second pool, with redis_auth, over shard 4
AUTH_PASS=shards-test-pass
NC_PID=
WRITER_PID=

# Stop what this test started (shards, proxy, the redis-py writer) and remove TOP.
shards_cleanup() {
    for pid in $WRITER_PID $NC_PID $(cat "$TOP"/shard*.pid 2>/dev/null); do
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        fi
    done
    [ -n "${OMK_KEEP_DATA:-}" ] || rm -rf "$TOP"
}
trap shards_cleanup EXIT
trap 'exit 1' INT TERM

random_port() {
    echo $((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
}

# px ARGS...: redis-cli through the proxy. shard I ARGS...: redis-cli to shard I directly.
px() {
    timeout 60 redis-cli -h 127.0.0.1 -p "$PX" "$@"
}
shard() {
    _shard=$1
    shift
    timeout 60 redis-cli -h 127.0.0.1 -p "$(cat "$TOP/shard$_shard.port")" "$@"
}

# run_shard I: start shard I on the port in $TOP/shardI.port with its data in
# $TOP/shardI/data and the options in $TOP/shardI.args (one word a line, none with
# spaces); 0 once it answers PING (20 s at most), 1 if it exits or does not.
run_shard() {
    port=$(cat "$TOP/shard$1.port")
    "$SERVER" --port "$port" --bind 127.0.0.1 --dir "$TOP/shard$1/data" \
        --logfile "$TOP/shard$1/server.log" $(cat "$TOP/shard$1.args") \
        >>"$TOP/shard$1/server.out" 2>&1 &
    echo $! > "$TOP/shard$1.pid"
    i=0
    while [ $i -lt 200 ]; do
        [ "$(shard "$1" -a "$AUTH_PASS" --no-auth-warning ping 2>/dev/null)" = PONG ] && return 0
        kill -0 "$(cat "$TOP/shard$1.pid")" 2>/dev/null || return 1
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# start_shard I [ARGS...]: run shard I on a free port (up to 5 tries) with ARGS.
start_shard() {
    _id=$1
    shift
    mkdir -p "$TOP/shard$_id/data"
    printf '%s\n' "$@" > "$TOP/shard$_id.args"
    for try in 1 2 3 4 5; do
        random_port > "$TOP/shard$_id.port"
        [ -n "$(shard "$_id" ping 2>/dev/null)" ] && continue # something answers there
        run_shard "$_id" && return 0
        kill -KILL "$(cat "$TOP/shard$_id.pid")" 2>/dev/null
        wait "$(cat "$TOP/shard$_id.pid")" 2>/dev/null
    done
    diag "shard $_id did not start; end of its log:"
    tail -20 "$TOP/shard$_id/server.log" "$TOP/shard$_id/server.out" 2>/dev/null | sed 's/^/#   /'
    return 1
}

# write_conf PROXY_PORT AUTH_POOL_PORT: the README's nutcracker.yml over the three shards,
# and a second pool with redis_auth over shard 4 (requirepass).
write_conf() {
    cat > "$TOP/nutcracker.yml" <<EOF
omenkv:
  listen: 127.0.0.1:$1
  redis: true
  hash: fnv1a_64
  hash_tag: "{}"
  distribution: ketama
  auto_eject_hosts: false
  timeout: 5000
  preconnect: true
  servers:
   - 127.0.0.1:$(cat "$TOP/shard1.port"):1 shard1
   - 127.0.0.1:$(cat "$TOP/shard2.port"):1 shard2
   - 127.0.0.1:$(cat "$TOP/shard3.port"):1 shard3
authed:
  listen: 127.0.0.1:$2
  redis: true
  redis_auth: $AUTH_PASS
  hash: fnv1a_64
  distribution: ketama
  auto_eject_hosts: false
  servers:
   - 127.0.0.1:$(cat "$TOP/shard4.port"):1 shard4
EOF
}

# start_proxy: nutcracker on a free port, its stats port on another (up to 5 tries).
start_proxy() {
    for try in 1 2 3 4 5; do
        PX=$(random_port)
        PXA=$(random_port)
        [ "$(px ping 2>/dev/null)" = PONG ] && continue
        write_conf "$PX" "$PXA"
        "$NUTCRACKER" -c "$TOP/nutcracker.yml" -s "$(random_port)" -a 127.0.0.1 \
            -o "$TOP/nutcracker.log" >>"$TOP/nutcracker.out" 2>&1 &
        NC_PID=$!
        i=0
        while [ $i -lt 100 ] && kill -0 "$NC_PID" 2>/dev/null; do
            [ "$(px ping 2>/dev/null)" = PONG ] && return 0
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$NC_PID" 2>/dev/null
        wait "$NC_PID" 2>/dev/null
        NC_PID=
    done
    diag "nutcracker did not start; end of its log:"
    tail -20 "$TOP/nutcracker.log" "$TOP/nutcracker.out" 2>/dev/null | sed 's/^/#   /'
    return 1
}

# locate KEYFILE OUT: for each key of KEYFILE (one a line), ask every shard EXISTS; OUT
# gets "key on-shard1 on-shard2 on-shard3" per key (each 0 or 1).
locate() {
    for s in 1 2 3; do
        sed 's/^/EXISTS /' "$1" | shard "$s" > "$TOP/exists.$s"
    done
    paste -d' ' "$1" "$TOP/exists.1" "$TOP/exists.2" "$TOP/exists.3" > "$2"
}

# on_one_shard LOCATED: 0 when every key of a locate file is on exactly one shard (and
# each shard answered for every key); else prints the first few others.
on_one_shard() {
    bad=$(awk 'NF != 4 || $2 + $3 + $4 != 1' "$1")
    [ -z "$bad" ] && return 0
    diag "keys not on exactly one shard (key shard1 shard2 shard3):"
    printf '%s\n' "$bad" | head -5 | sed 's/^/  /' | while read -r l; do diag "$l"; done
    return 1
}

# ---- three shards and the proxy ----
ok_start=0
for s in 1 2 3; do
    start_shard $s || ok_start=1
done
ok $ok_start "three omenkv-server shards start on free loopback ports, each with its own data dir"
start_shard 4 --requirepass "$AUTH_PASS"
ok $? "a fourth shard starts with requirepass"
start_proxy
ok $? "nutcracker (ketama, fnv1a_64, auto_eject_hosts false) starts in front and answers PING"
if [ $failed -ne 0 ]; then
    echo "Bail out! no shards or no proxy"
    exit 1
fi
out=$("$NUTCRACKER" -t -c "$TOP/nutcracker.yml" 2>&1)
rc=$?
ok $rc "nutcracker -t accepts the configuration"
[ $rc -eq 0 ] || diag "$out"

# ---- strings through the proxy, each on exactly one shard ----
awk -v n=$NKEYS 'BEGIN { for (i = 0; i < n; i++) print "k:" i }' > "$TOP/keys"
awk '{ print "SET " $1 " value-of-" $1 }' "$TOP/keys" | px > "$TOP/set.out" 2>&1
[ "$(grep -cx OK "$TOP/set.out")" -eq $NKEYS ]
ok $? "redis-cli through the proxy: $NKEYS SETs answer OK"

awk '{ print "value-of-" $1 }' "$TOP/keys" > "$TOP/values"
sed 's/^/GET /' "$TOP/keys" | px > "$TOP/get.out" 2>&1
cmp -s "$TOP/values" "$TOP/get.out"
ok $? "redis-cli through the proxy: GET of each of the $NKEYS keys reads its value back"

sizes=$(for s in 1 2 3; do shard $s dbsize; done | tr '\n' ' ')
diag "DBSIZE of the shards: $sizes"
echo "$sizes" | awk -v n=$NKEYS '{ exit !($1 + $2 + $3 == n) }'
ok $? "the shards' DBSIZEs sum to $NKEYS"
echo "$sizes" | awk -v n=$NKEYS '{ exit !($1 > n / 10 && $2 > n / 10 && $3 > n / 10) }'
ok $? "ketama spreads the keys: each shard holds more than a tenth of them"

locate "$TOP/keys" "$TOP/keys.where"
on_one_shard "$TOP/keys.where"
ok $? "EXISTS asked of every shard: each key is on exactly one shard"

for s in 1 2 3; do
    shard $s --scan
done | sort > "$TOP/scanned"
sort "$TOP/keys" | cmp -s - "$TOP/scanned"
ok $? "SCAN of each shard directly (what a user does instead of SCAN through the proxy) lists every key once"

# Keys by shard, for the commands across shards below: the first five of each shard.
for s in 1 2 3; do
    awk -v c=$((s + 1)) '$c == 1 { print $1 }' "$TOP/keys.where" | head -5 > "$TOP/on.$s"
done
# interleaved: a key of shard 1, of 2, of 3, of 1, ... and a missing key.
mkeys=$(paste -d'\n' "$TOP/on.1" "$TOP/on.2" "$TOP/on.3" | tr '\n' ' ')
out=$(px mget $mkeys k:missing | tr '\n' ' ')
want=$(for k in $mkeys; do printf 'value-of-%s ' "$k"; done)
[ "$out" = "$want " ]
ok $? "MGET of 15 keys on the three shards (interleaved) and a missing one: values in order"
[ "$out" = "$want " ] || diag "got '$out'"

# EXISTS of several keys: nutcracker 0.5.0 (Debian 12) sends it whole to the first key's
# shard, which counts only its own (the README says so); key by key it is right.
out=$(px exists $mkeys k:missing)
diag "EXISTS of the 16 keys through the proxy counts $out (the first key's shard holds 5 of them)"
out=$(for k in $mkeys k:missing; do px exists "$k"; done | tr -d '\n')
[ "$out" = 1111111111111110 ]
ok $? "EXISTS of each of those 16 keys through the proxy: 15 there, the missing one not"

awk 'BEGIN { printf "MSET"; for (i = 0; i < 30; i++) printf " m:%d mv%d", i, i; print "" }' |
    px > "$TOP/mset.out" 2>&1
awk 'BEGIN { for (i = 0; i < 30; i++) print "m:" i }' > "$TOP/mkeys"
out=$(px mget $(cat "$TOP/mkeys") | tr '\n' ' ')
want=$(awk 'BEGIN { for (i = 0; i < 30; i++) printf "mv%d ", i }')
[ "$(cat "$TOP/mset.out")" = OK ] && [ "$out" = "$want" ]
ok $? "MSET of 30 keys then MGET of them through the proxy"
locate "$TOP/mkeys" "$TOP/mkeys.where"
on_one_shard "$TOP/mkeys.where" &&
    awk '{ a += $2; b += $3; c += $4 } END { exit !((a > 0) + (b > 0) + (c > 0) >= 2) }' \
        "$TOP/mkeys.where"
ok $? "the MSET's keys are each on exactly one shard, spread over more than one"

dkeys="$(head -1 "$TOP/on.1") $(head -1 "$TOP/on.2") $(head -1 "$TOP/on.3")"
out=$(px del $dkeys k:missing)
[ "$out" = 3 ]
ok $? "DEL of three keys on three shards and a missing one through the proxy -> 3"
out=$(for k in $dkeys; do for s in 1 2 3; do shard $s exists "$k"; done; done | tr -d '\n')
[ "$out" = 000000000 ]
ok $? "the deleted keys are gone from every shard"
sizes=$(for s in 1 2 3; do shard $s dbsize; done | tr '\n' ' ')
echo "$sizes" | awk -v n=$((NKEYS - 3 + 30)) '{ exit !($1 + $2 + $3 == n) }'
ok $? "the shards' DBSIZEs sum to $NKEYS - 3 + 30"

# ---- collections through the proxy: ten keys of each type, spread over the shards ----
coll_case() { # coll_case NAME: feed $TOP/NAME.in through the proxy, compare with NAME.want
    px < "$TOP/$1.in" > "$TOP/$1.out" 2>&1
    cmp -s "$TOP/$1.want" "$TOP/$1.out"
    rc=$?
    [ $rc -eq 0 ] || diff "$TOP/$1.want" "$TOP/$1.out" | head -6 | while read -r l; do diag "$l"; done
    return $rc
}
awk 'BEGIN { for (i = 0; i < 10; i++) {
    print "HSET h:" i " f1 a" i " f2 b" i; print "HINCRBY h:" i " n " i
    print "HGET h:" i " f2"; print "HLEN h:" i; print "HGETALL h:" i } }' > "$TOP/hash.in"
awk 'BEGIN { for (i = 0; i < 10; i++) {
    print 2; print i; print "b" i; print 3; print "f1"; print "a" i; print "f2"; print "b" i
    print "n"; print i } }' > "$TOP/hash.want"
coll_case hash
ok $? "hashes through the proxy: HSET, HINCRBY, HGET, HLEN, HGETALL on 10 keys"

awk 'BEGIN { for (i = 0; i < 10; i++) {
    print "SADD s:" i " x y z x"; print "SREM s:" i " y"; print "SISMEMBER s:" i " x"
    print "SCARD s:" i; print "SORT s:" i " ALPHA" } }' > "$TOP/set.in"
awk 'BEGIN { for (i = 0; i < 10; i++) { print 3; print 1; print 1; print 2; print "x"; print "z" } }' \
    > "$TOP/set.want"
coll_case set
ok $? "sets through the proxy: SADD, SREM, SISMEMBER, SCARD, SORT ALPHA on 10 keys"

awk 'BEGIN { for (i = 0; i < 10; i++) {
    print "RPUSH l:" i " a b c"; print "LPUSH l:" i " z"; print "LPOP l:" i
    print "RPOP l:" i; print "LLEN l:" i; print "LRANGE l:" i " 0 -1" } }' > "$TOP/list.in"
awk 'BEGIN { for (i = 0; i < 10; i++) {
    print 3; print 4; print "z"; print "c"; print 2; print "a"; print "b" } }' > "$TOP/list.want"
coll_case list
ok $? "lists through the proxy: RPUSH, LPUSH, LPOP, RPOP, LLEN, LRANGE on 10 keys"

awk 'BEGIN { for (i = 0; i < 10; i++) {
    print "ZADD z:" i " 1 a 2 b 3 c"; print "ZINCRBY z:" i " 10 a"; print "ZRANK z:" i " a"
    print "ZSCORE z:" i " b"; print "ZRANGE z:" i " 0 -1 WITHSCORES" } }' > "$TOP/zset.in"
awk 'BEGIN { for (i = 0; i < 10; i++) {
    print 3; print 11; print 2; print 2; print "b"; print 2; print "c"; print 3; print "a"
    print 11 } }' > "$TOP/zset.want"
coll_case zset
ok $? "sorted sets through the proxy: ZADD, ZINCRBY, ZRANK, ZSCORE, ZRANGE WITHSCORES on 10 keys"

awk 'BEGIN { for (i = 0; i < 10; i++) printf "h:%d\ns:%d\nl:%d\nz:%d\n", i, i, i, i }' \
    > "$TOP/ckeys"
locate "$TOP/ckeys" "$TOP/ckeys.where"
on_one_shard "$TOP/ckeys.where"
ok $? "the 40 collections are each on exactly one shard"

# ---- hash tags: multi-key commands on keys with the same {tag} ----
px sadd '{user:42}:likes' tea jam >/dev/null
px sadd '{user:42}:wants' jam pie >/dev/null
out=$(px sunionstore '{user:42}:all' '{user:42}:likes' '{user:42}:wants')
out2=$(px sinter '{user:42}:likes' '{user:42}:wants')
[ "$out" = 3 ] && [ "$out2" = jam ]
ok $? "SUNIONSTORE and SINTER on keys with the same hash tag {user:42} through the proxy"
printf '%s\n' '{user:42}:likes' '{user:42}:wants' '{user:42}:all' > "$TOP/tkeys"
locate "$TOP/tkeys" "$TOP/tkeys.where"
awk '{ a += $2; b += $3; c += $4 } END { exit !(a + b + c == 3 && (a == 3 || b == 3 || c == 3)) }' \
    "$TOP/tkeys.where"
ok $? "the three {user:42} keys are on one shard"
px zadd '{user:42}:z1' 1 a 2 b >/dev/null
px zadd '{user:42}:z2' 5 b 7 c >/dev/null
out=$(px zunionstore '{user:42}:zu' 2 '{user:42}:z1' '{user:42}:z2')
out2=$(px zrange '{user:42}:zu' 0 -1 withscores | tr '\n' ' ')
[ "$out" = 3 ] && [ "$out2" = "a 1 b 7 c 7 " ]
ok $? "ZUNIONSTORE into a tagged destination, then ZRANGE (the README's way instead of ZUNION)"
[ "$out2" = "a 1 b 7 c 7 " ] || diag "got '$out' '$out2'"

# ---- what nutcracker does not pass: it closes the connection without a reply ----
refused=
set -f # KEYS *
for c in "SCAN 0" "KEYS *" "MULTI" "WATCH k:1" "DBSIZE" "SELECT 0" "BLPOP l:0 1" "INFO" \
    "CLIENT SETNAME x" "HELLO 3" "RENAME k:1 k:2" "CONFIG GET maxmemory"; do
    out=$(px $c 2>&1)
    case $out in
    *"closed the connection"*) ;;
    *) refused="$refused [$c -> $out]" ;;
    esac
done
set +f
[ -z "$refused" ]
ok $? "SCAN, KEYS, MULTI, WATCH, DBSIZE, SELECT, BLPOP, INFO, CLIENT, HELLO, RENAME, CONFIG: not passed"
[ -z "$refused" ] || diag "passed:$refused"
k=$(sed -n 2p "$TOP/on.1")
out=$(px ping 2>&1; px get "$k" 2>&1)
[ "$out" = "PONG
value-of-$k" ]
rc=$?
ok $rc "the proxy still serves a new connection after those"
[ $rc -eq 0 ] || diag "got '$out'"

# ---- redis_auth: the proxy authenticates to shards with requirepass, and its clients ----
pxa() {
    timeout 60 redis-cli -h 127.0.0.1 -p "$PXA" "$@"
}
out=$(pxa set a:1 x 2>&1)
case $out in NOAUTH*) true ;; *) false ;; esac
ok $? "the redis_auth pool refuses a client that did not AUTH (NOAUTH)"
out=$(pxa -a wrong --no-auth-warning get a:1 2>&1)
case $out in *"invalid password"*NOAUTH*) true ;; *) false ;; esac
ok $? "and one that gave a wrong password"
out=$(pxa -a "$AUTH_PASS" --no-auth-warning set a:1 x 2>&1
    pxa -a "$AUTH_PASS" --no-auth-warning get a:1 2>&1)
[ "$out" = "OK
x" ]
ok $? "with the password: SET and GET through the redis_auth pool reach the requirepass shard"
[ "$(shard 4 -a "$AUTH_PASS" --no-auth-warning get a:1 2>&1)" = x ]
ok $? "the value is on that shard"

# ---- a client library: redis-py (Debian python3-redis) ----
if /usr/bin/python3 -c 'import redis' 2>/dev/null; then
    /usr/bin/python3 "$CLIENT_PY" check 127.0.0.1 "$PX" > "$TOP/py.out" 2>&1
    rc=$?
    while read -r verdict what; do
        case $verdict in
        PASS) ok 0 "$what" ;;
        FAIL) ok 1 "$what" ;;
        *) diag "$verdict $what" ;;
        esac
    done < "$TOP/py.out"
    grep -q '^PASS' "$TOP/py.out" && [ $rc -eq 0 ]
    ok $? "redis-py's checks through the proxy all ran and passed"
else
    ok 1 "redis-py: /usr/bin/python3 cannot import redis (install python3-redis; ./bootstrap does)"
fi

# ---- a shard killed with kill -9 under writes, restarted: no acknowledged write lost ----
# The shard holding the most keys goes; redis-py keeps writing w:<i> through the proxy.
victim=$(for s in 1 2 3; do echo "$(shard $s dbsize) $s"; done | sort -n | tail -1 | cut -d' ' -f2)
vkey=$(sed -n 2p "$TOP/on.$victim")
lkey=$(sed -n 2p "$TOP/on.$((victim % 3 + 1))")
count_lines() { wc -l < "$1" | tr -d ' '; }
wait_lines() { # wait_lines FILE N: until FILE has N lines (30 s at most)
    _tick=0
    while [ $_tick -lt 300 ] && [ "$(count_lines "$1" 2>/dev/null || echo 0)" -lt "$2" ]; do
        sleep 0.1
        _tick=$((_tick + 1))
    done
    [ $_tick -lt 300 ]
}
: > "$TOP/acked"
: > "$TOP/failed"
if /usr/bin/python3 -c 'import redis' 2>/dev/null; then
    /usr/bin/python3 "$CLIENT_PY" write 127.0.0.1 "$PX" "$TOP/acked" "$TOP/failed" \
        "$TOP/stop" 2>"$TOP/writer.err" &
    WRITER_PID=$!
    wait_lines "$TOP/acked" 300
fi
kill -KILL "$(cat "$TOP/shard$victim.pid")"
wait "$(cat "$TOP/shard$victim.pid")" 2>/dev/null
out=$(px get "$vkey" 2>&1)
out2=$(px get "$lkey" 2>&1)
case $out in ERR*) true ;; *) false ;; esac
ok $? "shard $victim killed (kill -9): GET of its key through the proxy is an error, not another shard's answer"
[ "$out2" = "value-of-$lkey" ]
ok $? "the other shards still answer through the proxy"
[ -n "$WRITER_PID" ] && wait_lines "$TOP/failed" 1
run_shard $victim
ok $? "shard $victim restarts on its port and data dir"
if [ -n "$WRITER_PID" ]; then
    n_acked=$(count_lines "$TOP/acked")
    wait_lines "$TOP/acked" $((n_acked + 300))
    touch "$TOP/stop"
    wait "$WRITER_PID"
    rc=$?
    WRITER_PID=
    ok $rc "the redis-py writer ran through the kill and the restart"
    [ -s "$TOP/writer.err" ] && diag "$(head -5 "$TOP/writer.err")"
    diag "writer: $(count_lines "$TOP/acked") SETs acknowledged, $(count_lines "$TOP/failed") refused while the shard was down"
    [ "$(count_lines "$TOP/failed")" -gt 0 ]
    ok $? "writes to the dead shard's keys failed while it was down (no failover, no rerouting)"
fi

sed 's/^/GET /' "$TOP/keys" | px > "$TOP/get2.out" 2>&1
for k in $dkeys; do printf 'value-of-%s\n' "$k"; done > "$TOP/deleted"
grep -vxF -f "$TOP/deleted" "$TOP/values" > "$TOP/values2"
grep -v '^$' "$TOP/get2.out" | cmp -s "$TOP/values2" -
ok $? "after the restart every one of the $NKEYS - 3 keys reads back through the proxy"
[ "$(grep -c '^$' "$TOP/get2.out")" = 3 ]
ok $? "and the three deleted keys stay deleted"
if [ -s "$TOP/acked" ]; then
    sed 's/^/GET /' "$TOP/acked" | px > "$TOP/acked.got" 2>&1
    sed 's/^w:/val-/' "$TOP/acked" | cmp -s - "$TOP/acked.got"
    ok $? "every SET the writer saw acknowledged reads back through the proxy"
    locate "$TOP/acked" "$TOP/acked.where"
    on_one_shard "$TOP/acked.where"
    ok $? "and each of those keys is on exactly one shard"
fi

# ---- redis-benchmark through the proxy ----
bench=$(timeout 120 redis-benchmark -h 127.0.0.1 -p "$PX" -t set,get -n 20000 -c 20 -q 2>&1)
rc=$?
lines=$(printf '%s\n' "$bench" | tr '\r' '\n' | grep -E '^(SET|GET): [0-9]+(\.[0-9]+)? requests per second')
[ $rc -eq 0 ] && printf '%s\n' "$lines" | grep -q '^SET: ' && printf '%s\n' "$lines" | grep -q '^GET: '
ok $? "redis-benchmark -t set,get -n 20000 -c 20 through the proxy: exits 0, SET and GET rates"
if [ -n "$lines" ]; then
    diag "$lines"
else
    printf '%s\n' "$bench" | tr '\r' '\n' | tail -5 | while read -r l; do diag "$l"; done
fi
out=$(for s in 1 2 3; do shard $s exists key:__rand_int__; done | tr -d '\n')
case $out in 100 | 010 | 001) true ;; *) false ;; esac
ok $? "redis-benchmark's key is on exactly one shard"

echo "1..$n"
[ $failed -eq 0 ]
