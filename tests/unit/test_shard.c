/* test_shard.c - TAP tests of index/shard.h: the merged ordered walk against a sorted
 * reference (whole, from inclusive/exclusive start keys, resumed in batches of 7), the
 * callback stop, count, weighted random, clear, bulk load (also on threads), the
 * self-check catching a misplaced key, a concurrency run (2 writers, 1 reader, 1 walker
 * for about 2 s) and two threads appending time-ordered keys, which must pass under
 * ThreadSanitizer (configure --enable-sanitizers=thread); keys of 0 bytes to 1 MB (the
 * entry's 16-bit length and its escape) through insert, find, walk, delete, bulk load. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "index/shard.h"
#include "tests/tap.h"

/* ---- helpers ---- */

struct key {
    size_t len;
    char b[40];
};

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

/* xorshift64*: a deterministic stream for the single-threaded tests. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

/* The index's key order: memcmp on the common length, then the shorter key first. */
static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);

    if (c != 0 || alen == blen)
        return c;
    return alen < blen ? -1 : 1;
}

/* key_cmp() of two struct key, for qsort and bsearch. */
static int key_qsort_cmp(const void *x, const void *y)
{
    const struct key *a = x, *b = y;

    return key_cmp(a->b, a->len, b->b, b->len);
}

/* 'n' distinct keys of mixed shapes: printable, with NUL and 0xFF bytes, prefixes of one
 * another, and the empty key; returned sorted. */
static struct key *make_keys(size_t n)
{
    struct key *k = omk_calloc(n, sizeof(*k));
    size_t m = 0;

    while (m < n) {
        struct key c;
        uint64_t r = rnd(&rng_state);

        switch (r % 5) {
        case 0:
            c.len = (size_t)snprintf(c.b, sizeof(c.b), "key:%012llu",
                                     (unsigned long long)(r >> 8) % 1000000);
            break;
        case 1:
            c.len = (size_t)snprintf(c.b, sizeof(c.b), "user:%llu:profile",
                                     (unsigned long long)(r >> 8) % 100000);
            break;
        case 2: /* short binary keys, NUL and 0xFF included */
            c.len = (r >> 8) % 4;
            for (size_t i = 0; i < c.len; i++)
                c.b[i] = "\x00\x01a\xff"[(r >> (16 + 2 * i)) & 3];
            break;
        case 3: /* "a", "aa", ...: prefix chains */
            c.len = 1 + (r >> 8) % 30;
            memset(c.b, 'a', c.len);
            break;
        default:
            c.len = 8 + (r >> 8) % 16;
            for (size_t i = 0; i < c.len; i++)
                c.b[i] = (char)(rnd(&rng_state) & 0xff);
            break;
        }
        k[m++] = c;
        if (m == n) { /* drop duplicates, then top up */
            qsort(k, m, sizeof(*k), key_qsort_cmp);
            size_t u = 0;
            for (size_t i = 0; i < m; i++)
                if (u == 0 || key_qsort_cmp(&k[u - 1], &k[i]) != 0)
                    k[u++] = k[i];
            m = u;
        }
    }
    return k;
}

/* Insert a key that must be new, under its shard's write lock. */
static void insert_key(struct idx_shards *sh, const void *key, size_t len)
{
    unsigned s = idx_shards_of(sh, key, len);
    struct idx_entry *e;

    OMK_ASSERT(idx_insert(idx_shards_wrlock(sh, s), key, len, &e) == IDX_OK);
    idx_shards_unlock(sh, s);
}

/* Delete a key under its shard's write lock, freeing its entry; returns idx_delete's rc. */
static int delete_key(struct idx_shards *sh, const void *key, size_t len)
{
    unsigned s = idx_shards_of(sh, key, len);
    struct idx_entry *e;
    int rc = idx_delete(idx_shards_wrlock(sh, s), key, len, &e);

    idx_shards_unlock(sh, s);
    if (rc == IDX_OK)
        idx_entry_free(e);
    return rc;
}

/* One TAP assertion that idx_shards_validate() passes; returns its result. */
static int validate(struct idx_shards *sh, const char *what)
{
    char err[256] = "";
    int rc = idx_shards_validate(sh, err, sizeof(err));

    if (!ok(rc == 0, "validate: %s", what))
        diag("  %s", err);
    return rc;
}

/* Collects what a walk hands out. */
struct collect {
    struct key *got;
    size_t n, cap;
    size_t stop_after; /* stop the walk after this many (0: never) */
};

