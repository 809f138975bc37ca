/* scan.c - SCAN cursors and KEYS: ordered walks over one database's keys in the in-RAM
 * index (no RocksDB read), and RANDOMKEY.
 * A SCAN cursor names where the next call resumes: a short resume point is written into
 * the cursor itself, which then needs no server state at all; a longer one is kept in a
 * server-side table, bounded in slots, in bytes and per owner, that the cursor names.
 *
 * HOW IT WORKS (the promise stated in store.h's SCAN section). The index keeps RocksDB
 * keys (db byte, then the user key) in byte order, so a database is one contiguous range
 * of them. A call walks forward from its resume point R (inclusive) over COUNT keys of a
 * consistent snapshot; say L is the last key it examined and N the key after L. The next
 * call resumes at S, the shortest byte string with L < S <= N: N cut one byte past the
 * first byte where it differs from L (the "separator" of L and N). Take a key K present
 * from the first call to the last. No such K lies between L and S: when N was read, K
 * was present and greater than L, so N <= K, and S <= N. So the calls' walks cover the
 * keys present throughout without a gap, and the walk whose interval holds K returns it.
 * No key is examined twice, because S > L (unless a client repeats a cursor). A resume
 * point is a key, not a position, so inserts and deletes elsewhere never shift it (a
 * position would shift under them, the way an offset into a changing list skips or
 * repeats items). A key deleted and re-inserted mid-scan, or written while a call is in
 * flight, may or may not be seen. An unknown or evicted cursor is an error, never a
 * silent restart, so every iteration ends.
 *
 * A separator is usually much shorter than the keys ("user:1041" then "user:1042" give
 * "user:1042"; a 256 KB key then one that differs from it at byte 3 give 3 bytes). When
 * L and N share more than SCAN_KEY_MAX bytes, the walk goes on past N (returning more
 * keys than COUNT asked for, as Redis may) until two neighbours have a short enough
 * separator, or the keys end. Storing a truncated separator instead would not do: a
 * resume point below L returns keys twice, and never gets past a run of more than COUNT
 * keys that share the truncated bytes.
 *
 * Cursors (unsigned decimal integers, as Redis returns them). Every cursor is below 2^53,
 * so a client that turns it into a double (JavaScript's Number: node-redis 4) or a signed
 * 64-bit integer (phpredis) keeps it exact.
 *   value            meaning
 *   0                start an iteration; returned: the iteration is complete
 *   bit 52 set       a position (SCAN_POS_*): bits 51..12 number the user-key bytes of S
 *                    among the strings of 1 to 6 printable ASCII bytes (0x20..0x7e), by
 *                    length then radix-95 value; bits 11..0 are omk_hash(db byte + those
 *                    bytes) & 0xfff, so a made-up number, or a cursor of another database,
 *                    is refused (but for 1 in 4096 of them, which resume at some point)
 *   bit 52 clear     a table slot: bits 51..12 the slot's sequence number (>= 1), bits
 *                    11..0 the slot (SCAN_SLOT_BITS)
 *   2^53 and above   never issued: refused
 * A position stays valid forever, as a Redis cursor does. A slot keeps its walk's newest
 * cursor and the one before it (a client that lost a reply may repeat its call).
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

#define SCAN_CURSOR_END ((uint64_t)1 << 53) /* every cursor is below: exact as a double */

/* ---- Positions: cursors that carry their resume point --------------------------------- */

#define SCAN_POS_FLAG ((uint64_t)1 << 52) /* set in a position, clear in a table cursor */
#define SCAN_POS_MAX 6                    /* user-key bytes a position holds, at most */
#define SCAN_POS_LO 0x20                  /* the printable bytes: 0x20 (space) ... */
#define SCAN_POS_RADIX 95                 /* ... to 0x7e (~) */
#define SCAN_POS_CHECK_BITS 12
#define SCAN_POS_CHECK_MASK (((uint64_t)1 << SCAN_POS_CHECK_BITS) - 1)

