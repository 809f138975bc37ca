/* blocking.c - parked clients of the blocking pops and the registry that serves them: a
 * hash table of the (db, key) pairs clients wait on, each with the FIFO of its waiters in
 * the order they blocked, under one mutex held only for list operations. A handler
 * (cmd_list.c, cmd_sorted_set.c) that finds nothing to pop calls blocking_end(), which
 * parks the client here; the store's touch hook says which keys changed; the thread that
 * changed them serves their waiters before the command that changed them has replied.
 *
 * HOW WAITERS ARE SERVED (Redis 7.0's handleClientsBlockedOnKeys, on many threads).
 * A key becomes ready when a committed change creates a list or sorted set there (a
 * push, RENAME, MOVE, COPY, LMOVE, SORT STORE, Z*STORE ...) while clients wait on it: it
 * joins, once, the end of the one ready list (blocking_mu). Keys are served by one
 * thread at a time, the holder of 'blocking_serve_mu', always a worker that made keys
 * ready (or was sent the keys another thread made ready): when its command has run (a
 * whole EXEC or script, after its last command; cmd.c, multi.c, script.c), still under
 * the command's exec lane, before its reply can leave and before that connection's next
 * request runs, it takes the keys in the order they became ready until the list is
 * empty. A worker that made keys ready while another serves waits for that one to finish
 * (which may have served its keys too) before it replies. For each key it reads the
 * type once, then goes over the key's FIFO as Redis 7.0 does: a waiter of the other kind
 * (a sorted-set pop on a list, a list pop on a sorted set) is passed over and keeps its
 * place; a waiter of the key's kind is claimed, its handler run in its served form
 * (blocking_pop.served: pop from that key alone) on a stand-in client whose output is a
 * buffer of its own, and that buffer handed to the waiter's own worker, which writes it
 * (the waiter's connection belongs to that worker); once a pop has emptied the key (it
 * no longer holds its type), the key's turn ends. A pop that serves
 * a BLMOVE and creates its destination makes that key ready: it joins the end of the
 * same list and is served in the same loop, after the keys before it, so a client parked
 * on both the source and the destination is served from the source when it reaches the
 * head of the source's FIFO, as in Redis. A pop that finds nothing (the key was emptied
 * by a command of another worker since its type was read) also ends the key's turn; the
 * waiter stays parked.
 *
 * CLAIMS. A parked client is WAITING, SERVING (the serving thread is running its pop) or
 * DONE (it left every FIFO: served, timed out, unblocked or gone), under the mutex. Only
 * a WAITING client is claimed; whoever finds it SERVING (its timer, CLIENT UNBLOCK, its
 * disconnect) waits on 'blocking_cv' until the pop is over, then sees WAITING (the pop
 * found nothing: it may act) or DONE (served: the pop's reply is the one it gets). So a
 * pop, a timeout, an unblock and a disconnect never both take effect, and an element is
 * never lost or served twice. A SERVING claim is always released without waiting for
 * anything, so these waits cannot form a cycle.
 *
 * ONE SERVER AT A TIME. Serving the ready keys is atomic against other serving, as
 * Redis' single thread makes it: the keys one command made ready, and those their pops
 * make ready in turn, are served in one run of the loop, and no other thread serves a key
 * meanwhile. (With one ready list per worker, a worker that took a BLMOVE's destination
 * while another was still serving the source served a client parked on both from the
 * destination: clients/README.md kind 7.) A key changed by another thread while it is
 * being served joins the list again and is read once more.
 *
 * NO WAKE-UP IS LOST. A client that parks puts each of its keys in the ready list: a
 * write between its pop and its parking found nobody to serve, and this serves the
 * waiters (FIFO, so itself only after those before it) if the key now holds something.
 * Only then, when its own worker has served those keys, is it counted in INFO's
 * blocked_clients: a client that sees it counted and then pushes finds it in every FIFO
 * and nothing left to serve from its parking. A touch made by a thread that is not a
 * worker (the active-expiry thread, a resume) wakes a worker, which serves the list.
 *
 * The difference from Redis' single thread: between the end of the pushing command and
 * the served pops (microseconds on the pushing worker itself), a command of another
 * connection running on another worker at that instant may take the element first; the
 * waiter then stays parked. The pushing connection's own next request, and every
 * request that arrives after its reply, sees the waiters served.
 *
 * The served reply obeys the write path (pass.c): its worker holds it until the log
 * holds the pop (its pass's ticket covers every visible write), and answers it with an
 * error if that log write fails.
 *
 * Lock order: an exec lane (multi.c), then blocking_serve_mu, then a store stripe (the
 * touch hook runs under it), then blocking_mu. blocking_serve_mu is taken only after a
 * command, holding no stripe, by a thread that holds an exec lane: so no EXEC or script
 * runs while keys are served. Nothing calls the store while holding blocking_mu; the one
 * system call under it is the pipe write that wakes a worker, and each worker has at
 * most one such wake-up outstanding (bdone_woken), so that pipe never fills because of
 * it. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "daemon/blocking.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/multi.h"
#include "daemon/notify.h"
#include "daemon/pass.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

#define BLOCKING_BUCKETS 4096         /* a power of two */
#define BLOCKING_FOREVER_MS ((int64_t)1 << 42) /* 139 years: as good as forever, no timer */

