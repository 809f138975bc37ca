/* multi.c - the transaction machinery behind MULTI / EXEC / DISCARD / WATCH / UNWATCH
 * (their handlers are in cmd_transactions.c), with Redis 7's semantics: commands after
 * MULTI are queued (+QUEUED); an error while queuing (unknown command, wrong arity) makes
 * EXEC fail with EXECABORT; EXEC runs the queue with no command of any other client in
 * between; a key touched by any client after WATCH makes EXEC reply a null array and
 * run nothing.
 *
 * HOW EXEC EXCLUDES OTHER COMMANDS: the exec lock is MULTI_LANES writer-preferring
 * rwlocks, each on its own cache line, as index/shard.c's shard locks are. Every command
 * that reads or writes keys (CMD_READONLY or CMD_WRITE) read-locks the lane of its
 * worker (worker id modulo MULTI_LANES) around its handler; EXEC write-locks every lane,
 * in ascending order, around the queue. So the readers of different workers never write
 * to a shared cache line, where one rwlock made every keyed command of every worker
 * write the same line twice; EXEC pays MULTI_LANES lock operations instead of one. EXEC
 * itself is neither READONLY nor WRITE (cmd_init asserts it), so it holds no lane when it
 * takes them all, and two EXECs take them in the same order.
 *
 * HOW A WORKER'S SCRIPTS SHARE ONE HOLD OF THE LANES: a script runs under every lane, as
 * EXEC does (multi_script_lock). Taking sixteen lanes from the other worker, which then
 * waits for them, costs two thread wake-ups per script; with every client running
 * scripts, that handoff was most of a script's time. So a worker keeps the lanes after
 * a script until its event-loop pass ends ('multi_tl_kept'), and the next scripts of the
 * same pass, of any of its clients, run under that one hold: a pass's scripts were
 * going to run one after the other on this thread anyway, and no command of another
 * client could run between them while the lanes are held, so each script is still
 * atomic and nothing else changes but the order in which the two workers take turns
 * (a pass each, instead of a script each). The hold is given back before anything on
 * this thread that is not a script: any other command (cmd.c: it might wait on another
 * worker, which would wait on the lanes), any other lane taken here, the worker's
 * message pipe, and the end of the pass (pass.c), before its log write and its replies.
 * A worker whose pass is not open (no end is coming) keeps nothing.
 *
 * HOW WATCH WORKS: the watched keys live in one hash table of records (db, key,
 * client), guarded by 'watch_mu'. The store calls multi_touched() after it commits a
 * change to a key (from whichever worker made it); when anything is watched, that looks
 * the key up and sets the 'watch_dirty' flag of each client watching it. A client
 * removes its records (under the same mutex) before it is freed, so the flag is never
 * written to freed memory. When nothing is watched the cost of a write is one atomic
 * load.
 *
 * HOW A WATCHED KEY'S EXPIRY FAILS EXEC (Redis 7.0's isWatchedKeyExpired): a key that
 * reaches its time after WATCH changed for the transaction, even if nobody has removed it
 * yet, while a key whose time had passed before WATCH had not. So WATCH first looks each
 * key up (a key already expired is removed by that lookup, before it is watched: its
 * removal cannot mark the watcher), then registers the records, then reads each key's
 * expiry into its record: a change between the two readings marks the client, as any
 * later one does. EXEC fails when a record's expiry has passed; a record's expiry is
 * never stale, since whatever changes it also touches the key. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "daemon/acl.h"
#include "daemon/blocking.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/multi.h"
#include "daemon/reply.h"
#include "daemon/script.h"
#include "daemon/server.h"
#include "store/store.h"

#define WATCH_BUCKETS 1024 /* a power of two */

/* One WATCH of one key by one client: in its bucket's list and in the client's. */
struct watch_rec {
    struct client *c;
    int db;
    int64_t expire_ms;               /* the key's expiry once watched (0: none, or missing);
                                      * owner thread only */
    size_t klen;
    struct watch_rec *bprev, *bnext; /* bucket list */
    struct watch_rec *cnext;         /* the client's list (owner thread + watch_mu) */
    char key[];
};

