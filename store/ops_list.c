/* ops_list.c - the list operations of store.h's "Collections: lists" block. Each call is
 * one operation holding the stripes of the keys it names (a read of a split list too, so
 * that it sees one state; LINDEX, LRANGE and LPOS of an inline list are reads with no
 * stripe, as GET: list_begin_read), opens each key as a list, and writes what it changed
 * in one write set: element records and top-level record in one RocksDB batch.
 *
 * HOW IT WORKS. format.h fixes the layouts. A list is inline (one record: a varint count,
 * then each element head first, read and rewritten whole, cached whole) while that
 * payload fits collection-inline-max-bytes. Past it the list is split: the top-level
 * payload is id | count | head, and the element at index i (0 the head) is the record
 * id | head + i of the element column family, so the sequence numbers of a list are
 * always contiguous and an index is a key. A new split list starts at FMT_LIST_SEQ0, the
 * middle of the 64-bit range, so it grows both ways: only 2^63 pushes more at one end
 * than pops at the other could run out of numbers (STORE_TOOBIG then; centuries at any
 * rate a server reaches).
 *
 * What each call costs on a split list (plus the top-level record: written by a change,
 * read only when coll.h's head table does not know the list's head):
 * LPUSH/RPUSH of k elements and LPOP/RPOP of k write k records (the pops read them
 * through one iterator); LINDEX reads one record, LSET writes one; LRANGE of k elements
 * reads k records through one iterator; LPOS walks from the end it starts at; LINSERT and
 * LREM renumber only the shorter side of the change (every element of that side
 * rewritten one place over), so they cost O(n) at worst, n/2 records rewritten, as Redis'
 * own LINSERT and LREM are O(n); LTRIM deletes the cut ranges, with one range tombstone
 * each when they are long (list_del_range: the cost of a tombstone).
 *
 * An inline list is edited in RAM (a deque of slices into the value read, the caller's
 * arguments or copies kept by the handle) and saved whole; when it no longer fits, the
 * save splits it under a new id, whatever the command (a 1M-argument LPUSH onto a small
 * list writes its 1M records in the same batch). A split list that a removal leaves at
 * COLL_SHRINK_COUNT elements or fewer, taking at most half the limit, goes back inline
 * (as coll_save does for hashes and sets): its id dies with the commit. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "store/coll.h"
#include "store/format.h"
#include "store/list.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"

/* Removals of at least this many contiguous records (LTRIM's cuts, large pops) are one
 * range tombstone rather than one tombstone each. A range tombstone is one write however
 * long its range, so trimming 10M elements writes one record, not 10M; but until a
 * compaction drops it, every read that overlaps its range must consult it (RocksDB
 * keeps a memtable's range tombstones apart and fragments them for each read or
 * iterator that meets them), so many small ones would slow every read of the column
 * family. Below this size the point deletes are cheap anyway (16-byte keys), and a
 * capped list (LPUSH then LTRIM 0 99, repeated) cuts one element a call: a point delete.
 * With the threshold, range tombstones number at most one per LIST_RANGE_DEL_MIN
 * elements removed, and the reclaimer's compaction of a list that lost many elements
 * (store_reclaim_removed) clears them with the records they cover. */
#define LIST_RANGE_DEL_MIN 1024

/* A list opened in an operation. */
struct list {
    struct store_op *op;
    size_t ki;              /* its key in 'op' */
    int existed;            /* the key held a list when opened */
    int changed;            /* list_save() has something to write */
    unsigned fflags;        /* FMT_F_SPLIT or 0, as the list stands now */
    int64_t expire_ms;      /* its expiry (kept by every write) */
    uint64_t count;         /* its elements now */
    /* Split: */
    uint64_t id;            /* its id */
    uint64_t head;          /* the sequence number of element 0 */
    uint64_t removed;       /* element records deleted through this handle (reclaim) */
    /* Inline: the elements, head first, at el[lo .. lo + count). */
    struct omk_slice *el;
    size_t lo, cap;
    size_t bytes;           /* their serialized bytes (varint length + bytes each) */
    struct store_val *src;  /* the value read, which elements may point into */
    char **mem;             /* copies kept until the handle closes */
    size_t nmem, capmem;
    int saved_split;        /* list_save() put a split record: the head table learns it
                             * after the commit (list_heads_done) */
    struct list *also;      /* the operation's other saved list (LMOVE), for the same */
};

/* Bytes of a varint holding 'v'. */
static size_t list_varint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Serialized bytes of an element of 'len' bytes in an inline payload. */
static size_t list_ser_len(size_t len)
{
    return list_varint_len(len) + len;
}

/* Keep a copy of 'p'/'len' until the handle closes; returns the copy. */
static const char *list_keep(struct list *l, const char *p, size_t len)
{
    char *m = omk_malloc(len + 1);

    if (len)
        memcpy(m, p, len);
    if (l->nmem == l->capmem) {
        l->capmem = l->capmem ? 2 * l->capmem : 8;
        l->mem = omk_realloc(l->mem, l->capmem * sizeof(*l->mem));
    }
    l->mem[l->nmem++] = m;
    return m;
}

/* A copy of element 'e' as a store value (released with store_val_release). */
static struct store_val *list_val(struct omk_slice e, int64_t expire_ms)
{
    char *buf = omk_malloc(FMT_HDR_LEN + e.len + 1);

    memset(buf, 0, FMT_HDR_LEN);
    if (e.len)
        memcpy(buf + FMT_HDR_LEN, e.p, e.len);
    return store_val_wrap(buf, FMT_HDR_LEN + e.len, expire_ms);
}

/* ---- The inline deque ----------------------------------------------------------------- */

/* Make room for 'front' more elements before the first and 'back' more after the last
 * (amortized O(1) per element: the array doubles, the elements centred in it). */
static void list_room(struct list *l, size_t front, size_t back)
{
    size_t need, cap, lo;
    struct omk_slice *el;

    if (l->lo >= front && l->cap - l->lo - l->count >= back)
        return;
    need = l->count + front + back;
    cap = 2 * need + 8;
    lo = front + (cap - need) / 2;
    el = omk_malloc(cap * sizeof(*el));
    if (l->count)
        memcpy(el + lo, l->el + l->lo, l->count * sizeof(*el));
    omk_free(l->el);
    l->el = el;
    l->lo = lo;
    l->cap = cap;
}

/* Element 'i' (0 the head) of inline list 'l'. */
static struct omk_slice *list_at(struct list *l, uint64_t i)
{
    return &l->el[l->lo + i];
}

