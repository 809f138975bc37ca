/* load.c - the in-RAM index and RocksDB side by side: building the index from RocksDB
 * at start-up (one ordered pass, then ALEX's bulk load) and again after a reopen
 * (commit.c's resume), and checking that the two still agree (store_check). */
#include "config.h"

#include <malloc.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "index/shard.h"
#include "store/cache.h"
#include "store/coll.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store_internal.h"

#define LOAD_PROGRESS_US 3000000 /* log progress every 3 s */

/* Make the index entry of RocksDB key 'k'/'klen' from its stored value 'v'/'vlen'
 * (the entry's layout: store_internal.h); a header that does not decode makes an entry
 * flagged STORE_EF_BAD (a key without expiry, as store_op_lookup() reports it). Writes
 * its expiry (0: none or bad) to '*exp' and a split collection's id to '*id' (else 0).
 * An expired collection whose payload compaction dropped (rocks.c) loads with no
 * elements: it reads as missing anyway. */
static struct idx_entry *load_entry(const char *k, size_t klen, const char *v, size_t vlen,
                                    int64_t *exp, uint64_t *id)
{
    struct idx_entry *e = idx_entry_new(k, klen);
    uint64_t count = 0;
    struct fmt_hdr h;

    *id = 0;
    *exp = 0;
    if (fmt_hdr_decode(v, vlen, &h) != 0) {
        store_entry_fill(e, vlen, 0, STORE_EF_BAD);
    } else if (h.type == FMT_TYPE_STRING && (h.flags & FMT_F_FRAG)) {
        uint64_t len;

        if (fmt_frag_meta(v + FMT_HDR_LEN, vlen - FMT_HDR_LEN, id, &len) == 0) {
            store_entry_fill(e, len, h.expire_ms, store_entry_flags_of(STORE_TYPE_STRING, h.flags));
            store_loc_set(e, *id << 2 | STORE_LOC_ID);
        } else if (fmt_hdr_expired(&h, omk_now_ms())) { /* payload dropped (rocks.c) */
            *id = 0;
            store_entry_fill(e, 0, h.expire_ms,
                             store_entry_flags_of(STORE_TYPE_STRING, h.flags & ~FMT_F_FRAG));
        } else {
            *id = 0;
            store_entry_fill(e, vlen, 0, STORE_EF_BAD);
            return e;
        }
        *exp = h.expire_ms;
    } else if (h.type == FMT_TYPE_STRING) {
        store_entry_fill(e, vlen - FMT_HDR_LEN, h.expire_ms,
                         store_entry_flags_of(STORE_TYPE_STRING, h.flags));
        *exp = h.expire_ms;
    } else if (fmt_coll_meta(h.flags, v + FMT_HDR_LEN, vlen - FMT_HDR_LEN, &count, id) == 0 &&
               count <= UINT32_MAX) {
        store_entry_fill(e, count, h.expire_ms, store_entry_flags_of((int)h.type, h.flags));
        if (*id)
            store_loc_set(e, *id << 2 | STORE_LOC_ID);
        *exp = h.expire_ms;
    } else if (fmt_hdr_expired(&h, omk_now_ms())) { /* payload dropped (rocks.c) */
        store_entry_fill(e, 0, h.expire_ms,
                         store_entry_flags_of((int)h.type, h.flags & ~FMT_F_SPLIT));
        *exp = h.expire_ms;
    } else {
        store_entry_fill(e, vlen, 0, STORE_EF_BAD);
    }
    return e;
}

/* ---- Reading the keys: key ranges on parallel threads ------------------------------------
 *
 * HOW IT WORKS. The keys column family is cut into LOAD_PARTS_PER_THREAD key ranges per
 * thread, each read by its own bulk iterator (no block cache fill, readahead) into its own
 * array of entries; the threads take the next range from a shared counter, so a thread
 * slowed by a busy machine takes fewer. The arrays, in range order, are the whole key set
 * in order. The range bounds are interpolated between the first and the last key: after
 * their common prefix, the next 8 bytes of each are read as a big-endian number and the
 * bounds cut that interval evenly. For key:%012d, hex ids or random keys that gives
 * ranges of about equal counts; for skewed keys it gives uneven ones, which costs speed,
 * never correctness: any increasing bounds partition the keys. */