/* The number of the first string of 'len' bytes: the shorter strings come first. The
 * strings of 1 to SCAN_POS_MAX bytes number fewer than 2^40, so a position fits below
 * SCAN_POS_FLAG with its check bits. */
static uint64_t scan_pos_base(size_t len)
{
    uint64_t base = 0, p = 1;

    for (size_t l = 1; l < len; l++) {
        p *= SCAN_POS_RADIX;
        base += p;
    }
    return base;
}

static uint64_t scan_pos_check(const char *key, size_t klen)
{
    return omk_hash(key, klen) & SCAN_POS_CHECK_MASK;
}

/* The position cursor for resume point 'key'/'klen' (a RocksDB key: the db byte, then
 * at least one user-key byte), or 0 when it does not fit in one. */
static uint64_t scan_pos_encode(const char *key, size_t klen)
{
    uint64_t v = 0;

    OMK_ASSERT(klen >= 2);
    if (klen - 1 > SCAN_POS_MAX)
        return 0;
    for (size_t i = 1; i < klen; i++) {
        unsigned char ch = (unsigned char)key[i];

        if (ch < SCAN_POS_LO || ch >= SCAN_POS_LO + SCAN_POS_RADIX)
            return 0;
        v = v * SCAN_POS_RADIX + (ch - SCAN_POS_LO);
    }
    v += scan_pos_base(klen - 1);
    return SCAN_POS_FLAG | v << SCAN_POS_CHECK_BITS | scan_pos_check(key, klen);
}

/* Decode position 'cursor' (below SCAN_CURSOR_END, SCAN_POS_FLAG set) for database 'db'
 * into 'key' (SCAN_POS_MAX + 1 bytes): returns the resume point's length, or 0 when the
 * cursor is not one scan_pos_encode() makes for 'db'. */
static size_t scan_pos_decode(uint64_t cursor, int db, char *key)
{
    uint64_t v = (cursor & (SCAN_POS_FLAG - 1)) >> SCAN_POS_CHECK_BITS;
    size_t len = 1;

    while (len <= SCAN_POS_MAX && v >= scan_pos_base(len + 1))
        len++;
    if (len > SCAN_POS_MAX)
        return 0;
    v -= scan_pos_base(len);
    key[0] = (char)db;
    for (size_t i = len; i >= 1; i--) {
        key[i] = (char)(SCAN_POS_LO + v % SCAN_POS_RADIX);
        v /= SCAN_POS_RADIX;
    }
    return scan_pos_check(key, len + 1) == (cursor & SCAN_POS_CHECK_MASK) ? len + 1 : 0;
}

/* ---- The cursor table: resume points too long for a position --------------------------
 * Bounds, so that no client can grow it or take it from the others:
 *  - SCAN_SLOTS walks at most; a slot holds two resume points (the newest cursor's and
 *    the one before), each at most SCAN_KEY_MAX user-key bytes (see HOW IT WORKS).
 *  - SCAN_TABLE_BYTES of resume points in all (store_stats.scan_cursor_bytes).
 *  - An owner (store_scan's 'owner': the daemon passes the client id) starting a walk
 *    while it holds SCAN_OWNER_SLOTS loses its own least recently used walk first.
 *  - Past the slot or the byte limit, the owner holding the most slots (or bytes) loses
 *    its least recently used walk: a client with a few cursors keeps them however many
 *    another one opens. A walk belongs to whoever continued it last, so connections of
 *    a pool may take turns with one iteration.
 *  - FLUSHDB and FLUSHALL free the walks of the databases they empty. */

