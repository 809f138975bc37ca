/* blocking.c - parked clients of the blocking pops and the registry that wakes them: a
 * hash table of the (db, key) pairs clients wait on, each with the FIFO of its waiters in
 * the order they blocked, under one mutex held only for list operations. It sits beside
 * the command path: a handler (cmd_list.c, cmd_sorted_set.c) that finds nothing to pop
 * calls blocking_end(), which parks the client here; the store's touch hook says which
 * keys changed; the owner worker of a woken client runs the handler again.
 *
 * HOW A KEY WAKES ITS WAITERS. Each waited key has at most one "turn" (its 'token'): the
 * waiter whose worker has been asked to try its pop on that key. A touch of the key (any
 * committed change: a push, RENAME, MOVE, COPY, LMOVE, SORT STORE, Z*STORE, EXEC, a
 * delete too) gives the turn to the first waiter of the FIFO if nobody has it, else only
 * marks the key 'dirty'. The owner worker of the waiter with the turn runs its handler in
 * the served form (blocking_pop.served: pop from that key alone, through pass.c like any
 * command, so the reply waits for the log like any reply of a write):
 *   - it popped: it replies and leaves every FIFO; a turn it held goes to the new first
 *     waiter. Its own pop touched the key, so LPUSH k a b c serves three waiters c, b, a
 *     in the order they blocked, one after the other;
 *   - the key was dirty meanwhile: the turn goes back to the first waiter (a change may
 *     have come after its pop looked);
 *   - the key holds another type: the turn moves to the next waiter of the other kind (a
 *     BZPOPMIN behind BLPOPs on a key that became a sorted set; the BLPOPs behind would
 *     fail alike); past the last one the key is 'stale', and the next client to park on
 *     it takes a look;
 *   - the key was missing: nobody has the turn until the next touch.
 * A waiter that leaves holding a turn (timeout, CLIENT UNBLOCK, disconnect) passes it to
 * the new first waiter, so no wake-up is lost; a client that parks as the first waiter
 * of a key, or on a stale key, takes the turn at once, since the key may have changed
 * between its pop and its parking, when nobody was there to be woken.
 *
 * Every state change of a parked client happens on its owner thread: the serving, its
 * timer, CLIENT UNBLOCK (another thread only flags it and wakes the owner, as CLIENT KILL
 * does) and conn_free. So a pop, a timeout, an unblock and a disconnect never both take
 * effect, and an element is never lost or served twice.
 *
 * The one way this differs from Redis' single thread: Redis serves the waiters of a key
 * right after the command, EXEC or script that pushed, before any other command runs.
 * Here the waiter's worker pops a moment later, so between the push and that pop a
 * command of another connection on another worker may take the element first (it is
 * then served to that command only: never lost, never duplicated), and the waiter stays
 * parked. An EXEC holds every exec lane, so no waiter pops before it has finished.
 *
 * Lock order: a store stripe (the touch hook runs under it), then blocking_mu. Nothing
 * calls the store, or waits on anything, while holding blocking_mu; the one system call
 * under it is the pipe write that wakes a worker, and each worker has at most one such
 * wake-up outstanding (bready_woken), so that pipe never fills because of it. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "daemon/blocking.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/multi.h"
#include "daemon/pass.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

#define BLOCKING_BUCKETS 4096         /* a power of two */
#define BLOCKING_SERVE_BUDGET 256     /* clients served per wake-up before the loop runs */
#define BLOCKING_FOREVER_MS ((int64_t)1 << 42) /* 139 years: as good as forever, no timer */
#define BLOCKING_SMALL 8              /* keys a client holds turns on, without a malloc */

static const char blocking_unblocked_err[] = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

struct bkey;
struct block;

/* One client waiting on one key: an entry of the key's FIFO. */
struct bwait {
    struct block *b;
    struct bkey *k;
    struct bwait *prev, *next; /* k's FIFO (blocking_mu) */
    uint64_t granted;          /* when it got the key's turn, for serving in that order
                                * (blocking_mu) */
    int other_type;            /* its last try found the key of another type (owner) */
};