static const char blocking_unblocked_err[] = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

struct bkey;
struct block;

/* One client waiting on one key: an entry of the key's FIFO (blocking_mu). */
struct bwait {
    struct block *b;
    struct bkey *k;
    struct bwait *prev, *next;
};

/* A key some client waits on: in the hash table while its FIFO is not empty, or while
 * it is in a ready list or being served. Every field but the key is under blocking_mu. */
struct bkey {
    struct bkey *hnext;        /* bucket chain */
    unsigned bucket;
    int db;
    struct bwait *head, *tail; /* waiters, first blocked first */
    struct bkey *rnext;        /* the next key of the ready list */
    int queued;                /* in the ready list */
    int busy;                  /* its waiters are being served */
    struct block *marker;      /* the block being registered on it */
    size_t klen;
    char key[];                /* immutable */
};

enum block_state { BLOCK_WAITING = 0, BLOCK_SERVING = 1, BLOCK_DONE = 2 };
enum { BLOCK_UNBLOCK_TIMEOUT = 1, BLOCK_UNBLOCK_ERROR = 2 };

/* A parked client. Created by block_park() and freed by block_free(), both on the owner
 * thread. Fields marked (blocking_mu) are read or written by other threads under the
 * mutex; (claim) ones only by the thread holding the SERVING claim. */
struct block {
    struct client *c;
    struct worker *w;            /* c's worker */
    uint64_t id;                 /* c->id, for CLIENT UNBLOCK */
    const struct cmd_def *d;     /* the command, run again to serve it */
    int zset;                    /* it pops sorted sets (else lists) */
    int db, proto;               /* c's, when it parked (a parked client changes neither) */
    int argc;
    struct omk_slice *argv;      /* its arguments, copied into one allocation */
    size_t nwaits;
    struct bwait *waits;         /* one per distinct key */
    struct event *timer;         /* its timeout, or NULL (forever); owner thread */
    int state;                   /* enum block_state (blocking_mu) */
    int counted;                 /* in parked_count: INFO's blocked_clients (blocking_mu) */
    struct block *prev, *next;   /* the parked list, while not DONE (blocking_mu) */
    struct block *qnext;         /* w's queue of DONE clients to finish (blocking_mu) */
    int queued;                  /* in that queue (blocking_mu) */
    int unblock_req;             /* CLIENT UNBLOCK's BLOCK_UNBLOCK_* that ended it */
    struct bwait *serving;       /* the key a served run pops from (claim) */
    int kept;                    /* the served run popped nothing (claim) */
    struct evbuffer *reply;      /* the served reply, once DONE by a pop, or NULL */
    int reply_wrote;             /* ... its pop committed a write (pass segment) */
    int reply_closing;           /* ... it passed the output limit: close the client */
};

static pthread_mutex_t blocking_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t blocking_cv = PTHREAD_COND_INITIALIZER; /* a SERVING claim ended */
static struct bkey *bk_table[BLOCKING_BUCKETS]; /* blocking_mu */
/* Keys waited on, per bucket and in all: written under blocking_mu, read by the touch
 * hook without it (see blocking_touched for why a stale zero loses nothing). */
