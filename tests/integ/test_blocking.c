/* test_blocking.c - the blocking pops against a real server: BLPOP BRPOP BLMOVE BRPOPLPUSH
 * BLMPOP BZPOPMIN BZPOPMAX BZMPOP, their argument errors in Redis 7.0's order and words,
 * every reply shape in RESP2 and RESP3 (bytes where hiredis cannot tell a null array from
 * a null bulk), timeouts (decimals, 0 = forever, out-of-range ones), the order in which
 * several clients parked on a key are served (LPUSH of several elements serving several
 * clients), when they are served (inside the pushing command: its connection's next
 * command no longer sees the element) and in which order the keys a command made ready
 * are served (the order they became ready, a BLMOVE's destination joining the same turn),
 * MULTI/EXEC (no blocking inside; a push in EXEC serves after it), CLIENT
 * UNBLOCK in both forms, a parked client that disconnects or is killed, keys made ready by
 * RENAME, LMOVE, COPY, MOVE, SORT STORE and ZUNIONSTORE, WRONGTYPE when called and when
 * served (the waiter stays; a BZPOPMIN behind a BLPOP is served; a BLMOVE whose
 * destination is of another type gets the error and the element goes to the next waiter),
 * BLMOVE feeding a client parked on its destination, Redis 7.0's pass over a ready key's
 * FIFO (a waiter of the other kind keeps its place; the turn ends once a pop empties the
 * key), a chain of served pops not interleaved with another worker's command that makes
 * one of its keys ready, pipelined requests waiting behind a
 * parked one, the idle timeout and the query buffer limit of a parked client, INFO
 * blocked_clients, CLIENT LIST flags=b, and a race: pushers, parked poppers, CLIENT
 * UNBLOCK and (omenkv only) clients that hang up while parked, every element received
 * exactly once. Every expectation holds against redis-server 7.0.15 too
 * (OMK_TEST_SERVER=127.0.0.1:port). */
#include "config.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/omk.h"
#include "tests/harness.h"
#include "tests/integ/tcoll.h"

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define NOTFLOAT "ERR timeout is not a float or out of range"
#define NEGATIVE "ERR timeout is negative"
#define UNBLOCKED "UNBLOCKED client unblocked via CLIENT UNBLOCK"
#define QUIET_MS 200 /* how long a parked client is watched to see it is still parked */

static struct tserver srv;

/* ---- helpers ---- */

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send 'line' (split on spaces) on 'c' without reading its reply. */
static void send_line(redisContext *c, const char *line)
{
    char *copy = omk_memdup(line, strlen(line));
    const char *argv[64];
    size_t lens[64];
    int argc = 0, done = 0;

    for (char *p = copy, *sp; p && argc < 64; p = sp ? sp + 1 : NULL) {
        sp = strchr(p, ' ');
        if (sp)
            *sp = '\0';
        argv[argc] = p;
        lens[argc++] = strlen(p);
    }
    redisAppendCommandArgv(c, argc, argv, lens);
    while (!done && redisBufferWrite(c, &done) == REDIS_OK)
        ;
    omk_free(copy);
}

/* The next reply on 'c' if it comes within 'ms' ms, else NULL. */
static redisReply *reply_within(redisContext *c, int ms)
{
    void *r = NULL;
    struct pollfd p = {c->fd, POLLIN, 0};

    if (redisReaderGetReply(c->reader, &r) == REDIS_OK && r)
        return r;
    if (poll(&p, 1, ms) <= 0)
        return NULL;
    if (redisGetReply(c, &r) != REDIS_OK)
        return NULL;
    return r;
}

/* The next reply on 'c', waiting up to 10 s. */
static redisReply *next_reply(redisContext *c)
{
    return reply_within(c, 10000);
}

/* Wait up to 10 s for INFO blocked_clients to read 'n'; 1 if it did. */
static int wait_blocked(redisContext *ctl, long long n)
{
    for (int i = 0; i < 2000; i++) {
        if (ts_info_field(ctl, "clients", "blocked_clients") == n)
            return 1;
        ts_sleep_ms(5);
    }
    return 0;
}

/* A new connection that sent 'line' and is parked on it (INFO blocked_clients reached
 * 'nblocked'); one assertion. */
static redisContext *park(redisContext *ctl, const char *line, long long nblocked)
{
    redisContext *b = ts_connect(&srv);

    send_line(b, line);
    if (!ok(wait_blocked(ctl, nblocked), "%s parks (blocked_clients %lld)", line, nblocked))
        diag("  blocked_clients is %lld", ts_info_field(ctl, "clients", "blocked_clients"));
    return b;
}

/* 'b' got no reply within QUIET_MS: it is still parked. */
static void still_parked(redisContext *b, const char *name)
{
    redisReply *r = reply_within(b, QUIET_MS);

    if (!ok(r == NULL, "%s", name))
        ts_diag_reply(r);
    freeReplyObject(r);
}

/* The client id of connection 'c'. */
static long long client_id(redisContext *c)
{
    redisReply *r = cmd(c, "CLIENT ID");
    long long id = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

    freeReplyObject(r);
    return id;
}

/* A connection to the server that reads raw reply bytes (RESP2; r3_open for RESP3). */
static int raw_open(struct r3conn *rc)
{
    memset(rc, 0, sizeof(*rc));
    rc->fd = ts_raw_connect(&srv);
    return rc->fd >= 0 ? 0 : -1;
}

/* 'line' on 'c' replies an error whose text is 'want'. */
static void err_is(redisContext *c, const char *line, const char *want)
{
    is_error(cmdline(c, line), want, line);
}

/* ---- arguments ---- */

static void test_args(redisContext *c)
{
    tc_section(c, "arguments");
    err_is(c, "BLPOP k", "ERR wrong number of arguments for 'blpop' command");
    err_is(c, "BRPOP k", "ERR wrong number of arguments for 'brpop' command");
    err_is(c, "BLMOVE a b LEFT LEFT", "ERR wrong number of arguments for 'blmove' command");
    err_is(c, "BRPOPLPUSH a b", "ERR wrong number of arguments for 'brpoplpush' command");
    err_is(c, "BLMPOP 0 1 k", "ERR wrong number of arguments for 'blmpop' command");
    err_is(c, "BZPOPMIN k", "ERR wrong number of arguments for 'bzpopmin' command");
    err_is(c, "BZPOPMAX k", "ERR wrong number of arguments for 'bzpopmax' command");
    err_is(c, "BZMPOP 0 1 k", "ERR wrong number of arguments for 'bzmpop' command");

    err_is(c, "BLPOP k abc", NOTFLOAT);
    err_is(c, "BLPOP k nan", NOTFLOAT);
    err_is(c, "BLPOP k 1x", NOTFLOAT);
    err_is(c, "BLPOP k 1e5000", NOTFLOAT);
    err_is(c, "BRPOP k -1", NEGATIVE);
    err_is(c, "BLPOP k -0.9", NEGATIVE);
    err_is(c, "BLPOP k inf", NEGATIVE);
    err_is(c, "BLPOP k 1e400", NEGATIVE);
    err_is(c, "BLPOP k 1e16", NEGATIVE);
    err_is(c, "BZPOPMIN k x", NOTFLOAT);
    err_is(c, "BZPOPMAX k -2", NEGATIVE);
    err_is(c, "BRPOPLPUSH a b x", NOTFLOAT);

    err_is(c, "BLMOVE a b UP LEFT 0", "ERR syntax error");
    err_is(c, "BLMOVE a b LEFT UP x", "ERR syntax error");
    err_is(c, "BLMOVE a b LEFT LEFT x", NOTFLOAT);

    err_is(c, "BLMPOP 0 0 k LEFT", "ERR numkeys should be greater than 0");
    err_is(c, "BLMPOP 0 -1 k LEFT", "ERR numkeys should be greater than 0");
    err_is(c, "BLMPOP 0 abc k LEFT", "ERR numkeys should be greater than 0");
    err_is(c, "BLMPOP 0 2 k LEFT", "ERR syntax error");
    err_is(c, "BLMPOP 0 1 k MIDDLE", "ERR syntax error");
    err_is(c, "BLMPOP 0 1 k LEFT COUNT", "ERR syntax error");
    err_is(c, "BLMPOP 0 1 k LEFT COUNT 0", "ERR count should be greater than 0");
    err_is(c, "BLMPOP 0 1 k LEFT COUNT 1 COUNT 2", "ERR syntax error");
    err_is(c, "BLMPOP x 1 k LEFT COUNT 0", "ERR count should be greater than 0");
    err_is(c, "BLMPOP x 1 k LEFT", NOTFLOAT);
    err_is(c, "BLMPOP -1 1 k LEFT", NEGATIVE);
    err_is(c, "BZMPOP 0 1 k MID", "ERR syntax error");
    err_is(c, "BZMPOP 0 1 k MIN COUNT 0", "ERR count should be greater than 0");
    err_is(c, "BZMPOP x 1 k MIN", NOTFLOAT);
    err_is(c, "BZMPOP 0 9 k MAX", "ERR syntax error");

    is_error(cmd(c, "CLIENT UNBLOCK abc"), "ERR value is not an integer or out of range",
             "CLIENT UNBLOCK abc");
    is_error(cmd(c, "CLIENT UNBLOCK abc FOO"),
             "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
             "CLIENT UNBLOCK checks the reason before the id");
    is_error(cmd(c, "CLIENT UNBLOCK 1 2 3"),
             "ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.",
             "CLIENT UNBLOCK with too many arguments");
    is_error(cmd(c, "CLIENT UNBLOCK"), "ERR wrong number of arguments for 'client|unblock' command",
             "CLIENT UNBLOCK with no id");
    is_integer(cmd(c, "CLIENT UNBLOCK %lld", client_id(c)), 0,
               "CLIENT UNBLOCK of a client not parked");
    is_integer(cmd(c, "CLIENT UNBLOCK 999999 ERROR"), 0, "CLIENT UNBLOCK of no such client");
    is_integer(cmd(c, "CLIENT UNBLOCK -3 TIMEOUT"), 0, "CLIENT UNBLOCK of a negative id");
}