#define LOAD_THREADS_MAX 8        /* reading threads at most (one per online CPU) */
#define LOAD_PARTS_PER_THREAD 4   /* ranges per thread: small ones balance a noisy machine */

/* One key range [lo, hi) and what reading it found. */
struct load_part {
    const char *lo, *hi;   /* NULL: from the first key / to the end */
    size_t lolen, hilen;
    struct idx_entry **v;  /* its entries in key order (omk_free) */
    size_t n, cap;
    uint64_t keys[256], expires[256];
    int rc;                /* STORE_OK or the iterator's error */
};

/* The ranges and the threads reading them. */
struct load_job {
    struct store *s;
    struct load_part *part;
    size_t nparts;
    atomic_size_t next;      /* the next range to take */
    atomic_size_t read;      /* keys read by all threads, for the progress log */
    atomic_llong next_log;   /* when the progress line is due (omk_mono_us) */
    int64_t t0, now_ms;
};

double store_cpu_s(void)
{
    struct timespec ts;

    return clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0
               ? (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 : 0;
}

/* The first 8 bytes of 'p'/'len' from 'at' as a big-endian number, zero-padded. */
static uint64_t load_be64_at(const char *p, size_t len, size_t at)
{
    uint64_t x = 0;

    for (size_t i = 0; i < 8; i++)
        x = x << 8 | (at + i < len ? (unsigned char)p[at + i] : 0);
    return x;
}

/* Cut [first, last] into at most 'want' ranges: writes the bounds (want - 1 strings of
 * 'blen' bytes each, into '*buf', omk_free) and returns the number of ranges (1: no
 * bounds, '*buf' NULL). 'first' < 'last' bytewise, or the two are equal. */
static size_t load_bounds(const char *first, size_t flen, const char *last, size_t llen,
                          size_t want, char **buf, size_t *blen)
{
    size_t p = 0;
    uint64_t fa, la, step;

    *buf = NULL;
    *blen = 0;
    while (p < flen && p < llen && first[p] == last[p])
        p++;
    fa = load_be64_at(first, flen, p);
    la = load_be64_at(last, llen, p);
    if (want < 2 || la <= fa || la - fa < want)
        return 1;
    step = (la - fa) / want;
    *blen = p + 8;
    *buf = omk_malloc((want - 1) * *blen);
    for (size_t i = 1; i < want; i++) {
        char *b = *buf + (i - 1) * *blen;
        uint64_t x = fa + step * i;

        memcpy(b, first, p);
        for (size_t k = 0; k < 8; k++)
            b[p + k] = (char)(x >> (56 - 8 * k));
    }
    return want;
}

/* Read the keys of range 'pt' into its entries and counts (see store_index_collect). */
static void load_part_read(struct load_job *j, struct load_part *pt)
{
    struct rocks_iter *it = rocks_iter_new(j->s->rocks, pt->hi, pt->hilen, 1);
    size_t since = 0;
    uint64_t id;

    for (rocks_iter_seek(it, pt->lo ? pt->lo : "", pt->lolen); rocks_iter_valid(it);
         rocks_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocks_iter_key(it, &klen), *val = rocks_iter_value(it, &vlen);
        int64_t exp;

        if (klen == 0)
            continue; /* not a key of ours: every key has its db byte */
        if (pt->n == pt->cap) {
            pt->cap = pt->cap ? 2 * pt->cap : 4096;
            pt->v = omk_realloc(pt->v, pt->cap * sizeof(*pt->v));
        }
        pt->v[pt->n++] = load_entry(k, klen, val, vlen, &exp, &id);
        store_access_init(j->s, pt->v[pt->n - 1], j->now_ms); /* RAM only (access.c) */
        pt->keys[(unsigned char)k[0]]++;
        pt->expires[(unsigned char)k[0]] += exp != 0;
        if (++since == 0x10000) {
            size_t read = atomic_fetch_add(&j->read, since) + since;
            long long due = atomic_load(&j->next_log), now = omk_mono_us();

            since = 0;
            if (now >= due &&
                atomic_compare_exchange_strong(&j->next_log, &due, now + LOAD_PROGRESS_US))
                store_log(j->s->log, 0, "Loading the key index: %zu keys so far (%.1f s)",
                          read, (double)(now - j->t0) / 1e6);
        }
    }
    pt->rc = rocks_iter_status(it);
    rocks_iter_free(it);
}

/* A reading thread: takes ranges until none is left. */
static void *load_worker(void *arg)
{
    struct load_job *j = arg;
    size_t i;

    while ((i = atomic_fetch_add(&j->next, 1)) < j->nparts)
        load_part_read(j, &j->part[i]);
    return NULL;
}

/* Threads to read with: one per online CPU, at most LOAD_THREADS_MAX. */
static size_t load_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : n > LOAD_THREADS_MAX ? LOAD_THREADS_MAX : (size_t)n;
}

