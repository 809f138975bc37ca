/* strval.c - a string key's value inside one store operation, whole or in fragments
 * (strval.h says what each call promises; format.h lays out the records).
 * Invariants: a fragment record never holds bytes at or past the value's length, never
 * ends in a zero byte and is never empty (so an all-zero fragment has no record); a
 * fragmented value's id stays with it until the value is replaced whole. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "store/coll.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/strval.h"

/* A walk over fewer fragments than this reads each with a point read, not an iterator. */
#define STRVAL_POINT_READS 32

/* A fragment this operation read to change, or changed: FMT_FRAG_BYTES bytes, zero past
 * the value's end. */
struct strval_frag {
    uint64_t n;    /* its number: bytes n * FMT_FRAG_BYTES ... */
    char *p;       /* FMT_FRAG_BYTES bytes */
    int dirty;     /* written: strval_save() puts it */
};

/* ---- Opening ------------------------------------------------------------------------------ */

int strval_open(struct strval *v, struct store_op *op, size_t ki)
{
    const struct store_op_key *k = &op->key[ki];

    memset(v, 0, sizeof(*v));
    v->op = op;
    v->ki = ki;
    if (!k->st.exists)
        return STORE_OK;
    if (k->st.bad)
        return STORE_ERR_VALUE;
    if (k->st.type != STORE_TYPE_STRING)
        return STORE_WRONGTYPE;
    v->exists = 1;
    v->expire_ms = k->st.expire_ms;
    v->fflags = k->st.fflags;
    v->len = k->st.vlen;
    if (k->st.fflags & FMT_F_FRAG) {
        v->id = k->st.id;
    } else {
        OMK_ASSERT(k->val || k->vlen == 0);
        v->whole = k->val ? k->val : "";
    }
    return STORE_OK;
}

int strval_begin_read(struct store_op *op, struct store *s, int db, struct omk_slice key,
                      struct strval *v)
{
    int rc;

    /* A fragmented value's lookup reads nothing from RocksDB (the index has its id and
     * length), so finding one out costs no more than a plain GET. */
    store_op_begin1(op, s, STORE_OP_READ, db, key);
    rc = store_op_lookup(op, 0, STORE_WANT_VALUE);
    if (rc == STORE_OK && op->key[0].st.exists && op->key[0].st.type == STORE_TYPE_STRING &&
        (op->key[0].st.fflags & FMT_F_FRAG)) {
        /* Fragments are rewritten in place: read them under the stripe, in one state. */
        store_op_end(op, STORE_OK);
        store_op_begin1(op, s, STORE_OP_WRITE, db, key);
        rc = store_op_lookup(op, 0, STORE_WANT_VALUE);
    }
    if (rc != STORE_OK) {
        memset(v, 0, sizeof(*v));
        return rc;
    }
    return strval_open(v, op, 0);
}

void strval_close(struct strval *v)
{
    for (size_t i = 0; i < v->nfrags; i++)
        omk_free(v->frags[i].p);
    omk_free(v->frags);
    omk_free(v->copy);
    memset(v, 0, sizeof(*v));
}

/* ---- Fragments ---------------------------------------------------------------------------- */

