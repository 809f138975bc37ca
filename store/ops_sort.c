/* ops_sort.c - SORT and SORT_RO (store.h's "SORT" block): the elements of a list, a set or
 * a sorted set, ordered by themselves or by the values a BY pattern names, cut by LIMIT,
 * mapped through GET patterns, handed to the caller or stored as a list, with Redis 7.0's
 * rules (sort.c) for each step. Only public store calls are made, so this file takes no
 * lock: the source is read in one call, each BY and GET lookup is a call of its own (a
 * write of another client between them may be seen: Redis' single thread would not see
 * it), and STORE replaces the destination in one call (store_lreplace).
 *
 * The elements read are copied into one arena and described by offsets into it; the
 * sort is a qsort_r() over 16-byte keys (a number and the element's place in the source),
 * which the sort moves cheaply, and whose last tie-break is that place, so that orders
 * Redis leaves to its qsort (ALPHA with BY, equal values) come out in source order here. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "store/store.h"

/* ---- Patterns ------------------------------------------------------------------------- */

/* A BY or GET pattern, parsed once (store.h's SORT block says what it names). */
struct sort_pat {
    struct omk_slice pat;
    int self;               /* "#": the element itself */
    int fixed;              /* no '*': names nothing */
    size_t star;            /* the first '*' */
    size_t key_end;         /* the key's bytes after the '*' end here (before "->") */
    struct omk_slice field; /* the hash field after "->" (p NULL: the key's string) */
};

/* Bytes of 'v' before its first zero byte: what Redis' C-string functions see. */
static size_t sort_clen(struct omk_slice v)
{
    const char *z = v.len ? memchr(v.p, '\0', v.len) : NULL;

    return z ? (size_t)(z - v.p) : v.len;
}

/* Parse 'pat' into '*sp' as Redis' lookupKeyByPattern reads it: "#" (or "#" then a zero
 * byte) is the element; the first '*' before a zero byte is replaced by the element; the
 * first "->" after it, if a byte other than zero follows, starts the hash field, which
 * runs to the end of the pattern. */
static void sort_pat_parse(struct sort_pat *sp, struct omk_slice pat)
{
    size_t clen = sort_clen(pat);
    const char *star;

    memset(sp, 0, sizeof(*sp));
    sp->pat = pat;
    if (pat.len >= 1 && pat.p[0] == '#' && (pat.len == 1 || pat.p[1] == '\0')) {
        sp->self = 1;
        return;
    }
    star = memchr(pat.p, '*', clen);
    if (!star) {
        sp->fixed = 1;
        return;
    }
    sp->star = (size_t)(star - pat.p);
    sp->key_end = pat.len;
    for (size_t i = sp->star + 1; i + 1 < clen; i++) {
        if (pat.p[i] == '-' && pat.p[i + 1] == '>') {
            if (i + 2 < clen) {
                sp->key_end = i;
                sp->field = (struct omk_slice){pat.p + i + 2, pat.len - i - 2};
            }
            break;
        }
    }
}

/* A value a pattern named: 'v' (v.p NULL: nil), and the store value it lies in, to
 * release once used (NULL when 'v' is the element itself or nil). */
struct sort_val {
    struct omk_slice v;
    struct store_val *held;
};

static void sort_val_release(struct sort_val *sv)
{
    store_val_release(sv->held);
    memset(sv, 0, sizeof(*sv));
}

/* Where the lookups of one SORT go, and what they found. */
struct sort_env {
    struct store *s;
    int db;
    char *kbuf;                     /* scratch for a key built from a pattern (omk_free) */
    size_t kcap;
    struct store_sort_lookups *lk;  /* the caller's counts */
};

/* Look up what pattern 'sp' names for element 'e' into '*out' (release it with
 * sort_val_release), counting the key looked up in env->lk. A key of another type, a
 * missing key or field: nil. STORE_OK or an error ('*out' nil). */