/* The first (or with 'last', the last) key of RocksDB into '*out'/'*len' (omk_free;
 * NULL when there is none). STORE_OK or the iterator's error. */
static int load_end_key(struct store *s, int last, char **out, size_t *len)
{
    struct rocks_iter *it = rocks_iter_new(s->rocks, NULL, 0, 1);
    int rc;

    *out = NULL;
    *len = 0;
    if (last)
        rocks_iter_seek_to_last(it);
    else
        rocks_iter_seek(it, "", 0);
    if (rocks_iter_valid(it)) {
        const char *k = rocks_iter_key(it, len);

        *out = omk_memdup(k, *len);
    }
    rc = rocks_iter_status(it);
    rocks_iter_free(it);
    return rc;
}

/* Read every key of RocksDB in order into index entries: '*out' (returns memory freed
 * with omk_free, the entries with idx_entry_free) holding '*nout' of them, counted per
 * db byte into 'keys'/'expires' as store_index_load() says. STORE_OK, or an I/O error
 * with a message in 'err' (nothing to free). */
static int store_index_collect(struct store *s, struct idx_entry ***out, size_t *nout,
                               uint64_t *keys, uint64_t *expires, char *err, size_t errlen)
{
    struct load_job j = {.s = s, .t0 = omk_mono_us(), .now_ms = omk_now_ms()};
    double cpu0 = store_cpu_s();
    size_t threads = load_threads(), flen, llen, blen = 0, n = 0;
    char *first, *last, *bounds = NULL;
    pthread_t tid[LOAD_THREADS_MAX];
    struct idx_entry **v;
    int rc = load_end_key(s, 0, &first, &flen);

    if (rc == STORE_OK)
        rc = load_end_key(s, 1, &last, &llen);
    else
        last = NULL, llen = 0;
    j.nparts = rc == STORE_OK && first && last
                   ? load_bounds(first, flen, last, llen, threads * LOAD_PARTS_PER_THREAD,
                                 &bounds, &blen)
                   : 1;
    omk_free(first);
    omk_free(last);
    j.part = omk_calloc(j.nparts, sizeof(*j.part));
    for (size_t i = 1; i < j.nparts; i++) {
        j.part[i - 1].hi = j.part[i].lo = bounds + (i - 1) * blen;
        j.part[i - 1].hilen = j.part[i].lolen = blen;
    }
    atomic_init(&j.next, rc == STORE_OK ? 0 : j.nparts); /* an error: nothing to read */
    atomic_init(&j.read, 0);
    atomic_init(&j.next_log, j.t0 + LOAD_PROGRESS_US);
    if (threads > j.nparts)
        threads = j.nparts;
    for (size_t t = 1; t < threads; t++)
        omk_thread_create(&tid[t], load_worker, &j);
    load_worker(&j);
    for (size_t t = 1; t < threads; t++)
        omk_thread_join(tid[t]);
    omk_free(bounds);

    for (size_t i = 0; i < j.nparts && rc == STORE_OK; i++)
        rc = j.part[i].rc;
    for (size_t i = 0; i < j.nparts; i++)
        n += j.part[i].n;
    v = rc == STORE_OK ? omk_malloc((n ? n : 1) * sizeof(*v)) : NULL;
    n = 0;
    for (size_t i = 0; i < j.nparts; i++) {
        struct load_part *pt = &j.part[i];

        if (v) {
            if (pt->n) /* an empty range has no array */
                memcpy(v + n, pt->v, pt->n * sizeof(*v));
            n += pt->n;
            for (int d = 0; d < 256; d++) {
                keys[d] += pt->keys[d];
                expires[d] += pt->expires[d];
            }
        } else {
            for (size_t k = 0; k < pt->n; k++)
                idx_entry_free(pt->v[k]);
        }
        omk_free(pt->v);
    }
    omk_free(j.part);
    if (rc != STORE_OK) {
        snprintf(err, errlen, "cannot read the keys: %s%s", store_strerror(rc),
                 rc == STORE_ERR_CORRUPT ? " (a damaged SST file, named in the log line "
                 "before: --rocksdb-repair yes moves the files it cannot read to <dir>/lost "
                 "and keeps the rest)" : "");
        return rc;
    }
    store_log(s->log, 0, "Key index: %zu keys read in %.2f s, %.2f s of CPU (%zu ranges, %zu "
              "threads)", n, (double)(omk_mono_us() - j.t0) / 1e6, store_cpu_s() - cpu0,
              j.nparts, threads);
    *out = v;
    *nout = n;
    return STORE_OK;
}

