/* ops_bitmap.c - the bitmap operations of store.h's "Bitmaps" block: GETBIT, SETBIT,
 * BITCOUNT, BITPOS, BITOP and BITFIELD. Each is one operation of keyspace.c's sequence
 * (store_internal.h) and reaches a value only through strval.h, so on a string kept in
 * fragments a bit read or write touches the one fragment it lies in, and BITCOUNT and
 * BITPOS walk their range piece by piece without holding it in one buffer. The bit logic
 * itself (counting, searching, BITFIELD's integers) is in bits.c.
 * Invariant: a call opens each of its keys once and saves it at most once. */
#include "config.h"

#include <string.h>

#include "common/omk.h"
#include "store/bits.h"
#include "store/format.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store/strval.h"

/* ---- Opening a value ------------------------------------------------------------------------ */

/* Begin the write of string key 'key': 'op' locked, the key looked up with its value and
 * opened as '*v'. Returns what strval_open() returns, or an I/O error ('*v' then empty);
 * either way the caller closes '*v' and ends 'op'. */
static int bm_begin_write(struct store_op *op, struct store *s, int db, struct omk_slice key,
                          struct strval *v)
{
    int rc;

    store_op_begin1(op, s, STORE_OP_WRITE, db, key);
    rc = store_op_lookup(op, 0, STORE_WANT_VALUE);
    if (rc != STORE_OK) {
        memset(v, 0, sizeof(*v));
        return rc;
    }
    return strval_open(v, op, 0);
}

/* Close '*v' and end 'op' with outcome 'rc'; returns the operation's outcome. */
static int bm_end(struct store_op *op, struct strval *v, int rc)
{
    strval_close(v);
    return store_op_end(op, rc);
}

/* Save '*v', key 0 of write 'op', which 'changed' or not. Redis unshares the value before
 * it looks at it (dbUnshareStringValue), so a write that changes no byte still leaves it
 * "raw" (OBJECT ENCODING), but quietly: Redis 7.0 calls the key modified (WATCH) only for
 * a change or a growth. STORE_OK or an error. */
static int bm_save(struct store_op *op, struct strval *v, int changed)
{
    int rc;

    if (changed)
        return strval_save(v);
    strval_unshare(v);
    rc = strval_save(v);
    store_op_quiet(op, 0);
    return rc;
}

/* ---- GETBIT and SETBIT ------------------------------------------------------------------------ */

int store_getbit(struct store *s, int db, struct omk_slice key, uint64_t offset, int *bit)
{
    struct store_op op;
    struct strval v;
    unsigned char b = 0;
    int rc = strval_begin_read(&op, s, db, key, &v);

    if (rc == STORE_OK && !v.exists)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK)
        rc = strval_read(&v, offset >> 3, 1, (char *)&b); /* zero past the end: no read */
    rc = bm_end(&op, &v, rc);
    if (rc == STORE_OK || rc == STORE_NOTFOUND)
        *bit = (b >> (7 - (offset & 7))) & 1;
    return rc;
}

int store_setbit(struct store *s, int db, struct omk_slice key, uint64_t offset, int bit,
                 int *old)
{
    uint64_t byte = offset >> 3;
    unsigned shift = 7 - (unsigned)(offset & 7);
    struct store_op op;
    struct strval v;
    unsigned char b = 0, was = 0;
    int changed = 0;
    int rc = bm_begin_write(&op, s, db, key, &v);

    OMK_ASSERT(bit == 0 || bit == 1);
    if (rc == STORE_OK && byte >= STRVAL_MAX_LEN)
        rc = STORE_TOOBIG;
    if (rc == STORE_OK)
        rc = strval_read(&v, byte, 1, (char *)&b);
    if (rc == STORE_OK) {
        was = (b >> shift) & 1;
        b = (unsigned char)((b & ~(1u << shift)) | ((unsigned)bit << shift));
        /* Written only when the key is new, grows or the bit changes: otherwise Redis 7.0
         * leaves the key unsignalled (WATCH) and unchanged (dirty). */
        changed = !v.exists || byte >= v.len || was != (unsigned)bit;
        if (changed)
            rc = strval_write(&v, byte, (const char *)&b, 1);
    }
    if (rc == STORE_OK)
        rc = bm_save(&op, &v, changed);
    rc = bm_end(&op, &v, rc);
    if (rc == STORE_OK)
        *old = was;
    return rc;
}

