/* test_object_idle.c - OBJECT IDLETIME and OBJECT FREQ against a real server: which
 * commands count as an access (reads and writes of a key, TOUCH) and which do not
 * (TYPE, EXISTS, TTL, OBJECT), IDLETIME in seconds under an LRU policy, FREQ as Redis'
 * logarithmic counter under an LFU one (made deterministic with lfu-log-factor 0, where
 * every access counts, and lfu-decay-time 0), and each one's error under the other
 * policy. Idle times are compared with each other, never with the wall clock: a key
 * accessed at least 2 s after another, both untouched since, reads at least 2 s less
 * idle, however slow the machine. RENAME and MOVE carry a key's counter, COPY starts
 * afresh; DEBUG RELOAD keeps idle times under an LRU policy and restarts them under
 * noeviction. Runs against redis-server as well (OMK_TEST_SERVER=host:port). omenkv only:
 * CLIENT NO-TOUCH (Redis 7.2); the access data after a restart (reset: it lives in RAM);
 * DEBUG SHIFT-ACCESS-CLOCK (ours), which moves the access clock forward so that idle
 * times past the old 256 s wrap, and LFU decay by the minute, show without waiting. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/harness.h"

#define GAP_MS 2200 /* a pause of at least 2 s of every clock */

/* OBJECT IDLETIME of 'key', or -1 when the reply is not an integer. */
static long long idle_of(redisContext *c, const char *key)
{
    redisReply *r = cmd(c, "OBJECT IDLETIME %s", key);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

    if (v < 0)
        ts_diag_reply(r);
    freeReplyObject(r);
    return v;
}

/* OBJECT FREQ of 'key', or -1. */
static long long freq_of(redisContext *c, const char *key)
{
    redisReply *r = cmd(c, "OBJECT FREQ %s", key);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

    if (v < 0)
        ts_diag_reply(r);
    freeReplyObject(r);
    return v;
}

/* Under the default policy (noeviction, an LRU one for this purpose). */
static void test_idletime(const struct tserver *s, redisContext *c)
{
    long long base, v;

    /* Not small integers: Redis shares one object among all keys holding the same one,
     * and with it one access time. */
    is_status(cmd(c, "MSET base x read x checked x touched x rewritten x"), "OK", "five keys");
    is_integer(cmd(c, "HSET h f v"), 1, "a hash");
    is_integer(cmd(c, "RPUSH l a b"), 2, "a list");
    ts_sleep_ms(GAP_MS);
    /* Accesses. */
    is_str(cmd(c, "GET read"), "x", 1, "GET read");
    is_str(cmd(c, "HGET h f"), "v", 1, "HGET h f");
    is_integer(cmd(c, "LLEN l"), 2, "LLEN l");
    is_integer(cmd(c, "TOUCH touched nope"), 1, "TOUCH touched nope: one exists");
    is_status(cmd(c, "SET rewritten y"), "OK", "SET rewritten");
    /* Not accesses. */
    is_status(cmd(c, "TYPE checked"), "string", "TYPE checked");
    is_integer(cmd(c, "EXISTS checked"), 1, "EXISTS checked");
    is_integer(cmd(c, "TTL checked"), -1, "TTL checked");
    is_integer(cmd(c, "PTTL checked"), -1, "PTTL checked");
    is_integer(cmd(c, "OBJECT REFCOUNT checked"), 1, "OBJECT REFCOUNT checked");
    freeReplyObject(cmd(c, "OBJECT ENCODING checked"));
    freeReplyObject(cmd(c, "OBJECT IDLETIME checked"));

    base = idle_of(c, "base");
    ok(base >= 2, "IDLETIME of an untouched key: at least the pause (%lld)", base);
    v = idle_of(c, "checked");
    ok(v >= 2, "TYPE, EXISTS, TTL, OBJECT do not touch (%lld)", v);
    v = idle_of(c, "read");
    ok(v >= 0 && v <= base - 2, "GET touches (%lld, base %lld)", v, base);
    v = idle_of(c, "h");
    ok(v >= 0 && v <= base - 2, "HGET touches (%lld)", v);
    v = idle_of(c, "l");
    ok(v >= 0 && v <= base - 2, "LLEN touches (%lld)", v);
    v = idle_of(c, "touched");
    ok(v >= 0 && v <= base - 2, "TOUCH touches (%lld)", v);
    v = idle_of(c, "rewritten");
    ok(v >= 0 && v <= base - 2, "SET of an existing key renews it (%lld)", v);

    is_error(cmd(c, "OBJECT FREQ base"),
             "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
             "Please note that when switching between policies at runtime LRU and LFU data "
             "will take some time to adjust.",
             "OBJECT FREQ without an LFU policy");
    is_nil(cmd(c, "OBJECT IDLETIME nope"), "OBJECT IDLETIME of a missing key: nil");

    /* A transaction's reads touch too. */
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "GET base"), "QUEUED", "GET queued");
    freeReplyObject(cmd(c, "EXEC"));
    v = idle_of(c, "base");
    ok(v >= 0 && v <= idle_of(c, "checked") - 2, "a GET inside EXEC touches (%lld)", v);

    if (!s->external) { /* CLIENT NO-TOUCH is Redis 7.2's, after the 7.0 we compare with */
        ts_sleep_ms(GAP_MS);
        is_status(cmd(c, "CLIENT NO-TOUCH on"), "OK", "CLIENT NO-TOUCH on");
        is_str(cmd(c, "GET read"), "x", 1, "GET read in no-touch mode");
        is_integer(cmd(c, "TOUCH touched"), 1, "TOUCH touched in no-touch mode");
        is_status(cmd(c, "CLIENT NO-TOUCH off"), "OK", "CLIENT NO-TOUCH off");
        v = idle_of(c, "read");
        ok(v >= 2, "no-touch: GET leaves the access time (%lld)", v);
        v = idle_of(c, "touched");
        ok(v >= 0 && v <= idle_of(c, "read") - 2, "no-touch: TOUCH still touches (%lld)", v);
    }
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
}

