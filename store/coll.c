/* coll.c - the collection layer (coll.h, HOW IT WORKS): live ids and the id counter,
 * a collection opened in an operation (inline or split), its walks, random picks and
 * scans, its save, and the builder that writes a new collection in chunks.
 *
 * Invariant: a split collection's element records under its id are exactly its 'count'
 * elements once its operation commits (store_check verifies it), because every change
 * goes through coll_set / coll_remove, which read the element first under the stripe
 * and adjust the count by what they found. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "store/coll.h"
#include "store/elemcache.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store_internal.h"
#include "store/zrank.h"

/* ---- Live ids -------------------------------------------------------------------------
 * An open-addressing table (linear probing, backward-shift deletion) of id -> number of
 * top-level records holding it, under one mutex: the element filter asks it from
 * RocksDB's compaction threads, commits change it. Ids are never 0. */

#define COLL_ID_LEASE 1024 /* ids leased per write of the counter */
#define COLL_HEADS 1024    /* split lists whose head the table remembers (a power of two) */

/* One slot of the list-head table: split list 'id' holding 'count' elements starts at
 * sequence number 'head' (id 0: empty). */
struct coll_head {
    uint64_t id, count, head;
};

struct coll_ids {
    pthread_mutex_t heads_mu;          /* the head table's own leaf lock */
    struct coll_head heads[COLL_HEADS];
    pthread_mutex_t mu;    /* the live table; taken by RocksDB's compaction threads */
    uint64_t *id;          /* [cap], 0: empty slot */
    uint32_t *refs;        /* [cap] */
    size_t cap, n;
    atomic_int loaded;     /* 0 while the index loads: every id counts as live */
    /* The lease has its own lock because it is held across a RocksDB write: were it mu, a
     * write stalled until a compaction ends would wait for a compaction whose filter waits
     * for mu. Never taken with mu held, nor mu with it. */
    pthread_mutex_t lease_mu;
    uint64_t next;         /* the next id to hand out (lease_mu) */
    uint64_t lease_end;    /* ids below this are covered by the counter's record (lease_mu) */
};

struct coll_ids *coll_ids_new(void)
{
    struct coll_ids *ids = omk_calloc(1, sizeof(*ids));

    omk_mutex_init(&ids->mu);
    omk_mutex_init(&ids->lease_mu);
    omk_mutex_init(&ids->heads_mu);
    ids->cap = 64;
    ids->id = omk_calloc(ids->cap, sizeof(*ids->id));
    ids->refs = omk_calloc(ids->cap, sizeof(*ids->refs));
    ids->next = ids->lease_end = 1;
    return ids;
}

void coll_ids_free(struct coll_ids *ids)
{
    if (!ids)
        return;
    pthread_mutex_destroy(&ids->mu);
    pthread_mutex_destroy(&ids->lease_mu);
    pthread_mutex_destroy(&ids->heads_mu);
    omk_free(ids->id);
    omk_free(ids->refs);
    omk_free(ids);
}

static size_t coll_ids_slot(const struct coll_ids *ids, uint64_t id)
{
    return (size_t)omk_hash(&id, sizeof(id)) & (ids->cap - 1);
}

/* The slot holding 'id', or the empty slot where it would go. */
static size_t coll_ids_find(const struct coll_ids *ids, uint64_t id)
{
    size_t i = coll_ids_slot(ids, id);

    while (ids->id[i] != 0 && ids->id[i] != id)
        i = (i + 1) & (ids->cap - 1);
    return i;
}

static void coll_ids_grow(struct coll_ids *ids)
{
    uint64_t *oid = ids->id;
    uint32_t *orefs = ids->refs;
    size_t ocap = ids->cap;

    ids->cap *= 2;
    ids->id = omk_calloc(ids->cap, sizeof(*ids->id));
    ids->refs = omk_calloc(ids->cap, sizeof(*ids->refs));
    for (size_t i = 0; i < ocap; i++) {
        if (oid[i]) {
            size_t j = coll_ids_find(ids, oid[i]);

            ids->id[j] = oid[i];
            ids->refs[j] = orefs[i];
        }
    }
    omk_free(oid);
    omk_free(orefs);
}

void coll_ids_ref(struct store *s, uint64_t id)
{
    struct coll_ids *ids = s->ids;
    size_t i;

    OMK_ASSERT(id != 0);
    omk_mutex_lock(&ids->mu);
    if (2 * (ids->n + 1) > ids->cap)
        coll_ids_grow(ids);
    i = coll_ids_find(ids, id);
    if (ids->id[i] == 0) {
        ids->id[i] = id;
        ids->refs[i] = 0;
        ids->n++;
    }
    ids->refs[i]++;
    omk_mutex_unlock(&ids->mu);
}

int coll_ids_unref(struct store *s, uint64_t id)
{
    struct coll_ids *ids = s->ids;
    size_t i, j;

    omk_mutex_lock(&ids->mu);
    i = coll_ids_find(ids, id);
    if (ids->id[i] == 0 || --ids->refs[i] > 0) {
        omk_mutex_unlock(&ids->mu);
        return 0;
    }
    /* Backward-shift deletion: pull later entries of the probe run into the hole. */
    ids->id[i] = 0;
    ids->n--;
    for (j = (i + 1) & (ids->cap - 1); ids->id[j] != 0; j = (j + 1) & (ids->cap - 1)) {
        size_t home = coll_ids_slot(ids, ids->id[j]);

        /* Entry j may move to the hole i unless its home lies cyclically in (i, j]. */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            ids->id[i] = ids->id[j];
            ids->refs[i] = ids->refs[j];
            ids->id[j] = 0;
            ids->refs[j] = 0;
            i = j;
        }
    }
    omk_mutex_unlock(&ids->mu);
    zrank_reg_drop(s->zranks, id); /* a dead zset's rank blocks (never reused: ids are not) */
    return 1;
}

int coll_ids_live(void *arg, uint64_t id)
{
    struct store *s = arg;
    struct coll_ids *ids = s->ids;
    int live;

    if (!atomic_load(&ids->loaded))
        return 1;
    omk_mutex_lock(&ids->mu);
    live = ids->id[coll_ids_find(ids, id)] == id;
    omk_mutex_unlock(&ids->mu);
    return live;
}

size_t coll_ids_count(struct store *s)
{
    size_t n;

    omk_mutex_lock(&s->ids->mu);
    n = s->ids->n;
    omk_mutex_unlock(&s->ids->mu);
    return n;
}