/* Decode inline payload 'p'/'len' into the deque. 0, or -1 if malformed. */
static int list_decode(struct list *l, const char *p, size_t len)
{
    size_t off = 0;
    uint64_t n, elen;

    if (fmt_varint_get(p, len, &off, &n) != 0 || n > len)
        return -1;
    l->bytes = len - off;
    list_room(l, 0, (size_t)n);
    for (l->count = 0; l->count < n; l->count++) {
        if (fmt_varint_get(p, len, &off, &elen) != 0 || elen > len - off)
            return -1;
        *list_at(l, l->count) = (struct omk_slice){p + off, (size_t)elen};
        off += elen;
    }
    return off == len ? 0 : -1;
}

/* ---- Split records ------------------------------------------------------------------- */

/* Put element 'e' at sequence number 'seq' of split list 'l' (the operation's batch). */
static void list_put(struct list *l, uint64_t seq, struct omk_slice e)
{
    unsigned char k[FMT_ELEM_PREFIX];

    fmt_elem_prefix(k, l->id, seq);
    rocks_batch_put_cf(l->op->s->rocks, l->op->w.b, ROCKS_CF_ELEMS, (const char *)k, sizeof(k),
                       e.p, e.len);
}

/* Delete the records of sequence numbers 'from' <= seq < 'to' of split list 'l': one range
 * tombstone when there are LIST_RANGE_DEL_MIN or more, else one delete each. A batch of a
 * transaction (MULTI/EXEC) records its changes into an index that takes no range
 * deletion: it deletes one by one, however many. */
static void list_del_range(struct list *l, uint64_t from, uint64_t to)
{
    struct rocks *r = l->op->s->rocks;
    struct rocks_batch *b = l->op->w.b;
    unsigned char k[FMT_ELEM_PREFIX], e[FMT_ELEM_PREFIX];

    if (from >= to)
        return;
    l->removed += to - from;
    if (to - from >= LIST_RANGE_DEL_MIN && !rocks_batch_recording(b)) {
        fmt_elem_prefix(k, l->id, from);
        fmt_elem_prefix(e, l->id, to);
        rocks_batch_delete_range_cf(r, b, ROCKS_CF_ELEMS, (const char *)k, sizeof(k),
                                    (const char *)e, sizeof(e));
        return;
    }
    for (uint64_t seq = from; seq < to; seq++) {
        fmt_elem_prefix(k, l->id, seq);
        rocks_batch_delete_cf(r, b, ROCKS_CF_ELEMS, (const char *)k, sizeof(k));
    }
}

/* A split list's record that is not where its count and head say: logged once per call,
 * answered STORE_ERR_VALUE. */
static int list_damaged(struct list *l, uint64_t i)
{
    store_log(l->op->s->log, STORE_LOG_WARN,
              "List id %llu: element %llu of %llu (sequence number %llu) is missing",
              (unsigned long long)l->id, (unsigned long long)i, (unsigned long long)l->count,
              (unsigned long long)(l->head + i));
    return STORE_ERR_VALUE;
}

/* ---- Walks ----------------------------------------------------------------------------- */

/* Called per element with its index from the head; non-zero stops the walk. 'e' is valid
 * during the call only. */
typedef int list_fn(void *arg, uint64_t i, struct omk_slice e);

/* Call 'fn' for the 'n' elements of 'l' from index 'from' toward the tail or, with 'back',
 * toward the head, as the list stood when opened (a split list's records are read
 * through one iterator, which sees neither this operation's writes nor any other's:
 * callers walk before they change). STORE_OK (also when 'fn' stopped it),
 * STORE_ERR_VALUE (a record is missing: the list is damaged) or an I/O error. */
static int list_walk(struct list *l, uint64_t from, uint64_t n, int back, list_fn *fn,
                     void *arg)
{
    unsigned char at[FMT_ELEM_PREFIX], end[FMT_ELEM_PREFIX];
    struct rocks_iter *it;
    int rc = STORE_OK;

    if (n == 0)
        return STORE_OK;
    OMK_ASSERT(from < l->count && (back ? n <= from + 1 : n <= l->count - from));
    if (!(l->fflags & FMT_F_SPLIT)) {
        for (uint64_t j = 0; j < n; j++) {
            uint64_t i = back ? from - j : from + j;

            if (fn(arg, i, *list_at(l, i)))
                break;
        }
        return STORE_OK;
    }
    if (n == 1) { /* a queue's pop, LMOVE: one point read costs less than an iterator */
        char *buf = NULL;
        size_t vlen = 0;

        fmt_elem_prefix(at, l->id, l->head + from);
        rc = store_log_get_cf(l->op->s, ROCKS_CF_ELEMS, (const char *)at, sizeof(at), &buf,
                              &vlen);
        if (rc == STORE_NOTFOUND)
            rc = list_damaged(l, from);
        if (rc == STORE_OK)
            fn(arg, from, (struct omk_slice){buf, vlen});
        rocks_free(buf);
        return rc;
    }
    fmt_elem_prefix(end, l->id + 1, 0);
    fmt_elem_prefix(at, l->id, l->head + from);
    it = store_log_iter(l->op->s, ROCKS_CF_ELEMS, (const char *)end, sizeof(end));
    if (back)
        rocks_iter_seek_for_prev(it, (const char *)at, sizeof(at));
    else
        rocks_iter_seek(it, (const char *)at, sizeof(at));
    for (uint64_t j = 0; j < n; j++) {
        uint64_t i = back ? from - j : from + j;
        const char *k, *v;
        size_t klen, vlen;

        if (!rocks_iter_valid(it)) {
            rc = rocks_iter_status(it);
            if (rc == STORE_OK)
                rc = list_damaged(l, i);
            break;
        }
        /* A transaction's iterator ignores the bound for its own records: the key is
         * checked whole. */
        k = rocks_iter_key(it, &klen);
        fmt_elem_prefix(at, l->id, l->head + i);
        if (klen != sizeof(at) || memcmp(k, at, sizeof(at)) != 0) {
            rc = list_damaged(l, i);
            break;
        }
        v = rocks_iter_value(it, &vlen);
        if (fn(arg, i, (struct omk_slice){v, vlen}) || j + 1 == n)
            break; /* no step past the last: it may cross every tombstone beyond it */
        if (back)
            rocks_iter_prev(it);
        else
            rocks_iter_next(it);
    }
    rocks_iter_free(it);
    return rc;
}

/* list_fn: hand the element to a store_elem_cb, counting it (the element the callback
 * stops at counts: it was handed over). */
struct list_emit {
    store_elem_cb *cb;
    void *arg;
    size_t n;
};

static int list_emit_one(void *arg, uint64_t i, struct omk_slice e)
{
    struct list_emit *h = arg;

    OMK_UNUSED(i);
    h->n++;
    return h->cb(h->arg, e);
}

/* ---- Opening, saving, closing ----------------------------------------------------------- */

