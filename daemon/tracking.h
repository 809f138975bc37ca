/* tracking.h - client-side caching (tracking.c): CLIENT TRACKING's state per client, the
 * table of keys tracking clients read (default mode) and the prefixes BCAST clients
 * follow, and the invalidation messages a change of a key sends them, as Redis 7.0's
 * tracking.c does. A change reaches tracking from the store's touch hook (main.c) on
 * whichever thread made it: a worker, or the active-expiry thread. Messages travel to
 * clients of other workers through pubsub.c's mailboxes (pubsub_send_raw).
 *
 * Locking: one mutex (tracking.c's trk_lock) guards the key table, the prefixes, the
 * registry of known clients and their tracking state. Taken after a worker's
 * clients_lock when both are held, and before pubsub.c's ps_lock; never held while a
 * stripe lock is taken (the touch hook runs under one, which is why no stripe may be
 * asked for under trk_lock). */
#ifndef OMK_DAEMON_TRACKING_H
#define OMK_DAEMON_TRACKING_H

#include <stddef.h>
#include <stdint.h>

struct client;
struct cmd_def;

/* CLIENT TRACKING ON|OFF ... , CLIENT CACHING YES|NO, CLIENT GETREDIR, CLIENT
 * TRACKINGINFO: the subcommand handlers (cmd_connection.c lists them), with Redis 7.0's
 * replies and errors. Owner thread. */
void tracking_client_tracking(struct client *c);
void tracking_client_caching(struct client *c);
void tracking_client_getredir(struct client *c);
void tracking_client_trackinginfo(struct client *c);

/* Around each request cmd_execute() runs for 'c': from begin to end 'c' is the current
 * client of this thread, so invalidations meant for it wait until its replies are
 * queued (and NOLOOP knows its own writes); end sends what waited, the BCAST keys the
 * request changed, and clears CLIENT CACHING's one-shot flag as Redis' resetClient does
 * ('d' is the command that ran, NULL if none). Owner thread. */
void tracking_cmd_begin(struct client *c);
void tracking_cmd_end(struct client *c, const struct cmd_def *d);

/* Before and after command 'd' runs on the request in c->argv (cmd_call): a tracking
 * client in default mode remembers the keys of a read-only command. Before, so that a
 * write committed on another worker while the command reads cannot slip past; after,
 * as Redis does, so a key the command itself expired is tracked again. Owner thread;
 * cheap for a client that never enabled tracking. */
void tracking_before_call(struct client *c, const struct cmd_def *d);
void tracking_after_call(struct client *c, const struct cmd_def *d);

/* The store's touch hook: key 'key'/'klen' changed ('key' NULL: every key, after a
 * flush or a reopen), from any thread, under the key's stripe lock. */
void tracking_touched(const char *key, size_t klen);

/* FLUSHDB / FLUSHALL succeeded: every tracking client gets the null invalidation and
 * the table is emptied, as Redis does on every flush (an empty database too); once per
 * command even when the touch hook already reported the flush. Owner thread. */
void tracking_flushed_by_command(void);

/* 'c' changed protocol (HELLO, RESET): invalidations are encoded for the new one.
 * Owner thread. */
void tracking_proto_changed(struct client *c);

/* RESET: tracking off, as Redis' clearClientConnectionState. Owner thread. */
void tracking_client_reset(struct client *c);

/* 'c' is being freed (conn_free), after it left its worker's list: it leaves the
 * registry, so no invalidation is sent to or through it any more. Owner thread. */
void tracking_client_gone(struct client *c);

/* What CLIENT LIST shows of 'c': Redis' flag letters t R B appended at 'p' (returns
 * the new end), and redir= (-1 when tracking is off). Any thread holding c's worker's
 * clients_lock. */
char *tracking_flags_letters(const struct client *c, char *p);
long long tracking_redir(const struct client *c);

/* INFO: clients with tracking on, keys in the table, client ids across its keys, BCAST
 * prefixes. Any thread. */
struct tracking_stats {
    long long clients, keys, items, prefixes;
};
void tracking_stats(struct tracking_stats *out);

#endif
