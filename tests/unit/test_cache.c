/* test_cache.c - unit tests of the value cache (TAP). First store/cache.c alone, driven
 * through a toy owner that keeps the cache.h protocol (a table of slots behind rwlocks,
 * as the index keeps 'loc'): the exact SIEVE eviction order on hand-made sequences, the
 * hand on removal, the byte accounting (charges, budget, shrinking, the allocator's own
 * count), pins outliving eviction, and threads reading, writing and evicting the same
 * keys (run it under --enable-sanitizers=thread). Then the store over the cache: hits
 * that read no RocksDB, fills, write-through, coherence across SET, DEL, EXPIRE, RENAME,
 * APPEND, INCR and FLUSHDB, a failed write that changes nothing, the bypass threshold,
 * maxmemory shrinking live, a writer and readers that must never see a stale value, and
 * GET throughput with and without the cache (TAP diagnostics). cache_check and
 * store_check run after each group of mutations. */
#include "config.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "store/cache.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "tests/tap.h"
#include "tests/unit/store_fixture.h"

/* ---- A toy owner: slot i holds the published item of key i ------------------------------ */

#define TOY_KEYS 256
#define TOY_LOCKS 8
#define TOY_LOG 1024

struct toy {
    struct cache *c;
    pthread_rwlock_t lock[TOY_LOCKS];       /* slot i: lock[i % TOY_LOCKS] */
    struct cache_item *slot[TOY_KEYS];      /* (lock) */
    uint64_t version[TOY_KEYS];             /* last version handed out for key i (lock) */
    uint64_t current[TOY_KEYS];             /* the version key i holds now (lock) */
    pthread_mutex_t log_mu;
    int log[TOY_LOG];                       /* keys evicted, in order (log_mu) */
    size_t nlog;                            /* (log_mu) */
};

/* cache_detach_fn: unpublish 'it' from its slot and log its key. */
static void toy_detach(void *arg, struct cache_item *it)
{
    struct toy *t = arg;
    pthread_rwlock_t *l = &t->lock[it->tag % TOY_LOCKS];

    omk_rwlock_wrlock(l);
    if (it->owner) {
        OMK_ASSERT(*(struct cache_item **)it->owner == it);
        *(struct cache_item **)it->owner = NULL;
        it->owner = NULL;
    }
    it->dead = 1;
    omk_rwlock_unlock(l);
    omk_mutex_lock(&t->log_mu);
    if (t->nlog < TOY_LOG)
        t->log[t->nlog++] = (int)it->tag;
    omk_mutex_unlock(&t->log_mu);
}

static struct toy *toy_new(size_t budget)
{
    struct toy *t = omk_calloc(1, sizeof(*t));

    for (int i = 0; i < TOY_LOCKS; i++)
        omk_pthread_check(pthread_rwlock_init(&t->lock[i], NULL), "pthread_rwlock_init");
    omk_mutex_init(&t->log_mu);
    t->c = cache_new(budget, toy_detach, t);
    return t;
}

static void toy_free(struct toy *t)
{
    cache_free(t->c);
    for (int i = 0; i < TOY_LOCKS; i++)
        pthread_rwlock_destroy(&t->lock[i]);
    pthread_mutex_destroy(&t->log_mu);
    omk_free(t);
}

/* The value of version 'ver' of key 'key': the key, the version, then 'len' - 12 bytes
 * derived from both (len >= 12). */
static void toy_value(char *buf, size_t len, int key, uint64_t ver)
{
    memcpy(buf, &key, 4);
    memcpy(buf + 4, &ver, 8);
    for (size_t i = 12; i < len; i++)
        buf[i] = (char)(key * 31 + ver * 7 + i);
}

/* 1 if 'p'/'len' is a well-formed toy value of 'key'; its version in '*ver'. */
static int toy_value_ok(const char *p, size_t len, int key, uint64_t *ver)
{
    int k;

    if (len < 12)
        return 0;
    memcpy(&k, p, 4);
    memcpy(ver, p + 4, 8);
    if (k != key)
        return 0;
    for (size_t i = 12; i < len; i++)
        if (p[i] != (char)(key * 31 + *ver * 7 + i))
            return 0;
    return 1;
}

