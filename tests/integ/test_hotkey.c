/* test_hotkey.c - a few hot keys written from every worker at once, the load under which
 * a worker keeps a key's stripe across a client's pipelined commands (store.h, "Stripes
 * kept between writes"): pipelined HINCRBY, SADD, RPUSH and INCR on the same keys, beside
 * EXEC transactions, scripts, blocking and plain pops, SWAPDB, FLUSHDB of another db and
 * CLIENT PAUSE WRITE, each from its own connection (connections are dealt to the workers
 * in turn, and the server runs more workers than this machine has cores). Nothing may
 * hang: every reply must come within the clients' 20 s timeout. Nothing may be lost or
 * counted twice: the counters and the hash's fields add up to the increments
 * acknowledged, the set holds as many members as SADD said it added, and the list's
 * length is what was pushed less what was popped (summed over db 0 and db 1, which the
 * SWAPDB pairs exchange while the writers run). And the reads of a small hash that take no
 * stripe (store/coll.h, coll_begin_read) never see a write half done while the hash goes
 * inline, split and inline again under them. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "common/omk_thread.h"
#include "tests/harness.h"

#define PIPELINERS 4
#define DEPTH 16          /* commands in flight per pipeliner */
#define RUN_MS 3000       /* how long the load runs */
#define FIELDS 40         /* the hash's fields the pipeliners increment */
#define REPLY_TIMEOUT_S 20

static const struct tserver *srv;
static atomic_int stop_load;
static atomic_int failures;        /* a reply that did not come, or was not as expected */
static atomic_llong incr_acked;    /* INCR hot:ctr acknowledged */
static atomic_llong hincr_acked;   /* HINCRBY hot:hash ... 1 acknowledged */
static atomic_llong sadd_added;    /* what the SADDs replied, summed */
static atomic_llong pushed, popped;

static redisContext *connect_short(void)
{
    redisContext *c = ts_connect(srv);

    redisSetTimeout(c, (struct timeval){REPLY_TIMEOUT_S, 0});
    return c;
}

/* Note a failed or unexpected reply (once per thread is enough to fail the test). */
static void failed(const char *who, const redisReply *r, const redisContext *c)
{
    if (atomic_fetch_add(&failures, 1) < 5) {
        if (!r)
            diag("  %s: no reply within %d s (%s)", who, REPLY_TIMEOUT_S, c->errstr);
        else
            diag("  %s: unexpected reply type %d '%.*s'", who, r->type,
                 r->str ? (int)(r->len > 100 ? 100 : r->len) : 0, r->str ? r->str : "");
    }
}

/* Read one reply that must be an integer; returns it, or -1 after noting a failure. */
static long long int_reply(const char *who, redisContext *c)
{
    redisReply *r = NULL;
    long long v = -1;

    if (redisGetReply(c, (void **)&r) != REDIS_OK || !r || r->type != REDIS_REPLY_INTEGER)
        failed(who, r, c);
    else
        v = r->integer;
    if (r)
        freeReplyObject(r);
    return v;
}

/* DEPTH commands in flight at a time: HINCRBY, SADD, RPUSH and INCR in turn. */
static void *pipeliner(void *arg)
{
    redisContext *c = connect_short();
    unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 1;
    long long round = 0;

    while (!atomic_load(&stop_load) && !c->err) {
        int kind[DEPTH];

        for (int i = 0; i < DEPTH; i++) {
            kind[i] = (int)((round + i) % 4);
            switch (kind[i]) {
            case 0:
                redisAppendCommand(c, "HINCRBY hot:hash f%d 1", (int)(rand_r(&seed) % FIELDS));
                break;
            case 1:
                redisAppendCommand(c, "SADD hot:set m%u", rand_r(&seed) % 5000);
                break;
            case 2:
                redisAppendCommand(c, "RPUSH hot:list x");
                break;
            default:
                redisAppendCommand(c, "INCR hot:ctr");
            }
        }
        for (int i = 0; i < DEPTH; i++) {
            long long v = int_reply("pipeliner", c);

            if (v < 0)
                break;
            if (kind[i] == 0)
                atomic_fetch_add(&hincr_acked, 1);
            else if (kind[i] == 1)
                atomic_fetch_add(&sadd_added, v);
            else if (kind[i] == 2)
                atomic_fetch_add(&pushed, 1);
            else
                atomic_fetch_add(&incr_acked, 1);
        }
        round++;
    }
    redisFree(c);
    return NULL;
}