/* Open key 'ki' of locked write operation 'op' as a list. STORE_OK (a missing key opens
 * empty, 'existed' 0), STORE_WRONGTYPE, STORE_ERR_VALUE (the stored value does not
 * decode) or an error. Close with list_close() whatever the outcome. */
static int list_open(struct list *l, struct store_op *op, size_t ki)
{
    const struct store_op_key *k = &op->key[ki];
    int rc;

    memset(l, 0, sizeof(*l));
    l->op = op;
    l->ki = ki;
    rc = store_op_lookup(op, ki, STORE_WANT_STATE);
    if (rc != STORE_OK || !k->st.exists)
        return rc;
    if (k->st.bad)
        return STORE_ERR_VALUE;
    if (k->st.type != STORE_TYPE_LIST)
        return STORE_WRONGTYPE;
    l->existed = 1;
    l->fflags = k->st.fflags & FMT_F_SPLIT;
    l->expire_ms = k->st.expire_ms;
    if ((l->fflags & FMT_F_SPLIT) && op->mode == STORE_OP_READ)
        return COLL_SPLIT; /* its head and elements are read under its stripe */
    if (l->fflags & FMT_F_SPLIT) {
        /* Its head is only in its record (its count and id are in RAM too), which the
         * cache never holds: the head table (coll.h) knows it, or the record is read
         * straight, not counted as a cache miss. A transaction reads through its own
         * view and leaves the table alone (what it writes may never reach RocksDB). */
        char *buf = NULL;
        size_t n = 0;
        int tx = store_tx_active();

        if (!tx && coll_list_head_get(op->s, k->st.id, k->st.count, &l->head)) {
            l->id = k->st.id;
            l->count = k->st.count;
            if (l->count == 0 || l->head > UINT64_MAX - l->count)
                return STORE_ERR_VALUE;
            return STORE_OK;
        }
        rc = store_log_get(op->s, k->k.p, k->k.len, &buf, &n);
        if (rc == STORE_NOTFOUND || (rc == STORE_OK && n != FMT_HDR_LEN + FMT_LIST_SPLIT_LEN))
            rc = STORE_ERR_VALUE; /* the index says it is there, and the stripe is held */
        if (rc == STORE_OK) {
            l->id = fmt_u64_get(buf + FMT_HDR_LEN);
            l->count = fmt_u64_get(buf + FMT_HDR_LEN + 8);
            l->head = fmt_u64_get(buf + FMT_HDR_LEN + 16);
            if (l->id != k->st.id || l->count != k->st.count || l->count == 0 ||
                l->head > UINT64_MAX - l->count)
                rc = STORE_ERR_VALUE;
        }
        rocks_free(buf);
        if (rc == STORE_OK && !tx)
            coll_list_head_set(op->s, l->id, l->count, l->head);
        return rc;
    }
    rc = store_op_lookup(op, ki, STORE_WANT_VALUE);
    if (rc != STORE_OK)
        return rc;
    if (op->mode == STORE_OP_READ) {
        /* A read holds no stripe: the key may have changed since its state was read. */
        if (!k->st.exists || k->st.type != STORE_TYPE_LIST || (k->st.fflags & FMT_F_SPLIT))
            return COLL_SPLIT; /* read it again under its stripe */
        l->expire_ms = k->st.expire_ms;
    }
    if (!k->st.exists || !k->val) /* it cannot have changed: the stripe is held */
        return STORE_ERR_VALUE;
    l->src = store_op_take_val(op, ki);
    if (list_decode(l, l->src->data, l->src->len) != 0 || l->count != k->st.count ||
        l->count == 0)
        return STORE_ERR_VALUE;
    return STORE_OK;
}

static void list_close(struct list *l)
{
    for (size_t i = 0; i < l->nmem; i++)
        omk_free(l->mem[i]);
    omk_free(l->mem);
    omk_free(l->el);
    store_val_release(l->src);
    memset(l, 0, sizeof(*l));
}

/* Put split list 'l''s top-level record (id, count, head) in the write set. */
static void list_put_meta(struct list *l)
{
    unsigned char meta[FMT_LIST_SPLIT_LEN];

    fmt_u64_put(meta, l->id);
    fmt_u64_put(meta + 8, l->count);
    fmt_u64_put(meta + 16, l->head);
    store_op_put_typed(l->op, l->ki, STORE_TYPE_LIST, FMT_F_SPLIT, meta, sizeof(meta),
                       l->expire_ms);
}

/* store_op's before_unlock for the lists an operation saved split: once the commit is
 * in (outside a transaction), each one's head goes to the table (coll.h); a
 * transaction's write, or a failed one, leaves the table without it. */
static void list_heads_done(struct store_op *op, int rc, void *arg)
{
    int tx = store_tx_active();

    for (struct list *l = arg; l; l = l->also) {
        if (!l->saved_split)
            continue;
        if (rc >= 0 && !tx)
            coll_list_head_set(op->s, l->id, l->count, l->head);
        else
            coll_list_head_forget(op->s, l->id);
    }
}

/* Have list_heads_done() tell the head table of split list 'l' after the commit. */
static void list_heads_note(struct list *l)
{
    struct store_op *op = l->op;

    l->saved_split = 1;
    if (!op->before_unlock) {
        op->before_unlock = list_heads_done;
        op->before_unlock_arg = l;
    } else if (op->before_unlock == list_heads_done && op->before_unlock_arg != l) {
        struct list *first = op->before_unlock_arg;

        OMK_ASSERT(first->also == NULL || first->also == l);
        first->also = l;
    }
}

/* Write what 'l' changed into the operation's write set (nothing if nothing changed):
 * delete the key when the list is empty (a split list's records then die with its id:
 * no record deletes are needed), else put it in the layout that fits (HOW IT WORKS).
 * STORE_OK, or the error of taking a new id. */
static int list_save(struct list *l)
{
    struct store_coll_limits lim;
    unsigned char *p;
    size_t off;
    int rc;

    if (!l->changed)
        return STORE_OK;
    OMK_ASSERT(l->op->mode == STORE_OP_WRITE); /* a read's list is never changed */
    if (l->count == 0) {
        store_op_del(l->op, l->ki);
        return STORE_OK;
    }
    if (l->fflags & FMT_F_SPLIT) {
        list_put_meta(l);
        list_heads_note(l);
        store_reclaim_removed(l->op->s, l->id, l->removed, l->count);
        return STORE_OK;
    }
    coll_limits(l->op->s, &lim);
    off = list_varint_len(l->count);
    if (off + l->bytes <= lim.inline_max_bytes) {
        p = omk_malloc(off + l->bytes + 1);
        off = fmt_varint_put(p, l->count);
        for (uint64_t i = 0; i < l->count; i++) {
            const struct omk_slice *e = list_at(l, i);

            off += fmt_varint_put(p + off, e->len);
            if (e->len)
                memcpy(p + off, e->p, e->len);
            off += e->len;
        }
        OMK_ASSERT(off == list_varint_len(l->count) + l->bytes);
        store_op_put_typed(l->op, l->ki, STORE_TYPE_LIST, 0, p, off, l->expire_ms);
        omk_free(p);
        return STORE_OK;
    }
    /* Split: a new id (live from the commit on, before which nothing of it reaches
     * RocksDB), every element a record, in the operation's batch. */
    rc = coll_id_new(l->op->s, &l->id);
    if (rc != STORE_OK)
        return rc;
    l->fflags |= FMT_F_SPLIT;
    l->head = FMT_LIST_SEQ0;
    for (uint64_t i = 0; i < l->count; i++)
        list_put(l, l->head + i, *list_at(l, i));
    list_put_meta(l);
    list_heads_note(l);
    return STORE_OK;
}

