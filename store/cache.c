/* cache.c - the value cache: refcounted items in one SIEVE queue under a byte budget
 * (the contract is in cache.h). The store finds an item through the index entry of its
 * key; this file only decides which items stay, counts their bytes and frees them when
 * nobody needs them any more.
 * Invariant: the resident items are exactly the ones linked in the queue, each holds
 * one reference for the cache, and their charges add up to 'used' <= 'budget'.
 *
 * HOW IT WORKS (SIEVE, Zhang et al., NSDI 2024). One FIFO queue: new items enter at the
 * head with their 'visited' bit clear; a hit only sets the bit. To evict, a hand walks
 * from where it last stopped toward the head (wrapping from the head to the tail): a
 * visited item gets its bit cleared and stays where it is, the first unvisited item is
 * evicted, and the hand stays just newer than it. Items are never moved on a hit.
 *
 * Why SIEVE, and not plain LRU or S3-FIFO:
 *  - Scan resistance. A one-pass scan inserts items that are never hit again. The hand,
 *    having cleared the bits of the older hot items once, sits among those new
 *    unvisited items and evicts them one by one as the scan inserts more, so the scan
 *    churns a small window near the head while the hot items (their bits set again by
 *    their next hit) stay. LRU moves every scanned item to the front and pushes the hot
 *    set out. bench/cache-bench.c measures both on zipfian 0.99, zipfian with a
 *    one-pass scan mixed in, and uniform traces.
 *  - Concurrency. A hit writes one byte (and skips even that when the bit is set), with
 *    no lock and no list surgery, so readers on several workers never serialise on the
 *    cache; LRU needs a locked move-to-front on every hit. The mutex is taken only to
 *    admit (after a RocksDB read or write, which costs microseconds anyway) and evict.
 *  - No second hash table. S3-FIFO's ghost queue remembers evicted keys, which needs a
 *    lookup structure by key hash beside the index; SIEVE needs nothing but the queue,
 *    so the index entry stays the only way to a value.
 *
 * Variable sizes: admitting an item of charge C evicts until used + C <= budget (an
 * item larger than the whole budget is refused), so the budget always holds. The hand
 * gives up after one full lap of set bits (readers may set them faster than it clears
 * them) and evicts the item under it.
 *
 * One mutex, no shards, because measurement says it is enough: on this 2-core VM
 * (loaded), admit-and-evict runs at 11 M/s from one thread and 14 M/s from two, while
 * each admit follows a RocksDB read or write of several microseconds; even at 1 M
 * misses/s the mutex would be busy about a tenth of the time. Hits never take it.
 *
 * Evicting runs in two steps so that no owner lock is ever taken under the mutex: under
 * the mutex the victims are unlinked and uncharged (the cache's reference now belongs
 * to the evictor), then, without it, each is detached from its owner and unpinned. An
 * item is freed by whoever drops its last reference: a reply still sending it keeps it
 * alive after eviction. */
#include "config.h"

#include "store/cache.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"

#define CACHE_EVICT_BATCH 64 /* victims unlinked per hold of the mutex */
#define CACHE_CTR_STRIPES 16 /* hit/miss counters, one cache line each (a power of two) */

/* Hit and miss counters of one stripe: a thread always adds to the same stripe, so two
 * workers rarely share a cache line on the hot path. */
struct cache_ctr {
    atomic_uint_fast64_t hits;
    atomic_uint_fast64_t misses;
} __attribute__((aligned(64)));

struct cache {
    pthread_mutex_t mu;           /* guards everything below but the counters stripes */
    struct cache_item *head;      /* newest item (mu) */
    struct cache_item *tail;      /* oldest item (mu) */
    struct cache_item *hand;      /* SIEVE hand; NULL: start at the tail (mu) */
    size_t used;                  /* bytes charged by resident items (mu) */
    _Atomic size_t budget;        /* bytes; written under mu, read anywhere */
    size_t items;                 /* resident items (mu) */
    uint64_t evictions;           /* items evicted to make room or to shrink (mu) */
    uint64_t admits;              /* items made resident (mu) */
    cache_detach_fn *detach;      /* immutable */
    void *detach_arg;             /* immutable */
    struct cache_ctr ctr[CACHE_CTR_STRIPES];
};