/* Write a new version of 'key' with a value of 'len' bytes (the owner protocol). */
static void toy_put(struct toy *t, int key, size_t len)
{
    pthread_rwlock_t *l = &t->lock[key % TOY_LOCKS];
    char buf[4096];
    struct cache_item *it, *old;
    uint64_t ver;
    int admitted, published = 0;

    OMK_ASSERT(len >= 12 && len <= sizeof(buf));
    omk_rwlock_wrlock(l); /* reserve the version: writes are ordered */
    ver = ++t->version[key];
    omk_rwlock_unlock(l);
    toy_value(buf, len, key, ver);
    it = cache_item_new(buf, len, 0, (uint32_t)key);
    admitted = cache_admit(t->c, it) == CACHE_OK;
    omk_rwlock_wrlock(l);
    if (t->current[key] > ver) { /* a later write landed first: ours is already old */
        omk_rwlock_unlock(l);
        if (admitted)
            cache_remove(t->c, it);
        cache_unpin(it);
        return;
    }
    t->current[key] = ver;
    old = t->slot[key];
    if (old) {
        cache_pin(old); /* for cache_remove() after the lock */
        old->owner = NULL;
        old->dead = 1;
        t->slot[key] = NULL;
    }
    if (admitted && !it->dead) {
        t->slot[key] = it;
        it->owner = &t->slot[key];
        published = 1;
    }
    omk_rwlock_unlock(l);
    if (old) {
        cache_remove(t->c, old);
        cache_unpin(old);
    }
    if (admitted && !published)
        cache_remove(t->c, it);
    cache_unpin(it);
}

/* The published item of 'key', pinned (counting a hit), or NULL (counting a miss). */
static struct cache_item *toy_get(struct toy *t, int key)
{
    pthread_rwlock_t *l = &t->lock[key % TOY_LOCKS];
    struct cache_item *it;

    omk_rwlock_rdlock(l);
    it = t->slot[key];
    if (it)
        cache_pin(it);
    omk_rwlock_unlock(l);
    if (it)
        cache_note_hit(t->c, it);
    else
        cache_note_miss(t->c);
    return it;
}

/* A hit on 'key' (which must be cached), releasing the pin at once. */
static void toy_hit(struct toy *t, int key)
{
    struct cache_item *it = toy_get(t, key);

    OMK_ASSERT(it != NULL);
    cache_unpin(it);
}

/* Drop 'key' from the cache as a delete of the key would. */
static void toy_del(struct toy *t, int key)
{
    pthread_rwlock_t *l = &t->lock[key % TOY_LOCKS];
    struct cache_item *old;

    omk_rwlock_wrlock(l);
    old = t->slot[key];
    if (old) {
        cache_pin(old);
        old->owner = NULL;
        old->dead = 1;
        t->slot[key] = NULL;
    }
    omk_rwlock_unlock(l);
    if (old) {
        cache_remove(t->c, old);
        cache_unpin(old);
    }
}

/* One TAP line: the eviction log of 't' is exactly 'want'/'n'. */
static void log_is(struct toy *t, const int *want, size_t n, const char *what)
{
    int same = t->nlog == n;

    for (size_t i = 0; same && i < n; i++)
        same = t->log[i] == want[i];
    if (!ok(same, "%s", what)) {
        char got[512] = "";
        size_t o = 0;

        for (size_t i = 0; i < t->nlog && o < sizeof(got) - 8; i++)
            o += (size_t)snprintf(got + o, sizeof(got) - o, "%d ", t->log[i]);
        diag("  evicted: %s", got);
    }
}

static void check_cache(struct cache *c, const char *when)
{
    char err[256] = "";

    if (!ok(cache_check(c, err, sizeof(err)) == 0, "cache_check after %s", when))
        diag("  %s", err);
}

/* The charge of an item of 'len' bytes, as the cache computes it. */
static size_t charge_of(size_t len)
{
    char buf[4096] = { 0 };
    struct cache_item *it = cache_item_new(buf, len, 0, 0);
    size_t c = it->charge;

    cache_unpin(it);
    return c;
}

/* ---- SIEVE, exactly --------------------------------------------------------------------- */

enum { A, B, C, D, E, F, G, H, I, J, K, L, M, N, O };