/* MULTI / INCR / HINCRBY / RPUSH / EXEC. */
static void *transactor(void *arg)
{
    redisContext *c = connect_short();

    OMK_UNUSED(arg);
    while (!atomic_load(&stop_load) && !c->err) {
        redisReply *r = cmd(c, "MULTI");

        if (r)
            freeReplyObject(r);
        freeReplyObject(cmd(c, "INCR hot:ctr"));
        freeReplyObject(cmd(c, "HINCRBY hot:hash fx 1"));
        freeReplyObject(cmd(c, "RPUSH hot:list y"));
        r = cmd(c, "EXEC");
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
            failed("EXEC", r, c);
        } else {
            atomic_fetch_add(&incr_acked, 1);
            atomic_fetch_add(&hincr_acked, 1);
            atomic_fetch_add(&pushed, 1);
        }
        if (r)
            freeReplyObject(r);
    }
    redisFree(c);
    return NULL;
}

/* A script writing two of the keys, pipelined 4 deep. */
static void *scripter(void *arg)
{
    static const char lua[] = "redis.call('INCR', KEYS[1]) "
                              "return redis.call('HINCRBY', KEYS[2], 'fs', 1)";
    redisContext *c = connect_short();

    OMK_UNUSED(arg);
    while (!atomic_load(&stop_load) && !c->err) {
        for (int i = 0; i < 4; i++)
            redisAppendCommand(c, "EVAL %s 2 hot:ctr hot:hash", lua);
        for (int i = 0; i < 4; i++)
            if (int_reply("EVAL", c) >= 0) {
                atomic_fetch_add(&incr_acked, 1);
                atomic_fetch_add(&hincr_acked, 1);
            }
    }
    redisFree(c);
    return NULL;
}

/* BLPOP (its pops served by whichever worker pushed) and pipelined LPOPs. */
static void *popper(void *arg)
{
    redisContext *c = connect_short();
    int blocking = (int)(uintptr_t)arg;

    while (!atomic_load(&stop_load) && !c->err) {
        redisReply *r;

        if (blocking) {
            r = cmd(c, "BLPOP hot:list 0.05");
            if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
                atomic_fetch_add(&popped, 1);
            else if (!r || (r->type != REDIS_REPLY_NIL && r->type != REDIS_REPLY_ARRAY))
                failed("BLPOP", r, c);
        } else {
            r = cmd(c, "LPOP hot:list 8");
            if (r && r->type == REDIS_REPLY_ARRAY)
                atomic_fetch_add(&popped, (long long)r->elements);
            else if (!r || r->type != REDIS_REPLY_NIL)
                failed("LPOP", r, c);
        }
        if (r)
            freeReplyObject(r);
    }
    redisFree(c);
    return NULL;
}

/* One hash whose fields 'a' and 'b' every write sets to the same number in one HSET, and
 * one list that every write pushes a pair of equal elements onto in one RPUSH; both now
 * and then grow past the inline limit (split) and are deleted (inline again). The reads
 * that open an inline collection with no stripe, and fall back to the stripe when it is
 * split or changes under them, must never see a write half done. */
static atomic_long pair_reads, pair_torn;

static void *pair_writer(void *arg)
{
    redisContext *c = connect_short();
    char pad[200];
    long n = 0;

    OMK_UNUSED(arg);
    memset(pad, 'p', sizeof(pad));
    while (!atomic_load(&stop_load) && !c->err) {
        redisReply *r = cmd(c, "HSET pair:h a %ld b %ld", n, n);

        if (!r || r->type != REDIS_REPLY_INTEGER)
            failed("HSET pair", r, c);
        if (r)
            freeReplyObject(r);
        r = cmd(c, "RPUSH pair:l %ld %ld", n, n);
        if (!r || r->type != REDIS_REPLY_INTEGER)
            failed("RPUSH pair", r, c);
        if (r)
            freeReplyObject(r);
        if (n % 50 == 25) {
            freeReplyObject(cmd(c, "HSET pair:h pad%ld %b", n, pad, sizeof(pad)));
            freeReplyObject(cmd(c, "RPUSH pair:l %b %b", pad, sizeof(pad), pad, sizeof(pad)));
        }
        if (n % 100 == 99)
            freeReplyObject(cmd(c, "DEL pair:h pair:l"));
        n++;
    }
    redisFree(c);
    return NULL;
}

