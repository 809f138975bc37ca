/* conn.h - one client connection: its socket (read by its own read event, written
 * through a bufferevent), its parser state and the bits of session state commands read
 * (database, protocol, authentication). A client belongs to one worker for life; every
 * field is owner-thread-only unless marked. */
#ifndef OMK_DAEMON_CONN_H
#define OMK_DAEMON_CONN_H

#include <stdint.h>

#include "common/omk.h"
#include "resp/resp.h"

struct acl_user;
struct block;
struct monitor_sink;
struct pubsub_client;
struct store_reader;
struct trk_client;
struct bufferevent;
struct evbuffer;
struct event;
struct worker;

#define CLIENT_CLOSE_AFTER_REPLY 0x1 /* QUIT, protocol error: flush replies then close */
#define CLIENT_CLOSING 0x2           /* being torn down: queue no more replies */
#define CLIENT_PAUSED 0x4            /* output above CONN_OUT_PAUSE: not reading until it drains */
#define CLIENT_DENY_BLOCKING 0x8     /* a blocking pop answers at once, as on a timeout (set
                                      * while EXEC runs the queue, as Redis' flag of that name) */
#define CLIENT_REPLY_OFF 0x10        /* CLIENT REPLY OFF: no replies at all */
#define CLIENT_REPLY_SKIP_NEXT 0x20  /* CLIENT REPLY SKIP: the next command's replies go */
#define CLIENT_REPLY_SKIP 0x40       /* ... the current command's replies are dropped */
#define CLIENT_MONITOR 0x80          /* in MONITOR mode (monitor.c) */
#define CLIENT_NO_EVICT 0x100        /* CLIENT NO-EVICT ON (shown only: clients are never
                                      * evicted here) */
#define CLIENT_POSTPONED 0x200       /* its next request waits for CLIENT PAUSE (pause.c) */
#define CLIENT_NO_TOUCH 0x400        /* CLIENT NO-TOUCH ON: its commands but TOUCH leave the
                                      * keys' access times alone (store_access_set) */

/* What CLIENT LIST shows of a client to the other workers (clientinfo.c): written by the
 * owner with relaxed stores when a read callback ends and when its output is written
 * (client_snapshot), read by any thread. */
struct client_snap {
    _Atomic int flags;          /* the client's CLIENT_* flags */
    _Atomic int db;             /* SELECTed database */
    _Atomic int proto;          /* 2 or 3 */
    _Atomic int multi;          /* commands queued in MULTI, -1 outside MULTI */
    _Atomic int watch_dirty;    /* a watched key changed */
    _Atomic int events;         /* EV_READ and EV_WRITE as conn_events() gives them */
    _Atomic long long qbuf;     /* input bytes received and not yet run, bytes */
    _Atomic long long multi_mem; /* heap held by the MULTI queue, bytes */
    _Atomic long long out;      /* output bytes waiting to be written */
    _Atomic long long out_peak; /* most output bytes waiting at a snapshot, since ... */
    _Atomic int64_t out_peak_ms; /* ... this time (monotonic ms; restarts every 5 s) */
};

struct client {
    uint64_t id;
    int fd;
    struct worker *worker;
    struct bufferevent *bev;     /* writes 'out' (its read side is never enabled) */
    struct evbuffer *out;        /* the bufferevent's output buffer */
    struct evbuffer *in;         /* bytes read and not yet run (NULL: no socket) */
    struct event *read_ev;       /* EV_READ|EV_PERSIST on 'fd': conn_read_event_cb */
    struct event *again_ev;      /* activated to run 'in' again (conn_read_again) */
    int reading;                 /* read_ev is added (conn_read_on/off) */
    int idle_s;                  /* idle timeout while reading, seconds (0: none);
                                  * conn_apply_timeout sets it */
    int flags;                   /* CLIENT_* */
    int db;                      /* SELECTed database */
    int proto;                   /* 2 or 3 (HELLO) */
    int authenticated;
    struct acl_user *user;       /* the user it runs as (acl.h), a reference held */
    size_t need;                 /* bytes the parser needs before it can progress */
    size_t expanded;             /* 'need' the input buffer was last expanded for, and the
                                  * bytes reserved for it in server.large_requests_bytes */
    struct resp_req req;
    int argc;                    /* the request being executed */
    struct omk_slice *argv;
    char *name;                  /* CLIENT SETNAME; guarded by worker->clients_lock */
    char addr[64];               /* "ip:port" of the peer */
    char laddr[64];              /* "ip:port" of our end */
    int64_t ctime_ms;            /* connected at (wall clock) */
    int64_t obuf_soft_since_ms;  /* output above the soft limit since (monotonic), 0: it is not */
    _Atomic int64_t last_us;     /* when the last command ended, or when it connected:
                                  * omk_mono_us(), monotonic microseconds. Written by the
                                  * owner (relaxed), read by CLIENT LIST for idle= */
    _Atomic int last_cmd_idx;    /* index of the last command in the table, -1 none; written
                                  * by the owner (relaxed), read by CLIENT LIST for cmd= */
    struct client *prev, *next;  /* worker->clients list; guarded by worker->clients_lock */
    _Atomic(const char *) last_sub; /* subcommand of the last command ("list" of CLIENT
                                  * LIST), or NULL; as last_cmd_idx */
    struct monitor_sink *monitor; /* in MONITOR mode: its sink (monitor.c), else NULL */
    struct client_snap snap;     /* for CLIENT LIST from other workers */
    struct multi_state *multi;   /* open MULTI, or NULL (multi.c) */
    struct watch_rec *watches;   /* this client's WATCHes (multi.c; also its watch_mu) */
    _Atomic int watch_dirty;     /* a watched key changed (set by any thread) */
    _Atomic int kill_requested;  /* CLIENT KILL from another worker: close it (worker_reap) */
    struct pubsub_client *pubsub; /* subscriptions and undelivered messages (pubsub.c), or
                                   * NULL before the first subscription */
    _Atomic int sub_channels;    /* SUBSCRIBE channels, PSUBSCRIBE patterns and SSUBSCRIBE */
    _Atomic int sub_patterns;    /* shard channels held (CLIENT LIST sub= psub= ssub=): */
    _Atomic int sub_shard;       /* written by the owner (relaxed), read by any thread */
    struct block *block;         /* parked by a blocking pop (blocking.c), or NULL; runs no
                                  * request meanwhile */
    struct store_reader *reader; /* a large value whose bulk reply is being streamed
                                  * (conn_stream_start), or NULL; runs no request meanwhile */
    _Atomic int parked;          /* 'block' is set: written by the owner, read by CLIENT LIST */
    _Atomic(struct trk_client *) trk; /* client tracking's state (tracking.c), or NULL;
                                  * written under its trk_lock */
    /* The current pass (pass.c): */
    int pass_is_held;            /* ran a command this pass: its replies wait for the log */
    size_t pass_base;            /* bytes of output before this pass's first reply */
    struct pass_seg *pass_segs;  /* this pass's replies of commands that wrote */
    size_t pass_nsegs, pass_capsegs;
    struct client *pass_prev, *pass_next; /* worker->pass_held list */
};

