/* test_swapdb.c - SWAPDB against a real server: Redis 7.0's errors; every command that
 * names a database (SELECT, GET and friends, TTL, MOVE, COPY DB, KEYS, SCAN, RANDOMKEY,
 * DBSIZE, INFO keyspace, FLUSHDB, expiry) sees the swapped contents; a WATCH of a key in
 * either database fails its EXEC when the key exists in either, and only then; a client
 * blocked on a key is served when the swap brings it a value, and stays blocked when it
 * does not; SWAPDB inside MULTI. All of that runs against redis-server as well
 * (OMK_TEST_SERVER=host:port). omenkv only: the swap survives a restart (the database map
 * is persisted) and a kill -9 around a SWAPDB under writes loses no acknowledged write
 * and keeps the swap whole or not at all; DEBUG CHECK agrees after each. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/harness.h"

/* Send what 'c' has buffered (redisAppendCommand) without reading a reply. 0 or -1. */
static int send_now(redisContext *c)
{
    int done = 0;

    while (!done)
        if (redisBufferWrite(c, &done) != REDIS_OK)
            return -1;
    return 0;
}

/* Wait (polling, at most about 20 s) until INFO clients says 'n' clients are blocked. */
static int wait_blocked(redisContext *c, long long n)
{
    for (int i = 0; i < 2000; i++) {
        if (ts_info_field(c, "clients", "blocked_clients") == n)
            return 1;
        ts_sleep_ms(10);
    }
    return 0;
}

/* "keys=K,expires=E" of database 'db' from INFO keyspace, or -1/-1 when it is not listed. */
static void keyspace_of(redisContext *c, int db, long long *keys, long long *expires)
{
    redisReply *r = cmd(c, "INFO keyspace");
    char name[16];
    const char *p;

    *keys = *expires = -1;
    snprintf(name, sizeof(name), "\ndb%d:", db);
    if (r && r->type == REDIS_REPLY_STRING && (p = strstr(r->str, name)) != NULL)
        sscanf(p + strlen(name), "keys=%lld,expires=%lld", keys, expires);
    freeReplyObject(r);
}

static void test_errors(redisContext *c)
{
    is_error(cmd(c, "SWAPDB a 1"), "ERR invalid first DB index", "SWAPDB: first not a number");
    is_error(cmd(c, "SWAPDB 0 b"), "ERR invalid second DB index", "SWAPDB: second not a number");
    is_error(cmd(c, "SWAPDB x 99"), "ERR invalid first DB index", "the first is judged first");
    is_error(cmd(c, "SWAPDB 0 99999999999"), "ERR invalid second DB index",
             "SWAPDB: beyond an int");
    is_error(cmd(c, "SWAPDB 1.5 0"), "ERR invalid first DB index", "SWAPDB: not an integer");
    is_error(cmd(c, "SWAPDB 0 16"), "ERR DB index is out of range", "SWAPDB 0 16");
    is_error(cmd(c, "SWAPDB -1 0"), "ERR DB index is out of range", "SWAPDB -1 0");
    is_error(cmd(c, "SWAPDB 16 x"), "ERR invalid second DB index",
             "both are parsed before the range is checked");
    is_error(cmd(c, "SWAPDB"), "ERR wrong number of arguments for 'swapdb' command",
             "SWAPDB arity");
    is_status(cmd(c, "SWAPDB 3 3"), "OK", "SWAPDB of a db with itself");
}