/* ---- BITCOUNT and BITPOS --------------------------------------------------------------------- */

/* The bits range '*r' selects in a value of 'len' bytes (the whole value when not
 * given): 1 with ['*first', '*last'], or 0 when it is empty. */
static int bm_range(const struct store_bitrange *r, uint64_t len, uint64_t *first,
                    uint64_t *last)
{
    if (!r || !r->given)
        return bits_range(len, 0, -1, 0, first, last);
    /* BITPOS with a start only runs to the end: the last byte, even in bits (only bytes
     * can be given without an end) */
    return bits_range(len, r->start, r->end_given ? r->end : -1, r->in_bits, first, last);
}

/* A walk over the bytes of bits [first, last], counting or searching. */
struct bm_walk {
    uint64_t at;          /* the value's byte the next piece starts at */
    uint64_t first, last; /* the bit range */
    uint64_t count;       /* BITCOUNT: bits set so far */
    int bit;              /* BITPOS: the bit sought */
    int64_t found;        /* BITPOS: its position, -1 until found */
};

/* strval_fn of BITCOUNT: count the piece, then take back the bits of the range's edge
 * bytes that lie outside it. */
static int bm_count_piece(void *arg, const char *p, size_t n)
{
    struct bm_walk *w = arg;
    uint64_t edge[2] = {w->first >> 3, w->last >> 3};

    if (p) {
        w->count += bits_popcount(p, n);
        for (int i = 0; i < 2; i++) {
            if (i == 1 && edge[1] == edge[0])
                break;
            if (edge[i] >= w->at && edge[i] - w->at < n) {
                unsigned char outside = (unsigned char)(p[edge[i] - w->at] &
                                                        ~bits_byte_mask(edge[i], w->first,
                                                                        w->last));

                w->count -= bits_popcount(&outside, 1);
            }
        }
    }
    w->at += n;
    return 0;
}

/* strval_fn of BITPOS: search the piece for w->bit, the range's edge bytes masked so that
 * their bits outside it never match. Stops the walk once found. */
static int bm_find_piece(void *arg, const char *p, size_t n)
{
    struct bm_walk *w = arg;
    uint64_t a = w->first >> 3, z = w->last >> 3;
    size_t i = 0;

    while (i < n) {
        uint64_t byte = w->at + i;
        size_t m = n - i;
        int64_t f;

        if (byte == a || byte == z) {
            unsigned mask = bits_byte_mask(byte, w->first, w->last);
            unsigned b = p ? (unsigned char)p[i] : 0;
            unsigned char one = (unsigned char)(w->bit ? b & mask : b | (~mask & 0xff));

            m = 1;
            f = bits_find(&one, 1, w->bit);
        } else {
            if (byte < z && z - byte < m)
                m = (size_t)(z - byte); /* stop before the last byte */
            f = p ? bits_find(p + i, m, w->bit) : (w->bit ? -1 : 0);
        }
        if (f >= 0) {
            w->found = (int64_t)(byte * 8) + f;
            return 1;
        }
        i += m;
    }
    w->at += n;
    return 0;
}

int store_bitcount(struct store *s, int db, struct omk_slice key, const struct store_bitrange *r,
                   uint64_t *count)
{
    struct bm_walk w = {0};
    struct store_op op;
    struct strval v;
    int rc = strval_begin_read(&op, s, db, key, &v);

    if (rc == STORE_OK && !v.exists)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK && bm_range(r, v.len, &w.first, &w.last)) {
        w.at = w.first >> 3;
        rc = strval_walk(&v, w.at, (w.last >> 3) - w.at + 1, bm_count_piece, &w);
    }
    rc = bm_end(&op, &v, rc);
    if (rc == STORE_OK || rc == STORE_NOTFOUND)
        *count = w.count;
    return rc;
}