/* Make the live-id set that of entries 'v' (n), then let the element filter judge. */
static void store_ids_of(struct store *s, struct idx_entry **v, size_t n)
{
    coll_ids_reset(s);
    for (size_t i = 0; i < n; i++)
        if ((idx_entry_flags(v[i]) & STORE_EF_SPLIT) && !(idx_entry_flags(v[i]) & STORE_EF_BAD))
            coll_ids_ref(s, store_entry_id(v[i]));
    coll_ids_loaded(s);
}

int store_index_load(struct store *s, uint64_t *keys, uint64_t *expires, char *err,
                     size_t errlen)
{
    struct idx_entry **v = NULL;
    size_t n = 0;
    int rc = coll_ids_load_counter(s);

    if (rc != STORE_OK) {
        snprintf(err, errlen, "cannot read the collection id counter: %s", store_strerror(rc));
        return rc;
    }
    /* Before anything writes to RocksDB: the file must match its sequence number. */
    if (store_index_file_read(s, s->index_file_use, &v, &n, keys, expires) != STORE_OK)
        rc = store_index_collect(s, &v, &n, keys, expires, err, errlen);
    if (rc == STORE_OK) {
        int64_t t0 = omk_mono_us();
        double cpu0 = store_cpu_s();

        store_ids_of(s, v, n);
        /* RocksDB's bytewise order is the index's (memcmp, shorter first). */
        OMK_ASSERT(idx_shards_bulk_load(s->ix, v, n) == IDX_OK);
        omk_free(v);
#ifdef __GLIBC__
        /* The reading threads' arrays came from their own malloc arenas, in sizes glibc
         * keeps on its heaps once freed (~90 MB at 10M keys): give those pages back. */
        malloc_trim(0);
#endif
        store_log(s->log, 0, "Key index: built in %.2f s, %.2f s of CPU",
                  (double)(omk_mono_us() - t0) / 1e6, store_cpu_s() - cpu0);
    }
    return rc;
}