static int sort_lookup(struct sort_env *env, const struct sort_pat *sp, struct omk_slice e,
                       struct sort_val *out)
{
    struct store_val *v = NULL;
    struct omk_slice key;
    size_t tail, klen;
    int rc, found;

    memset(out, 0, sizeof(*out));
    if (sp->self) {
        out->v = e;
        return STORE_OK;
    }
    if (sp->fixed)
        return STORE_OK;
    tail = sp->key_end - sp->star - 1;
    klen = sp->star + e.len + tail;
    if (klen + 1 > env->kcap) {
        env->kcap = 2 * klen + 16;
        env->kbuf = omk_realloc(env->kbuf, env->kcap);
    }
    memcpy(env->kbuf, sp->pat.p, sp->star);
    if (e.len)
        memcpy(env->kbuf + sp->star, e.p, e.len);
    memcpy(env->kbuf + sp->star + e.len, sp->pat.p + sp->star + 1, tail);
    key = (struct omk_slice){env->kbuf, klen};
    if (sp->field.p)
        rc = store_hget(env->s, env->db, key, sp->field, &v);
    else
        rc = store_get(env->s, env->db, key, &v);
    /* Redis counts a hit for a key that exists, whatever it holds: a hash without the
     * field too, which HGET's answer does not tell from a missing key. */
    found = rc == STORE_OK || rc == STORE_WRONGTYPE;
    if (rc == STORE_NOTFOUND && sp->field.p)
        found = store_exists(env->s, env->db, key) == STORE_OK;
    if (rc >= 0) {
        env->lk->hits += found;
        env->lk->misses += !found;
    }
    if (rc == STORE_NOTFOUND || rc == STORE_WRONGTYPE)
        return STORE_OK;
    if (rc != STORE_OK)
        return rc;
    out->held = v;
    out->v = (struct omk_slice){v->data, v->len};
    return STORE_OK;
}

/* ---- The vector of elements ------------------------------------------------------------ */

/* One element of the source and what it sorts by. */
struct sort_item {
    size_t off, len;       /* the element: 'len' bytes at arena + 'off' */
    size_t by_off, by_len; /* ALPHA with BY: its BY value in the arena */
    int has_by;            /* ALPHA with BY: 0 when its BY pattern named nothing */
};

/* What the sort moves: an element's number (numeric sorts: 0 when BY named nothing) and
 * its place in the source (an index into the items; collections hold < 2^32 elements). */
struct sort_key {
    double score;
    uint32_t i;
};

struct sort_vec {
    struct sort_item *it;
    size_t n, cap;
    char *arena; /* every element's bytes, then the ALPHA BY values */
    size_t alen, acap;
};

/* Append 'len' bytes to the arena; returns their offset (pointers into it die). */
static size_t sort_arena_add(struct sort_vec *v, const char *p, size_t len)
{
    size_t off = v->alen;

    if (len > v->acap - v->alen || !v->arena) { /* never NULL: an empty element is not nil */
        v->acap = v->acap + len + 256 > 2 * v->acap ? v->acap + len + 256 : 2 * v->acap;
        v->arena = omk_realloc(v->arena, v->acap);
    }
    if (len)
        memcpy(v->arena + off, p, len);
    v->alen += len;
    return off;
}

/* store_elem_cb: copy an element of the source into the vector. */
static int sort_add_elem(void *arg, struct omk_slice e)
{
    struct sort_vec *v = arg;
    struct sort_item *it;

    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 64;
        v->it = omk_realloc(v->it, v->cap * sizeof(*v->it));
    }
    it = &v->it[v->n];
    memset(it, 0, sizeof(*it));
    it->off = sort_arena_add(v, e.p, e.len);
    it->len = e.len;
    v->n++;
    return 0;
}

/* store_zcb: the same for a sorted set's member (its score plays no part). */
static int sort_add_member(void *arg, struct omk_slice m, double score)
{
    OMK_UNUSED(score);
    return sort_add_elem(arg, m);
}