/* Two databases with distinct contents, swapped: every view follows. */
static void test_views(redisContext *c)
{
    redisReply *r;
    long long k, e;

    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_status(cmd(c, "MSET only0 a both zero"), "OK", "db 0's keys");
    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    is_status(cmd(c, "MSET only1 b both one"), "OK", "db 1's keys");
    is_integer(cmd(c, "HSET h f v"), 1, "a hash in db 1");
    is_integer(cmd(c, "EXPIRE only1 1000"), 1, "an expiry in db 1");
    is_status(cmd(c, "SWAPDB 0 1"), "OK", "SWAPDB 0 1");

    /* c is still in db 1, which now holds db 0's old keys (Redis: clients stay put). */
    is_str(cmd(c, "GET only0"), "a", 1, "db 1 now holds db 0's keys");
    is_nil(cmd(c, "GET only1"), "... and not its own");
    is_str(cmd(c, "GET both"), "zero", 4, "a key of both: db 0's value");
    is_integer(cmd(c, "DBSIZE"), 2, "DBSIZE of db 1");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_str(cmd(c, "GET only1"), "b", 1, "db 0 holds db 1's old keys");
    is_str(cmd(c, "HGET h f"), "v", 1, "... the hash too");
    r = cmd(c, "TTL only1");
    ok(r && r->type == REDIS_REPLY_INTEGER && r->integer > 900 && r->integer <= 1000,
       "... with its expiry");
    freeReplyObject(r);
    is_integer(cmd(c, "DBSIZE"), 3, "DBSIZE of db 0");
    keyspace_of(c, 0, &k, &e);
    ok(k == 3 && e == 1, "INFO keyspace: db0 keys=3 expires=1 (%lld %lld)", k, e);
    keyspace_of(c, 1, &k, &e);
    ok(k == 2 && e == 0, "INFO keyspace: db1 keys=2 expires=0 (%lld %lld)", k, e);
    r = cmd(c, "KEYS *");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3, "KEYS * in db 0: 3 keys");
    freeReplyObject(r);
    r = cmd(c, "SCAN 0 MATCH only* COUNT 100");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           r->element[1]->elements == 1 && !strcmp(r->element[1]->element[0]->str, "only1"),
       "SCAN MATCH only* in db 0: only1");
    freeReplyObject(r);
    r = cmd(c, "RANDOMKEY");
    ok(r && r->type == REDIS_REPLY_STRING &&
           (!strcmp(r->str, "only1") || !strcmp(r->str, "both") || !strcmp(r->str, "h")),
       "RANDOMKEY in db 0: one of its keys");
    freeReplyObject(r);

    /* MOVE and COPY name databases by their numbers: the swapped view. */
    is_integer(cmd(c, "MOVE only1 2"), 1, "MOVE only1 2");
    is_integer(cmd(c, "COPY both bothcopy DB 1"), 1, "COPY both bothcopy DB 1");
    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    is_str(cmd(c, "GET bothcopy"), "one", 3, "COPY landed in (swapped) db 1");
    is_status(cmd(c, "SELECT 2"), "OK", "SELECT 2");
    is_str(cmd(c, "GET only1"), "b", 1, "MOVE landed in db 2");
    is_integer(cmd(c, "MOVE only1 0"), 1, "MOVE it back to db 0");

    /* Swap back: the original views again. */
    is_status(cmd(c, "SWAPDB 1 0"), "OK", "SWAPDB 1 0");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_str(cmd(c, "GET both"), "zero", 4, "db 0 is db 0 again");
    is_str(cmd(c, "GET bothcopy"), "one", 3, "with the copy made through the swap");
    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    is_str(cmd(c, "GET both"), "one", 3, "db 1 is db 1 again");

    /* FLUSHDB after a swap empties the database the number names now. */
    is_status(cmd(c, "SWAPDB 0 1"), "OK", "SWAPDB 0 1 again");
    is_status(cmd(c, "FLUSHDB"), "OK", "FLUSHDB of db 1 (db 0's old keys)");
    is_integer(cmd(c, "DBSIZE"), 0, "db 1 empty");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_str(cmd(c, "GET both"), "one", 3, "db 0 keeps db 1's old keys");

    /* The expiry goes with the key, and works in the database it is in now. */
    is_status(cmd(c, "SET soon v PXAT 32503680000000"), "OK", "a key with an expiry in db 0");
    is_status(cmd(c, "SWAPDB 0 5"), "OK", "SWAPDB 0 5");
    is_status(cmd(c, "SELECT 5"), "OK", "SELECT 5");
    is_integer(cmd(c, "PEXPIRETIME soon"), 32503680000000LL, "it is in db 5, with its expiry");
    is_integer(cmd(c, "PEXPIRE soon 20"), 1, "PEXPIRE soon 20 in db 5");
    ts_sleep_ms(100);
    is_nil(cmd(c, "GET soon"), "and it expires there");
    is_integer(cmd(c, "DBSIZE"), 3, "db 5 holds db 0's other keys");
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
}

/* WATCH: dirty when the key exists in either database, as Redis 7.0's
 * touchAllWatchedKeysInDb; untouched otherwise, and in other databases. */
