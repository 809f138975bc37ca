/* multi.h - transactions: MULTI queues a client's commands, EXEC runs them with no
 * other command in between, WATCH makes EXEC fail when a watched key changed. */
#ifndef OMK_DAEMON_MULTI_H
#define OMK_DAEMON_MULTI_H

#include <stddef.h>

struct client;
struct cmd_def;

/* Start-up (main thread, before the store opens): hook the store's change callback. */
void multi_init(void);

/* The store's touch hook (store_config.touched): mark every client watching (db, key)
 * dirty; 'key' NULL: every key of 'db' ('db' -1: of every db). Any thread. */
void multi_touched(int db, const char *key, size_t klen);

/* Queue the request in c->argc/c->argv (command 'd') for EXEC and reply +QUEUED.
 * Owner thread. */
void multi_queue(struct client *c, const struct cmd_def *d);

/* Mark c's transaction, if one is open, as failed at queue time (EXECABORT). */
void multi_abort(struct client *c);

/* Forget c's transaction and watches (DISCARD, EXEC, disconnect). Owner thread. */
void multi_reset(struct client *c);

/* Shared lock held by every command that reads or writes keys; EXEC holds it
 * exclusively, so a transaction runs with no command of another client in between. */
void multi_cmd_lock(void);
void multi_cmd_unlock(void);

#endif