/* A key some client waits on: in the hash table while its FIFO is not empty. */
struct bkey {
    struct bkey *hnext;      /* bucket chain (blocking_mu) */
    unsigned bucket;
    int db;
    struct bwait *head, *tail; /* waiters, first blocked first (blocking_mu) */
    struct bwait *token;     /* the waiter whose turn it is, or NULL (blocking_mu) */
    int dirty;               /* touched since 'token' was given (blocking_mu) */
    int stale;               /* holds another type than every waiter tried (blocking_mu) */
    struct block *marker;    /* the block being registered on it (blocking_mu) */
    size_t klen;
    char key[];              /* immutable */
};

/* A parked client. Created by block_park(), freed by block_unpark(), both on the owner
 * thread; fields marked (blocking_mu) are also read or written by other threads under
 * the mutex. */
struct block {
    struct client *c;
    struct worker *w;
    uint64_t id;                 /* c->id, for CLIENT UNBLOCK */
    const struct cmd_def *d;     /* the command, run again to serve it */
    int zset;                    /* it pops sorted sets (else lists): waiters of one kind
                                  * meet a key of another type alike */
    int argc;
    struct omk_slice *argv;      /* its arguments, copied into one allocation */
    size_t nwaits;
    struct bwait *waits;         /* one per distinct key */
    struct event *timer;         /* its timeout, or NULL (forever) */
    struct block *prev, *next;   /* the parked list (blocking_mu) */
    struct block *qprev, *qnext; /* w's queue of woken clients (blocking_mu) */
    int queued;                  /* in that queue (blocking_mu) */
    int unblock_req;             /* 0, or CLIENT UNBLOCK's BLOCK_UNBLOCK_* (blocking_mu) */
    struct bwait *serving;       /* the key a served run pops from (owner) */
    int kept;                    /* the served run popped nothing (owner) */
};

enum { BLOCK_UNBLOCK_TIMEOUT = 1, BLOCK_UNBLOCK_ERROR = 2 };

static pthread_mutex_t blocking_mu = PTHREAD_MUTEX_INITIALIZER;
static struct bkey *bk_table[BLOCKING_BUCKETS]; /* blocking_mu */
/* Keys waited on, per bucket and in all: written under blocking_mu, read by the touch
 * hook without it (see blocking_touched for why a stale zero loses nothing). */
static _Atomic unsigned bk_bucket_keys[BLOCKING_BUCKETS];
static _Atomic long bk_total;
static struct block *parked;     /* every parked client (blocking_mu) */
static uint64_t grant_seq;       /* blocking_mu */
static _Atomic long parked_count;

/* ---- Timeouts ---- */

int blocking_begin_or_reply(struct client *c, struct omk_slice timeout,
                            const struct omk_slice *keys, size_t nkeys, struct blocking_pop *bp)
{
    long double secs, ms;
    struct block *b = c->block;

    memset(bp, 0, sizeof(*bp));
    if (!omk_str2ld(timeout.p, timeout.len, &secs)) {
        reply_error(c, "ERR timeout is not a float or out of range");
        return 0;
    }
    /* Redis 7.0 rounds up to whole ms and converts to a 64-bit integer; a value past that
     * range (inf, 1e16 seconds) comes out as the lowest integer on x86: "negative". So
     * -0.0001 means 0 (forever) there, and 0.0001 one ms. */
    ms = ceill(secs * 1000.0L);
    if (ms >= 0x1p63L || ms < -0x1p63L || ms < 0) {
        reply_error(c, "ERR timeout is negative");
        return 0;
    }
    bp->timeout_ms = (int64_t)ms;
    bp->keys = keys;
    bp->nkeys = nkeys;
    if (b && b->serving) {
        bp->served = 1;
        bp->ready.p = b->serving->k->key;
        bp->ready.len = b->serving->k->klen;
        bp->keys = &bp->ready;
        bp->nkeys = 1;
    }
    return 1;
}