/* The value of field 'f' in HGETALL reply 'r', or NULL. */
static const char *pair_field(const redisReply *r, const char *f)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (strcmp(r->element[i]->str, f) == 0)
            return r->element[i + 1]->str;
    return NULL;
}

static void *pair_reader(void *arg)
{
    redisContext *c = connect_short();

    OMK_UNUSED(arg);
    while (!atomic_load(&stop_load) && !c->err) {
        redisReply *r = cmd(c, "HMGET pair:h a b");

        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
            const redisReply *x = r->element[0], *y = r->element[1];

            if (x->type != y->type || (x->type == REDIS_REPLY_STRING && strcmp(x->str, y->str)))
                atomic_fetch_add(&pair_torn, 1);
        } else {
            failed("HMGET pair", r, c);
        }
        if (r)
            freeReplyObject(r);
        r = cmd(c, "HGETALL pair:h");
        if (r && r->type == REDIS_REPLY_ARRAY) {
            const char *x = pair_field(r, "a"), *y = pair_field(r, "b");

            if ((x == NULL) != (y == NULL) || (x && strcmp(x, y)))
                atomic_fetch_add(&pair_torn, 1);
        } else {
            failed("HGETALL pair", r, c);
        }
        if (r)
            freeReplyObject(r);
        r = cmd(c, "LRANGE pair:l 0 -1");
        if (r && r->type == REDIS_REPLY_ARRAY) {
            if (r->elements % 2)
                atomic_fetch_add(&pair_torn, 1);
            for (size_t i = 0; i + 1 < r->elements; i += 2)
                if (strcmp(r->element[i]->str, r->element[i + 1]->str))
                    atomic_fetch_add(&pair_torn, 1);
        } else {
            failed("LRANGE pair", r, c);
        }
        if (r)
            freeReplyObject(r);
        atomic_fetch_add(&pair_reads, 3);
    }
    redisFree(c);
    return NULL;
}

/* Commands that take every lane of the store or of the exec lock, or pause writes:
 * SWAPDB in pairs (db 0 and 1 end as they were), FLUSHDB of db 5, CLIENT PAUSE WRITE. */
static void *admin(void *arg)
{
    redisContext *c = connect_short();
    int n = 0;

    OMK_UNUSED(arg);
    while (!atomic_load(&stop_load) && !c->err) {
        redisReply *r = cmd(c, "SWAPDB 0 1");

        if (!r || r->type != REDIS_REPLY_STATUS)
            failed("SWAPDB", r, c);
        if (r)
            freeReplyObject(r);
        ts_sleep_ms(5);
        r = cmd(c, "SWAPDB 0 1");
        if (!r || r->type != REDIS_REPLY_STATUS)
            failed("SWAPDB", r, c);
        if (r)
            freeReplyObject(r);
        if (n % 4 == 0) {
            freeReplyObject(cmd(c, "SELECT 5"));
            freeReplyObject(cmd(c, "SET k5 v"));
            r = cmd(c, "FLUSHDB");
            if (!r || r->type != REDIS_REPLY_STATUS)
                failed("FLUSHDB", r, c);
            if (r)
                freeReplyObject(r);
            freeReplyObject(cmd(c, "SELECT 0"));
        }
        if (n % 4 == 2) {
            r = cmd(c, "CLIENT PAUSE 20 WRITE");
            if (!r || r->type != REDIS_REPLY_STATUS)
                failed("CLIENT PAUSE", r, c);
            if (r)
                freeReplyObject(r);
        }
        n++;
        ts_sleep_ms(20);
    }
    redisFree(c);
    return NULL;
}

