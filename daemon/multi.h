/* multi.h - the transaction machinery (multi.c): MULTI queues a client's commands, EXEC
 * runs them with no other command in between, WATCH makes EXEC fail when a watched key
 * changed. The MULTI EXEC DISCARD WATCH UNWATCH handlers (cmd_transactions.c) check
 * their arguments and reply; the functions here do the work. */
#ifndef OMK_DAEMON_MULTI_H
#define OMK_DAEMON_MULTI_H

#include <stddef.h>

#include "common/omk.h"

struct client;
struct cmd_def;
struct worker;

/* Start-up (main thread, before any worker runs): set up the exec lock's lanes. */
void multi_init(void);

/* The store's touch hook (store_config.touched): mark every client watching (db, key)
 * dirty; 'key' NULL: every key of 'db' ('db' -1: of every db). Any thread. */
void multi_touched(int db, const char *key, size_t klen);

/* Open a transaction for 'c', which has none. Owner thread. */
void multi_begin(struct client *c);

/* Queue the request in c->argc/c->argv (command 'd') for EXEC and reply +QUEUED.
 * Owner thread. */
void multi_queue(struct client *c, const struct cmd_def *d);

/* The CMD_* flags of the commands c's open transaction has queued, or'ed together (0
 * outside MULTI): CLIENT PAUSE WRITE holds back an EXEC that would write. Owner thread. */
int multi_queued_flags(const struct client *c);

/* The commands c's open transaction has queued, or -1 outside MULTI; and the heap bytes
 * its queue holds (CLIENT LIST multi= and multi-mem=). Owner thread. */
int multi_queued_count(const struct client *c);
size_t multi_queued_mem(const struct client *c);

/* Mark c's transaction, if one is open, as failed at queue time (EXECABORT). */
void multi_abort(struct client *c);

/* What multi_exec() did. */
enum multi_exec_rc {
    MULTI_EXEC_RAN,     /* the queue ran: the array of its replies has been queued */
    MULTI_EXEC_ABORTED, /* an error while queuing: nothing ran, nothing replied */
    MULTI_EXEC_WATCHED, /* a watched key changed: nothing ran, nothing replied */
    MULTI_EXEC_BUSY,    /* a script ran past busy-reply-threshold while EXEC waited for the
                         * lanes: nothing ran, nothing replied, the transaction is gone */
};

/* Run c's open transaction with no command of another client in between, then forget
 * it and c's watches whatever the outcome. Owner thread; takes every lane of the exec
 * lock, so the caller must hold no multi_cmd_lock(). */
enum multi_exec_rc multi_exec(struct client *c);

/* Forget c's transaction and watches (DISCARD, EXEC, disconnect). Owner thread. */
void multi_reset(struct client *c);

/* Watch keys 'keys' ('n' of them, borrowed) of c's selected database; a key watched
 * already is skipped. Each key is looked up twice (multi.c, HOW A WATCHED KEY'S EXPIRY
 * FAILS EXEC): a key already expired is removed then. Owner thread, holding no exec lane
 * (WATCH is neither READONLY nor WRITE); takes c's lane around the lookups, and
 * watch_mu. */
void multi_watch(struct client *c, const struct omk_slice *keys, int n);

/* Forget every WATCH of 'c' and its dirty flag. Owner thread; takes watch_mu. */
void multi_unwatch(struct client *c);

/* The exec lock's read side, held around every command that reads or writes keys, run
 * by client 'c' on its worker: it read-locks the lane of c's worker (multi.c). EXEC
 * holds every lane exclusively, so a transaction runs with no command of another client
 * in between. A thread must not take it twice (the lanes are writer-preferring). */
void multi_cmd_lock(const struct client *c);
void multi_cmd_unlock(const struct client *c);

/* multi_cmd_lock(), but waiting in short slices: after each, when 'give_up' says so
 * (a script has run past busy-reply-threshold: script_busy), returns 0 holding nothing.
 * Returns 1 with the lane held. */
int multi_cmd_lock_or_give_up(const struct client *c, int (*give_up)(void));

/* Every lane as writer, as EXEC takes them (CMD_EXCLUSIVE commands), waiting in slices
 * and giving up as multi_cmd_lock_or_give_up() does ('give_up' NULL: never). Returns 1
 * with every lane held, or 0 holding none. The caller holds no lane. */
int multi_exclusive_lock(int (*give_up)(void));
void multi_exclusive_unlock(void);

/* 1 when this thread holds every lane for EXEC, an exclusive command or a script now (a
 * script run inside EXEC takes none itself); lanes merely kept from a script do not
 * count. */
int multi_exclusive_held(void);

/* Every lane as writer for a script (EVAL, EVALSHA, FCALL and their _RO forms) about to
 * run on this worker, waiting and giving up as multi_exclusive_lock() does; when this
 * thread kept them from its last script of the same pass, at once. Returns 1 with every
 * lane held for this script, or 0 holding none. Owner thread, holding no lane but kept
 * ones (not inside EXEC: multi_exclusive_held() says when the script runs inside one). */
int multi_script_lock(int (*give_up)(void));

/* The script that multi_script_lock() let run on worker 'w' has ended: the lanes are kept
 * for the next script of w's pass while that pass is open (its end gives them back:
 * multi_release_kept), released now otherwise. */
void multi_script_unlock(const struct worker *w);

/* Give back the lanes this thread kept from its last script, if it kept them: at the end
 * of its pass, before any command that is not a script, and before anything else on the
 * worker's thread that could wait for another worker. Cheap when nothing is kept. The
 * lane functions above call it themselves. */
void multi_release_kept(void);

/* SWAPDB exchanged databases 'a' and 'b': mark dirty every client watching a key of
 * either that exists in either, as Redis 7.0's touchAllWatchedKeysInDb does (a key in
 * neither changed for nobody). Caller holds every exec lane (or runs inside EXEC) and no
 * store lock; takes watch_mu, dropping it around the store lookups. */
void multi_swapped(int a, int b);

/* The same for worker 'w' itself, on its thread (blocking.c serves waiters under it
 * outside any command). */
void multi_lane_lock(const struct worker *w);
void multi_lane_unlock(const struct worker *w);

#endif