int store_index_reload(struct store *s, uint64_t *keys, uint64_t *expires, char *err,
                       size_t errlen)
{
    struct idx_entry **v = NULL;
    size_t n = 0;
    int rc = coll_ids_load_counter(s);

    if (rc == STORE_OK)
        rc = store_index_collect(s, &v, &n, keys, expires, err, errlen);
    else
        snprintf(err, errlen, "cannot read the collection id counter: %s", store_strerror(rc));
    if (rc != STORE_OK)
        return rc;
    /* A SWAPDB whose record the log lost is undone in RAM too. */
    rc = store_dbmap_load(s, keys, err, errlen);
    if (rc != STORE_OK) {
        for (size_t i = 0; i < n; i++)
            idx_entry_free(v[i]);
        omk_free(v);
        return rc;
    }
    store_ids_of(s, v, n);
    store_access_reloaded(s, v, n);
    /* The cached values go first: they are published in the entries being freed. */
    cache_clear(s->cache);
    idx_shards_clear(s->ix, NULL);
    OMK_ASSERT(idx_shards_bulk_load(s->ix, v, n) == IDX_OK);
    omk_free(v);
    return STORE_OK;
}

/* Compare the entry of RocksDB key 'k' with its stored value; 0 when they agree, else
 * -1 with the difference in 'err'. Caller holds 'excl' as writer. */
static int check_key(struct store *s, const char *k, size_t klen, const char *v, size_t vlen,
                     char *err, size_t errlen)
{
    unsigned shard = idx_shards_of(s->ix, k, klen);
    struct idx *ix = idx_shards_rdlock(s->ix, shard);
    const struct idx_entry *e = idx_find(ix, k, klen);
    struct idx_entry *want;
    int64_t exp;
    uint64_t id, have = 0, wexp; /* expiry fields: the access field is RAM's alone */
    unsigned hflags = 0, wflags, split = STORE_EF_SPLIT;
    int rc = 0, stripped;

    want = load_entry(k, klen, v, vlen, &exp, &id);
    /* Compaction drops the payload of an expired value (rocks.c): its length, and a split
     * value's id, are then known only to the index. */
    stripped = vlen == FMT_HDR_LEN && exp != 0 && exp <= omk_now_ms();
    wexp = idx_entry_word(want) & IDX_EXPIRE_MASK;
    wflags = idx_entry_flags(want);
    if (e) {
        have = idx_entry_word(e) & IDX_EXPIRE_MASK;
        hflags = idx_entry_flags(e);
    }
    if (!e)
        rc = -1, snprintf(err, errlen, "a key of db %d (%zu bytes) is missing from the index",
                          store_db_logical(s, (unsigned char)k[0]), klen - 1);
    else if ((e->val_len != want->val_len && !stripped) || have != wexp ||
             (stripped ? (hflags & ~split) != (wflags & ~split) : hflags != wflags) ||
             (id && store_loc_get(e) != store_loc_get(want)))
        rc = -1, snprintf(err, errlen, "a key of db %d has length %u expiry %llx flags %x in "
                          "the index, %u %llx %x on disk",
                          store_db_logical(s, (unsigned char)k[0]), e->val_len,
                          (unsigned long long)have, hflags, want->val_len,
                          (unsigned long long)wexp, wflags);
    idx_shards_unlock(s->ix, shard);
    idx_entry_free(want);
    return rc;
}

int store_index_check(struct store *s, uint64_t *keys, uint64_t *expires, uint64_t *bad,
                      char *err, size_t errlen)
{
    struct rocks_iter *it = rocks_iter_new(s->rocks, NULL, 0, 1);
    uint64_t total = 0;
    int rc = STORE_OK;

    for (rocks_iter_seek(it, "", 0); rocks_iter_valid(it); rocks_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocks_iter_key(it, &klen), *v = rocks_iter_value(it, &vlen);
        struct fmt_hdr h;

        if (klen == 0)
            continue;
        total++;
        keys[(unsigned char)k[0]]++;
        if (fmt_hdr_decode(v, vlen, &h) != 0)
            (*bad)++;
        else
            expires[(unsigned char)k[0]] += h.expire_ms != 0;
        if (check_key(s, k, klen, v, vlen, err, errlen) != 0) {
            rc = STORE_ERR_VALUE;
            break;
        }
    }
    if (rc == STORE_OK)
        rc = rocks_iter_status(it);
    rocks_iter_free(it);
    if (rc == STORE_OK && total != idx_shards_count(s->ix)) {
        snprintf(err, errlen, "the index holds %zu keys, RocksDB %llu",
                 idx_shards_count(s->ix), (unsigned long long)total);
        rc = STORE_ERR_VALUE;
    }
    if (rc == STORE_OK && idx_shards_validate(s->ix, err, errlen) != 0)
        rc = STORE_ERR_VALUE;
    return rc;
}