static void sort_vec_free(struct sort_vec *v)
{
    omk_free(v->it);
    omk_free(v->arena);
    memset(v, 0, sizeof(*v));
}

/* Element 'i' of 'v' (valid until the arena grows). */
static struct omk_slice sort_elem(const struct sort_vec *v, size_t i)
{
    return (struct omk_slice){v->arena + v->it[i].off, v->it[i].len};
}

/* ---- Reading the source ------------------------------------------------------------------- */

/* How the source is read: whole, or only the part LIMIT keeps when nothing is sorted. */
struct sort_src {
    int type;   /* STORE_TYPE_LIST, _SET, _ZSET, or -1: no such key */
    int big;    /* a collection that left Redis' compact encoding (store_keyinfo) */
    int ranged; /* 1: only LIMIT's part was read, in the output's order */
};

/* LIMIT 'offset' 'count' over a list or a sorted set read in order ('desc': from its
 * end): the first index and the last ('*to' < '*from': nothing), as Redis' LRANGE reads
 * them, counted from the end read first. 0 when the range is empty. */
static int sort_range(int64_t offset, int64_t count, int64_t *from, int64_t *to)
{
    int64_t start = offset < 0 ? 0 : offset;

    if (count == 0)
        return 0;
    *from = start;
    *to = count < 0 || count - 1 > INT64_MAX - start ? INT64_MAX : start + count - 1;
    return 1;
}

/* Read the elements of 'key' into 'v'. With 'dontsort', a list or a sorted set is read
 * only where LIMIT keeps it, in the order of the output (DESC from its end): then
 * 'src->ranged' is 1. STORE_OK (a missing key: type -1, no element), STORE_WRONGTYPE,
 * or an error. */
static int sort_read(struct store *s, int db, struct omk_slice key, const struct store_sort_opts *o,
                     int dontsort, struct sort_vec *v, struct sort_src *src)
{
    struct store_keyinfo ki;
    int rc;

    /* The type comes from RAM, then one call reads the elements; a key whose type
     * changed between the two is looked at again (a few times: then it is WRONGTYPE at
     * an instant of the call, as answered). */
    for (int tries = 0;; tries++) {
        int64_t from, to;
        size_t got = 0;

        src->ranged = 0;
        rc = store_keyinfo(s, db, key, &ki);
        if (rc == STORE_NOTFOUND) {
            src->type = -1;
            return STORE_OK;
        }
        if (rc != STORE_OK)
            return rc;
        src->type = ki.type;
        src->big = ki.big;
        if ((!dontsort || ki.type == STORE_TYPE_SET) && v->cap < ki.count &&
            ki.count <= UINT32_MAX) {
            /* The size known from RAM, so that the vector does not grow by copies. */
            v->cap = (size_t)ki.count;
            v->it = omk_realloc(v->it, v->cap * sizeof(*v->it));
            v->acap = v->alen + (size_t)ki.count * 16;
            v->arena = omk_realloc(v->arena, v->acap);
        }
        if (ki.type == STORE_TYPE_SET) {
            rc = store_smembers(s, db, key, sort_add_elem, v, &got);
        } else if (ki.type != STORE_TYPE_LIST && ki.type != STORE_TYPE_ZSET) {
            return STORE_WRONGTYPE;
        } else if (!dontsort) {
            struct store_zrange r = {.by = STORE_ZBY_RANK, .start = 0, .stop = -1, .limit = -1};

            rc = ki.type == STORE_TYPE_LIST
                     ? store_lrange(s, db, key, 0, -1, sort_add_elem, v, &got)
                     : store_zrange(s, db, key, &r, sort_add_member, v, &got);
        } else {
            src->ranged = 1;
            if (!sort_range(o->offset, o->count, &from, &to))
                return STORE_OK; /* LIMIT x 0: nothing to read */
            if (ki.type == STORE_TYPE_ZSET) {
                struct store_zrange r = {
                    .by = STORE_ZBY_RANK, .rev = o->desc, .start = from, .stop = to, .limit = -1};

                rc = store_zrange(s, db, key, &r, sort_add_member, v, &got);
            } else if (!o->desc) {
                rc = store_lrange(s, db, key, from, to, sort_add_elem, v, &got);
            } else {
                /* Indexes 'from'..'to' counted from the tail are -to-1..-from-1 from the
                 * head (no overflow: both are >= 0); read in order, then reversed. */
                rc = store_lrange(s, db, key, to == INT64_MAX ? INT64_MIN : -to - 1, -from - 1,
                                  sort_add_elem, v, &got);
                for (size_t i = 0, j = v->n; rc == STORE_OK && i + 1 < j; i++, j--) {
                    struct sort_item t = v->it[i];

                    v->it[i] = v->it[j - 1];
                    v->it[j - 1] = t;
                }
            }
        }
        if (rc != STORE_WRONGTYPE || tries == 3)
            return rc;
        sort_vec_free(v);
    }
}