void coll_ids_reset(struct store *s)
{
    struct coll_ids *ids = s->ids;

    atomic_store(&ids->loaded, 0);
    omk_mutex_lock(&ids->mu);
    memset(ids->id, 0, ids->cap * sizeof(*ids->id));
    memset(ids->refs, 0, ids->cap * sizeof(*ids->refs));
    ids->n = 0;
    omk_mutex_unlock(&ids->mu);
    omk_mutex_lock(&ids->heads_mu);
    memset(ids->heads, 0, sizeof(ids->heads)); /* RocksDB may hold other heads now */
    omk_mutex_unlock(&ids->heads_mu);
    zrank_reg_clear(s->zranks); /* the index is loaded again: so are the blocks, lazily */
    zset_ends_clear(s->zends);
}

void coll_ids_loaded(struct store *s)
{
    atomic_store(&s->ids->loaded, 1);
}

int coll_ids_load_counter(struct store *s)
{
    char *v = NULL;
    size_t n = 0;
    int rc = rocks_get_cf(s->rocks, ROCKS_CF_META, FMT_META_NEXT_ID, strlen(FMT_META_NEXT_ID), &v,
                          &n);
    uint64_t next = 1;

    if (rc < 0)
        return rc;
    if (rc == STORE_OK && n == 8)
        next = fmt_u64_get(v);
    rocks_free(v);
    omk_mutex_lock(&s->ids->lease_mu);
    /* Ids below the recorded value may have been handed out before: never again. */
    s->ids->next = s->ids->lease_end = next < 1 ? 1 : next;
    omk_mutex_unlock(&s->ids->lease_mu);
    return STORE_OK;
}

int coll_id_new(struct store *s, uint64_t *id)
{
    struct coll_ids *ids = s->ids;
    int rc = STORE_OK;

    omk_mutex_lock(&ids->lease_mu);
    if (ids->next == ids->lease_end) {
        /* Record the end of a new lease before any id of it is used: the record goes to
         * the log ahead of every batch that uses one, so no crash keeps such a batch
         * and loses the record. Written on its own, outside any transaction. */
        unsigned char word[8];
        struct rocks_batch *b = rocks_batch_new();

        fmt_u64_put(word, ids->lease_end + COLL_ID_LEASE);
        rocks_batch_put_cf(s->rocks, b, ROCKS_CF_META, FMT_META_NEXT_ID,
                           strlen(FMT_META_NEXT_ID), (const char *)word, sizeof(word));
        rc = rocks_write(s->rocks, b);
        rocks_batch_free(b);
        if (rc == STORE_OK)
            ids->lease_end += COLL_ID_LEASE;
    }
    if (rc == STORE_OK)
        *id = ids->next++;
    omk_mutex_unlock(&ids->lease_mu);
    return rc;
}

/* ---- Split lists' heads --------------------------------------------------------------- */

static struct coll_head *coll_head_slot(struct coll_ids *ids, uint64_t id)
{
    return &ids->heads[omk_hash(&id, sizeof(id)) & (COLL_HEADS - 1)];
}

int coll_list_head_get(struct store *s, uint64_t id, uint64_t count, uint64_t *head)
{
    struct coll_ids *ids = s->ids;
    struct coll_head *h = coll_head_slot(ids, id);
    int found;

    omk_mutex_lock(&ids->heads_mu);
    found = h->id == id && h->count == count;
    if (found)
        *head = h->head;
    omk_mutex_unlock(&ids->heads_mu);
    return found;
}

void coll_list_head_set(struct store *s, uint64_t id, uint64_t count, uint64_t head)
{
    struct coll_ids *ids = s->ids;
    struct coll_head *h = coll_head_slot(ids, id);

    omk_mutex_lock(&ids->heads_mu);
    *h = (struct coll_head){id, count, head};
    omk_mutex_unlock(&ids->heads_mu);
}

void coll_list_head_forget(struct store *s, uint64_t id)
{
    struct coll_ids *ids = s->ids;
    struct coll_head *h = coll_head_slot(ids, id);

    omk_mutex_lock(&ids->heads_mu);
    if (h->id == id)
        memset(h, 0, sizeof(*h));
    omk_mutex_unlock(&ids->heads_mu);
}

/* ---- Limits ---------------------------------------------------------------------------- */

void coll_limits(struct store *s, struct store_coll_limits *l)
{
    l->hash_max_listpack_entries = atomic_load(&s->lim_hash_entries);
    l->hash_max_listpack_value = atomic_load(&s->lim_hash_value);
    l->set_max_intset_entries = atomic_load(&s->lim_set_entries);
    l->zset_max_listpack_entries = atomic_load(&s->lim_zset_entries);
    l->zset_max_listpack_value = atomic_load(&s->lim_zset_value);
    l->inline_max_bytes = atomic_load(&s->lim_inline);
    l->fragment_threshold = atomic_load(&s->lim_frag);
}

int coll_is_int(struct omk_slice e)
{
    long long v;

    return omk_str2ll(e.p, e.len, &v);
}

/* ---- Pending changes of a split collection ----------------------------------------------
 * Element -> new value or deletion, with whether the element existed in RocksDB before
 * the operation: an open-addressing index over an array of entries. */

struct coll_pend_ent {
    char *e;       /* element then value, one allocation */
    size_t elen;
    char *v;
    size_t vlen;
    int del;       /* 1: removed */
    int existed;   /* it is in RocksDB (so walks meet it there) */
};

struct coll_pending {
    struct coll_pend_ent *ent;
    size_t n, cap;
    uint32_t *slot; /* index + 1 into 'ent', 0: empty; 'nslots' a power of two */
    size_t nslots;
};

static struct coll_pend_ent *coll_pend_get(struct coll_pending *p, struct omk_slice e)
{
    size_t i;

    if (!p || p->nslots == 0)
        return NULL;
    for (i = omk_hash(e.p, e.len) & (p->nslots - 1); p->slot[i];
         i = (i + 1) & (p->nslots - 1)) {
        struct coll_pend_ent *x = &p->ent[p->slot[i] - 1];

        if (x->elen == e.len && memcmp(x->e, e.p, e.len) == 0)
            return x;
    }
    return NULL;
}

static void coll_pend_index(struct coll_pending *p, size_t idx)
{
    const struct coll_pend_ent *x = &p->ent[idx];
    size_t i = omk_hash(x->e, x->elen) & (p->nslots - 1);

    while (p->slot[i])
        i = (i + 1) & (p->nslots - 1);
    p->slot[i] = (uint32_t)(idx + 1);
}

