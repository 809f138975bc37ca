/* test_object_idle.c - OBJECT IDLETIME and OBJECT FREQ against a real server: which
 * commands count as an access (reads and writes of a key, TOUCH) and which do not
 * (TYPE, EXISTS, TTL, OBJECT), IDLETIME in seconds under an LRU policy, FREQ as Redis'
 * logarithmic counter under an LFU one (made deterministic with lfu-log-factor 0, where
 * every access counts, and lfu-decay-time 0), and each one's error under the other
 * policy. Idle times are compared with each other, never with the wall clock: a key
 * accessed at least 2 s after another, both untouched since, reads at least 2 s less
 * idle, however slow the machine. Runs against redis-server as well
 * (OMK_TEST_SERVER=host:port). omenkv only: CLIENT NO-TOUCH (Redis 7.2), and the access
 * data after a restart (reset: it lives in RAM). */
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

/* omenkv: the access byte lives in RAM; a restart gives every key a fresh start. */
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
    if (!s.external)
        test_restart(&s, &c);
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
