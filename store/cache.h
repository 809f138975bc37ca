/* cache.h - the value cache (module-private to store/): hot values held in RAM under a
 * byte budget, evicted by SIEVE (HOW IT WORKS in cache.c). It is a set of refcounted
 * items and an eviction queue, not a map: the cache never finds a value by key. Its
 * owner (the store) keeps the pointer to each item somewhere it can find by key (the
 * 'loc' word of the key's index entry), so a hit costs the owner's one lookup.
 *
 * The owner protocol (what the store does; tests/unit/test_cache.c does it with a toy
 * table):
 *   - make an item with cache_item_new() (the caller holds its one pin), cache_admit()
 *     it, then publish the pointer under the owner's lock unless it is already 'dead'
 *     (an eviction got there first); set 'owner' when publishing.
 *   - a reader finds the pointer under the owner's lock and cache_pin()s it before the
 *     lock is dropped; it reads the bytes, then cache_unpin()s. Eviction never frees an
 *     item a reader still pins.
 *   - to replace or drop a value, under the owner's lock: pin the item, unpublish the
 *     pointer, clear 'owner', set 'dead'; after the lock: cache_remove(), cache_unpin().
 *     (Without the pin, an eviction that picked the item may free it once the lock is
 *     dropped.)
 *   - the detach callback (eviction) does the same under the owner's lock; the cache
 *     drops its own reference only after the callback returned.
 *
 * Threads: every function may be called from any thread. One mutex guards the queue and
 * the accounting; hits take no lock (a relaxed store of the SIEVE bit). The detach
 * callback runs with no cache lock held. Lock order: the owner's locks may be held
 * around cache_pin/unpin/note_* calls but never around cache_admit, cache_set_budget
 * or cache_clear, which call the detach callback (which takes the owner's lock).
 *
 * Caveats: an item is charged from when cache_admit() links it to when it is evicted or
 * removed; an evicted item that a reply still pins is no longer charged (its bytes are
 * the reply's until it is unpinned). */
#ifndef OMK_STORE_CACHE_H
#define OMK_STORE_CACHE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Status codes: 0 OK, > 0 expected outcomes. */
enum cache_rc {
    CACHE_OK = 0,
    CACHE_TOOBIG = 1, /* the item alone is larger than the budget: not admitted */
};

#define CACHE_MAX_LEN ((size_t)1 << 30) /* longest value an item can hold (bytes) */

/* glibc's malloc keeps one size word before each chunk it hands out; the budget counts
 * it with malloc_usable_size() so that it charges what the allocator really uses. */
#define CACHE_MALLOC_OVERHEAD sizeof(size_t)

/* One cached value. Fields marked "owner" belong to the cache's owner and are guarded
 * by the owner's lock for this item (the store: the index shard 'tag'); the cache reads
 * none of them except to pass the item to the detach callback. */
struct cache_item {
    struct cache_item *newer;  /* queue link toward the head, the newest (cache mutex) */
    struct cache_item *older;  /* queue link toward the tail, the oldest (cache mutex) */
    void *owner;               /* owner: where the item is published (the index entry),
                                * NULL while unpublished */
    int64_t expire_ms;         /* absolute expiry of the value, Unix ms, 0: none; immutable */
    uint32_t len;              /* payload bytes at 'data'; immutable */
    uint32_t charge;           /* bytes counted against the budget (header, payload and
                                * the allocator's overhead, plus what the owner adds for
                                * its own table before cache_admit); immutable once
                                * admitted */
    uint32_t tag;              /* owner: which owner lock guards the item (the store: the
                                * index shard); set before cache_admit, then immutable */
    _Atomic uint32_t refs;     /* pins, plus 1 while the cache holds it */
    atomic_uchar visited;      /* SIEVE: set by a hit (relaxed), cleared by the hand */
    unsigned char resident;    /* 1 while linked in the queue (cache mutex) */
    unsigned char dead;        /* owner: 1 once unpublished or evicted: never publish it */
    char data[];               /* 'len' bytes */
};

/* Called once for each evicted item, from the evicting thread, with no cache lock held
 * and before the cache drops its reference: unpublish 'it' (under the owner's lock: if
 * 'it->owner' is set, clear the pointer there and 'it->owner'; always set 'it->dead'),
 * so that no reader can pin it afterwards. 'arg' is cache_new()'s. */