/* ---- pops that find something at once, and WRONGTYPE ---- */

static void test_immediate(redisContext *c)
{
    redisReply *r;

    tc_section(c, "pops that find an element at once");
    is_integer(cmd(c, "RPUSH l a b c d e"), 5, "RPUSH l a b c d e");
    is_array_of(cmdline(c, "BLPOP nokey l 0"), "l a", "BLPOP skips a missing key");
    is_array_of(cmdline(c, "BRPOP l 0"), "l e", "BRPOP takes the tail");
    is_str(cmd(c, "BLMOVE l m RIGHT LEFT 0"), "d", 1, "BLMOVE replies the element");
    is_str(cmd(c, "BRPOPLPUSH l m 0"), "c", 1, "BRPOPLPUSH replies the element");
    is_array_of(cmdline(c, "LRANGE m 0 -1"), "c d", "BLMOVE and BRPOPLPUSH pushed at the head");
    is_str(cmd(c, "BLMOVE m m LEFT RIGHT 0"), "c", 1, "BLMOVE of a list onto itself rotates it");
    is_array_of(cmdline(c, "LRANGE m 0 -1"), "d c", "the rotated list");
    r = cmdline(c, "BLMPOP 0 2 nokey l LEFT COUNT 5");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "l") &&
           r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements == 1 &&
           !strcmp(r->element[1]->element[0]->str, "b"),
       "BLMPOP replies [key, [elements]], up to COUNT");
    freeReplyObject(r);
    is_integer(cmd(c, "EXISTS l"), 0, "a list emptied by a blocking pop is gone");
    r = cmdline(c, "BLMPOP 0 1 m RIGHT");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->elements == 1 &&
           !strcmp(r->element[1]->element[0]->str, "c"),
       "BLMPOP RIGHT without COUNT pops one from the tail");
    freeReplyObject(r);

    is_integer(cmd(c, "ZADD z 1 a 2 b 3.5 c"), 3, "ZADD z");
    is_array_of(cmdline(c, "BZPOPMIN nokey z 0"), "z a 1", "BZPOPMIN replies [key, member, score]");
    is_array_of(cmdline(c, "BZPOPMAX z 0"), "z c 3.5", "BZPOPMAX takes the highest score");
    is_integer(cmd(c, "ZADD z 7 x 8 y"), 2, "ZADD z again");
    r = cmdline(c, "BZMPOP 0 2 nokey z MAX COUNT 2");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && !strcmp(r->element[0]->str, "z") &&
           r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements == 2 &&
           r->element[1]->element[0]->elements == 2 &&
           !strcmp(r->element[1]->element[0]->element[0]->str, "y") &&
           !strcmp(r->element[1]->element[0]->element[1]->str, "8") &&
           !strcmp(r->element[1]->element[1]->element[0]->str, "x"),
       "BZMPOP replies [key, [[member, score], ...]]");
    freeReplyObject(r);

    tc_section(c, "WRONGTYPE when called");
    is_status(cmd(c, "SET s str"), "OK", "SET s");
    is_integer(cmd(c, "RPUSH l v"), 1, "RPUSH l v");
    is_integer(cmd(c, "ZADD z 1 m"), 1, "ZADD z 1 m");
    err_is(c, "BLPOP s 0", WRONGTYPE);
    err_is(c, "BLPOP nokey s l 0", WRONGTYPE);
    is_array_of(cmdline(c, "BLPOP l s 0"), "l v", "a list before the string pops");
    err_is(c, "BRPOP z 0", WRONGTYPE);
    err_is(c, "BLMOVE s d LEFT LEFT 0", WRONGTYPE);
    is_integer(cmd(c, "RPUSH l v"), 1, "RPUSH l v again");
    err_is(c, "BLMOVE l s LEFT LEFT 0", WRONGTYPE);
    is_integer(cmd(c, "LLEN l"), 1, "a BLMOVE onto a string moved nothing");
    err_is(c, "BRPOPLPUSH l z 0", WRONGTYPE);
    err_is(c, "BLMPOP 0 2 nokey s LEFT", WRONGTYPE);
    err_is(c, "BZPOPMIN l 0", WRONGTYPE);
    err_is(c, "BZPOPMAX nokey s 0", WRONGTYPE);
    err_is(c, "BZMPOP 0 1 l MIN", WRONGTYPE);
}

/* ---- reply bytes: RESP2 nulls and RESP3 ---- */

static void test_bytes(redisContext *c)
{
    struct r3conn r2, r3;

    tc_section(c, "reply bytes");
    if (raw_open(&r2) != 0 || r3_open(&r3, &srv) != 0) {
        ok(0, "raw connections");
        return;
    }
    r3_is_bytes(&r2, "BLPOP nokey 0.01", "*-1\r\n", "RESP2: a timeout is a null array");
    r3_is_bytes(&r2, "BLMOVE nokey d LEFT LEFT 0.01", "*-1\r\n",
                "RESP2: BLMOVE's timeout is a null array too");
    r3_is_bytes(&r2, "BZMPOP 0.01 1 nokey MIN", "*-1\r\n", "RESP2: BZMPOP's timeout");
    r3_is_bytes(&r2, "MULTI", "+OK\r\n", "MULTI");
    r3_is_bytes(&r2, "BLPOP nokey 0", "+QUEUED\r\n", "BLPOP queued");
    r3_is_bytes(&r2, "BLMOVE nokey d LEFT LEFT 0", "+QUEUED\r\n", "BLMOVE queued");
    r3_is_bytes(&r2, "BRPOPLPUSH nokey d 0", "+QUEUED\r\n", "BRPOPLPUSH queued");
    r3_is_bytes(&r2, "BLMPOP 0 1 nokey LEFT", "+QUEUED\r\n", "BLMPOP queued");
    r3_is_bytes(&r2, "BZPOPMIN nokey 0", "+QUEUED\r\n", "BZPOPMIN queued");
    r3_is_bytes(&r2, "BZMPOP 0 1 nokey MIN", "+QUEUED\r\n", "BZMPOP queued");
    r3_is_bytes(&r2, "BLPOP nokey x", "+QUEUED\r\n", "a bad timeout is only found at EXEC");
    r3_is_bytes(&r2, "EXEC", "*7\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n*-1\r\n*-1\r\n-" NOTFLOAT "\r\n",
                "inside EXEC nothing blocks: null arrays, null bulks for BLMOVE/BRPOPLPUSH");

    r3_is_bytes(&r3, "RPUSH l a b c", ":3\r\n", "RESP3: RPUSH");
    r3_is_bytes(&r3, "BLPOP l 0", "*2\r\n$1\r\nl\r\n$1\r\na\r\n", "RESP3: BLPOP");
    r3_is_bytes(&r3, "BLMPOP 0 1 l RIGHT COUNT 2", "*2\r\n$1\r\nl\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n",
                "RESP3: BLMPOP");
    r3_is_bytes(&r3, "ZADD z 1 a 2 b 3.5 c", ":3\r\n", "RESP3: ZADD");
    r3_is_bytes(&r3, "BZPOPMIN z 0", "*3\r\n$1\r\nz\r\n$1\r\na\r\n,1\r\n",
                "RESP3: BZPOPMIN's score is a double");
    r3_is_bytes(&r3, "BZMPOP 0 1 z MAX COUNT 5",
                "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n,3.5\r\n*2\r\n$1\r\nb\r\n,2\r\n",
                "RESP3: BZMPOP's pairs");
    r3_is_bytes(&r3, "BLPOP nokey 0.01", "_\r\n", "RESP3: a timeout is a null");
    r3_is_bytes(&r3, "BLMOVE nokey d LEFT LEFT 0.01", "_\r\n", "RESP3: BLMOVE's timeout");
    r3_is_bytes(&r3, "MULTI", "+OK\r\n", "RESP3: MULTI");
    r3_is_bytes(&r3, "BRPOPLPUSH nokey d 0", "+QUEUED\r\n", "RESP3: BRPOPLPUSH queued");
    r3_is_bytes(&r3, "BZPOPMAX nokey 0", "+QUEUED\r\n", "RESP3: BZPOPMAX queued");
    r3_is_bytes(&r3, "EXEC", "*2\r\n_\r\n_\r\n", "RESP3: inside EXEC, nulls");

    r3_is_bytes(&r2, "ZADD z 2.5 m", ":1\r\n", "ZADD z 2.5 m");
    r3_is_bytes(&r2, "BZPOPMAX z 0", "*3\r\n$1\r\nz\r\n$1\r\nm\r\n$3\r\n2.5\r\n",
                "RESP2: BZPOPMAX's score is a bulk");
    r3_close(&r2);
    r3_close(&r3);
}

