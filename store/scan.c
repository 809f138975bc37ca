/* scan.c - SCAN cursors and KEYS: ordered walks over one database's keys in the in-RAM
 * index (no RocksDB read).
 * A SCAN cursor is a small number naming a slot of a server-side table that holds the
 * key the walk stopped at; the next call resumes strictly after that key.
 *
 * HOW IT WORKS (the promise stated in store.h's SCAN section). The index keeps RocksDB keys (db byte, then
 * the user key) in byte order, so a database is one contiguous range of them. Each SCAN call seeks to "the smallest key
 * greater than the last key examined", walks forward
 * over at most COUNT keys, and saves the last key it examined. Take a key K present
 * from the first call to the last. The calls' walks cover consecutive, gap-free key
 * intervals: each starts just past where the previous one stopped, and the walk reads
 * a consistent snapshot that contains K if K is in its interval. So whichever call's
 * interval holds K returns it. Inserts and deletes elsewhere never shift that interval
 * boundary, because it is a key, not a position (a position would shift under them,
 * the way an offset into a changing list skips or repeats items). A key deleted and
 * re-inserted mid-scan, or written while a call is in flight, may or may not be seen;
 * since walks only move forward, nothing is seen twice unless a client repeats a cursor.
 * An unknown or evicted cursor
 * is an error, never a silent restart, so every iteration ends.
 *
 * A MATCH pattern's literal prefix (the bytes before its first * ? [ \) narrows the walk
 * to [db + prefix, successor of it): the seek lands on the first candidate and the
 * walk ends (cursor 0) as soon as keys leave the prefix. */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "index/shard.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"

#define SCAN_SLOT_BITS 12
#define SCAN_SLOTS (1u << SCAN_SLOT_BITS) /* 4096 cursors alive at once */

/* One remembered walk. A cursor is (gen << SCAN_SLOT_BITS) | slot index. Generations
 * come from one counter that starts at 1 and only grows, so a cursor is never 0, is
 * never issued twice, and the slot with the smallest 'gen' is the least recently used
 * (each use gives it a fresh generation): the LRU order needs no other clock.
 * A slot also keeps the cursor it replaced ('prev'), so a client that lost a reply
 * and sends the same cursor again gets the same keys again, as with Redis. */
struct scan_slot {
    uint64_t gen;      /* generation of the newest cursor naming this slot; 0: free */
    uint64_t prev_gen; /* generation of the cursor before it; 0: none */
    int db;            /* the database the walk belongs to */
    char *key;         /* last RocksDB key examined (db byte included); omk_malloc'd */
    size_t klen;
    char *prev_key;    /* where 'prev_gen' resumes; omk_malloc'd */
    size_t prev_klen;
};

struct scan_table {
    pthread_mutex_t mu;                  /* guards everything below (lock 3) */
    uint64_t next_gen;                   /* the next generation to hand out (mu) */
    struct scan_slot slot[SCAN_SLOTS];   /* (mu) */
};

struct scan_table *scan_table_new(void)
{
    struct scan_table *t = omk_calloc(1, sizeof(*t));

    omk_mutex_init(&t->mu);
    t->next_gen = 1;
    return t;
}

void scan_table_free(struct scan_table *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i < SCAN_SLOTS; i++) {
        omk_free(t->slot[i].key);
        omk_free(t->slot[i].prev_key);
    }
    pthread_mutex_destroy(&t->mu);
    omk_free(t);
}

/* The slot that 'cursor' names, if it still does, else NULL; '*is_prev' tells whether
 * it is the slot's previous cursor rather than its newest. Caller holds t->mu. */
static struct scan_slot *scan_slot_of(struct scan_table *t, uint64_t cursor, int *is_prev)
{
    struct scan_slot *sl = &t->slot[cursor & (SCAN_SLOTS - 1)];
    uint64_t gen = cursor >> SCAN_SLOT_BITS;

    if (gen == 0)
        return NULL;
    *is_prev = sl->prev_gen == gen;
    return sl->gen == gen || *is_prev ? sl : NULL;
}