static atomic_uint cache_next_stripe;               /* hands out stripes to threads */
static _Thread_local unsigned cache_stripe_plus1;   /* this thread's stripe + 1; 0: none */

/* This thread's counter stripe. */
static struct cache_ctr *cache_my_ctr(struct cache *c)
{
    if (cache_stripe_plus1 == 0)
        cache_stripe_plus1 = 1 + (atomic_fetch_add(&cache_next_stripe, 1) &
                                  (CACHE_CTR_STRIPES - 1));
    return &c->ctr[cache_stripe_plus1 - 1];
}

/* ---- Items ------------------------------------------------------------------------- */

struct cache_item *cache_item_new(const void *p, size_t len, int64_t expire_ms, uint32_t tag)
{
    struct cache_item *it;
    size_t charge;

    OMK_ASSERT(len <= CACHE_MAX_LEN);
    it = omk_malloc(sizeof(*it) + len);
    charge = malloc_usable_size(it) + CACHE_MALLOC_OVERHEAD;
    OMK_ASSERT(charge <= UINT32_MAX);
    it->newer = it->older = NULL;
    it->owner = NULL;
    it->expire_ms = expire_ms;
    it->len = (uint32_t)len;
    it->charge = (uint32_t)charge;
    it->tag = tag;
    atomic_init(&it->refs, 1);
    atomic_init(&it->visited, 0);
    it->resident = 0;
    it->dead = 0;
    if (len && p)
        memcpy(it->data, p, len);
    return it;
}

void cache_pin(struct cache_item *it)
{
    uint32_t old = atomic_fetch_add_explicit(&it->refs, 1, memory_order_relaxed);

    OMK_ASSERT(old > 0 && old < UINT32_MAX);
}

void cache_unpin(struct cache_item *it)
{
    uint32_t old;

    if (!it)
        return;
    old = atomic_fetch_sub_explicit(&it->refs, 1, memory_order_acq_rel);
    OMK_ASSERT(old > 0);
    if (old == 1)
        omk_free(it);
}

/* ---- The queue (caller holds c->mu) --------------------------------------------------- */

/* Link 'it' at the head, unvisited, and charge it. */
static void cache_link(struct cache *c, struct cache_item *it)
{
    it->older = c->head;
    it->newer = NULL;
    if (c->head)
        c->head->newer = it;
    else
        c->tail = it;
    c->head = it;
    atomic_store_explicit(&it->visited, 0, memory_order_relaxed);
    it->resident = 1;
    c->used += it->charge;
    c->items++;
    c->admits++;
}

/* Unlink resident 'it' and uncharge it; the hand, if on it, moves one step newer (where
 * SIEVE would go next). The cache's reference passes to the caller. */
static void cache_unlink(struct cache *c, struct cache_item *it)
{
    OMK_ASSERT(it->resident);
    if (c->hand == it)
        c->hand = it->newer;
    if (it->newer)
        it->newer->older = it->older;
    else
        c->head = it->older;
    if (it->older)
        it->older->newer = it->newer;
    else
        c->tail = it->newer;
    it->newer = it->older = NULL;
    it->resident = 0;
    c->used -= it->charge;
    c->items--;
}

/* SIEVE: the next victim (the queue is not empty). Clears the bits it passes; after one
 * lap of set bits it takes the item under the hand anyway. */
static struct cache_item *cache_pick(struct cache *c)
{
    struct cache_item *p = c->hand ? c->hand : c->tail;

    for (size_t steps = 0; steps < c->items; steps++) {
        if (!atomic_load_explicit(&p->visited, memory_order_relaxed))
            break;
        atomic_store_explicit(&p->visited, 0, memory_order_relaxed);
        p = p->newer ? p->newer : c->tail;
    }
    c->hand = p; /* cache_unlink() then moves it one step newer */
    return p;
}

