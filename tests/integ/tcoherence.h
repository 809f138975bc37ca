/* tcoherence.h - one writer and several readers on the same few keys, over real
 * connections (test_cache with GET, test_mget with MGET): no read may return a value
 * older than a SET acknowledged before the read was sent. Header only.
 *
 * The writer SETs versions v = 1 .. 'writes' in turn, version v to key co:<(v * stride) %
 * nkeys> as "<v>|" followed by pad_of(v) zeros, and records each key's last acknowledged
 * version. A reader notes those versions, reads (its own way: read_round), and hands each
 * value to tco_check(), which counts it 'stale' (older than noted, or nil once written) or
 * 'wrong' (malformed, or another key's version). */
#ifndef OMK_TESTS_INTEG_TCOHERENCE_H
#define OMK_TESTS_INTEG_TCOHERENCE_H

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/omk_thread.h"
#include "tests/harness.h"

#define TCO_MAX_KEYS 64
#define TCO_MAX_READERS 8

struct tco {
    /* set by the test */
    const struct tserver *s;
    int nkeys;        /* keys co:0 .. co:<nkeys - 1>, at most TCO_MAX_KEYS */
    int stride;       /* version v goes to key (v * stride) % nkeys; coprime to nkeys */
    long long writes; /* versions written */
    int (*pad_of)(long long v);                           /* zeros after "<v>|" */
    void (*after_set)(redisContext *c, long long v);      /* or NULL */
    void (*read_round)(struct tco *co, redisContext *c);  /* one round of reads */
    /* kept by the run */
    atomic_llong acked[TCO_MAX_KEYS]; /* the last version whose SET was acknowledged */
    atomic_int stop;
    atomic_long stale, wrong, reads;
};

/* Count value 'e' of key 'k', read after version 'before' of it was acknowledged, as
 * stale or wrong if it is either (see above). */
__attribute__((unused)) static void tco_check(struct tco *co, int k, long long before,
                                              const redisReply *e)
{
    if (e == NULL) {
        atomic_fetch_add(&co->wrong, 1);
    } else if (e->type == REDIS_REPLY_NIL) {
        if (before > 0)
            atomic_fetch_add(&co->stale, 1);
    } else if (e->type != REDIS_REPLY_STRING ||
               atoll(e->str) * co->stride % co->nkeys != k) {
        atomic_fetch_add(&co->wrong, 1);
    } else if (atoll(e->str) < before) {
        atomic_fetch_add(&co->stale, 1);
    }
}

/* The writer thread: every version in turn, then 'stop'. */
static void *tco_writer(void *arg)
{
    struct tco *co = arg;
    redisContext *c = ts_connect(co->s);

    for (long long v = 1; v <= co->writes; v++) {
        int k = (int)(v * co->stride % co->nkeys);
        char val[1024];
        redisReply *r;

        snprintf(val, sizeof(val), "%lld|%0*d", v, co->pad_of(v), 0);
        r = cmd(c, "SET co:%d %s", k, val);
        if (!r || r->type != REDIS_REPLY_STATUS)
            atomic_fetch_add(&co->wrong, 1);
        freeReplyObject(r);
        atomic_store(&co->acked[k], v);
        if (co->after_set)
            co->after_set(c, v);
    }
    atomic_store(&co->stop, 1);
    redisFree(c);
    return NULL;
}

/* A reader thread: rounds of reads until the writer stops. */
static void *tco_reader(void *arg)
{
    struct tco *co = arg;
    redisContext *c = ts_connect(co->s);

    while (!atomic_load(&co->stop)) {
        co->read_round(co, c);
        atomic_fetch_add(&co->reads, 1);
    }
    redisFree(c);
    return NULL;
}

/* Run the writer and 'readers' reader threads to the end; the counts are in 'co'. */
__attribute__((unused)) static void tco_run(struct tco *co, int readers)
{
    pthread_t w, r[TCO_MAX_READERS];

    OMK_ASSERT(co->nkeys > 0 && co->nkeys <= TCO_MAX_KEYS && readers <= TCO_MAX_READERS);
    omk_thread_create(&w, tco_writer, co);
    for (int i = 0; i < readers; i++)
        omk_thread_create(&r[i], tco_reader, co);
    omk_thread_join(w);
    for (int i = 0; i < readers; i++)
        omk_thread_join(r[i]);
}

#endif