/* Forget everything slot 'sl' holds. Caller holds t->mu. */
static void scan_slot_clear(struct scan_slot *sl)
{
    omk_free(sl->key);
    omk_free(sl->prev_key);
    memset(sl, 0, sizeof(*sl));
}

/* Copy the resume key of 'cursor' into '*key'/'*klen' (freed with omk_free). Returns
 * STORE_OK, or STORE_ERR_CURSOR if the cursor is unknown, evicted, or belongs to another
 * database than 'db'. */
static int scan_cursor_get(struct scan_table *t, uint64_t cursor, int db, char **key,
                           size_t *klen)
{
    struct scan_slot *sl;
    int rc = STORE_ERR_CURSOR, is_prev = 0;

    omk_mutex_lock(&t->mu);
    sl = scan_slot_of(t, cursor, &is_prev);
    if (sl && sl->db == db) {
        *klen = is_prev ? sl->prev_klen : sl->klen;
        *key = omk_memdup(is_prev ? sl->prev_key : sl->key, *klen);
        rc = STORE_OK;
    }
    omk_mutex_unlock(&t->mu);
    return rc;
}

/* Remember that the walk of 'db' continued by 'cursor' (0: a new walk) stopped at
 * 'key'/'klen' (takes ownership). Reuses the cursor's slot while it still names it,
 * else takes a free slot or evicts the least recently used one. Returns the cursor to
 * hand back to the client. */
static uint64_t scan_cursor_put(struct scan_table *t, uint64_t cursor, int db, char *key,
                                size_t klen)
{
    struct scan_slot *sl;
    uint64_t id;
    int is_prev = 0;

    omk_mutex_lock(&t->mu);
    sl = cursor ? scan_slot_of(t, cursor, &is_prev) : NULL;
    if (!sl) { /* a new walk, or the slot was taken meanwhile: O(slots), per walk */
        /* The first free slot, else the smallest generation (least recently used). */
        sl = &t->slot[0];
        for (unsigned i = 1; i < SCAN_SLOTS && sl->gen != 0; i++)
            if (t->slot[i].gen < sl->gen)
                sl = &t->slot[i];
        scan_slot_clear(sl);
    } else if (is_prev) { /* a repeated call: its new step replaces the newest one */
        omk_free(sl->key);
    } else { /* the walk goes on: the newest cursor becomes the previous one */
        omk_free(sl->prev_key);
        sl->prev_gen = sl->gen;
        sl->prev_key = sl->key;
        sl->prev_klen = sl->klen;
    }
    sl->gen = t->next_gen++;
    sl->db = db;
    sl->key = key;
    sl->klen = klen;
    id = (sl->gen << SCAN_SLOT_BITS) | (uint64_t)(sl - t->slot);
    omk_mutex_unlock(&t->mu);
    return id;
}

/* Free the slot of a finished walk, if 'cursor' still names it. */
static void scan_cursor_drop(struct scan_table *t, uint64_t cursor)
{
    struct scan_slot *sl;
    int is_prev;

    omk_mutex_lock(&t->mu);
    sl = scan_slot_of(t, cursor, &is_prev);
    if (sl)
        scan_slot_clear(sl);
    omk_mutex_unlock(&t->mu);
}

#define SCAN_BATCH 256 /* keys examined per idx_shards_walk call (one lock hold) */

/* What one batch of an index walk collects: the live matching keys, copied out so the
 * caller's callback runs after the shard locks are released. */
struct scan_batch {
    const struct fmt_key *prefix;
    const char *pat;
    size_t plen;
    int64_t now;
    int past;                         /* met a key beyond the prefix: the walk is over */
    struct idx_keybuf keys[SCAN_BATCH];
    size_t n;
};