/* Record element 'e' as set to 'v' (or removed, 'del'); 'existed' for a new entry. */
static void coll_pend_put(struct coll *c, struct omk_slice e, struct omk_slice v, int del,
                          int existed)
{
    struct coll_pending *p = c->pend;
    struct coll_pend_ent *x;

    if (!p)
        p = c->pend = omk_calloc(1, sizeof(*p));
    x = coll_pend_get(p, e);
    if (x) {
        omk_free(x->e);
    } else {
        if (p->n == p->cap) {
            p->cap = p->cap ? 2 * p->cap : 8;
            p->ent = omk_realloc(p->ent, p->cap * sizeof(*p->ent));
        }
        if (2 * (p->n + 1) > p->nslots) {
            p->nslots = p->nslots ? 2 * p->nslots : 16;
            omk_free(p->slot);
            p->slot = omk_calloc(p->nslots, sizeof(*p->slot));
            for (size_t i = 0; i < p->n; i++)
                coll_pend_index(p, i);
        }
        x = &p->ent[p->n++];
        x->existed = existed;
        x->e = NULL;
    }
    x->e = omk_malloc(e.len + v.len + 1);
    memcpy(x->e, e.p, e.len);
    if (v.len)
        memcpy(x->e + e.len, v.p, v.len);
    x->elen = e.len;
    x->v = x->e + e.len;
    x->vlen = v.len;
    x->del = del;
    if (p->slot && !coll_pend_get(p, e))
        coll_pend_index(p, (size_t)(x - p->ent));
}

static void coll_pend_free(struct coll_pending *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        omk_free(p->ent[i].e);
    omk_free(p->ent);
    omk_free(p->slot);
    omk_free(p);
}

/* ---- Inline payloads -------------------------------------------------------------------- */

/* 1 if elements of 'type' carry a value (a hash's, a zset's score), else 0 (a set). */
static int coll_has_value(int type)
{
    return type == STORE_TYPE_HASH || type == STORE_TYPE_ZSET;
}

/* Read the element at '*off' of inline payload 'p'/'len' of 'type' (its value too, for a
 * type that has one; else an empty one) and move '*off' past it. 0, or -1 if malformed. */
static int coll_inline_next(const char *p, size_t len, size_t *off, int type,
                            struct omk_slice *e, struct omk_slice *v)
{
    uint64_t l;

    if (fmt_varint_get(p, len, off, &l) != 0 || l > len - *off)
        return -1;
    *e = (struct omk_slice){p + *off, l};
    *off += l;
    *v = (struct omk_slice){"", 0};
    if (coll_has_value(type)) {
        if (fmt_varint_get(p, len, off, &l) != 0 || l > len - *off)
            return -1;
        *v = (struct omk_slice){p + *off, l};
        *off += l;
    }
    return 0;
}

/* Decode inline payload 'p'/'len' of 'type' into c->el. 0, or -1 if malformed. */
static int coll_inline_decode(struct coll *c, const char *p, size_t len)
{
    size_t off = 0;
    uint64_t n;

    if (fmt_varint_get(p, len, &off, &n) != 0 || n > len)
        return -1;
    c->el = omk_malloc((n ? n : 1) * sizeof(*c->el));
    c->cap = n ? n : 1;
    for (c->n = 0; c->n < n; c->n++)
        if (coll_inline_next(p, len, &off, c->type, &c->el[c->n].e, &c->el[c->n].v) != 0)
            return -1;
    return off == len ? 0 : -1;
}

/* Append one element to 'buf' (grown as needed). */
static void coll_elem_append(unsigned char **buf, size_t *len, size_t *cap, int type,
                             struct omk_slice e, struct omk_slice v)
{
    size_t need = *len + 20 + e.len + v.len;

    if (need > *cap) {
        *cap = need > 2 * *cap ? need : 2 * *cap;
        *buf = omk_realloc(*buf, *cap);
    }
    *len += fmt_varint_put(*buf + *len, e.len);
    if (e.len)
        memcpy(*buf + *len, e.p, e.len);
    *len += e.len;
    if (coll_has_value(type)) {
        *len += fmt_varint_put(*buf + *len, v.len);
        if (v.len)
            memcpy(*buf + *len, v.p, v.len);
        *len += v.len;
    }
}

/* ---- Opening and closing ---------------------------------------------------------------- */

int coll_open(struct coll *c, struct store_op *op, size_t ki, int type)
{
    const struct key_state *st = &op->key[ki].st;
    int rc;

    memset(c, 0, sizeof(*c));
    c->op = op;
    c->ki = ki;
    c->type = type;
    /* One lookup: the state, and an inline collection's record with it, seen together
     * (a read holds no stripe; a value read from RocksDB restates the state). */
    rc = store_op_lookup(op, ki, STORE_WANT_INLINE);
    if (rc != STORE_OK || !st->exists)
        return rc;
    if (st->bad)
        return STORE_ERR_VALUE;
    if (st->type != type)
        return STORE_WRONGTYPE;
    c->existed = 1;
    c->fflags = st->fflags;
    c->expire_ms = st->expire_ms;
    c->count = st->count;
    c->id = st->id;
    if (c->fflags & FMT_F_SPLIT)
        return op->mode == STORE_OP_READ ? COLL_SPLIT : STORE_OK;
    if (!op->key[ki].val)
        return STORE_ERR_VALUE;
    c->src = store_op_take_val(op, ki);
    if (coll_inline_decode(c, c->src->data, c->src->len) != 0 || c->n != c->count)
        return STORE_ERR_VALUE;
    return STORE_OK;
}

int coll_begin_read(struct store_op *op, struct coll *c, struct store *s, int db,
                    struct omk_slice key, int type)
{
    int rc;

    store_op_begin1(op, s, STORE_OP_READ, db, key);
    rc = coll_open(c, op, 0, type);
    if (rc != COLL_SPLIT)
        return rc;
    coll_close(c);
    store_op_end(op, STORE_OK);
    store_op_begin1(op, s, STORE_OP_WRITE, db, key);
    return coll_open(c, op, 0, type);
}

void coll_close(struct coll *c)
{
    for (size_t i = 0; i < c->nmem; i++)
        omk_free(c->mem[i]);
    omk_free(c->mem);
    omk_free(c->el);
    store_val_release(c->src);
    coll_pend_free(c->pend);
    memset(c, 0, sizeof(*c));
}

/* ---- Element access -------------------------------------------------------------------- */