/* Walk callback: append the key to a struct collect; stop after 'stop_after' keys. */
static int collect_fn(const struct idx_entry *e, void *arg)
{
    struct collect *c = arg;

    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->got = omk_realloc(c->got, c->cap * sizeof(*c->got));
    }
    OMK_ASSERT(idx_entry_klen(e) <= sizeof(c->got[0].b));
    c->got[c->n].len = idx_entry_klen(e);
    memcpy(c->got[c->n].b, idx_entry_key(e), idx_entry_klen(e));
    c->n++;
    return c->stop_after && c->n >= c->stop_after;
}

/* Whether 'c' holds exactly ref[from..to). */
static int same_keys(const struct collect *c, const struct key *ref, size_t from, size_t to)
{
    if (c->n != to - from)
        return 0;
    for (size_t i = 0; i < c->n; i++)
        if (key_qsort_cmp(&c->got[i], &ref[from + i]) != 0)
            return 0;
    return 1;
}

/* First index of 'ref'[0..n) whose key is >= (inclusive) or > (exclusive) 'k'. */
static size_t ref_bound(const struct key *ref, size_t n, const struct key *k, int inclusive)
{
    size_t i = 0;

    while (i < n && key_qsort_cmp(&ref[i], k) < (inclusive ? 0 : 1))
        i++;
    return i;
}

/* ---- single-threaded tests ---- */

static void test_walk(unsigned nshards)
{
    const size_t n = 3000;
    struct key *ref = make_keys(n);
    struct idx_shards *sh = idx_shards_new(nshards, NULL);
    struct collect c = {0};
    struct idx_keybuf last = {0};
    size_t examined = 99, batches = 0, order[3000];
    int rc;

    is_int(idx_shards_n(sh), nshards ? nshards : IDX_SHARDS_DEFAULT, "S=%u: shard count",
           nshards);
    rc = idx_shards_walk(sh, NULL, 0, 1, 10, collect_fn, &c, &examined, &last);
    ok(rc == IDX_SHARDS_DONE && examined == 0 && c.n == 0 && last.p == NULL,
       "S=%u: walk of an empty set examines nothing", nshards);

    /* Insert in a shuffled order. */
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rnd(&rng_state) % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        insert_key(sh, ref[order[i]].b, ref[order[i]].len);
    is_int(idx_shards_count(sh), n, "S=%u: count after %zu inserts", nshards, n);

    rc = idx_shards_walk(sh, NULL, 0, 1, (size_t)-1, collect_fn, &c, &examined, &last);
    ok(rc == IDX_SHARDS_DONE && examined == n && same_keys(&c, ref, 0, n),
       "S=%u: one full walk returns every key in order", nshards);
    is_mem(last.p, last.len, ref[n - 1].b, ref[n - 1].len, "S=%u: last key is the greatest",
           nshards);

    /* Batches of 7, resumed strictly after the last key examined. */
    c.n = 0;
    rc = idx_shards_walk(sh, NULL, 0, 1, 7, collect_fn, &c, &examined, &last);
    batches = 1;
    while (rc == IDX_SHARDS_MORE && batches <= n) {
        size_t before = c.n;

        rc = idx_shards_walk(sh, last.p, last.len, 0, 7, collect_fn, &c, &examined, &last);
        if (examined != c.n - before || examined == 0)
            break;
        batches++;
    }
    ok(rc == IDX_SHARDS_DONE && same_keys(&c, ref, 0, n),
       "S=%u: resumed batches of 7 return every key exactly once, in order", nshards);
    is_int(batches, (n + 6) / 7, "S=%u: ... in ceil(n/7) batches", nshards);

    /* Start keys: present (inclusive and exclusive), absent, before all, after all. */
    for (int t = 0; t < 40; t++) {
        struct key k = ref[rnd(&rng_state) % n];
        int inclusive = t & 1;
        size_t want;

        if (t % 4 >= 2) { /* an absent key: extend a present one with a byte */
            k.b[k.len++] = (char)(t * 37);
            if (bsearch(&k, ref, n, sizeof(*ref), key_qsort_cmp))
                continue;
        }
        want = ref_bound(ref, n, &k, inclusive);
        c.n = 0;
        rc = idx_shards_walk(sh, k.b, k.len, inclusive, 25, collect_fn, &c, &examined, NULL);
        if (!ok(same_keys(&c, ref, want, want + 25 < n ? want + 25 : n) &&
                    rc == (want + 25 < n ? IDX_SHARDS_MORE : IDX_SHARDS_DONE),
                "S=%u: walk from a %s key (%s) matches the reference", nshards,
                t % 4 >= 2 ? "absent" : "present", inclusive ? "inclusive" : "exclusive"))
            diag("  start at ref[%zu], got %zu keys", want, c.n);
    }
    {
        struct key big = {.len = 30};

        memset(big.b, 0xff, big.len);
        c.n = 0;
        rc = idx_shards_walk(sh, big.b, big.len, 1, 5, collect_fn, &c, &examined, NULL);
        ok(rc == IDX_SHARDS_DONE && c.n == 0, "S=%u: walk from past the end is empty",
           nshards);
    }

    /* The callback stops the walk. */
    c.n = 0;
    c.stop_after = 3;
    rc = idx_shards_walk(sh, NULL, 0, 1, 100, collect_fn, &c, &examined, &last);
    ok(rc == IDX_SHARDS_MORE && examined == 3 && same_keys(&c, ref, 0, 3),
       "S=%u: callback stops after 3", nshards);
    is_mem(last.p, last.len, ref[2].b, ref[2].len, "S=%u: last is the third key", nshards);
    c.stop_after = 0;

    /* The empty key: first when inclusive from "", skipped when exclusive. */
    if (ref[0].len != 0)
        insert_key(sh, "", 0);
    c.n = 0;
    idx_shards_walk(sh, NULL, 0, 1, 2, collect_fn, &c, NULL, NULL);
    ok(c.n == 2 && c.got[0].len == 0, "S=%u: the empty key comes first", nshards);
    c.n = 0;
    idx_shards_walk(sh, "", 0, 0, 1, collect_fn, &c, NULL, NULL);
    ok(c.n == 1 && c.got[0].len != 0, "S=%u: exclusive from \"\" skips the empty key", nshards);
    if (ref[0].len != 0)
        is_int(delete_key(sh, "", 0), IDX_OK, "S=%u: delete the empty key", nshards);

    /* Delete every other key; the walk and the count follow. */
    for (size_t i = 0; i < n; i += 2)
        OMK_ASSERT(delete_key(sh, ref[i].b, ref[i].len) == IDX_OK);
    {
        size_t u = 0;

        for (size_t i = 1; i < n; i += 2)
            ref[u++] = ref[i];
        is_int(idx_shards_count(sh), u, "S=%u: count after deleting half", nshards);
        c.n = 0;
        idx_shards_walk(sh, NULL, 0, 1, (size_t)-1, collect_fn, &c, NULL, NULL);
        ok(same_keys(&c, ref, 0, u), "S=%u: walk after deletes matches", nshards);
    }
    validate(sh, "after inserts and deletes");

    idx_keybuf_deinit(&last);
    omk_free(c.got);
    omk_free(ref);
    idx_shards_free(sh, NULL);
}