/* Under an LFU policy, with lfu-log-factor 0 (every access counts) and no decay. */
static void test_freq(redisContext *c)
{
    is_status(cmd(c, "CONFIG SET maxmemory-policy allkeys-lfu"), "OK", "allkeys-lfu");
    is_status(cmd(c, "CONFIG SET lfu-log-factor 0"), "OK", "lfu-log-factor 0");
    is_status(cmd(c, "CONFIG SET lfu-decay-time 0"), "OK", "lfu-decay-time 0");
    is_status(cmd(c, "SET f v"), "OK", "SET f");
    is_integer(cmd(c, "OBJECT FREQ f"), 5, "a new key's counter: 5");
    for (int i = 0; i < 10; i++)
        freeReplyObject(cmd(c, "GET f"));
    is_integer(cmd(c, "OBJECT FREQ f"), 15, "ten GETs: 15");
    is_integer(cmd(c, "EXISTS f"), 1, "EXISTS f");
    is_status(cmd(c, "TYPE f"), "string", "TYPE f");
    is_integer(cmd(c, "OBJECT FREQ f"), 15, "EXISTS, TYPE and OBJECT do not count");
    is_integer(cmd(c, "TOUCH f"), 1, "TOUCH f");
    is_integer(cmd(c, "OBJECT FREQ f"), 16, "TOUCH counts");
    is_status(cmd(c, "SET f w"), "OK", "SET f again");
    is_integer(cmd(c, "OBJECT FREQ f"), 17, "overwriting keeps the counter, and counts");
    is_integer(cmd(c, "APPEND f x"), 2, "APPEND f");
    is_integer(cmd(c, "OBJECT FREQ f"), 18, "a read-modify-write counts");
    is_integer(cmd(c, "DEL f"), 1, "DEL f");
    is_status(cmd(c, "SET f v"), "OK", "SET f anew");
    is_integer(cmd(c, "OBJECT FREQ f"), 5, "a key created anew starts at 5");
    for (int i = 0; i < 300; i++)
        freeReplyObject(cmd(c, "GET f"));
    is_integer(cmd(c, "OBJECT FREQ f"), 255, "the counter saturates at 255");
    is_status(cmd(c, "CONFIG SET lfu-log-factor 10"), "OK", "lfu-log-factor 10");
    is_status(cmd(c, "SET g v"), "OK", "SET g");
    for (int i = 0; i < 50; i++)
        freeReplyObject(cmd(c, "GET g"));
    {
        long long v = freq_of(c, "g");

        /* From 5 the first access always counts, then ever less often. */
        ok(v >= 6 && v < 55, "with lfu-log-factor 10, 50 GETs count logarithmically (%lld)",
           v);
    }
    is_error(cmd(c, "OBJECT IDLETIME g"),
             "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note "
             "that when switching between policies at runtime LRU and LFU data will take "
             "some time to adjust.",
             "OBJECT IDLETIME under LFU");
    is_nil(cmd(c, "OBJECT FREQ nope"), "OBJECT FREQ of a missing key: nil");
    is_status(cmd(c, "CONFIG SET lfu-decay-time 1"), "OK", "lfu-decay-time back");
    is_status(cmd(c, "CONFIG SET maxmemory-policy noeviction"), "OK", "noeviction back");
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
}