static _Atomic unsigned bk_bucket_keys[BLOCKING_BUCKETS];
static _Atomic long bk_total;
static struct block *parked;     /* every client not DONE (blocking_mu) */
static _Atomic long parked_count; /* parked clients past their parking's serving */
/* The keys made ready and not served yet, first made ready first (blocking_mu). */
static struct bkey *ready_head, *ready_tail;
/* Held by the one thread serving the ready keys (see ONE SERVER AT A TIME). */
static pthread_mutex_t blocking_serve_mu = PTHREAD_MUTEX_INITIALIZER;

/* Whether this thread serves the keys it makes ready (a worker); whether it made keys
 * ready (or found them ready already) since it last served; the client it parked since
 * then, not counted yet. Owner thread only. */
static __thread int tl_server;
static __thread int tl_serving; /* holds blocking_serve_mu */
static __thread int tl_touched;
static __thread struct block *tl_fresh;

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

/* Free 'k' if nothing refers to it any more: no waiter, in no ready list, not served. */
static void bk_release(struct bkey *k)
{
    struct bkey **pp = &bk_table[k->bucket];

    if (k->head || k->queued || k->busy)
        return;
    while (*pp != k)
        pp = &(*pp)->hnext;
    *pp = k->hnext;
    atomic_fetch_sub(&bk_bucket_keys[k->bucket], 1);
    atomic_fetch_sub(&bk_total, 1);
    omk_free(k);
}

/* Wake worker 'w' to finish its DONE clients and take the shared ready list, unless a
 * wake-up is on its way (see the lock order above). */
static void block_wake(struct worker *w)
{
    if (!w->bdone_woken) {
        w->bdone_woken = 1;
        worker_wake_blocked(w);
    }
}

/* Key 'k' changed: put it at the end of the ready list, once. A change the serving thread
 * makes to the key it is serving (a BLMOVE from a key to itself) is part of that serving,
 * as in Redis, which does not signal a key its serving refills. A worker remembers that
 * it must serve (or wait for the one serving) before it replies; another thread wakes a
 * worker to serve. */
static void bk_ready(struct bkey *k)
{
    if (k->busy && tl_serving)
        return;
    if (!k->queued) {
        k->queued = 1;
        k->rnext = NULL;
        if (ready_tail)
            ready_tail->rnext = k;
        else
            ready_head = k;
        ready_tail = k;
    }
    if (tl_server)
        tl_touched = 1;
    else
        block_wake(k->head ? k->head->b->w : &server.workers[0]);
}

/* Put DONE client 'b' at the end of its worker's queue, and wake the worker. */
static void block_post(struct block *b)
{
    struct worker *w = b->w;

    OMK_ASSERT(b->state == BLOCK_DONE && !b->queued);
    b->queued = 1;
    b->qnext = NULL;
    if (w->bdone_tail)
        w->bdone_tail->qnext = b;
    else
        w->bdone = b;
    w->bdone_tail = b;
    block_wake(w);
}

/* Take 'b' out of its worker's queue (its owner is freeing it). */
static void block_unqueue(struct block *b)
{
    struct worker *w = b->w;
    struct block **pp = &w->bdone, *prev = NULL;

    if (!b->queued)
        return;
    while (*pp != b) {
        prev = *pp;
        pp = &(*pp)->qnext;
    }
    *pp = b->qnext;
    if (w->bdone_tail == b)
        w->bdone_tail = prev;
    b->queued = 0;
}

/* 'b' (WAITING) is done: out of every FIFO and the parked list, no longer counted. */
static void block_done(struct block *b)
{
    OMK_ASSERT(b->state == BLOCK_WAITING);
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
        bk_release(k);
    }
    if (b->prev)
        b->prev->next = b->next;
    else
        parked = b->next;
    if (b->next)
        b->next->prev = b->prev;
    b->state = BLOCK_DONE;
    if (b->counted) {
        b->counted = 0;
        atomic_fetch_sub(&parked_count, 1);
    }
}