/* Collects up to a batch of keys of one db for store_index_clear_db(). */
struct clear_batch {
    unsigned char db;
    struct idx_keybuf keys[1024];
    size_t n;
    int past; /* met a key of a later db */
};

static int clear_collect(const struct idx_entry *e, void *arg)
{
    struct clear_batch *cb = arg;

    if ((unsigned char)idx_entry_key(e)[0] != cb->db) {
        cb->past = 1;
        return 1;
    }
    idx_keybuf_set(&cb->keys[cb->n++], idx_entry_key(e), idx_entry_klen(e));
    return 0;
}

void store_index_clear_db(struct store *s, int db)
{
    struct clear_batch *cb = omk_calloc(1, sizeof(*cb));
    char from = (char)(unsigned char)db;
    int more;

    cb->db = (unsigned char)db;
    do {
        cb->n = 0;
        /* The batch's keys are deleted before the next walk, so each walk starts
         * again at the db's first remaining key. */
        more = idx_shards_walk(s->ix, &from, 1, 1, OMK_ARRAY_LEN(cb->keys), clear_collect, cb,
                               NULL, NULL) == IDX_SHARDS_MORE;
        for (size_t i = 0; i < cb->n; i++) {
            unsigned shard = idx_shards_of(s->ix, cb->keys[i].p, cb->keys[i].len);
            struct idx *ix = idx_shards_wrlock(s->ix, shard);
            struct idx_entry *e;
            uint64_t id = 0, count = 0;

            if (idx_delete(ix, cb->keys[i].p, cb->keys[i].len, &e) == IDX_OK) {
                if (idx_entry_flags(e) & STORE_EF_SPLIT) {
                    id = store_entry_id(e);
                    count = store_entry_type(e) == STORE_TYPE_STRING
                                ? store_frag_count(e->val_len) : e->val_len;
                }
                idx_entry_free(e);
            }
            idx_shards_unlock(s->ix, shard);
            if (id && coll_ids_unref(s, id)) /* its elements are dead: the filter drops them */
                store_reclaim_note(s, id, count);
        }
    } while (more && !cb->past && cb->n > 0);
    for (size_t i = 0; i < OMK_ARRAY_LEN(cb->keys); i++)
        idx_keybuf_deinit(&cb->keys[i]);
    omk_free(cb);
}

/* ---- Collections against their element records ------------------------------------------ */

/* A split collection as the index holds it (a list's head and key from its record). */
struct coll_rec {
    uint64_t id, count, seen;
    uint64_t zseen;    /* a zset's score-index records */
    int zset;
    int list;          /* a list: its records are id | sequence number */
    int frag;          /* a fragmented string: 'count' is its length; records id | n */
    uint64_t head;     /* a list's first sequence number (read after the walk) */
    char *key;         /* a list's RocksDB key, until its head is read (omk_free) */
    size_t klen;
};

struct coll_recs {
    struct coll_rec *v;
    size_t n, cap;
};