/* Save 'l' when 'rc' is STORE_OK, end the operation, close 'l'. Returns the outcome. */
static int list_end(struct store_op *op, struct list *l, int rc)
{
    if (rc == STORE_OK)
        rc = list_save(l);
    rc = store_op_end(op, rc);
    list_close(l);
    return rc;
}

/* Begin an operation on list 'key' ('op' locked, 'l' open), ended by list_end(). */
static int list_begin(struct store_op *op, struct list *l, struct store *s, int db,
                      struct omk_slice key)
{
    store_op_begin1(op, s, STORE_OP_WRITE, db, key);
    return list_open(l, op, 0);
}

/* Begin an operation that only reads list 'key', ended by list_end(): an inline list in
 * a read operation, with no stripe (as GET reads a string), a split one (or one that
 * changed between its two lookups) in a write operation holding its stripe. */
static int list_begin_read(struct store_op *op, struct list *l, struct store *s, int db,
                           struct omk_slice key)
{
    int rc;

    store_op_begin1(op, s, STORE_OP_READ, db, key);
    rc = list_open(l, op, 0);
    if (rc != COLL_SPLIT)
        return rc;
    list_close(l);
    store_op_end(op, STORE_OK);
    return list_begin(op, l, s, db, key);
}

/* ---- Changes ---------------------------------------------------------------------------- */

/* Whether split list 'l' has 'n' free sequence numbers at 'end' (an inline one always
 * has): STORE_OK or STORE_TOOBIG. */
static int list_push_check_seq(const struct list *l, enum store_end end, uint64_t n)
{
    if (!(l->fflags & FMT_F_SPLIT))
        return STORE_OK;
    return (end == STORE_LEFT ? l->head < n : UINT64_MAX - l->head - l->count < n)
               ? STORE_TOOBIG
               : STORE_OK;
}

/* Whether 'n' elements may be pushed at 'end' of 'l': STORE_OK, or STORE_TOOBIG when the
 * list would pass 2^32 - 1 elements (the index entry counts them) or a split list would
 * run out of sequence numbers at that end. Checked before anything is written: a
 * positive outcome still commits the operation's write set. */
static int list_push_check(const struct list *l, enum store_end end, uint64_t n)
{
    return list_push_check_seq(l, end, n) != STORE_OK || n > UINT32_MAX - l->count
               ? STORE_TOOBIG
               : STORE_OK;
}

/* Push the 'n' elements 'e' one after the other at 'end' of 'l' (the caller keeps them
 * alive until the save). STORE_OK, or STORE_TOOBIG (list_push_check; nothing changed). */
static int list_push(struct list *l, enum store_end end, const struct omk_slice *e, size_t n)
{
    int rc = list_push_check(l, end, n);

    if (rc != STORE_OK || n == 0)
        return rc;
    l->changed = 1;
    if (!(l->fflags & FMT_F_SPLIT)) {
        list_room(l, end == STORE_LEFT ? n : 0, end == STORE_RIGHT ? n : 0);
        for (size_t i = 0; i < n; i++) {
            if (end == STORE_LEFT)
                l->el[--l->lo] = e[i];
            else
                l->el[l->lo + l->count] = e[i];
            l->count++;
            l->bytes += list_ser_len(e[i].len);
        }
        return STORE_OK;
    }
    OMK_ASSERT(l->count > 0); /* an emptied split list is deleted, never pushed to */
    if (end == STORE_LEFT) {
        for (size_t i = 0; i < n; i++)
            list_put(l, l->head - 1 - i, e[i]);
        l->head -= n;
    } else {
        for (size_t i = 0; i < n; i++)
            list_put(l, l->head + l->count + i, e[i]);
    }
    l->count += n;
    return STORE_OK;
}

/* What list_shrink() keeps: copies of the elements, head first. */
struct list_keepers {
    struct list *l;
    struct omk_slice el[COLL_SHRINK_COUNT + 1];
    size_t n, bytes;
    const struct omk_slice *skip; /* elements equal to it are left out ... */
    uint64_t skip_lo, skip_hi;    /* ... at indexes skip_lo..skip_hi */
    size_t max_bytes;             /* more than this: not small (nothing more copied) */
    int big;                      /* too many elements or bytes */
};

static int list_keep_one(void *arg, uint64_t i, struct omk_slice e)
{
    struct list_keepers *k = arg;

    if (k->skip && i >= k->skip_lo && i <= k->skip_hi && e.len == k->skip->len &&
        memcmp(e.p, k->skip->p, e.len) == 0)
        return 0;
    if (k->n == COLL_SHRINK_COUNT || list_ser_len(e.len) > k->max_bytes - k->bytes) {
        k->big = 1; /* checked before the copy: a few huge elements are not copied */
        return 1;
    }
    k->el[k->n++] = (struct omk_slice){list_keep(k->l, e.p, e.len), e.len};
    k->bytes += list_ser_len(e.len);
    return 0;
}

/* A removal is about to leave split list 'l' with the elements at indexes 'from' to
 * 'to' - 1 as it stands (those equal to 'skip' at indexes 'skip_lo'..'skip_hi' left
 * out; 'skip' NULL: none): if they are at most COLL_SHRINK_COUNT and take at most half
 * the inline limit, make 'l' inline with them, '*done' 1 (no record need be written: the
 * id dies with the commit). Else '*done' 0, 'l' unchanged. STORE_OK or an error. */
