/* pubsub.h - publish/subscribe (pubsub.c): the registry of channels, patterns and shard
 * channels with their subscribers, and the delivery of messages to subscribers on every
 * worker. A message reaches a subscriber through its own worker: a publisher on another
 * thread queues it in the subscriber's mailbox and wakes that worker, which moves it to
 * the client's output; so messages from one publisher reach one subscriber in the order
 * they were published. The handlers (cmd_pubsub.c) parse and call these; other code
 * (keyspace notifications) publishes with pubsub_publish().
 *
 * Locking: one mutex (pubsub.c's ps_lock) guards the whole registry, every client's
 * mailbox and the per-worker delivery queues. It is taken for each publish, subscribe
 * and delivery; it is a leaf: nothing else is locked or waited for inside it (the
 * workers' pipes are written after it is left), so a caller may hold any other lock. */
#ifndef OMK_DAEMON_PUBSUB_H
#define OMK_DAEMON_PUBSUB_H

#include <stddef.h>

#include "common/omk.h"

struct client;
struct cmd_def;
struct worker;

/* The three name spaces: SUBSCRIBE's channels, PSUBSCRIBE's patterns, SSUBSCRIBE's shard
 * channels (separate from the others, as in Redis: PUBLISH does not reach them). */
enum pubsub_kind {
    PUBSUB_CHANNEL = 0,
    PUBSUB_PATTERN = 1,
    PUBSUB_SHARD = 2,
    PUBSUB_KINDS = 3,
};

/* Start-up, main thread, before any worker runs: room for 'nworkers' delivery queues. */
void pubsub_init(int nworkers);

/* On worker 'w''s own thread, before it serves anyone: publishes from this thread write
 * straight to the output of this worker's subscribers. */
void pubsub_thread_init(struct worker *w);

/* Subscribe 'c' to 'name' of kind 'k' (borrowed; copied when new) and reply Redis'
 * confirmation [subscribe|psubscribe|ssubscribe, name, count]: a push in RESP3, an array
 * in RESP2. Subscribing twice to the same name only replies. Owner thread. */
void pubsub_subscribe(struct client *c, enum pubsub_kind k, struct omk_slice name);

/* Unsubscribe 'c' from 'name' of kind 'k' and reply Redis' confirmation (also when 'c'
 * was not subscribed to it). 'name' NULL: from every name of that kind, one confirmation
 * each, or one with a null name when there were none. Owner thread. */
void pubsub_unsubscribe(struct client *c, enum pubsub_kind k, const struct omk_slice *name);

/* Publish 'msg' on 'channel' (both borrowed; binary): to the channel's subscribers and
 * to those of every matching pattern ('shard' 0), or to the shard channel's subscribers
 * ('shard' 1). Returns the number of deliveries, as Redis' PUBLISH counts them (a client
 * subscribed to the channel and to two matching patterns counts three times), counting
 * clients being closed too. Never blocks on a subscriber: one whose unsent messages pass
 * the pubsub class's hard limit of client-output-buffer-limit is closed instead. Any
 * thread, including threads that are not workers (keyspace notifications from active
 * expiry); the caller holds no lock of the daemon. */
long long pubsub_publish(const char *channel, size_t clen, const char *msg, size_t mlen,
                         int shard);

/* Deliver 'len' bytes of RESP 'msg' (borrowed) to client 'c' as messages are delivered:
 * into its output now from its own worker, else through its mailbox; in order with its
 * pub/sub messages, bounded and closed past the same limits. For client tracking's
 * invalidations (tracking.c). Any thread; the caller keeps 'c' from being freed
 * meanwhile (tracking.c holds trk_lock, which conn_free takes before
 * pubsub_client_reset). */
void pubsub_send_raw(struct client *c, const void *msg, size_t len);

/* 1 if 'c' has any subscription (Redis' CLIENT_PUBSUB flag). Any thread. */
int pubsub_subscribed(const struct client *c);

/* Whether a subscribed RESP2 client may run command 'd': the (P|S)(UN)SUBSCRIBE family,
 * PING, QUIT and RESET. */
int pubsub_cmd_allowed(const struct cmd_def *d);

/* Drop every subscription of 'c' without replying, and its undelivered messages
 * (disconnect, RESET). Owner thread. */
void pubsub_client_reset(struct client *c);

/* 'c' changed protocol (HELLO): messages published from now on are encoded for it.
 * Owner thread. */
void pubsub_proto_changed(struct client *c);

/* Move the messages queued for worker 'w''s clients into their outputs (they leave at
 * the end of the pass); close those past their output limit. Worker 'w''s thread, on
 * its wake-up. */
void pubsub_worker_deliver(struct worker *w);

/* Move c's queued messages to its output now, unless a streamed reply is in progress
 * (conn.c calls it when one ends). Owner thread. */
void pubsub_flush(struct client *c);

/* PUBSUB NUMSUB / SHARDNUMSUB: the subscribers of 'name' of kind 'k'. Any thread. */
long long pubsub_numsub(enum pubsub_kind k, struct omk_slice name);

/* The number of names of kind 'k' with at least one subscriber (PUBSUB NUMPAT, INFO's
 * pubsub_channels, pubsub_patterns, pubsubshard_channels). Any thread. */
long long pubsub_count(enum pubsub_kind k);

/* PUBSUB CHANNELS / SHARDCHANNELS: reply an array of the names of kind 'k' matching glob
 * 'pat' ('pat' NULL: all). Owner thread. */
void pubsub_reply_names(struct client *c, enum pubsub_kind k, const struct omk_slice *pat);

#endif