int store_bitpos(struct store *s, int db, struct omk_slice key, int bit,
                 const struct store_bitrange *r, long long *pos)
{
    struct bm_walk w = {.bit = bit, .found = -1};
    struct store_op op;
    struct strval v;
    int nonempty = 0;
    int rc = strval_begin_read(&op, s, db, key, &v);

    OMK_ASSERT(bit == 0 || bit == 1);
    if (rc == STORE_OK && !v.exists)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK)
        nonempty = bm_range(r, v.len, &w.first, &w.last);
    if (rc == STORE_OK && nonempty) {
        w.at = w.first >> 3;
        rc = strval_walk(&v, w.at, (w.last >> 3) - w.at + 1, bm_find_piece, &w);
    }
    rc = bm_end(&op, &v, rc);
    if (rc != STORE_OK)
        return rc;
    if (w.found < 0 && nonempty && bit == 0 && !(r && r->given && r->end_given))
        w.found = (int64_t)w.last + 1; /* no end given: the zero padding past the value */
    *pos = w.found;
    return STORE_OK;
}

/* ---- BITOP ------------------------------------------------------------------------------------ */

/* What strval_walk() of one BITOP source combines into the result. */
struct bm_combine {
    unsigned char *res;   /* the result, at the source's byte 0 */
    uint64_t at;          /* the byte the next piece starts at */
    enum store_bitop op;  /* AND, OR or XOR */
};

static int bm_combine_piece(void *arg, const char *p, size_t n)
{
    struct bm_combine *c = arg;

    if (p)
        bits_combine(c->res + c->at, p, n, c->op);
    else if (c->op == STORE_BITOP_AND) /* zero bytes: OR and XOR leave the result alone */
        memset(c->res + c->at, 0, n);
    c->at += n;
    return 0;
}

/* The keys of a BITOP, each named once in its operation. */
struct bm_keys {
    size_t *slot;   /* [n]: source argument -> its key in the operation */
    size_t nslots;  /* distinct keys among the sources */
    size_t dst;     /* the destination's key (a source's when it is one of them) */
};

/* Give the 'n' sources 'keys' and 'dst' their keys in the operation, each distinct key
 * once, sources first in the order they are first named. */
static void bm_keys_assign(struct bm_keys *k, struct omk_slice dst, const struct omk_slice *keys,
                           size_t n)
{
    k->slot = omk_malloc(n * sizeof(*k->slot));
    k->nslots = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;

        while (j < i && fmt_bytes_cmp(keys[j].p, keys[j].len, keys[i].p, keys[i].len) != 0)
            j++;
        k->slot[i] = j < i ? k->slot[j] : k->nslots++;
    }
    k->dst = k->nslots;
    for (size_t i = 0; i < n; i++)
        if (fmt_bytes_cmp(keys[i].p, keys[i].len, dst.p, dst.len) == 0)
            k->dst = k->slot[i];
}