/* omenkv: DEBUG SHIFT-ACCESS-CLOCK runs the clock ahead: idle times of minutes and days
 * read exact (24 bits of seconds, as Redis' clock), and LFU counters decay by one per
 * lfu-decay-time minutes. */
static void test_shifted_clock(redisContext *c)
{
    long long v, w;

    is_status(cmd(c, "SET idle:a x"), "OK", "SET idle:a");
    is_status(cmd(c, "DEBUG SHIFT-ACCESS-CLOCK 300"), "OK", "shift the access clock 300 s");
    v = idle_of(c, "idle:a");
    ok(v >= 300 && v < 300 + GAP_MS / 1000, "idle past the old 256 s lap reads 300 (%lld)", v);
    is_status(cmd(c, "DEBUG SHIFT-ACCESS-CLOCK 8640000"), "OK", "shift 100 days more");
    v = idle_of(c, "idle:a");
    ok(v >= 8640300 && v < 8640300 + GAP_MS / 1000, "idle 100 days reads exact (%lld)", v);
    is_str(cmd(c, "GET idle:a"), "x", 1, "GET idle:a");
    v = idle_of(c, "idle:a");
    ok(v >= 0 && v < GAP_MS / 1000, "an access starts it again (%lld)", v);
    is_error(cmd(c, "DEBUG SHIFT-ACCESS-CLOCK x"), "ERR value is not an integer or out of range",
             "DEBUG SHIFT-ACCESS-CLOCK x");

    /* RENAME keeps the key's clock: seen with CLIENT NO-TOUCH, since RENAME's own lookup
     * is an access otherwise. */
    is_status(cmd(c, "SET idle:b x"), "OK", "SET idle:b");
    is_status(cmd(c, "DEBUG SHIFT-ACCESS-CLOCK 1000"), "OK", "shift 1000 s");
    is_status(cmd(c, "CLIENT NO-TOUCH on"), "OK", "CLIENT NO-TOUCH on");
    is_status(cmd(c, "RENAME idle:b idle:c"), "OK", "RENAME idle:b idle:c");
    is_integer(cmd(c, "MOVE idle:c 1"), 1, "MOVE idle:c 1");
    is_status(cmd(c, "CLIENT NO-TOUCH off"), "OK", "CLIENT NO-TOUCH off");
    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    v = idle_of(c, "idle:c");
    ok(v >= 1000 && v < 1000 + GAP_MS / 1000, "RENAME and MOVE keep the idle time (%lld)", v);
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");

    /* LFU: one step of decay per lfu-decay-time minutes since the counter's last change. */
    is_status(cmd(c, "CONFIG SET maxmemory-policy allkeys-lfu"), "OK", "allkeys-lfu");
    is_status(cmd(c, "CONFIG SET lfu-log-factor 0"), "OK", "lfu-log-factor 0");
    is_status(cmd(c, "CONFIG SET lfu-decay-time 1"), "OK", "lfu-decay-time 1");
    is_status(cmd(c, "SET idle:f v"), "OK", "SET idle:f");
    for (int i = 0; i < 20; i++)
        freeReplyObject(cmd(c, "GET idle:f"));
    v = freq_of(c, "idle:f"); /* 25, or 24 if a minute began meanwhile */
    ok(v >= 24 && v <= 25, "twenty GETs count (%lld)", v);
    is_status(cmd(c, "DEBUG SHIFT-ACCESS-CLOCK 240"), "OK", "shift 4 minutes");
    w = freq_of(c, "idle:f");
    ok(w >= v - 5 && w <= v - 4, "four minutes later, 4 less (%lld from %lld)", w, v);
    is_status(cmd(c, "CONFIG SET lfu-decay-time 2"), "OK", "lfu-decay-time 2");
    w = freq_of(c, "idle:f");
    ok(w >= v - 3 && w <= v - 2, "with lfu-decay-time 2, 2 less (%lld)", w);
    is_status(cmd(c, "CONFIG SET lfu-decay-time 0"), "OK", "lfu-decay-time 0");
    is_integer(cmd(c, "OBJECT FREQ idle:f"), v, "with lfu-decay-time 0, no decay");
    is_status(cmd(c, "CONFIG SET lfu-decay-time 1"), "OK", "lfu-decay-time 1");
    is_status(cmd(c, "DEBUG SHIFT-ACCESS-CLOCK 36000"), "OK", "shift 10 hours");
    is_integer(cmd(c, "OBJECT FREQ idle:f"), 0, "ten hours later the counter is 0");
    freeReplyObject(cmd(c, "GET idle:f"));
    is_integer(cmd(c, "OBJECT FREQ idle:f"), 1, "an access then counts from 0");
    is_status(cmd(c, "CONFIG SET maxmemory-policy noeviction"), "OK", "noeviction back");
    is_status(cmd(c, "CONFIG SET lfu-log-factor 10"), "OK", "lfu-log-factor back");
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
}