/* idx_walk_fn: keep entry 'e' if it is in the prefix, live, and matches the pattern. */
static int scan_collect(const struct idx_entry *e, void *arg)
{
    struct scan_batch *b = arg;
    int64_t exp = idx_entry_expire(e);

    if (e->key_len < b->prefix->len || memcmp(e->key, b->prefix->p, b->prefix->len) != 0) {
        b->past = 1;
        return 1;
    }
    /* A value that does not decode still names a key: list it (GET reports it). */
    if ((exp == 0 || exp > b->now || (idx_entry_flags(e) & (STORE_EF_BAD | STORE_EF_FAR))) &&
        (!b->pat || omk_glob_match(b->pat, b->plen, e->key + 1, e->key_len - 1, 0)))
        idx_keybuf_set(&b->keys[b->n++], e->key, e->key_len);
    return 0;
}

/* Walk the keys that start with 'prefix' (db byte + literal prefix) in key order, from
 * 'from' (inclusive, or strictly after when 'after'), examining at most 'limit' keys;
 * call 'cb' for each examined key that has not expired and matches 'pat' ('pat' NULL:
 * all). When keys may remain after the limit, '*resume' receives a copy of the last key
 * examined (freed with omk_free), else NULL. The index answers alone: no RocksDB read.
 * 'cb' runs with no lock of the index held. Returns STORE_OK. */
static int scan_walk(struct store *s, const struct fmt_key *prefix, const struct fmt_key *from,
                     int after, const char *pat, size_t plen, size_t limit, store_key_cb *cb,
                     void *arg, char **resume, size_t *resume_len)
{
    struct scan_batch *b = omk_calloc(1, sizeof(*b));
    struct idx_keybuf last = {0};
    size_t left = limit;
    int more = 1, inclusive = !after;

    b->prefix = prefix;
    b->pat = pat;
    b->plen = plen;
    b->now = omk_now_ms();
    idx_keybuf_set(&last, from->p, from->len);
    while (left > 0 && more && !b->past) {
        size_t examined = 0;

        b->n = 0;
        more = idx_shards_walk(s->ix, last.p, last.len, inclusive,
                               left < SCAN_BATCH ? left : SCAN_BATCH, scan_collect, b,
                               &examined, &last) == IDX_SHARDS_MORE;
        inclusive = 0;
        left -= examined;
        for (size_t i = 0; i < b->n; i++)
            cb(arg, b->keys[i].p + 1, b->keys[i].len - 1);
    }
    *resume = NULL;
    *resume_len = 0;
    if (more && !b->past) {
        *resume = omk_memdup(last.p, last.len);
        *resume_len = last.len;
    }
    for (size_t i = 0; i < SCAN_BATCH; i++)
        idx_keybuf_deinit(&b->keys[i]);
    idx_keybuf_deinit(&last);
    omk_free(b);
    return STORE_OK;
}

int store_scan(struct store *s, int db, uint64_t owner, uint64_t cursor, const char *pat,
               size_t plen, size_t count, store_key_cb *cb, void *arg, uint64_t *next)
{
    size_t lit = pat ? omk_glob_literal_prefix(pat, plen) : 0, rlen = 0;
    struct fmt_key prefix, from;
    char *rkey = NULL, *resume = NULL;
    int rc, after = 0;

    OMK_UNUSED(owner);
    OMK_ASSERT(db >= 0 && db < s->databases);
    OMK_ASSERT(count > 0);
    fmt_key_init(&prefix, db, pat, lit);
    if (cursor != 0) {
        rc = scan_cursor_get(s->scans, cursor, db, &rkey, &rlen);
        if (rc != STORE_OK) {
            fmt_key_deinit(&prefix);
            return rc;
        }
        /* Resume strictly after the stored key, or at the prefix if that comes later. */
        OMK_ASSERT(rlen >= 1);
        fmt_key_init(&from, db, rkey + 1, rlen - 1);
        omk_free(rkey);
        if (fmt_bytes_cmp(from.p, from.len, prefix.p, prefix.len) < 0) {
            fmt_key_deinit(&from);
            fmt_key_init(&from, db, pat, lit);
            after = 0;
        } else {
            after = 1;
        }
    } else {
        fmt_key_init(&from, db, pat, lit);
    }

    omk_rwlock_rdlock(&s->excl);
    rc = scan_walk(s, &prefix, &from, after, pat, plen, count, cb, arg, &resume, &rlen);
    omk_rwlock_unlock(&s->excl);
    fmt_key_deinit(&from);
    fmt_key_deinit(&prefix);
    if (rc != STORE_OK)
        return rc;
    if (resume) {
        *next = scan_cursor_put(s->scans, cursor, db, resume, rlen);
    } else {
        if (cursor != 0)
            scan_cursor_drop(s->scans, cursor);
        *next = 0;
    }
    return STORE_OK;
}

