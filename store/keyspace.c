/* keyspace.c - the operation sequence every keyed store call is built from (see HOW IT
 * WORKS in store_internal.h): what is known of one key (store_lookup, answered by the
 * in-RAM index, its value by the cache or RocksDB), the stripe locks that make a
 * read-modify-write atomic, the one reading of the clock, lazy expiry, and the hand-off
 * of values to callers; plus the value cache's side of an index entry (the 'loc' word)
 * and its coherence self-check. The write set an operation commits is in commit.c.
 *
 * Invariant: the index holds exactly the keys RocksDB holds, with their value lengths
 * and expiries, and keys[db] / expires[db] count them, because every change goes
 * through store_ws_commit(), under the stripes of the keys it changes, and adjusts the
 * counters from the states the caller read under those same stripes. A cache item
 * published in an entry's 'loc' holds the key's current value (see store_lookup). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "index/shard.h"
#include "store/cache.h"
#include "store/elemcache.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store_internal.h"
#include "store/coll.h"
#include "store/strval.h"

void store_touched(struct store *s, int db, const char *key, size_t klen, int created)
{
    hll_tails_forget(s, db, key, klen); /* a HyperLogLog's byte past the end (ops_hll.c) */
    if (s->touched) /* the daemon knows databases by their logical numbers */
        s->touched(db < 0 ? db : store_db_logical(s, db), key, klen, created);
}

void store_count(struct store *s, int db, int64_t dkeys, int64_t dexp)
{
    if (dkeys)
        atomic_fetch_add(&s->keys[db], (uint_fast64_t)dkeys); /* modular: -1 subtracts */
    if (dexp)
        atomic_fetch_add(&s->expires[db], (uint_fast64_t)dexp);
}

/* ---- Index entries ------------------------------------------------------------------- */

void store_entry_fill(struct idx_entry *e, size_t len, int64_t expire_ms, unsigned flags)
{
    uint64_t exp = 0;

    if (expire_ms != 0) {
        if (expire_ms > IDX_EXPIRE_EPOCH_MS &&
            expire_ms - IDX_EXPIRE_EPOCH_MS < (int64_t)IDX_EXPIRE_MASK) {
            exp = (uint64_t)(expire_ms - IDX_EXPIRE_EPOCH_MS);
        } else { /* before 2020 or after 2054-11: RocksDB has it; the field a bound */
            exp = expire_ms > IDX_EXPIRE_EPOCH_MS ? IDX_EXPIRE_MASK : 1;
            flags |= STORE_EF_FAR;
        }
    }
    OMK_ASSERT(len <= UINT32_MAX);
    OMK_ASSERT(flags <= 0xff);
    e->val_len = (uint32_t)len;
    __atomic_store_n(&e->expire_flags, exp | (idx_entry_word(e) & STORE_ACCESS_WORD),
                     __ATOMIC_RELAXED);
    __atomic_store_n(&e->loc, (uint64_t)flags << IDX_FLAGS_SHIFT | store_loc_get(e),
                     __ATOMIC_RELEASE);
}

unsigned store_entry_flags_of(int type, unsigned fflags)
{
    unsigned f = (unsigned)type << STORE_EF_TYPE_SHIFT;

    if (type == STORE_TYPE_STRING)
        return f | ((fflags & FMT_F_RAW) ? STORE_EF_BIG : 0) |
               ((fflags & FMT_F_NOINT) ? STORE_EF_NOINT : 0) |
               ((fflags & FMT_F_FRAG) ? STORE_EF_SPLIT : 0);
    return f | ((fflags & FMT_F_SPLIT) ? STORE_EF_SPLIT : 0) |
           ((fflags & FMT_F_BIG) ? STORE_EF_BIG : 0);
}

/* ---- The value cache's side of an entry (the 'loc' word, store_internal.h) ------------ */

/* Replace 'old' by 'new' in the 'loc' of 'e' (its flags aside) if it still holds 'old';
 * 1 if it did. The flags change only under the write lock, so a failed swap means the
 * location changed. */