/* A RESP3 connection parks on BZPOPMIN; a thread pushes once it is parked. */
static void *push_when_parked(void *arg)
{
    redisContext *c = ts_connect(&srv);

    OMK_UNUSED(arg);
    if (wait_blocked(c, 1))
        freeReplyObject(cmd(c, "ZADD rz 4 m"));
    redisFree(c);
    return NULL;
}

static void test_resp3_served(redisContext *c)
{
    struct r3conn r3;
    pthread_t t;

    tc_section(c, "a served reply in RESP3");
    if (r3_open(&r3, &srv) != 0) {
        ok(0, "RESP3 connection");
        return;
    }
    pthread_create(&t, NULL, push_when_parked, NULL);
    r3_is_bytes(&r3, "BZPOPMIN rz 0", "*3\r\n$2\r\nrz\r\n$1\r\nm\r\n,4\r\n",
                "RESP3: a parked BZPOPMIN served by ZADD");
    pthread_join(t, NULL);
    r3_close(&r3);
}

/* ---- timeouts ---- */

static void test_timeouts(redisContext *c)
{
    redisContext *b;
    redisReply *r;
    int64_t t0, dt;
    long long id;

    tc_section(c, "timeouts");
    t0 = now_ms();
    is_nil(cmd(c, "BLPOP nokey 0.2"), "BLPOP with a decimal timeout times out");
    dt = now_ms() - t0;
    if (!ok(dt >= 190 && dt < 5000, "... after about 0.2 s"))
        diag("  took %lld ms", (long long)dt);
    t0 = now_ms();
    is_nil(cmd(c, "BZMPOP 0.05 2 k1 k2 MIN"), "BZMPOP times out");
    is_nil(cmd(c, "BLMOVE nokey d LEFT LEFT 0.0001"), "a timeout below a ms rounds up to one");
    dt = now_ms() - t0;
    ok(dt >= 45 && dt < 5000, "... both quickly");

    b = park(c, "BLPOP k 0", 1);
    still_parked(b, "timeout 0 waits with no end");
    is_integer(cmd(c, "RPUSH k v"), 1, "RPUSH k v");
    is_array_of(next_reply(b), "k v", "the push served it");
    redisFree(b);

    b = ts_connect(&srv);
    id = client_id(b);
    send_line(b, "BRPOP k -0.0001");
    ok(wait_blocked(c, 1), "BRPOP k -0.0001 parks");
    still_parked(b, "a timeout rounding to -0 ms waits forever too");
    r = cmd(c, "CLIENT LIST ID %lld", id);
    ok(r && r->type == REDIS_REPLY_STRING && strstr(r->str, " flags=b ") &&
           strstr(r->str, " cmd=brpop "),
       "CLIENT LIST shows the parked client with flags=b");
    freeReplyObject(r);
    is_integer(cmd(c, "CLIENT UNBLOCK 0"), 0, "CLIENT UNBLOCK 0 matches nobody");
    is_integer(cmd(c, "CLIENT UNBLOCK %lld", id), 1, "CLIENT UNBLOCK ends it");
    is_nil(next_reply(b), "with a null");
    redisFree(b);
}

/* ---- order of service ---- */

static void test_fifo(redisContext *c)
{
    redisContext *b[3];

    tc_section(c, "clients parked on a key are served in the order they blocked");
    b[0] = park(c, "BLPOP q 0", 1);
    b[1] = park(c, "BLPOP q 0", 2);
    b[2] = park(c, "BLPOP q 0", 3);
    is_integer(cmd(c, "LPUSH q a b c"), 3, "LPUSH q a b c");
    is_array_of(next_reply(b[0]), "q c", "the first parked gets the head (c)");
    is_array_of(next_reply(b[1]), "q b", "the second gets b");
    is_array_of(next_reply(b[2]), "q a", "the third gets a");
    ok(wait_blocked(c, 0), "nobody is parked any more");
    is_integer(cmd(c, "EXISTS q"), 0, "every element went to a client");

    for (int i = 0; i < 3; i++) {
        send_line(b[i], i == 1 ? "BRPOP q 0" : "BLPOP q 0");
        ok(wait_blocked(c, i + 1), "client %d parks again", i + 1);
    }
    is_integer(cmd(c, "RPUSH q x"), 1, "RPUSH q x");
    is_integer(cmd(c, "RPUSH q y"), 1, "RPUSH q y");
    is_array_of(next_reply(b[0]), "q x", "one push per command: the first gets the first");
    is_array_of(next_reply(b[1]), "q y", "the second (BRPOP) the second");
    still_parked(b[2], "the third still waits");
    is_integer(cmd(c, "RPUSH q z w"), 2, "RPUSH q z w");
    is_array_of(next_reply(b[2]), "q z", "the third gets z");
    is_array_of(cmdline(c, "LRANGE q 0 -1"), "w", "w is left in the list");
    for (int i = 0; i < 3; i++)
        redisFree(b[i]);
    ok(wait_blocked(c, 0), "none parked");

    b[0] = park(c, "BLPOP q1 q2 0", 1);
    b[1] = park(c, "BLPOP q2 0", 2);
    is_integer(cmd(c, "RPUSH q2 m n"), 2, "RPUSH q2 m n");
    is_array_of(next_reply(b[0]), "q2 m", "a client parked on two keys is served by the second");
    is_array_of(next_reply(b[1]), "q2 n", "and the next one on that key too");
    redisFree(b[0]);
    redisFree(b[1]);

    b[0] = park(c, "BLPOP dup dup 0", 1);
    is_integer(cmd(c, "RPUSH dup a b"), 2, "RPUSH dup a b");
    is_array_of(next_reply(b[0]), "dup a", "a key named twice is served once");
    is_integer(cmd(c, "LLEN dup"), 1, "... and one element is left");
    redisFree(b[0]);
}

/* ---- when and in which order waiters are served ---- */