/* One queued command: its argv, copied into one allocation. */
struct multi_cmd {
    const struct cmd_def *d;
    int argc;
    struct omk_slice *argv; /* points into the same allocation */
};

struct multi_state {
    struct multi_cmd *cmds;
    int n, cap;
    int aborted; /* an error while queuing: EXEC replies EXECABORT */
    size_t argv_mem; /* bytes of the queued commands' argv allocations */
};

#define MULTI_LANES 16 /* a power of two; more workers than this share lanes */
#define MULTI_WAIT_SLICE_MS 10 /* a waiter for a lane looks whether to give up this often */
#define MULTI_LINE 64  /* cache line */

/* One lane of the exec lock (see the file comment). */
struct exec_lane {
    pthread_rwlock_t lock;
} __attribute__((aligned(MULTI_LINE)));

static struct exec_lane exec_lanes[MULTI_LANES]; /* set up by multi_init, then constant */
static pthread_mutex_t watch_mu = PTHREAD_MUTEX_INITIALIZER;
static struct watch_rec *watch_table[WATCH_BUCKETS]; /* watch_mu */
static _Atomic long watch_count;            /* records in the table; read without watch_mu */

static unsigned watch_bucket(int db, const char *key, size_t klen)
{
    return (unsigned)(omk_hash(key, klen) ^ (uint64_t)db * 0x9e3779b97f4a7c15ULL) &
           (WATCH_BUCKETS - 1);
}

void multi_touched(int db, const char *key, size_t klen)
{
    if (atomic_load_explicit(&watch_count, memory_order_acquire) == 0)
        return;
    omk_mutex_lock(&watch_mu);
    if (key) {
        for (struct watch_rec *r = watch_table[watch_bucket(db, key, klen)]; r; r = r->bnext)
            if (r->db == db && r->klen == klen && memcmp(r->key, key, klen) == 0)
                atomic_store(&r->c->watch_dirty, 1);
    } else {
        for (unsigned b = 0; b < WATCH_BUCKETS; b++)
            for (struct watch_rec *r = watch_table[b]; r; r = r->bnext)
                if (db < 0 || r->db == db)
                    atomic_store(&r->c->watch_dirty, 1);
    }
    omk_mutex_unlock(&watch_mu);
}

void multi_init(void)
{
    for (int l = 0; l < MULTI_LANES; l++)
        omk_rwlock_init_wrpref(&exec_lanes[l].lock);
}

/* Whether this thread holds every lane for EXEC, an exclusive command or a script now. */
static _Thread_local int multi_tl_exclusive;
/* Whether this thread holds every lane kept from its last script, for the next script
 * of the same pass (see HOW A WORKER'S SCRIPTS SHARE ONE HOLD OF THE LANES). Never both
 * this and 'multi_tl_exclusive'. */
static _Thread_local int multi_tl_kept;

static void multi_exec_unlock_all(void);

/* The lane of worker 'w'. */
static pthread_rwlock_t *multi_lane(const struct worker *w)
{
    return &exec_lanes[(unsigned)w->id & (MULTI_LANES - 1)].lock;
}

void multi_release_kept(void)
{
    if (!multi_tl_kept)
        return;
    multi_tl_kept = 0;
    multi_tl_exclusive = 1; /* what multi_exec_unlock_all() releases */
    multi_exec_unlock_all();
}

void multi_lane_lock(const struct worker *w)
{
    pthread_rwlock_t *l = multi_lane(w);

    multi_release_kept(); /* a reader of a lane this thread holds as writer would hang */
    if (pthread_rwlock_tryrdlock(l) == 0)
        return;
    store_keep_release(); /* an EXEC waiting for the lanes may wait for those stripes */
    omk_rwlock_rdlock(l);
}

void multi_lane_unlock(const struct worker *w)
{
    omk_rwlock_unlock(multi_lane(w));
}

void multi_cmd_lock(const struct client *c)
{
    multi_lane_lock(c->worker);
}

/* The absolute CLOCK_REALTIME time MULTI_WAIT_SLICE_MS from now (the timed rwlock calls
 * take the wall clock; a clock step only makes one slice longer or shorter). */