/* ---- Weights and the order ------------------------------------------------------------- */

/* Redis 7.0's reading of a number to sort by: strtod over the bytes before the first
 * zero byte, which it must take whole, with no range error (an overflow, or a result
 * too small to be normal) and no NaN. 1 with '*d', else 0. An integer in Redis' strict
 * form (which Redis keeps as an integer and converts without strtod) takes a shorter
 * way to the same double. */
static int sort_number(struct omk_slice v, double *d)
{
    char buf[64], *copy, *end;
    long long ll;
    int good;

    if (omk_str2ll(v.p, v.len, &ll)) {
        *d = (double)ll;
        return 1;
    }
    copy = v.len < sizeof(buf) ? buf : omk_malloc(v.len + 1);

    if (v.len)
        memcpy(copy, v.p, v.len);
    copy[v.len] = '\0';
    errno = 0;
    *d = strtod(copy, &end);
    good = *end == '\0' && errno != ERANGE && !isnan(*d);
    if (copy != buf)
        omk_free(copy);
    return good;
}

/* What the comparison needs besides the two keys. */
struct sort_ctx {
    const struct sort_item *it;
    const char *arena;
    int alpha, desc, by, store;
};

/* Byte strings in memcmp order, a proper prefix first (Redis' binary comparison). */
static int sort_bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int d = alen && blen ? memcmp(a, b, alen < blen ? alen : blen) : 0;

    return d ? d : (alen > blen) - (alen < blen);
}

/* ALPHA's comparison: bytes, up to the first zero byte unless storing (Redis compares
 * with strcoll when it replies, which the C locale makes strcmp; binary when it stores). */
static int sort_alpha_cmp(const struct sort_ctx *x, const char *a, size_t alen, const char *b,
                          size_t blen)
{
    if (!x->store) {
        alen = sort_clen((struct omk_slice){a, alen});
        blen = sort_clen((struct omk_slice){b, blen});
    }
    return sort_bytes_cmp(a, alen, b, blen);
}

/* qsort_r comparison of two keys under the options in 'arg' (Redis' sortCompare, then
 * the place in the source). */
static int sort_cmp(const void *pa, const void *pb, void *arg)
{
    const struct sort_key *ka = pa, *kb = pb;
    const struct sort_ctx *x = arg;
    const struct sort_item *a = &x->it[ka->i], *b = &x->it[kb->i];
    int c;

    if (!x->alpha) {
        c = (ka->score > kb->score) - (ka->score < kb->score);
        if (c == 0)
            c = sort_bytes_cmp(x->arena + a->off, a->len, x->arena + b->off, b->len);
    } else if (x->by) {
        if (!a->has_by || !b->has_by)
            c = a->has_by - b->has_by;
        else
            c = sort_alpha_cmp(x, x->arena + a->by_off, a->by_len, x->arena + b->by_off, b->by_len);
    } else {
        c = sort_alpha_cmp(x, x->arena + a->off, a->len, x->arena + b->off, b->len);
    }
    if (x->desc)
        c = -c;
    if (c == 0)
        c = (ka->i > kb->i) - (ka->i < kb->i);
    return c;
}