/* RENAME and MOVE keep the key's LFU counter (Redis keeps the object, after counting
 * the lookup); COPY makes a new key at 5. */
static void test_carry(redisContext *c)
{
    is_status(cmd(c, "CONFIG SET maxmemory-policy allkeys-lfu"), "OK", "allkeys-lfu");
    is_status(cmd(c, "CONFIG SET lfu-log-factor 0"), "OK", "lfu-log-factor 0");
    is_status(cmd(c, "CONFIG SET lfu-decay-time 0"), "OK", "lfu-decay-time 0");
    is_status(cmd(c, "SET cr:a va"), "OK", "SET cr:a");
    for (int i = 0; i < 10; i++)
        freeReplyObject(cmd(c, "GET cr:a"));
    is_status(cmd(c, "RENAME cr:a cr:b"), "OK", "RENAME cr:a cr:b");
    is_integer(cmd(c, "OBJECT FREQ cr:b"), 16, "RENAME carries the counter (15, +1 its lookup)");
    is_status(cmd(c, "SET cr:c vc"), "OK", "SET cr:c");
    is_status(cmd(c, "RENAME cr:b cr:c"), "OK", "RENAME cr:b over cr:c");
    is_integer(cmd(c, "OBJECT FREQ cr:c"), 17, "over an existing key too");
    is_integer(cmd(c, "MOVE cr:c 1"), 1, "MOVE cr:c 1");
    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    is_integer(cmd(c, "OBJECT FREQ cr:c"), 18, "MOVE carries it");
    is_integer(cmd(c, "COPY cr:c cr:d"), 1, "COPY cr:c cr:d");
    is_integer(cmd(c, "OBJECT FREQ cr:d"), 5, "COPY starts at 5");
    is_integer(cmd(c, "OBJECT FREQ cr:c"), 19, "COPY's source lookup counts");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_status(cmd(c, "CONFIG SET lfu-decay-time 1"), "OK", "lfu-decay-time back");
    is_status(cmd(c, "CONFIG SET lfu-log-factor 10"), "OK", "lfu-log-factor back");
    is_status(cmd(c, "CONFIG SET maxmemory-policy noeviction"), "OK", "noeviction back");
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
}

/* DEBUG RELOAD: under an LRU policy idle times survive it (Redis' RDB holds them);
 * under noeviction every key starts again from the reload (Redis' RDB holds none). */
static void test_reload(redisContext *c)
{
    long long before, after;

    is_status(cmd(c, "SET rl:a x"), "OK", "SET rl:a");
    ts_sleep_ms(GAP_MS);
    is_status(cmd(c, "CONFIG SET maxmemory-policy allkeys-lru"), "OK", "allkeys-lru");
    is_status(cmd(c, "DEBUG RELOAD"), "OK", "DEBUG RELOAD under allkeys-lru");
    after = idle_of(c, "rl:a");
    ok(after >= 2, "the idle time survives it (%lld)", after);
    is_status(cmd(c, "CONFIG SET maxmemory-policy noeviction"), "OK", "noeviction");
    before = idle_of(c, "rl:a");
    is_status(cmd(c, "DEBUG RELOAD"), "OK", "DEBUG RELOAD under noeviction");
    after = idle_of(c, "rl:a");
    ok(after >= 0 && after < before, "it starts again from the reload (%lld, before %lld)",
       after, before);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
}

/* omenkv: the access field lives in RAM; a restart gives every key a fresh start. */
static void test_restart(struct tserver *s, redisContext **cp)
{
    static const char *args[] = {"--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0",
                                 NULL};
    redisContext *c = *cp;

    redisFree(c);
    ts_stop(s);
    s->args = args;
    ok(ts_restart(s) == 0, "restart with allkeys-lfu");
    c = *cp = ts_connect(s);
    is_status(cmd(c, "SET r v"), "OK", "SET r");
    for (int i = 0; i < 10; i++)
        freeReplyObject(cmd(c, "GET r"));
    is_integer(cmd(c, "OBJECT FREQ r"), 15, "counted to 15");
    redisFree(c);
    ok(ts_restart(s) == 0, "restart");
    c = *cp = ts_connect(s);
    is_integer(cmd(c, "OBJECT FREQ r"), 5, "after a restart the counter starts again at 5");
}

int main(void)
{
    struct tserver s;
    redisContext *c = ts_begin(&s, NULL, 1);

    test_idletime(&s, c);
    test_freq(c);
    test_carry(c);
    test_reload(c);
    if (!s.external) {
        test_shifted_clock(c);
        test_restart(&s, &c);
    }
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