/* A key of the form "r<i>" that hashes to shard 'want' of 'sh'. */
static size_t key_in_shard(struct idx_shards *sh, unsigned want, unsigned *i, char *buf)
{
    for (;;) {
        size_t len = (size_t)sprintf(buf, "r%u", (*i)++);

        if (idx_shards_of(sh, buf, len) == want)
            return len;
    }
}

/* idx_shards_random: NULL when empty, live entries with the lock held, shard weights. */
static void test_random(void)
{
    struct idx_shards *sh = idx_shards_new(8, NULL);
    unsigned i = 0, seen[8] = {0};
    unsigned sh_of;
    uint64_t s = 12345;
    char buf[32];
    int members = 1;

    ok(idx_shards_random(sh, 42, &sh_of) == NULL, "random on an empty set is NULL");
    /* 900 keys in shard 3, 100 in shard 6: picks must follow those weights. */
    for (int k = 0; k < 900; k++) {
        size_t len = key_in_shard(sh, 3, &i, buf);
        insert_key(sh, buf, len);
    }
    for (int k = 0; k < 100; k++) {
        size_t len = key_in_shard(sh, 6, &i, buf);
        insert_key(sh, buf, len);
    }
    for (int k = 0; k < 10000; k++) {
        struct idx_entry *e = idx_shards_random(sh, rnd(&s), &sh_of);

        if (e == NULL || sh_of >= 8) {
            members = 0;
            break;
        }
        /* One of ours, from the shard whose lock we hold (read it before unlocking). */
        if (idx_shards_of(sh, idx_entry_key(e), idx_entry_klen(e)) != sh_of ||
            idx_entry_klen(e) < 2 || idx_entry_key(e)[0] != 'r')
            members = 0;
        idx_shards_unlock(sh, sh_of);
        seen[sh_of]++;
    }
    ok(members, "random returns live entries, with their shard's lock held");
    ok(seen[3] > 8600 && seen[3] < 9400 && seen[6] + seen[3] == 10000,
       "random picks shards by weight (shard 3: %u of 10000, want ~9000)", seen[3]);
    idx_shards_free(sh, NULL);
}