static void test_order(redisContext *c)
{
    redisContext *b[2], *o = ts_connect(&srv);
    redisReply *r;

    tc_section(c, "waiters are served inside the pushing command, before its next one");
    b[0] = park(c, "BLPOP k 0", 1);
    send_line(o, "RPUSH k a");
    send_line(o, "LLEN k");
    is_integer(next_reply(o), 1, "RPUSH k a (pipelined with LLEN k)");
    is_integer(next_reply(o), 0, "LLEN k right after it on the same connection: 0");
    is_array_of(next_reply(b[0]), "k a", "the parked client got a");

    send_line(b[0], "BLPOP k 0");
    ok(wait_blocked(c, 1), "it parks again");
    is_integer(cmd(o, "RPUSH k x y"), 2, "RPUSH k x y");
    is_array_of(cmdline(c, "LRANGE k 0 -1"), "y", "another connection after the reply: y is left");
    is_array_of(next_reply(b[0]), "k x", "the parked client got x");
    is_integer(cmd(c, "DEL k"), 1, "DEL k");

    send_line(b[0], "BZPOPMIN z 0");
    ok(wait_blocked(c, 1), "BZPOPMIN parks");
    send_line(o, "MULTI");
    send_line(o, "ZADD z 1 m");
    send_line(o, "EXEC");
    send_line(o, "ZCARD z");
    is_status(next_reply(o), "OK", "MULTI");
    is_status(next_reply(o), "QUEUED", "ZADD queued");
    r = next_reply(o);
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1, "EXEC");
    freeReplyObject(r);
    is_integer(next_reply(o), 0, "ZCARD z right after EXEC: served after EXEC, before ZCARD");
    is_array_of(next_reply(b[0]), "z m 1", "the parked BZPOPMIN got m");

    tc_section(c, "keys are served in the order they became ready");
    redisFree(b[0]); /* served above: a new waiter takes its place */
    b[0] = park(c, "BRPOPLPUSH k10 k6 0", 1);
    b[1] = park(c, "BLMPOP 100.5 2 k10 k6 RIGHT COUNT 1", 2);
    is_integer(cmd(o, "RPUSH k10 32768 3.0 18"), 3, "RPUSH k10 32768 3.0 18");
    is_str(next_reply(b[0]), "18", 2, "BRPOPLPUSH k10 k6 (first blocked) took 18 onto k6");
    r = next_reply(b[1]);
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "k10") &&
           r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements == 1 &&
           !strcmp(r->element[1]->element[0]->str, "3.0"),
       "BLMPOP k10 k6 is served from k10 (ready first), not from k6: [k10, [3.0]]");
    if (!r || r->type != REDIS_REPLY_ARRAY)
        ts_diag_reply(r);
    freeReplyObject(r);
    is_array_of(cmdline(c, "LRANGE k10 0 -1"), "32768", "k10 holds 32768");
    is_array_of(cmdline(c, "LRANGE k6 0 -1"), "18", "k6 holds 18");
    is_integer(cmd(c, "DEL k10 k6"), 2, "DEL k10 k6");

    redisFree(b[0]); /* served above: a new waiter takes its place */
    b[0] = park(c, "BLPOP r1 r2 0", 1);
    redisFree(b[1]); /* served above: a new waiter takes its place */
    b[1] = park(c, "BZPOPMIN z1 z2 0", 2);
    send_line(o, "MULTI");
    send_line(o, "RPUSH r2 a");
    send_line(o, "ZADD z2 2 p");
    send_line(o, "RPUSH r1 b");
    send_line(o, "ZADD z1 1 q");
    send_line(o, "EXEC");
    for (int i = 0; i < 5; i++)
        freeReplyObject(next_reply(o));
    freeReplyObject(next_reply(o));
    is_array_of(next_reply(b[0]), "r2 a", "after EXEC: BLPOP r1 r2 is served from r2, ready first");
    is_array_of(next_reply(b[1]), "z2 p 2", "BZPOPMIN z1 z2 from z2, ready first");
    is_integer(cmd(c, "DEL r1 z1"), 2, "DEL r1 z1");

    /* Only the creation of a list makes a key ready: r1 written first as a string does not
     * put it ahead of r2 (Redis signals a key when a list or sorted set is added). */
    redisFree(b[0]); /* served above: a new waiter takes its place */
    b[0] = park(c, "BLPOP r1 r2 0", 1);
    send_line(o, "MULTI");
    send_line(o, "SET r1 v");
    send_line(o, "RPUSH r2 x");
    send_line(o, "DEL r1");
    send_line(o, "RPUSH r1 y");
    send_line(o, "EXEC");
    for (int i = 0; i < 5; i++)
        freeReplyObject(next_reply(o));
    freeReplyObject(next_reply(o));
    is_array_of(next_reply(b[0]), "r2 x", "a key written as a string first is not ready before "
                "a list created later: BLPOP r1 r2 gets r2's x");
    is_integer(cmd(c, "DEL r1"), 1, "DEL r1");

    tc_section(c, "a chain: a BLMOVE makes its destination ready in the same turn");
    redisFree(b[0]); /* served above: a new waiter takes its place */
    b[0] = park(c, "BLMOVE s d RIGHT LEFT 0", 1);
    redisFree(b[1]); /* served above: a new waiter takes its place */
    b[1] = park(c, "BLPOP d 0", 2);
    send_line(o, "RPUSH s x");
    send_line(o, "EXISTS s d");
    is_integer(next_reply(o), 1, "RPUSH s x (pipelined with EXISTS s d)");
    is_integer(next_reply(o), 0, "EXISTS s d right after it: x went through d to the next waiter");
    is_str(next_reply(b[0]), "x", 1, "BLMOVE s d got x");
    is_array_of(next_reply(b[1]), "d x", "BLPOP d got x from d");

    send_line(b[0], "BLMOVE s d RIGHT LEFT 0");
    ok(wait_blocked(c, 1), "BLMOVE s d parks again");
    send_line(b[1], "BLPOP s d 0");
    ok(wait_blocked(c, 2), "BLPOP s d parks behind it");
    send_line(o, "RPUSH s a b");
    send_line(o, "LRANGE d 0 -1");
    is_integer(next_reply(o), 2, "RPUSH s a b");
    is_array_of(next_reply(o), "b", "d holds b: s kept serving while it had elements");
    is_str(next_reply(b[0]), "b", 1, "BLMOVE s d took b");
    is_array_of(next_reply(b[1]), "s a", "BLPOP s d was served from s, before d");

    is_integer(cmd(c, "DEL d"), 1, "DEL d");
    send_line(b[0], "BLMOVE s d RIGHT LEFT 0");
    ok(wait_blocked(c, 1), "BLMOVE s d parks again");
    send_line(b[1], "BLPOP s d 0");
    ok(wait_blocked(c, 2), "BLPOP s d parks behind it");
    send_line(o, "RPUSH s e");
    send_line(o, "EXISTS s d");
    is_integer(next_reply(o), 1, "RPUSH s e");
    is_integer(next_reply(o), 0, "EXISTS s d: 0");
    is_str(next_reply(b[0]), "e", 1, "BLMOVE s d took e");
    is_array_of(next_reply(b[1]), "d e", "BLPOP s d got it from d, made ready by the BLMOVE");
    ok(wait_blocked(c, 0), "nobody parked");
    redisFree(b[0]);
    redisFree(b[1]);
    redisFree(o);
}

/* ---- MULTI / EXEC ---- */

static void test_multi(redisContext *c)
{
    redisContext *b;
    redisReply *r;

    tc_section(c, "MULTI and EXEC");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "BLPOP nokey 0"), "QUEUED", "BLPOP queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
           r->element[0]->type == REDIS_REPLY_NIL,
       "a blocking pop inside EXEC answers at once as on a timeout");
    freeReplyObject(r);

    b = park(c, "BLPOP mq 0", 1);
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "RPUSH mq a"), "QUEUED", "RPUSH queued");
    is_status(cmd(c, "RPUSH mq b"), "QUEUED", "RPUSH queued");
    is_status(cmd(c, "LPOP mq"), "QUEUED", "LPOP queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
           r->element[2]->type == REDIS_REPLY_STRING && !strcmp(r->element[2]->str, "a"),
       "the LPOP inside EXEC took a: nobody is served in the middle of EXEC");
    freeReplyObject(r);
    is_array_of(next_reply(b), "mq b", "the parked client is served after EXEC, with b");

    send_line(b, "BLPOP mq 0");
    wait_blocked(c, 1);
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "RPUSH mq a"), "QUEUED", "RPUSH queued");
    is_status(cmd(c, "DEL mq"), "QUEUED", "DEL queued");
    r = cmd(c, "EXEC");
    freeReplyObject(r);
    still_parked(b, "an EXEC that pushed and removed leaves the client parked");
    is_integer(cmd(c, "RPUSH mq c"), 1, "RPUSH mq c");
    is_array_of(next_reply(b), "mq c", "served by the next push");
    redisFree(b);
}

/* ---- CLIENT UNBLOCK and disconnects ---- */

