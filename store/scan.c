/* scan.c - SCAN cursors and KEYS: ordered walks over one database's RocksDB key range.
 * A SCAN cursor is a small number naming a slot of a server-side table that holds the
 * key the walk stopped at; the next call resumes strictly after that key.
 *
 * HOW IT WORKS (the at-least-once promise). RocksDB keys are kept in byte order and a
 * database is one contiguous range of them. Each SCAN call seeks to "the smallest key
 * greater than the last key examined" (that key followed by a 0 byte), walks forward
 * over at most COUNT keys, and saves the last key it examined. Take a key K present
 * from the first call to the last. The calls' walks cover consecutive, gap-free key
 * intervals: each starts just past where the previous one stopped, and the walk reads
 * a consistent snapshot that contains K if K is in its interval. So whichever call's
 * interval holds K returns it. Inserts and deletes elsewhere never shift that interval
 * boundary, because it is a key, not a position (a position would shift under them,
 * the way an offset into a changing list skips or repeats items). A key deleted and
 * re-inserted mid-scan, or written while a call is in flight, may or may not be seen;
 * nothing is seen twice unless a client reuses a cursor. An unknown or evicted cursor
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
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"

#define SCAN_SLOT_BITS 12
#define SCAN_SLOTS (1u << SCAN_SLOT_BITS) /* 4096 cursors alive at once */

/* One remembered walk. A cursor is (gen << SCAN_SLOT_BITS) | slot index. Generations
 * come from one counter that starts at 1 and only grows, so a cursor is never 0, is
 * never issued twice, and the slot with the smallest 'gen' is the least recently used
 * (each use gives it a fresh generation): the LRU order needs no other clock. */
struct scan_slot {
    uint64_t gen;  /* generation of the cursor naming this slot; 0: free */
    int db;        /* the database the walk belongs to */
    char *key;     /* last RocksDB key examined (db byte included); omk_malloc'd */
    size_t klen;
};

struct scan_table {
    pthread_mutex_t mu;                  /* guards everything below (lock 3) */
    uint64_t next_gen;                   /* the next generation to hand out (mu) */
    struct scan_slot slot[SCAN_SLOTS];   /* (mu) */
};

struct scan_table *scan_table_new(void)
{
    struct scan_table *t = omk_calloc(1, sizeof(*t));

    OMK_ASSERT(pthread_mutex_init(&t->mu, NULL) == 0);
    t->next_gen = 1;
    return t;
}

void scan_table_free(struct scan_table *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i < SCAN_SLOTS; i++)
        omk_free(t->slot[i].key);
    pthread_mutex_destroy(&t->mu);
    omk_free(t);
}

/* The slot that 'cursor' names, if it still does, else NULL. Caller holds t->mu. */
static struct scan_slot *scan_slot_of(struct scan_table *t, uint64_t cursor)
{
    struct scan_slot *sl = &t->slot[cursor & (SCAN_SLOTS - 1)];
    uint64_t gen = cursor >> SCAN_SLOT_BITS;

    return gen != 0 && sl->gen == gen ? sl : NULL;
}

/* Copy the resume key of 'cursor' into '*key'/'*klen' (freed with omk_free). Returns
 * STORE_OK, or STORE_ERR_CURSOR if the cursor is unknown, evicted, or belongs to another
 * database than 'db'. */
static int scan_cursor_get(struct scan_table *t, uint64_t cursor, int db, char **key,
                           size_t *klen)
{
    struct scan_slot *sl;
    int rc = STORE_ERR_CURSOR;

    OMK_ASSERT(pthread_mutex_lock(&t->mu) == 0);
    sl = scan_slot_of(t, cursor);
    if (sl && sl->db == db) {
        *key = omk_memdup(sl->key, sl->klen);
        *klen = sl->klen;
        rc = STORE_OK;
    }
    OMK_ASSERT(pthread_mutex_unlock(&t->mu) == 0);
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

    OMK_ASSERT(pthread_mutex_lock(&t->mu) == 0);
    sl = cursor ? scan_slot_of(t, cursor) : NULL;
    if (!sl) { /* a new walk, or the slot was taken meanwhile: O(slots), per walk */
        /* The first free slot, else the smallest generation (least recently used). */
        sl = &t->slot[0];
        for (unsigned i = 1; i < SCAN_SLOTS && sl->gen != 0; i++)
            if (t->slot[i].gen < sl->gen)
                sl = &t->slot[i];
    }
    omk_free(sl->key);
    sl->gen = t->next_gen++;
    sl->db = db;
    sl->key = key;
    sl->klen = klen;
    id = (sl->gen << SCAN_SLOT_BITS) | (uint64_t)(sl - t->slot);
    OMK_ASSERT(pthread_mutex_unlock(&t->mu) == 0);
    return id;
}