static int list_shrink(struct list *l, uint64_t from, uint64_t to, const struct omk_slice *skip,
                       uint64_t skip_lo, uint64_t skip_hi, int *done)
{
    struct list_keepers k = {.l = l, .skip = skip, .skip_lo = skip_lo, .skip_hi = skip_hi};
    struct store_coll_limits lim;
    int rc;

    *done = 0;
    coll_limits(l->op->s, &lim);
    if (lim.inline_max_bytes / 2 < 1)
        return STORE_OK;
    k.max_bytes = (size_t)(lim.inline_max_bytes / 2) - 1; /* the count's varint: 1 byte */
    rc = list_walk(l, from, to - from, 0, list_keep_one, &k);
    if (rc != STORE_OK || k.big || k.n == 0)
        return rc;
    l->fflags &= ~FMT_F_SPLIT;
    l->id = l->head = 0;
    l->count = 0;
    l->lo = 0;
    list_room(l, 0, k.n);
    memcpy(l->el + l->lo, k.el, k.n * sizeof(*k.el));
    l->count = k.n;
    l->bytes = k.bytes;
    l->changed = 1;
    *done = 1;
    return STORE_OK;
}

/* Remove 'a' elements from the head of 'l' and 'b' from its tail (the caller walked them
 * if it needed them); with 'shrink', a split list left small may go inline. STORE_OK or
 * an error (nothing changed). */
static int list_cut_ends(struct list *l, uint64_t a, uint64_t b, int shrink)
{
    uint64_t left;
    int done, rc;

    if (a + b == 0)
        return STORE_OK;
    OMK_ASSERT(a <= l->count && b <= l->count - a);
    l->changed = 1;
    left = l->count - a - b;
    if (!(l->fflags & FMT_F_SPLIT)) {
        for (uint64_t i = 0; i < a; i++)
            l->bytes -= list_ser_len(list_at(l, i)->len);
        for (uint64_t i = a + left; i < l->count; i++)
            l->bytes -= list_ser_len(list_at(l, i)->len);
        l->lo += a;
        l->count = left;
        return STORE_OK;
    }
    if (left == 0) { /* the key goes: its records die with the id */
        l->count = 0;
        return STORE_OK;
    }
    if (shrink && left <= COLL_SHRINK_COUNT) {
        rc = list_shrink(l, a, a + left, NULL, 0, 0, &done);
        if (rc != STORE_OK || done)
            return rc;
    }
    list_del_range(l, l->head, l->head + a);
    list_del_range(l, l->head + a + left, l->head + l->count);
    l->head += a;
    l->count = left;
    return STORE_OK;
}

/* Redis' LRANGE / LTRIM reading of 'start'..'stop' over a list of 'len' elements: the
 * first index in '*from' and the number of elements in '*n' (0: an empty range). */
static void list_range(uint64_t len, int64_t start, int64_t stop, uint64_t *from, uint64_t *n)
{
    int64_t l = (int64_t)len; /* at most 2^32 - 1: no overflow below */

    if (start < 0)
        start = l + start;
    if (stop < 0)
        stop = l + stop;
    if (start < 0)
        start = 0;
    *from = 0;
    *n = 0;
    if (start > stop || start >= l)
        return;
    if (stop >= l)
        stop = l - 1;
    *from = (uint64_t)start;
    *n = (uint64_t)(stop - start + 1);
}

/* Redis' reading of index 'index' (negative: from the tail) over 'len' elements: 1 with
 * the index from the head in '*i', or 0 when out of range. */
static int list_index(uint64_t len, int64_t index, uint64_t *i)
{
    if (index < 0)
        index += (int64_t)len;
    if (index < 0 || (uint64_t)index >= len)
        return 0;
    *i = (uint64_t)index;
    return 1;
}

/* ---- Push, pop, length ------------------------------------------------------------------ */

int store_lpush(struct store *s, int db, struct omk_slice key, enum store_end end,
                const struct omk_slice *elems, size_t n, int flags, uint64_t *len)
{
    struct store_op op;
    struct list l;
    int rc = list_begin(&op, &l, s, db, key);

    OMK_ASSERT((flags & ~STORE_PUSH_X) == 0);
    *len = 0;
    if (rc == STORE_OK && !l.existed && (flags & STORE_PUSH_X))
        return list_end(&op, &l, STORE_OK);
    if (rc == STORE_OK)
        rc = list_push(&l, end, elems, n);
    if (rc == STORE_OK)
        *len = l.count;
    return list_end(&op, &l, rc);
}

/* Pop up to 'count' elements from 'end' of open list 'l', handing each to 'cb' in the
 * order removed; '*n' says how many. */
static int list_pop(struct list *l, enum store_end end, uint64_t count, store_elem_cb *cb,
                    void *arg, size_t *n)
{
    struct list_emit h = {cb, arg, 0};
    uint64_t k = count < l->count ? count : l->count;
    int rc;

    if (k == 0)
        return STORE_OK;
    if (end == STORE_LEFT)
        rc = list_walk(l, 0, k, 0, list_emit_one, &h);
    else
        rc = list_walk(l, l->count - 1, k, 1, list_emit_one, &h);
    if (rc != STORE_OK)
        return rc;
    *n = h.n;
    return list_cut_ends(l, end == STORE_LEFT ? h.n : 0, end == STORE_RIGHT ? h.n : 0, 1);
}

int store_lpop(struct store *s, int db, struct omk_slice key, enum store_end end, uint64_t count,
               store_elem_cb *cb, void *arg, size_t *n)
{
    struct store_op op;
    struct list l;
    int rc = list_begin(&op, &l, s, db, key);

    *n = 0;
    if (rc == STORE_OK && l.existed)
        rc = list_pop(&l, end, count, cb, arg, n);
    if (rc != STORE_OK)
        *n = 0;
    return list_end(&op, &l, rc);
}

/* A key and where it was named first (list_first_names). */
struct list_name {
    struct omk_slice k;
    size_t i;
};