static void test_sieve_order(void)
{
    size_t ch = charge_of(16);
    struct toy *t = toy_new(4 * ch);
    struct cache_stats st;

    ok(ch >= sizeof(struct cache_item) + 16 + CACHE_MALLOC_OVERHEAD,
       "an item is charged its header, its bytes and malloc's size word (%zu bytes)", ch);
    for (int k = A; k <= D; k++)
        toy_put(t, k, 16);
    is_int(t->nlog, 0, "four items fit a budget of four");
    toy_hit(t, A);
    toy_hit(t, C);
    toy_put(t, E, 16);
    log_is(t, (int[]){ B }, 1, "the hand passes visited A and evicts B");
    toy_put(t, F, 16);
    log_is(t, (int[]){ B, D }, 2, "the hand stays after B: passes visited C, evicts D");
    toy_put(t, G, 16);
    log_is(t, (int[]){ B, D, E }, 3, "then the unvisited newcomer E");
    toy_hit(t, A);
    toy_put(t, H, 16);
    toy_put(t, I, 16);
    toy_put(t, J, 16);
    log_is(t, (int[]){ B, D, E, F, G, H }, 6,
           "new unvisited items churn near the head: F G H (a scan cannot reach A or C)");
    toy_hit(t, I);
    toy_put(t, K, 16);
    log_is(t, (int[]){ B, D, E, F, G, H, J }, 7, "visited I is passed, J evicted at the head");
    toy_put(t, L, 16);
    log_is(t, (int[]){ B, D, E, F, G, H, J, C }, 8,
           "the hand wraps to the tail: A (hit again) stays, C (bit cleared) goes");
    toy_put(t, M, 16);
    log_is(t, (int[]){ B, D, E, F, G, H, J, C, I }, 9, "I's bit was cleared: it goes next");
    check_cache(t->c, "the SIEVE sequence");

    /* The hand is on K now; removing K moves it to L, which the next eviction takes
     * (N fills the room K left; O needs an eviction). */
    toy_del(t, K);
    toy_put(t, N, 16);
    is_int(t->nlog, 9, "a removal makes room without an eviction");
    toy_put(t, O, 16);
    log_is(t, (int[]){ B, D, E, F, G, H, J, C, I, L }, 10,
           "removing the item under the hand moves the hand one step newer");
    cache_stats_get(t->c, &st);
    is_int(st.items, 4, "four items resident");
    is_int(st.used_bytes, 4 * ch, "used bytes are four charges");
    is_int(st.evictions, 10, "ten evictions counted (the removal is not one)");
    is_int(st.hits, 4, "four hits counted");
    ok(t->slot[A] && t->slot[M] && t->slot[N] && t->slot[O] && !t->slot[K] && !t->slot[L],
       "the slots hold exactly the resident items");
    check_cache(t->c, "a removal");
    toy_free(t);
}

/* ---- Bytes ----------------------------------------------------------------------------- */

static size_t walk_count;

static int count_item(struct cache_item *it, void *arg)
{
    OMK_UNUSED(it);
    OMK_UNUSED(arg);
    walk_count++;
    return 0;
}

