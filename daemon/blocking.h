/* blocking.h - the blocking pops (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX
 * BZMPOP): a client whose command finds nothing to pop is parked until a write makes one
 * of its keys ready, its timeout passes, CLIENT UNBLOCK or a disconnect ends it. A
 * parked client holds no worker thread and no lock, and runs none of its further
 * requests. The worker whose command made keys ready serves their waiters right after
 * that command, before its reply leaves (one worker at a time serves), by running each
 * waiter's handler again on a stand-in client; the waiter's own worker writes the reply
 * (blocking.c explains the order). The handlers (cmd_list.c, cmd_sorted_set.c) call blocking_begin_or_reply() and
 * blocking_end(); the rest is for the daemon's own machinery. */
#ifndef OMK_DAEMON_BLOCKING_H
#define OMK_DAEMON_BLOCKING_H

#include <stddef.h>
#include <stdint.h>

#include "common/omk.h"

struct client;
struct worker;

/* What one run of a blocking command's handler pops from. */
struct blocking_pop {
    const struct omk_slice *keys; /* the command's keys (a first run) or the one key made
                                   * ready (a run that serves a parked client); borrowed */
    size_t nkeys;
    int64_t timeout_ms;           /* the timeout argument in ms, rounded up; 0: forever */
    int served;                   /* 1: the client is parked and this run serves it */
    struct omk_slice ready;       /* 'keys' points here when 'served' */
};

/* Start a run of a blocking command of 'c': parse 'timeout' as Redis 7.0 does (seconds,
 * decimals allowed, strtold's syntax; 0 blocks forever) and say which of the command's
 * 'nkeys' 'keys' (borrowed) to pop from: all of them, or the one that woke 'c' when this
 * run serves it. Returns 1 with '*bp' filled, or 0 after replying "ERR timeout is not a
 * float or out of range" or "ERR timeout is negative". Owner thread. */
int blocking_begin_or_reply(struct client *c, struct omk_slice timeout,
                            const struct omk_slice *keys, size_t nkeys, struct blocking_pop *bp);

/* What a blocking command answers when it may not block (inside MULTI/EXEC): a null
 * array (BLPOP, BLMPOP, BZPOPMIN ...) or a null bulk (BLMOVE, BRPOPLPUSH). A timeout and
 * CLIENT UNBLOCK TIMEOUT answer a null array whatever the command, as Redis 7.0 does. */
enum blocking_null {
    BLOCKING_NULL_ARRAY = 0,
    BLOCKING_NULL_BULK = 1,
};

/* End a run of a blocking command of 'c' that popped nothing; 'rc' is its store call's
 * answer. STORE_NOTFOUND (no key held anything to pop): on a first run, park 'c' on the
 * command's keys until bp->timeout_ms, or answer 'multi_null' at once inside MULTI/EXEC;
 * on a served run, 'c' stays parked where it was. STORE_WRONGTYPE on a served run (the
 * ready key holds another type): 'c' stays parked. Anything else is the command's error
 * (reply_err_store). Exactly one reply is queued unless 'c' is (still) parked. Owner
 * thread on a first run (the handler's arguments, c->argv, are copied when 'c' parks);
 * a served run runs on the serving worker, 'c' being a stand-in (blocking.c). */
void blocking_end(struct client *c, const struct blocking_pop *bp, int rc,
                  enum blocking_null multi_null);

/* Whether 'c' is parked (owner thread; conn.c runs no request of a parked client). */
int blocking_parked(const struct client *c);

/* The store's touch hook for blocking (main.c chains it after multi_touched): key 'key'
 * ('klen' bytes) of 'db' changed, so if clients wait on it, it joins the ready list,
 * served by the calling worker's blocking_serve_readied() (a thread that is not a worker
 * wakes one to serve it); 'key' NULL: every key of 'db' ('db' -1: of every db). Any
 * thread, under the key's stripe; takes the registry's mutex only when some client waits
 * on a key that hashes like this one. */
void blocking_touched(int db, const char *key, size_t klen);

/* Mark the calling thread as one that serves the keys it makes ready (a worker, before it
 * runs any command); a touch on another thread goes to a worker through its pipe. */
void blocking_thread_init(void);

/* Whether the calling thread's commands made keys ready (or parked a client) since it
 * last called blocking_serve_readied(). */
int blocking_readied_pending(void);

/* If the calling thread's commands made keys ready (or parked a client), serve the ready
 * keys as Redis 7.0 does: in the order they became ready, each key's waiters in the
 * order they blocked while it has something to pop, and the keys those pops make ready
 * (a BLMOVE's destination) in the same loop; each served client's worker is asked to
 * write its reply. Only one thread serves at a time: this one may first wait for another
 * to finish (which may have served its keys). A client this thread parked is counted in
 * blocking_count() from here on. Worker 'w''s thread, after a command (an EXEC or
 * script: after its last one), holding the exec lane(s) that command held, no stripe. */
void blocking_serve_readied(struct worker *w);

/* Worker 'w' was woken by blocking.c (worker.c, on the message it sent): answer its
 * parked clients that were served or unblocked, and resume them; serve the keys made
 * ready on threads that serve nobody. Owner thread. */
void blocking_worker_wake(struct worker *w);

/* Drop c's parking without a reply (conn_free: the client is going away); if a pop for
 * it is running on another thread, wait for it first (an element it took goes with the
 * connection, as in Redis when the client is gone after being served). No-op if 'c' is
 * not parked. Owner thread. */
void blocking_forget(struct client *c);

/* The peer of parked 'c' hung up (conn.c): if 'c' was served or unblocked and its answer
 * waits for its worker, queue that answer now (held for the pass like any reply: a
 * served element must still reach it) and end its parking; if it still waits, take it
 * out of every key's FIFO at once, so that no pop is served to it between here and its
 * conn_free() (the element would go with the connection). If a pop for it is running,
 * waits for its outcome first. Owner thread. */
void blocking_answer_now(struct client *c);

/* CLIENT UNBLOCK 'id' [TIMEOUT | ERROR ('error' 1)]: if client 'id' is parked, end its
 * parking and ask its owner to answer it as on a timeout (a null array) or with
 * "-UNBLOCKED client unblocked via CLIENT UNBLOCK", and to resume it. Returns 1 if it
 * was parked, else 0 (served, timed out or unblocked already). If a pop for it is
 * running at that moment, waits for its outcome first. Any thread. */
int blocking_unblock(uint64_t id, int error);

/* The number of parked clients (INFO blocked_clients), each counted once its own worker
 * has served the keys it parked on (blocking_serve_readied). Any thread. */
long blocking_count(void);

#endif