/* Create a client for accepted socket 'fd' on worker 'w' and start reading (worker
 * thread). On failure the fd is closed. */
void conn_accept(struct worker *w, int fd);

/* What CLIENT LIST's events= shows of 'c': EV_READ while its socket is read, EV_WRITE
 * while its bufferevent waits to write. Owner thread. */
int conn_events(const struct client *c);

/* Write the pending output of 'c' to its socket now (pass.c calls it when the replies of
 * a pass may leave), as far as the socket takes it; the rest goes through the write
 * event. A drained output finishes a close after reply (freeing 'c') or ends a pause.
 * Returns 1 if 'c' was freed. Owner thread. */
int conn_write_now(struct client *c);

/* Stream the bytes of 'r' (taken over) as the bulk reply of the current command: the
 * header and a first part now, the rest as the client reads (conn_write_cb), so a large
 * value never sits whole in RAM; the client's next requests wait until the reply ends,
 * so replies stay in request order. Owner thread, outside EXEC (conn_may_stream). */
void conn_stream_start(struct client *c, struct store_reader *r);

/* 1 if the current command of 'c' may stream its reply: it goes straight to the
 * client's output, not into EXEC's array or a deferred aggregate. */
int conn_may_stream(const struct client *c);

/* Give 'c' the idle timeout the config holds now (timeout; 0: none), for reading and
 * for writing pending replies; the clock restarts. A parked client, and one with a
 * subscription (pubsub.c), gets none. Owner thread. */
void conn_apply_timeout(struct client *c);

/* conn_apply_timeout() for every client of worker 'w' (CONFIG SET timeout). Owner
 * thread. */
void conn_apply_timeout_all(struct worker *w);

/* Run the input 'c' holds again from a callback of its own, after the callbacks already
 * due in this loop iteration (so never inside the caller: it may be in the middle of the
 * client's processing), as if it had just been read: for requests that waited (CLIENT
 * PAUSE, a parked client, backpressure, a streamed reply, the per-event budget), since no
 * read event comes for bytes already read. Owner thread. */
void conn_read_again(struct client *c);

/* 'c' is no longer parked (blocking.c) and its last reply is queued: close it if that
 * reply passed an output limit (freeing 'c'), else give it back its idle timeout and run
 * the requests that arrived while it was parked. Owner thread. */
void conn_unparked(struct client *c);

/* Check c's pending output against client-output-buffer-limit (the pubsub class for a
 * subscribed client, else normal), as Redis' checkClientOutputBufferLimits does: at or
 * past the hard limit, or at or past the soft limit for more than its seconds. On a
 * breach, log Redis' line and mark 'c' CLIENT_CLOSING (the caller arranges the free);
 * returns 1 then, else 0. Owner thread. */
int conn_check_obuf_limits(struct client *c);

/* Close 'c' now, dropping unsent replies, and free it (owner thread). */
void conn_free(struct client *c);

/* Close the clients of worker 'w' that CLIENT KILL flagged (owner thread). */
void conn_reap(struct worker *w);

/* Close every client of worker 'w' (owner thread; shutdown). */
void conn_close_all(struct worker *w);

#endif