static void test_watch(redisContext *c, redisContext *w)
{
    redisReply *r;

    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_status(cmd(w, "SELECT 0"), "OK", "watcher: SELECT 0");
    is_status(cmd(c, "SET in0 x"), "OK", "a key of db 0");
    is_status(cmd(w, "WATCH in0"), "OK", "WATCH in0 (exists in db 0)");
    is_status(cmd(c, "SWAPDB 0 1"), "OK", "SWAPDB 0 1");
    is_status(cmd(w, "MULTI"), "OK", "MULTI");
    is_status(cmd(w, "SET t 1"), "QUEUED", "queued");
    is_nil(cmd(w, "EXEC"), "EXEC fails: the watched key existed in a swapped db");

    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    is_status(cmd(w, "WATCH in0"), "OK", "WATCH in0 (now only in db 1)");
    is_status(cmd(c, "SWAPDB 1 0"), "OK", "SWAPDB 1 0");
    is_status(cmd(w, "MULTI"), "OK", "MULTI");
    is_status(cmd(w, "SET t 1"), "QUEUED", "queued");
    is_nil(cmd(w, "EXEC"), "EXEC fails: the key comes into the watched db");

    is_status(cmd(w, "WATCH nowhere"), "OK", "WATCH a key in neither db");
    is_status(cmd(c, "SWAPDB 0 1"), "OK", "SWAPDB 0 1");
    is_status(cmd(w, "MULTI"), "OK", "MULTI");
    is_status(cmd(w, "SET t 2"), "QUEUED", "queued");
    r = cmd(w, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1, "EXEC runs: nothing changed");
    freeReplyObject(r);

    is_status(cmd(w, "SELECT 2"), "OK", "watcher: SELECT 2");
    is_status(cmd(w, "SET in2 y"), "OK", "a key of db 2");
    is_status(cmd(w, "WATCH in2"), "OK", "WATCH in2 of db 2");
    is_status(cmd(c, "SWAPDB 0 1"), "OK", "SWAPDB 0 1");
    is_status(cmd(w, "MULTI"), "OK", "MULTI");
    is_status(cmd(w, "SET t 3"), "QUEUED", "queued");
    r = cmd(w, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1, "EXEC runs: db 2 was not swapped");
    freeReplyObject(r);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
}

/* Clients blocked on a key of a swapped database. */
static void test_blocked(const struct tserver *s, redisContext *c)
{
    redisContext *b1 = ts_connect(s), *b2 = ts_connect(s);
    redisReply *r = NULL;

    is_status(cmd(b1, "SELECT 0"), "OK", "blocker 1: SELECT 0");
    is_status(cmd(b2, "SELECT 0"), "OK", "blocker 2: SELECT 0");
    redisAppendCommand(b1, "BLPOP q 0");
    redisAppendCommand(b2, "BLPOP other 0");
    ok(send_now(b1) == 0 && send_now(b2) == 0, "two BLPOPs sent");
    ok(wait_blocked(c, 2), "both are blocked");
    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    is_integer(cmd(c, "RPUSH q v"), 1, "q gets a value in db 1");
    ok(wait_blocked(c, 2), "nobody is served: they wait in db 0");
    is_status(cmd(c, "SWAPDB 0 1"), "OK", "SWAPDB 0 1");
    ok(redisGetReply(b1, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_ARRAY &&
           r->elements == 2 && !strcmp(r->element[0]->str, "q") &&
           !strcmp(r->element[1]->str, "v"),
       "the client blocked on q in db 0 is served by the swap");
    freeReplyObject(r);
    ok(wait_blocked(c, 1), "the other stays blocked");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_integer(cmd(c, "EXISTS q"), 0, "q was popped in db 0");
    is_integer(cmd(c, "RPUSH other w"), 1, "other gets a value in db 0");
    r = NULL;
    ok(redisGetReply(b2, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_ARRAY &&
           r->elements == 2 && !strcmp(r->element[1]->str, "w"),
       "and is served once its key is pushed");
    freeReplyObject(r);
    redisFree(b1);
    redisFree(b2);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
}

static void test_multi(redisContext *c)
{
    redisReply *r;

    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_status(cmd(c, "SET m zero"), "OK", "m in db 0");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "SWAPDB 0 1"), "QUEUED", "SWAPDB queued");
    is_status(cmd(c, "GET m"), "QUEUED", "GET queued");
    is_status(cmd(c, "SWAPDB 0 1"), "QUEUED", "SWAPDB queued again");
    is_status(cmd(c, "GET m"), "QUEUED", "GET queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 4 &&
           r->element[1]->type == REDIS_REPLY_NIL &&
           r->element[3]->type == REDIS_REPLY_STRING && !strcmp(r->element[3]->str, "zero"),
       "inside EXEC, each command sees the swaps before it");
    freeReplyObject(r);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
}