/* Items evicted under the mutex, to detach after it, in eviction order. */
struct cache_victims {
    struct cache_item *v[CACHE_EVICT_BATCH];
    size_t n;
};

/* Unlink victims into 'vs' (up to a batch) while more than 'target' bytes are used.
 * Returns how many. */
static size_t cache_evict_to(struct cache *c, size_t target, struct cache_victims *vs)
{
    vs->n = 0;
    while (c->used > target && vs->n < CACHE_EVICT_BATCH) {
        struct cache_item *v = cache_pick(c);

        cache_unlink(c, v);
        vs->v[vs->n++] = v;
        c->evictions++;
    }
    return vs->n;
}

/* Detach each victim from its owner, then drop the cache's reference. No lock held. */
static void cache_release_victims(struct cache *c, struct cache_victims *vs)
{
    for (size_t i = 0; i < vs->n; i++) {
        c->detach(c->detach_arg, vs->v[i]);
        cache_unpin(vs->v[i]);
    }
    vs->n = 0;
}

/* ---- The cache ----------------------------------------------------------------------- */

struct cache *cache_new(size_t budget, cache_detach_fn *detach, void *arg)
{
    struct cache *c = omk_calloc(1, sizeof(*c));

    OMK_ASSERT(detach != NULL);
    omk_mutex_init(&c->mu);
    atomic_init(&c->budget, budget);
    c->detach = detach;
    c->detach_arg = arg;
    return c;
}

void cache_free(struct cache *c)
{
    if (!c)
        return;
    while (c->head) {
        struct cache_item *it = c->head;

        cache_unlink(c, it);
        cache_unpin(it);
    }
    pthread_mutex_destroy(&c->mu);
    omk_free(c);
}

size_t cache_len_limit(struct cache *c)
{
    size_t budget = atomic_load(&c->budget), fixed = sizeof(struct cache_item) +
                                                    CACHE_MALLOC_OVERHEAD;

    if (budget < fixed)
        return 0;
    return budget - fixed < CACHE_MAX_LEN ? budget - fixed + 1 : CACHE_MAX_LEN + 1;
}

int cache_admit(struct cache *c, struct cache_item *it)
{
    int rc = CACHE_OK;

    OMK_ASSERT(!it->resident && !it->dead);
    omk_mutex_lock(&c->mu);
    for (;;) {
        size_t budget = atomic_load(&c->budget);
        struct cache_victims vs;

        if (it->charge > budget) {
            rc = CACHE_TOOBIG;
            break;
        }
        cache_evict_to(c, budget - it->charge, &vs);
        if (c->used + it->charge <= budget) {
            cache_pin(it); /* the cache's reference */
            cache_link(c, it);
            omk_mutex_unlock(&c->mu);
            cache_release_victims(c, &vs);
            return CACHE_OK;
        }
        /* A full batch was not enough: detach it without the mutex, then go on. */
        omk_mutex_unlock(&c->mu);
        cache_release_victims(c, &vs);
        omk_mutex_lock(&c->mu);
    }
    omk_mutex_unlock(&c->mu);
    return rc;
}

void cache_remove(struct cache *c, struct cache_item *it)
{
    int drop = 0;

    omk_mutex_lock(&c->mu);
    if (it->resident) {
        cache_unlink(c, it);
        drop = 1;
    }
    omk_mutex_unlock(&c->mu);
    if (drop)
        cache_unpin(it);
}

void cache_note_hit(struct cache *c, struct cache_item *it)
{
    /* Skip the store when the bit is set already: a hot item's line stays clean. */
    if (!atomic_load_explicit(&it->visited, memory_order_relaxed))
        atomic_store_explicit(&it->visited, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&cache_my_ctr(c)->hits, 1, memory_order_relaxed);
}

void cache_note_miss(struct cache *c)
{
    atomic_fetch_add_explicit(&cache_my_ctr(c)->misses, 1, memory_order_relaxed);
}