#define SCAN_SLOT_BITS 12
#define SCAN_SLOTS (1u << SCAN_SLOT_BITS)   /* walks in the table at once */
#define SCAN_SEQ_END ((uint64_t)1 << 40)    /* sequence numbers stay below SCAN_POS_FLAG */
#define SCAN_TABLE_BYTES ((size_t)64 << 20) /* resume-point bytes of all slots together */
#define SCAN_KEY_MAX ((size_t)64 << 10)     /* user-key bytes of one resume point */
#define SCAN_OWNER_SLOTS 64                 /* walks an owner may start before losing one */
#define SCAN_TALLY_BITS (SCAN_SLOT_BITS + 1)
#define SCAN_TALLY_CELLS (1u << SCAN_TALLY_BITS) /* twice the slots: short probe chains */

/* One remembered walk. A table cursor is (seq << SCAN_SLOT_BITS) | slot index. A slot's
 * 'seq' only grows, across the walks that reuse the slot, so a cursor is never 0 and is
 * never issued twice (unless one slot serves 2^40 calls). */
struct scan_slot {
    char *key; /* the newest cursor's resume point (RocksDB key); NULL: slot free */
    size_t klen;
    char *prev_key; /* the resume point of the cursor before it; NULL: none */
    size_t prev_klen;
    uint64_t seq;      /* sequence number of the newest cursor */
    uint64_t prev_seq; /* ... and of the one before it */
    uint64_t used;     /* table clock at the walk's last call: the LRU order */
    uint64_t owner;    /* who started or last continued the walk */
    int db;            /* the database the walk belongs to */
};

/* One owner's share of the table, tallied when something must be evicted. */
struct scan_tally {
    uint64_t owner;
    unsigned slots;        /* 0: the cell is empty */
    size_t bytes;          /* resume-point bytes of its slots */
    struct scan_slot *lru; /* its least recently used slot */
};

struct scan_table {
    pthread_mutex_t mu;                        /* guards everything below (lock 3) */
    uint64_t clock;                            /* ticks once per stored cursor (mu) */
    size_t bytes;                              /* resume-point bytes of all slots (mu) */
    struct scan_slot slot[SCAN_SLOTS];         /* (mu) */
    struct scan_tally tally[SCAN_TALLY_CELLS]; /* scratch of scan_victim(); empty (mu) */
    uint16_t touched[SCAN_SLOTS];              /* scratch: tally cells in use (mu) */
};

struct scan_table *scan_table_new(void)
{
    struct scan_table *t = omk_calloc(1, sizeof(*t));

    omk_mutex_init(&t->mu);
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

/* Forget the walk in slot 'sl' (its 'seq' stays, so its cursors stay dead). Caller holds
 * t->mu. */
static void scan_slot_clear(struct scan_table *t, struct scan_slot *sl)
{
    t->bytes -= sl->klen + sl->prev_klen;
    omk_free(sl->key);
    omk_free(sl->prev_key);
    sl->key = sl->prev_key = NULL;
    sl->klen = sl->prev_klen = 0;
    sl->prev_seq = 0;
}

/* The slot that table cursor 'cursor' names, if it still does, else NULL; '*is_prev'
 * tells whether it is the slot's previous cursor rather than its newest. Caller holds
 * t->mu. */
static struct scan_slot *scan_slot_of(struct scan_table *t, uint64_t cursor, int *is_prev)
{
    struct scan_slot *sl = &t->slot[cursor & (SCAN_SLOTS - 1)];
    uint64_t seq = cursor >> SCAN_SLOT_BITS;

