/* elemcache.c - the element cache (elemcache.h): a sharded open-addressing table from
 * (collection id, element) to value-cache items. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "store/coll.h"
#include "store/elemcache.h"
#include "store/format.h"
#include "store/store_internal.h"

#define ECACHE_SHARD_BITS 6
#define ECACHE_SHARDS (1u << ECACHE_SHARD_BITS)
#define ECACHE_HEAD 12 /* id (8) and element length (4) before the element */
/* What an entry costs the table, charged to its item: a shard keeps at least two slots
 * (a hash and a pointer each) per entry. */
#define ECACHE_SLOT_CHARGE (2 * (sizeof(uint64_t) + sizeof(struct cache_item *)))

/* One shard: slots of (hash, item), linear probing; 'cap' a power of two or 0. */
struct ecache_shard {
    pthread_mutex_t mu;
    uint64_t *hv;
    struct cache_item **it; /* NULL: empty slot */
    size_t n, cap;
} __attribute__((aligned(STORE_LINE)));

struct ecache {
    struct ecache_shard shard[ECACHE_SHARDS];
};

struct ecache *ecache_new(void)
{
    struct ecache *ec = omk_calloc(1, sizeof(*ec));

    for (unsigned i = 0; i < ECACHE_SHARDS; i++)
        omk_mutex_init(&ec->shard[i].mu);
    return ec;
}

void ecache_free(struct ecache *ec)
{
    if (!ec)
        return;
    for (unsigned i = 0; i < ECACHE_SHARDS; i++) {
        pthread_mutex_destroy(&ec->shard[i].mu);
        omk_free(ec->shard[i].hv);
        omk_free(ec->shard[i].it);
    }
    omk_free(ec);
}

/* The hash of element 'e' of collection 'id': its top bits pick the shard. */
static uint64_t ecache_hash(uint64_t id, struct omk_slice e)
{
    uint64_t h = omk_hash(e.p, e.len) ^ (id * 0x9e3779b97f4a7c15ull);

    return h ^ (h >> 29);
}

static uint64_t ecache_item_id(const struct cache_item *it)
{
    return fmt_u64_get(it->data);
}

static struct omk_slice ecache_item_elem(const struct cache_item *it)
{
    uint32_t elen;

    memcpy(&elen, it->data + 8, 4);
    return (struct omk_slice){it->data + ECACHE_HEAD, elen};
}

struct cache_item *ecache_item_new(uint64_t id, struct omk_slice e, struct omk_slice v)
{
    struct cache_item *it = cache_item_new(NULL, ECACHE_HEAD + e.len + v.len, 0, ECACHE_TAG);
    uint32_t elen = (uint32_t)e.len;

    fmt_u64_put((unsigned char *)it->data, id);
    memcpy(it->data + 8, &elen, 4);
    if (e.len)
        memcpy(it->data + ECACHE_HEAD, e.p, e.len);
    if (v.len)
        memcpy(it->data + ECACHE_HEAD + e.len, v.p, v.len);
    it->charge += ECACHE_SLOT_CHARGE;
    return it;
}

struct omk_slice ecache_item_value(const struct cache_item *it)
{
    struct omk_slice e = ecache_item_elem(it);
    size_t off = ECACHE_HEAD + e.len;

    return (struct omk_slice){it->data + off, it->len - off};
}

static int ecache_item_is(const struct cache_item *it, uint64_t id, struct omk_slice e)
{
    struct omk_slice x = ecache_item_elem(it);

    return ecache_item_id(it) == id && x.len == e.len && memcmp(x.p, e.p, e.len) == 0;
}

static struct ecache_shard *ecache_shard_of(struct ecache *ec, uint64_t h)
{
    return &ec->shard[h >> (64 - ECACHE_SHARD_BITS)];
}