/* The integer reply of 'fmt' in db 0 plus the same in db 1. */
static long long both_dbs(redisContext *c, const char *what)
{
    long long sum = 0;

    for (int db = 0; db < 2; db++) {
        redisReply *r;

        freeReplyObject(cmd(c, "SELECT %d", db));
        r = cmd(c, what);
        if (r && r->type == REDIS_REPLY_INTEGER)
            sum += r->integer;
        else if (r && r->type == REDIS_REPLY_STRING)
            sum += atoll(r->str);
        else if (!r || r->type != REDIS_REPLY_NIL)
            ts_diag_reply(r);
        if (r)
            freeReplyObject(r);
    }
    freeReplyObject(cmd(c, "SELECT 0"));
    return sum;
}

/* Every hash field's value, summed over both dbs. */
static long long hash_total(redisContext *c)
{
    long long sum = 0;

    for (int db = 0; db < 2; db++) {
        redisReply *r;

        freeReplyObject(cmd(c, "SELECT %d", db));
        r = cmd(c, "HVALS hot:hash");
        if (r && r->type == REDIS_REPLY_ARRAY)
            for (size_t i = 0; i < r->elements; i++)
                sum += atoll(r->element[i]->str);
        if (r)
            freeReplyObject(r);
    }
    freeReplyObject(cmd(c, "SELECT 0"));
    return sum;
}

static void test_hot_keys(redisContext *c)
{
    pthread_t t[PIPELINERS + 8];
    int n = 0;

    for (int i = 0; i < PIPELINERS; i++)
        omk_thread_create(&t[n++], pipeliner, (void *)(uintptr_t)i);
    omk_thread_create(&t[n++], transactor, NULL);
    omk_thread_create(&t[n++], scripter, NULL);
    omk_thread_create(&t[n++], popper, (void *)(uintptr_t)1);
    omk_thread_create(&t[n++], popper, (void *)(uintptr_t)0);
    omk_thread_create(&t[n++], admin, NULL);
    omk_thread_create(&t[n++], pair_writer, NULL);
    omk_thread_create(&t[n++], pair_reader, NULL);
    omk_thread_create(&t[n++], pair_reader, NULL);
    ts_sleep_ms(RUN_MS);
    atomic_store(&stop_load, 1);
    for (int i = 0; i < n; i++)
        omk_thread_join(t[i]);

    ok(atomic_load(&failures) == 0, "every reply came within %d s and was as expected "
       "(%d not)", REPLY_TIMEOUT_S, atomic_load(&failures));
    ok(both_dbs(c, "GET hot:ctr") == atomic_load(&incr_acked),
       "the counter holds every INCR acknowledged (%lld)", atomic_load(&incr_acked));
    ok(hash_total(c) == atomic_load(&hincr_acked),
       "the hash's fields add up to every HINCRBY acknowledged (%lld)",
       atomic_load(&hincr_acked));
    ok(both_dbs(c, "SCARD hot:set") == atomic_load(&sadd_added),
       "the set holds as many members as SADD said it added (%lld)", atomic_load(&sadd_added));
    ok(both_dbs(c, "LLEN hot:list") == atomic_load(&pushed) - atomic_load(&popped),
       "the list holds what was pushed less what was popped (%lld - %lld)",
       atomic_load(&pushed), atomic_load(&popped));
    ok(atomic_load(&incr_acked) > 1000, "the load ran: %lld INCRs acknowledged",
       atomic_load(&incr_acked));
    ok(atomic_load(&pair_torn) == 0 && atomic_load(&pair_reads) > 100,
       "HMGET, HGETALL and LRANGE of a hash and a list going inline, split and back never "
       "saw one HSET or RPUSH half done (%ld reads, %ld torn)", atomic_load(&pair_reads), atomic_load(&pair_torn));
}

int main(void)
{
    /* More workers than cores; collections split past 256 bytes, so the hash and the set
     * are split ones (element records in RocksDB) for most of the run. */
    static const char *args[] = {"--io-threads", "4", "--collection-inline-max-bytes", "256",
                                 NULL};
    struct tserver s;
    redisContext *c = ts_begin(&s, args, 1);

    srv = &s;
    test_hot_keys(c);
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