/* Bulk load (and its refusal when not empty), the self-check catching a misplaced key,
 * and clear. */
static void test_clear_bulk(void)
{
    const size_t n = 5000;
    struct key *ref = make_keys(n);
    struct idx_entry **ents = omk_malloc(n * sizeof(*ents));
    struct idx_shards *sh = idx_shards_new(16, NULL);
    struct collect c = {0};
    unsigned sh_of;
    char err[256];

    for (size_t i = 0; i < n; i++)
        ents[i] = idx_entry_new(ref[i].b, ref[i].len);
    is_int(idx_shards_bulk_load(sh, ents, n), IDX_OK, "bulk load of %zu sorted entries", n);
    is_int(idx_shards_count(sh), n, "count after bulk load");
    idx_shards_walk(sh, NULL, 0, 1, (size_t)-1, collect_fn, &c, NULL, NULL);
    ok(same_keys(&c, ref, 0, n), "walk after bulk load matches");
    validate(sh, "after bulk load (each key in its hash's shard)");
    {
        struct idx_entry *one = idx_entry_new("x", 1);

        is_int(idx_shards_bulk_load(sh, &one, 1), IDX_EXISTS, "bulk load into a full set");
        is_int(idx_shards_count(sh), n, "... changes nothing");
        idx_entry_free(one);
    }

    /* The self-check sees a key put in the wrong shard. */
    {
        const char *k = "misplaced";
        unsigned right = idx_shards_of(sh, k, strlen(k)), wrong = (right + 1) & 15;
        struct idx_entry *e;

        idx_insert(idx_shards_wrlock(sh, wrong), k, strlen(k), &e);
        idx_shards_unlock(sh, wrong);
        ok(idx_shards_validate(sh, err, sizeof(err)) == -1 && strstr(err, "hashes to"),
           "validate reports a misplaced key");
        diag("  validate said: %s", err);
        OMK_ASSERT(idx_delete(idx_shards_wrlock(sh, wrong), k, strlen(k), &e) == IDX_OK);
        idx_shards_unlock(sh, wrong);
        idx_entry_free(e);
    }

    idx_shards_clear(sh, NULL);
    is_int(idx_shards_count(sh), 0, "count after clear");
    c.n = 0;
    ok(idx_shards_walk(sh, NULL, 0, 1, 10, collect_fn, &c, NULL, NULL) == IDX_SHARDS_DONE &&
           c.n == 0, "walk after clear is empty");
    ok(idx_shards_random(sh, 7, &sh_of) == NULL, "random after clear is NULL");
    validate(sh, "after clear");
    insert_key(sh, "again", 5);
    is_int(idx_shards_count(sh), 1, "the set is reusable after clear");

    omk_free(c.got);
    omk_free(ents);
    omk_free(ref);
    idx_shards_free(sh, NULL);
}

/* A bulk load big enough (over 64k keys) for the shards to load on one thread per CPU:
 * every key comes back in order, each in its hash's shard. */
static void test_bulk_threads(void)
{
    const size_t n = 100000;
    struct key *ref = make_keys(n);
    struct idx_entry **ents = omk_malloc(n * sizeof(*ents));
    struct idx_shards *sh = idx_shards_new(8, NULL);
    struct collect c = {0};

    for (size_t i = 0; i < n; i++)
        ents[i] = idx_entry_new(ref[i].b, ref[i].len);
    is_int(idx_shards_bulk_load(sh, ents, n), IDX_OK, "threaded bulk load of %zu entries", n);
    is_int(idx_shards_count(sh), n, "count after the threaded bulk load");
    idx_shards_walk(sh, NULL, 0, 1, (size_t)-1, collect_fn, &c, NULL, NULL);
    ok(same_keys(&c, ref, 0, n), "walk after the threaded bulk load matches");
    validate(sh, "after the threaded bulk load");
    omk_free(c.got);
    omk_free(ents);
    omk_free(ref);
    idx_shards_free(sh, NULL);
}