/* A keyspace notification names the database by the number it has after the swap. */
static void test_notify(const struct tserver *s, redisContext *c)
{
    redisContext *sub = ts_connect(s);
    redisReply *r = NULL;

    redisSetTimeout(sub, (struct timeval){20, 0});
    is_status(cmd(c, "CONFIG SET notify-keyspace-events Ex"), "OK", "expired events on");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_status(cmd(c, "SET gone v PXAT 32503680000000"), "OK", "a key with an expiry in db 0");
    is_status(cmd(c, "SWAPDB 0 6"), "OK", "SWAPDB 0 6");
    r = cmd(sub, "SUBSCRIBE __keyevent@6__:expired");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3, "SUBSCRIBE __keyevent@6__:expired");
    freeReplyObject(r);
    is_status(cmd(c, "SELECT 6"), "OK", "SELECT 6");
    is_integer(cmd(c, "PEXPIRE gone 20"), 1, "PEXPIRE gone 20 in db 6");
    ts_sleep_ms(100);
    is_nil(cmd(c, "GET gone"), "GET removes it");
    r = NULL;
    ok(redisGetReply(sub, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_ARRAY &&
           r->elements == 3 && !strcmp(r->element[1]->str, "__keyevent@6__:expired") &&
           !strcmp(r->element[2]->str, "gone"),
       "the expired event names db 6");
    freeReplyObject(r);
    redisFree(sub);
    is_status(cmd(c, "CONFIG SET notify-keyspace-events %s", ""), "OK", "events off");
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
}

/* ---- omenkv only: restart and kill -9 ---- */

static void test_restart(struct tserver *s, redisContext **cp)
{
    redisContext *c = *cp;

    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_status(cmd(c, "SET who zero"), "OK", "db 0's key");
    is_status(cmd(c, "SELECT 7"), "OK", "SELECT 7");
    is_status(cmd(c, "SET who seven"), "OK", "db 7's key");
    is_status(cmd(c, "SWAPDB 0 7"), "OK", "SWAPDB 0 7");
    is_status(cmd(c, "SWAPDB 7 3"), "OK", "SWAPDB 7 3");
    redisFree(c);
    ok(ts_stop(s) == 0 && ts_restart(s) == 0, "restart");
    c = *cp = ts_connect(s);
    is_str(cmd(c, "GET who"), "seven", 5, "db 0 still holds db 7's old key");
    is_status(cmd(c, "SELECT 3"), "OK", "SELECT 3");
    is_str(cmd(c, "GET who"), "zero", 4, "db 3 holds db 0's old key");
    is_status(cmd(c, "SELECT 7"), "OK", "SELECT 7");
    is_integer(cmd(c, "DBSIZE"), 0, "db 7 holds db 3's (empty)");
    is_status(cmd(c, "DEBUG CHECK"), "OK", "DEBUG CHECK after the restart");
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
}

/* A writer SETs w:<i> in db 0, one at a time, counting what was acknowledged. */
struct writer {
    const struct tserver *s;
    atomic_long sent;  /* SETs sent so far */
    atomic_long acked; /* SETs acknowledged so far (w:0 .. w:acked-1) */
    atomic_int stop;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    redisContext *c = ts_connect(w->s);
    redisReply *r;

    redisSetTimeout(c, (struct timeval){20, 0});
    freeReplyObject(redisCommand(c, "SELECT 0"));
    for (long i = 0; !atomic_load(&w->stop); i++) {
        atomic_store(&w->sent, i + 1);
        r = redisCommand(c, "SET w:%ld %ld", i, i);
        if (!r || r->type != REDIS_REPLY_STATUS) {
            freeReplyObject(r);
            break;
        }
        freeReplyObject(r);
        atomic_store(&w->acked, i + 1);
    }
    redisFree(c);
    return NULL;
}

/* 1 if reply 'r' (freed) is +OK; else a diagnostic. */
static int reply_ok(redisReply *r)
{
    int yes = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK");

    if (!yes)
        ts_diag_reply(r);
    freeReplyObject(r);
    return yes;
}

/* Which database (0 or 1) holds side 'side' ("A" or "B"), by its marker; -1 if none or
 * both do. */