/* Give every item of 'v' what it sorts by ('by' NULL: itself): its number in key[i]
 * (key[i].i is 'i'), or with 'alpha' and a BY pattern the value named. STORE_OK,
 * STORE_NOTFLOAT, or a lookup's error. */
static int sort_weigh(struct sort_env *env, const struct sort_pat *by, int alpha,
                      struct sort_vec *v, struct sort_key *key)
{
    for (size_t i = 0; i < v->n; i++) {
        struct sort_val w = {.v = sort_elem(v, i)};
        int rc = STORE_OK;

        key[i].score = 0;
        key[i].i = (uint32_t)i;
        if (by) {
            rc = sort_lookup(env, by, sort_elem(v, i), &w);
            if (rc != STORE_OK)
                return rc;
            if (!w.v.p)
                continue;
        }
        if (alpha) {
            if (by) {
                v->it[i].by_off = sort_arena_add(v, w.v.p, w.v.len);
                v->it[i].by_len = w.v.len;
                v->it[i].has_by = 1;
            }
        } else if (!sort_number(w.v, &key[i].score)) {
            rc = STORE_NOTFLOAT;
        }
        sort_val_release(&w);
        if (rc != STORE_OK)
            return rc;
    }
    return STORE_OK;
}

/* Redis' LIMIT over 'n' elements: the first and last index kept ('*end' < '*start':
 * none). */
static void sort_limit(int64_t n, int64_t offset, int64_t count, int64_t *start, int64_t *end)
{
    *start = offset < 0 ? 0 : offset > n ? n : offset;
    if (count < -1)
        count = -1;
    if (count > n)
        count = n;
    *end = count < 0 ? n - 1 : *start + count - 1;
    if (*start >= n) {
        *start = n - 1;
        *end = n - 2;
    }
    if (*end >= n)
        *end = n - 1;
}

/* ---- The output ------------------------------------------------------------------------ */

/* Where the values of the result go: the caller's callback, or a list being built. */
struct sort_out {
    store_sort_cb *cb;
    void *arg;
    int stopped;      /* the callback asked to stop */
    uint64_t emitted; /* values handed over (to the callback or the list) */
    /* STORE: the values, as offsets and lengths into 'buf' */
    size_t *off, *len;
    size_t n, cap;
    char *buf;
    size_t blen, bcap;
};

/* Hand one value ('val' NULL: nil) to the output. */
static void sort_emit(struct sort_out *out, const struct omk_slice *val)
{
    if (out->stopped)
        return;
    out->emitted++;
    if (out->cb) {
        out->stopped = out->cb(out->arg, val) != 0;
        return;
    }
    if (out->n == out->cap) {
        out->cap = out->cap ? 2 * out->cap : 64;
        out->off = omk_realloc(out->off, out->cap * sizeof(*out->off));
        out->len = omk_realloc(out->len, out->cap * sizeof(*out->len));
    }
    if (val && val->len > out->bcap - out->blen) {
        out->bcap = out->bcap + val->len + 256 > 2 * out->bcap ? out->bcap + val->len + 256
                                                               : 2 * out->bcap;
        out->buf = omk_realloc(out->buf, out->bcap);
    }
    out->off[out->n] = out->blen;
    out->len[out->n] = val ? val->len : 0; /* nil is stored as an empty string */
    if (val && val->len)
        memcpy(out->buf + out->blen, val->p, val->len);
    out->blen += val ? val->len : 0;
    out->n++;
}

/* Write the values gathered for STORE to 'dst' in one call. */
static int sort_store(struct store *s, int db, struct omk_slice dst, const struct sort_out *out)
{
    struct omk_slice *el = omk_malloc((out->n ? out->n : 1) * sizeof(*el));
    int rc;

    for (size_t i = 0; i < out->n; i++)
        el[i] = (struct omk_slice){out->buf ? out->buf + out->off[i] : "", out->len[i]};
    rc = store_lreplace(s, db, dst, el, out->n);
    omk_free(el);
    return rc;
}

