/* tracking.c - client-side caching, as Redis 7.0's CLIENT TRACKING (see tracking.h).
 *
 * HOW IT WORKS. A client that ever enables tracking, or that another client names as
 * its REDIRECT target, gets a struct trk_client in a registry by client id. Default
 * mode: each read-only command of a tracking client adds its keys to the key table
 * (key -> sorted ids). When the store reports a committed change of a key (the touch
 * hook, on the thread that made it), the key's ids are looked up in the registry and
 * each client still tracking in default mode is sent ["invalidate", [key]], then the
 * key leaves the table: a client is told once, and is tracked again when it reads the
 * key again. As in Redis, the table knows key names only (no database), ids of clients
 * gone or no longer tracking are dropped lazily, and past tracking-table-max-keys the
 * oldest keys are invalidated as if they had changed. BCAST mode: a change of a key
 * under a followed prefix is noted, and when the command that made it ends, each prefix
 * sends its noted keys, sorted and once each, to its clients (NOLOOP clients without
 * the keys they changed themselves).
 *
 * Where a message goes (Redis' sendTrackingMessage): to the tracking client itself in
 * RESP3 (a push); with REDIRECT, to the target: a push if it speaks RESP3, else, if it
 * is subscribed to anything, a pub/sub message on __redis__:invalidate, else nothing.
 * A RESP2 client without REDIRECT is sent nothing. A target that is gone marks the
 * redirect broken and tells a RESP3 tracking client ["tracking-redir-broken", id].
 *
 * The race a multi-threaded server adds: a read on one worker and a write on another.
 * Keys are remembered before the command reads (and again after, as Redis does), so a
 * write committed after the read began always finds the reader in the table. Messages
 * for the client whose command this thread runs wait until its replies are queued
 * (tls_pending), as Redis 7.0 holds back a client's own invalidations; the others are
 * written at once on their own worker, or through pubsub.c's mailbox and wake-up from
 * any other thread, in order per sender. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk_thread.h"
#include "daemon/cmd.h"
#include "daemon/cmd_keyspecs.h"
#include "daemon/conn.h"
#include "daemon/pubsub.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "daemon/tracking.h"

/* A client's tracking flags (struct trk_client.flags). */
#define TRK_ON 0x01
#define TRK_BCAST 0x02
#define TRK_OPTIN 0x04
#define TRK_OPTOUT 0x08
#define TRK_NOLOOP 0x10
#define TRK_BROKEN 0x20 /* the REDIRECT target was gone at a send */

#define TRK_EVICT_EFFORT 1000 /* keys evicted per read past the limit, besides as many as
                               * the read added: a lowered limit is reached in steps, and
                               * reads never grow the table past it */

struct trk_prefix;

/* A client tracking knows: a tracking client or a redirect target. Lives from its first
 * use until the client is freed (tracking_client_gone). */
struct trk_client {
    struct client *c;         /* never changes */
    uint64_t id;              /* c->id */
    struct trk_client *hnext; /* registry chain (trk_lock) */
    _Atomic int flags;        /* TRK_*: written under trk_lock, read by the owner without */
    int proto;                /* c->proto as last reported (trk_lock) */
    uint64_t redir;           /* REDIRECT's client id, 0: none (trk_lock) */
    struct trk_prefix **pfx;  /* BCAST prefixes followed, sorted by name (trk_lock) */
    size_t npfx;
    int caching;              /* CLIENT CACHING was given for the next command (owner) */
};

/* A BCAST prefix with its followers. */
struct trk_prefix {
    struct trk_prefix *next;    /* every prefix (trk_lock) */
    struct trk_client **clients;
    size_t nclients, cap;
    size_t len;
    char name[];
};

/* A key some tracking clients may hold in their caches. */
struct trk_key {
    struct trk_key *hnext;
    struct trk_key *older, *newer; /* insertion order: eviction takes the oldest */
    uint64_t hash;
    uint64_t *ids;                 /* sorted, distinct */
    size_t nids, cap;
    size_t len;
    char name[];
};

/* Hash tables of chained entries, power-of-two buckets. */
struct trk_reg_table {
    struct trk_client **b;
    size_t mask, n;
};
struct trk_key_table {
    struct trk_key **b;
    size_t mask, n;
};

static pthread_mutex_t trk_lock = PTHREAD_MUTEX_INITIALIZER;
static struct trk_reg_table trk_reg;  /* id -> struct trk_client */
static struct trk_key_table trk_keys; /* name -> struct trk_key */
static struct trk_key *trk_oldest, *trk_newest;
static struct trk_prefix *trk_prefixes;
/* Counters for INFO and the touch hook's quick exit, written under trk_lock. */
static _Atomic long long trk_nclients, trk_nkeys, trk_nitems, trk_nprefixes;

/* A growable byte buffer for a message. */
struct trk_buf {
    char *p;
    size_t len, cap;
};

/* A key a BCAST-followed change touched during this thread's command, and who wrote it
 * (client id, 0: no client, as active expiry). */
struct trk_bkey {
    char *name;
    size_t len;
    uint64_t writer;
    size_t seq; /* order noted: the last writer of a key wins */
};