static int coll_rec_collect(const struct idx_entry *e, void *arg)
{
    struct coll_recs *r = arg;
    struct coll_rec *c;

    if (!(idx_entry_flags(e) & STORE_EF_SPLIT))
        return 0;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->v = omk_realloc(r->v, r->cap * sizeof(*r->v));
    }
    c = &r->v[r->n++];
    memset(c, 0, sizeof(*c));
    c->id = store_entry_id(e);
    c->count = e->val_len;
    c->zset = store_entry_type(e) == STORE_TYPE_ZSET;
    c->list = store_entry_type(e) == STORE_TYPE_LIST;
    c->frag = store_entry_type(e) == STORE_TYPE_STRING;
    if (c->list) { /* its head is read once the walk (and its shard lock) is over */
        c->key = omk_memdup(idx_entry_key(e), idx_entry_klen(e));
        c->klen = idx_entry_klen(e);
    }
    return 0;
}

static int coll_rec_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct coll_rec *)a)->id, y = ((const struct coll_rec *)b)->id;

    return x < y ? -1 : x > y;
}

/* Read the head of split list 'c' from its top-level record. STORE_OK, STORE_ERR_VALUE
 * (the record disagrees with the index: the fault in 'err') or an I/O error. */
static int coll_rec_list_head(struct store *s, struct coll_rec *c, char *err, size_t errlen)
{
    char *v = NULL;
    size_t n = 0;
    int rc = rocks_get(s->rocks, c->key, c->klen, &v, &n);

    if (rc == STORE_OK && (n != FMT_HDR_LEN + FMT_LIST_SPLIT_LEN ||
                           fmt_u64_get(v + FMT_HDR_LEN) != c->id ||
                           fmt_u64_get(v + FMT_HDR_LEN + 8) != c->count)) {
        snprintf(err, errlen, "split list id %llu: its record does not match the index",
                 (unsigned long long)c->id);
        rc = STORE_ERR_VALUE;
    } else if (rc == STORE_OK) {
        c->head = fmt_u64_get(v + FMT_HDR_LEN + 16);
    } else if (rc == STORE_NOTFOUND) {
        snprintf(err, errlen, "split list id %llu: its record is missing",
                 (unsigned long long)c->id);
        rc = STORE_ERR_VALUE;
    }
    rocks_free(v);
    return rc;
}

/* Count element record 'k'/'klen' (at least FMT_ELEM_PREFIX bytes) of collection 'c'
 * ('c' NULL: of a dead id, which compaction drops; not judged), checking that it is where
 * the layout puts it: a list's records hold head, head + 1, ... in key order, with no
 * element bytes in the key; a zset's score-index record (byte 8 FMT_ZSCORE_TAG) decodes;
 * any other element is at its position. 0, or -1 with the fault in 'err'. */
static int coll_rec_count(struct coll_rec *c, const char *k, size_t klen, size_t vlen,
                          char *err, size_t errlen)
{
    uint64_t id, pos;
    const char *e;
    size_t elen;
    double score;
    int rc = fmt_elem_decode(k, klen, &id, &pos, &e, &elen);

    OMK_ASSERT(rc == 0); /* the caller checked its length */
    if (!c)
        return 0; /* a dead id's: its layout is no longer known (a list's byte 8 may be
                   * anything, FMT_ZSCORE_TAG included) */
    if (c->frag) { /* fragments in order, none past the end, none all zero */
        if (elen != 0 || pos >= store_frag_count(c->count) || (c->seen && pos <= c->head) ||
            vlen == 0 || vlen > FMT_FRAG_BYTES ||
            pos * FMT_FRAG_BYTES + vlen > c->count) {
            snprintf(err, errlen, "fragmented string id %llu: fragment %llu of %zu bytes does "
                     "not fit its length %llu", (unsigned long long)id, (unsigned long long)pos,
                     vlen, (unsigned long long)c->count);
            return -1;
        }
        c->head = pos; /* the last fragment seen */
        c->seen++;
        return 0;
    }
    if (c->list) {
        if (elen != 0 || pos != c->head + c->seen) {
            snprintf(err, errlen, "split list id %llu: record %llu has sequence number %llu, "
                     "%llu expected", (unsigned long long)id, (unsigned long long)c->seen,
                     (unsigned long long)pos, (unsigned long long)(c->head + c->seen));
            return -1;
        }
        c->seen++;
        return 0;
    }
    if ((unsigned char)k[8] == FMT_ZSCORE_TAG) { /* a zset's score index */
        if (fmt_zscore_decode(k, klen, &id, &score, &e, &elen) != 0 || isnan(score)) {
            snprintf(err, errlen, "a score-index record has a malformed key");
            return -1;
        }
        c->zseen++;
        return 0;
    }
    if (pos != fmt_elem_pos(e, elen)) {
        snprintf(err, errlen, "an element record has a malformed key");
        return -1;
    }
    c->seen++;
    return 0;
}