int coll_peek(struct store_op *op, size_t ki, int type, struct omk_slice e, struct omk_slice *v)
{
    const struct store_op_key *k = &op->key[ki];
    size_t off = 0;
    uint64_t n;
    int rc = store_op_lookup(op, ki, STORE_WANT_INLINE); /* state and record together */

    if (rc != STORE_OK)
        return rc;
    if (!k->st.exists)
        return STORE_NOTFOUND;
    if (k->st.bad)
        return STORE_ERR_VALUE;
    if (k->st.type != type)
        return STORE_WRONGTYPE;
    if (k->st.fflags & FMT_F_SPLIT)
        return COLL_SPLIT;
    if (!k->val)
        return STORE_ERR_VALUE;
    /* The layout coll_inline_decode() reads: the count, then each element (and value). */
    if (fmt_varint_get(k->val, k->vlen, &off, &n) != 0 || n != k->st.count)
        return STORE_ERR_VALUE;
    for (uint64_t i = 0; i < n; i++) {
        struct omk_slice x;

        if (coll_inline_next(k->val, k->vlen, &off, type, &x, v) != 0)
            return STORE_ERR_VALUE;
        if (x.len == e.len && memcmp(x.p, e.p, e.len) == 0)
            return STORE_OK;
    }
    return STORE_NOTFOUND;
}

/* The index in c->el of inline element 'e', or -1. */
static long coll_inline_find(const struct coll *c, struct omk_slice e)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->el[i].e.len == e.len && memcmp(c->el[i].e.p, e.p, e.len) == 0)
            return (long)i;
    return -1;
}

/* Keep 'p'/'len' alive until the handle closes; returns the copy. */
static char *coll_keep(struct coll *c, const char *p, size_t len)
{
    char *m = omk_malloc(len + 1);

    if (len)
        memcpy(m, p, len);
    if (c->nmem == c->capmem) {
        c->capmem = c->capmem ? 2 * c->capmem : 8;
        c->mem = omk_realloc(c->mem, c->capmem * sizeof(*c->mem));
    }
    c->mem[c->nmem++] = m;
    return m;
}

/* Split element 'e' as the operation sees it (the element cache, else RocksDB or the
 * transaction): STORE_OK with its value in '*v' (kept until the handle closes) when 'v'
 * is not NULL, STORE_NOTFOUND, or an error. A value read from RocksDB fills the cache:
 * the caller holds the key's stripe, so no write of the element can come between. */
static int coll_split_get(struct coll *c, struct omk_slice e, struct omk_slice *v)
{
    struct store *s = c->op->s;
    struct cache_item *it = ecache_get(s, c->id, e);
    struct fmt_key k;
    char *buf = NULL;
    size_t n = 0;
    int rc;

    if (it) {
        if (v) {
            struct omk_slice x = ecache_item_value(it);

            *v = (struct omk_slice){coll_keep(c, x.p, x.len), x.len};
        }
        cache_unpin(it);
        return STORE_OK;
    }
    fmt_elem_key(&k, c->id, fmt_elem_pos(e.p, e.len), e.p, e.len);
    rc = store_log_get_cf(s, ROCKS_CF_ELEMS, k.p, k.len, &buf, &n);
    fmt_key_deinit(&k);
    if (rc == STORE_OK) {
        it = ecache_item_new(c->id, e, (struct omk_slice){buf, n});
        ecache_put(s, it);
        cache_unpin(it);
        if (v)
            *v = (struct omk_slice){coll_keep(c, buf, n), n};
    }
    rocks_free(buf);
    return rc;
}

int coll_find(struct coll *c, struct omk_slice e, struct omk_slice *v)
{
    const struct coll_pend_ent *x;
    long i;

    if (!(c->fflags & FMT_F_SPLIT)) {
        i = coll_inline_find(c, e);
        if (i < 0)
            return STORE_NOTFOUND;
        if (v)
            *v = c->el[i].v;
        return STORE_OK;
    }
    x = coll_pend_get(c->pend, e);
    if (x) {
        if (x->del)
            return STORE_NOTFOUND;
        if (v)
            *v = (struct omk_slice){x->v, x->vlen};
        return STORE_OK;
    }
    return coll_split_get(c, e, v);
}

/* A zset's score-index record of member 'm' with score bytes 'v' (fmt_score_put) into
 * batch 'b': put, or deleted ('del'). */
static void coll_zscore_write(struct store *s, struct rocks_batch *b, uint64_t id,
                              struct omk_slice m, struct omk_slice v, int del)
{
    struct fmt_key k;

    double score;

    OMK_ASSERT(v.len == 8);
    score = fmt_score_get(v.p);
    fmt_zscore_key(&k, id, score, m.p, m.len);
    if (del)
        rocks_batch_delete_cf(s->rocks, b, ROCKS_CF_ELEMS, k.p, k.len);
    else if (score == 0 && signbit(score)) /* the key says 0: the value keeps the sign */
        rocks_batch_put_cf(s->rocks, b, ROCKS_CF_ELEMS, k.p, k.len, FMT_ZSCORE_NEGZERO, 1);
    else
        rocks_batch_put_cf(s->rocks, b, ROCKS_CF_ELEMS, k.p, k.len, "", 0);
    fmt_key_deinit(&k);
}

/* The element record of split element 'e' into the operation's batch: set to 'v', or
 * deleted ('del'). A zset's score index follows: the record of its old score 'old'
 * (NULL: it had none) goes, the new one comes. */
static void coll_split_write(struct coll *c, struct omk_slice e, struct omk_slice v, int del,
                             const struct omk_slice *old)
{
    struct fmt_key k;
    struct store *s = c->op->s;

    fmt_elem_key(&k, c->id, fmt_elem_pos(e.p, e.len), e.p, e.len);
    if (del)
        rocks_batch_delete_cf(s->rocks, c->op->w.b, ROCKS_CF_ELEMS, k.p, k.len);
    else
        rocks_batch_put_cf(s->rocks, c->op->w.b, ROCKS_CF_ELEMS, k.p, k.len, v.p, v.len);
    fmt_key_deinit(&k);
    if (c->type != STORE_TYPE_ZSET)
        return;
    if (old)
        coll_zscore_write(s, c->op->w.b, c->id, e, *old, 1);
    if (!del)
        coll_zscore_write(s, c->op->w.b, c->id, e, v, 0);
    if (c->on_zscore)
        c->on_zscore(c, e, old, del ? NULL : &v);
}

/* Whether split element 'e' is in 'c' now ('*present': its pending change, else
 * RocksDB) and whether RocksDB holds it ('*existed'); with 'old' non-NULL and the
 * element present, its value now in '*old' (kept until the handle closes). STORE_OK or
 * an I/O error. */
static int coll_split_state(struct coll *c, struct omk_slice e, int *present, int *existed,
                            struct omk_slice *old)
{
    const struct coll_pend_ent *x = coll_pend_get(c->pend, e);
    int rc;