static int list_name_cmp(const void *a, const void *b)
{
    const struct list_name *x = a, *y = b;
    int c = fmt_bytes_cmp(x->k.p, x->k.len, y->k.p, y->k.len);

    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* For the 'n' keys 'keys': first[i] is 1 when keys[i] is named for the first time (a key
 * named again must not be looked up twice in one operation: an expired one would be
 * deleted twice). Sorting makes it O(n log n) whatever the number of keys. Returns
 * memory freed with omk_free. */
static unsigned char *list_first_names(const struct omk_slice *keys, size_t n)
{
    struct list_name *v = omk_malloc((n ? n : 1) * sizeof(*v));
    unsigned char *first = omk_malloc(n ? n : 1);

    for (size_t i = 0; i < n; i++)
        v[i] = (struct list_name){keys[i], i};
    qsort(v, n, sizeof(*v), list_name_cmp);
    for (size_t i = 0; i < n; i++)
        first[v[i].i] = i == 0 || fmt_bytes_cmp(v[i].k.p, v[i].k.len, v[i - 1].k.p,
                                                 v[i - 1].k.len) != 0;
    omk_free(v);
    return first;
}

int store_lmpop(struct store *s, int db, const struct omk_slice *keys, size_t nkeys,
                enum store_end end, uint64_t count, store_elem_cb *cb, void *arg, size_t *which,
                size_t *n)
{
    unsigned char *first = list_first_names(keys, nkeys);
    struct store_op op;
    struct list l;
    int rc = STORE_NOTFOUND;

    *n = 0;
    memset(&l, 0, sizeof(l));
    store_op_begin(&op, s, STORE_OP_WRITE, nkeys);
    for (size_t i = 0; i < nkeys; i++)
        store_op_key(&op, i, db, keys[i]);
    store_op_lock(&op);
    for (size_t i = 0; i < nkeys; i++) {
        int orc;

        if (!first[i])
            continue; /* named before, and found missing then */
        orc = list_open(&l, &op, i);
        if (orc == STORE_OK && !l.existed) {
            list_close(&l);
            continue;
        }
        rc = orc;
        if (rc == STORE_OK) {
            *which = i;
            rc = list_pop(&l, end, count, cb, arg, n);
        }
        break;
    }
    omk_free(first);
    if (rc != STORE_OK)
        *n = 0;
    return list_end(&op, &l, rc);
}

int store_llen(struct store *s, int db, struct omk_slice key, uint64_t *len)
{
    return coll_count_key(s, db, key, STORE_TYPE_LIST, len);
}

/* ---- Reads by index --------------------------------------------------------------------- */

int store_lindex(struct store *s, int db, struct omk_slice key, int64_t index,
                 struct store_val **out)
{
    struct store_op op;
    struct list l;
    uint64_t i = 0;
    int rc = list_begin_read(&op, &l, s, db, key);

    if (rc == STORE_OK && (!l.existed || !list_index(l.count, index, &i)))
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK && !(l.fflags & FMT_F_SPLIT)) {
        *out = list_val(*list_at(&l, i), l.expire_ms);
    } else if (rc == STORE_OK) {
        unsigned char k[FMT_ELEM_PREFIX];
        char *buf = NULL;
        size_t vlen = 0;

        fmt_elem_prefix(k, l.id, l.head + i);
        rc = store_log_get_cf(s, ROCKS_CF_ELEMS, (const char *)k, sizeof(k), &buf, &vlen);
        if (rc == STORE_NOTFOUND)
            rc = list_damaged(&l, i);
        if (rc == STORE_OK)
            *out = list_val((struct omk_slice){buf, vlen}, l.expire_ms);
        rocks_free(buf);
    }
    return list_end(&op, &l, rc);
}

int store_lrange(struct store *s, int db, struct omk_slice key, int64_t start, int64_t stop,
                 store_elem_cb *cb, void *arg, size_t *n)
{
    struct list_emit h = {cb, arg, 0};
    struct store_op op;
    struct list l;
    uint64_t from, k;
    int rc = list_begin_read(&op, &l, s, db, key);

    if (rc == STORE_OK && l.existed) {
        list_range(l.count, start, stop, &from, &k);
        rc = list_walk(&l, from, k, 0, list_emit_one, &h);
    }
    *n = h.n;
    return list_end(&op, &l, rc);
}

int store_lset(struct store *s, int db, struct omk_slice key, int64_t index,
               struct omk_slice elem)
{
    struct store_op op;
    struct list l;
    uint64_t i = 0;
    int rc = list_begin(&op, &l, s, db, key);

    if (rc == STORE_OK && !l.existed)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK && !list_index(l.count, index, &i))
        rc = STORE_OUTOFRANGE;
    if (rc == STORE_OK) {
        l.changed = 1;
        if (l.fflags & FMT_F_SPLIT) {
            list_put(&l, l.head + i, elem);
        } else {
            l.bytes -= list_ser_len(list_at(&l, i)->len);
            *list_at(&l, i) = elem;
            l.bytes += list_ser_len(elem.len);
        }
    }
    return list_end(&op, &l, rc);
}

/* ---- Searches and their changes ---------------------------------------------------------- */

/* list_fn: find the elements equal to 'e' (LINSERT's pivot, LREM's, LPOS'). */
struct list_find {
    struct omk_slice e;
    uint64_t want;      /* stop after this many matches (0: all) */
    uint64_t skip;      /* LPOS: matches to pass over before reporting */
    uint64_t maxlen;    /* LPOS: compare at most this many elements (0: all) */
    uint64_t seen;      /* elements compared */
    uint64_t matches;   /* matches counted (the skipped ones included) */
    uint64_t first, last; /* indexes of the first and last match counted (walk order) */
    store_index_cb *cb; /* LPOS: told each match reported */
    void *arg;
    size_t reported;
};

static int list_find_one(void *arg, uint64_t i, struct omk_slice e)
{
    struct list_find *f = arg;

    if (f->maxlen && f->seen >= f->maxlen)
        return 1;
    f->seen++;
    if (e.len != f->e.len || memcmp(e.p, f->e.p, e.len) != 0)
        return 0;
    if (f->matches++ < f->skip)
        return 0;
    if (f->matches == f->skip + 1)
        f->first = i;
    f->last = i;
    if (f->cb) {
        f->reported++;
        if (f->cb(f->arg, i))
            return 1;
    }
    return f->want && f->matches - f->skip >= f->want;
}

/* Insert 'e' so that it becomes element 'at' (0..count) of 'l', renumbering the
 * shorter side of a split list (O(min(at, count - at)) records rewritten). STORE_OK,
 * STORE_TOOBIG, or an error (nothing changed). */
struct list_shift {
    struct list *l;
    int64_t by;
};

static int list_shift_one(void *arg, uint64_t i, struct omk_slice e)
{
    struct list_shift *sh = arg;

    list_put(sh->l, sh->l->head + i + (uint64_t)sh->by, e);
    return 0;
}

static int list_insert_at(struct list *l, uint64_t at, struct omk_slice e)
{
    int rc;

    if (l->count >= UINT32_MAX)
        return STORE_TOOBIG;
    if (!(l->fflags & FMT_F_SPLIT)) {
        /* Move the shorter side one place over. */
        if (at <= l->count - at) {
            list_room(l, 1, 0);
            l->lo--;
            memmove(l->el + l->lo, l->el + l->lo + 1, at * sizeof(*l->el));
        } else {
            list_room(l, 0, 1);
            memmove(l->el + l->lo + at + 1, l->el + l->lo + at,
                    (l->count - at) * sizeof(*l->el));
        }
        *list_at(l, at) = e;
        l->count++;
        l->bytes += list_ser_len(e.len);
        l->changed = 1;
        return STORE_OK;
    }
    if (at <= l->count - at) {
        /* Elements 0..at-1 move one number down; 'e' takes the number of at-1. */
        struct list_shift sh = {l, -1};

        if (l->head == 0)
            return STORE_TOOBIG;
        rc = list_walk(l, 0, at, 0, list_shift_one, &sh);
        if (rc != STORE_OK)
            return rc;
        list_put(l, l->head + at - 1, e);
        l->head--;
    } else {
        /* Elements at..count-1 move one number up; 'e' takes the number of at. */
        struct list_shift sh = {l, 1};

        if (l->head + l->count == UINT64_MAX)
            return STORE_TOOBIG;
        rc = list_walk(l, at, l->count - at, 0, list_shift_one, &sh);
        if (rc != STORE_OK)
            return rc;
        list_put(l, l->head + at, e);
    }
    l->count++;
    l->changed = 1;
    return STORE_OK;
}