    if (seq == 0 || !sl->key)
        return NULL;
    *is_prev = sl->prev_key && sl->prev_seq == seq;
    return sl->seq == seq || *is_prev ? sl : NULL;
}

/* The slot to evict when the table is over a limit: the least recently used slot of the
 * owner that holds the most slots ('by_bytes' 0) or resume-point bytes ('by_bytes' 1),
 * ties going to the owner whose oldest walk is older. Never 'keep' (may be NULL); NULL
 * when no other slot is in use. O(SCAN_SLOTS). Caller holds t->mu. */
static struct scan_slot *scan_victim(struct scan_table *t, int by_bytes,
                                     const struct scan_slot *keep)
{
    struct scan_tally *best = NULL;
    struct scan_slot *victim;
    unsigned ntouched = 0;

    for (unsigned i = 0; i < SCAN_SLOTS; i++) {
        struct scan_slot *sl = &t->slot[i];
        unsigned h;

        if (!sl->key || sl == keep)
            continue;
        h = (unsigned)((sl->owner * 0x9e3779b97f4a7c15ull) >> (64 - SCAN_TALLY_BITS));
        while (t->tally[h].slots != 0 && t->tally[h].owner != sl->owner)
            h = (h + 1) & (SCAN_TALLY_CELLS - 1);
        if (t->tally[h].slots == 0) {
            t->tally[h].owner = sl->owner;
            t->touched[ntouched++] = (uint16_t)h;
        }
        t->tally[h].slots++;
        t->tally[h].bytes += sl->klen + sl->prev_klen;
        if (!t->tally[h].lru || sl->used < t->tally[h].lru->used)
            t->tally[h].lru = sl;
    }
    for (unsigned i = 0; i < ntouched; i++) {
        struct scan_tally *c = &t->tally[t->touched[i]];
        size_t w = by_bytes ? c->bytes : c->slots;
        size_t bw = best ? (by_bytes ? best->bytes : best->slots) : 0;

        if (!best || w > bw || (w == bw && c->lru->used < best->lru->used))
            best = c;
    }
    victim = best ? best->lru : NULL;
    for (unsigned i = 0; i < ntouched; i++)
        t->tally[t->touched[i]] = (struct scan_tally){0};
    return victim;
}

/* A free slot for a new walk of 'owner': its own least recently used walk if it holds
 * SCAN_OWNER_SLOTS already, else a free slot, else the victim of the slot limit. The
 * slot comes back cleared. O(SCAN_SLOTS), once per walk. Caller holds t->mu. */
static struct scan_slot *scan_slot_new(struct scan_table *t, uint64_t owner)
{
    struct scan_slot *free_sl = NULL, *mine = NULL, *sl;
    unsigned nmine = 0;