/* Wait until 'b' is not SERVING (another thread is popping for it). Only c's owner may
 * call it: nobody else frees 'b' meanwhile. */
static void block_wait_claim(struct block *b)
{
    while (b->state == BLOCK_SERVING)
        omk_cond_wait(&blocking_cv, &blocking_mu);
}

/* ---- Serving (the thread that made the keys ready) ---- */

/* Run the served form of 'b''s command (claimed by this thread, popping from
 * b->serving) on a stand-in for its client: worker 'w''s scratch buffers, an output of
 * its own. Returns 1 with b->reply set if it answered (a pop, or an error such as a
 * BLMOVE destination of another type), 0 if it popped nothing. No lock held. */
static int block_run_served(struct worker *w, struct block *b)
{
    struct client s;
    uint64_t commits = store_thread_commits();

    memset(&s, 0, sizeof(s));
    s.id = b->id;
    s.worker = w;
    s.out = evbuffer_new();
    OMK_ASSERT(s.out != NULL);
    s.db = b->db;
    s.proto = b->proto;
    s.authenticated = 1;
    memcpy(s.addr, b->c->addr, sizeof(s.addr)); /* fixed since it connected: for logs */
    memcpy(s.laddr, b->c->laddr, sizeof(s.laddr));
    atomic_init(&s.last_cmd_idx, (int)(b->d - cmd_table));
    s.argc = b->argc;
    s.argv = b->argv;
    s.block = b;
    b->kept = 0;
    b->d->proc(&s);
    notify_command_end();
    if (b->kept) {
        evbuffer_free(s.out);
        return 0;
    }
    b->reply = s.out;
    b->reply_wrote = store_thread_commits() != commits;
    b->reply_closing = (s.flags & CLIENT_CLOSING) != 0;
    return 1;
}

/* The type of key 'k' (STORE_TYPE_LIST or STORE_TYPE_ZSET), or -1 if it holds neither
 * (missing, or of another type). Called with blocking_mu held; releases it around the
 * store call. */
static int bk_pop_type(struct bkey *k)
{
    struct store_keyinfo ki;
    int rc;

    omk_mutex_unlock(&blocking_mu);
    rc = store_keyinfo(server.store, k->db, (struct omk_slice){k->key, k->klen}, &ki);
    omk_mutex_lock(&blocking_mu);
    if (rc != STORE_OK || (ki.type != STORE_TYPE_LIST && ki.type != STORE_TYPE_ZSET))
        return -1;
    return ki.type;
}

/* Serve the waiters of 'k' (busy) as HOW WAITERS ARE SERVED says: those of the key's kind,
 * first blocked first, until a pop leaves the key without its type (or finds nothing).
 * Called and returns with blocking_mu held; releases it around every store call. */
static void bk_serve(struct worker *w, struct bkey *k)
{
    int type, zset;

    if (!k->head)
        return;
    type = bk_pop_type(k);
    if (type < 0)
        return;
    zset = type == STORE_TYPE_ZSET;
    for (;;) {
        struct bwait *wt = k->head;
        struct block *b;
        int answered;

        while (wt && wt->b->zset != zset) /* served ones have left: the next is first */
            wt = wt->next;
        if (!wt)
            return;
        b = wt->b;
        /* Only this thread claims (blocking_serve_mu), but a claim is waited out all the
         * same: the rule that makes the other waits safe. */
        if (b->state == BLOCK_SERVING) {
            omk_cond_wait(&blocking_cv, &blocking_mu);
            continue;
        }
        b->state = BLOCK_SERVING;
        b->serving = wt;
        omk_mutex_unlock(&blocking_mu);
        answered = block_run_served(w, b);
        omk_mutex_lock(&blocking_mu);
        b->serving = NULL;
        b->state = BLOCK_WAITING;
        if (answered) {
            block_done(b);
            block_post(b);
        }
        omk_cond_broadcast(&blocking_cv);
        if (!answered) /* emptied by another worker's command since the type was read */
            return;
        if (bk_pop_type(k) != type) /* the pop emptied it: Redis deleted it, and stops */
            return;
    }
}

int blocking_readied_pending(void)
{
    return tl_touched || tl_fresh != NULL;
}