static void test_bytes(void)
{
    size_t small = charge_of(16), big = charge_of(1000);
    struct toy *t = toy_new(4 * small);
    struct cache_item *it, *pinned;
    struct cache_stats st;
    char buf[8192] = { 0 };

    it = cache_item_new(buf, 4 * small, 0, 7);
    is_int(cache_admit(t->c, it), CACHE_TOOBIG, "an item larger than the budget is refused");
    cache_unpin(it);
    ok(cache_len_limit(t->c) <= 4 * small, "cache_len_limit agrees (%zu)",
       cache_len_limit(t->c));
    ok(cache_len_limit(t->c) > 16, "a small one is within it");

    for (int k = 0; k < 4; k++)
        toy_put(t, k, 16);
    cache_set_budget(t->c, 2 * small + big);
    toy_put(t, 10, 1000);
    cache_stats_get(t->c, &st);
    ok(st.used_bytes <= st.budget, "a big item evicts until it fits (%llu <= %llu)",
       (unsigned long long)st.used_bytes, (unsigned long long)st.budget);
    log_is(t, (int[]){ 0, 1 }, 2, "exactly the two oldest unvisited items made room");
    is_int(st.used_bytes, 2 * small + big, "used bytes: two small and one big");
    check_cache(t->c, "a variable-size admit");

    pinned = toy_get(t, 10);
    cache_set_budget(t->c, small);
    cache_stats_get(t->c, &st);
    ok(st.used_bytes <= small && st.items <= 1, "shrinking the budget evicts at once");
    ok(toy_value_ok(pinned->data, pinned->len, 10, &(uint64_t){ 0 }),
       "an evicted item a reader pins is still whole");
    cache_unpin(pinned); /* frees it: ASan would flag a use after this */
    cache_clear(t->c);
    cache_stats_get(t->c, &st);
    ok(st.items == 0 && st.used_bytes == 0, "cache_clear empties it");
    ok(!t->slot[2] && !t->slot[3] && !t->slot[10], "and unpublishes every item");
    check_cache(t->c, "clear");
    cache_set_budget(t->c, 0);
    toy_put(t, 1, 16);
    ok(t->slot[1] == NULL, "a zero budget caches nothing");
    toy_free(t);

    /* The charges are what malloc really uses: fill a cache and compare with mallinfo. */
    t = toy_new((size_t)64 << 20);
    {
        struct mallinfo2 m0 = mallinfo2(), m1;
        size_t grew;

        for (int k = 0; k < TOY_KEYS; k++)
            toy_put(t, k, 100 + (size_t)k * 13);
        m1 = mallinfo2();
        cache_stats_get(t->c, &st);
        grew = m1.uordblks - m0.uordblks;
        walk_count = 0;
        cache_walk(t->c, count_item, NULL);
        is_int(walk_count, TOY_KEYS, "cache_walk visits every resident item");
        if (m0.uordblks == 0 && m1.uordblks == 0)
            ok(1, "# SKIP mallinfo2 reports nothing under this allocator");
        else
            ok(grew >= st.used_bytes - TOY_KEYS * CACHE_MALLOC_OVERHEAD &&
                   grew <= st.used_bytes + 4096,
               "malloc's in-use bytes grew by what the cache charges (%zu vs %llu)", grew,
               (unsigned long long)st.used_bytes);
    }
    check_cache(t->c, "a fill of varied sizes");
    toy_free(t);
}

/* ---- Threads ----------------------------------------------------------------------------- */

#define TT_THREADS 4
#define TT_KEYS 64

struct tt_arg {
    struct toy *t;
    unsigned seed;
    int writer_pct;
    long ops;
    long bad;       /* malformed or stale reads seen */
    long hits;
};

static unsigned tt_rand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void *tt_main(void *arg)
{
    struct tt_arg *a = arg;

    for (long i = 0; i < a->ops; i++) {
        int key = (int)(tt_rand(&a->seed) % TT_KEYS);
        unsigned op = tt_rand(&a->seed) % 100;

        if (op < (unsigned)a->writer_pct) {
            toy_put(a->t, key, 12 + tt_rand(&a->seed) % 200);
        } else if (op < (unsigned)a->writer_pct + 3) {
            toy_del(a->t, key);
        } else {
            pthread_rwlock_t *l = &a->t->lock[key % TOY_LOCKS];
            struct cache_item *it;
            uint64_t ver = 0, latest;

            /* A published item must hold the key's current version, never an older one. */
            omk_rwlock_rdlock(l);
            it = a->t->slot[key];
            latest = a->t->current[key];
            if (it)
                cache_pin(it);
            omk_rwlock_unlock(l);
            if (it) {
                cache_note_hit(a->t->c, it);
                if (!toy_value_ok(it->data, it->len, key, &ver) || ver != latest)
                    a->bad++;
                a->hits++;
                cache_unpin(it);
            }
        }
    }
    return NULL;
}

static void test_threads(void)
{
    struct toy *t = toy_new(16 * charge_of(110));
    struct tt_arg a[TT_THREADS];
    pthread_t th[TT_THREADS];
    struct cache_stats st;
    long bad = 0, hits = 0;

    for (int i = 0; i < TT_THREADS; i++) {
        a[i] = (struct tt_arg){ .t = t, .seed = 17u + (unsigned)i, .writer_pct = 30,
                                .ops = 40000 };
        omk_thread_create(&th[i], tt_main, &a[i]);
    }
    /* Meanwhile, shrink and grow the budget, evicting from this thread too. */
    for (int r = 0; r < 200; r++)
        cache_set_budget(t->c, (size_t)(r % 3 + 1) * 8 * charge_of(110));
    for (int i = 0; i < TT_THREADS; i++) {
        omk_thread_join(th[i]);
        bad += a[i].bad;
        hits += a[i].hits;
    }
    cache_stats_get(t->c, &st);
    is_int(bad, 0, "threads reading, writing and evicting: no malformed or stale value");
    ok(hits > 0 && st.evictions > 0, "there were hits (%ld) and evictions (%llu)", hits,
       (unsigned long long)st.evictions);
    check_cache(t->c, "the threads");
    /* Every slot's item is resident, every resident item published: nothing leaked. */
    walk_count = 0;
    cache_walk(t->c, count_item, NULL);
    {
        size_t published = 0;

        for (int k = 0; k < TT_KEYS; k++)
            published += t->slot[k] != NULL;
        is_int(published, walk_count, "published items = resident items (%zu)", walk_count);
    }
    toy_free(t);
}

