/* blocking.h - the blocking pops (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX
 * BZMPOP): a client whose command finds nothing to pop is parked until one of its keys is
 * made ready by a write, its timeout passes, CLIENT UNBLOCK or a disconnect ends it. A
 * parked client holds no worker thread and no lock, and runs none of its further
 * requests; its worker serves it by running the same handler again (blocking.c explains
 * how keys wake their waiters in the order they blocked). The handlers (cmd_list.c,
 * cmd_sorted_set.c) call blocking_begin_or_reply() and blocking_end(); the rest is for
 * the daemon's own machinery. */
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
 * thread; the handler's arguments (c->argv) are copied when 'c' parks. */
void blocking_end(struct client *c, const struct blocking_pop *bp, int rc,
                  enum blocking_null multi_null);

/* Whether 'c' is parked (owner thread; conn.c runs no request of a parked client). */
int blocking_parked(const struct client *c);

/* The store's touch hook for blocking (main.c chains it after multi_touched): key 'key'
 * ('klen' bytes) of 'db' changed, so the first client parked on it is woken to try its
 * pop; 'key' NULL: every key of 'db' ('db' -1: of every db). Any thread, under the key's
 * stripe; takes the registry's mutex only when some client waits on a key that hashes
 * like this one. */
void blocking_touched(int db, const char *key, size_t klen);

/* Serve the parked clients of worker 'w' that were woken (worker.c, on the message
 * blocking sent it): each runs its handler again on the key that woke it, and replies
 * and resumes its pipeline if it popped. Owner thread. */
void blocking_serve_ready(struct worker *w);

/* Drop c's parking without a reply (conn_free: the client is going away). If a key had
 * woken 'c' and 'c' had not tried it yet, the next client parked on the key is woken
 * instead, so no wake-up is lost. No-op if 'c' is not parked. Owner thread. */
void blocking_forget(struct client *c);

/* CLIENT UNBLOCK 'id' [TIMEOUT | ERROR ('error' 1)]: ask the owner of client 'id', if it
 * is parked, to answer it as on a timeout (a null array) or with "-UNBLOCKED client
 * unblocked via CLIENT UNBLOCK", and to resume it. Returns 1 if it was parked (and not
 * already asked), else 0. If its worker was serving it a pop at that moment and the pop
 * succeeds, the pop's reply is the one it gets. Any thread. */
int blocking_unblock(uint64_t id, int error);

/* The number of parked clients (INFO blocked_clients). Any thread. */
long blocking_count(void);

#endif