static struct timespec multi_slice_deadline(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += MULTI_WAIT_SLICE_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

int multi_cmd_lock_or_give_up(const struct client *c, int (*give_up)(void))
{
    pthread_rwlock_t *l = multi_lane(c->worker);

    multi_release_kept();
    if (pthread_rwlock_tryrdlock(l) == 0)
        return 1;
    store_keep_release(); /* an EXEC waiting for the lanes may wait for those stripes */
    for (;;) {
        struct timespec until = multi_slice_deadline();
        int rc = pthread_rwlock_timedrdlock(l, &until);

        if (rc == 0)
            return 1;
        OMK_ASSERT(rc == ETIMEDOUT);
        if (give_up())
            return 0;
    }
}

void multi_cmd_unlock(const struct client *c)
{
    multi_lane_unlock(c->worker);
}

/* Take every lane as writer, in ascending order (or take over those this thread kept from
 * its last script): no keyed command runs until multi_exec_unlock_all(). Waits in slices of MULTI_WAIT_SLICE_MS; after each, when
 * 'give_up' (may be NULL) says so, releases what it took and returns 0. Returns 1 with
 * every lane held. */
static int multi_exec_lock_all(int (*give_up)(void))
{
    OMK_ASSERT(!multi_tl_exclusive);
    store_keep_stripes(0); /* the keyed commands it waits out may wait for them */
    if (multi_tl_kept) { /* held already, from this thread's last script */
        multi_tl_kept = 0;
        multi_tl_exclusive = 1;
        return 1;
    }
    for (int l = 0; l < MULTI_LANES; l++) {
        pthread_rwlock_t *lk = &exec_lanes[l].lock;

        if (pthread_rwlock_trywrlock(lk) == 0)
            continue;
        for (;;) {
            struct timespec until = multi_slice_deadline();
            int rc = pthread_rwlock_timedwrlock(lk, &until);

            if (rc == 0)
                break;
            OMK_ASSERT(rc == ETIMEDOUT);
            if (give_up && give_up()) {
                while (l-- > 0)
                    omk_rwlock_unlock(&exec_lanes[l].lock);
                return 0;
            }
        }
    }
    multi_tl_exclusive = 1;
    return 1;
}

static void multi_exec_unlock_all(void)
{
    multi_tl_exclusive = 0;
    for (int l = MULTI_LANES; l-- > 0;)
        omk_rwlock_unlock(&exec_lanes[l].lock);
}

int multi_exclusive_lock(int (*give_up)(void))
{
    return multi_exec_lock_all(give_up);
}

void multi_exclusive_unlock(void)
{
    multi_exec_unlock_all();
}

/* 1 if key 'key'/'klen' exists (live) in database 'a' or 'b'. */
static int multi_exists_in(int a, int b, const char *key, size_t klen)
{
    struct omk_slice k = {key, klen};

    return store_exists(server.store, a, k) == STORE_OK ||
           store_exists(server.store, b, k) == STORE_OK;
}

void multi_swapped(int a, int b)
{
    struct omk_slice *keys = NULL;
    int *dbs = NULL;
    size_t n = 0, cap = 0;

    if (a == b || atomic_load_explicit(&watch_count, memory_order_acquire) == 0)
        return;
    /* Copy the watched keys of 'a' and 'b' out: the store is not called under watch_mu
     * (its commits call multi_touched(), which takes it). Records cannot change
     * meanwhile in a way that matters: every lane is held, so no WATCH, EXEC or UNWATCH
     * runs, and a client that goes away takes its records with it. */
    omk_mutex_lock(&watch_mu);
    for (unsigned bk = 0; bk < WATCH_BUCKETS; bk++) {
        for (struct watch_rec *r = watch_table[bk]; r; r = r->bnext) {
            if (r->db != a && r->db != b)
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                keys = omk_realloc(keys, cap * sizeof(*keys));
                dbs = omk_realloc(dbs, cap * sizeof(*dbs));
            }
            keys[n] = (struct omk_slice){omk_memdup(r->key, r->klen), r->klen};
            dbs[n++] = r->db;
        }
    }
    omk_mutex_unlock(&watch_mu);
    for (size_t i = 0; i < n; i++) {
        if (multi_exists_in(a, b, keys[i].p, keys[i].len))
            multi_touched(dbs[i], keys[i].p, keys[i].len);
        omk_free((void *)keys[i].p);
    }
    omk_free(keys);
    omk_free(dbs);
}