/* ---- The store over the cache -------------------------------------------------------------- */

static void test_store_hits(void)
{
    struct fx_store_opts o = { .maxmemory = (size_t)8 << 20 };
    char *dir = fx_tmpdir_new("cache");
    struct store *s = fx_store_open(dir, &o);
    struct store_stats a, b;
    struct store_val *v1, *v2;
    long long n;
    size_t len;

    is_int(fx_set_str(s, 0, "k", "v1", 0), STORE_OK, "set k");
    a = fx_stats(s);
    ok(fx_str_is(s, 0, "k", "v1"), "get k after set");
    b = fx_stats(s);
    ok(b.cache_hits == a.cache_hits + 1 && b.rocks_reads == a.rocks_reads,
       "write-through: the first GET is a hit and reads no RocksDB");
    is_int(b.cache_items, 1, "one item cached");
    ok(b.cache_used_bytes > 0 && b.cache_used_bytes <= b.cache_maxmemory, "its bytes counted");
    fx_check_store(s, "a write-through");

    store_close(s);
    s = fx_store_open(dir, &o);
    a = fx_stats(s);
    ok(fx_str_is(s, 0, "k", "v1"), "after a reopen k reads from RocksDB");
    b = fx_stats(s);
    ok(b.cache_misses == a.cache_misses + 1 && b.rocks_reads == a.rocks_reads + 1,
       "a miss: one RocksDB read");
    for (int i = 0; i < 5; i++)
        fx_str_is(s, 0, "k", "v1");
    a = fx_stats(s);
    ok(a.cache_hits == b.cache_hits + 5 && a.rocks_reads == b.rocks_reads,
       "the miss filled the cache: five hits, no more RocksDB reads");
    fx_check_store(s, "a fill");

    /* Coherence: every kind of write replaces or drops the cached value. */
    fx_set_str(s, 0, "k", "v2", 0);
    ok(fx_str_is(s, 0, "k", "v2"), "SET replaces the cached value");
    is_int(store_append(s, 0, FX_SL("k"), FX_SL("+x"), 1000, &len), STORE_OK, "append");
    ok(fx_str_is(s, 0, "k", "v2+x"), "APPEND is seen");
    fx_set_str(s, 0, "n", "41", 0);
    fx_str_is(s, 0, "n", "41");
    is_int(store_incrby(s, 0, FX_SL("n"), 1, &n), STORE_OK, "incr");
    ok(fx_str_is(s, 0, "n", "42"), "INCR is seen");
    is_int(store_rename(s, 0, FX_SL("k"), FX_SL("k2"), 0), STORE_OK, "rename k k2");
    ok(fx_str_is(s, 0, "k", NULL) && fx_str_is(s, 0, "k2", "v2+x"), "RENAME moves the value");
    is_int(store_del(s, 0, FX_SL("k2")), STORE_OK, "del k2");
    ok(fx_str_is(s, 0, "k2", NULL), "DEL drops it");
    fx_set_str(s, 0, "e", "soon", 0);
    fx_str_is(s, 0, "e", "soon");
    is_int(store_expire(s, 0, FX_SL("e"), omk_now_ms() - 1, 0), STORE_OK, "expire e in the past");
    ok(fx_str_is(s, 0, "e", NULL), "EXPIRE in the past drops it");
    fx_set_str(s, 0, "e", "later", 0);
    is_int(store_expire(s, 0, FX_SL("e"), omk_now_ms() + 100000, 0), STORE_OK, "expire e later");
    is_int(store_get(s, 0, FX_SL("e"), &v1), STORE_OK, "get e");
    ok(v1->expire_ms > omk_now_ms(), "the cached value carries the new expiry");
    store_val_release(v1);
    fx_check_store(s, "coherence writes");

    /* A value a reply holds outlives every change of its key. */
    fx_set_str(s, 0, "p", "pinned-value", 0);
    is_int(store_get(s, 0, FX_SL("p"), &v1), STORE_OK, "get p");
    is_int(store_get(s, 0, FX_SL("p"), &v2), STORE_OK, "get p again");
    ok(v1->data == v2->data, "both replies share the cached bytes (no copy)");
    v2->data += 7; /* GETRANGE narrows its own view only */
    v2->len -= 7;
    fx_set_str(s, 0, "p", "new", 0);
    store_del(s, 0, FX_SL("p"));
    store_flush(s, 0);
    ok(v1->len == 12 && memcmp(v1->data, "pinned-value", 12) == 0 && v2->len == 5 &&
           memcmp(v2->data, "value", 5) == 0,
       "after SET, DEL and FLUSHDB the held values are intact");
    store_val_release(v2);
    store_val_release(v1);
    b = fx_stats(s);
    is_int(b.cache_items, 0, "FLUSHDB emptied the cache");
    ok(fx_str_is(s, 0, "n", NULL), "and the keys are gone");
    fx_check_store(s, "a flush");

    /* A failed RocksDB write leaves the cache as it was. */
    fx_set_str(s, 0, "f", "old", 0);
    store_test_fail_next(s, ROCKS_OP_WRITE, STORE_ERR_IO);
    is_int(fx_set_str(s, 0, "f", "new", 0), STORE_ERR_IO, "an injected write error");
    a = fx_stats(s);
    ok(fx_str_is(s, 0, "f", "old"), "the old value is still served");
    b = fx_stats(s);
    ok(b.cache_hits == a.cache_hits + 1, "from the cache");
    fx_check_store(s, "a failed write");

    /* SET ... GET returns the old value from the cache. */
    {
        struct store_val *old = NULL;

        a = fx_stats(s);
        is_int(store_set(s, 0, FX_SL("f"), FX_SL("newer"), STORE_SET_GET, 0, &old), STORE_OK,
               "set f GET");
        b = fx_stats(s);
        ok(old && old->len == 3 && memcmp(old->data, "old", 3) == 0 &&
               b.rocks_reads == a.rocks_reads,
           "the old value came from the cache");
        store_val_release(old);
        ok(fx_str_is(s, 0, "f", "newer"), "and the new one is served");
    }

    /* Values longer than the threshold bypass the cache. */
    store_set_cache_max_value(s, 100);
    {
        char big[200];
        struct store_stats c0, c1;

        memset(big, 'b', sizeof(big));
        store_set(s, 0, FX_SL("big"), fx_sl_n(big, sizeof(big)), 0, 0, NULL);
        c0 = fx_stats(s);
        is_int(store_get(s, 0, FX_SL("big"), &v1), STORE_OK, "get big");
        store_val_release(v1);
        is_int(store_get(s, 0, FX_SL("big"), &v1), STORE_OK, "get big again");
        store_val_release(v1);
        c1 = fx_stats(s);
        ok(c1.rocks_reads == c0.rocks_reads + 2 && c1.cache_items == c0.cache_items,
           "a value over cache-max-value-size is read from RocksDB each time");
    }
    store_set_cache_max_value(s, STORE_CACHE_MAX_VALUE_DEFAULT);
    fx_check_store(s, "bypass");
    store_close(s);
    fx_tmpdir_rm(dir);
}