int store_bitop(struct store *s, int db, enum store_bitop op, struct omk_slice dst,
                const struct omk_slice *keys, size_t n, uint64_t *len, size_t *found)
{
    struct bm_keys k;
    struct strval *src;
    struct store_op o;
    uint64_t maxlen = 0;
    size_t hits = 0, opened = 0;
    int rc = STORE_OK;

    OMK_ASSERT(n > 0 && (op != STORE_BITOP_NOT || n == 1));
    bm_keys_assign(&k, dst, keys, n);
    src = omk_calloc(k.nslots, sizeof(*src));
    store_op_begin(&o, s, STORE_OP_WRITE, k.nslots + (k.dst == k.nslots));
    for (size_t i = 0, next = 0; i < n; i++)
        if (k.slot[i] == next)
            store_op_key(&o, next++, db, keys[i]);
    if (k.dst == k.nslots)
        store_op_key(&o, k.dst, db, dst);
    store_op_lock(&o);
    /* Open the sources in the order they are named: a key of another type refuses the
     * call. The destination needs only its state, unless it is a source too. */
    for (; opened < k.nslots && rc == STORE_OK; opened++) {
        rc = store_op_lookup(&o, opened, STORE_WANT_VALUE);
        rc = rc == STORE_OK ? strval_open(&src[opened], &o, opened) : rc;
    }
    if (rc == STORE_OK && k.dst == k.nslots)
        rc = store_op_lookup(&o, k.dst, STORE_WANT_STATE);
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        hits += src[k.slot[i]].exists;
        if (src[k.slot[i]].len > maxlen)
            maxlen = src[k.slot[i]].len;
    }
    if (rc == STORE_OK && maxlen == 0) {
        store_op_del(&o, k.dst); /* nothing to store: the destination goes */
    } else if (rc == STORE_OK) {
        unsigned char *res = omk_malloc((size_t)maxlen);

        /* The first source, zero-padded to the longest; then each other one into it. */
        rc = strval_read(&src[k.slot[0]], 0, (size_t)maxlen, (char *)res);
        if (rc == STORE_OK && op == STORE_BITOP_NOT)
            for (uint64_t i = 0; i < maxlen; i++)
                res[i] = (unsigned char)~res[i];
        for (size_t i = 1; i < n && rc == STORE_OK; i++) {
            struct strval *v = &src[k.slot[i]];
            struct bm_combine c = {res, 0, op};

            rc = strval_walk(v, 0, v->len, bm_combine_piece, &c);
            if (op == STORE_BITOP_AND && v->len < maxlen) /* past its end: zero bytes */
                memset(res + v->len, 0, (size_t)(maxlen - v->len));
        }
        /* A new value, as Redis makes it: "raw", no expiry, whatever the key held */
        if (rc == STORE_OK)
            store_op_put_typed(&o, k.dst, STORE_TYPE_STRING, FMT_F_RAW, res, (size_t)maxlen, 0);
        omk_free(res);
    }
    for (size_t i = 0; i < opened; i++)
        strval_close(&src[i]);
    omk_free(src);
    omk_free(k.slot);
    rc = store_op_end(&o, rc);
    if (rc == STORE_OK) {
        *len = maxlen;
        *found = hits;
    }
    return rc;
}

/* ---- BITFIELD --------------------------------------------------------------------------------- */

int store_bitfield(struct store *s, int db, struct omk_slice key, struct store_bf_op *ops,
                   size_t n, int *existed)
{
    uint64_t need = 0; /* bytes the value must hold for the fields written */
    int writes = 0, changed = 0, had;
    struct store_op op;
    struct strval v;
    int rc;

    for (size_t i = 0; i < n; i++) {
        OMK_ASSERT(ops[i].bits >= 1 && ops[i].bits <= (ops[i].is_signed ? 64u : 63u));
        if (ops[i].kind != STORE_BF_GET) {
            uint64_t end = ((ops[i].offset + ops[i].bits - 1) >> 3) + 1;

            writes = 1;
            if (end > need)
                need = end;
        }
    }
    rc = writes ? bm_begin_write(&op, s, db, key, &v) : strval_begin_read(&op, s, db, key, &v);
    if (rc == STORE_OK && need > STRVAL_MAX_LEN)
        rc = STORE_TOOBIG;
    if (rc == STORE_OK && writes) {
        changed = !v.exists || need > v.len;
        strval_grow(&v, need); /* Redis grows the value first, whatever the fields do
                                * (a missing key is created even if every write fails) */
    }
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        unsigned char buf[9], before[9]; /* a 64-bit field at bit 7 spans 9 bytes */
        uint64_t byte = ops[i].offset >> 3;
        unsigned shift = (unsigned)(ops[i].offset & 7);
        size_t nb = bits_field_bytes(shift, ops[i].bits);

        rc = strval_read(&v, byte, nb, (char *)buf);
        if (rc != STORE_OK)
            break;
        memcpy(before, buf, nb);
        /* A field written with the bits it had is no change (Redis 7.0 signals the key
         * only for a change or a growth): nothing to write. */
        if (bits_field_apply(buf, shift, &ops[i]) && memcmp(before, buf, nb) != 0) {
            rc = strval_write(&v, byte, (const char *)buf, nb);
            changed = 1;
        }
    }
    if (rc == STORE_OK && writes)
        rc = bm_save(&op, &v, changed);
    had = v.exists;
    rc = bm_end(&op, &v, rc);
    if (rc == STORE_OK)
        *existed = had;
    return rc;
}