/* Evict until at most 'target' bytes are used, a batch per hold of the mutex. */
static void cache_shrink(struct cache *c, size_t target)
{
    for (;;) {
        struct cache_victims vs;

        omk_mutex_lock(&c->mu);
        cache_evict_to(c, target, &vs);
        omk_mutex_unlock(&c->mu);
        if (vs.n == 0)
            return;
        cache_release_victims(c, &vs);
    }
}

void cache_set_budget(struct cache *c, size_t budget)
{
    omk_mutex_lock(&c->mu);
    atomic_store(&c->budget, budget);
    omk_mutex_unlock(&c->mu);
    /* Admits that run meanwhile see the new budget, so this converges. */
    cache_shrink(c, budget);
}

void cache_clear(struct cache *c)
{
    cache_shrink(c, 0);
}

void cache_stats_get(struct cache *c, struct cache_stats *st)
{
    memset(st, 0, sizeof(*st));
    for (int i = 0; i < CACHE_CTR_STRIPES; i++) {
        st->hits += atomic_load_explicit(&c->ctr[i].hits, memory_order_relaxed);
        st->misses += atomic_load_explicit(&c->ctr[i].misses, memory_order_relaxed);
    }
    omk_mutex_lock(&c->mu);
    st->used_bytes = c->used;
    st->budget = atomic_load(&c->budget);
    st->items = c->items;
    st->evictions = c->evictions;
    st->admits = c->admits;
    omk_mutex_unlock(&c->mu);
}

int cache_walk(struct cache *c, cache_walk_fn *fn, void *arg)
{
    int rc = 0;

    omk_mutex_lock(&c->mu);
    for (struct cache_item *it = c->tail; it && rc == 0; it = it->newer)
        rc = fn(it, arg);
    omk_mutex_unlock(&c->mu);
    return rc;
}

#define CACHE_FAIL(...) (snprintf(err, errlen, __VA_ARGS__), -1)

int cache_check(struct cache *c, char *err, size_t errlen)
{
    size_t n = 0, bytes = 0;
    int hand_seen = 0, rc = 0;
    const struct cache_item *prev = NULL;

    omk_mutex_lock(&c->mu);
    if ((c->head == NULL) != (c->tail == NULL))
        rc = CACHE_FAIL("head %p and tail %p disagree on emptiness", (void *)c->head,
                        (void *)c->tail);
    for (const struct cache_item *it = c->tail; it && rc == 0; it = it->newer) {
        if (it->older != prev)
            rc = CACHE_FAIL("item %zu from the tail: its older link is wrong", n);
        else if (!it->resident)
            rc = CACHE_FAIL("item %zu from the tail is linked but not resident", n);
        else if (atomic_load(&it->refs) < 1)
            rc = CACHE_FAIL("item %zu from the tail has no reference", n);
        else if (it->charge < sizeof(*it) + it->len)
            rc = CACHE_FAIL("item %zu from the tail is charged %u bytes, less than its "
                            "%zu bytes", n, it->charge, sizeof(*it) + it->len);
        else if (n >= c->items)
            rc = CACHE_FAIL("more items linked than the %zu counted", c->items);
        hand_seen |= it == c->hand;
        bytes += it->charge;
        prev = it;
        n++;
    }
    if (rc == 0 && prev != c->head)
        rc = CACHE_FAIL("the newest linked item is not the head");
    else if (rc == 0 && n != c->items)
        rc = CACHE_FAIL("%zu items linked, %zu counted", n, c->items);
    else if (rc == 0 && bytes != c->used)
        rc = CACHE_FAIL("linked items are charged %zu bytes, %zu counted", bytes, c->used);
    else if (rc == 0 && c->used > atomic_load(&c->budget))
        rc = CACHE_FAIL("%zu bytes used, over the budget of %zu", c->used,
                        atomic_load(&c->budget));
    else if (rc == 0 && c->hand && !hand_seen)
        rc = CACHE_FAIL("the hand points at an item that is not linked");
    omk_mutex_unlock(&c->mu);
    return rc;
}