/* ---- The registry (blocking_mu held by every function of this section) ---- */

static unsigned bk_bucket(int db, const char *key, size_t klen)
{
    return (unsigned)(omk_hash(key, klen) ^ (uint64_t)(unsigned)db * 0x9e3779b97f4a7c15ULL) &
           (BLOCKING_BUCKETS - 1);
}

/* The waited key (db, key), or NULL. */
static struct bkey *bk_find(int db, const char *key, size_t klen, unsigned h)
{
    for (struct bkey *k = bk_table[h]; k; k = k->hnext)
        if (k->db == db && k->klen == klen && memcmp(k->key, key, klen) == 0)
            return k;
    return NULL;
}

/* The waited key (db, key), created with an empty FIFO if missing. */
static struct bkey *bk_get(int db, struct omk_slice key)
{
    unsigned h = bk_bucket(db, key.p, key.len);
    struct bkey *k = bk_find(db, key.p, key.len, h);

    if (k)
        return k;
    k = omk_calloc(1, sizeof(*k) + key.len + 1);
    k->bucket = h;
    k->db = db;
    k->klen = key.len;
    memcpy(k->key, key.p, key.len);
    k->hnext = bk_table[h];
    bk_table[h] = k;
    atomic_fetch_add(&bk_bucket_keys[h], 1);
    atomic_fetch_add(&bk_total, 1);
    return k;
}

/* Free 'k', whose FIFO is empty. */
static void bk_free(struct bkey *k)
{
    struct bkey **pp = &bk_table[k->bucket];

    OMK_ASSERT(!k->head && !k->token);
    while (*pp != k)
        pp = &(*pp)->hnext;
    *pp = k->hnext;
    atomic_fetch_sub(&bk_bucket_keys[k->bucket], 1);
    atomic_fetch_sub(&bk_total, 1);
    omk_free(k);
}

/* Put 'b' at the end of its worker's queue of woken clients (once), and wake the worker
 * if no wake-up is on its way (see the lock order above). */
static void block_enqueue(struct block *b)
{
    struct worker *w = b->w;

    if (b->queued)
        return;
    b->queued = 1;
    b->qnext = NULL;
    b->qprev = w->bready_tail;
    if (w->bready_tail)
        w->bready_tail->qnext = b;
    else
        w->bready = b;
    w->bready_tail = b;
    if (!w->bready_woken) {
        w->bready_woken = 1;
        worker_wake_blocked(w);
    }
}

/* Take 'b' out of its worker's queue. */
static void block_dequeue(struct block *b)
{
    struct worker *w = b->w;

    if (!b->queued)
        return;
    if (b->qprev)
        b->qprev->qnext = b->qnext;
    else
        w->bready = b->qnext;
    if (b->qnext)
        b->qnext->qprev = b->qprev;
    else
        w->bready_tail = b->qprev;
    b->qprev = b->qnext = NULL;
    b->queued = 0;
}

/* Give key 'k''s turn to waiter 'wt' (NULL: to nobody) and wake its owner. */
static void bk_grant(struct bkey *k, struct bwait *wt)
{
    k->token = wt;
    k->dirty = 0;
    k->stale = 0;
    if (!wt)
        return;
    wt->granted = ++grant_seq;
    block_enqueue(wt->b);
}

/* Key 'k' changed: wake its first waiter, or tell the waiter whose turn it is. */
static void bk_touch(struct bkey *k)
{
    if (k->token)
        k->dirty = 1;
    else
        bk_grant(k, k->head);
}

/* ---- Parking and leaving (owner thread) ---- */

static void block_timeout_cb(evutil_socket_t fd, short what, void *arg);

/* Park 'c' on the keys of first run 'bp': copy its arguments, queue it behind the
 * clients already waiting on each key, arm its timer. */