/* ---- concurrency ----
 * Stable keys (even numbers, inserted first, never deleted) interleave with churn keys (odd
 * numbers) that two writers insert and delete at random. A reader finds stable keys (always
 * there) and churn keys (either way). A walker makes full walks in batches of 10, each batch
 * resumed after the last key: every stable key must come back in every full walk, and keys
 * must come back strictly increasing. Bounded by time (about 2 s) and by operation counts. */

#define CC_STABLE 2000
#define CC_CHURN 2000
#define CC_MAX_OPS 2000000

struct cc {
    struct idx_shards *sh;
    int64_t deadline_us;
    atomic_int stop;
    atomic_long find_fail, order_fail, stable_miss, walks, writes, finds;
};

/* Key number 'i' of the concurrency test: cc:%07u. */
static size_t cc_key(char *buf, unsigned i)
{
    return (size_t)sprintf(buf, "cc:%07u", i);
}

/* Whether a thread that made 'ops' operations should stop (count, flag or deadline). */
static int cc_over(struct cc *cc, long ops)
{
    return ops >= CC_MAX_OPS || atomic_load(&cc->stop) ||
           ((ops & 255) == 0 && omk_mono_us() > cc->deadline_us);
}

/* Writer: toggle random churn keys (insert, or delete if present). */
static void *cc_writer(void *arg)
{
    struct cc *cc = arg;
    uint64_t s = (uint64_t)(uintptr_t)&s | 1;
    char buf[32];
    long ops = 0;

    while (!cc_over(cc, ops)) {
        unsigned i = 2 * (unsigned)(rnd(&s) % CC_CHURN) + 1;
        size_t len = cc_key(buf, i);
        unsigned sh = idx_shards_of(cc->sh, buf, len);
        struct idx *ix = idx_shards_wrlock(cc->sh, sh);
        struct idx_entry *e;

        if (idx_insert(ix, buf, len, &e) == IDX_EXISTS) {
            OMK_ASSERT(idx_delete(ix, buf, len, &e) == IDX_OK);
            idx_entry_free(e);
        } else {
            e->val_len = i; /* the store writes its own fields under the write lock */
        }
        idx_shards_unlock(cc->sh, sh);
        ops++;
    }
    atomic_fetch_add(&cc->writes, ops);
    return NULL;
}

/* Reader: finds of random stable keys (must hit) and churn keys (either way). */
static void *cc_reader(void *arg)
{
    struct cc *cc = arg;
    uint64_t s = 99;
    char buf[32];
    long ops = 0;

    while (!cc_over(cc, ops)) {
        unsigned i = (unsigned)(rnd(&s) % (2 * CC_STABLE));
        size_t len = cc_key(buf, i);
        unsigned sh = idx_shards_of(cc->sh, buf, len);
        struct idx_entry *e = idx_find(idx_shards_rdlock(cc->sh, sh), buf, len);

        if (i % 2 == 0 && e == NULL)
            atomic_fetch_add(&cc->find_fail, 1);
        if (e && (idx_entry_klen(e) != len || memcmp(idx_entry_key(e), buf, len) != 0 ||
                  e->val_len != i))
            atomic_fetch_add(&cc->find_fail, 1);
        idx_shards_unlock(cc->sh, sh);
        ops++;
    }
    atomic_fetch_add(&cc->finds, ops);
    return NULL;
}

struct cc_walk {
    unsigned char seen[2 * CC_STABLE];
    struct idx_keybuf prev;
    int have_prev;
    int order_bad;
};

/* Walker callback: check the order and mark stable keys seen. */
static int cc_walk_fn(const struct idx_entry *e, void *arg)
{
    struct cc_walk *w = arg;
    unsigned v = 0;

    if (w->have_prev && key_cmp(w->prev.p, w->prev.len, idx_entry_key(e), idx_entry_klen(e)) >= 0)
        w->order_bad = 1;
    idx_keybuf_set(&w->prev, idx_entry_key(e), idx_entry_klen(e));
    w->have_prev = 1;
    /* Keys are cc:%07u (leading zeros, so not omk_str2ll's business). */
    OMK_ASSERT(idx_entry_klen(e) == 10);
    for (int i = 3; i < 10; i++)
        v = v * 10 + (unsigned)(idx_entry_key(e)[i] - '0');
    if (v < 2 * CC_STABLE)
        w->seen[v] = 1;
    return 0;
}