    if (x) {
        *present = !x->del;
        *existed = x->existed;
        if (old && *present)
            *old = (struct omk_slice){coll_keep(c, x->v, x->vlen), x->vlen};
        return STORE_OK;
    }
    rc = coll_split_get(c, e, old);
    if (rc < 0)
        return rc;
    *present = *existed = rc == STORE_OK;
    return STORE_OK;
}

int coll_set(struct coll *c, struct omk_slice e, struct omk_slice v, int *added)
{
    int rc;

    if (!(c->fflags & FMT_F_SPLIT)) {
        long i = coll_inline_find(c, e);
        char *m;

        *added = i < 0;
        if (i >= 0 && c->type == STORE_TYPE_SET)
            return STORE_OK; /* a member already there: nothing changes, no key is touched */
        c->changed = 1;
        m = coll_keep(c, v.p, v.len);
        if (i >= 0) {
            c->el[i].v = (struct omk_slice){m, v.len};
            return STORE_OK;
        }
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 4;
            c->el = omk_realloc(c->el, c->cap * sizeof(*c->el));
        }
        c->el[c->n].e = (struct omk_slice){coll_keep(c, e.p, e.len), e.len};
        c->el[c->n++].v = (struct omk_slice){m, v.len};
        c->count++;
        *added = 1;
        return STORE_OK;
    }
    {
        int present, existed, zset = c->type == STORE_TYPE_ZSET;
        struct omk_slice old;

        rc = coll_split_state(c, e, &present, &existed, zset ? &old : NULL);
        if (rc < 0)
            return rc;
        *added = !present;
        if (*added && c->count >= UINT32_MAX)
            return STORE_TOOBIG; /* the index entry counts to 2^32 - 1 (store_internal.h) */
        if (!*added && c->type == STORE_TYPE_SET)
            return STORE_OK; /* a member already there: nothing changes */
        c->changed = 1;
        coll_pend_put(c, e, v, 0, existed);
        coll_split_write(c, e, v, 0, zset && present ? &old : NULL);
        c->count += (uint64_t)*added;
        return STORE_OK;
    }
}

int coll_remove(struct coll *c, struct omk_slice e, int *removed)
{
    int rc;

    if (!(c->fflags & FMT_F_SPLIT)) {
        long i = coll_inline_find(c, e);

        *removed = i >= 0;
        if (i < 0)
            return STORE_OK;
        c->el[i] = c->el[--c->n];
        c->count--;
        c->changed = 1;
        return STORE_OK;
    }
    {
        int existed, zset = c->type == STORE_TYPE_ZSET;
        struct omk_slice old;

        rc = coll_split_state(c, e, removed, &existed, zset ? &old : NULL);
        if (rc < 0)
            return rc;
        if (!*removed)
            return STORE_OK;
        coll_pend_put(c, e, (struct omk_slice){"", 0}, 1, existed);
        coll_split_write(c, e, (struct omk_slice){"", 0}, 1, zset ? &old : NULL);
        c->count--;
        c->removed++;
        c->changed = 1;
        return STORE_OK;
    }
}

int coll_remove_found(struct coll *c, struct omk_slice e, struct omk_slice v)
{
    int r;

    /* Inline, or changed since it was read: the general path knows better. */
    if (!(c->fflags & FMT_F_SPLIT) || coll_pend_get(c->pend, e))
        return coll_remove(c, e, &r);
    coll_pend_put(c, e, (struct omk_slice){"", 0}, 1, 1);
    coll_split_write(c, e, (struct omk_slice){"", 0}, 1,
                     c->type == STORE_TYPE_ZSET ? &v : NULL);
    c->count--;
    c->removed++;
    c->changed = 1;
    return STORE_OK;
}

/* ---- Walks ------------------------------------------------------------------------------ */

/* An iterator over the element records of split collection 'c' from position 'pos';
 * '*end' receives the first key past the collection (16 bytes). */
static struct rocks_iter *coll_iter_at(struct coll *c, uint64_t pos, unsigned char *end)
{
    unsigned char from[FMT_ELEM_PREFIX];
    struct rocks_iter *it;

    fmt_elem_prefix(end, c->id, UINT64_C(1) << FMT_POS_BITS); /* a zset's score index follows */
    fmt_elem_prefix(from, c->id, pos);
    it = store_log_iter(c->op->s, ROCKS_CF_ELEMS, (const char *)end, FMT_ELEM_PREFIX);
    rocks_iter_seek(it, (const char *)from, sizeof(from));
    return it;
}

/* The element at 'it' if it still belongs to 'c' (the transaction's iterator ignores the
 * bound): 1 with '*e', '*v', '*pos' set, else 0. */
static int coll_iter_elem(struct coll *c, struct rocks_iter *it, const unsigned char *end,
                          struct omk_slice *e, struct omk_slice *v, uint64_t *pos)
{
    size_t klen, vlen;
    const char *k, *val;
    uint64_t id;

    if (!rocks_iter_valid(it))
        return 0;
    k = rocks_iter_key(it, &klen);
    if (fmt_bytes_cmp(k, klen, (const char *)end, FMT_ELEM_PREFIX) >= 0 ||
        fmt_elem_decode(k, klen, &id, pos, &e->p, &e->len) != 0 || id != c->id)
        return 0;
    val = rocks_iter_value(it, &vlen);
    *v = (struct omk_slice){val, vlen};
    return 1;
}

int coll_each(struct coll *c, coll_each_fn *fn, void *arg)
{
    unsigned char end[FMT_ELEM_PREFIX];
    struct rocks_iter *it;
    struct omk_slice e, v;
    uint64_t pos;
    int rc, stop = 0;

    if (!(c->fflags & FMT_F_SPLIT)) {
        for (size_t i = 0; i < c->n && !stop; i++)
            stop = fn(arg, c->el[i].e, c->el[i].v);
        return STORE_OK;
    }
    it = coll_iter_at(c, 0, end);
    for (; !stop && coll_iter_elem(c, it, end, &e, &v, &pos); rocks_iter_next(it)) {
        const struct coll_pend_ent *x = coll_pend_get(c->pend, e);

        if (x && x->del)
            continue;
        stop = x ? fn(arg, e, (struct omk_slice){x->v, x->vlen}) : fn(arg, e, v);
    }
    rc = stop ? STORE_OK : rocks_iter_status(it);
    rocks_iter_free(it);
    for (size_t i = 0; rc == STORE_OK && !stop && c->pend && i < c->pend->n; i++) {
        const struct coll_pend_ent *x = &c->pend->ent[i];

        if (!x->existed && !x->del)
            stop = fn(arg, (struct omk_slice){x->e, x->elen}, (struct omk_slice){x->v, x->vlen});
    }
    return rc;
}