/* A data set ten times the budget, read in a skewed order: correct values, the budget
 * kept, then shrunk live and the cache disabled. */
static void test_store_budget(void)
{
    char *dir = fx_tmpdir_new("cache");
    struct store *s = fx_store_open(dir, &(struct fx_store_opts){ .maxmemory = 256 * 1024 });
    struct store_stats st;
    char key[32], val[1024];
    unsigned seed = 5;
    long wrong = 0;
    size_t over = 0;

    for (int i = 0; i < 2500; i++) {
        snprintf(key, sizeof(key), "key:%06d", i);
        memset(val, 'a' + i % 26, sizeof(val));
        snprintf(val, sizeof(val), "%06d", i);
        store_set(s, 0, fx_sl(key),
                  fx_sl_n(val, sizeof(val)), 0, 0, NULL);
    }
    for (int r = 0; r < 20000; r++) {
        /* Skewed: half the reads go to the first 100 keys. */
        unsigned x = tt_rand(&seed);
        int i = (x & 1) ? (int)(x / 2 % 100) : (int)(x / 2 % 2500);
        struct store_val *v;

        snprintf(key, sizeof(key), "key:%06d", i);
        if (store_get(s, 0, fx_sl(key), &v) != STORE_OK) {
            wrong++;
            continue;
        }
        snprintf(val, sizeof(val), "%06d", i);
        wrong += v->len != 1024 || memcmp(v->data, val, 6) != 0 ||
                 v->data[1023] != 'a' + i % 26;
        store_val_release(v);
        if ((r & 1023) == 0) {
            st = fx_stats(s);
            over += st.cache_used_bytes > st.cache_maxmemory;
        }
    }
    st = fx_stats(s);
    is_int(wrong, 0, "2.5 MB read through a 256 KB cache: every value correct");
    is_int(over, 0, "the used bytes never passed the budget");
    ok(st.cache_evictions > 0 && st.cache_hits > st.cache_misses / 4,
       "evictions (%llu), and the hot keys hit (%llu hits, %llu misses)",
       (unsigned long long)st.cache_evictions, (unsigned long long)st.cache_hits,
       (unsigned long long)st.cache_misses);
    fx_check_store(s, "a data set larger than the budget");

    store_set_maxmemory(s, 32 * 1024);
    st = fx_stats(s);
    ok(st.cache_maxmemory == 32 * 1024 && st.cache_used_bytes <= 32 * 1024,
       "store_set_maxmemory shrinks at once (%llu bytes used)",
       (unsigned long long)st.cache_used_bytes);
    fx_check_store(s, "a shrink");
    store_set_maxmemory(s, 1);
    st = fx_stats(s);
    is_int(st.cache_items, 0, "maxmemory 1 disables the cache");
    {
        struct store_val *v = NULL;

        ok(store_get(s, 0, FX_SL("key:000007"), &v) == STORE_OK && v->len == 1024 &&
               memcmp(v->data, "000007", 6) == 0,
           "values still read");
        store_val_release(v);
    }
    st = fx_stats(s);
    is_int(st.cache_items, 0, "and are not cached");
    store_set_maxmemory(s, 0);
    st = fx_stats(s);
    ok(st.cache_maxmemory == store_cache_budget_of(0) && st.cache_maxmemory > (64u << 20),
       "maxmemory 0 means the default share of RAM (%llu MB)",
       (unsigned long long)(st.cache_maxmemory >> 20));
    fx_check_store(s, "budget changes");
    store_close(s);
    fx_tmpdir_rm(dir);
}