static void block_park(struct client *c, const struct blocking_pop *bp)
{
    struct block *b = omk_calloc(1, sizeof(*b));
    int idx = atomic_load_explicit(&c->last_cmd_idx, memory_order_relaxed);
    size_t bytes = 0;
    char *p;

    OMK_ASSERT(idx >= 0 && !c->block && bp->nkeys > 0);
    b->c = c;
    b->w = c->worker;
    b->id = c->id;
    b->d = &cmd_table[idx];
    b->zset = strcmp(b->d->group, "list") != 0;
    b->argc = c->argc;
    for (int i = 0; i < c->argc; i++)
        bytes += c->argv[i].len;
    b->argv = omk_malloc((size_t)c->argc * sizeof(*b->argv) + bytes + 1);
    p = (char *)(b->argv + c->argc);
    for (int i = 0; i < c->argc; i++) {
        memcpy(p, c->argv[i].p, c->argv[i].len);
        b->argv[i] = (struct omk_slice){p, c->argv[i].len};
        p += c->argv[i].len;
    }
    b->waits = omk_calloc(bp->nkeys, sizeof(*b->waits));
    if (bp->timeout_ms > 0 && bp->timeout_ms < BLOCKING_FOREVER_MS) {
        struct timeval tv;

        tv.tv_sec = (time_t)(bp->timeout_ms / 1000);
        tv.tv_usec = (long)(bp->timeout_ms % 1000) * 1000;
        b->timer = evtimer_new(c->worker->base, block_timeout_cb, b);
        OMK_ASSERT(b->timer != NULL);
        evtimer_add(b->timer, &tv);
    }
    c->block = b;
    atomic_store(&c->parked, 1);

    omk_mutex_lock(&blocking_mu);
    b->next = parked;
    if (parked)
        parked->prev = b;
    parked = b;
    for (size_t i = 0; i < bp->nkeys; i++) {
        struct bkey *k = bk_get(c->db, bp->keys[i]);
        struct bwait *wt;

        if (k->marker == b) /* a key named twice waits once, as in Redis */
            continue;
        k->marker = b;
        wt = &b->waits[b->nwaits++];
        wt->b = b;
        wt->k = k;
        wt->prev = k->tail;
        if (k->tail)
            k->tail->next = wt;
        else
            k->head = wt;
        k->tail = wt;
        /* A push between this client's pop and now found nobody to wake; on a stale key
         * every earlier waiter has tried and failed since its last change. */
        if (!k->token && (k->head == wt || k->stale))
            bk_grant(k, wt);
    }
    for (size_t i = 0; i < b->nwaits; i++)
        b->waits[i].k->marker = NULL;
    omk_mutex_unlock(&blocking_mu);
    atomic_fetch_add(&parked_count, 1);
    conn_apply_timeout(c); /* a parked client is never idle-closed, as in Redis */
}

/* End c's parking: leave every FIFO (passing on the turns 'b' held), free 'b', and
 * with 'resume' run the requests that came meanwhile. Owner thread. */
static void block_unpark(struct block *b, int resume)
{
    struct client *c = b->c;

    omk_mutex_lock(&blocking_mu);
    for (size_t i = 0; i < b->nwaits; i++) {
        struct bwait *wt = &b->waits[i];
        struct bkey *k = wt->k;

        if (wt->prev)
            wt->prev->next = wt->next;
        else
            k->head = wt->next;
        if (wt->next)
            wt->next->prev = wt->prev;
        else
            k->tail = wt->prev;
        if (k->token == wt)
            bk_grant(k, k->head);
        if (!k->head)
            bk_free(k);
    }
    block_dequeue(b);
    if (b->prev)
        b->prev->next = b->next;
    else
        parked = b->next;
    if (b->next)
        b->next->prev = b->prev;
    omk_mutex_unlock(&blocking_mu);
    atomic_fetch_sub(&parked_count, 1);

    if (b->timer)
        event_free(b->timer);
    omk_free(b->argv);
    omk_free(b->waits);
    omk_free(b);
    c->block = NULL;
    atomic_store(&c->parked, 0);
    c->argc = 0; /* a served run left them pointing into the copy */
    c->argv = NULL;
    if (resume)
        conn_unparked(c);
}