    for (unsigned i = 0; i < SCAN_SLOTS; i++) {
        sl = &t->slot[i];
        if (!sl->key) {
            if (!free_sl)
                free_sl = sl;
        } else if (sl->owner == owner) {
            nmine++;
            if (!mine || sl->used < mine->used)
                mine = sl;
        }
    }
    sl = nmine >= SCAN_OWNER_SLOTS ? mine : free_sl ? free_sl : scan_victim(t, 0, NULL);
    OMK_ASSERT(sl);
    scan_slot_clear(t, sl);
    return sl;
}

/* Copy the resume point of table cursor 'cursor' into '*key'/'*klen' (freed with
 * omk_free). Returns STORE_OK, or STORE_ERR_CURSOR if the cursor is unknown, evicted, or
 * belongs to another database than 'db'. */
static int scan_cursor_get(struct scan_table *t, uint64_t cursor, int db, char **key, size_t *klen)
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

/* Remember that the walk of 'db' continued by table cursor 'cursor' (0: a new walk) by
 * 'owner' resumes at 'key'/'klen' (takes ownership). Reuses the cursor's slot while it
 * still names it, else takes a new one (scan_slot_new), then evicts other walks while
 * the table holds more than SCAN_TABLE_BYTES. Returns the cursor to hand back. */
static uint64_t scan_cursor_put(struct scan_table *t, uint64_t cursor, uint64_t owner, int db,
                                char *key, size_t klen)
{
    struct scan_slot *sl;
    uint64_t id;
    int is_prev = 0;

    OMK_ASSERT(klen - 1 <= SCAN_KEY_MAX);
    omk_mutex_lock(&t->mu);
    sl = cursor ? scan_slot_of(t, cursor, &is_prev) : NULL;
    if (!sl) { /* a new walk, or the slot was taken meanwhile */
        sl = scan_slot_new(t, owner);
    } else if (is_prev) { /* a repeated call: its new step replaces the newest one */
        t->bytes -= sl->klen;
        omk_free(sl->key);
    } else { /* the walk goes on: the newest cursor becomes the previous one */
        t->bytes -= sl->prev_klen;
        omk_free(sl->prev_key);
        sl->prev_seq = sl->seq;
        sl->prev_key = sl->key;
        sl->prev_klen = sl->klen;
    }
    sl->seq = sl->seq + 1 < SCAN_SEQ_END ? sl->seq + 1 : 1;
    sl->key = key;
    sl->klen = klen;
    sl->db = db;
    sl->owner = owner;
    sl->used = ++t->clock;
    t->bytes += klen;
    while (t->bytes > SCAN_TABLE_BYTES) {
        /* One slot's two points (2 * SCAN_KEY_MAX bytes) fit, so another slot is in use. */
        struct scan_slot *v = scan_victim(t, 1, sl);

        OMK_ASSERT(v);
        scan_slot_clear(t, v);
    }
    id = (sl->seq << SCAN_SLOT_BITS) | (uint64_t)(sl - t->slot);
    omk_mutex_unlock(&t->mu);
    return id;
}

/* Free the slot of a walk that ended or left the table, if 'cursor' still names it. */
static void scan_cursor_drop(struct scan_table *t, uint64_t cursor)
{
    struct scan_slot *sl;
    int is_prev;

    omk_mutex_lock(&t->mu);
    sl = scan_slot_of(t, cursor, &is_prev);
    if (sl)
        scan_slot_clear(t, sl);
    omk_mutex_unlock(&t->mu);
}

void scan_table_flush(struct scan_table *t, int db)
{
    omk_mutex_lock(&t->mu);
    for (unsigned i = 0; i < SCAN_SLOTS; i++)
        if (t->slot[i].key && (db < 0 || t->slot[i].db == db))
            scan_slot_clear(t, &t->slot[i]);
    omk_mutex_unlock(&t->mu);
}

size_t scan_table_bytes(struct scan_table *t)
{
    size_t n;

    omk_mutex_lock(&t->mu);
    n = t->bytes;
    omk_mutex_unlock(&t->mu);
    return n;
}

/* ---- Walks --------------------------------------------------------------------------- */

#define SCAN_BATCH 256 /* keys examined per idx_shards_walk call (one lock hold) */

/* What one batch of an index walk collects: the live matching keys, copied out so the
 * caller's callback runs after the shard locks are released; and, once COUNT keys were
 * examined, where the next call resumes. */
struct scan_batch {
    const struct fmt_key *prefix;
    const char *pat;
    size_t plen;
    int64_t now;
    size_t need;            /* keys still to examine before the walk may stop */
    int past;               /* met a key beyond the prefix: the walk is over */
    int stop;               /* stopped: 'sep' is where the next call resumes */
    struct idx_keybuf last; /* the last key examined, once 'need' is 0 */
    struct idx_keybuf sep;  /* the resume point, once 'stop' is set */
    struct idx_keybuf keys[SCAN_BATCH];
    int types[SCAN_BATCH];  /* enum store_type of each of 'keys' */
    size_t n;
};

/* The length of the separator of keys 'a' < 'b': the shortest prefix of 'b' greater than
 * 'a' (one byte past their common prefix). */
static size_t scan_sep_len(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = 0;

    while (i < alen && i < blen && a[i] == b[i])
        i++;
    OMK_ASSERT(i < blen); /* else 'b' would be a prefix of 'a', so not greater */
    return i + 1;
}

/* idx_walk_fn: examine entry 'e': keep it if it is in the prefix, live, and matches the
 * pattern. Once 'need' keys were examined, stop before the next one if its separator
 * from the last is short enough to store (HOW IT WORKS), else examine it too. */
static int scan_collect(const struct idx_entry *e, void *arg)
{
    struct scan_batch *b = arg;
    int64_t exp = idx_entry_expire(e);

    if (idx_entry_klen(e) < b->prefix->len ||
        memcmp(idx_entry_key(e), b->prefix->p, b->prefix->len) != 0) {
        b->past = 1;
        return 1;
    }
    if (b->need == 0) {
        size_t cut = scan_sep_len(b->last.p, b->last.len, idx_entry_key(e), idx_entry_klen(e));

        if (cut - 1 <= SCAN_KEY_MAX) {
            idx_keybuf_set(&b->sep, idx_entry_key(e), cut);
            b->stop = 1;
            return 1;
        }
    } else {
        b->need--;
    }
    /* A value that does not decode still names a key: list it (GET reports it). */
    if ((exp == 0 || exp > b->now || (idx_entry_flags(e) & (STORE_EF_BAD | STORE_EF_FAR))) &&
        (!b->pat ||
         omk_glob_match(b->pat, b->plen, idx_entry_key(e) + 1, idx_entry_klen(e) - 1, 0))) {
        b->types[b->n] = store_entry_type(e);
        idx_keybuf_set(&b->keys[b->n++], idx_entry_key(e), idx_entry_klen(e));
    }
    if (b->need == 0)
        idx_keybuf_set(&b->last, idx_entry_key(e), idx_entry_klen(e));
    return 0;
}

/* Walk the keys that start with 'prefix' (db byte + literal prefix) in key order, from
 * 'from'/'flen' (inclusive), examining 'count' keys (more when neighbours share over
 * SCAN_KEY_MAX bytes); call 'cb' for each examined key that has not expired and matches
 * 'pat' ('pat' NULL: all). When keys may remain, '*resume' receives where the next call
 * resumes (inclusive; freed with omk_free), else NULL. The index answers alone: no
 * RocksDB read. 'cb' runs with no lock of the index held. Caller holds 'excl'. */
static void scan_walk(struct store *s, const struct fmt_key *prefix, const char *from, size_t flen,
                      const char *pat, size_t plen, size_t count, store_key_cb *cb, void *arg,
                      char **resume, size_t *resume_len)
{
    struct scan_batch *b = omk_calloc(1, sizeof(*b));
    struct idx_keybuf pos = {0};
    int more = 1, inclusive = 1;

    b->prefix = prefix;
    b->pat = pat;
    b->plen = plen;
    b->now = omk_now_ms();
    b->need = count;
    idx_keybuf_set(&pos, from, flen);
    while (more && !b->past && !b->stop) {
        /* With under a batch to go, look one key further: the stop comes before it. */
        size_t max = b->need == 0 || b->need >= SCAN_BATCH ? SCAN_BATCH : b->need + 1;

        b->n = 0;
        more = idx_shards_walk(s->ix, pos.p, pos.len, inclusive, max, scan_collect, b, NULL,
                               &pos) == IDX_SHARDS_MORE;
        inclusive = 0;
        for (size_t i = 0; i < b->n; i++)
            cb(arg, b->keys[i].p + 1, b->keys[i].len - 1, b->types[i]);
    }
    *resume = NULL;
    *resume_len = 0;
    if (b->stop) {
        *resume = omk_memdup(b->sep.p, b->sep.len);
        *resume_len = b->sep.len;
    }
    for (size_t i = 0; i < SCAN_BATCH; i++)
        idx_keybuf_deinit(&b->keys[i]);
    idx_keybuf_deinit(&b->last);
    idx_keybuf_deinit(&b->sep);
    idx_keybuf_deinit(&pos);
    omk_free(b);
}

int store_scan(struct store *s, int db, uint64_t owner, uint64_t cursor, const char *pat,
               size_t plen, size_t count, store_key_cb *cb, void *arg, uint64_t *next)
{
    size_t lit = pat ? omk_glob_literal_prefix(pat, plen) : 0, flen = 0, rlen = 0;
    int in_table = cursor != 0 && !(cursor & SCAN_POS_FLAG);
    char pos[SCAN_POS_MAX + 1], *tkey = NULL, *resume = NULL;
    char *from = NULL;
    struct fmt_key prefix;
    uint64_t pc;

    OMK_ASSERT(db >= 0 && db < s->databases);
    OMK_ASSERT(count > 0);
    if (cursor >= SCAN_CURSOR_END)
        return STORE_ERR_CURSOR;
    if (in_table) {
        if (scan_cursor_get(s->scans, cursor, db, &tkey, &flen) != STORE_OK)
            return STORE_ERR_CURSOR;
        from = tkey;
    } else if (cursor != 0) {
        if ((flen = scan_pos_decode(cursor, db, pos)) == 0)
            return STORE_ERR_CURSOR;
        from = pos;
    }
    fmt_key_init(&prefix, db, pat, lit);
    /* Resume at the stored point, or at the prefix if that comes later. */
    if (cursor == 0 || fmt_bytes_cmp(from, flen, prefix.p, prefix.len) < 0) {
        from = prefix.p;
        flen = prefix.len;
    }
    /* Cursors and resume points name the logical db, so an iteration goes on across a
     * SWAPDB in the database it names (as Redis' does); the walk itself runs over the
     * db byte the map gives under 'excl' (dbmap.c). */
    store_rdlock(s);
    from[0] = prefix.p[0] = (char)(unsigned char)store_db_phys(s, db);
    scan_walk(s, &prefix, from, flen, pat, plen, count, cb, arg, &resume, &rlen);
    store_rdunlock(s);
    if (resume)
        resume[0] = (char)(unsigned char)db;
    fmt_key_deinit(&prefix);
    omk_free(tkey);
    pc = resume ? scan_pos_encode(resume, rlen) : 0;
    if (in_table && (!resume || pc)) /* the walk ended, or left the table */
        scan_cursor_drop(s->scans, cursor);
    if (!resume) {
        *next = 0;
    } else if (pc) {
        omk_free(resume);
        *next = pc;
    } else {
        *next = scan_cursor_put(s->scans, in_table ? cursor : 0, owner, db, resume, rlen);
    }
    return STORE_OK;
}

int store_keys(struct store *s, int db, const char *pat, size_t plen, store_key_cb *cb, void *arg)
{
    size_t lit = pat ? omk_glob_literal_prefix(pat, plen) : 0, rlen;
    struct fmt_key prefix;
    char *resume;

    OMK_ASSERT(db >= 0 && db < s->databases);
    fmt_key_init(&prefix, db, pat, lit);
    store_rdlock(s);
    prefix.p[0] = (char)(unsigned char)store_db_phys(s, db); /* the map: dbmap.c */
    scan_walk(s, &prefix, prefix.p, prefix.len, pat, plen, SIZE_MAX, cb, arg, &resume, &rlen);
    store_rdunlock(s);
    OMK_ASSERT(resume == NULL);
    fmt_key_deinit(&prefix);
    return STORE_OK;
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

    if ((unsigned char)idx_entry_key(e)[0] != p->db) {
        p->past = 1;
        return 1;
    }
    if (exp == 0 || exp > p->now || (idx_entry_flags(e) & (STORE_EF_BAD | STORE_EF_FAR))) {
        idx_keybuf_set(&p->key, idx_entry_key(e), idx_entry_klen(e));
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
    struct random_pick p = {.now = omk_now_ms()};
    unsigned char from[9];
    int rc = STORE_NOTFOUND;

    OMK_ASSERT(db >= 0 && db < s->databases);
    if (store_dbsize(s, db) == 0)
        return STORE_NOTFOUND;
    store_rdlock(s);
    db = store_db_phys(s, db); /* the map: dbmap.c */
    p.db = (unsigned char)db;
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
    store_rdunlock(s);
    if (p.found) {
        *key = omk_memdup(p.key.p + 1, p.key.len - 1);
        *klen = p.key.len - 1;
        rc = STORE_OK;
    }
    idx_keybuf_deinit(&p.key);
    return rc;
}