/* Free the slot of a finished walk, if 'cursor' still names it. */
static void scan_cursor_drop(struct scan_table *t, uint64_t cursor)
{
    struct scan_slot *sl;

    OMK_ASSERT(pthread_mutex_lock(&t->mu) == 0);
    sl = scan_slot_of(t, cursor);
    if (sl) {
        omk_free(sl->key);
        memset(sl, 0, sizeof(*sl));
    }
    OMK_ASSERT(pthread_mutex_unlock(&t->mu) == 0);
}

/* Walk the RocksDB keys that start with 'prefix' (db byte + literal prefix), from
 * 'from' (inclusive) in key order, examining at most 'limit' keys; call 'cb' for each
 * examined key that has not expired and matches 'pat' ('pat' NULL: all). When keys
 * remain after the limit, '*resume' receives a copy of the last key examined (freed with
 * omk_free), else NULL. 'bulk' marks a long walk (no block cache fill). Caller holds
 * 'excl' as reader. Returns STORE_OK or an I/O error ('*resume' then NULL). */
static int scan_walk(struct store *s, const struct fmt_key *prefix, const struct fmt_key *from,
                     const char *pat, size_t plen, size_t limit, store_key_cb *cb, void *arg,
                     int bulk, char **resume, size_t *resume_len)
{
    char *upper = omk_memdup(prefix->p, prefix->len);
    size_t ulen = fmt_prefix_successor(upper, prefix->len), examined = 0, lastlen = 0;
    struct rocks_iter *it = rocks_iter_new(s->rocks, ulen ? upper : NULL, ulen, bulk);
    int64_t now = omk_now_ms();
    char *last = NULL;
    int rc = STORE_OK, more = 0;

    for (rocks_iter_seek(it, from->p, from->len); rocks_iter_valid(it); rocks_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocks_iter_key(it, &klen), *v;
        struct fmt_hdr h;

        /* The upper bound ends the walk, except past a prefix of all 0xff bytes. */
        if (klen < prefix->len || memcmp(k, prefix->p, prefix->len) != 0)
            break;
        if (examined == limit) {
            more = 1;
            break;
        }
        examined++;
        v = rocks_iter_value(it, &vlen);
        /* A value that does not decode still names a key: list it (GET reports it). */
        if ((fmt_hdr_decode(v, vlen, &h) != 0 || !fmt_hdr_expired(&h, now)) &&
            (!pat || omk_glob_match(pat, plen, k + 1, klen - 1, 0)))
            cb(arg, k + 1, klen - 1);
        if (examined == limit) {
            last = omk_memdup(k, klen);
            lastlen = klen;
        }
    }
    if (!more && !rocks_iter_valid(it))
        rc = rocks_iter_status(it);
    rocks_iter_free(it);
    omk_free(upper);
    if (rc != STORE_OK || !more) {
        omk_free(last);
        last = NULL;
        lastlen = 0;
    }
    *resume = last;
    *resume_len = lastlen;
    return rc;
}

int store_scan(struct store *s, int db, uint64_t cursor, const char *pat, size_t plen,
               size_t count, store_key_cb *cb, void *arg, uint64_t *next)
{
    size_t lit = pat ? omk_glob_literal_prefix(pat, plen) : 0, rlen = 0;
    struct fmt_key prefix, from;
    char *rkey = NULL, *resume = NULL;
    int rc;

    OMK_ASSERT(db >= 0 && db < s->databases);
    OMK_ASSERT(count > 0);
    fmt_key_init(&prefix, db, pat, lit);
    if (cursor != 0) {
        rc = scan_cursor_get(s->scans, cursor, db, &rkey, &rlen);
        if (rc != STORE_OK) {
            fmt_key_deinit(&prefix);
            return rc;
        }
        /* Strictly after the stored key: that key plus a 0 byte is the next possible. */
        OMK_ASSERT(rlen >= 1);
        fmt_key_init_suffix(&from, db, rkey + 1, rlen - 1, "", 1);
        omk_free(rkey);
        if (fmt_bytes_cmp(from.p, from.len, prefix.p, prefix.len) < 0) {
            fmt_key_deinit(&from);
            fmt_key_init(&from, db, pat, lit);
        }
    } else {
        fmt_key_init(&from, db, pat, lit);
    }

    OMK_ASSERT(pthread_rwlock_rdlock(&s->excl) == 0);
    rc = scan_walk(s, &prefix, &from, pat, plen, count, cb, arg, 0, &resume, &rlen);
    OMK_ASSERT(pthread_rwlock_unlock(&s->excl) == 0);
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
    OMK_ASSERT(pthread_rwlock_rdlock(&s->excl) == 0);
    rc = scan_walk(s, &prefix, &prefix, pat, plen, SIZE_MAX, cb, arg, 1, &resume, &rlen);
    OMK_ASSERT(pthread_rwlock_unlock(&s->excl) == 0);
    OMK_ASSERT(resume == NULL);
    fmt_key_deinit(&prefix);
    return rc;
}