int store_keys(struct store *s, int db, const char *pat, size_t plen, store_key_cb *cb, void *arg)
{
    size_t lit = pat ? omk_glob_literal_prefix(pat, plen) : 0, rlen;
    struct fmt_key prefix;
    char *resume;
    int rc;

    OMK_ASSERT(db >= 0 && db < s->databases);
    fmt_key_init(&prefix, db, pat, lit);
    omk_rwlock_rdlock(&s->excl);
    rc = scan_walk(s, &prefix, &prefix, 0, pat, plen, SIZE_MAX, cb, arg, &resume, &rlen);
    omk_rwlock_unlock(&s->excl);
    OMK_ASSERT(resume == NULL);
    fmt_key_deinit(&prefix);
    return rc;
}

/* idx_walk_fn for store_randomkey(): take the first live key of the db. */
struct random_pick {
    unsigned char db;
    int64_t now;
    struct idx_keybuf key;
    int found, past;
};

static int random_collect(const struct idx_entry *e, void *arg)
{
    struct random_pick *p = arg;
    int64_t exp = idx_entry_expire(e);

    if ((unsigned char)e->key[0] != p->db) {
        p->past = 1;
        return 1;
    }
    if (exp == 0 || exp > p->now || (idx_entry_flags(e) & (STORE_EF_BAD | STORE_EF_FAR))) {
        idx_keybuf_set(&p->key, e->key, e->key_len);
        p->found = 1;
        return 1;
    }
    return 0;
}

/* HOW IT WORKS: the index picks an entry at random among all databases' keys; while
 * the db holds a fair share of them, a few draws land in it (each draw costs one
 * lookup, no I/O). When it does not (a small db beside big ones), a walk starts at a
 * random point of the db's key range (the db byte plus 8 random bytes) and takes the
 * first live key from there, wrapping to the db's start: not uniform, but O(1) draws
 * and never a full scan. Expired keys are skipped, never returned. */
int store_randomkey(struct store *s, int db, uint64_t (*rnd)(void), char **key, size_t *klen)
{
    struct random_pick p = {.db = (unsigned char)db, .now = omk_now_ms()};
    unsigned char from[9];
    int rc = STORE_NOTFOUND;

    OMK_ASSERT(db >= 0 && db < s->databases);
    if (store_dbsize(s, db) == 0)
        return STORE_NOTFOUND;
    omk_rwlock_rdlock(&s->excl);
    for (int i = 0; i < 8 && !p.found; i++) {
        unsigned shard;
        const struct idx_entry *e = idx_shards_random(s->ix, rnd(), &shard);

        if (!e)
            break;
        random_collect(e, &p);
        idx_shards_unlock(s->ix, shard);
        p.past = 0;
    }
    if (!p.found) {
        uint64_t r = rnd();

        from[0] = (unsigned char)db;
        memcpy(from + 1, &r, 8);
        idx_shards_walk(s->ix, from, sizeof(from), 1, 64, random_collect, &p, NULL, NULL);
        if (!p.found) {
            p.past = 0;
            idx_shards_walk(s->ix, from, 1, 1, 4096, random_collect, &p, NULL, NULL);
        }
    }
    omk_rwlock_unlock(&s->excl);
    if (p.found) {
        *key = omk_memdup(p.key.p + 1, p.key.len - 1);
        *klen = p.key.len - 1;
        rc = STORE_OK;
    }
    idx_keybuf_deinit(&p.key);
    return rc;
}
