/* expire.c - active expiry: one background thread per store deletes keys whose time has
 * passed even when nobody reads them again (lazy expiry, in every lookup, catches only
 * the keys that are touched). Each tick's run time goes to the latency hook
 * (store_set_latency: "expire-cycle"), as Redis times each activeExpireCycle. It reads
 * the in-RAM index and deletes through the store's primitives, under the keys' stripes,
 * so the counters and the index stay exact.
 *
 * HOW IT WORKS. Every 1000/hz ms, unless paused, the thread runs a tick: it walks the
 * index in key order (all databases, since a RocksDB key starts with its db byte) in
 * batches of EXPIRE_BATCH keys, resuming strictly after the last key the previous batch
 * examined, and starting over from the first key once a walk reaches the end. A batch
 * copies out the keys whose expiry has passed (under the index's read locks, which it
 * then drops), takes their stripes, looks each up again (a writer may have given it a new
 * life meanwhile) and deletes those still expired in one write set. As in Redis, only
 * keys with an expiry make the sample: once a tick has seen EXPIRE_SAMPLE of them it stops
 * if at most EXPIRE_STALE_PCT % had expired, and otherwise samples again at once. Keys
 * without an expiry cost little (an index step each, some 0.2 us), so a tick steps over
 * up to EXPIRE_WALK keys looking for a whole sample: a keyspace where few keys have an
 * expiry is still swept at hz * EXPIRE_WALK keys a second (100,000 at hz 10), for about
 * 2 % of a core. A tick also stops at the end of the keyspace and when it has spent its
 * budget: a quarter of the period, at most EXPIRE_BUDGET_US (Redis' slow cycle). A tick
 * is skipped when no database holds a key with an expiry. A key that is never read
 * again thus stays on disk past its time about one sweep of the keyspace at most.
 *
 * Locks: 'mu' of an expirer is held for a whole tick, so pausing (which takes it) waits
 * for a tick in flight. A tick takes the store's locks (excl as reader, then stripes) and
 * the index's shard locks inside, in the store's order, never while walking the index.
 * The store's 'expirer' field is written only by start and stop, which run before and
 * after every other user of the store. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "index/shard.h"
#include "store/format.h"
#include "store/store.h"
#include "store/store_internal.h"

#define EXPIRE_BATCH 200       /* keys examined per walk of the index (one lock hold) */
#define EXPIRE_SAMPLE 200      /* keys with an expiry that make one sample */
#define EXPIRE_WALK 10000      /* keys a tick examines looking for a whole sample */
#define EXPIRE_BUDGET_US 25000 /* most time a tick spends, microseconds */
#define EXPIRE_STALE_PCT 25    /* sample again at once while more than this % expired */

/* The active-expiry thread of one store. */
struct expirer {
    struct store *s;           /* immutable */
    int hz;                    /* ticks per second; immutable */
    pthread_t thread;
    pthread_mutex_t mu;        /* guards 'stop' and 'active'; held for a whole tick */
    pthread_cond_t cv;         /* wakes the thread early to stop; CLOCK_MONOTONIC */
    int stop;                  /* 1: the thread must exit (mu) */
    int active;                /* 0: paused by store_expire_set_active() (mu) */
    struct idx_keybuf pos;     /* last key examined; thread only */
    int resume;                /* 1: the next batch starts after 'pos'; thread only */
};

/* What one batch's walk finds in the index. */
struct expire_batch {
    int64_t now;                              /* Unix ms the walk compares against */
    size_t timed;                             /* keys examined that have an expiry */
    size_t n;                                 /* expired keys in 'keys' */
    struct idx_keybuf keys[EXPIRE_BATCH];     /* RocksDB keys (db byte first) */
};

/* idx_walk_fn: count entry 'e' if it has an expiry, and copy it when that has passed.
 * An entry whose header does not decode has no expiry. One the entry's bits do not reach
 * has one (STORE_EF_FAR): its field holds a bound, before 2020 (due: the lookup in
 * expire_delete reads the exact value) or after 2054 (not due). */
static int expire_collect(const struct idx_entry *e, void *arg)
{
    struct expire_batch *r = arg;
    unsigned flags = idx_entry_flags(e);
    int64_t exp = idx_entry_expire(e);

    if (flags & STORE_EF_BAD)
        return 0;
    if (exp != 0 || (flags & STORE_EF_FAR))
        r->timed++;
    if (exp != 0 && exp <= r->now)
        idx_keybuf_set(&r->keys[r->n++], idx_entry_key(e), idx_entry_klen(e));
    return 0;
}

/* Delete the keys of 'r' that are still expired once their stripes are held, in one
 * batch (the commit counts them in expired_keys). A failed commit is logged by rocks/;
 * the keys stay absent to readers and the next walk tries again. */