/* Walker: full walks in resumed batches of 10; counts walks missing a stable key. */
static void *cc_walker(void *arg)
{
    struct cc *cc = arg;
    struct cc_walk *w = omk_calloc(1, sizeof(*w));
    struct idx_keybuf last = {0};
    long batches = 0;

    while (!cc_over(cc, batches)) {
        int rc;

        memset(w->seen, 0, sizeof(w->seen));
        w->have_prev = 0;
        rc = idx_shards_walk(cc->sh, NULL, 0, 1, 10, cc_walk_fn, w, NULL, &last);
        while (rc == IDX_SHARDS_MORE && !cc_over(cc, ++batches))
            rc = idx_shards_walk(cc->sh, last.p, last.len, 0, 10, cc_walk_fn, w, NULL,
                                 &last);
        if (rc != IDX_SHARDS_DONE)
            break; /* out of time mid-walk: that walk does not count */
        atomic_fetch_add(&cc->walks, 1);
        if (w->order_bad)
            atomic_fetch_add(&cc->order_fail, 1);
        for (unsigned i = 0; i < 2 * CC_STABLE; i += 2)
            if (!w->seen[i])
                atomic_fetch_add(&cc->stable_miss, 1);
    }
    idx_keybuf_deinit(&w->prev);
    idx_keybuf_deinit(&last);
    omk_free(w);
    return NULL;
}

/* 2 writers, 1 reader, 1 walker for about 2 s over 8 shards, then the checks. */
static void test_concurrency(void)
{
    struct cc cc = {0};
    pthread_t t[4];
    char buf[32];
    struct collect c = {0};
    size_t stable_back = 0;

    cc.sh = idx_shards_new(8, NULL);
    for (unsigned i = 0; i < 2 * CC_STABLE; i += 2) {
        size_t len = cc_key(buf, i);
        unsigned sh = idx_shards_of(cc.sh, buf, len);
        struct idx_entry *e;

        OMK_ASSERT(idx_insert(idx_shards_wrlock(cc.sh, sh), buf, len, &e) == IDX_OK);
        e->val_len = i;
        idx_shards_unlock(cc.sh, sh);
    }
    cc.deadline_us = omk_mono_us() + 2000000;
    omk_thread_create(&t[0], cc_writer, &cc);
    omk_thread_create(&t[1], cc_writer, &cc);
    omk_thread_create(&t[2], cc_reader, &cc);
    omk_thread_create(&t[3], cc_walker, &cc);
    for (int i = 0; i < 4; i++)
        omk_thread_join(t[i]);

    diag("concurrency: %ld writes, %ld finds, %ld full walks", atomic_load(&cc.writes),
         atomic_load(&cc.finds), atomic_load(&cc.walks));
    ok(atomic_load(&cc.writes) > 0 && atomic_load(&cc.finds) > 0, "threads made progress");
    ok(atomic_load(&cc.walks) >= 1, "at least one full walk finished (%ld)",
       atomic_load(&cc.walks));
    is_int(atomic_load(&cc.stable_miss), 0, "every stable key came back in every full walk");
    is_int(atomic_load(&cc.order_fail), 0, "walks returned keys strictly increasing");
    is_int(atomic_load(&cc.find_fail), 0, "finds of stable keys always succeeded");
    validate(cc.sh, "after the concurrent run");
    idx_shards_walk(cc.sh, NULL, 0, 1, (size_t)-1, collect_fn, &c, NULL, NULL);
    is_int(c.n, idx_shards_count(cc.sh), "count equals the keys a final walk finds");
    for (size_t i = 0; i < c.n; i++)
        stable_back += c.got[i].b[9] % 2 == 0;
    is_int(stable_back, CC_STABLE, "all stable keys are still there");
    omk_free(c.got);
    idx_shards_free(cc.sh, NULL);
}

/* ---- time-ordered keys ---- */

#define TO_KEYS 60000 /* keys each appender writes */

struct to_writer {
    struct idx_shards *sh;
    char tag;                   /* the sequence: keys "t<tag>:%012u" */
};

/* Appender: TO_KEYS keys of its own sequence in ascending order, one write lock each. */
static void *to_writer(void *arg)
{
    struct to_writer *w = arg;
    char buf[32];

    for (unsigned i = 0; i < TO_KEYS; i++) {
        size_t len = (size_t)snprintf(buf, sizeof(buf), "t%c:%012u", w->tag, i * 3);

        insert_key(w->sh, buf, len);
    }
    return NULL;
}