/* The reply of a parked client that CLIENT UNBLOCK ('req') ended, then its resumption. */
static void block_answer_unblock(struct block *b, int req)
{
    struct client *c = b->c;

    pass_hold(c);
    if (req == BLOCK_UNBLOCK_ERROR)
        reply_error(c, blocking_unblocked_err);
    else
        reply_null_array(c);
    block_unpark(b, 1);
}

/* Its timeout passed: a null array, as Redis 7.0 answers every blocked pop. */
static void block_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct block *b = arg;

    OMK_UNUSED(fd);
    OMK_UNUSED(what);
    pass_hold(b->c);
    reply_null_array(b->c);
    block_unpark(b, 1);
}

/* ---- Serving (owner thread) ---- */

/* pass_run()'s function for a served run: the parked command's handler, on its copied
 * arguments, under the exec lane as cmd_execute() holds it. The statistics counted the
 * call when it first ran. */
static void block_run(struct client *c)
{
    struct block *b = c->block;

    c->argc = b->argc;
    c->argv = b->argv;
    multi_cmd_lock(c);
    b->d->proc(c);
    multi_cmd_unlock(c);
    atomic_store_explicit(&c->last_us, omk_mono_us(), memory_order_relaxed);
}

/* qsort() order of waiters by the time they got their key's turn (blocking_mu). */
static int bwait_cmp_granted(const void *a, const void *b)
{
    uint64_t x = (*(struct bwait *const *)a)->granted, y = (*(struct bwait *const *)b)->granted;

    return (x > y) - (x < y);
}

/* Serve woken client 'b': answer CLIENT UNBLOCK, or try its pop on each key whose turn it
 * holds, in the order it got them, until one pops; then pass on or give back the turns
 * of the keys where it popped nothing (see HOW A KEY WAKES ITS WAITERS). */
static void block_serve(struct block *b)
{
    struct bwait *small[BLOCKING_SMALL], **turns = small;
    size_t n = 0;
    int req, served = 0;

    if (b->nwaits > BLOCKING_SMALL)
        turns = omk_malloc(b->nwaits * sizeof(*turns));
    omk_mutex_lock(&blocking_mu);
    req = b->unblock_req;
    for (size_t i = 0; i < b->nwaits; i++) {
        if (b->waits[i].k->token != &b->waits[i])
            continue;
        b->waits[i].k->dirty = 0;
        turns[n++] = &b->waits[i];
    }
    if (n > 1)
        qsort(turns, n, sizeof(*turns), bwait_cmp_granted);
    omk_mutex_unlock(&blocking_mu);
    if (req) {
        if (turns != small)
            omk_free(turns);
        block_answer_unblock(b, req); /* passes the turns on */
        return;
    }
    for (size_t i = 0; i < n && !served; i++) {
        b->serving = turns[i];
        b->kept = 0;
        turns[i]->other_type = 0;
        pass_hold(b->c);
        pass_run(b->c, block_run);
        b->serving = NULL;
        served = !b->kept;
    }
    if (served) {
        if (turns != small)
            omk_free(turns);
        block_unpark(b, 1);
        return;
    }
    b->c->argc = 0;
    b->c->argv = NULL;
    omk_mutex_lock(&blocking_mu);
    for (size_t i = 0; i < n; i++) {
        struct bwait *wt = turns[i];
        struct bkey *k = wt->k;

        OMK_ASSERT(k->token == wt); /* only this thread moves a turn of its own waiter */
        if (k->dirty) {
            bk_grant(k, k->head);
        } else if (wt->other_type) { /* the next waiter of the other kind may pop */
            struct bwait *next = wt->next;

            while (next && next->b->zset == b->zset)
                next = next->next;
            bk_grant(k, next);
            k->stale = next == NULL;
        } else {
            bk_grant(k, NULL);
        }
    }
    req = b->unblock_req;
    omk_mutex_unlock(&blocking_mu);
    if (turns != small)
        omk_free(turns);
    if (req)
        block_answer_unblock(b, req);
}