int multi_exclusive_held(void)
{
    return multi_tl_exclusive;
}

int multi_script_lock(int (*give_up)(void))
{
    return multi_exec_lock_all(give_up);
}

void multi_script_unlock(const struct worker *w)
{
    OMK_ASSERT(multi_tl_exclusive && !multi_tl_kept);
    if (!w->pass_pending) { /* no end of pass is coming to give them back */
        multi_exec_unlock_all();
        return;
    }
    multi_tl_exclusive = 0;
    multi_tl_kept = 1;
}

void multi_unwatch(struct client *c)
{
    struct watch_rec *r, *next;

    if (!c->watches)
        return;
    omk_mutex_lock(&watch_mu);
    for (r = c->watches; r; r = next) {
        next = r->cnext;
        if (r->bprev)
            r->bprev->bnext = r->bnext;
        else
            watch_table[watch_bucket(r->db, r->key, r->klen)] = r->bnext;
        if (r->bnext)
            r->bnext->bprev = r->bprev;
        atomic_fetch_sub(&watch_count, 1);
        omk_free(r);
    }
    c->watches = NULL;
    omk_mutex_unlock(&watch_mu);
    atomic_store(&c->watch_dirty, 0);
}

void multi_reset(struct client *c)
{
    struct multi_state *m = c->multi;

    multi_unwatch(c);
    if (!m)
        return;
    for (int i = 0; i < m->n; i++)
        omk_free(m->cmds[i].argv);
    omk_free(m->cmds);
    omk_free(m);
    c->multi = NULL;
}

void multi_queue(struct client *c, const struct cmd_def *d)
{
    struct multi_state *m = c->multi;
    struct multi_cmd *q;
    size_t bytes = 0;
    char *p;

    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 8;
        m->cmds = omk_realloc(m->cmds, (size_t)m->cap * sizeof(*m->cmds));
    }
    q = &m->cmds[m->n++];
    q->d = d;
    q->argc = c->argc;
    for (int i = 0; i < c->argc; i++)
        bytes += c->argv[i].len;
    q->argv = omk_malloc((size_t)c->argc * sizeof(*q->argv) + bytes + 1);
    m->argv_mem += (size_t)c->argc * sizeof(*q->argv) + bytes + 1;
    p = (char *)(q->argv + c->argc);
    for (int i = 0; i < c->argc; i++) {
        memcpy(p, c->argv[i].p, c->argv[i].len);
        q->argv[i].p = p;
        q->argv[i].len = c->argv[i].len;
        p += c->argv[i].len;
    }
    reply_simple(c, "QUEUED");
}

int multi_queued_flags(const struct client *c)
{
    int flags = 0;

    if (c->multi)
        for (int i = 0; i < c->multi->n; i++)
            flags |= c->multi->cmds[i].d->flags;
    return flags;
}

int multi_queued_count(const struct client *c)
{
    return c->multi ? c->multi->n : -1;
}

size_t multi_queued_mem(const struct client *c)
{
    const struct multi_state *m = c->multi;

    return m ? sizeof(*m) + (size_t)m->cap * sizeof(*m->cmds) + m->argv_mem : 0;
}

void multi_abort(struct client *c)
{
    if (c->multi)
        c->multi->aborted = 1;
}

void multi_begin(struct client *c)
{
    OMK_ASSERT(!c->multi);
    c->multi = omk_calloc(1, sizeof(*c->multi));
}

/* Whether a key 'c' watches has reached the expiry it had when watched (see HOW A
 * WATCHED KEY'S EXPIRY FAILS EXEC). Owner thread. */
static int multi_watched_expired(const struct client *c)
{
    int64_t now = omk_now_ms();

    for (const struct watch_rec *r = c->watches; r; r = r->cnext)
        if (r->expire_ms != 0 && r->expire_ms <= now) /* the store's rule (format.c) */
            return 1;
    return 0;
}