/* Serve the ready list until it is empty (see HOW WAITERS ARE SERVED), then count the
 * client this thread parked if it is still parked. Worker 'w''s thread, holding an
 * exec lane. */
static void blocking_serve_all(struct worker *w)
{
    struct bkey *k;

    store_keep_stripes(0); /* another server may wait for them, holding blocking_serve_mu */
    omk_mutex_lock(&blocking_serve_mu);
    omk_mutex_lock(&blocking_mu);
    tl_serving = 1;
    while ((k = ready_head) != NULL) {
        ready_head = k->rnext;
        if (!ready_head)
            ready_tail = NULL;
        k->queued = 0;
        k->busy = 1;
        bk_serve(w, k);
        k->busy = 0;
        bk_release(k);
    }
    tl_serving = 0;
    tl_touched = 0;
    if (tl_fresh) {
        if (tl_fresh->state == BLOCK_WAITING) {
            tl_fresh->counted = 1;
            atomic_fetch_add(&parked_count, 1);
        }
        tl_fresh = NULL;
    }
    omk_mutex_unlock(&blocking_mu);
    omk_mutex_unlock(&blocking_serve_mu);
}

void blocking_serve_readied(struct worker *w)
{
    if (!tl_touched && !tl_fresh)
        return;
    blocking_serve_all(w);
}

void blocking_thread_init(void)
{
    tl_server = 1;
}

/* ---- Parking and leaving (owner thread) ---- */

static void block_timeout_cb(evutil_socket_t fd, short what, void *arg);

/* Park 'c' on the keys of first run 'bp': copy its arguments, queue it behind the
 * clients already waiting on each key, arm its timer, and make each key ready (a write
 * between c's pop and now found nobody to serve). It is counted as blocked once this
 * thread has served those keys (blocking_serve_readied, right after the command). */
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
    b->db = c->db;
    b->proto = c->proto;
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
    OMK_ASSERT(tl_server && tl_fresh == NULL);
    tl_fresh = b;

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
    }
    for (size_t i = 0; i < b->nwaits; i++) {
        b->waits[i].k->marker = NULL;
        bk_ready(b->waits[i].k);
    }
    omk_mutex_unlock(&blocking_mu);
    conn_apply_timeout(c); /* a parked client is never idle-closed, as in Redis */
}

/* Free DONE client 'b' (out of its worker's queue) and, with 'resume', let c run the
 * requests that came meanwhile. Owner thread. */
static void block_free(struct block *b, int resume)
{
    struct client *c = b->c;

    if (b->timer)
        event_free(b->timer);
    if (b->reply)
        evbuffer_free(b->reply);
    omk_free(b->argv);
    omk_free(b->waits);
    omk_free(b);
    c->block = NULL;
    atomic_store(&c->parked, 0);
    if (resume)
        conn_unparked(c);
}

/* Answer DONE client 'b' (out of its worker's queue): the served reply, CLIENT UNBLOCK's
 * or a timeout's; then free it and, with 'resume', resume its client. Owner thread. */
static void block_finish(struct block *b, int resume)
{
    struct client *c = b->c;
    size_t before = evbuffer_get_length(c->out);

    pass_hold(c);
    if (b->reply)
        pass_append(c, b->reply, b->reply_wrote);
    else if (b->unblock_req == BLOCK_UNBLOCK_ERROR)
        reply_error(c, blocking_unblocked_err);
    else
        reply_null_array(c); /* a timeout and UNBLOCK TIMEOUT, whatever the command */
    if (evbuffer_get_length(c->out) > before)
        worker_stat_add(&c->worker->stats.net_out_bytes, evbuffer_get_length(c->out) - before);
    if (b->reply_closing)
        c->flags |= CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSING;
    atomic_store_explicit(&c->last_us, omk_mono_us(), memory_order_relaxed);
    block_free(b, resume);
}

/* Its timeout passed: a null array, as Redis 7.0 answers every blocked pop, unless a pop
 * or CLIENT UNBLOCK ended it first (its answer is then on its way). */