/* The index in 'v->frags' of fragment 'n', or where it would go (the array is sorted). */
static size_t frag_slot(const struct strval *v, uint64_t n)
{
    size_t lo = 0, hi = v->nfrags;

    if (hi > 0 && v->frags[hi - 1].n < n) /* writes mostly go forward */
        return hi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (v->frags[mid].n < n)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The bytes of fragment 'n' if this operation holds it, else NULL. */
static char *frag_held(const struct strval *v, uint64_t n)
{
    size_t i = frag_slot(v, n);

    return i < v->nfrags && v->frags[i].n == n ? v->frags[i].p : NULL;
}

/* The RocksDB key of fragment 'n' of id 'id'. */
static void frag_key(unsigned char *out, uint64_t id, uint64_t n)
{
    fmt_u64_be_put(out, id);
    fmt_u64_be_put(out + 8, n);
}

/* Read stored fragment 'n' into 'out' (FMT_FRAG_BYTES bytes, zero-padded). STORE_OK or an
 * I/O error. */
static int frag_load(struct strval *v, uint64_t n, char *out)
{
    unsigned char k[FMT_ELEM_PREFIX];
    char *buf = NULL;
    size_t len = 0;
    int rc;

    memset(out, 0, FMT_FRAG_BYTES);
    if (v->id == 0) /* a value moving to fragments: nothing stored under an id yet */
        return STORE_OK;
    frag_key(k, v->id, n);
    rc = store_log_get_cf(v->op->s, ROCKS_CF_ELEMS, (const char *)k, sizeof(k), &buf, &len);
    if (rc == STORE_NOTFOUND)
        return STORE_OK;
    if (rc == STORE_OK)
        memcpy(out, buf, len < FMT_FRAG_BYTES ? len : FMT_FRAG_BYTES);
    rocks_free(buf);
    return rc;
}

/* Fragment 'n', held by this operation for a write: loaded first unless 'fresh' (the
 * write covers it whole, or it lies past the stored value). '*out' its bytes. */
static int frag_hold(struct strval *v, uint64_t n, int fresh, char **out)
{
    size_t i = frag_slot(v, n);
    char *p;
    int rc;

    if (i < v->nfrags && v->frags[i].n == n) {
        *out = v->frags[i].p;
        return STORE_OK;
    }
    p = omk_malloc(FMT_FRAG_BYTES);
    if (fresh) {
        memset(p, 0, FMT_FRAG_BYTES);
    } else if ((rc = frag_load(v, n, p)) != STORE_OK) {
        omk_free(p);
        return rc;
    }
    if (v->nfrags == v->fcap) {
        v->fcap = v->fcap ? 2 * v->fcap : 8;
        v->frags = omk_realloc(v->frags, v->fcap * sizeof(*v->frags));
    }
    memmove(&v->frags[i + 1], &v->frags[i], (v->nfrags - i) * sizeof(*v->frags));
    v->frags[i].n = n;
    v->frags[i].p = p;
    v->frags[i].dirty = 0;
    v->nfrags++;
    *out = p;
    return STORE_OK;
}

/* Move a whole value into fragments held by this operation (no id yet: strval_save()
 * takes one), because a write makes it longer than the threshold. */
static void strval_to_frags(struct strval *v)
{
    const char *src = v->copy ? v->copy : v->whole;
    uint64_t len = v->len;

    for (uint64_t off = 0; off < len; off += FMT_FRAG_BYTES) {
        size_t n = len - off < FMT_FRAG_BYTES ? (size_t)(len - off) : FMT_FRAG_BYTES;
        char *p;

        frag_hold(v, off / FMT_FRAG_BYTES, 1, &p); /* fresh: cannot fail */
        memcpy(p, src + off, n);
        v->frags[frag_slot(v, off / FMT_FRAG_BYTES)].dirty = 1;
    }
    omk_free(v->copy);
    v->copy = NULL;
    v->cap = 0;
    v->whole = NULL;
    v->id = 0;
    v->fflags |= FMT_F_FRAG;
}

/* ---- Reading ------------------------------------------------------------------------------ */

/* What strval_read() collects through strval_walk(). */
struct read_into {
    char *out;
};

static int read_piece(void *arg, const char *p, size_t n)
{
    struct read_into *r = arg;

    if (p)
        memcpy(r->out, p, n);
    else
        memset(r->out, 0, n);
    r->out += n;
    return 0;
}

int strval_read(struct strval *v, uint64_t off, size_t n, char *out)
{
    struct read_into r = {out};
    uint64_t have = off < v->len ? v->len - off : 0;
    size_t in = have < n ? (size_t)have : n;

    memset(out + in, 0, n - in);
    if (in && (v->fflags & FMT_F_FRAG) && v->op->mode == STORE_OP_WRITE &&
        in <= 2 * FMT_FRAG_BYTES) {
        /* A write operation's small read (SETBIT, BITFIELD) keeps the fragments it reads:
         * the write that follows finds them held instead of reading them again. */
        for (uint64_t f = off / FMT_FRAG_BYTES; f <= (off + in - 1) / FMT_FRAG_BYTES; f++) {
            char *p;
            int rc = frag_hold(v, f, 0, &p);

            if (rc != STORE_OK)
                return rc;
        }
    }
    return in ? strval_walk(v, off, in, read_piece, &r) : STORE_OK;
}

/* Hand fragment 'f' (stored bytes 'p'/'plen', or held 'p' of FMT_FRAG_BYTES) clipped to
 * [from, to) of the value to 'fn': the stored bytes, then zeros for the rest. 1 if 'fn'
 * stopped. */
static int walk_frag(uint64_t f, const char *p, size_t plen, uint64_t from, uint64_t to,
                     strval_fn *fn, void *arg)
{
    uint64_t base = f * FMT_FRAG_BYTES;
    uint64_t a = from > base ? from - base : 0;
    uint64_t b = to - base < FMT_FRAG_BYTES ? to - base : FMT_FRAG_BYTES;

    if (a < plen) {
        size_t m = (size_t)((b < plen ? b : plen) - a);

        if (fn(arg, p + a, m))
            return 1;
        a += m;
    }
    return a < b ? fn(arg, NULL, (size_t)(b - a)) != 0 : 0;
}

int strval_walk(struct strval *v, uint64_t off, uint64_t n, strval_fn *fn, void *arg)
{
    unsigned char from[FMT_ELEM_PREFIX], upper[FMT_ELEM_PREFIX];
    uint64_t end, f0, f1;
    struct rocks_iter *it;
    int rc = STORE_OK, stopped = 0;

    if (off >= v->len || n == 0)
        return STORE_OK;
    end = n > v->len - off ? v->len : off + n;
    if (!(v->fflags & FMT_F_FRAG)) {
        fn(arg, (v->copy ? v->copy : v->whole) + off, (size_t)(end - off));
        return STORE_OK;
    }
    f0 = off / FMT_FRAG_BYTES;
    f1 = (end - 1) / FMT_FRAG_BYTES;
    if (v->id == 0) { /* nothing stored yet: every fragment is held or zero */
        for (uint64_t f = f0; f <= f1 && !stopped; f++) {
            const char *p = frag_held(v, f);

            stopped = walk_frag(f, p, p ? FMT_FRAG_BYTES : 0, off, end, fn, arg);
        }
        return STORE_OK;
    }
    if (f1 - f0 < STRVAL_POINT_READS) {
        /* A few fragments: point reads cost less than an iterator (its set-up, and the
         * readahead RocksDB starts on sequential blocks). */
        for (uint64_t f = f0; f <= f1 && !stopped; f++) {
            const char *p = frag_held(v, f);
            unsigned char k[FMT_ELEM_PREFIX];
            char *buf = NULL;
            size_t plen = 0;

            if (!p) {
                frag_key(k, v->id, f);
                rc = store_log_get_cf(v->op->s, ROCKS_CF_ELEMS, (const char *)k, sizeof(k), &buf,
                                      &plen);
                if (rc == STORE_NOTFOUND)
                    rc = STORE_OK;
                if (rc != STORE_OK)
                    return rc;
                p = buf;
            } else {
                plen = FMT_FRAG_BYTES;
            }
            stopped = walk_frag(f, p, plen < FMT_FRAG_BYTES ? plen : FMT_FRAG_BYTES, off, end,
                                fn, arg);
            rocks_free(buf);
        }
        return STORE_OK;
    }
    frag_key(from, v->id, f0);
    frag_key(upper, v->id, f1 + 1);
    it = store_log_iter(v->op->s, ROCKS_CF_ELEMS, (const char *)upper, sizeof(upper));
    rocks_iter_seek(it, (const char *)from, sizeof(from));
    for (uint64_t f = f0; f <= f1 && !stopped; f++) {
        const char *p = frag_held(v, f), *k = NULL;
        size_t plen = p ? FMT_FRAG_BYTES : 0, klen = 0;

        while (rocks_iter_valid(it)) { /* the iterator's next record: fragment f or later */
            k = rocks_iter_key(it, &klen);
            if (klen == FMT_ELEM_PREFIX && fmt_u64_be_get(k + 8) >= f)
                break;
            rocks_iter_next(it); /* not a fragment key: skip it */
        }
        if (!p && rocks_iter_valid(it) && fmt_u64_be_get(k + 8) == f) {
            p = rocks_iter_value(it, &plen);
            if (plen > FMT_FRAG_BYTES)
                plen = FMT_FRAG_BYTES;
        }
        stopped = walk_frag(f, p, plen, off, end, fn, arg);
    }
    if (!stopped && !rocks_iter_valid(it))
        rc = rocks_iter_status(it);
    rocks_iter_free(it);
    return rc;
}

/* ---- Writing ------------------------------------------------------------------------------ */

/* Make room for 'len' bytes in the edited copy of a whole value. */
static void copy_reserve(struct strval *v, uint64_t len)
{
    if (!v->copy) {
        v->cap = len > v->len ? (size_t)len : (size_t)v->len;
        v->copy = omk_malloc(v->cap ? v->cap : 1);
        if (v->len)
            memcpy(v->copy, v->whole, (size_t)v->len);
    } else if (len > v->cap) {
        v->cap = len > 2 * (uint64_t)v->cap ? (size_t)len : 2 * v->cap;
        v->copy = omk_realloc(v->copy, v->cap);
    }
}

void strval_grow(struct strval *v, uint64_t len)
{
    OMK_ASSERT(len <= STRVAL_MAX_LEN);
    if (len <= v->len)
        return;
    v->changed = 1;
    if (!(v->fflags & FMT_F_FRAG) && len > atomic_load(&v->op->s->lim_frag))
        strval_to_frags(v);
    if (!(v->fflags & FMT_F_FRAG)) {
        copy_reserve(v, len);
        memset(v->copy + v->len, 0, (size_t)(len - v->len));
    }
    /* Fragmented: the fragments past the old end have no record, so they read as zero. */
    v->len = len;
}

int strval_write(struct strval *v, uint64_t off, const char *p, size_t n)
{
    uint64_t end = off + n, old = v->len;

    OMK_ASSERT(v->op->mode == STORE_OP_WRITE && end >= off && end <= STRVAL_MAX_LEN);
    if (n == 0)
        return STORE_OK;
    strval_grow(v, end);
    v->changed = 1;
    if (!(v->fflags & FMT_F_FRAG)) {
        if (!v->copy)
            copy_reserve(v, v->len);
        memcpy(v->copy + off, p, n);
        return STORE_OK;
    }
    while (n > 0) {
        uint64_t f = off / FMT_FRAG_BYTES, base = f * FMT_FRAG_BYTES;
        size_t at = (size_t)(off - base);
        size_t m = FMT_FRAG_BYTES - at < n ? FMT_FRAG_BYTES - at : n;
        /* No need to read what the write covers whole, or what lies past the old end. */
        int fresh = (at == 0 && m == FMT_FRAG_BYTES) || base >= old;
        char *dst;
        int rc = frag_hold(v, f, fresh, &dst);

        if (rc != STORE_OK)
            return rc;
        memcpy(dst + at, p, m);
        v->frags[frag_slot(v, f)].dirty = 1;
        off += m;
        p += m;
        n -= m;
    }
    return STORE_OK;
}

void strval_unshare(struct strval *v)
{
    if (v->exists && !(v->fflags & FMT_F_RAW))
        v->changed = 1;
}

/* ---- Saving ------------------------------------------------------------------------------- */

/* Bytes of 'p'/'n' once its trailing zero bytes are dropped. */
static size_t trim_zeros(const char *p, size_t n)
{
    while (n > 0 && p[n - 1] == 0)
        n--;
    return n;
}

/* Write fragment 'n' of id 'id' holding 'p'/'len' (trimmed here; an all-zero fragment is
 * deleted when 'existed', else skipped) into batch 'b'. */
static void frag_put(struct store *s, struct rocks_batch *b, uint64_t id, uint64_t n,
                     const char *p, size_t len, int existed)
{
    unsigned char k[FMT_ELEM_PREFIX];

    len = trim_zeros(p, len);
    frag_key(k, id, n);
    if (len > 0)
        rocks_batch_put_cf(s->rocks, b, ROCKS_CF_ELEMS, (const char *)k, sizeof(k), p, len);
    else if (existed)
        rocks_batch_delete_cf(s->rocks, b, ROCKS_CF_ELEMS, (const char *)k, sizeof(k));
}

/* Put the top-level record of fragmented value 'id' of 'len' bytes at key 'ki' of 'op'. */
static void frag_put_meta(struct store_op *op, size_t ki, unsigned fflags, uint64_t id,
                          uint64_t len, int64_t expire_ms)
{
    unsigned char meta[FMT_SPLIT_LEN];

    fmt_u64_put(meta, id);
    fmt_u64_put(meta + 8, len);
    store_op_put_typed(op, ki, STORE_TYPE_STRING, fflags | FMT_F_FRAG, meta, sizeof(meta),
                       expire_ms);
}

/* Append batch '*b' to the log if it holds at least COLL_CHUNK_BYTES ('*chunk') or
 * 'last', and start a new one. STORE_OK or an error. */
static int chunk_flush(struct store *s, struct rocks_batch **b, size_t *chunk, int last)
{
    int rc = STORE_OK;

    if (*chunk < COLL_CHUNK_BYTES && !(last && *chunk > 0))
        return STORE_OK;
    rc = store_log_append(s, *b);
    rocks_batch_free(*b);
    *b = store_batch_new();
    *chunk = 0;
    return rc;
}

/* HOW IT WORKS: a write that rewrote much of a large fragmented value (SETRANGE of tens
 * of megabytes) does not go into its operation's batch: the value moves to a new id,
 * every fragment written in batches of about COLL_CHUNK_BYTES ahead of the commit (the
 * held ones from RAM, the others copied from the old id through one iterator), and the
 * operation's batch holds only the top-level record that switches to it, so a crash
 * leaves the old value or the new one, never a mix. The old id dies at the commit and
 * compaction drops it. Chosen when the written fragments pass STRVAL_CHUNKED bytes and
 * are at least half the value's, so the copy costs at most as much as the write; or
 * when a value becomes fragmented by such a write (SETRANGE or APPEND growing a short
 * string, or making a new one): there is nothing to copy then. */
static int strval_save_moved(struct strval *v)
{
    struct store *s = v->op->s;
    uint64_t nf = store_frag_count(v->len), id = 0;
    unsigned char from[FMT_ELEM_PREFIX], upper[FMT_ELEM_PREFIX];
    struct rocks_batch *b;
    struct rocks_iter *it = NULL; /* over the old id's records; NULL: none (a new value) */
    size_t chunk = 0, h = 0;
    int rc = coll_id_new(s, &id);

    if (rc != STORE_OK)
        return rc;
    store_op_hold_id(v->op, id); /* live before its first batch reaches RocksDB */
    b = store_batch_new();
    if (v->id) {
        frag_key(from, v->id, 0);
        frag_key(upper, v->id + 1, 0);
        it = store_log_iter(s, ROCKS_CF_ELEMS, (const char *)upper, sizeof(upper));
        rocks_iter_seek(it, (const char *)from, sizeof(from));
    }
    for (uint64_t f = 0; f < nf && rc == STORE_OK; f++) {
        uint64_t base = f * FMT_FRAG_BYTES;
        size_t in = v->len - base < FMT_FRAG_BYTES ? (size_t)(v->len - base) : FMT_FRAG_BYTES;
        const char *p = NULL, *k = NULL;
        size_t plen = 0, klen = 0;

        while (h < v->nfrags && v->frags[h].n < f)
            h++;
        while (it && rocks_iter_valid(it)) { /* the old id's next record: f or later */
            k = rocks_iter_key(it, &klen);
            if (klen == FMT_ELEM_PREFIX && fmt_u64_be_get(k + 8) >= f)
                break;
            rocks_iter_next(it);
        }
        if (h < v->nfrags && v->frags[h].n == f) {
            p = v->frags[h].p;
            plen = in;
        } else if (it && rocks_iter_valid(it) && fmt_u64_be_get(k + 8) == f) {
            p = rocks_iter_value(it, &plen);
            if (plen > in)
                plen = in;
        }
        if (p) {
            frag_put(s, b, id, f, p, plen, 0);
            chunk += FMT_ELEM_PREFIX + plen;
        }
        rc = chunk_flush(s, &b, &chunk, f + 1 == nf);
    }
    if (it && rc == STORE_OK && !rocks_iter_valid(it))
        rc = rocks_iter_status(it);
    if (it)
        rocks_iter_free(it);
    rocks_batch_free(b);
    if (rc != STORE_OK)
        return rc; /* the batches written are under an id no key holds: dropped */
    v->id = id;
    frag_put_meta(v->op, v->ki, (v->fflags & ~FMT_F_FRAG) | FMT_F_RAW, v->id, v->len,
                  v->expire_ms);
    return STORE_OK;
}

int strval_save(struct strval *v)
{
    struct store *s = v->op->s;
    uint64_t dirty = 0;
    int existed;

    if (!v->changed)
        return STORE_OK;
    v->changed = 0;
    if (!(v->fflags & FMT_F_FRAG)) {
        store_op_put_typed(v->op, v->ki, STORE_TYPE_STRING, (v->fflags | FMT_F_RAW),
                           v->copy ? v->copy : v->whole, (size_t)v->len, v->expire_ms);
        return STORE_OK;
    }
    existed = v->id != 0;
    for (size_t i = 0; i < v->nfrags; i++)
        dirty += v->frags[i].dirty;
    if (dirty * FMT_FRAG_BYTES > STRVAL_CHUNKED &&
        (!existed || 2 * dirty >= store_frag_count(v->len)))
        return strval_save_moved(v);
    if (!existed) {
        int rc = coll_id_new(s, &v->id);

        if (rc != STORE_OK)
            return rc;
    }
    for (size_t i = 0; i < v->nfrags; i++) {
        uint64_t base = v->frags[i].n * FMT_FRAG_BYTES;
        size_t in = v->len - base < FMT_FRAG_BYTES ? (size_t)(v->len - base) : FMT_FRAG_BYTES;

        if (v->frags[i].dirty)
            frag_put(s, v->op->w.b, v->id, v->frags[i].n, v->frags[i].p, in, existed);
    }
    frag_put_meta(v->op, v->ki, (v->fflags & ~FMT_F_FRAG) | FMT_F_RAW, v->id, v->len,
                  v->expire_ms);
    return STORE_OK;
}

/* ---- Whole values ------------------------------------------------------------------------- */

struct store_val *strval_take(struct store_op *op, size_t ki, int *rc)
{
    const struct store_op_key *k = &op->key[ki];
    struct strval v;
    char *buf;

    *rc = STORE_OK;
    if (!(k->st.fflags & FMT_F_FRAG))
        return store_op_take_val(op, ki);
    *rc = strval_open(&v, op, ki);
    OMK_ASSERT(*rc == STORE_OK && v.exists);
    /* Header room first, as store_val_wrap() takes a stored value; rocks_free() frees it. */
    buf = malloc(FMT_HDR_LEN + (size_t)v.len);
    if (!buf)
        omk_oom(FMT_HDR_LEN + (size_t)v.len);
    *rc = strval_read(&v, 0, (size_t)v.len, buf + FMT_HDR_LEN);
    strval_close(&v);
    if (*rc != STORE_OK) {
        free(buf);
        return NULL;
    }
    return store_val_wrap(buf, FMT_HDR_LEN + (size_t)k->st.vlen, k->st.expire_ms);
}

void strval_put_whole(struct store_op *op, size_t ki, unsigned fflags, const void *p, size_t n,
                      int64_t expire_ms)
{
    uint64_t id;
    int rc = coll_id_new(op->s, &id);

    OMK_ASSERT(n <= STRVAL_MAX_LEN);
    if (rc != STORE_OK) {
        if (op->err == STORE_OK)
            op->err = rc;
        return;
    }
    if (n > STRVAL_CHUNKED) {
        /* A large value goes in batches of its own ahead of the commit (its id held live
         * meanwhile), so the operation's batch holds only the switch to it. */
        struct rocks_batch *b = store_batch_new();
        size_t chunk = 0;

        store_op_hold_id(op, id);
        for (size_t off = 0; off < n && rc == STORE_OK; off += FMT_FRAG_BYTES) {
            size_t m = n - off < FMT_FRAG_BYTES ? n - off : FMT_FRAG_BYTES;

            frag_put(op->s, b, id, off / FMT_FRAG_BYTES, (const char *)p + off, m, 0);
            chunk += m;
            if (chunk >= COLL_CHUNK_BYTES || off + m == n) {
                rc = store_log_append(op->s, b);
                rocks_batch_free(b);
                b = store_batch_new();
                chunk = 0;
            }
        }
        rocks_batch_free(b);
        if (rc != STORE_OK) {
            if (op->err == STORE_OK)
                op->err = rc;
            return;
        }
    } else {
        for (size_t off = 0; off < n; off += FMT_FRAG_BYTES) {
            size_t m = n - off < FMT_FRAG_BYTES ? n - off : FMT_FRAG_BYTES;

            frag_put(op->s, op->w.b, id, off / FMT_FRAG_BYTES, (const char *)p + off, m, 0);
        }
    }
    frag_put_meta(op, ki, fflags, id, n, expire_ms);
}

/* ---- COPY --------------------------------------------------------------------------------- */

int strval_copy(struct store_op *op)
{
    const struct key_state *st = &op->key[0].st;
    unsigned char from[FMT_ELEM_PREFIX], upper[FMT_ELEM_PREFIX];
    struct rocks_batch *b = NULL;
    struct rocks_iter *it = NULL;
    uint64_t id = 0;
    size_t chunk = 0;
    int rc;

    OMK_ASSERT(st->exists && st->type == STORE_TYPE_STRING && (st->fflags & FMT_F_FRAG));
    rc = coll_id_new(op->s, &id);
    if (rc == STORE_OK) {
        /* Live before its first batch reaches RocksDB, until the commit holds it too. */
        coll_ids_ref(op->s, id);
        b = store_batch_new();
        frag_key(from, st->id, 0);
        frag_key(upper, st->id + 1, 0);
        it = store_log_iter(op->s, ROCKS_CF_ELEMS, (const char *)upper, sizeof(upper));
        for (rocks_iter_seek(it, (const char *)from, sizeof(from));
             rc == STORE_OK && rocks_iter_valid(it); rocks_iter_next(it)) {
            size_t klen, vlen;
            const char *k = rocks_iter_key(it, &klen), *val = rocks_iter_value(it, &vlen);
            unsigned char nk[FMT_ELEM_PREFIX];

            if (klen != FMT_ELEM_PREFIX)
                continue;
            frag_key(nk, id, fmt_u64_be_get(k + 8));
            rocks_batch_put_cf(op->s->rocks, b, ROCKS_CF_ELEMS, (const char *)nk, sizeof(nk),
                               val, vlen);
            chunk += sizeof(nk) + vlen;
            if (chunk >= COLL_CHUNK_BYTES) {
                rc = store_log_append(op->s, b);
                rocks_batch_free(b);
                b = store_batch_new();
                chunk = 0;
            }
        }
        if (rc == STORE_OK)
            rc = rocks_iter_status(it);
        rocks_iter_free(it);
        if (rc == STORE_OK && chunk > 0)
            rc = store_log_append(op->s, b);
        rocks_batch_free(b);
    }
    if (rc == STORE_OK)
        frag_put_meta(op, 1, st->fflags & ~FMT_F_FRAG, id, st->vlen, st->expire_ms);
    rc = store_op_end(op, rc);
    if (id)
        coll_ids_unref(op->s, id); /* the copy's key holds it now, or it dies */
    return rc;
}