static int store_loc_cas(struct idx_entry *e, uint64_t old, uint64_t new)
{
    uint64_t flags = __atomic_load_n(&e->loc, __ATOMIC_ACQUIRE) & ~STORE_LOC_MASK;

    old |= flags;
    return __atomic_compare_exchange_n(&e->loc, &old, new | flags, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

/* The cache item that 'loc' word 'loc' names, or NULL (nothing, or a ticket). */
static struct cache_item *store_loc_item(uint64_t loc)
{
    return loc != 0 && (loc & 3) == 0 ? (struct cache_item *)(uintptr_t)loc : NULL;
}

/* Empty the 'loc' of 'e' (caller holds its shard's write lock): a published item is
 * marked dead and returned; a ticket is withdrawn, so its reader will not publish. With
 * 'pin' the item comes back pinned, for cache_remove() and cache_unpin() once the lock
 * is dropped: an eviction in flight may drop the cache's reference as soon as it is. */
struct cache_item *store_loc_clear(struct idx_entry *e, int pin)
{
    struct cache_item *it = store_loc_item(store_loc_get(e));

    if (it) {
        OMK_ASSERT(it->owner == e);
        if (pin) /* alive: its eviction, if any, waits for this lock to detach it */
            cache_pin(it);
        it->owner = NULL;
        it->dead = 1;
    }
    store_loc_set(e, 0);
    return it;
}

void store_loc_publish(struct idx_entry *e, struct cache_item *it)
{
    OMK_ASSERT(((uint64_t)(uintptr_t)it & ~STORE_LOC_MASK) == 0);
    it->owner = e;
    store_loc_set(e, (uint64_t)(uintptr_t)it);
}

void store_cache_detach(void *arg, struct cache_item *it)
{
    struct store *s = arg;

    if (it->tag & ECACHE_TAG) {
        ecache_detach(s, it);
        return;
    }
    idx_shards_wrlock(s->ix, it->tag);
    if (it->owner) {
        OMK_ASSERT(store_loc_get(it->owner) == (uint64_t)(uintptr_t)it);
        store_loc_clear(it->owner, 0);
    }
    it->dead = 1; /* evicted before its reader could publish it: it never will */
    idx_shards_unlock(s->ix, it->tag);
}

/* At most cache_max_value bytes, and what the budget can hold. */
size_t store_cache_lim(struct store *s)
{
    size_t by_size = atomic_load(&s->cache_max_value) + 1, by_budget = cache_len_limit(s->cache);

    return by_size < by_budget ? by_size : by_budget;
}

/* 1 if a value of 'len' bytes read from RocksDB should be cached. */
static int store_cacheable(struct store *s, size_t len)
{
    return len < store_cache_lim(s);
}

/* A fill ticket never handed out before: odd, so never a pointer. */
static uint64_t store_ticket_new(struct store *s)
{
    /* Below 2^56 (the flags' byte): a ticket is told apart only from those in flight. */
    return ((uint64_t)atomic_fetch_add(&s->tickets, 1) << 1 & STORE_LOC_MASK) | STORE_LOC_TICKET;
}

/* Withdraw 'ticket' from the entry of 'k' (shard 'shard') if it is still there. */
static void store_ticket_drop(struct store *s, const struct fmt_key *k, unsigned shard,
                              uint64_t ticket)
{
    struct idx *ix = idx_shards_rdlock(s->ix, shard);
    struct idx_entry *e = idx_find(ix, k->p, k->len);

    if (e)
        store_loc_cas(e, ticket, 0);
    idx_shards_unlock(s->ix, shard);
}

/* Cache payload 'p'/'len' expiring at 'exp', which this reader read from RocksDB for key
 * 'k' (shard 'shard') after it placed 'ticket' in the key's entry. The item is admitted
 * first (evicting others; no lock held), then published under the read lock only if the
 * ticket is still there, i.e. no write of the key landed since the ticket was placed
 * (every write empties 'loc' under the write lock), and no eviction took the item
 * meanwhile. Otherwise the ticket is withdrawn and the item removed. */
static void store_cache_fill(struct store *s, const struct fmt_key *k, unsigned shard,
                             uint64_t ticket, const char *p, size_t len, int64_t exp)
{
    struct cache_item *it = cache_item_new(p, len, exp, shard);
    int admitted = cache_admit(s->cache, it) == CACHE_OK, published = 0;
    struct idx *ix = idx_shards_rdlock(s->ix, shard);
    struct idx_entry *e = idx_find(ix, k->p, k->len);

    if (e && admitted && !it->dead && store_loc_cas(e, ticket, (uint64_t)(uintptr_t)it)) {
        it->owner = e; /* only the write lock's holders read it */
        published = 1;
    } else if (e) {
        store_loc_cas(e, ticket, 0);
    }
    idx_shards_unlock(s->ix, shard);
    if (admitted && !published)
        cache_remove(s->cache, it);
    cache_unpin(it);
}

/* Fill '*st' from the stored value 'p'/'n' (header first) of an existing key; with
 * 'whole' 0, 'p' holds only the header. */
static void store_state_from_value(struct key_state *st, const char *p, size_t n, int whole,
                                   int64_t now_ms)
{
    struct fmt_hdr h;

    st->exists = 1;
    if (fmt_hdr_decode(p, whole ? n : FMT_HDR_LEN, &h) != 0 ||
        (h.type != FMT_TYPE_STRING && whole && !fmt_hdr_expired(&h, now_ms) &&
         fmt_coll_meta(h.flags, p + FMT_HDR_LEN, n - FMT_HDR_LEN, &st->count, &st->id) != 0)) {
        st->bad = 1;
        st->live = 1;
        st->vlen = n;
        st->type = STORE_TYPE_STRING;
        return;
    }
    st->type = (int)h.type;
    st->fflags = h.flags;
    st->expire_ms = h.expire_ms;
    st->has_expiry = h.expire_ms != 0;
    st->live = !fmt_hdr_expired(&h, now_ms);
    st->vlen = n - FMT_HDR_LEN;
    if (whole && h.type == FMT_TYPE_STRING && (h.flags & FMT_F_FRAG) && st->live) {
        uint64_t len;

        if (fmt_frag_meta(p + FMT_HDR_LEN, n - FMT_HDR_LEN, &st->id, &len) != 0) {
            memset(st, 0, sizeof(*st));
            st->exists = st->bad = st->live = 1;
            st->vlen = n;
            st->type = STORE_TYPE_STRING;
            return;
        }
        st->vlen = (size_t)len;
        st->count = store_frag_count(len);
    }
}

/* Fill the type, count and id of '*st' from index entry 'e' (read under its lock). */
static void store_state_from_entry(struct key_state *st, const struct idx_entry *e, uint64_t loc)
{
    unsigned f = idx_entry_flags(e);

    st->type = store_entry_type(e);
    if (st->type == STORE_TYPE_STRING) {
        st->fflags = ((f & STORE_EF_BIG) ? FMT_F_RAW : 0) | ((f & STORE_EF_NOINT) ? FMT_F_NOINT : 0);
        st->vlen = e->val_len;
        if (f & STORE_EF_SPLIT) { /* fragmented: 'loc' holds the fragments' id */
            OMK_ASSERT((loc & 3) == STORE_LOC_ID);
            st->fflags |= FMT_F_FRAG;
            st->id = loc >> 2;
            st->count = store_frag_count(e->val_len);
        }
        return;
    }
    st->fflags = ((f & STORE_EF_SPLIT) ? FMT_F_SPLIT : 0) | ((f & STORE_EF_BIG) ? FMT_F_BIG : 0);
    st->count = e->val_len;
    st->vlen = 0;
    if (f & STORE_EF_SPLIT) {
        OMK_ASSERT((loc & 3) == STORE_LOC_ID);
        st->id = loc >> 2;
    }
}

/* What a lookup still has to read from RocksDB once the index answered
 * (store_lookup_begin), and what it needs to finish (store_lookup_finish). */
struct store_lookup_read {
    unsigned shard;   /* the key's index shard */
    unsigned flags;   /* its entry's flags, STORE_EF_FAR cleared when a cached item knew */
    uint64_t ticket;  /* the fill ticket placed in its entry, or 0 */
    int whole;        /* 1: read the whole value; 0: its header only (a far expiry) */
};

/* HOW IT WORKS: every key is in the index, with its value length and expiry, so this
 * answers from RAM; RocksDB is read only for the value itself (when 'want' asks for it
 * and the cache does not hold it) or for an expiry the entry's 40 bits do not reach
 * (before 2020 or after 2054-11). Writers change a key only under its stripe, index
 * after RocksDB, so a caller holding the stripe sees both agree; a reader without it may
 * see the index one write ahead of its RocksDB read, in which case the value read
 * decides (and a key deleted in between reads as absent).
 *
 * The cache never serves a stale value. An item published in 'loc' is the value of the
 * last committed write: store_ws_commit() replaces or empties 'loc' under the shard's
 * write lock, after RocksDB took the write. A reader that misses places a ticket in
 * 'loc' before its RocksDB read and publishes what it read only if the ticket survived
 * until after the read: a write whose index update came before the ticket is already
 * in what RocksDB returns; one whose update came after has overwritten the ticket. A
 * hit pins the item under the read lock, which excludes the eviction callback, so the
 * item outlives the lock for as long as the caller needs it.
 *
 * A lookup runs in two halves so that several keys' RocksDB reads can be made in one
 * MultiGet (store_op_lookup_many): store_lookup_begin() asks the index (and places the
 * ticket), the caller reads, store_lookup_finish() judges what was read and fills the
 * cache. The ticket argument above holds whatever happens between the halves.
 *
 * The first half: fill '*st' from the index; with 'want' (enum store_op_want) a hit pins
 * its item into '*hit'. Returns 0
 * when the lookup is complete, or 1 when RocksDB must be read as '*rd' says (then
 * store_lookup_finish() must follow, whatever happens: it withdraws the ticket). */
static int store_lookup_begin(struct store *s, const struct fmt_key *k, int64_t now_ms,
                              int touch, struct key_state *st, int want, struct cache_item **hit,
                              struct store_lookup_read *rd)
{
    unsigned shard = idx_shards_of(s->ix, k->p, k->len), flags = 0;
    struct cache_item *it = NULL;
    struct idx_entry *e;
    struct idx *ix;
    uint64_t ticket = 0;
    int64_t exp = 0;

    memset(st, 0, sizeof(*st));
    st->cache_lim = store_cache_lim(s);
    ix = idx_shards_rdlock(s->ix, shard);
    e = idx_find(ix, k->p, k->len);
    if (e) {
        uint64_t loc = store_loc_get(e);
        struct cache_item *c = store_loc_item(loc);

        st->exists = 1;
        if (touch)
            store_access_touch(s, e, now_ms);
        store_state_from_entry(st, e, loc);
        if (want == STORE_WANT_STRING && st->type != STORE_TYPE_STRING)
            want = 0; /* its type is all the caller needs */
        if (want == STORE_WANT_INLINE &&
            (st->type == STORE_TYPE_STRING || (st->fflags & FMT_F_SPLIT)))
            want = 0; /* the index holds all a split collection's record does */
        exp = idx_entry_expire(e);
        flags = idx_entry_flags(e);
        if (c && (flags & STORE_EF_FAR)) { /* the item knows the expiry the entry cannot */
            exp = c->expire_ms;
            flags &= ~STORE_EF_FAR;
        }
        if (c && want) {
            cache_pin(c);
            it = c;
        } else if (want && loc == 0 && !(flags & STORE_EF_BAD) &&
                   store_cacheable(s, st->type == STORE_TYPE_STRING
                                          ? e->val_len
                                          : (size_t)atomic_load(&s->lim_inline))) {
            ticket = store_ticket_new(s);
            if (!store_loc_cas(e, 0, ticket))
                ticket = 0; /* another reader is filling it */
        }
    }
    idx_shards_unlock(s->ix, shard);
    if (!st->exists)
        return 0;
    /* A fragmented string's record holds only its id and length, which the index has:
     * store_op_lookup() rebuilds it (unless the expiry lives on disk only). */
    if (want && st->type == STORE_TYPE_STRING && (st->fflags & FMT_F_FRAG) &&
        !(flags & (STORE_EF_FAR | STORE_EF_BAD)))
        want = 0;
    if (it) {
        cache_note_hit(s->cache, it);
        *hit = it;
    } else if (want || (flags & STORE_EF_FAR)) {
        OMK_ASSERT(want || !ticket);
        rd->shard = shard;
        rd->flags = flags;
        rd->ticket = ticket;
        rd->whole = want != 0;
        return 1;
    }
    OMK_ASSERT(!ticket); /* placed only for a value that is read */
    if (flags & STORE_EF_BAD) {
        st->bad = 1;
        st->live = 1;
        return 0;
    }
    st->expire_ms = exp;
    st->has_expiry = exp != 0;
    st->live = !(exp != 0 && exp <= now_ms);
    return 0;
}

/* The second half, once RocksDB was read as 'rd' asked: 'rc' is the read's outcome, with
 * a whole value in 'buf'/'n' (taken: handed to '*val'/'*vlen', or freed with the key's
 * state in '*st') or a header in 'hdr' ('n' the record's length). Fills the cache or
 * withdraws the ticket. Returns STORE_OK or the read's error. */
static int store_lookup_finish(struct store *s, const struct fmt_key *k, int64_t now_ms,
                               struct key_state *st, const struct store_lookup_read *rd, int rc,
                               char *buf, const char *hdr, size_t n, char **val, size_t *vlen)
{
    if (rc != STORE_OK && rd->ticket)
        store_ticket_drop(s, k, rd->shard, rd->ticket);
    if (rc < 0)
        return rc;
    if (rc == STORE_NOTFOUND) { /* deleted since the index said otherwise */
        st->exists = 0;
        return STORE_OK;
    }
    if (rd->whole) {
        store_state_from_value(st, buf, n, 1, now_ms);
    } else {
        /* The header only: what the index said of the rest stands. */
        struct key_state ist = *st;

        store_state_from_value(st, hdr, n < FMT_HDR_LEN ? n : FMT_HDR_LEN, 0, now_ms);
        st->vlen = n - (n >= FMT_HDR_LEN ? FMT_HDR_LEN : 0);
        if (!st->bad && (st->type != STORE_TYPE_STRING || ist.id)) {
            st->count = ist.count;
            st->id = ist.id;
            st->vlen = ist.vlen;
        }
    }
    if (rd->ticket && !st->bad)
        store_cache_fill(s, k, rd->shard, rd->ticket, buf + FMT_HDR_LEN, st->vlen, st->expire_ms);
    else if (rd->ticket)
        store_ticket_drop(s, k, rd->shard, rd->ticket);
    if (rd->whole) {
        *val = buf;
        *vlen = n;
    }
    return STORE_OK;
}

/* Look key 'k' up (both halves above, reading RocksDB in between): its state into
 * '*st'; with 'want' its value, a pinned cache item in '*hit' or a RocksDB buffer in
 * '*val'/'*vlen'. STORE_OK or an I/O error. */
static int store_lookup(struct store *s, const struct fmt_key *k, int64_t now_ms, int touch,
                      struct key_state *st, int want, struct cache_item **hit, char **val,
                      size_t *vlen)
{
    struct store_lookup_read rd;
    char hdr[FMT_HDR_LEN], *buf = NULL;
    size_t n = 0;
    int rc;

    if (!store_lookup_begin(s, k, now_ms, touch, st, want, hit, &rd))
        return STORE_OK;
    if (rd.whole) {
        cache_note_miss(s->cache);
        rc = store_log_get(s, k->p, k->len, &buf, &n);
    } else {
        rc = store_log_get_prefix(s, k->p, k->len, hdr, sizeof(hdr), &n);
    }
    return store_lookup_finish(s, k, now_ms, st, &rd, rc, buf, hdr, n, val, vlen);
}

/* ---- Cache coherence self-check ------------------------------------------------------ */

/* What store_cache_check() collects from the cache: every resident item, pinned. */
struct cache_snap {
    struct cache_item **v;
    size_t n, cap;
    size_t published; /* index entries found pointing at one of them */
    size_t elems;     /* element items among them (elemcache.h) */
    int bad;          /* 1 once an entry's 'loc' was wrong */
    char *err;
    size_t errlen;
};

static int store_cache_snap_add(struct cache_item *it, void *arg)
{
    struct cache_snap *sn = arg;

    if (sn->n == sn->cap) {
        sn->cap = sn->cap ? 2 * sn->cap : 256;
        sn->v = omk_realloc(sn->v, sn->cap * sizeof(*sn->v));
    }
    cache_pin(it);
    sn->v[sn->n++] = it;
    return 0;
}

static int store_ptr_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (struct cache_item *const *)a;
    uintptr_t y = (uintptr_t) * (struct cache_item *const *)b;

    return x < y ? -1 : x > y;
}

/* idx_walk_fn: an entry's 'loc' is 0 or one of the snapshot's items, pointing back. */
static int store_cache_check_entry(const struct idx_entry *e, void *arg)
{
    struct cache_snap *sn = arg;
    uint64_t loc = store_loc_get(e);
    struct cache_item *it = store_loc_item(loc);

    if (loc == 0 || ((idx_entry_flags(e) & STORE_EF_SPLIT) && (loc & 3) == STORE_LOC_ID))
        return 0; /* nothing cached, or a split collection's id */
    if (!it)
        snprintf(sn->err, sn->errlen, "an entry of db %u holds a fill ticket with no reader "
                 "in flight", (unsigned char)idx_entry_key(e)[0]);
    else if (sn->n == 0 || !bsearch(&it, sn->v, sn->n, sizeof(*sn->v), store_ptr_cmp))
        snprintf(sn->err, sn->errlen, "an entry of db %u points at a value that is not in "
                 "the cache", (unsigned char)idx_entry_key(e)[0]);
    else if (it->owner != e)
        snprintf(sn->err, sn->errlen, "a cached value of db %u does not point back at its "
                 "entry", (unsigned char)idx_entry_key(e)[0]);
    else {
        sn->published++;
        return 0;
    }
    sn->bad = 1;
    return 1;
}

/* Compare cached item 'it' (published in 'e', read under its shard lock) with its entry
 * and with the value RocksDB holds. STORE_OK, STORE_ERR_VALUE with 'err', or an error. */
static int store_cache_check_item(struct store *s, const struct cache_item *it, char *err,
                                  size_t errlen)
{
    const struct idx_entry *e;
    struct fmt_key k;
    struct fmt_hdr h;
    char *buf = NULL;
    size_t n = 0;
    int rc = STORE_OK;

    idx_shards_rdlock(s->ix, it->tag);
    e = it->owner;
    if (!e) {
        snprintf(err, errlen, "a resident cached value is published nowhere");
        idx_shards_unlock(s->ix, it->tag);
        return STORE_ERR_VALUE;
    }
    if ((store_entry_type(e) == STORE_TYPE_STRING && e->val_len != it->len) ||
        ((idx_entry_flags(e) & STORE_EF_FAR) ? 0 : idx_entry_expire(e) != it->expire_ms)) {
        snprintf(err, errlen, "a cached value of db %u has length %u expiry %lld, its entry "
                 "%u %lld", (unsigned char)idx_entry_key(e)[0], it->len, (long long)it->expire_ms,
                 e->val_len, (long long)idx_entry_expire(e));
        rc = STORE_ERR_VALUE;
    }
    /* The key is copied out: RocksDB is not read under a shard lock. */
    fmt_key_init(&k, (unsigned char)idx_entry_key(e)[0], idx_entry_key(e) + 1,
                 idx_entry_klen(e) - 1);
    idx_shards_unlock(s->ix, it->tag);
    if (rc == STORE_OK)
        rc = rocks_get(s->rocks, k.p, k.len, &buf, &n);
    if (rc == STORE_NOTFOUND) {
        snprintf(err, errlen, "a cached value of db %u is not in RocksDB", (unsigned char)k.p[0]);
        rc = STORE_ERR_VALUE;
    } else if (rc == STORE_OK && (fmt_hdr_decode(buf, n, &h) != 0 || h.expire_ms != it->expire_ms ||
                                  /* an expired payload may be gone from disk (rocks.c) */
                                  (!fmt_hdr_expired(&h, omk_now_ms()) &&
                                   (n - FMT_HDR_LEN != it->len ||
                                    memcmp(buf + FMT_HDR_LEN, it->data, it->len) != 0)))) {
        snprintf(err, errlen, "a cached value of db %u differs from RocksDB's",
                 (unsigned char)k.p[0]);
        rc = STORE_ERR_VALUE;
    }
    rocks_free(buf);
    fmt_key_deinit(&k);
    return rc;
}

int store_cache_check(struct store *s, char *err, size_t errlen)
{
    struct cache_snap sn = { .err = err, .errlen = errlen };
    int rc = STORE_OK;

    if (cache_check(s->cache, err, errlen) != 0)
        return STORE_ERR_VALUE;
    cache_walk(s->cache, store_cache_snap_add, &sn);
    for (size_t i = 0; i < sn.n && rc == STORE_OK; i++) {
        if (sn.v[i]->tag & ECACHE_TAG) {
            rc = ecache_check_item(s, sn.v[i], err, errlen);
            sn.elems++;
        } else {
            rc = store_cache_check_item(s, sn.v[i], err, errlen);
        }
    }
    if (rc == STORE_OK && sn.elems != ecache_count(s->ecache)) {
        snprintf(err, errlen, "%zu cached elements, %zu in the element table", sn.elems,
                 ecache_count(s->ecache));
        rc = STORE_ERR_VALUE;
    }
    if (rc == STORE_OK) {
        if (sn.n)
            qsort(sn.v, sn.n, sizeof(*sn.v), store_ptr_cmp);
        idx_shards_walk(s->ix, "", 0, 1, SIZE_MAX, store_cache_check_entry, &sn, NULL, NULL);
        if (sn.bad)
            rc = STORE_ERR_VALUE;
        else if (sn.published != sn.n - sn.elems) {
            snprintf(err, errlen, "%zu cached values, %zu published in the index",
                     sn.n - sn.elems, sn.published);
            rc = STORE_ERR_VALUE;
        }
    }
    for (size_t i = 0; i < sn.n; i++)
        cache_unpin(sn.v[i]);
    omk_free(sn.v);
    return rc;
}

/* ---- Values handed to callers ------------------------------------------------------- */

struct store_val *store_val_wrap(char *buf, size_t n, int64_t expire_ms)
{
    struct store_val *v = omk_malloc(sizeof(*v));

    OMK_ASSERT(n >= FMT_HDR_LEN);
    v->data = buf + FMT_HDR_LEN;
    v->len = n - FMT_HDR_LEN;
    v->expire_ms = expire_ms;
    v->priv_ = buf;
    v->cached_ = 0;
    return v;
}

struct store_val *store_val_of_item(struct cache_item *it)
{
    struct store_val *v = omk_malloc(sizeof(*v));

    v->data = it->data;
    v->len = it->len;
    v->expire_ms = it->expire_ms;
    v->priv_ = it;
    v->cached_ = 1;
    return v;
}

void store_val_release(struct store_val *v)
{
    if (!v)
        return;
    if (v->cached_)
        cache_unpin(v->priv_);
    else
        rocks_free(v->priv_);
    omk_free(v);
}

void store_val_release_cb(const void *data, size_t datalen, void *extra)
{
    OMK_UNUSED(data);
    OMK_UNUSED(datalen);
    store_val_release(extra);
}

/* ---- Locks ------------------------------------------------------------------------ */

/* This thread's lane of 'excl', chosen round robin at its first use. */
static unsigned store_lane_of_thread(void)
{
    static _Atomic unsigned next;
    static _Thread_local int lane = -1;

    if (lane < 0)
        lane = (int)(atomic_fetch_add(&next, 1) % STORE_LANES);
    return (unsigned)lane;
}

/* ---- Stripes kept between operations ------------------------------------------------
 * A worker whose pipelined commands all write one hot key took that key's stripe once a
 * command, and with two workers on the key each handoff was a sleep and a wake-up of
 * the other (on this machine two-thirds of the time of redis-benchmark's HSET -P 16).
 * So a thread that keeps (store_keep_stripes) leaves the stripes of its last write held
 * when the operation ends, and its next write on the same keys takes them over. The
 * rules that make this safe, as kept stripes sit outside every lock order:
 *   - a thread keeping stripes never waits for anything another thread may hold while it
 *     waits for a stripe: 'excl' (lock 1) is tried, and given up for a wait only after
 *     the kept stripes are given back (store_rdlock); store_wrlock, store_ticket and
 *     store_durable give them back first; the daemon does the same for its exec lanes
 *     and the blocked-client server, and keeps only across plain keyed commands;
 *   - a write on other keys gives them back before it takes its own (ascending order);
 *   - the locks after the stripes (3 to 6 below, RocksDB's) may be taken as under any
 *     stripe.
 * One store per thread at a time. */
static _Thread_local struct {
    int on;             /* keep the stripes of each write that ends */
    struct store *s;    /* whose stripes 'idx' are (n > 0) */
    size_t n;
    unsigned idx[8];    /* ascending, distinct */
} store_tl_kept;

void store_keep_release(void)
{
    for (size_t i = store_tl_kept.n; i-- > 0;)
        omk_mutex_unlock(&store_tl_kept.s->stripe[store_tl_kept.idx[i]]);
    store_tl_kept.n = 0;
}

void store_keep_stripes(int on)
{
    store_tl_kept.on = on != 0;
    if (!on)
        store_keep_release();
}

void store_rdlock(struct store *s)
{
    pthread_rwlock_t *l = &s->excl[store_lane_of_thread()].lock;

    if (store_tl_kept.n > 0) {
        if (pthread_rwlock_tryrdlock(l) == 0)
            return;
        store_keep_release(); /* a writer waits for the lanes: it may wait on ours too */
    }
    omk_rwlock_rdlock(l);
}

void store_rdunlock(struct store *s)
{
    omk_rwlock_unlock(&s->excl[store_lane_of_thread()].lock);
}

void store_wrlock(struct store *s)
{
    store_keep_release();
    for (unsigned l = 0; l < STORE_LANES; l++)
        omk_rwlock_wrlock(&s->excl[l].lock);
}

void store_wrunlock(struct store *s)
{
    for (unsigned l = STORE_LANES; l-- > 0;)
        omk_rwlock_unlock(&s->excl[l].lock);
}

static int store_cmp_uint(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

    return x < y ? -1 : x > y;
}

/* Take the stripes of the 'n' keys 'ks' (stride 'stride' bytes apart, each starting with
 * its struct fmt_key) into 'l': distinct, in ascending order (lock 2 of the order in
 * store_internal.h). Caller holds 'excl' as reader. */
static void store_keylock(struct store *s, struct store_keylock *l, const struct store_op_key *ks,
                          size_t n)
{
    size_t m = 0;

    l->idx = n <= OMK_ARRAY_LEN(l->inline_idx) ? l->inline_idx : omk_malloc(n * sizeof(*l->idx));
    for (size_t i = 0; i < n; i++)
        l->idx[i] = (unsigned)omk_hash(ks[i].k.p, ks[i].k.len) & (STORE_STRIPES - 1);
    if (n > 1)
        qsort(l->idx, n, sizeof(*l->idx), store_cmp_uint);
    for (size_t i = 0; i < n; i++)
        if (m == 0 || l->idx[m - 1] != l->idx[i])
            l->idx[m++] = l->idx[i];
    l->n = m;
    if (store_tl_kept.n > 0) {
        if (store_tl_kept.s == s && store_tl_kept.n == m &&
            memcmp(store_tl_kept.idx, l->idx, m * sizeof(*l->idx)) == 0) {
            store_tl_kept.n = 0; /* held already: taken over */
            return;
        }
        store_keep_release();
    }
    for (size_t i = 0; i < m; i++)
        omk_mutex_lock(&s->stripe[l->idx[i]]);
}

/* Give back the stripes of 'l', or keep them for this thread's next write (see Stripes
 * kept between operations). */
static void store_keyunlock(struct store *s, struct store_keylock *l)
{
    if (store_tl_kept.on && store_tl_kept.n == 0 && l->n <= OMK_ARRAY_LEN(store_tl_kept.idx)) {
        memcpy(store_tl_kept.idx, l->idx, l->n * sizeof(*l->idx));
        store_tl_kept.n = l->n;
        store_tl_kept.s = s;
    } else {
        for (size_t i = l->n; i-- > 0;)
            omk_mutex_unlock(&s->stripe[l->idx[i]]);
    }
    if (l->idx != l->inline_idx)
        omk_free(l->idx);
    l->idx = NULL;
    l->n = 0;
}

/* ---- The operation sequence ---------------------------------------------------------- */

void store_op_begin(struct store_op *op, struct store *s, enum store_op_mode mode, size_t n)
{
    op->s = s;
    op->mode = mode;
    op->now = 0;
    op->n = n;
    op->key = n <= OMK_ARRAY_LEN(op->key_inline) ? op->key_inline
                                                 : omk_malloc(n * sizeof(*op->key));
    op->l.idx = NULL;
    op->l.n = 0;
    op->before_unlock = NULL;
    op->before_unlock_arg = NULL;
    op->err = STORE_OK;
    op->held = NULL;
    op->nheld = 0;
    op->touch = store_access_touching();
    if (mode == STORE_OP_WRITE)
        store_ws_init(&op->w);
}

/* Name key 'i' of 'op': 'db' is a logical db, or with 'phys' a db byte. */
static void store_op_key_init(struct store_op *op, size_t i, int db, int phys,
                              struct omk_slice key)
{
    struct store_op_key *k = &op->key[i];

    OMK_ASSERT(i < op->n);
    OMK_ASSERT(db >= 0 && (phys ? db < 256 : db < op->s->databases));
    fmt_key_init(&k->k, db, key.p, key.len);
    k->db = db;
    k->phys_ = phys;
    k->touched_ = 0;
    memset(&k->st, 0, sizeof(k->st));
    k->cur_ = k->st;
    k->val = NULL;
    k->vlen = 0;
    k->item_ = NULL;
    k->buf_ = NULL;
    k->n_ = 0;
    k->expired_ = 0;
}

void store_op_key(struct store_op *op, size_t i, int db, struct omk_slice key)
{
    store_op_key_init(op, i, db, 0, key);
}

void store_op_key_phys(struct store_op *op, size_t i, int phys, struct omk_slice key)
{
    store_op_key_init(op, i, phys, 1, key);
}

void store_op_lock(struct store_op *op)
{
    store_rdlock(op->s);
    /* Logical databases become db bytes under 'excl', which SWAPDB takes as writer: the
     * whole operation sees one map. Before the stripes, whose index the key's bytes give. */
    for (size_t i = 0; i < op->n; i++) {
        struct store_op_key *k = &op->key[i];

        if (!k->phys_) {
            k->db = store_db_phys(op->s, k->db);
            k->k.p[0] = (char)(unsigned char)k->db;
            k->phys_ = 1;
        }
    }
    if (op->mode == STORE_OP_WRITE)
        store_keylock(op->s, &op->l, op->key, op->n);
    op->now = omk_now_ms();
}

void store_op_begin1(struct store_op *op, struct store *s, enum store_op_mode mode, int db,
                     struct omk_slice key)
{
    store_op_begin(op, s, mode, 1);
    store_op_key(op, 0, db, key);
    store_op_lock(op);
}

/* Drop what holds the value of 'k', if anything. */
static void store_op_val_drop(struct store_op_key *k)
{
    cache_unpin(k->item_);
    rocks_free(k->buf_);
    k->item_ = NULL;
    k->buf_ = NULL;
    k->n_ = 0;
    k->val = NULL;
    k->vlen = 0;
}

/* Drop what key 'k' of 'op' held and, if it was found expired already, set its state to
 * missing. 1 if so (nothing to look up). */
static int store_op_lookup_reset(struct store_op *op, struct store_op_key *k)
{
    store_op_val_drop(k);
    if (!k->expired_)
        return 0;
    /* its deletion is in the write set already */
    memset(&k->st, 0, sizeof(k->st));
    k->st.cache_lim = store_cache_lim(op->s);
    return 1;
}

/* The end of a lookup of key 'i' of 'op' whose store_lookup() outcome is 'rc': what it
 * found expired counts as missing, the value's bytes are pointed at. Returns 'rc'. */
static int store_op_lookup_settle(struct store_op *op, size_t i, enum store_op_want want, int rc)
{
    struct store_op_key *k = &op->key[i];

    k->touched_ = 1;
    if (rc != STORE_OK) {
        store_op_val_drop(k);
        return rc;
    }
    if (k->st.exists && !k->st.live) {
        size_t lim = k->st.cache_lim;

        k->expired_ = 1;
        if (op->mode == STORE_OP_WRITE)
            store_ws_del(&op->w, k->db, &k->k, &k->st);
        store_op_val_drop(k);
        memset(&k->st, 0, sizeof(k->st));
        k->st.cache_lim = lim;
    } else if (k->st.bad) {
        store_op_val_drop(k);
    } else if (k->item_) {
        k->val = k->item_->data;
        k->vlen = k->item_->len;
    } else if (k->buf_) {
        OMK_ASSERT(k->n_ >= FMT_HDR_LEN);
        k->val = k->buf_ + FMT_HDR_LEN;
        k->vlen = k->n_ - FMT_HDR_LEN;
    } else if (want != STORE_WANT_STATE && k->st.exists && k->st.type == STORE_TYPE_STRING &&
               (k->st.fflags & FMT_F_FRAG)) {
        /* The record store_lookup() did not read: id and length, as format.h has them. */
        fmt_u64_put(k->meta_, k->st.id);
        fmt_u64_put(k->meta_ + 8, k->st.vlen);
        k->val = (const char *)k->meta_;
        k->vlen = sizeof(k->meta_);
    }
    k->cur_ = k->st;
    return STORE_OK;
}

int store_op_lookup(struct store_op *op, size_t i, enum store_op_want want)
{
    struct store_op_key *k = &op->key[i];
    int rc;

    OMK_ASSERT(i < op->n && op->now != 0);
    if (store_op_lookup_reset(op, k))
        return STORE_OK;
    rc = store_lookup(op->s, &k->k, op->now, op->touch && !k->touched_, &k->st,
                      (int)want, &k->item_, &k->buf_, &k->n_);
    return store_op_lookup_settle(op, i, want, rc);
}

/* The whole-value reads of store_op_lookup_many(), gathered between the lookups' halves. */
struct store_mg_read {
    size_t i;                    /* the operation's key */
    struct store_lookup_read rd; /* what its first half asked for */
};

/* Read the 'n' keys 'keys'/'klens' into vals[i]/vlens[i] with outcome rcs[i]: one
 * RocksDB MultiGet, or one read per key in a transaction (whose writes they must see). */
static void store_log_multi_get(struct store *s, size_t n, const char *const *keys,
                                const size_t *klens, char **vals, size_t *vlens, int *rcs)
{
    if (n == 1 || store_tx_active()) {
        for (size_t i = 0; i < n; i++)
            rcs[i] = store_log_get(s, keys[i], klens[i], &vals[i], &vlens[i]);
        return;
    }
    rocks_multi_get(s->rocks, n, keys, klens, vals, vlens, rcs);
}

int store_op_lookup_many(struct store_op *op, enum store_op_want want, int *rcs)
{
    struct store *s = op->s;
    size_t n = op->n, m = 0;
    struct store_mg_read *reads = omk_malloc(n * sizeof(*reads));
    const char **keys = omk_malloc(n * sizeof(*keys));
    size_t *klens = omk_malloc(n * sizeof(*klens)), *vlens = omk_malloc(n * sizeof(*vlens));
    char **vals = omk_malloc(n * sizeof(*vals));
    int *rrcs = omk_malloc(n * sizeof(*rrcs)), rc = STORE_OK;

    OMK_ASSERT(op->now != 0);
    /* First halves: the index answers, or the key joins the batch (a header read, for a
     * far expiry, is rare and made on its own). */
    for (size_t i = 0; i < n; i++) {
        struct store_op_key *k = &op->key[i];
        struct store_lookup_read rd;

        rcs[i] = STORE_OK;
        if (store_op_lookup_reset(op, k))
            continue;
        if (!store_lookup_begin(s, &k->k, op->now, op->touch && !k->touched_, &k->st,
                                (int)want, &k->item_, &rd)) {
            rcs[i] = store_op_lookup_settle(op, i, want, STORE_OK);
        } else if (!rd.whole) {
            char hdr[FMT_HDR_LEN];
            size_t hn = 0;
            int r = store_log_get_prefix(s, k->k.p, k->k.len, hdr, sizeof(hdr), &hn);

            r = store_lookup_finish(s, &k->k, op->now, &k->st, &rd, r, NULL, hdr, hn, &k->buf_,
                                    &k->n_);
            rcs[i] = store_op_lookup_settle(op, i, want, r);
        } else {
            reads[m].i = i;
            reads[m].rd = rd;
            keys[m] = k->k.p;
            klens[m] = k->k.len;
            vals[m] = NULL;
            vlens[m] = 0;
            m++;
        }
    }
    if (m)
        store_log_multi_get(s, m, keys, klens, vals, vlens, rrcs);
    /* Second halves, in the keys' order. */
    for (size_t j = 0; j < m; j++) {
        size_t i = reads[j].i;
        struct store_op_key *k = &op->key[i];
        int r;

        cache_note_miss(s->cache);
        r = store_lookup_finish(s, &k->k, op->now, &k->st, &reads[j].rd, rrcs[j], vals[j], NULL,
                                vlens[j], &k->buf_, &k->n_);
        if (k->buf_ != vals[j])
            rocks_free(vals[j]); /* not handed over (none was read, or an error) */
        rcs[i] = store_op_lookup_settle(op, i, want, r);
    }
    for (size_t i = 0; i < n && rc == STORE_OK; i++)
        if (rcs[i] < 0)
            rc = rcs[i];
    omk_free(reads);
    omk_free(keys);
    omk_free(klens);
    omk_free(vlens);
    omk_free(vals);
    omk_free(rrcs);
    return rc;
}

int store_op_find(struct store_op *op, size_t i, enum store_op_want want)
{
    int rc = store_op_lookup(op, i, want);

    return rc == STORE_OK && !op->key[i].st.exists ? STORE_NOTFOUND : rc;
}

void store_op_put_typed(struct store_op *op, size_t i, int type, unsigned fflags, const void *val,
                        size_t vlen, int64_t expire_ms)
{
    struct store_op_key *k = &op->key[i];
    size_t lim = k->cur_.cache_lim;
    const struct store_ws_op *w;

    OMK_ASSERT(op->mode == STORE_OP_WRITE);
    if (type == STORE_TYPE_STRING && !(fflags & FMT_F_FRAG) &&
        vlen > atomic_load(&op->s->lim_frag)) {
        strval_put_whole(op, i, fflags, val, vlen, expire_ms); /* back here with its record */
        return;
    }
    store_ws_put_typed(&op->w, k->db, &k->k, &k->cur_, type, fflags, val, vlen, expire_ms);
    w = &op->w.ops[op->w.n - 1];
    memset(&k->cur_, 0, sizeof(k->cur_));
    k->cur_.exists = k->cur_.live = 1;
    k->cur_.has_expiry = expire_ms != 0;
    k->cur_.expire_ms = expire_ms;
    k->cur_.vlen = w->vlen; /* a fragmented string's length, not its record's */
    k->cur_.cache_lim = lim;
    k->cur_.type = type;
    k->cur_.fflags = fflags;
    k->cur_.count = w->count;
    k->cur_.id = w->id;
}

void store_op_put(struct store_op *op, size_t i, const void *val, size_t vlen, int64_t expire_ms)
{
    store_op_put_typed(op, i, STORE_TYPE_STRING, 0, val, vlen, expire_ms);
}

void store_op_touch(struct store_op *op, size_t i)
{
    struct store_op_key *k = &op->key[i];

    OMK_ASSERT(op->mode == STORE_OP_WRITE && k->cur_.exists);
    store_ws_touch(&op->w, k->db, &k->k, &k->cur_);
}

void store_op_quiet(struct store_op *op, size_t i)
{
    for (size_t j = 0; j < op->w.n; j++)
        if (op->w.ops[j].k == &op->key[i].k)
            op->w.ops[j].quiet = 1;
}

void store_op_hold_id(struct store_op *op, uint64_t id)
{
    OMK_ASSERT(op->mode == STORE_OP_WRITE);
    coll_ids_ref(op->s, id);
    op->held = omk_realloc(op->held, (op->nheld + 1) * sizeof(*op->held));
    op->held[op->nheld++] = id;
}

void store_op_del(struct store_op *op, size_t i)
{
    struct store_op_key *k = &op->key[i];
    size_t lim = k->cur_.cache_lim;

    OMK_ASSERT(op->mode == STORE_OP_WRITE);
    store_ws_del(&op->w, k->db, &k->k, &k->cur_);
    memset(&k->cur_, 0, sizeof(k->cur_));
    k->cur_.cache_lim = lim;
}

struct store_val *store_op_take_val(struct store_op *op, size_t i)
{
    struct store_op_key *k = &op->key[i];
    struct store_val *v;

    OMK_ASSERT(k->val);
    if (k->item_)
        v = store_val_of_item(k->item_);
    else
        v = store_val_wrap(k->buf_, k->n_, k->st.expire_ms);
    k->item_ = NULL;
    k->buf_ = NULL;
    store_op_val_drop(k);
    return v;
}

/* Lazy expiry after a read: delete the keys 'op' found expired, in one write operation
 * (whose lookups record the deletion of those still expired once their stripes are
 * held: a writer may have replaced one since). A failed delete is logged by rocks/; the
 * keys stay absent to readers anyway, since their time has passed. */
static void store_op_expire_found(struct store_op *rd)
{
    struct store_op op;
    size_t n = 0;

    for (size_t i = 0; i < rd->n; i++)
        n += rd->key[i].expired_;
    if (n == 0)
        return;
    store_op_begin(&op, rd->s, STORE_OP_WRITE, n);
    n = 0;
    for (size_t i = 0; i < rd->n; i++) {
        const struct store_op_key *k = &rd->key[i];

        if (k->expired_)
            store_op_key_phys(&op, n++, k->db, (struct omk_slice){k->k.p + 1, k->k.len - 1});
    }
    store_op_lock(&op);
    for (size_t i = 0; i < n; i++)
        if (store_op_lookup(&op, i, STORE_WANT_STATE) != STORE_OK)
            break;
    store_op_end(&op, STORE_OK);
}

int store_op_end(struct store_op *op, int rc)
{
    struct store *s = op->s;

    if (rc >= 0 && op->err < 0)
        rc = op->err; /* a step that returns nothing failed: nothing is committed */
    if (op->mode == STORE_OP_WRITE) {
        if (rc >= 0) {
            int crc = store_ws_commit(s, &op->w);

            if (crc < 0)
                rc = crc;
        }
        if (op->before_unlock)
            op->before_unlock(op, rc, op->before_unlock_arg);
        /* The commit holds what it put; an id not put dies (its records with it). */
        for (size_t i = 0; i < op->nheld; i++)
            coll_ids_unref(s, op->held[i]);
        omk_free(op->held);
        op->held = NULL;
        op->nheld = 0;
        store_keyunlock(s, &op->l);
    }
    store_rdunlock(s);
    if (op->mode == STORE_OP_WRITE)
        store_ws_deinit(&op->w);
    else
        store_op_expire_found(op);
    for (size_t i = 0; i < op->n; i++) {
        store_op_val_drop(&op->key[i]);
        fmt_key_deinit(&op->key[i].k);
    }
    if (op->key != op->key_inline)
        omk_free(op->key);
    op->key = NULL;
    return rc;
}