/* The slot of element (id, e) with hash 'h' in 'sh' (locked), or -1. */
static long ecache_find(const struct ecache_shard *sh, uint64_t h, uint64_t id,
                        struct omk_slice e)
{
    if (sh->cap == 0)
        return -1;
    for (size_t i = h & (sh->cap - 1); sh->it[i]; i = (i + 1) & (sh->cap - 1))
        if (sh->hv[i] == h && ecache_item_is(sh->it[i], id, e))
            return (long)i;
    return -1;
}

/* Place (h, it) in a free slot of 'sh' (locked), which has room. */
static void ecache_place(struct ecache_shard *sh, uint64_t h, struct cache_item *it)
{
    size_t i = h & (sh->cap - 1);

    while (sh->it[i])
        i = (i + 1) & (sh->cap - 1);
    sh->hv[i] = h;
    sh->it[i] = it;
}

static void ecache_grow(struct ecache_shard *sh)
{
    uint64_t *hv = sh->hv;
    struct cache_item **its = sh->it;
    size_t cap = sh->cap;

    sh->cap = cap ? 2 * cap : 64;
    sh->hv = omk_calloc(sh->cap, sizeof(*sh->hv));
    sh->it = omk_calloc(sh->cap, sizeof(*sh->it));
    for (size_t i = 0; i < cap; i++)
        if (its[i])
            ecache_place(sh, hv[i], its[i]);
    omk_free(hv);
    omk_free(its);
}

/* Empty slot 'i' of 'sh' (locked) and shift back the run after it, so that probing
 * never stops early. The item's 'owner' is cleared and 'dead' set. */
static void ecache_unslot(struct ecache_shard *sh, size_t i)
{
    size_t mask = sh->cap - 1, j = i;

    sh->it[i]->owner = NULL;
    sh->it[i]->dead = 1;
    sh->it[i] = NULL;
    sh->n--;
    for (;;) {
        size_t home;

        j = (j + 1) & mask;
        if (!sh->it[j])
            return;
        home = sh->hv[j] & mask;
        /* The item at j may move to the hole at i if its home is not in (i, j]. */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            sh->hv[i] = sh->hv[j];
            sh->it[i] = sh->it[j];
            sh->it[j] = NULL;
            i = j;
        }
    }
}

/* Unpublish the entry of element (id, e) with hash 'h' from 'sh' (locked): the item,
 * pinned (alive: its eviction, if any, waits for the lock to detach it), or NULL. */
static struct cache_item *ecache_take(struct ecache_shard *sh, uint64_t h, uint64_t id,
                                      struct omk_slice e)
{
    long i = ecache_find(sh, h, id, e);
    struct cache_item *old;

    if (i < 0)
        return NULL;
    old = sh->it[i];
    cache_pin(old);
    ecache_unslot(sh, (size_t)i);
    return old;
}

/* After the shard lock: take an item ecache_take() returned out of the cache. */
static void ecache_release(struct store *s, struct cache_item *old)
{
    if (!old)
        return;
    cache_remove(s->cache, old);
    cache_unpin(old);
}

struct cache_item *ecache_get(struct store *s, uint64_t id, struct omk_slice e)
{
    uint64_t h = ecache_hash(id, e);
    struct ecache_shard *sh = ecache_shard_of(s->ecache, h);
    struct cache_item *it = NULL;
    long i;

    omk_mutex_lock(&sh->mu);
    i = ecache_find(sh, h, id, e);
    if (i >= 0) {
        it = sh->it[i];
        cache_pin(it);
    }
    omk_mutex_unlock(&sh->mu);
    if (it)
        cache_note_hit(s->cache, it);
    else
        cache_note_miss(s->cache);
    return it;
}