/* This thread's command (tracking_cmd_begin .. end), the bytes waiting for its client,
 * the BCAST keys it touched, and whether its flush was already reported. */
static __thread struct client *tls_current;
static __thread struct trk_buf tls_pending;
static __thread struct trk_bkey *tls_bkeys;
static __thread size_t tls_nbkeys, tls_capbkeys;
static __thread int tls_flush_seen;

/* The thread-local buffers above are freed when their thread ends (tls_key's destructor),
 * and shrunk after use past these sizes. */
#define TLS_PENDING_KEEP 65536 /* bytes */
#define TLS_BKEYS_KEEP 1024    /* entries */
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void tls_free(void *unused)
{
    OMK_UNUSED(unused);
    omk_free(tls_pending.p);
    tls_pending = (struct trk_buf){NULL, 0, 0};
    for (size_t i = 0; i < tls_nbkeys; i++)
        omk_free(tls_bkeys[i].name);
    omk_free(tls_bkeys);
    tls_bkeys = NULL;
    tls_nbkeys = tls_capbkeys = 0;
}

static void tls_key_make(void)
{
    int rc = pthread_key_create(&tls_key, tls_free);

    OMK_ASSERT(rc == 0);
}

/* Arrange for this thread's buffers to be freed when it ends (before its first one). */
static void tls_watch(void)
{
    pthread_once(&tls_once, tls_key_make);
    if (!pthread_getspecific(tls_key))
        pthread_setspecific(tls_key, &tls_key); /* any non-NULL value runs the destructor */
}

/* ---- small helpers --------------------------------------------------------------------- */