typedef void cache_detach_fn(void *arg, struct cache_item *it);

struct cache;

/* A new empty cache holding at most 'budget' bytes; 'detach' (with 'arg') unpublishes
 * evicted items. Never NULL. Free with cache_free(). */
struct cache *cache_new(size_t budget, cache_detach_fn *detach, void *arg);

/* Drop the cache's reference to every item (without calling detach: the owner is going
 * away too) and free 'c'. Items still pinned live until their last cache_unpin(). No
 * other thread may use 'c'. NULL is a no-op. */
void cache_free(struct cache *c);

/* A new item holding a copy of 'p'/'len' (len <= CACHE_MAX_LEN) that expires at
 * 'expire_ms', tagged 'tag'; with 'p' NULL its 'len' bytes are left for the caller to
 * fill before anyone else sees it. Not in any cache yet; the caller holds its only pin
 * (drop it with cache_unpin()). Never NULL. */
struct cache_item *cache_item_new(const void *p, size_t len, int64_t expire_ms, uint32_t tag);

/* Add a pin to 'it'. The caller must know 'it' is alive: it holds a pin already, or it
 * found 'it' published under the owner's lock and still holds that lock. */
void cache_pin(struct cache_item *it);

/* Drop a pin (or the cache's reference); the last one frees the item. NULL: no-op. */
void cache_unpin(struct cache_item *it);

/* Values shorter than this many bytes fit the current budget (0: not even an empty
 * one does), ignoring the allocator's rounding. Lock-free; the answer may be stale by
 * the time the caller admits. */
size_t cache_len_limit(struct cache *c);

/* Make pinned item 'it' (never admitted) resident: charge it and link it at the head of
 * the queue with its SIEVE bit clear; the cache takes its own reference. First evicts
 * (calling detach for each, then dropping the cache's reference) until it fits, so the
 * used bytes never exceed the budget. Returns CACHE_OK, or CACHE_TOOBIG when 'it'
 * alone exceeds the budget (nothing changed). The caller keeps its pin either way. */
int cache_admit(struct cache *c, struct cache_item *it);

/* Unlink item 'it', which the owner has already unpublished and which the caller pins,
 * and drop the cache's reference. No-op if 'it' is not resident (never admitted, or
 * evicted meanwhile: the evictor drops that reference). Not counted as an eviction. */
void cache_remove(struct cache *c, struct cache_item *it);

/* A hit on pinned item 'it': set its SIEVE bit and count a hit. Lock-free. */
void cache_note_hit(struct cache *c, struct cache_item *it);

/* Count a miss (the value had to be read elsewhere). Lock-free. */
void cache_note_miss(struct cache *c);

/* Change the budget to 'budget' bytes, evicting at once until the used bytes fit. */
void cache_set_budget(struct cache *c, size_t budget);

/* Evict every item (calling detach for each). Hits, misses and evictions stay counted. */
void cache_clear(struct cache *c);

struct cache_stats {
    uint64_t used_bytes; /* sum of the resident items' charges */
    uint64_t budget;     /* bytes */
    uint64_t items;      /* resident items */
    uint64_t hits, misses, evictions, admits;
};

/* A snapshot of the counters of 'c' (takes the mutex briefly). */
void cache_stats_get(struct cache *c, struct cache_stats *st);

/* Called by cache_walk() for each resident item, oldest first, with the cache mutex
 * held: it must not call into the cache. Return 0 to go on, non-zero to stop. */
typedef int cache_walk_fn(struct cache_item *it, void *arg);

/* Walk the resident items from the tail (oldest) to the head. Returns the callback's
 * non-zero value that stopped it, or 0. */
int cache_walk(struct cache *c, cache_walk_fn *fn, void *arg);

/* Self-check: walk the queue and verify the links both ways, that every linked item is
 * resident with a reference, that the hand is in the queue, that the item count and the
 * charges add up to the counters, and that the used bytes are within the budget.
 * Returns 0, or -1 with the first fault in 'err' (NUL-terminated). O(items), under the
 * mutex. */
int cache_check(struct cache *c, char *err, size_t errlen);

#endif