/* ---- SORT ---------------------------------------------------------------------------- */

int store_sort(struct store *s, int db, struct omk_slice key, const struct store_sort_opts *o,
               store_sort_cb *cb, void *arg, uint64_t *n, struct store_sort_lookups *lk)
{
    struct sort_pat by, *get = omk_calloc(o->nget ? o->nget : 1, sizeof(*get));
    struct sort_vec v = {0};
    struct sort_src src = {0};
    struct sort_out out = {.cb = o->store ? NULL : cb, .arg = arg};
    struct sort_key *keys = NULL;
    struct sort_env env = {.s = s, .db = db, .lk = lk};
    int64_t start, end;
    int alpha = o->alpha, dontsort = 0, rc;
    const struct sort_pat *bp = NULL;

    OMK_ASSERT(o->store || cb);
    *n = 0;
    for (size_t i = 0; i < o->nby; i++) /* one BY without '*' is enough, whatever follows */
        dontsort |= memchr(o->by[i].p, '*', sort_clen(o->by[i])) == NULL;
    if (o->nby) {
        sort_pat_parse(&by, o->by[o->nby - 1]);
        bp = &by;
    }
    for (size_t i = 0; i < o->nget; i++)
        sort_pat_parse(&get[i], o->get[i]);
    rc = sort_read(s, db, key, o, dontsort, &v, &src);
    if (rc == STORE_OK || rc == STORE_WRONGTYPE) { /* the key sorted was looked up */
        lk->hits += src.type != -1;
        lk->misses += src.type == -1;
    }
    if (rc != STORE_OK)
        goto done;
    /* Redis 7.0 turns the sorted set it sorts into a skiplist (OBJECT ENCODING), once.
     * Only the encoding's name depends on it: a failure is not the sort's. */
    if (src.type == STORE_TYPE_ZSET && !src.big)
        (void)store_zconvert(s, db, key);
    /* A set has no order of its own: when it is stored, it is sorted as ALPHA, so that
     * the stored list does not depend on how the set happens to be laid out. */
    if (dontsort && src.type == STORE_TYPE_SET && o->store) {
        dontsort = 0;
        alpha = 1;
        bp = NULL;
    }
    if (!dontsort) {
        struct sort_ctx x = {.alpha = alpha,
                             .desc = o->desc,
                             .by = bp != NULL,
                             .store = o->store != NULL};

        keys = omk_malloc((v.n ? v.n : 1) * sizeof(*keys));
        rc = sort_weigh(&env, bp, alpha, &v, keys);
        if (rc != STORE_OK)
            goto done;
        x.it = v.it;
        x.arena = v.arena;
        if (v.n > 1)
            qsort_r(keys, v.n, sizeof(*keys), sort_cmp, &x);
    }
    if (src.ranged) {
        start = 0;
        end = (int64_t)v.n - 1;
    } else {
        sort_limit((int64_t)v.n, o->offset, o->count, &start, &end);
    }
    for (int64_t j = start; j <= end && !out.stopped; j++) {
        struct omk_slice e = sort_elem(&v, keys ? keys[j].i : (size_t)j);

        if (o->nget == 0) {
            sort_emit(&out, &e);
            continue;
        }
        for (size_t g = 0; g < o->nget && !out.stopped; g++) {
            struct sort_val val;

            rc = sort_lookup(&env, &get[g], e, &val);
            if (rc != STORE_OK)
                goto done;
            sort_emit(&out, val.v.p ? &val.v : NULL);
            sort_val_release(&val);
        }
    }
    *n = out.emitted;
    if (o->store)
        rc = sort_store(s, db, *o->store, &out);
done:
    if (rc != STORE_OK)
        *n = 0;
    omk_free(out.off);
    omk_free(out.len);
    omk_free(out.buf);
    omk_free(env.kbuf);
    omk_free(keys);
    omk_free(get);
    sort_vec_free(&v);
    return rc;
}