static int side_db(redisContext *c, const char *side)
{
    int found = -1;

    for (int db = 0; db < 2; db++) {
        redisReply *r;

        freeReplyObject(cmd(c, "SELECT %d", db));
        r = cmd(c, "GET side");
        if (r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, side))
            found = found == -1 ? db : -2;
        freeReplyObject(r);
    }
    return found < 0 ? -1 : found;
}

/* 1 if w:i is in database 'db'. */
static int has_write(redisContext *c, int db, long i)
{
    redisReply *r;
    int yes;

    freeReplyObject(cmd(c, "SELECT %d", db));
    r = cmd(c, "EXISTS w:%ld", i);
    yes = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);
    return yes;
}

/* One round: side A in db 0, side B in db 1, a writer on db 0; SWAPDB 0 1 after some
 * writes; kill -9 'after' writes after the swap was sent ('wait_reply' 0: without
 * waiting for its reply). After the restart: A and B are each in one database, swapped
 * if the swap was acknowledged; every write acknowledged before the swap was sent is in
 * A, every one acknowledged after its reply in B, every one in between in exactly one. */
static void crash_round(struct tserver *s, int round, int wait_reply, long after)
{
    redisContext *c = ts_connect(s), *sw = ts_connect(s);
    struct writer w = {.s = s};
    pthread_t t;
    long pre, post = -1, acked;
    int swapped = 0, a, b, missing = 0, both = 0, misplaced = 0;
    redisReply *r;

    ok(reply_ok(cmd(c, "FLUSHALL")), "round %d: FLUSHALL", round);
    freeReplyObject(cmd(c, "SELECT 0"));
    freeReplyObject(cmd(c, "SET side A"));
    freeReplyObject(cmd(c, "SELECT 1"));
    freeReplyObject(cmd(c, "SET side B"));
    pthread_create(&t, NULL, writer_main, &w);
    for (int i = 0; atomic_load(&w.acked) < 200 && i < 20000; i++)
        ts_sleep_ms(1);
    pre = atomic_load(&w.acked);
    redisAppendCommand(sw, "SWAPDB 0 1");
    send_now(sw);
    if (wait_reply) {
        r = NULL;
        swapped = redisGetReply(sw, (void **)&r) == REDIS_OK && r &&
                  r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK");
        freeReplyObject(r);
        post = atomic_load(&w.sent);
    }
    for (long base = atomic_load(&w.acked), i = 0;
         atomic_load(&w.acked) < base + after && i < 20000; i++)
        ts_sleep_ms(1); /* 'after' more writes (bounded: a writer that stopped ends it) */
    ts_kill9(s);
    pthread_join(t, NULL);
    acked = atomic_load(&w.acked);
    redisFree(c);
    redisFree(sw);
    ok(ts_restart(s) == 0, "round %d: restart after kill -9", round);
    c = ts_connect(s);
    a = side_db(c, "A");
    b = side_db(c, "B");
    ok(a >= 0 && b >= 0 && a != b, "round %d: each side in one db (A in %d, B in %d)", round,
       a, b);
    if (swapped)
        ok(a == 1 && b == 0, "round %d: the acknowledged swap survived", round);
    for (long i = 0; i < acked && a >= 0 && b >= 0; i++) {
        int in_a = has_write(c, a, i), in_b = has_write(c, b, i);

        if (!in_a && !in_b)
            missing++;
        else if (in_a && in_b)
            both++;
        else if ((i < pre && !in_a) || (post >= 0 && i >= post && !in_b))
            misplaced++;
    }
    ok(missing == 0 && both == 0 && misplaced == 0,
       "round %d: %ld acknowledged writes: %d lost, %d in both dbs, %d on the wrong side",
       round, acked, missing, both, misplaced);
    ok(reply_ok(cmd(c, "DEBUG CHECK")), "round %d: DEBUG CHECK", round);
    redisFree(c);
}

int main(void)
{
    static const char *args[] = {"--enable-debug-command", "yes", NULL};
    struct tserver s;
    redisContext *c = ts_begin(&s, args, 1), *w = ts_connect(&s);

    test_errors(c);
    test_views(c);
    test_watch(c, w);
    test_blocked(&s, c);
    test_multi(c);
    test_notify(&s, c);
    redisFree(w);
    if (!s.external) {
        test_restart(&s, &c);
        redisFree(c);
        crash_round(&s, 1, 1, 0);
        crash_round(&s, 2, 1, 50);
        crash_round(&s, 3, 0, 0);
        crash_round(&s, 4, 0, 20);
        c = NULL;
    }
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