/* Two threads append two time-ordered sequences at once (each shard sees both, in
 * order: runs past its last key for the later sequence, inside it for the earlier);
 * then every key is there once and in order, the shards validate, runs were served by
 * run leaves, and the oldest half of each sequence is deleted. */
static void test_time_ordered(void)
{
    struct idx_shards *sh = idx_shards_new(8, NULL);
    struct to_writer w[2] = {{sh, 'a'}, {sh, 'b'}};
    pthread_t t[2];
    struct collect c = {0};
    struct idx_stats st;
    char buf[32];
    int order = 1, dels = 1;

    for (int i = 0; i < 2; i++)
        omk_thread_create(&t[i], to_writer, &w[i]);
    for (int i = 0; i < 2; i++)
        omk_thread_join(t[i]);
    is_int(idx_shards_count(sh), 2 * TO_KEYS, "time-ordered: every key counted");
    validate(sh, "after two concurrent appenders");
    idx_shards_walk(sh, NULL, 0, 1, (size_t)-1, collect_fn, &c, NULL, NULL);
    for (size_t i = 0; i < c.n && order; i++) {
        size_t len = (size_t)snprintf(buf, sizeof(buf), "t%c:%012u", i < TO_KEYS ? 'a' : 'b',
                                      (unsigned)(i % TO_KEYS) * 3);

        order = c.got[i].len == len && memcmp(c.got[i].b, buf, len) == 0;
    }
    ok(c.n == 2 * TO_KEYS && order, "time-ordered: a full walk returns both sequences in order");
    idx_shards_stats(sh, &st);
    ok(st.run_leaves > 0, "time-ordered: %llu run leaves opened, depth %zu",
       (unsigned long long)st.run_leaves, st.depth);
    for (unsigned i = 0; i < TO_KEYS / 2; i++)
        for (int q = 0; q < 2; q++)
            dels &= delete_key(sh, buf, (size_t)snprintf(buf, sizeof(buf), "t%c:%012u",
                                                        q ? 'b' : 'a', i * 3)) == IDX_OK;
    ok(dels && idx_shards_count(sh) == TO_KEYS, "time-ordered: the oldest halves deleted");
    validate(sh, "after deleting the oldest halves");
    omk_free(c.got);
    idx_shards_free(sh, NULL);
}

/* ---- keys around the entry's 16-bit length (index.h, LAYOUT) ----
 * Keys of 0, 1, 16, 65534, 65535 (the escape value), 65536 bytes and 1 MB, each also with
 * a larger and a smaller last byte, among short keys: inserted, found, walked whole and in
 * batches of 3 resumed after the last (long) key, deleted, bulk-loaded, validated. */

struct lk_key {
    const char *p;
    size_t len;
};

/* qsort order of struct lk_key: memcmp, shorter first on a tie. */
static int lk_cmp(const void *x, const void *y)
{
    const struct lk_key *a = x, *b = y;

    return key_cmp(a->p, a->len, b->p, b->len);
}

/* Walk callback: each entry must be exp[at++]. */
struct lk_walk {
    const struct lk_key *exp;
    size_t n, at;
    int bad;
};

static int lk_walk_fn(const struct idx_entry *e, void *arg)
{
    struct lk_walk *w = arg;

    if (w->at >= w->n || idx_entry_klen(e) != w->exp[w->at].len ||
        memcmp(idx_entry_key(e), w->exp[w->at].p, w->exp[w->at].len) != 0)
        w->bad = 1;
    w->at++;
    return 0;
}

/* Whether walks of 'sh', whole and in batches of 3, give exactly 'exp'[0..n). */
static int lk_walk_is(struct idx_shards *sh, const struct lk_key *exp, size_t n)
{
    struct lk_walk w = {exp, n, 0, 0};
    struct idx_keybuf last = {NULL, 0, 0};
    int rc, inclusive = 1;

    idx_shards_walk(sh, NULL, 0, 1, (size_t)-1, lk_walk_fn, &w, NULL, NULL);
    if (w.bad || w.at != n)
        return 0;
    w.at = 0;
    do {
        size_t got = 0;

        rc = idx_shards_walk(sh, last.p, last.len, inclusive, 3, lk_walk_fn, &w, &got, &last);
        inclusive = 0;
    } while (rc == IDX_SHARDS_MORE && !w.bad);
    idx_keybuf_deinit(&last);
    return !w.bad && w.at == n;
}