static void test_unblock(redisContext *c)
{
    redisContext *b, *b2;
    long long id;

    tc_section(c, "CLIENT UNBLOCK");
    b = ts_connect(&srv);
    id = client_id(b);
    send_line(b, "BLPOP u 0");
    send_line(b, "PING");
    ok(wait_blocked(c, 1), "BLPOP parks, a PING pipelined behind it");
    still_parked(b, "the pipelined PING waits behind the parked BLPOP");
    is_integer(cmd(c, "CLIENT UNBLOCK %lld", id), 1, "CLIENT UNBLOCK id: 1");
    is_nil(next_reply(b), "the unblocked client gets a null, as on a timeout");
    is_status(next_reply(b), "PONG", "then the pipelined PING runs");
    is_integer(cmd(c, "CLIENT UNBLOCK %lld", id), 0, "CLIENT UNBLOCK again: 0");

    send_line(b, "BLMOVE u v LEFT LEFT 0");
    ok(wait_blocked(c, 1), "BLMOVE parks");
    is_integer(cmd(c, "CLIENT UNBLOCK %lld ERROR", id), 1, "CLIENT UNBLOCK id ERROR: 1");
    is_error(next_reply(b), UNBLOCKED, "the unblocked client gets the UNBLOCKED error");
    ok(wait_blocked(c, 0), "nobody parked");

    send_line(b, "BZPOPMIN u 0");
    ok(wait_blocked(c, 1), "BZPOPMIN parks");
    is_integer(cmd(c, "CLIENT UNBLOCK %lld timeout", id), 1,
               "CLIENT UNBLOCK id timeout (any case)");
    is_nil(next_reply(b), "null");
    is_integer(cmd(c, "RPUSH u x"), 1, "RPUSH u x after the unblock");
    is_integer(cmd(c, "LLEN u"), 1, "nobody took it");
    is_integer(cmd(c, "DEL u"), 1, "DEL u");

    tc_section(c, "a parked client that disconnects");
    b2 = park(c, "BLPOP gone 0", 1);
    send_line(b, "BLPOP gone 0");
    ok(wait_blocked(c, 2), "a second client parks behind it");
    redisFree(b2);
    ok(wait_blocked(c, 1), "the first one's disconnect leaves one parked");
    is_integer(cmd(c, "RPUSH gone x"), 1, "RPUSH gone x");
    is_array_of(next_reply(b), "gone x", "the second is served");
    is_integer(cmd(c, "EXISTS gone"), 0, "nothing left");
    redisFree(b);

    tc_section(c, "CLIENT KILL of a parked client");
    b = ts_connect(&srv);
    id = client_id(b);
    send_line(b, "BLPOP killed 0");
    ok(wait_blocked(c, 1), "BLPOP parks");
    is_integer(cmd(c, "CLIENT KILL ID %lld", id), 1, "CLIENT KILL ID of the parked client");
    ok(wait_blocked(c, 0), "it is no longer parked");
    is_integer(cmd(c, "RPUSH killed x"), 1, "RPUSH killed x");
    is_integer(cmd(c, "LLEN killed"), 1, "nobody took it");
    redisFree(b);
}

/* ---- keys made ready by other writes ---- */

static void test_ready_by(redisContext *c)
{
    redisContext *b;
    redisReply *r;

    tc_section(c, "keys made ready by any write");
    b = park(c, "BLPOP rk 0", 1);
    is_integer(cmd(c, "RPUSH tmp v1"), 1, "RPUSH tmp v1");
    is_status(cmd(c, "RENAME tmp rk"), "OK", "RENAME tmp rk");
    is_array_of(next_reply(b), "rk v1", "RENAME onto the key serves it");

    send_line(b, "BRPOP rk 0");
    wait_blocked(c, 1);
    is_integer(cmd(c, "RPUSH src v2"), 1, "RPUSH src v2");
    is_str(cmd(c, "LMOVE src rk LEFT LEFT"), "v2", 2, "LMOVE src rk");
    is_array_of(next_reply(b), "rk v2", "LMOVE onto the key serves it");

    send_line(b, "BLPOP rk 0");
    wait_blocked(c, 1);
    is_integer(cmd(c, "RPUSH src v3"), 1, "RPUSH src v3");
    is_integer(cmd(c, "COPY src rk"), 1, "COPY src rk");
    is_array_of(next_reply(b), "rk v3", "COPY onto the key serves it");

    send_line(b, "BLPOP rk 0");
    wait_blocked(c, 1);
    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    is_integer(cmd(c, "RPUSH rk v4"), 1, "RPUSH rk v4 in db 1");
    still_parked(b, "a push to the same name in another db serves nobody");
    is_integer(cmd(c, "MOVE rk 0"), 1, "MOVE rk 0");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_array_of(next_reply(b), "rk v4", "MOVE into the db serves it");

    send_line(b, "BLPOP sk 0");
    wait_blocked(c, 1);
    is_integer(cmd(c, "RPUSH unsorted 3 1 2"), 3, "RPUSH unsorted 3 1 2");
    is_integer(cmd(c, "SORT unsorted STORE sk"), 3, "SORT unsorted STORE sk");
    is_array_of(next_reply(b), "sk 1", "SORT ... STORE serves it the head of the sorted list");

    send_line(b, "BZPOPMAX zk 0");
    wait_blocked(c, 1);
    is_integer(cmd(c, "ZADD z1 1 a 5 b"), 2, "ZADD z1");
    is_integer(cmd(c, "ZUNIONSTORE zk 1 z1"), 2, "ZUNIONSTORE zk 1 z1");
    is_array_of(next_reply(b), "zk b 5", "ZUNIONSTORE serves a BZPOPMAX");

    send_line(b, "BZMPOP 0 1 zk2 MIN COUNT 10");
    wait_blocked(c, 1);
    is_integer(cmd(c, "ZADD zk2 2 x 1 y"), 2, "ZADD zk2 2 x 1 y");
    r = next_reply(b);
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->elements == 2 &&
           !strcmp(r->element[1]->element[0]->element[0]->str, "y") &&
           !strcmp(r->element[1]->element[1]->element[0]->str, "x"),
       "a parked BZMPOP COUNT 10 gets both members, lowest first");
    freeReplyObject(r);

    send_line(b, "BLMPOP 0 2 a1 a2 RIGHT COUNT 2");
    wait_blocked(c, 1);
    is_integer(cmd(c, "RPUSH a2 p q r"), 3, "RPUSH a2 p q r");
    r = next_reply(b);
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && !strcmp(r->element[0]->str, "a2") &&
           r->element[1]->elements == 2 && !strcmp(r->element[1]->element[0]->str, "r") &&
           !strcmp(r->element[1]->element[1]->str, "q"),
       "a parked BLMPOP RIGHT COUNT 2 gets r and q");
    freeReplyObject(r);
    redisFree(b);
}

/* ---- types at serving time, chains ---- */

static void test_served_types(redisContext *c)
{
    redisContext *b[2];

    tc_section(c, "a waited key of another type");
    b[0] = park(c, "BLPOP t 0", 1);
    is_status(cmd(c, "SET t str"), "OK", "SET t str");
    still_parked(b[0], "a key turned string keeps BLPOP parked");
    is_integer(cmd(c, "DEL t"), 1, "DEL t");
    is_integer(cmd(c, "RPUSH t v"), 1, "RPUSH t v");
    is_array_of(next_reply(b[0]), "t v", "then a push serves it");

    send_line(b[0], "BLPOP t 0");
    wait_blocked(c, 1);
    b[1] = park(c, "BZPOPMIN t 0", 2);
    is_integer(cmd(c, "ZADD t 3 m"), 1, "ZADD t 3 m");
    is_array_of(next_reply(b[1]), "t m 3", "a BZPOPMIN behind a BLPOP is served by a sorted set");
    still_parked(b[0], "the BLPOP before it stays parked");
    is_integer(cmd(c, "LPUSH t w"), 1, "LPUSH t w");
    is_array_of(next_reply(b[0]), "t w", "and a list serves the BLPOP");

    tc_section(c, "BLMOVE whose destination is of another type when served");
    is_status(cmd(c, "SET dst str"), "OK", "SET dst str");
    send_line(b[0], "BLMOVE bm dst LEFT LEFT 0");
    wait_blocked(c, 1);
    send_line(b[1], "BLPOP bm 0");
    wait_blocked(c, 2);
    is_integer(cmd(c, "RPUSH bm x"), 1, "RPUSH bm x");
    is_error(next_reply(b[0]), WRONGTYPE, "the BLMOVE gets WRONGTYPE");
    is_array_of(next_reply(b[1]), "bm x", "the element goes to the next waiter");

    tc_section(c, "BLMOVE feeding a client parked on its destination");
    send_line(b[0], "BLMOVE c1 c2 LEFT RIGHT 0");
    wait_blocked(c, 1);
    send_line(b[1], "BRPOPLPUSH c2 c3 0");
    wait_blocked(c, 2);
    is_integer(cmd(c, "RPUSH c1 e"), 1, "RPUSH c1 e");
    is_str(next_reply(b[0]), "e", 1, "BLMOVE c1 c2 got e");
    is_str(next_reply(b[1]), "e", 1, "BRPOPLPUSH c2 c3 got it next");
    is_array_of(cmdline(c, "LRANGE c3 0 -1"), "e", "e ended in c3");
    is_integer(cmd(c, "EXISTS c1 c2"), 0, "c1 and c2 are empty");
    redisFree(b[0]);
    redisFree(b[1]);
}