/* A writer and readers on the same keys, with evictions: no reader may see a version
 * older than one whose SET had returned before its GET began. */
#define CO_KEYS 16
#define CO_READERS 3

struct co_state {
    struct store *s;
    atomic_llong committed[CO_KEYS]; /* last version whose SET returned */
    atomic_int stop;
    atomic_long stale, wrong, reads;
};

static void *co_writer(void *arg)
{
    struct co_state *co = arg;
    char key[16], val[64];

    for (long ver = 1; ver <= 6000; ver++) {
        int k = (int)(ver % CO_KEYS);
        int n = snprintf(val, sizeof(val), "%ld|%0*d", ver, (int)(ver % 40), 0);

        snprintf(key, sizeof(key), "co:%d", k);
        OMK_ASSERT(store_set(co->s, 0, fx_sl(key),
                             fx_sl_n(val, (size_t)n), 0, 0, NULL) == STORE_OK);
        atomic_store(&co->committed[k], ver);
        if (ver % 500 == 0) /* shake the cache: evict everything now and then */
            store_set_maxmemory(co->s, ver % 1000 ? 1 : 4096);
    }
    atomic_store(&co->stop, 1);
    return NULL;
}

static void *co_reader(void *arg)
{
    struct co_state *co = arg;
    unsigned seed = (unsigned)(uintptr_t)&seed;
    char key[16];

    while (!atomic_load(&co->stop)) {
        int k = (int)(tt_rand(&seed) % CO_KEYS);
        long long before = atomic_load(&co->committed[k]), ver;
        struct store_val *v;
        int rc;

        snprintf(key, sizeof(key), "co:%d", k);
        rc = store_get(co->s, 0, fx_sl(key), &v);
        if (rc == STORE_NOTFOUND) {
            if (before > 0)
                atomic_fetch_add(&co->stale, 1);
            continue;
        }
        OMK_ASSERT(rc == STORE_OK);
        if (!omk_str2ll(v->data, (size_t)((const char *)memchr(v->data, '|', v->len) -
                                           v->data), &ver) || ver % CO_KEYS != k)
            atomic_fetch_add(&co->wrong, 1);
        else if (ver < before)
            atomic_fetch_add(&co->stale, 1);
        atomic_fetch_add(&co->reads, 1);
        store_val_release(v);
    }
    return NULL;
}