static void buf_add(struct trk_buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = omk_realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void buf_str(struct trk_buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* Append a RESP bulk string. */
static void buf_bulk(struct trk_buf *b, const char *p, size_t n)
{
    char head[32];

    buf_add(b, head, (size_t)snprintf(head, sizeof(head), "$%zu\r\n", n));
    buf_add(b, p, n);
    buf_add(b, "\r\n", 2);
}

static uint64_t id_hash(uint64_t id)
{
    return id * 0x9E3779B97F4A7C15ULL;
}

/* The registry entry of client id 'id', or NULL (trk_lock held). */
static struct trk_client *reg_find(uint64_t id)
{
    struct trk_client *tc;

    if (!trk_reg.b)
        return NULL;
    for (tc = trk_reg.b[id_hash(id) & trk_reg.mask]; tc; tc = tc->hnext)
        if (tc->id == id)
            return tc;
    return NULL;
}

static void reg_grow(void)
{
    size_t nb = trk_reg.b ? 2 * (trk_reg.mask + 1) : 64;
    struct trk_client **b = omk_calloc(nb, sizeof(*b));

    for (size_t i = 0; trk_reg.b && i <= trk_reg.mask; i++) {
        struct trk_client *tc = trk_reg.b[i], *next;

        for (; tc; tc = next) {
            next = tc->hnext;
            tc->hnext = b[id_hash(tc->id) & (nb - 1)];
            b[id_hash(tc->id) & (nb - 1)] = tc;
        }
    }
    omk_free(trk_reg.b);
    trk_reg.b = b;
    trk_reg.mask = nb - 1;
}

/* A new registry entry for client 'c' speaking 'proto', stored in c->trk (trk_lock
 * held; whoever calls keeps 'c' alive: its owner, or its worker's clients_lock). */
static struct trk_client *reg_add(struct client *c, int proto)
{
    struct trk_client *tc = omk_calloc(1, sizeof(*tc));
    size_t h;

    tc->c = c;
    tc->id = c->id;
    tc->proto = proto;
    if (!trk_reg.b || trk_reg.n >= trk_reg.mask + 1)
        reg_grow();
    h = id_hash(tc->id) & trk_reg.mask;
    tc->hnext = trk_reg.b[h];
    trk_reg.b[h] = tc;
    trk_reg.n++;
    atomic_store(&c->trk, tc);
    return tc;
}

static void reg_del(struct trk_client *tc)
{
    struct trk_client **pp = &trk_reg.b[id_hash(tc->id) & trk_reg.mask];

    while (*pp != tc)
        pp = &(*pp)->hnext;
    *pp = tc->hnext;
    trk_reg.n--;
}

/* c's registry entry, made on first use (owner thread, trk_lock held). */
static struct trk_client *trk_client_of(struct client *c)
{
    struct trk_client *tc = atomic_load(&c->trk);

    return tc ? tc : reg_add(c, c->proto);
}

/* ---- the key table (trk_lock held) ----------------------------------------------------- */

static struct trk_key *key_find(const char *p, size_t len, uint64_t h)
{
    if (!trk_keys.b)
        return NULL;
    for (struct trk_key *k = trk_keys.b[h & trk_keys.mask]; k; k = k->hnext)
        if (k->hash == h && k->len == len && memcmp(k->name, p, len) == 0)
            return k;
    return NULL;
}

static void keys_grow(void)
{
    size_t nb = trk_keys.b ? 2 * (trk_keys.mask + 1) : 1024;
    struct trk_key **b = omk_calloc(nb, sizeof(*b));

    for (struct trk_key *k = trk_oldest; k; k = k->newer) {
        k->hnext = b[k->hash & (nb - 1)];
        b[k->hash & (nb - 1)] = k;
    }
    omk_free(trk_keys.b);
    trk_keys.b = b;
    trk_keys.mask = nb - 1;
}

/* Remember that client 'id' may cache key 'p'/'len'. */
static void key_remember(uint64_t id, const char *p, size_t len)
{
    uint64_t h = omk_hash(p, len);
    struct trk_key *k = key_find(p, len, h);
    size_t lo = 0, hi;

    if (!k) {
        if (!trk_keys.b || trk_keys.n >= trk_keys.mask + 1)
            keys_grow();
        k = omk_calloc(1, sizeof(*k) + len + 1);
        memcpy(k->name, p, len);
        k->len = len;
        k->hash = h;
        k->hnext = trk_keys.b[h & trk_keys.mask];
        trk_keys.b[h & trk_keys.mask] = k;
        k->older = trk_newest;
        if (trk_newest)
            trk_newest->newer = k;
        else
            trk_oldest = k;
        trk_newest = k;
        trk_keys.n++;
        atomic_store(&trk_nkeys, (long long)trk_keys.n);
    }
    hi = k->nids;
    while (lo < hi) { /* the first id >= 'id' */
        size_t mid = (lo + hi) / 2;

        if (k->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < k->nids && k->ids[lo] == id)
        return;
    if (k->nids == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 2;
        k->ids = omk_realloc(k->ids, k->cap * sizeof(*k->ids));
    }
    memmove(k->ids + lo + 1, k->ids + lo, (k->nids - lo) * sizeof(*k->ids));
    k->ids[lo] = id;
    k->nids++;
    atomic_fetch_add(&trk_nitems, 1);
}

/* Take 'k' out of the table and free it. */
static void key_free(struct trk_key *k)
{
    struct trk_key **pp = &trk_keys.b[k->hash & trk_keys.mask];

    while (*pp != k)
        pp = &(*pp)->hnext;
    *pp = k->hnext;
    if (k->older)
        k->older->newer = k->newer;
    else
        trk_oldest = k->newer;
    if (k->newer)
        k->newer->older = k->older;
    else
        trk_newest = k->older;
    trk_keys.n--;
    atomic_store(&trk_nkeys, (long long)trk_keys.n);
    atomic_fetch_sub(&trk_nitems, (long long)k->nids);
    omk_free(k->ids);
    omk_free(k);
}

/* ---- sending (trk_lock held) ----------------------------------------------------------- */

/* Hand 'b' to client 'to': after the command, if 'to' is this thread's current client;
 * else now, to its output or its mailbox (pubsub_send_raw). */
static void trk_deliver(struct trk_client *to, const struct trk_buf *b)
{
    if (to->c == tls_current) {
        if (!tls_pending.p)
            tls_watch();
        buf_add(&tls_pending, b->p, b->len);
    }
    else
        pubsub_send_raw(to->c, b->p, b->len);
}

/* What a message carries: one key, a ready RESP array of keys, or null (everything). */
enum trk_what { TRK_SEND_KEY, TRK_SEND_PROTO, TRK_SEND_NULL };

/* Send tracking client 'tc' an invalidation of 'what' ('p'/'len': the key, or the
 * array), where Redis' sendTrackingMessage would. */
static void trk_send(struct trk_client *tc, enum trk_what what, const char *p, size_t len)
{
    struct trk_client *to = tc;
    struct trk_buf b = {NULL, 0, 0};
    int redirected = 0;

    if (tc->redir) {
        to = reg_find(tc->redir);
        if (!to) {
            atomic_fetch_or(&tc->flags, TRK_BROKEN);
            if (tc->proto >= 3) {
                char num[32];

                buf_str(&b, ">2\r\n$21\r\ntracking-redir-broken\r\n");
                buf_add(&b, num,
                        (size_t)snprintf(num, sizeof(num), ":%llu\r\n",
                                         (unsigned long long)tc->redir));
                trk_deliver(tc, &b);
                omk_free(b.p);
            }
            return;
        }
        redirected = 1;
    }
    if (to->proto >= 3)
        buf_str(&b, ">2\r\n$10\r\ninvalidate\r\n");
    else if (redirected && pubsub_subscribed(to->c))
        buf_str(&b, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n");
    else
        return; /* RESP2 without a subscribed target: there is no way to tell it */
    if (what == TRK_SEND_KEY) {
        buf_str(&b, "*1\r\n");
        buf_bulk(&b, p, len);
    } else if (what == TRK_SEND_PROTO) {
        buf_add(&b, p, len);
    } else {
        /* Redis encodes the null for the tracking client's protocol; a RESP2 target
         * gets RESP2's null even then, which its parser can read. */
        buf_str(&b, tc->proto >= 3 && to->proto >= 3 ? "_\r\n" : "$-1\r\n");
    }
    trk_deliver(to, &b);
    omk_free(b.p);
}

/* Invalidate key 'k' for every client tracking it in default mode, then drop it.
 * 'noloop' applies NOLOOP (a change by this thread's client), not an eviction. */
static void key_invalidate(struct trk_key *k, int noloop)
{
    for (size_t i = 0; i < k->nids; i++) {
        struct trk_client *tc = reg_find(k->ids[i]);
        int fl;

        if (!tc)
            continue;
        fl = atomic_load(&tc->flags);
        if (!(fl & TRK_ON) || (fl & TRK_BCAST))
            continue;
        if (noloop && (fl & TRK_NOLOOP) && tc->c == tls_current)
            continue;
        trk_send(tc, TRK_SEND_KEY, k->name, k->len);
    }
    key_free(k);
}

/* Past tracking-table-max-keys (0: no limit), invalidate the oldest keys until the table
 * fits, at most 'added' + TRK_EVICT_EFFORT of them now. */
static void keys_limit(size_t added)
{
    long long max = atomic_load(&server.cfg.tracking_table_max_keys);

    for (size_t n = 0; max > 0 && trk_keys.n > (size_t)max && n < added + TRK_EVICT_EFFORT; n++)
        key_invalidate(trk_oldest, 0);
}

/* Every tracking client is told that everything changed, and the table is emptied
 * (Redis' trackingInvalidateKeysOnFlush). */
static void trk_flush_all(void)
{
    for (size_t i = 0; trk_reg.b && i <= trk_reg.mask; i++)
        for (struct trk_client *tc = trk_reg.b[i]; tc; tc = tc->hnext)
            if (atomic_load(&tc->flags) & TRK_ON)
                trk_send(tc, TRK_SEND_NULL, NULL, 0);
    while (trk_oldest)
        key_free(trk_oldest);
}

/* ---- BCAST ----------------------------------------------------------------------------- */

static int prefix_matches(const struct trk_prefix *px, const char *p, size_t len)
{
    return px->len <= len && memcmp(px->name, p, px->len) == 0;
}

/* Key order for a BCAST message: bytes, a prefix first (a radix tree's order); equal
 * keys by the order they were noted. */
static int bkey_cmp(const void *a, const void *b)
{
    const struct trk_bkey *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->name, y->name, n);

    if (r)
        return r;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Send each prefix's share of the keys this thread noted, then forget them (trk_lock
 * held). A key noted twice goes once, with its last writer. */
static void bcast_flush(void)
{
    size_t n = 0;

    if (tls_nbkeys == 0)
        return;
    qsort(tls_bkeys, tls_nbkeys, sizeof(*tls_bkeys), bkey_cmp);
    for (size_t i = 0; i < tls_nbkeys; i++) { /* keep the last of each run of equal keys */
        if (i + 1 < tls_nbkeys && tls_bkeys[i].len == tls_bkeys[i + 1].len &&
            memcmp(tls_bkeys[i].name, tls_bkeys[i + 1].name, tls_bkeys[i].len) == 0) {
            omk_free(tls_bkeys[i].name);
            continue;
        }
        tls_bkeys[n++] = tls_bkeys[i];
    }
    tls_nbkeys = n;
    for (struct trk_prefix *px = trk_prefixes; px; px = px->next) {
        struct trk_buf all = {NULL, 0, 0};
        size_t count = 0;
        char head[32];

        for (size_t i = 0; i < n; i++)
            count += prefix_matches(px, tls_bkeys[i].name, tls_bkeys[i].len);
        if (count == 0)
            continue;
        buf_add(&all, head, (size_t)snprintf(head, sizeof(head), "*%zu\r\n", count));
        for (size_t i = 0; i < n; i++)
            if (prefix_matches(px, tls_bkeys[i].name, tls_bkeys[i].len))
                buf_bulk(&all, tls_bkeys[i].name, tls_bkeys[i].len);
        for (size_t j = 0; j < px->nclients; j++) {
            struct trk_client *tc = px->clients[j];
            struct trk_buf own = {NULL, 0, 0};
            size_t mine = 0;

            if (!(atomic_load(&tc->flags) & TRK_NOLOOP)) {
                trk_send(tc, TRK_SEND_PROTO, all.p, all.len);
                continue;
            }
            for (size_t i = 0; i < n; i++) /* NOLOOP: without the keys it wrote last */
                mine += prefix_matches(px, tls_bkeys[i].name, tls_bkeys[i].len) &&
                        tls_bkeys[i].writer != tc->id;
            if (mine == 0)
                continue;
            buf_add(&own, head, (size_t)snprintf(head, sizeof(head), "*%zu\r\n", mine));
            for (size_t i = 0; i < n; i++)
                if (prefix_matches(px, tls_bkeys[i].name, tls_bkeys[i].len) &&
                    tls_bkeys[i].writer != tc->id)
                    buf_bulk(&own, tls_bkeys[i].name, tls_bkeys[i].len);
            trk_send(tc, TRK_SEND_PROTO, own.p, own.len);
            omk_free(own.p);
        }
        omk_free(all.p);
    }
    for (size_t i = 0; i < n; i++)
        omk_free(tls_bkeys[i].name);
    tls_nbkeys = 0;
    if (tls_capbkeys > TLS_BKEYS_KEEP) { /* a big write: do not keep its room */
        omk_free(tls_bkeys);
        tls_bkeys = NULL;
        tls_capbkeys = 0;
    }
}

/* Note key 'p'/'len' for the BCAST message if a prefix follows it (trk_lock held). */
static void bcast_note(const char *p, size_t len)
{
    struct trk_prefix *px;

    for (px = trk_prefixes; px; px = px->next)
        if (prefix_matches(px, p, len))
            break;
    if (!px)
        return;
    if (tls_nbkeys == tls_capbkeys) {
        if (!tls_bkeys)
            tls_watch();
        tls_capbkeys = tls_capbkeys ? 2 * tls_capbkeys : 16;
        tls_bkeys = omk_realloc(tls_bkeys, tls_capbkeys * sizeof(*tls_bkeys));
    }
    tls_bkeys[tls_nbkeys] = (struct trk_bkey){omk_memdup(p, len), len,
                                              tls_current ? tls_current->id : 0, tls_nbkeys};
    tls_nbkeys++;
}

/* Make 'tc' follow prefix 'p'/'len' (a no-op if it does). */
static void prefix_follow(struct trk_client *tc, const char *p, size_t len)
{
    struct trk_prefix *px;
    size_t at = 0;

    for (px = trk_prefixes; px; px = px->next)
        if (px->len == len && memcmp(px->name, p, len) == 0)
            break;
    if (!px) {
        px = omk_calloc(1, sizeof(*px) + len + 1);
        memcpy(px->name, p, len);
        px->len = len;
        px->next = trk_prefixes;
        trk_prefixes = px;
        atomic_fetch_add(&trk_nprefixes, 1);
    }
    for (size_t i = 0; i < px->nclients; i++)
        if (px->clients[i] == tc)
            return;
    if (px->nclients == px->cap) {
        px->cap = px->cap ? 2 * px->cap : 4;
        px->clients = omk_realloc(px->clients, px->cap * sizeof(*px->clients));
    }
    px->clients[px->nclients++] = tc;
    /* tc's own list, sorted by name as Redis' rax lists them */
    while (at < tc->npfx) {
        const struct trk_prefix *o = tc->pfx[at];
        size_t m = o->len < len ? o->len : len;
        int r = memcmp(o->name, p, m);

        if (r > 0 || (r == 0 && o->len > len))
            break;
        at++;
    }
    tc->pfx = omk_realloc(tc->pfx, (tc->npfx + 1) * sizeof(*tc->pfx));
    memmove(tc->pfx + at + 1, tc->pfx + at, (tc->npfx - at) * sizeof(*tc->pfx));
    tc->pfx[at] = px;
    tc->npfx++;
}

/* 'tc' stops following every prefix; a prefix left without followers goes. */
static void prefix_leave_all(struct trk_client *tc)
{
    for (size_t i = 0; i < tc->npfx; i++) {
        struct trk_prefix *px = tc->pfx[i];

        for (size_t j = 0; j < px->nclients; j++)
            if (px->clients[j] == tc) {
                px->clients[j] = px->clients[--px->nclients];
                break;
            }
        if (px->nclients == 0) {
            struct trk_prefix **pp = &trk_prefixes;

            while (*pp != px)
                pp = &(*pp)->next;
            *pp = px->next;
            omk_free(px->clients);
            omk_free(px);
            atomic_fetch_sub(&trk_nprefixes, 1);
        }
    }
    omk_free(tc->pfx);
    tc->pfx = NULL;
    tc->npfx = 0;
}

/* Turn tracking off for 'tc' (Redis' disableTracking). */
static void trk_disable(struct trk_client *tc)
{
    prefix_leave_all(tc);
    if (atomic_load(&tc->flags) & TRK_ON)
        atomic_fetch_sub(&trk_nclients, 1);
    atomic_store(&tc->flags, 0);
    tc->caching = 0;
}

/* ---- the hooks --------------------------------------------------------------------------- */

void tracking_touched(const char *key, size_t klen)
{
    if (!key) {
        if (atomic_load_explicit(&trk_nclients, memory_order_relaxed) == 0 &&
            atomic_load_explicit(&trk_nkeys, memory_order_relaxed) == 0)
            return;
        if (tls_current) {
            if (tls_flush_seen) /* this command's flush was sent already */
                return;
            tls_flush_seen = 1;
        }
        omk_mutex_lock(&trk_lock);
        trk_flush_all();
        omk_mutex_unlock(&trk_lock);
        return;
    }
    if (atomic_load_explicit(&trk_nkeys, memory_order_relaxed) == 0 &&
        atomic_load_explicit(&trk_nprefixes, memory_order_relaxed) == 0)
        return;
    omk_mutex_lock(&trk_lock);
    if (trk_prefixes)
        bcast_note(key, klen);
    if (trk_keys.n) {
        struct trk_key *k = key_find(key, klen, omk_hash(key, klen));

        if (k)
            key_invalidate(k, 1);
    }
    if (!tls_current) /* no command to wait for: active expiry */
        bcast_flush();
    omk_mutex_unlock(&trk_lock);
}

void tracking_flushed_by_command(void)
{
    if (tls_flush_seen) { /* the store reported it: sent */
        tls_flush_seen = 0;
        return;
    }
    if (atomic_load_explicit(&trk_nclients, memory_order_relaxed) == 0 &&
        atomic_load_explicit(&trk_nkeys, memory_order_relaxed) == 0)
        return;
    omk_mutex_lock(&trk_lock);
    trk_flush_all();
    omk_mutex_unlock(&trk_lock);
}

void tracking_cmd_begin(struct client *c)
{
    tls_current = c;
    tls_flush_seen = 0;
}

void tracking_cmd_end(struct client *c, const struct cmd_def *d)
{
    struct trk_client *tc = atomic_load_explicit(&c->trk, memory_order_relaxed);

    tls_current = NULL;
    tls_flush_seen = 0;
    if (tls_pending.len) { /* its own invalidations, after its replies */
        pubsub_send_raw(c, tls_pending.p, tls_pending.len);
        tls_pending.len = 0;
        if (tls_pending.cap > TLS_PENDING_KEEP) {
            omk_free(tls_pending.p);
            tls_pending = (struct trk_buf){NULL, 0, 0};
        }
    }
    if (tls_nbkeys) {
        omk_mutex_lock(&trk_lock);
        bcast_flush();
        omk_mutex_unlock(&trk_lock);
    }
    /* CLIENT CACHING holds for the next command, or the next transaction as a whole */
    if (tc && tc->caching && !c->multi && !(d && d->proc == cmd_client))
        tc->caching = 0;
}

/* The description of the command c->argv names ('d' with its subcommand), if Redis flags
 * it read-only, else NULL. */
static const struct cmd_meta *trk_readonly_meta(const struct client *c, const struct cmd_def *d)
{
    const struct cmd_meta *m = cmd_meta_of(d), *subs;
    size_t n;

    subs = cmd_meta_subs(m, &n);
    if (n > 0) {
        const struct cmd_meta *found = NULL;

        for (size_t i = 0; i < n && c->argc >= 2 && !found; i++) {
            const char *bar = strchr(subs[i].name, '|');

            if (bar && cmd_word_is(&c->argv[1], bar + 1))
                found = &subs[i];
        }
        m = found;
    }
    if (!m || !cmd_meta_list_has(m->flags, "readonly", 8))
        return NULL;
    return m;
}

/* Remember the keys command 'd' of 'c' reads, if 'c' tracks them (Redis'
 * trackingRememberKeys). */
static void trk_remember(struct client *c, const struct cmd_def *d)
{
    struct trk_client *tc = atomic_load_explicit(&c->trk, memory_order_relaxed);
    const struct cmd_meta *m;
    struct cmd_keyref *refs;
    int fl, nkeys, cap;

    if (!tc)
        return;
    fl = atomic_load(&tc->flags);
    if (!(fl & TRK_ON) || (fl & TRK_BCAST))
        return;
    if (((fl & TRK_OPTIN) && !tc->caching) || ((fl & TRK_OPTOUT) && tc->caching))
        return;
    m = trk_readonly_meta(c, d);
    if (!m)
        return;
    cap = 3 * c->argc;
    refs = omk_malloc((size_t)cap * sizeof(*refs));
    nkeys = cmd_meta_getkeys(m, c->argc, c->argv, refs, cap);
    if (nkeys > 0) {
        omk_mutex_lock(&trk_lock);
        for (int i = 0; i < nkeys; i++)
            key_remember(c->id, c->argv[refs[i].pos].p, c->argv[refs[i].pos].len);
        keys_limit((size_t)nkeys);
        omk_mutex_unlock(&trk_lock);
    }
    omk_free(refs);
}

void tracking_before_call(struct client *c, const struct cmd_def *d)
{
    trk_remember(c, d);
}

void tracking_after_call(struct client *c, const struct cmd_def *d)
{
    trk_remember(c, d);
}

void tracking_proto_changed(struct client *c)
{
    struct trk_client *tc;

    omk_mutex_lock(&trk_lock);
    /* Published under trk_lock: a REDIRECT naming 'c' from another worker reads it there
     * when it registers 'c' (trk_register_target). */
    atomic_store_explicit(&c->snap.proto, c->proto, memory_order_relaxed);
    tc = atomic_load(&c->trk);
    if (tc)
        tc->proto = c->proto;
    omk_mutex_unlock(&trk_lock);
}

void tracking_client_reset(struct client *c)
{
    struct trk_client *tc = atomic_load(&c->trk);

    if (tc) {
        omk_mutex_lock(&trk_lock);
        trk_disable(tc);
        omk_mutex_unlock(&trk_lock);
    }
    tracking_proto_changed(c);
}

void tracking_client_gone(struct client *c)
{
    struct trk_client *tc = atomic_load(&c->trk);

    if (!tc)
        return;
    omk_mutex_lock(&trk_lock);
    trk_disable(tc);
    reg_del(tc);
    atomic_store(&c->trk, NULL);
    omk_mutex_unlock(&trk_lock);
    omk_free(tc);
}

char *tracking_flags_letters(const struct client *c, char *p)
{
    struct trk_client *tc;
    int fl = 0;

    omk_mutex_lock(&trk_lock);
    tc = atomic_load(&c->trk);
    if (tc)
        fl = atomic_load(&tc->flags);
    omk_mutex_unlock(&trk_lock);
    if (fl & TRK_ON)
        *p++ = 't';
    if (fl & TRK_BROKEN)
        *p++ = 'R';
    if (fl & TRK_BCAST)
        *p++ = 'B';
    return p;
}

long long tracking_redir(const struct client *c)
{
    struct trk_client *tc;
    long long r = -1;

    omk_mutex_lock(&trk_lock);
    tc = atomic_load(&c->trk);
    if (tc && (atomic_load(&tc->flags) & TRK_ON))
        r = (long long)tc->redir;
    omk_mutex_unlock(&trk_lock);
    return r;
}

void tracking_stats(struct tracking_stats *out)
{
    out->clients = atomic_load(&trk_nclients);
    out->keys = atomic_load(&trk_nkeys);
    out->items = atomic_load(&trk_nitems);
    out->prefixes = atomic_load(&trk_nprefixes);
}

/* ---- the CLIENT subcommands ------------------------------------------------------------ */

/* Register client 'id' as a redirect target if it is connected, on whichever worker.
 * Returns 1 if it is. Holding its worker's clients_lock keeps it alive meanwhile. */
static int trk_register_target(uint64_t id)
{
    for (int i = 0; i < server.nworkers; i++) {
        struct worker *w = &server.workers[i];
        int found = 0;

        omk_mutex_lock(&w->clients_lock);
        for (struct client *x = w->clients; x && !found; x = x->next) {
            if (x->id != id)
                continue;
            found = 1;
            omk_mutex_lock(&trk_lock);
            if (!atomic_load(&x->trk))
                reg_add(x, atomic_load_explicit(&x->snap.proto, memory_order_relaxed));
            omk_mutex_unlock(&trk_lock);
        }
        omk_mutex_unlock(&w->clients_lock);
        if (found)
            return 1;
    }
    return 0;
}

/* Whether prefixes 'a' and 'b' would both match some key: one starts the other. */
static int prefix_overlap(const char *a, size_t alen, const char *b, size_t blen)
{
    return memcmp(a, b, alen < blen ? alen : blen) == 0;
}

/* Redis' checkPrefixCollisionsOrReply: the new 'px' ('n' of them) against those 'tc'
 * follows and against each other. Returns 1, or 0 after replying the error (trk_lock
 * held). */
static int trk_prefixes_ok_or_reply(struct client *c, const struct trk_client *tc,
                                    const struct omk_slice *px, int n)
{
    for (int i = 0; i < n; i++) {
        for (size_t j = 0; tc && j < tc->npfx; j++) {
            const struct trk_prefix *o = tc->pfx[j];

            if (prefix_overlap(o->name, o->len, px[i].p, px[i].len)) {
                reply_error_fmt(c, "ERR Prefix '%.*s' overlaps with an existing prefix '%.*s'. "
                                   "Prefixes for a single client must not overlap.",
                                (int)px[i].len, px[i].p, (int)o->len, o->name);
                return 0;
            }
        }
        for (int j = i + 1; j < n; j++) {
            if (prefix_overlap(px[i].p, px[i].len, px[j].p, px[j].len)) {
                reply_error_fmt(c, "ERR Prefix '%.*s' overlaps with another provided prefix "
                                   "'%.*s'. Prefixes for a single client must not overlap.",
                                (int)px[i].len, px[i].p, (int)px[j].len, px[j].p);
                return 0;
            }
        }
    }
    return 1;
}

/* CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP],
 * checked in Redis 7.0's order: each option as it comes (REDIRECT's id must be connected
 * now), then ON's compatibility rules, then the prefixes. */
void tracking_client_tracking(struct client *c)
{
    struct omk_slice *px = omk_malloc((size_t)c->argc * sizeof(*px));
    long long redir = 0;
    int opts = 0, npx = 0, cur;
    struct trk_client *tc;

    for (int j = 3; j < c->argc; j++) {
        int more = c->argc - 1 - j;

        if (cmd_arg_is(c, j, "redirect") && more) {
            j++;
            if (redir != 0) {
                reply_error(c, "ERR A client can only redirect to a single other client");
                goto out;
            }
            if (!omk_str2ll(c->argv[j].p, c->argv[j].len, &redir)) {
                reply_err_not_int(c);
                goto out;
            }
            if (redir <= 0 || !trk_register_target((uint64_t)redir)) {
                reply_error(c, "ERR The client ID you want redirect to does not exist");
                goto out;
            }
        } else if (cmd_arg_is(c, j, "bcast")) {
            opts |= TRK_BCAST;
        } else if (cmd_arg_is(c, j, "optin")) {
            opts |= TRK_OPTIN;
        } else if (cmd_arg_is(c, j, "optout")) {
            opts |= TRK_OPTOUT;
        } else if (cmd_arg_is(c, j, "noloop")) {
            opts |= TRK_NOLOOP;
        } else if (cmd_arg_is(c, j, "prefix") && more) {
            px[npx++] = c->argv[++j];
        } else {
            reply_err_syntax(c);
            goto out;
        }
    }
    if (cmd_arg_is(c, 2, "off")) {
        tc = atomic_load(&c->trk);
        if (tc) {
            omk_mutex_lock(&trk_lock);
            trk_disable(tc);
            omk_mutex_unlock(&trk_lock);
        }
        reply_ok(c);
        goto out;
    }
    if (!cmd_arg_is(c, 2, "on")) {
        reply_err_syntax(c);
        goto out;
    }
    tc = atomic_load(&c->trk);
    cur = tc ? atomic_load(&tc->flags) : 0;
    if (!(opts & TRK_BCAST) && npx) {
        reply_error(c, "ERR PREFIX option requires BCAST mode to be enabled");
        goto out;
    }
    if ((cur & TRK_ON) && !!(cur & TRK_BCAST) != !!(opts & TRK_BCAST)) {
        reply_error(c, "ERR You can't switch BCAST mode on/off before disabling tracking for "
                       "this client, and then re-enabling it with a different mode.");
        goto out;
    }
    if ((opts & TRK_BCAST) && (opts & (TRK_OPTIN | TRK_OPTOUT))) {
        reply_error(c, "ERR OPTIN and OPTOUT are not compatible with BCAST");
        goto out;
    }
    if ((opts & TRK_OPTIN) && (opts & TRK_OPTOUT)) {
        reply_error(c, "ERR You can't specify both OPTIN mode and OPTOUT mode");
        goto out;
    }
    if (((opts & TRK_OPTIN) && (cur & TRK_OPTOUT)) || ((opts & TRK_OPTOUT) && (cur & TRK_OPTIN))) {
        reply_error(c, "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for "
                       "this client, and then re-enabling it with a different mode.");
        goto out;
    }
    omk_mutex_lock(&trk_lock);
    if ((opts & TRK_BCAST) && !trk_prefixes_ok_or_reply(c, tc, px, npx)) {
        omk_mutex_unlock(&trk_lock);
        goto out;
    }
    tc = trk_client_of(c);
    if (!(atomic_load(&tc->flags) & TRK_ON))
        atomic_fetch_add(&trk_nclients, 1);
    atomic_store(&tc->flags, TRK_ON | (opts & (TRK_BCAST | TRK_OPTIN | TRK_OPTOUT | TRK_NOLOOP)));
    tc->redir = (uint64_t)redir;
    if (opts & TRK_BCAST) {
        if (npx == 0)
            prefix_follow(tc, "", 0);
        for (int i = 0; i < npx; i++)
            prefix_follow(tc, px[i].p, px[i].len);
    }
    omk_mutex_unlock(&trk_lock);
    reply_ok(c);
out:
    omk_free(px);
}

/* CLIENT CACHING YES|NO: the next command (or transaction) is tracked (OPTIN) or not
 * (OPTOUT) against the mode's default. */
void tracking_client_caching(struct client *c)
{
    struct trk_client *tc = atomic_load(&c->trk);
    int fl = tc ? atomic_load(&tc->flags) : 0;

    if (!(fl & TRK_ON)) {
        reply_error(c, "ERR CLIENT CACHING can be called only when the client is in tracking "
                       "mode with OPTIN or OPTOUT mode enabled");
    } else if (cmd_arg_is(c, 2, "yes")) {
        if (fl & TRK_OPTIN) {
            tc->caching = 1;
            reply_ok(c);
        } else {
            reply_error(c, "ERR CLIENT CACHING YES is only valid when tracking is enabled in "
                           "OPTIN mode.");
        }
    } else if (cmd_arg_is(c, 2, "no")) {
        if (fl & TRK_OPTOUT) {
            tc->caching = 1;
            reply_ok(c);
        } else {
            reply_error(c, "ERR CLIENT CACHING NO is only valid when tracking is enabled in "
                           "OPTOUT mode.");
        }
    } else {
        reply_err_syntax(c);
    }
}

/* CLIENT GETREDIR: the REDIRECT id, 0 without one, -1 when tracking is off. */
void tracking_client_getredir(struct client *c)
{
    reply_int(c, tracking_redir(c));
}

/* CLIENT TRACKINGINFO: {flags: set, redirect: id, prefixes: array}, as Redis 7.0. */
void tracking_client_trackinginfo(struct client *c)
{
    struct trk_client *tc = atomic_load(&c->trk);
    const char *words[8];
    int n = 0, fl;

    omk_mutex_lock(&trk_lock);
    fl = tc ? atomic_load(&tc->flags) : 0;
    words[n++] = fl & TRK_ON ? "on" : "off";
    if (fl & TRK_BCAST)
        words[n++] = "bcast";
    if (fl & TRK_OPTIN) {
        words[n++] = "optin";
        if (tc->caching)
            words[n++] = "caching-yes";
    }
    if (fl & TRK_OPTOUT) {
        words[n++] = "optout";
        if (tc->caching)
            words[n++] = "caching-no";
    }
    if (fl & TRK_NOLOOP)
        words[n++] = "noloop";
    if (fl & TRK_BROKEN)
        words[n++] = "broken_redirect";
    reply_map_len(c, 3);
    reply_bulk_cstr(c, "flags");
    reply_set_len(c, n);
    for (int i = 0; i < n; i++)
        reply_bulk_cstr(c, words[i]);
    reply_bulk_cstr(c, "redirect");
    reply_int(c, fl & TRK_ON ? (long long)tc->redir : -1);
    reply_bulk_cstr(c, "prefixes");
    reply_array_len(c, tc ? (long long)tc->npfx : 0);
    for (size_t i = 0; tc && i < tc->npfx; i++)
        reply_bulk(c, tc->pfx[i]->name, tc->pfx[i]->len);
    omk_mutex_unlock(&trk_lock);
}