/* Redis 7.0 goes over a ready key's FIFO in order: a waiter of the other kind (a BLPOP on
 * a sorted set, a BZPOPMIN on a list) is passed over and keeps its place (7.0's
 * handleClientsBlockedOnKeys walks the list; earlier versions moved it to the tail), and
 * the turn ends once a pop has emptied the key. */
static void test_other_kind(redisContext *c)
{
    redisContext *b[4];

    tc_section(c, "a waiter of the other kind keeps its place");
    b[0] = park(c, "BLPOP rt 0", 1);
    b[1] = park(c, "BZPOPMIN rt 0", 2);
    b[2] = park(c, "BLPOP rt 0", 3);
    is_integer(cmd(c, "ZADD rt 1 m"), 1, "ZADD rt 1 m");
    is_array_of(next_reply(b[1]), "rt m 1", "the BZPOPMIN between two BLPOPs is served");
    is_integer(cmd(c, "RPUSH rt x"), 1, "RPUSH rt x");
    is_array_of(next_reply(b[0]), "rt x", "the first BLPOP gets x: it kept its place");
    still_parked(b[2], "the second BLPOP waits behind it");
    is_integer(cmd(c, "RPUSH rt y"), 1, "RPUSH rt y");
    is_array_of(next_reply(b[2]), "rt y", "then the second BLPOP gets y");

    send_line(b[0], "BZPOPMIN rz 0");
    ok(wait_blocked(c, 1), "BZPOPMIN rz parks");
    send_line(b[1], "BLPOP rz 0");
    ok(wait_blocked(c, 2), "BLPOP rz parks");
    send_line(b[2], "BZPOPMAX rz 0");
    ok(wait_blocked(c, 3), "BZPOPMAX rz parks");
    is_integer(cmd(c, "RPUSH rz x"), 1, "RPUSH rz x");
    is_array_of(next_reply(b[1]), "rz x", "the BLPOP gets x, the BZPOPMIN before it passed over");
    is_integer(cmd(c, "ZADD rz 1 a"), 1, "ZADD rz 1 a");
    is_array_of(next_reply(b[0]), "rz a 1", "the BZPOPMIN, blocked first, is served first");
    still_parked(b[2], "the BZPOPMAX waits behind it");
    is_integer(cmd(c, "ZADD rz 2 b"), 1, "ZADD rz 2 b");
    is_array_of(next_reply(b[2]), "rz b 2", "then the BZPOPMAX gets b");

    tc_section(c, "the turn of a key ends when a pop empties it");
    send_line(b[0], "BZPOPMIN re 0");
    ok(wait_blocked(c, 1), "BZPOPMIN re parks");
    send_line(b[1], "BLPOP re 0");
    ok(wait_blocked(c, 2), "BLPOP re parks");
    send_line(b[2], "BZPOPMAX re 0");
    ok(wait_blocked(c, 3), "BZPOPMAX re parks");
    b[3] = park(c, "BLPOP re 0", 4);
    is_integer(cmd(c, "ZADD re 1 a"), 1, "ZADD re 1 a");
    is_array_of(next_reply(b[0]), "re a 1", "the first BZPOPMIN takes a; the sorted set is gone");
    is_integer(cmd(c, "RPUSH re x"), 1, "RPUSH re x");
    is_array_of(next_reply(b[1]), "re x", "the first BLPOP gets x: nobody moved to the tail once "
                "the sorted set was empty");
    is_integer(cmd(c, "ZADD re 2 b"), 1, "ZADD re 2 b");
    is_array_of(next_reply(b[2]), "re b 2", "the BZPOPMAX gets b");
    is_integer(cmd(c, "RPUSH re y"), 1, "RPUSH re y");
    is_array_of(next_reply(b[3]), "re y", "the last BLPOP gets y");
    ok(wait_blocked(c, 0), "nobody parked");
    for (int i = 0; i < 4; i++)
        redisFree(b[i]);
}

#define CASCADE_N 50000    /* elements a slow served BLMPOP takes */
/* Empty keys between cs and cd in the last waiter's BLPOP. Under ThreadSanitizer 30: its
 * deadlock detector aborts a thread holding more than 64 mutexes at once, and a pop on
 * 20,000 keys holds the stripe lock of each (the window is then narrower, not gone). */
#ifdef __SANITIZE_THREAD__
#define CASCADE_KEYS 30
#else
#define CASCADE_KEYS 20000
#endif

/* Send the command of 'argc' arguments 'argv' on 'c' without reading its reply. */
static void send_argv(redisContext *c, int argc, const char **argv)
{
    size_t *lens = omk_malloc((size_t)argc * sizeof(*lens));
    int done = 0;

    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    redisAppendCommandArgv(c, argc, argv, lens);
    while (!done && redisBufferWrite(c, &done) == REDIS_OK)
        ;
    omk_free(lens);
}

/* The serving a command starts is atomic, as in Redis: its pops, and the keys they make
 * ready, are served as a whole, and nothing is served meanwhile from a key of the chain.
 * Here the last waiter parks on cs, 20,000 empty keys, then cd: its parking makes each of
 * them ready (a push just before it must not be missed), and its worker serves them one
 * by one. A served BLMOVE from cs fills cd, then a served BLMPOP takes a while: the last
 * waiter must be served from cs, which still has 'a' when its turn comes, not from cd by
 * its own worker reaching cd meanwhile (so it counts in blocked_clients only once its
 * parking's keys are served). Then another connection replaces cd's element (DEL, RPUSH),
 * which Redis runs only after the whole chain. */
static void test_cascade(redisContext *c)
{
    redisContext *b[3], *o1 = ts_connect(&srv), *o2 = ts_connect(&srv);
    const char **argv = omk_malloc((CASCADE_N + 4) * sizeof(*argv));
    char *buf = omk_malloc((size_t)(CASCADE_N + 1) * 16), *p = buf;
    redisReply *r;
    int exists = 0;

    tc_section(c, "the serving one command starts is not interleaved with another's");
    b[0] = park(c, "BLMOVE cs cd RIGHT LEFT 0", 1);
    b[1] = park(c, "BLMPOP 0 1 cs RIGHT COUNT 50000", 2);
    argv[0] = "BLPOP";
    argv[1] = "cs";
    for (int i = 1; i <= CASCADE_KEYS; i++) {
        argv[i + 1] = p;
        p += sprintf(p, "cx%d", i) + 1;
    }
    argv[CASCADE_KEYS + 2] = "cd";
    argv[CASCADE_KEYS + 3] = "0";
    b[2] = ts_connect(&srv);
    send_argv(b[2], CASCADE_KEYS + 4, argv);
    ok(wait_blocked(c, 3), "BLPOP cs cx1 .. cx%d cd 0 parks (blocked_clients 3)", CASCADE_KEYS);

    p = buf;
    argv[0] = "RPUSH";
    argv[1] = "cs";
    argv[2] = "a";
    for (int i = 1; i <= CASCADE_N + 1; i++) {
        argv[i + 2] = p;
        p += sprintf(p, "e%d", i) + 1;
    }
    send_argv(o1, CASCADE_N + 4, argv);
    /* Once the BLMOVE has filled cd, the served BLMPOP runs (omenkv) or has run (Redis).
     * The poll is bounded by time, not by count: under TSan the 50,002-argument RPUSH alone
     * takes longer than 10,000 round trips of EXISTS. */
    for (time_t until = time(NULL) + 120; !exists && time(NULL) < until;) {
        r = cmd(o2, "EXISTS cd");
        exists = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
        freeReplyObject(r);
    }
    ok(exists, "cd exists once the BLMOVE is served");
    send_line(o2, "DEL cd");
    send_line(o2, "RPUSH cd z");
    is_integer(next_reply(o2), 1, "DEL cd (from another connection)");
    is_integer(next_reply(o2), 1, "RPUSH cd z");
    is_integer(next_reply(o1), CASCADE_N + 2, "RPUSH cs a e1 .. e50001");
    is_str(next_reply(b[0]), "e50001", 6, "BLMOVE cs cd took e50001");
    r = next_reply(b[1]);
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements == CASCADE_N &&
           !strcmp(r->element[1]->element[0]->str, "e50000"),
       "BLMPOP took e50000 .. e1");
    freeReplyObject(r);
    is_array_of(next_reply(b[2]), "cs a", "BLPOP cs .. cd is served from cs in the same chain");
    is_array_of(cmdline(c, "LRANGE cd 0 -1"), "z", "cd holds z");
    is_integer(cmd(c, "EXISTS cs"), 0, "cs is empty");
    is_integer(cmd(c, "DEL cd"), 1, "DEL cd");
    ok(wait_blocked(c, 0), "nobody parked");
    for (int i = 0; i < 3; i++)
        redisFree(b[i]);
    redisFree(o1);
    redisFree(o2);
    omk_free(buf);
    omk_free(argv);
}