static void expire_delete(struct store *s, struct expire_batch *r)
{
    struct store_op op;

    store_op_begin(&op, s, STORE_OP_WRITE, r->n);
    for (size_t i = 0; i < r->n; i++) {
        const char *p = r->keys[i].p;

        OMK_ASSERT(r->keys[i].len >= 1);
        store_op_key_phys(&op, i, (unsigned char)p[0],
                          (struct omk_slice){p + 1, r->keys[i].len - 1});
    }
    store_op_lock(&op);
    for (size_t i = 0; i < r->n; i++) /* a lookup deletes the key if it is still expired */
        if (store_op_lookup(&op, i, STORE_WANT_STATE) != STORE_OK)
            break;
    store_op_end(&op, STORE_OK);
}

/* One batch: examine the next EXPIRE_BATCH keys after x->pos and delete the expired ones
 * (counts in 'r'). At the end of the keyspace x->resume becomes 0, so the next batch
 * starts over from the first key. Returns the number of keys examined. */
static size_t expire_batch_run(struct expirer *x, struct expire_batch *r)
{
    size_t examined = 0;
    int rc;

    r->now = omk_now_ms();
    r->timed = 0;
    r->n = 0;
    rc = idx_shards_walk(x->s->ix, x->resume ? x->pos.p : "", x->resume ? x->pos.len : 0,
                         !x->resume, EXPIRE_BATCH, expire_collect, r, &examined, &x->pos);
    x->resume = rc == IDX_SHARDS_MORE;
    if (r->n > 0)
        expire_delete(x->s, r);
    return examined;
}

/* 1 if some database holds a key with an expiry. */
static int expire_any(struct store *s)
{
    for (int d = 0; d < s->databases; d++)
        if (store_db_expires(s, d) != 0)
            return 1;
    return 0;
}

/* One tick: batches until a sample of keys with an expiry finds few expired (or none
 * was completed within EXPIRE_WALK keys), the walk reaches the end of the keyspace, or
 * the time budget is spent. Caller holds x->mu. */
static void expire_tick(struct expirer *x, struct expire_batch *r)
{
    int64_t t0 = omk_mono_us(), budget = 250000 / x->hz;
    size_t timed = 0, stale = 0, walked = 0;
    store_latency_fn *lat;

    if (budget > EXPIRE_BUDGET_US)
        budget = EXPIRE_BUDGET_US;
    if (!expire_any(x->s))
        return;
    do {
        walked += expire_batch_run(x, r);
        timed += r->timed;
        stale += r->n;
        if (timed >= EXPIRE_SAMPLE) {
            if (stale * 100 <= timed * EXPIRE_STALE_PCT)
                break; /* few keys are past their time here: enough for this tick */
            timed = stale = walked = 0; /* many are: sample again */
        }
    } while (x->resume && walked < EXPIRE_WALK && omk_mono_us() - t0 < budget);
    lat = atomic_load_explicit(&x->s->latency, memory_order_relaxed);
    if (lat)
        lat(STORE_LAT_EXPIRE_CYCLE, omk_mono_us() - t0);
}

void store_set_latency(struct store *s, store_latency_fn *fn)
{
    atomic_store(&s->latency, fn);
    rocks_set_latency(s->rocks, fn);
}

/* The thread: sleep a period, tick, until store_expire_stop(). */
static void *expire_main(void *arg)
{
    struct expirer *x = arg;
    struct expire_batch *r = omk_calloc(1, sizeof(*r));
    long period_ns = 1000000000L / x->hz;
    struct timespec t;

    omk_mutex_lock(&x->mu);
    while (!x->stop) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += period_ns;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec += t.tv_nsec / 1000000000L;
            t.tv_nsec %= 1000000000L;
        }
        while (!x->stop && pthread_cond_timedwait(&x->cv, &x->mu, &t) != ETIMEDOUT)
            ;
        if (!x->stop && x->active)
            expire_tick(x, r);
    }
    omk_mutex_unlock(&x->mu);
    for (size_t i = 0; i < EXPIRE_BATCH; i++)
        idx_keybuf_deinit(&r->keys[i]);
    omk_free(r);
    return NULL;
}

void store_expire_start(struct store *s, int hz)
{
    struct expirer *x = omk_calloc(1, sizeof(*x));

    OMK_ASSERT(hz >= 1 && hz <= 500);
    x->s = s;
    x->hz = hz;
    x->active = 1;
    omk_mutex_init(&x->mu);
    omk_cond_init_mono(&x->cv);

    OMK_ASSERT(s->expirer == NULL); /* one per store */
    s->expirer = x;
    omk_thread_create(&x->thread, expire_main, x);
}

void store_expire_set_active(struct store *s, int on)
{
    struct expirer *x = s->expirer;

    if (x) {
        omk_mutex_lock(&x->mu); /* waits for a tick in flight */
        x->active = on != 0;
        omk_mutex_unlock(&x->mu);
    }
}

void store_expire_stop(struct store *s)
{
    struct expirer *x = s->expirer;

    if (!x)
        return;
    s->expirer = NULL;
    omk_mutex_lock(&x->mu);
    x->stop = 1;
    omk_cond_signal(&x->cv);
    omk_mutex_unlock(&x->mu);
    omk_thread_join(x->thread);
    idx_keybuf_deinit(&x->pos);
    pthread_cond_destroy(&x->cv);
    pthread_mutex_destroy(&x->mu);
    omk_free(x);
}