int coll_scan(struct coll *c, uint64_t cursor, size_t count, coll_each_fn *fn, void *arg,
              uint64_t *next)
{
    unsigned char end[FMT_ELEM_PREFIX];
    struct rocks_iter *it;
    struct omk_slice e, v;
    uint64_t pos, last = 0;
    size_t seen = 0;
    int rc, more = 0;

    *next = 0;
    if (!(c->fflags & FMT_F_SPLIT))
        return coll_each(c, fn, arg);
    if (cursor >= (UINT64_C(1) << FMT_POS_BITS))
        return STORE_OK;
    it = coll_iter_at(c, cursor, end);
    for (; coll_iter_elem(c, it, end, &e, &v, &pos); rocks_iter_next(it)) {
        if (seen >= count && pos != last) { /* a position is never split between calls */
            more = 1;
            break;
        }
        fn(arg, e, v);
        last = pos;
        seen++;
    }
    rc = more ? STORE_OK : rocks_iter_status(it);
    rocks_iter_free(it);
    if (more)
        *next = pos; /* the first position not returned; never 0, as it follows 'last' */
    return rc;
}

int coll_pick(struct coll *c, store_rand_fn *rnd, char **e, size_t *elen, char **v, size_t *vlen)
{
    struct coll_elem win[COLL_PICK_WINDOW];
    char *keep[COLL_PICK_WINDOW * 2];
    unsigned char end[FMT_ELEM_PREFIX];
    struct rocks_iter *it;
    struct omk_slice ee, vv;
    uint64_t pos;
    size_t n = 0, pick;
    int rc = STORE_OK, wrapped = 0;

    if (c->count == 0)
        return STORE_NOTFOUND;
    if (!(c->fflags & FMT_F_SPLIT)) {
        pick = (size_t)(rnd() % c->n);
        *e = omk_memdup(c->el[pick].e.p, c->el[pick].e.len);
        *elen = c->el[pick].e.len;
        *v = omk_memdup(c->el[pick].v.p, c->el[pick].v.len);
        *vlen = c->el[pick].v.len;
        return STORE_OK;
    }
    it = coll_iter_at(c, rnd() & ((UINT64_C(1) << FMT_POS_BITS) - 1), end);
    while (n < COLL_PICK_WINDOW && n < c->count) {
        if (!coll_iter_elem(c, it, end, &ee, &vv, &pos)) {
            if ((rc = rocks_iter_status(it)) != STORE_OK || wrapped)
                break;
            wrapped = 1; /* from the start of the collection */
            rocks_iter_free(it);
            it = coll_iter_at(c, 0, end);
            continue;
        }
        if (wrapped && n > 0 && ee.len == win[0].e.len && !memcmp(ee.p, win[0].e.p, ee.len))
            break; /* went all the way round */
        if (!coll_pend_get(c->pend, ee)) {
            keep[2 * n] = omk_memdup(ee.p, ee.len);
            keep[2 * n + 1] = omk_memdup(vv.p, vv.len);
            win[n].e = (struct omk_slice){keep[2 * n], ee.len};
            win[n].v = (struct omk_slice){keep[2 * n + 1], vv.len};
            n++;
        }
        rocks_iter_next(it);
    }
    rocks_iter_free(it);
    if (rc == STORE_OK && n == 0)
        rc = STORE_NOTFOUND;
    pick = n ? (size_t)(rnd() % n) : 0;
    for (size_t i = 0; i < n; i++) {
        if (i == pick && rc == STORE_OK) {
            *e = keep[2 * i];
            *elen = win[i].e.len;
            *v = keep[2 * i + 1];
            *vlen = win[i].v.len;
        } else {
            omk_free(keep[2 * i]);
            omk_free(keep[2 * i + 1]);
        }
    }
    return rc;
}

/* ---- Saving ----------------------------------------------------------------------------- */

/* coll_each_fn: add the element to a builder-like inline buffer. */
struct coll_ser {
    unsigned char *buf;
    size_t len, cap;
    int type;
    uint64_t n;
};

static int coll_ser_add(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct coll_ser *z = arg;

    coll_elem_append(&z->buf, &z->len, &z->cap, z->type, e, v);
    z->n++;
    return 0;
}

/* Put the inline payload whose elements are 'z' at the collection's key. */
static void coll_put_inline(struct coll *c, const struct coll_ser *z)
{
    unsigned char head[10];
    size_t hl = fmt_varint_put(head, z->n);
    char *p = omk_malloc(hl + z->len + 1);

    memcpy(p, head, hl);
    if (z->len)
        memcpy(p + hl, z->buf, z->len);
    store_op_put_typed(c->op, c->ki, c->type, c->fflags & ~FMT_F_SPLIT, p, hl + z->len,
                       c->expire_ms);
    omk_free(p);
}

/* Tell the write set every pending element change, for the element cache. */
static void coll_pend_to_ws(struct coll *c)
{
    const struct coll_pending *p = c->pend;

    for (size_t i = 0; p && i < p->n; i++)
        store_ws_elem(&c->op->w, c->id, (struct omk_slice){p->ent[i].e, p->ent[i].elen},
                      (struct omk_slice){p->ent[i].v, p->ent[i].vlen}, p->ent[i].del);
}

/* 1 if split 'c''s top-level record already says what coll_put_split() would write: the
 * key holds it live with the same id, count, flags and expiry. */
static int coll_meta_same(const struct coll *c)
{
    const struct key_state *st = &c->op->key[c->ki].st;

    return st->exists && st->live && !st->bad && st->type == c->type &&
           st->fflags == (c->fflags | FMT_F_SPLIT) && st->id == c->id &&
           st->count == c->count && st->expire_ms == c->expire_ms;
}

static void coll_put_split(struct coll *c)
{
    unsigned char meta[FMT_SPLIT_LEN];

    fmt_u64_put(meta, c->id);
    fmt_u64_put(meta + 8, c->count);
    store_op_put_typed(c->op, c->ki, c->type, c->fflags | FMT_F_SPLIT, meta, sizeof(meta),
                       c->expire_ms);
}