/* ---- what a parked client's connection does ---- */

static void test_connection(redisContext *c)
{
    redisContext *b;
    redisReply *r;

    tc_section(c, "pipelined requests behind a parked one");
    b = ts_connect(&srv);
    send_line(b, "BLPOP p 0");
    send_line(b, "ECHO after");
    send_line(b, "RPUSH p self");
    ok(wait_blocked(c, 1), "BLPOP parks with two requests behind it");
    still_parked(b, "neither runs: its own RPUSH waits too");
    is_integer(cmd(c, "RPUSH p v"), 1, "RPUSH p v from another client");
    is_array_of(next_reply(b), "p v", "BLPOP served");
    is_str(next_reply(b), "after", 5, "then ECHO");
    is_integer(next_reply(b), 1, "then its RPUSH");
    is_integer(cmd(c, "DEL p"), 1, "DEL p");

    tc_section(c, "a parked client is never idle-closed");
    is_status(cmd(c, "CONFIG SET timeout 1"), "OK", "CONFIG SET timeout 1");
    send_line(b, "BLPOP idle 0");
    ok(wait_blocked(c, 1), "parked");
    for (int i = 0; i < 25; i++) { /* this connection stays busy, so it is never idle */
        ts_sleep_ms(100);
        freeReplyObject(cmd(c, "PING"));
    }
    ok(wait_blocked(c, 1), "still parked after 2.5 s with timeout 1");
    is_integer(cmd(c, "RPUSH idle v"), 1, "RPUSH idle v");
    is_array_of(next_reply(b), "idle v", "served");
    is_status(cmd(c, "CONFIG SET timeout 0"), "OK", "CONFIG SET timeout 0");
    redisFree(b);

    tc_section(c, "what a parked client pipelines is bounded");
    r = cmd(c, "CONFIG GET client-query-buffer-limit");
    is_status(cmd(c, "CONFIG SET client-query-buffer-limit 1mb"), "OK",
              "a 1 MB query buffer limit");
    b = park(c, "BLPOP qb 0", 1);
    {
        size_t n = 3u << 20;
        char *junk = omk_malloc(n);

        memset(junk, 'x', n); /* one inline request that never ends */
        (void)!send(b->fd, junk, n, MSG_NOSIGNAL);
        omk_free(junk);
    }
    ok(wait_blocked(c, 0), "past the limit the parked client is closed");
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
        freeReplyObject(cmd(c, "CONFIG SET client-query-buffer-limit %s", r->element[1]->str));
    freeReplyObject(r);
    redisFree(b);
}

/* ---- INFO, COMMAND ---- */

static void test_introspection(redisContext *c)
{
    redisContext *b[2];
    redisReply *r;

    tc_section(c, "INFO blocked_clients, COMMAND INFO, COMMAND GETKEYS");
    is_int(ts_info_field(c, "clients", "blocked_clients"), 0, "blocked_clients 0");
    b[0] = park(c, "BLPOP i1 0", 1);
    b[1] = park(c, "BZMPOP 0 2 i1 i2 MAX", 2);
    is_integer(cmd(c, "RPUSH i1 x"), 1, "RPUSH i1 x");
    is_array_of(next_reply(b[0]), "i1 x", "the first is served");
    ok(wait_blocked(c, 1), "blocked_clients back to 1");
    redisFree(b[1]);
    ok(wait_blocked(c, 0), "and to 0 after a disconnect");
    redisFree(b[0]);

    r = cmd(c, "COMMAND INFO blpop blmpop bzpopmin");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->elements >= 3 &&
           r->element[0]->element[2]->elements == 3 &&
           !strcmp(r->element[0]->element[2]->element[0]->str, "write") &&
           !strcmp(r->element[0]->element[2]->element[1]->str, "noscript") &&
           !strcmp(r->element[0]->element[2]->element[2]->str, "blocking") &&
           r->element[1]->element[2]->elements == 3 &&
           !strcmp(r->element[1]->element[2]->element[1]->str, "blocking") &&
           !strcmp(r->element[1]->element[2]->element[2]->str, "movablekeys") &&
           r->element[2]->element[2]->elements == 4 &&
           !strcmp(r->element[2]->element[2]->element[3]->str, "fast"),
       "COMMAND INFO: write noscript blocking; write blocking movablekeys; + fast");
    freeReplyObject(r);
    is_array_of(cmdline(c, "COMMAND GETKEYS BLMPOP 0 2 ka kb LEFT"), "ka kb",
                "COMMAND GETKEYS BLMPOP finds numkeys after the timeout");
    is_array_of(cmdline(c, "COMMAND GETKEYS BLPOP ka kb 0"), "ka kb", "COMMAND GETKEYS BLPOP");
}

/* ---- the race ---- */

#define RACE_KEYS 4
#define RACE_PUSHERS 4
#define RACE_PER_PUSHER 1500
#define RACE_POPPERS 6
#define RACE_TOTAL (RACE_PUSHERS * RACE_PER_PUSHER)
#define RACE_DEADLINE_MS 120000

static const char *const race_keys[RACE_KEYS] = {"rq0", "rq1", "rq2", "rq3"};

struct race {
    pthread_mutex_t mu;
    unsigned char seen[RACE_TOTAL]; /* times each element was received (mu) */
    _Atomic long received;          /* distinct elements received */
    _Atomic long dups, bad;         /* elements received twice; replies that made no sense */
    _Atomic long long ids[RACE_POPPERS];
    _Atomic int stop;               /* the deadline passed */
    _Atomic int poppers_done;       /* poppers that left their loop */
    _Atomic long served[4];         /* replies by kind: pop, move, null, UNBLOCKED */
    _Atomic long hangup_got;        /* hang-ups that still got an element */
};

static struct race race;

/* Count element 'p'/'len' ("e<n>") as received. */
static void race_got(const char *p, size_t len)
{
    long long n;

    if (len == 4 && !memcmp(p, "wake", 4)) /* pushed at the end to end BLPOP ... 0 */
        return;
    if (len < 2 || p[0] != 'e' || !omk_str2ll(p + 1, len - 1, &n) || n < 0 || n >= RACE_TOTAL) {
        atomic_fetch_add(&race.bad, 1);
        return;
    }
    pthread_mutex_lock(&race.mu);
    if (race.seen[n]++ == 0)
        atomic_fetch_add(&race.received, 1);
    else
        atomic_fetch_add(&race.dups, 1);
    pthread_mutex_unlock(&race.mu);
}

static int race_done(void)
{
    return atomic_load(&race.received) >= RACE_TOTAL || atomic_load(&race.stop);
}

/* Take in reply 'r' of a blocking pop: elements received, a null, an UNBLOCKED error. */
static void race_reply(const redisReply *r, int is_move)
{
    if (!r) {
        atomic_fetch_add(&race.bad, 1);
    } else if (r->type == REDIS_REPLY_NIL) {
        atomic_fetch_add(&race.served[2], 1);
    } else if (r->type == REDIS_REPLY_ERROR && !strcmp(r->str, UNBLOCKED)) {
        atomic_fetch_add(&race.served[3], 1);
    } else if (is_move && r->type == REDIS_REPLY_STRING) {
        atomic_fetch_add(&race.served[1], 1); /* moved to another queue: received later */
    } else if (!is_move && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
               r->element[1]->type == REDIS_REPLY_STRING) {
        race_got(r->element[1]->str, r->element[1]->len);
        atomic_fetch_add(&race.served[0], 1);
    } else if (!is_move && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
               r->element[1]->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < r->element[1]->elements; i++)
            race_got(r->element[1]->element[i]->str, r->element[1]->element[i]->len);
        atomic_fetch_add(&race.served[0], 1);
    } else {
        atomic_fetch_add(&race.bad, 1);
        ts_diag_reply(r);
    }
}