enum multi_exec_rc multi_exec(struct client *c)
{
    struct multi_state *m = c->multi;
    int argc = c->argc, idx = atomic_load_explicit(&c->last_cmd_idx, memory_order_relaxed);
    struct omk_slice *argv = c->argv;
    int deny;

    OMK_ASSERT(m);
    if (m->aborted) {
        multi_reset(c);
        return MULTI_EXEC_ABORTED;
    }
    if (!multi_exec_lock_all(script_busy)) { /* a script runs past busy-reply-threshold */
        multi_reset(c);
        return MULTI_EXEC_BUSY;
    }
    if (atomic_load(&c->watch_dirty) || multi_watched_expired(c)) {
        multi_exec_unlock_all();
        multi_reset(c);
        return MULTI_EXEC_WATCHED;
    }
    c->multi = NULL; /* commands inside EXEC run as if outside MULTI */
    reply_array_len(c, m->n);
    store_tx_begin(server.store); /* one batch in the log: all of EXEC survives, or none */
    deny = c->flags & CLIENT_DENY_BLOCKING; /* a client that never blocks stays so */
    c->flags |= CLIENT_DENY_BLOCKING; /* a blocking pop answers at once (blocking.c) */
    for (int i = 0; i < m->n; i++) {
        c->argc = m->cmds[i].argc;
        c->argv = m->cmds[i].argv;
        if (acl_check_exec_or_reply(c, m->cmds[i].d)) /* the rules may have changed */
            cmd_call(c, m->cmds[i].d);
    }
    c->flags = (c->flags & ~CLIENT_DENY_BLOCKING) | deny;
    store_tx_end(server.store); /* a failure fails the pass (daemon/pass.c) */
    /* The clients parked on keys the transaction made ready are served after it as a
     * whole, before any other command runs (every lane is still held). */
    blocking_serve_readied(c->worker);
    multi_exec_unlock_all();
    c->argc = argc;
    c->argv = argv;
    atomic_store_explicit(&c->last_cmd_idx, idx, memory_order_relaxed);
    c->multi = m;
    multi_reset(c);
    return MULTI_EXEC_RAN;
}

/* The expiry of key 'key' of 'db' (0: none, or missing), read under c's exec lane as
 * any keyed command's reads are; a key whose time has passed is removed on the way. */
static int64_t multi_key_expiry(const struct client *c, int db, struct omk_slice key)
{
    int64_t when = 0;
    int rc;

    multi_cmd_lock(c);
    rc = store_ttl(server.store, db, key, &when);
    multi_cmd_unlock(c);
    return rc == STORE_OK ? when : 0;
}

void multi_watch(struct client *c, const struct omk_slice *keys, int n)
{
    struct watch_rec *old = c->watches;

    for (int i = 0; i < n; i++) /* removes the keys already expired (see the file comment) */
        multi_key_expiry(c, c->db, keys[i]);
    omk_mutex_lock(&watch_mu);
    for (int i = 0; i < n; i++) {
        const struct omk_slice *k = &keys[i];
        struct watch_rec *r, **head;
        int dup = 0;

        for (r = c->watches; r && !dup; r = r->cnext)
            dup = r->db == c->db && r->klen == k->len && !memcmp(r->key, k->p, k->len);
        if (dup)
            continue;
        r = omk_malloc(sizeof(*r) + k->len);
        r->c = c;
        r->db = c->db;
        r->expire_ms = 0;
        r->klen = k->len;
        memcpy(r->key, k->p, k->len);
        head = &watch_table[watch_bucket(r->db, r->key, r->klen)];
        r->bprev = NULL;
        r->bnext = *head;
        if (*head)
            (*head)->bprev = r;
        *head = r;
        r->cnext = c->watches;
        c->watches = r;
        atomic_fetch_add_explicit(&watch_count, 1, memory_order_release);
    }
    omk_mutex_unlock(&watch_mu);
    /* New records are pushed before the old ones. */
    for (struct watch_rec *r = c->watches; r != old; r = r->cnext)
        r->expire_ms = multi_key_expiry(c, r->db, (struct omk_slice){r->key, r->klen});
}