void blocking_serve_ready(struct worker *w)
{
    omk_mutex_lock(&blocking_mu);
    w->bready_woken = 0;
    omk_mutex_unlock(&blocking_mu);
    for (int budget = BLOCKING_SERVE_BUDGET; budget > 0; budget--) {
        struct block *b;

        omk_mutex_lock(&blocking_mu);
        b = w->bready;
        if (b)
            block_dequeue(b);
        omk_mutex_unlock(&blocking_mu);
        if (!b)
            return;
        block_serve(b);
    }
    /* More are woken than one callback serves: the rest after the loop's other events. */
    omk_mutex_lock(&blocking_mu);
    if (w->bready && !w->bready_woken) {
        w->bready_woken = 1;
        worker_wake_blocked(w);
    }
    omk_mutex_unlock(&blocking_mu);
}

/* ---- The rest of the API ---- */

void blocking_end(struct client *c, const struct blocking_pop *bp, int rc,
                  enum blocking_null multi_null)
{
    OMK_ASSERT(rc != STORE_OK);
    if (bp->served && (rc == STORE_NOTFOUND || rc == STORE_WRONGTYPE)) {
        c->block->kept = 1;
        c->block->serving->other_type = rc == STORE_WRONGTYPE;
        return;
    }
    if (rc != STORE_NOTFOUND) {
        reply_err_store(c, rc);
        return;
    }
    if (c->flags & CLIENT_DENY_BLOCKING) { /* inside EXEC: answer as on a timeout */
        if (multi_null == BLOCKING_NULL_BULK)
            reply_null(c);
        else
            reply_null_array(c);
        return;
    }
    block_park(c, bp);
}

int blocking_parked(const struct client *c)
{
    return c->block != NULL;
}

void blocking_touched(int db, const char *key, size_t klen)
{
    /* A touch that reads a zero here misses only keys registered after its write was
     * committed: the client registering them popped before that write, and parks as the
     * first waiter (taking the turn) or behind one that will be woken. */
    if (key) {
        unsigned h = bk_bucket(db, key, klen);
        struct bkey *k;

        if (atomic_load(&bk_bucket_keys[h]) == 0)
            return;
        omk_mutex_lock(&blocking_mu);
        k = bk_find(db, key, klen, h);
        if (k)
            bk_touch(k);
        omk_mutex_unlock(&blocking_mu);
        return;
    }
    if (atomic_load(&bk_total) == 0)
        return;
    omk_mutex_lock(&blocking_mu);
    for (unsigned h = 0; h < BLOCKING_BUCKETS; h++)
        for (struct bkey *k = bk_table[h]; k; k = k->hnext)
            if (db < 0 || k->db == db)
                bk_touch(k);
    omk_mutex_unlock(&blocking_mu);
}

void blocking_forget(struct client *c)
{
    if (c->block)
        block_unpark(c->block, 0);
}

int blocking_unblock(uint64_t id, int error)
{
    int found = 0;

    omk_mutex_lock(&blocking_mu);
    for (struct block *b = parked; b; b = b->next) {
        if (b->id != id)
            continue;
        if (!b->unblock_req) {
            b->unblock_req = error ? BLOCK_UNBLOCK_ERROR : BLOCK_UNBLOCK_TIMEOUT;
            block_enqueue(b);
            found = 1;
        }
        break;
    }
    omk_mutex_unlock(&blocking_mu);
    return found;
}

long blocking_count(void)
{
    return atomic_load(&parked_count);
}