/* Push this pusher's elements in small batches to random queues, now and then inside
 * MULTI/EXEC or through a staging list and LMOVE. */
static void *race_pusher(void *arg)
{
    int p = (int)(intptr_t)arg;
    redisContext *c = ts_connect(&srv);
    unsigned seed = (unsigned)p * 7919u + 1;

    for (int j = 0; j < RACE_PER_PUSHER;) {
        int batch = 1 + (int)(rand_r(&seed) % 3), how = (int)(rand_r(&seed) % 8);
        const char *key = race_keys[rand_r(&seed) % RACE_KEYS];
        char e[3][32];

        if (batch > RACE_PER_PUSHER - j)
            batch = RACE_PER_PUSHER - j;
        for (int i = 0; i < batch; i++)
            snprintf(e[i], sizeof(e[i]), "e%d", p * RACE_PER_PUSHER + j + i);
        if (how == 0) {
            char stage[16];

            snprintf(stage, sizeof(stage), "stage%d", p);
            freeReplyObject(cmd(c, "RPUSH %s %s", stage, e[0]));
            freeReplyObject(cmd(c, "LMOVE %s %s LEFT RIGHT", stage, key));
            batch = 1;
        } else if (how == 1) {
            freeReplyObject(cmd(c, "MULTI"));
            for (int i = 0; i < batch; i++)
                freeReplyObject(cmd(c, "LPUSH %s %s", key, e[i]));
            freeReplyObject(cmd(c, "EXEC"));
        } else if (batch == 1) {
            freeReplyObject(cmd(c, "%s %s %s", how & 1 ? "LPUSH" : "RPUSH", key, e[0]));
        } else if (batch == 2) {
            freeReplyObject(cmd(c, "RPUSH %s %s %s", key, e[0], e[1]));
        } else {
            freeReplyObject(cmd(c, "LPUSH %s %s %s %s", key, e[0], e[1], e[2]));
        }
        j += batch;
    }
    redisFree(c);
    return NULL;
}

/* Pop with a random blocking command and a short timeout until every element came. */
static void *race_popper(void *arg)
{
    int i = (int)(intptr_t)arg;
    redisContext *c = ts_connect(&srv);
    unsigned seed = (unsigned)i * 104729u + 3;

    atomic_store(&race.ids[i], client_id(c));
    while (!race_done()) {
        int how = (int)(rand_r(&seed) % 5), a = (int)(rand_r(&seed) % RACE_KEYS);
        redisReply *r;

        if (how == 0)
            r = cmd(c, "BLPOP rq0 rq1 rq2 rq3 0.1");
        else if (how == 1)
            r = cmd(c, "BRPOP rq3 rq2 rq1 rq0 0.1");
        else if (how == 2)
            r = cmd(c, "BLMPOP 0.1 4 rq1 rq3 rq0 rq2 LEFT COUNT 3");
        else if (how == 3)
            r = cmd(c, "BLMOVE %s %s RIGHT LEFT 0.1", race_keys[a], race_keys[(a + 1) % RACE_KEYS]);
        else
            r = cmd(c, "BLPOP %s 0", race_keys[a]); /* only CLIENT UNBLOCK or a push ends it */
        race_reply(r, how == 3);
        if (!r) {
            redisFree(c);
            c = ts_connect(&srv);
            atomic_store(&race.ids[i], client_id(c));
        }
        freeReplyObject(r);
    }
    redisFree(c);
    atomic_fetch_add(&race.poppers_done, 1);
    return NULL;
}

/* Park with no timeout, then hang up (half-close) a moment later: an element served just
 * before the hang-up still arrives (omenkv writes the replies of its pass before it
 * closes a half-closed client); one after it stays in its list. Not run against Redis,
 * which drops a reply queued for a client whose end of stream it reads in the same turn
 * of its event loop: a hang-up may cost it an element. */
static void *race_quitter(void *arg)
{
    unsigned seed = 99;

    OMK_UNUSED(arg);
    while (!race_done()) {
        redisContext *c = ts_connect(&srv);
        redisReply *r = NULL;
        struct timespec ts = {0, (long)(rand_r(&seed) % 3000) * 1000};

        send_line(c, "BLPOP rq0 rq1 rq2 rq3 0");
        nanosleep(&ts, NULL);
        shutdown(c->fd, SHUT_WR);
        if (redisGetReply(c, (void **)&r) == REDIS_OK && r) {
            race_reply(r, 0);
            atomic_fetch_add(&race.hangup_got, 1);
        }
        freeReplyObject(r);
        redisFree(c);
    }
    return NULL;
}

/* CLIENT UNBLOCK random poppers, in both forms. */
static void *race_unblocker(void *arg)
{
    redisContext *c = ts_connect(&srv);
    unsigned seed = 7;

    OMK_UNUSED(arg);
    while (!race_done()) {
        long long id = atomic_load(&race.ids[rand_r(&seed) % RACE_POPPERS]);
        struct timespec ts = {0, 500 * 1000};

        if (id > 0)
            freeReplyObject(
                cmd(c, "CLIENT UNBLOCK %lld %s", id, rand_r(&seed) % 2 ? "ERROR" : "TIMEOUT"));
        nanosleep(&ts, NULL);
    }
    redisFree(c);
    return NULL;
}

static void test_race(redisContext *c)
{
    pthread_t push[RACE_PUSHERS], pop[RACE_POPPERS], quit, unblock;
    int64_t t0 = now_ms();
    long long left = 0;

    tc_section(c, "race: pushers, parked poppers, CLIENT UNBLOCK, hang-ups");
    pthread_mutex_init(&race.mu, NULL);
    for (int i = 0; i < RACE_POPPERS; i++)
        pthread_create(&pop[i], NULL, race_popper, (void *)(intptr_t)i);
    if (!srv.external)
        pthread_create(&quit, NULL, race_quitter, NULL);
    pthread_create(&unblock, NULL, race_unblocker, NULL);
    for (int i = 0; i < RACE_PUSHERS; i++)
        pthread_create(&push[i], NULL, race_pusher, (void *)(intptr_t)i);
    for (int i = 0; i < RACE_PUSHERS; i++)
        pthread_join(push[i], NULL);
    while (!race_done() && now_ms() - t0 < RACE_DEADLINE_MS)
        ts_sleep_ms(20);
    atomic_store(&race.stop, 1);
    /* Wake the poppers parked with no timeout. */
    while (atomic_load(&race.poppers_done) < RACE_POPPERS) {
        for (int k = 0; k < RACE_KEYS; k++)
            freeReplyObject(cmd(c, "RPUSH %s wake", race_keys[k]));
        ts_sleep_ms(20);
    }
    for (int i = 0; i < RACE_POPPERS; i++)
        pthread_join(pop[i], NULL);
    if (!srv.external)
        pthread_join(quit, NULL);
    pthread_join(unblock, NULL);
    for (int k = 0; k < RACE_KEYS; k++) {
        freeReplyObject(cmd(c, "LREM %s 0 wake", race_keys[k]));
        {
            redisReply *r = cmd(c, "LLEN %s", race_keys[k]);

            left += r && r->type == REDIS_REPLY_INTEGER ? r->integer : 1000000;
            freeReplyObject(r);
        }
    }
    diag("  %lld ms; replies: %ld with elements (%ld to hang-ups), %ld moves, %ld nulls, "
         "%ld UNBLOCKED",
         (long long)(now_ms() - t0), atomic_load(&race.served[0]), atomic_load(&race.hangup_got),
         atomic_load(&race.served[1]), atomic_load(&race.served[2]), atomic_load(&race.served[3]));
    is_int(atomic_load(&race.received), RACE_TOTAL, "every pushed element was received");
    is_int(atomic_load(&race.dups), 0, "no element was received twice");
    is_int(atomic_load(&race.bad), 0, "every reply was a pop, a null or UNBLOCKED");
    is_int(left, 0, "no element is left in the queues");
    ok(wait_blocked(c, 0), "nobody is left parked");
    pthread_mutex_destroy(&race.mu);
}

int main(void)
{
    const char *args[] = {"--io-threads", "4", NULL};
    redisContext *c = ts_begin(&srv, args, 1);

    test_args(c);
    test_immediate(c);
    test_bytes(c);
    test_resp3_served(c);
    test_timeouts(c);
    test_fifo(c);
    test_order(c);
    test_multi(c);
    test_unblock(c);
    test_ready_by(c);
    test_served_types(c);
    test_other_kind(c);
    test_cascade(c);
    test_connection(c);
    test_introspection(c);
    test_race(c);
    redisFree(c);
    ts_cleanup(&srv);
    return tap_done();
}