/* Whether each of 'k'[0..n) is found (when 'present') or absent, with its bytes. */
static int lk_find_all(struct idx_shards *sh, const struct lk_key *k, size_t n, int present)
{
    int good = 1;

    for (size_t i = 0; i < n; i++) {
        unsigned s = idx_shards_of(sh, k[i].p, k[i].len);
        const struct idx_entry *e = idx_find(idx_shards_rdlock(sh, s), k[i].p, k[i].len);

        if (present)
            good &= e && idx_entry_klen(e) == k[i].len &&
                    memcmp(idx_entry_key(e), k[i].p, k[i].len) == 0;
        else
            good &= e == NULL;
        idx_shards_unlock(sh, s);
    }
    return good;
}

static void test_long_keys(void)
{
    static const size_t lens[] = {0, 1, 16, 65534, 65535, 65536, (size_t)1 << 20};
    const size_t nshort = 300, maxlen = (size_t)1 << 20;
    struct lk_key *k = omk_calloc(3 * OMK_ARRAY_LEN(lens) + nshort, sizeof(*k));
    struct idx_shards *sh = idx_shards_new(8, NULL);
    struct idx_entry **ents;
    size_t n = 0, odd = 0;
    char *x = omk_malloc(maxlen);

    memset(x, 'x', maxlen);
    for (size_t i = 0; i < OMK_ARRAY_LEN(lens); i++) {
        k[n++] = (struct lk_key){x, lens[i]};
        for (int v = 0; v < 2 && lens[i] > 0; v++) {
            char *p = omk_memdup(x, lens[i]);

            p[lens[i] - 1] = v ? 'y' : '\0';
            k[n++] = (struct lk_key){p, lens[i]};
        }
    }
    for (size_t i = 0; i < nshort; i++) {
        char *p = omk_malloc(24);

        k[n].len = (size_t)snprintf(p, 24, i % 2 ? "xxx%zu" : "k:%014zu", i);
        k[n++].p = p;
    }
    qsort(k, n, sizeof(*k), lk_cmp);
    for (size_t i = 0; i < n; i++)
        insert_key(sh, k[i].p, k[i].len);
    is_int(idx_shards_count(sh), n, "%zu keys, 19 of 0 bytes to 1 MB, inserted into 8 shards", n);
    ok(lk_find_all(sh, k, n, 1), "each is found with its length and bytes");
    ok(lk_walk_is(sh, k, n), "walks, whole and resumed after each third key, give them in order");
    validate(sh, "with keys of 0 bytes to 1 MB");
    for (size_t i = 0; i < n; i += 2) {
        odd += delete_key(sh, k[i].p, k[i].len) != IDX_OK;
        if (k[i].p != x)
            omk_free((char *)k[i].p);
    }
    for (size_t i = 1; i < n; i += 2) /* the survivors, packed into k[0 .. n/2) */
        k[i / 2] = k[i];
    ok(odd == 0 && idx_shards_count(sh) == n / 2 && lk_find_all(sh, k, n / 2, 1) &&
       lk_walk_is(sh, k, n / 2), "every other key deleted: the rest found and walked in order");
    validate(sh, "after deleting every other long key");
    idx_shards_clear(sh, NULL);

    ents = omk_malloc(n / 2 * sizeof(*ents));
    for (size_t i = 0; i < n / 2; i++)
        ents[i] = idx_entry_new(k[i].p, k[i].len);
    is_int(idx_shards_bulk_load(sh, ents, n / 2), IDX_OK, "bulk load of %zu of them", n / 2);
    ok(lk_find_all(sh, k, n / 2, 1) && lk_walk_is(sh, k, n / 2),
       "after the bulk load each is found and the walks are in order");
    validate(sh, "after the bulk load of long keys");
    odd = 0;
    for (size_t i = 0; i < n / 2; i++)
        odd += delete_key(sh, k[i].p, k[i].len) != IDX_OK;
    ok(odd == 0 && idx_shards_count(sh) == 0 && lk_find_all(sh, k, n / 2, 0),
       "all deleted: none found");
    validate(sh, "emptied of long keys");
    omk_free(ents);
    idx_shards_free(sh, NULL);
    for (size_t i = 0; i < n / 2; i++)
        if (k[i].p != x)
            omk_free((char *)k[i].p);
    omk_free(k);
    omk_free(x);
}

int main(void)
{
    test_walk(1);
    test_walk(0);
    test_walk(16);
    test_random();
    test_clear_bulk();
    test_bulk_threads();
    test_concurrency();
    test_time_ordered();
    test_long_keys();
    return tap_done();
}