static void test_store_coherence(void)
{
    char *dir = fx_tmpdir_new("cache");
    struct co_state *co = omk_calloc(1, sizeof(*co));
    pthread_t w, r[CO_READERS];
    struct store_stats st;

    co->s = fx_store_open(dir, &(struct fx_store_opts){ .maxmemory = 4096 });
    omk_thread_create(&w, co_writer, co);
    for (int i = 0; i < CO_READERS; i++)
        omk_thread_create(&r[i], co_reader, co);
    omk_thread_join(w);
    for (int i = 0; i < CO_READERS; i++)
        omk_thread_join(r[i]);
    st = fx_stats(co->s);
    is_int(atomic_load(&co->wrong), 0, "concurrent writer and readers: no malformed value");
    is_int(atomic_load(&co->stale), 0, "no reader saw a value older than a finished SET");
    ok(atomic_load(&co->reads) > 0 && st.cache_hits > 0 && st.cache_misses > 0,
       "%ld reads, %llu hits, %llu misses, %llu evictions", atomic_load(&co->reads),
       (unsigned long long)st.cache_hits, (unsigned long long)st.cache_misses,
       (unsigned long long)st.cache_evictions);
    fx_check_store(co->s, "the concurrent writer and readers");
    store_close(co->s);
    omk_free(co);
    fx_tmpdir_rm(dir);
}

/* GET throughput in-process, hot set cached vs the cache disabled (maxmemory 1). */
static double get_rate(struct store *s, int keys, int reads)
{
    char key[32];
    int64_t t0 = omk_mono_us(), t;
    unsigned seed = 9;

    for (int r = 0; r < reads; r++) {
        struct store_val *v;

        snprintf(key, sizeof(key), "t:%08u", tt_rand(&seed) % (unsigned)keys);
        OMK_ASSERT(store_get(s, 0, fx_sl(key), &v) == STORE_OK);
        store_val_release(v);
    }
    t = omk_mono_us() - t0;
    return (double)reads * 1e6 / (double)(t > 0 ? t : 1);
}

static void test_store_throughput(void)
{
    char *dir = fx_tmpdir_new("cache");
    struct store *s = fx_store_open(dir, &(struct fx_store_opts){ .maxmemory = (size_t)64 << 20 });
    char key[32], val[100];
    const int keys = 20000, reads = 200000;
    double on, off;
    struct store_stats a, b;

    memset(val, 'v', sizeof(val));
    for (int i = 0; i < keys; i++) {
        snprintf(key, sizeof(key), "t:%08d", i);
        store_set(s, 0, fx_sl(key),
                  fx_sl_n(val, sizeof(val)), 0, 0, NULL);
    }
    get_rate(s, keys, keys); /* warm both the cache and RocksDB's block cache */
    a = fx_stats(s);
    on = get_rate(s, keys, reads);
    b = fx_stats(s);
    ok(b.rocks_reads == a.rocks_reads, "a hot set that fits: %d GETs read no RocksDB", reads);
    store_set_maxmemory(s, 1);
    get_rate(s, keys, keys);
    a = fx_stats(s);
    off = get_rate(s, keys, reads);
    b = fx_stats(s);
    is_int(b.rocks_reads - a.rocks_reads, reads, "with maxmemory 1 every GET reads RocksDB");
    /* A figure, not an assertion: sanitizer builds and a loaded machine distort it. */
    diag("GET, 20k keys x 100 B, one thread: %.0f/s cached, %.0f/s with maxmemory 1 (x%.1f)",
         on, off, on / off);
    store_close(s);
    fx_tmpdir_rm(dir);
}

int main(void)
{
    test_sieve_order();
    test_bytes();
    test_threads();
    test_store_hits();
    test_store_budget();
    test_store_coherence();
    test_store_throughput();
    return tap_done();
}