int store_linsert(struct store *s, int db, struct omk_slice key, int after,
                  struct omk_slice pivot, struct omk_slice elem, int64_t *len)
{
    struct list_find f = {.e = pivot, .want = 1};
    struct store_op op;
    struct list l;
    int rc = list_begin(&op, &l, s, db, key);

    *len = 0;
    if (rc != STORE_OK || !l.existed)
        return list_end(&op, &l, rc);
    rc = list_walk(&l, 0, l.count, 0, list_find_one, &f);
    if (rc == STORE_OK && f.matches == 0) {
        *len = -1;
        return list_end(&op, &l, STORE_OK);
    }
    if (rc == STORE_OK)
        rc = list_insert_at(&l, after ? f.first + 1 : f.first, elem);
    if (rc == STORE_OK)
        *len = (int64_t)l.count;
    return list_end(&op, &l, rc);
}

/* list_fn of LREM's second walk: drop the elements equal to the one removed among
 * indexes lo..hi, moving each kept element by the number dropped so far (the walk runs
 * away from the side that stays put). */
struct list_compact {
    struct list *l;
    struct omk_slice e;
    uint64_t lo, hi;
    uint64_t dropped;
    int back;           /* walking toward the head: kept elements move up */
};

static int list_compact_one(void *arg, uint64_t i, struct omk_slice e)
{
    struct list_compact *c = arg;

    if (i >= c->lo && i <= c->hi && e.len == c->e.len && memcmp(e.p, c->e.p, e.len) == 0) {
        c->dropped++;
        return 0;
    }
    if (c->dropped)
        list_put(c->l, c->back ? c->l->head + i + c->dropped : c->l->head + i - c->dropped, e);
    return 0;
}

int store_lrem(struct store *s, int db, struct omk_slice key, int64_t count,
               struct omk_slice elem, uint64_t *removed)
{
    struct list_find f = {.e = elem};
    struct store_op op;
    struct list l;
    uint64_t lo, hi, m;
    int rc = list_begin(&op, &l, s, db, key);

    *removed = 0;
    if (rc != STORE_OK || !l.existed)
        return list_end(&op, &l, rc);
    /* Which to remove: the first |count| matches from the head (count > 0), from the
     * tail (count < 0), or all; every match between the first and the last of those
     * goes, so the second walk needs only that range to tell them. */
    f.want = count < 0 ? (uint64_t)(-(count + 1)) + 1 : (uint64_t)count;
    if (count < 0)
        rc = list_walk(&l, l.count - 1, l.count, 1, list_find_one, &f);
    else
        rc = list_walk(&l, 0, l.count, 0, list_find_one, &f);
    if (rc != STORE_OK || f.matches == 0)
        return list_end(&op, &l, rc);
    m = f.matches;
    lo = count < 0 ? f.last : f.first;
    hi = count < 0 ? f.first : f.last;
    *removed = m;
    l.changed = 1;
    if (!(l.fflags & FMT_F_SPLIT)) {
        uint64_t w = lo;

        for (uint64_t i = lo; i < l.count; i++) {
            struct omk_slice *e = list_at(&l, i);

            if (i <= hi && e->len == elem.len && memcmp(e->p, elem.p, e->len) == 0)
                l.bytes -= list_ser_len(e->len);
            else
                *list_at(&l, w++) = *e;
        }
        l.count -= m;
        return list_end(&op, &l, STORE_OK);
    }
    if (l.count == m) {
        l.count = 0; /* the key goes: its records die with the id */
        return list_end(&op, &l, STORE_OK);
    }
    if (l.count - m <= COLL_SHRINK_COUNT) {
        int done;

        rc = list_shrink(&l, 0, l.count, &elem, lo, hi, &done);
        if (rc != STORE_OK || done)
            return list_end(&op, &l, rc);
    }
    if (l.count - lo <= hi + 1) {
        /* The head side stays: walk from the first removal to the tail, moving kept
         * elements down; the last m numbers are freed. */
        struct list_compact c = {&l, elem, lo, hi, 0, 0};

        rc = list_walk(&l, lo, l.count - lo, 0, list_compact_one, &c);
        if (rc == STORE_OK) {
            list_del_range(&l, l.head + l.count - m, l.head + l.count);
            l.count -= m;
        }
    } else {
        /* The tail side stays: walk from the last removal to the head, moving kept
         * elements up; the first m numbers are freed. */
        struct list_compact c = {&l, elem, lo, hi, 0, 1};

        rc = list_walk(&l, hi, hi + 1, 1, list_compact_one, &c);
        if (rc == STORE_OK) {
            list_del_range(&l, l.head, l.head + m);
            l.head += m;
            l.count -= m;
        }
    }
    return list_end(&op, &l, rc);
}

int store_ltrim(struct store *s, int db, struct omk_slice key, int64_t start, int64_t stop)
{
    struct store_op op;
    struct list l;
    uint64_t from, k;
    int rc = list_begin(&op, &l, s, db, key);

    if (rc != STORE_OK || !l.existed)
        return list_end(&op, &l, rc);
    list_range(l.count, start, stop, &from, &k);
    l.changed = 1; /* Redis touches the key even when nothing is cut */
    rc = list_cut_ends(&l, k ? from : l.count, k ? l.count - from - k : 0, 1);
    return list_end(&op, &l, rc);
}

int store_lpos(struct store *s, int db, struct omk_slice key, struct omk_slice elem,
               int64_t rank, uint64_t count, uint64_t maxlen, store_index_cb *cb, void *arg,
               size_t *n)
{
    struct list_find f = {.e = elem, .want = count, .maxlen = maxlen, .cb = cb, .arg = arg};
    struct store_op op;
    struct list l;
    int rc = list_begin_read(&op, &l, s, db, key);

    OMK_ASSERT(rank != 0);
    f.skip = rank > 0 ? (uint64_t)(rank - 1) : (uint64_t)(-(rank + 1));
    if (rank == INT64_MIN) {
        /* Redis 7.0 negates the rank in a long, which leaves this one negative: every
         * match from the tail is past the rank, and no count of them reaches COUNT. */
        f.skip = 0;
        f.want = 0;
    }
    if (rc == STORE_OK && l.existed) {
        if (rank < 0)
            rc = list_walk(&l, l.count - 1, l.count, 1, list_find_one, &f);
        else
            rc = list_walk(&l, 0, l.count, 0, list_find_one, &f);
    }
    *n = f.reported;
    return list_end(&op, &l, rc);
}