void ecache_put(struct store *s, struct cache_item *it)
{
    struct omk_slice e = ecache_item_elem(it);
    uint64_t id = ecache_item_id(it), h = ecache_hash(id, e);
    struct ecache_shard *sh = ecache_shard_of(s->ecache, h);
    struct cache_item *old;
    int admitted, published = 0;

    if (ecache_item_value(it).len >= store_cache_lim(s)) {
        ecache_drop(s, it);
        return;
    }
    it->tag = ECACHE_TAG | (uint32_t)(sh - s->ecache->shard);
    /* Admit before taking the shard lock: admitting may evict, and eviction takes it. */
    admitted = cache_admit(s->cache, it) == CACHE_OK;
    omk_mutex_lock(&sh->mu);
    old = ecache_take(sh, h, id, e);
    if (admitted && !it->dead) {
        if (2 * (sh->n + 1) > sh->cap)
            ecache_grow(sh);
        ecache_place(sh, h, it);
        sh->n++;
        it->owner = sh;
        published = 1;
    }
    omk_mutex_unlock(&sh->mu);
    ecache_release(s, old);
    if (admitted && !published)
        cache_remove(s->cache, it);
}

void ecache_drop(struct store *s, const struct cache_item *named)
{
    struct omk_slice e = ecache_item_elem(named);
    uint64_t id = ecache_item_id(named), h = ecache_hash(id, e);
    struct ecache_shard *sh = ecache_shard_of(s->ecache, h);
    struct cache_item *old;

    omk_mutex_lock(&sh->mu);
    old = ecache_take(sh, h, id, e);
    omk_mutex_unlock(&sh->mu);
    ecache_release(s, old);
}

void ecache_detach(struct store *s, struct cache_item *it)
{
    struct ecache_shard *sh = &s->ecache->shard[it->tag & ~ECACHE_TAG];

    omk_mutex_lock(&sh->mu);
    if (it->owner) {
        struct omk_slice e = ecache_item_elem(it);
        long i = ecache_find(sh, ecache_hash(ecache_item_id(it), e), ecache_item_id(it), e);

        OMK_ASSERT(i >= 0 && sh->it[i] == it);
        ecache_unslot(sh, (size_t)i);
    }
    it->dead = 1; /* evicted before it was published: it never will be */
    omk_mutex_unlock(&sh->mu);
}

int ecache_check_item(struct store *s, const struct cache_item *it, char *err, size_t errlen)
{
    struct omk_slice e = ecache_item_elem(it), v = ecache_item_value(it);
    uint64_t id = ecache_item_id(it), h = ecache_hash(id, e);
    struct ecache_shard *sh = ecache_shard_of(s->ecache, h);
    struct fmt_key k;
    char *buf = NULL;
    size_t n = 0;
    long i;
    int rc;

    omk_mutex_lock(&sh->mu);
    i = ecache_find(sh, h, id, e);
    rc = i >= 0 && sh->it[i] == it && it->owner == sh;
    omk_mutex_unlock(&sh->mu);
    if (!rc) {
        snprintf(err, errlen, "a cached element of collection %llu is not its entry",
                 (unsigned long long)id);
        return STORE_ERR_VALUE;
    }
    if (!coll_ids_live(s, id))
        return STORE_OK; /* a dead collection's: never looked up again */
    fmt_elem_key(&k, id, fmt_elem_pos(e.p, e.len), e.p, e.len);
    rc = rocks_get_cf(s->rocks, ROCKS_CF_ELEMS, k.p, k.len, &buf, &n);
    fmt_key_deinit(&k);
    if (rc == STORE_NOTFOUND || (rc == STORE_OK && (n != v.len || memcmp(buf, v.p, n) != 0))) {
        snprintf(err, errlen, "a cached element of collection %llu %s RocksDB's",
                 (unsigned long long)id, rc == STORE_OK ? "differs from" : "is not in");
        rc = STORE_ERR_VALUE;
    }
    rocks_free(buf);
    return rc;
}

size_t ecache_count(struct ecache *ec)
{
    size_t n = 0;

    for (unsigned i = 0; i < ECACHE_SHARDS; i++) {
        omk_mutex_lock(&ec->shard[i].mu);
        n += ec->shard[i].n;
        omk_mutex_unlock(&ec->shard[i].mu);
    }
    return n;
}