int coll_save(struct coll *c)
{
    struct store_coll_limits l;
    struct coll_ser z = {.type = c->type};
    int rc = STORE_OK;

    if (!c->changed)
        return STORE_OK;
    OMK_ASSERT(c->op->mode == STORE_OP_WRITE); /* a read's collection is never changed */
    if (c->count == 0) {
        store_op_del(c->op, c->ki);
        return STORE_OK;
    }
    coll_limits(c->op->s, &l);
    if (c->fflags & FMT_F_SPLIT) {
        if (c->count <= COLL_SHRINK_COUNT) {
            rc = coll_each(c, coll_ser_add, &z);
            if (rc == STORE_OK && z.len <= l.inline_max_bytes / 2) {
                c->fflags &= ~FMT_F_SPLIT; /* the old id dies with the commit */
                coll_put_inline(c, &z);
                omk_free(z.buf);
                return STORE_OK;
            }
            omk_free(z.buf);
            if (rc != STORE_OK)
                return rc;
        }
        if (coll_meta_same(c))
            store_op_touch(c->op, c->ki); /* elements changed, the record did not */
        else
            coll_put_split(c);
        coll_pend_to_ws(c);
        store_reclaim_removed(c->op->s, c->id, c->removed, c->count);
        return STORE_OK;
    }
    for (size_t i = 0; i < c->n; i++)
        coll_ser_add(&z, c->el[i].e, c->el[i].v);
    if (z.len <= l.inline_max_bytes) {
        coll_put_inline(c, &z);
        omk_free(z.buf);
        return STORE_OK;
    }
    omk_free(z.buf);
    /* Split: a new id (live from the commit on: nothing of it reaches RocksDB before),
     * every element a record, in the operation's batch. */
    rc = coll_id_new(c->op->s, &c->id);
    if (rc != STORE_OK)
        return rc;
    c->fflags |= FMT_F_SPLIT;
    for (size_t i = 0; i < c->n; i++) {
        coll_split_write(c, c->el[i].e, c->el[i].v, 0, NULL);
        store_ws_elem(&c->op->w, c->id, c->el[i].e, c->el[i].v, 0);
    }
    coll_put_split(c);
    return STORE_OK;
}

/* ---- Builders ------------------------------------------------------------------------- */

void coll_build_init(struct coll_builder *bd, struct store *s, int type)
{
    memset(bd, 0, sizeof(*bd));
    bd->s = s;
    bd->type = type;
}

/* Write the chunk so far (a batch of element records of the new id). */
static void coll_build_flush(struct coll_builder *bd)
{
    if (bd->rc == STORE_OK && bd->chunk > 0)
        bd->rc = store_log_append(bd->s, bd->b);
    rocks_batch_free(bd->b);
    bd->b = store_batch_new();
    bd->chunk = 0;
}

static void coll_build_put(struct coll_builder *bd, struct omk_slice e, struct omk_slice v)
{
    struct fmt_key k;

    fmt_elem_key(&k, bd->id, fmt_elem_pos(e.p, e.len), e.p, e.len);
    rocks_batch_put_cf(bd->s->rocks, bd->b, ROCKS_CF_ELEMS, k.p, k.len, v.p, v.len);
    bd->chunk += k.len + v.len;
    fmt_key_deinit(&k);
    if (bd->type == STORE_TYPE_ZSET) {
        coll_zscore_write(bd->s, bd->b, bd->id, e, v, 0);
        bd->chunk += FMT_ZSCORE_PREFIX + e.len;
    }
    if (bd->chunk >= COLL_CHUNK_BYTES)
        coll_build_flush(bd);
}

void coll_build_add(struct coll_builder *bd, struct omk_slice e, struct omk_slice v)
{
    bd->count++;
    if (bd->rc != STORE_OK)
        return;
    if (bd->id) {
        coll_build_put(bd, e, v);
        return;
    }
    coll_elem_append(&bd->buf, &bd->len, &bd->cap, bd->type, e, v);
    if (bd->len > atomic_load(&bd->s->lim_inline)) {
        /* Too big for one record: a new id, live from now on (its chunks reach RocksDB
         * before any key holds it), and the elements so far as its first records. */
        struct coll tmp = {.type = bd->type};

        bd->rc = coll_id_new(bd->s, &bd->id);
        if (bd->rc != STORE_OK) {
            bd->id = 0;
            return;
        }
        coll_ids_ref(bd->s, bd->id);
        bd->b = store_batch_new();
        /* Decode what the buffer holds (its count prefix is not there: add one). */
        {
            unsigned char head[10];
            size_t hl = fmt_varint_put(head, bd->count);
            char *p = omk_malloc(hl + bd->len);

            memcpy(p, head, hl);
            memcpy(p + hl, bd->buf, bd->len);
            if (coll_inline_decode(&tmp, p, hl + bd->len) == 0)
                for (size_t i = 0; i < tmp.n; i++)
                    coll_build_put(bd, tmp.el[i].e, tmp.el[i].v);
            omk_free(tmp.el);
            omk_free(p);
        }
        omk_free(bd->buf);
        bd->buf = NULL;
        bd->len = bd->cap = 0;
    }
}

static int coll_build_each(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct coll_builder *bd = arg;

    coll_build_add(bd, e, v);
    return bd->rc != STORE_OK;
}

int coll_build_from(struct coll_builder *bd, struct coll *c)
{
    int rc = coll_each(c, coll_build_each, bd);

    return rc != STORE_OK ? rc : bd->rc;
}

int coll_build_finish(struct coll_builder *bd, struct store_op *op, size_t ki, unsigned fflags,
                      int64_t expire_ms)
{
    if (bd->rc != STORE_OK)
        return bd->rc;
    if (bd->count == 0) {
        store_op_del(op, ki);
        return STORE_OK;
    }
    fflags &= ~FMT_F_SPLIT;
    if (bd->id) {
        unsigned char meta[FMT_SPLIT_LEN];

        coll_build_flush(bd);
        if (bd->rc != STORE_OK)
            return bd->rc;
        fmt_u64_put(meta, bd->id);
        fmt_u64_put(meta + 8, bd->count);
        store_op_put_typed(op, ki, bd->type, fflags | FMT_F_SPLIT, meta, sizeof(meta), expire_ms);
    } else {
        unsigned char head[10];
        size_t hl = fmt_varint_put(head, bd->count);
        char *p = omk_malloc(hl + bd->len + 1);

        memcpy(p, head, hl);
        if (bd->len)
            memcpy(p + hl, bd->buf, bd->len);
        store_op_put_typed(op, ki, bd->type, fflags, p, hl + bd->len, expire_ms);
        omk_free(p);
    }
    return STORE_OK;
}

void coll_build_done(struct coll_builder *bd)
{
    if (bd->id)
        coll_ids_unref(bd->s, bd->id);
    rocks_batch_free(bd->b);
    omk_free(bd->buf);
    memset(bd, 0, sizeof(*bd));
}

/* ---- Random samples ------------------------------------------------------------------- */

/* A picked element and its value, copied. */
struct coll_picked {
    char *e, *v;
    size_t elen, vlen;
};