int store_coll_check(struct store *s, char *err, size_t errlen)
{
    struct coll_recs r = {0};
    struct rocks_iter *it;
    size_t at = 0;
    int rc = STORE_OK;

    idx_shards_walk(s->ix, "", 0, 1, SIZE_MAX, coll_rec_collect, &r, NULL, NULL);
    for (size_t i = 0; i < r.n && rc == STORE_OK; i++)
        if (r.v[i].list)
            rc = coll_rec_list_head(s, &r.v[i], err, errlen);
    if (r.n)
        qsort(r.v, r.n, sizeof(*r.v), coll_rec_cmp);
    for (size_t i = 0; i < r.n && rc == STORE_OK; i++) {
        if ((i > 0 && r.v[i].id == r.v[i - 1].id) || !coll_ids_live(s, r.v[i].id)) {
            snprintf(err, errlen, "collection id %llu is %s", (unsigned long long)r.v[i].id,
                     i > 0 && r.v[i].id == r.v[i - 1].id ? "held by two keys"
                                                       : "not in the live set");
            rc = STORE_ERR_VALUE;
        }
    }
    if (rc == STORE_OK && coll_ids_count(s) != r.n) {
        snprintf(err, errlen, "%zu live collection ids, %zu split keys", coll_ids_count(s), r.n);
        rc = STORE_ERR_VALUE;
    }
    it = rocks_iter_new_cf(s->rocks, ROCKS_CF_ELEMS, NULL, 0, 1);
    for (rocks_iter_seek(it, "", 0); rc == STORE_OK && rocks_iter_valid(it); rocks_iter_next(it)) {
        size_t klen;
        const char *k = rocks_iter_key(it, &klen);
        uint64_t id, pos;
        const char *e;
        size_t elen;

        if (fmt_elem_decode(k, klen, &id, &pos, &e, &elen) != 0) {
            snprintf(err, errlen, "an element record has a malformed key");
            rc = STORE_ERR_VALUE;
            break;
        }
        while (at < r.n && r.v[at].id < id)
            at++;
        size_t vlen;

        rocks_iter_value(it, &vlen);
        if (coll_rec_count(at < r.n && r.v[at].id == id ? &r.v[at] : NULL, k, klen, vlen, err,
                           errlen) != 0)
            rc = STORE_ERR_VALUE;
    }
    if (rc == STORE_OK)
        rc = rocks_iter_status(it);
    rocks_iter_free(it);
    for (size_t i = 0; i < r.n && rc == STORE_OK; i++) {
        if (r.v[i].zseen != (r.v[i].zset ? r.v[i].count : 0)) {
            snprintf(err, errlen, "collection id %llu counts %llu members, %llu in its score index",
                     (unsigned long long)r.v[i].id, (unsigned long long)r.v[i].count,
                     (unsigned long long)r.v[i].zseen);
            rc = STORE_ERR_VALUE;
        } else if (r.v[i].frag ? r.v[i].seen > store_frag_count(r.v[i].count)
                               : r.v[i].seen != r.v[i].count) {
            snprintf(err, errlen, "collection id %llu counts %llu elements, %llu on disk",
                     (unsigned long long)r.v[i].id, (unsigned long long)r.v[i].count,
                     (unsigned long long)r.v[i].seen);
            rc = STORE_ERR_VALUE;
        }
    }
    for (size_t i = 0; i < r.n; i++)
        omk_free(r.v[i].key);
    omk_free(r.v);
    return rc;
}