/* ---- Moves ---------------------------------------------------------------------------- */

/* list_fn: copy the element into '*arg' (a slice kept by the handle in arg's list). */
struct list_grab {
    struct list *l;
    struct omk_slice e;
};

static int list_grab_one(void *arg, uint64_t i, struct omk_slice e)
{
    struct list_grab *g = arg;

    OMK_UNUSED(i);
    g->e = (struct omk_slice){list_keep(g->l, e.p, e.len), e.len};
    return 1;
}

int store_lmove(struct store *s, int db, struct omk_slice src, struct omk_slice dst,
                enum store_end from, enum store_end to, struct store_val **out)
{
    int same = fmt_bytes_cmp(src.p, src.len, dst.p, dst.len) == 0;
    struct list ls, ld, *d = same ? &ls : &ld;
    struct list_grab g = {&ls, {NULL, 0}};
    struct store_val *v = NULL;
    struct store_op op;
    int rc;

    memset(&ld, 0, sizeof(ld));
    store_op_begin(&op, s, STORE_OP_WRITE, same ? 1 : 2);
    store_op_key(&op, 0, db, src);
    if (!same)
        store_op_key(&op, 1, db, dst);
    store_op_lock(&op);
    rc = list_open(&ls, &op, 0);
    /* As Redis: a missing source answers nil before the destination's type is looked at. */
    if (rc == STORE_OK && !ls.existed)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK && !same)
        rc = list_open(&ld, &op, 1);
    /* The push is checked first (a rotation's as well: its pop leaves the free numbers
     * at the other end as they were), since a refusal must find nothing written. */
    if (rc == STORE_OK)
        rc = same ? list_push_check_seq(d, to, 1) : list_push_check(d, to, 1);
    if (rc == STORE_OK)
        rc = list_walk(&ls, from == STORE_LEFT ? 0 : ls.count - 1, 1, from == STORE_RIGHT,
                       list_grab_one, &g);
    if (rc == STORE_OK && same && (from == to || ls.count == 1)) {
        ls.changed = 1; /* the list is as it was; Redis touches the key all the same */
    } else if (rc == STORE_OK) {
        /* A rotation keeps the count: no shrink, and its pop never empties the list (its
         * push then lands on a list whose records are all in place). */
        rc = list_cut_ends(&ls, from == STORE_LEFT, from == STORE_RIGHT, !same);
        if (rc == STORE_OK)
            rc = list_push(d, to, &g.e, 1);
    }
    if (rc == STORE_OK)
        rc = list_save(&ls);
    if (rc == STORE_OK && !same)
        rc = list_save(&ld);
    if (rc == STORE_OK)
        v = list_val(g.e, ls.expire_ms);
    rc = store_op_end(&op, rc);
    if (rc == STORE_OK)
        *out = v;
    else
        store_val_release(v);
    list_close(&ls);
    list_close(&ld);
    return rc;
}

/* ---- COPY (list.h) ---------------------------------------------------------------------- */

/* list_fn: add the element to the chunk being filled, writing the chunk when full. */
struct list_copier {
    struct store *s;
    uint64_t id, seq;
    struct rocks_batch *b;
    size_t chunk;
    int rc;
};

static void list_copier_flush(struct list_copier *c)
{
    if (c->rc == STORE_OK && c->chunk > 0)
        c->rc = store_log_append(c->s, c->b);
    rocks_batch_free(c->b);
    c->b = store_batch_new();
    c->chunk = 0;
}

static int list_copy_one(void *arg, uint64_t i, struct omk_slice e)
{
    struct list_copier *c = arg;
    unsigned char k[FMT_ELEM_PREFIX];

    OMK_UNUSED(i);
    fmt_elem_prefix(k, c->id, c->seq++);
    rocks_batch_put_cf(c->s->rocks, c->b, ROCKS_CF_ELEMS, (const char *)k, sizeof(k), e.p, e.len);
    c->chunk += sizeof(k) + e.len;
    if (c->chunk >= COLL_CHUNK_BYTES)
        list_copier_flush(c);
    return c->rc != STORE_OK;
}

int list_copy_split(struct store_op *op)
{
    struct list_copier c = {.s = op->s, .seq = FMT_LIST_SEQ0, .rc = STORE_OK};
    struct list l, nl;
    int rc = list_open(&l, op, 0);

    OMK_ASSERT(rc != STORE_OK || (l.existed && (l.fflags & FMT_F_SPLIT)));
    if (rc == STORE_OK)
        rc = coll_id_new(op->s, &c.id);
    if (rc == STORE_OK) {
        /* Live before its first chunk reaches RocksDB, until the commit holds it too. */
        coll_ids_ref(op->s, c.id);
        c.b = store_batch_new();
        rc = list_walk(&l, 0, l.count, 0, list_copy_one, &c);
        list_copier_flush(&c);
        if (rc == STORE_OK)
            rc = c.rc;
    }
    if (rc == STORE_OK) {
        memset(&nl, 0, sizeof(nl));
        nl.op = op;
        nl.ki = 1;
        nl.fflags = FMT_F_SPLIT;
        nl.expire_ms = l.expire_ms;
        nl.count = l.count;
        nl.id = c.id;
        nl.head = FMT_LIST_SEQ0;
        list_put_meta(&nl);
    }
    rc = store_op_end(op, rc);
    rocks_batch_free(c.b);
    if (c.id)
        coll_ids_unref(op->s, c.id); /* the copy's key holds it now, or it dies */
    list_close(&l);
    return rc;
}

/* ---- SORT ... STORE ------------------------------------------------------------------- */

int store_lreplace(struct store *s, int db, struct omk_slice dst, const struct omk_slice *elems,
                   size_t n)
{
    struct store_op op;
    struct list l;
    int rc;

    /* A list opened empty whatever 'dst' holds: its save puts the new list over the old
     * value (inline or split, by its size), or deletes the key when 'n' is 0. */
    store_op_begin1(&op, s, STORE_OP_WRITE, db, dst);
    memset(&l, 0, sizeof(l));
    l.op = &op;
    l.changed = 1;
    rc = store_op_lookup(&op, 0, STORE_WANT_STATE);
    if (rc == STORE_OK)
        rc = list_push(&l, STORE_RIGHT, elems, n);
    return list_end(&op, &l, rc);
}