static void block_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct block *b = arg;

    OMK_UNUSED(fd);
    OMK_UNUSED(what);
    omk_mutex_lock(&blocking_mu);
    block_wait_claim(b);
    if (b->state == BLOCK_DONE) {
        omk_mutex_unlock(&blocking_mu);
        return;
    }
    block_done(b);
    omk_mutex_unlock(&blocking_mu);
    block_finish(b, 1);
}

void blocking_worker_wake(struct worker *w)
{
    int ready;

    omk_mutex_lock(&blocking_mu);
    w->bdone_woken = 0;
    ready = ready_head != NULL; /* keys made ready off the workers: this one serves them */
    for (;;) {
        struct block *b = w->bdone;

        if (!b)
            break;
        w->bdone = b->qnext;
        if (!w->bdone)
            w->bdone_tail = NULL;
        b->queued = 0;
        omk_mutex_unlock(&blocking_mu);
        block_finish(b, 1);
        omk_mutex_lock(&blocking_mu);
    }
    omk_mutex_unlock(&blocking_mu);
    if (ready) {
        multi_lane_lock(w);
        blocking_serve_all(w);
        multi_lane_unlock(w);
    }
}

/* ---- The rest of the API ---- */

void blocking_end(struct client *c, const struct blocking_pop *bp, int rc,
                  enum blocking_null multi_null)
{
    OMK_ASSERT(rc != STORE_OK);
    if (bp->served && (rc == STORE_NOTFOUND || rc == STORE_WRONGTYPE)) {
        c->block->kept = 1;
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
     * committed: the client registering them popped before that write, and makes them
     * ready itself when it parks. */
    if (key) {
        unsigned h = bk_bucket(db, key, klen);
        struct bkey *k;

        if (atomic_load(&bk_bucket_keys[h]) == 0)
            return;
        omk_mutex_lock(&blocking_mu);
        k = bk_find(db, key, klen, h);
        if (k)
            bk_ready(k);
        omk_mutex_unlock(&blocking_mu);
        return;
    }
    if (atomic_load(&bk_total) == 0)
        return;
    omk_mutex_lock(&blocking_mu);
    for (unsigned h = 0; h < BLOCKING_BUCKETS; h++)
        for (struct bkey *k = bk_table[h]; k; k = k->hnext)
            if (db < 0 || k->db == db)
                bk_ready(k);
    omk_mutex_unlock(&blocking_mu);
}

void blocking_forget(struct client *c)
{
    struct block *b = c->block;

    if (!b)
        return;
    omk_mutex_lock(&blocking_mu);
    block_wait_claim(b);
    if (b->state == BLOCK_WAITING)
        block_done(b);
    else
        block_unqueue(b); /* served or unblocked: the answer goes with the connection */
    omk_mutex_unlock(&blocking_mu);
    block_free(b, 0);
}

void blocking_answer_now(struct client *c)
{
    struct block *b = c->block;

    if (!b)
        return;
    omk_mutex_lock(&blocking_mu);
    block_wait_claim(b);
    if (b->state == BLOCK_WAITING) {
        /* Nobody may serve it any more: it leaves every FIFO now, answerless (its
         * conn_free() frees the block), as Redis frees a client whose end it has read. */
        block_done(b);
        omk_mutex_unlock(&blocking_mu);
        return;
    }
    block_unqueue(b);
    omk_mutex_unlock(&blocking_mu);
    block_finish(b, 0);
}

int blocking_unblock(uint64_t id, int error)
{
    struct block *b;

    omk_mutex_lock(&blocking_mu);
    for (;;) {
        for (b = parked; b && b->id != id; b = b->next)
            ;
        if (!b || b->state != BLOCK_SERVING)
            break;
        /* Wait for the pop's outcome, then look again: it may have served 'b', whose
         * owner may have freed it. */
        omk_cond_wait(&blocking_cv, &blocking_mu);
    }
    if (b) {
        b->unblock_req = error ? BLOCK_UNBLOCK_ERROR : BLOCK_UNBLOCK_TIMEOUT;
        block_done(b);
        block_post(b);
    }
    omk_mutex_unlock(&blocking_mu);
    return b != NULL;
}

long blocking_count(void)
{
    return atomic_load(&parked_count);
}