struct coll_picks {
    struct coll_picked *v;
    size_t n, cap;
};

static void coll_picks_add(struct coll_picks *p, char *e, size_t elen, char *v, size_t vlen)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 16;
        p->v = omk_realloc(p->v, p->cap * sizeof(*p->v));
    }
    p->v[p->n++] = (struct coll_picked){e, v, elen, vlen};
}

static void coll_picks_free(struct coll_picks *p)
{
    for (size_t i = 0; i < p->n; i++) {
        omk_free(p->v[i].e);
        omk_free(p->v[i].v);
    }
    omk_free(p->v);
    memset(p, 0, sizeof(*p));
}

/* Selection sampling (Knuth's algorithm S) over a walk: each element is taken with
 * probability needed / remaining, which makes every subset of 'need' equally likely. */
struct coll_select {
    uint64_t need, left;
    store_rand_fn *rnd;
    struct coll_picks *out;
};

static int coll_select_one(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct coll_select *z = arg;

    if (z->need > 0 && z->rnd() % z->left < z->need) {
        coll_picks_add(z->out, omk_memdup(e.p, e.len), e.len, omk_memdup(v.p, v.len), v.len);
        z->need--;
    }
    z->left--;
    return z->need == 0;
}

/* Whether 'e' is among the picks (a linear look: picks of a sparse sample are few). */
static int coll_picks_has(const struct coll_picks *p, const char *e, size_t elen,
                          const uint64_t *hashes, uint64_t h)
{
    for (size_t i = 0; i < p->n; i++)
        if (hashes[i] == h && p->v[i].elen == elen && memcmp(p->v[i].e, e, elen) == 0)
            return 1;
    return 0;
}

#define COLL_SPARSE_MAX 256 /* distinct samples up to this size are drawn by picks */

int coll_sample(struct coll *c, uint64_t count, int repeats, store_rand_fn *rnd, coll_each_fn *fn,
                void *arg, size_t *n)
{
    struct coll_picks p = {0};
    int rc = STORE_OK;

    *n = 0;
    if (count == 0 || c->count == 0)
        return STORE_OK;
    if (!repeats && count >= c->count) { /* the whole collection */
        struct coll_select z = {c->count, c->count, rnd, &p};

        rc = coll_each(c, coll_select_one, &z);
    } else if (repeats) {
        /* Streamed, one pick at a time: a count is no measure of the RAM it may take. */
        int stop = 0;

        for (uint64_t i = 0; i < count && rc == STORE_OK && !stop; i++) {
            char *e, *v;
            size_t elen, vlen;

            rc = coll_pick(c, rnd, &e, &elen, &v, &vlen);
            if (rc != STORE_OK)
                break;
            (*n)++;
            stop = fn(arg, (struct omk_slice){e, elen}, (struct omk_slice){v, vlen});
            omk_free(e);
            omk_free(v);
        }
        return rc;
    } else if (!(c->fflags & FMT_F_SPLIT) || count > COLL_SPARSE_MAX || 4 * count > c->count) {
        /* Dense (or in RAM anyway): one walk, exactly uniform. */
        struct coll_select z = {count, c->count, rnd, &p};

        rc = coll_each(c, coll_select_one, &z);
    } else {
        /* Sparse over a split collection: distinct picks; if the picks keep repeating
         * (a skewed window), a walk finishes the job exactly. */
        uint64_t hashes[COLL_SPARSE_MAX];
        uint64_t tries = 0;

        while (p.n < count && rc == STORE_OK && tries++ < 20 * count + 64) {
            char *e, *v;
            size_t elen, vlen;
            uint64_t h;

            rc = coll_pick(c, rnd, &e, &elen, &v, &vlen);
            if (rc != STORE_OK)
                break;
            h = omk_hash(e, elen);
            if (coll_picks_has(&p, e, elen, hashes, h)) {
                omk_free(e);
                omk_free(v);
                continue;
            }
            hashes[p.n] = h;
            coll_picks_add(&p, e, elen, v, vlen);
        }
        if (rc == STORE_OK && p.n < count) {
            struct coll_select z = {count, c->count, rnd, &p};

            coll_picks_free(&p);
            z.out = &p;
            rc = coll_each(c, coll_select_one, &z);
        }
    }
    for (size_t i = 0; i < p.n && rc == STORE_OK; i++) {
        (*n)++;
        if (fn(arg, (struct omk_slice){p.v[i].e, p.v[i].elen},
               (struct omk_slice){p.v[i].v, p.v[i].vlen}))
            break;
    }
    coll_picks_free(&p);
    return rc;
}

/* ---- Calls the types share ----------------------------------------------------------- */

/* The count of collection 'key' of 'type' from RAM: a read, no stripe, no RocksDB read. */
int coll_count_key(struct store *s, int db, struct omk_slice key, int type, uint64_t *n)
{
    const struct key_state *st;
    struct store_op op;
    int rc;

    store_op_begin1(&op, s, STORE_OP_READ, db, key);
    st = &op.key[0].st;
    rc = store_op_lookup(&op, 0, STORE_WANT_STATE);
    *n = 0;
    if (rc == STORE_OK && st->exists) {
        if (st->bad)
            rc = STORE_ERR_VALUE;
        else if (st->type != type)
            rc = STORE_WRONGTYPE;
        else
            *n = st->count;
    }
    return store_op_end(&op, rc);
}

/* coll_each_fn: hand an element matching 'pat' (NULL: any) to a store_pair_cb. */
struct coll_emit {
    store_pair_cb *cb;
    void *arg;
    const char *pat;
    size_t plen;
};

static int coll_emit_one(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct coll_emit *h = arg;

    if (!h->pat || omk_glob_match(h->pat, h->plen, e.p, e.len, 0))
        return h->cb(h->arg, e, v);
    return 0;
}

/* HSCAN and SSCAN: the scan of collection 'key' of 'type'. */
int coll_scan_key(struct store *s, int db, struct omk_slice key, int type, uint64_t cursor,
                         const char *pat, size_t plen, size_t count, store_pair_cb *cb, void *arg,
                         uint64_t *next)
{
    struct coll_emit h = {cb, arg, pat, plen};
    struct store_op op;
    struct coll c;
    int rc;

    store_op_begin1(&op, s, STORE_OP_WRITE, db, key);
    rc = coll_open(&c, &op, 0, type);
    *next = 0;
    if (rc == STORE_OK && c.existed)
        rc = coll_scan(&c, cursor, count ? count : 1, coll_emit_one, &h, next);
    rc = store_op_end(&op, rc);
    coll_close(&c);
    return rc;
}

