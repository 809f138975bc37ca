/* conn.h - one client connection: its bufferevent, its parser state and the bits of
 * session state commands read (database, protocol, authentication). A client belongs
 * to one worker for life; every field is owner-thread-only unless marked. */
#ifndef OMK_DAEMON_CONN_H
#define OMK_DAEMON_CONN_H

#include <stdint.h>

#include "common/omk.h"
#include "resp/resp.h"

struct block;
struct store_reader;
struct bufferevent;
struct evbuffer;
struct worker;

#define CLIENT_CLOSE_AFTER_REPLY 0x1 /* QUIT, protocol error: flush replies then close */
#define CLIENT_CLOSING 0x2           /* being torn down: queue no more replies */
#define CLIENT_PAUSED 0x4            /* output above CONN_OUT_PAUSE: not reading until it drains */
#define CLIENT_DENY_BLOCKING 0x8     /* a blocking pop answers at once, as on a timeout (set
                                      * while EXEC runs the queue, as Redis' flag of that name) */

struct client {
    uint64_t id;
    int fd;
    struct worker *worker;
    struct bufferevent *bev;
    struct evbuffer *out;        /* the bufferevent's output buffer */
    int flags;                   /* CLIENT_* */
    int db;                      /* SELECTed database */
    int proto;                   /* 2 or 3 (HELLO) */
    int authenticated;
    size_t need;                 /* bytes the parser needs before it can progress */
    size_t expanded;             /* 'need' the input buffer was last expanded for, and the
                                  * bytes reserved for it in server.large_requests_bytes */
    size_t in_counted;           /* input bytes already counted in net_in_bytes */
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
    struct multi_state *multi;   /* open MULTI, or NULL (multi.c) */
    struct watch_rec *watches;   /* this client's WATCHes (multi.c; also its watch_mu) */
    _Atomic int watch_dirty;     /* a watched key changed (set by any thread) */
    _Atomic int kill_requested;  /* CLIENT KILL from another worker: close it (worker_reap) */
    struct block *block;         /* parked by a blocking pop (blocking.c), or NULL; runs no
                                  * request meanwhile */
    struct store_reader *reader; /* a large value whose bulk reply is being streamed
                                  * (conn_stream_start), or NULL; runs no request meanwhile */
    _Atomic int parked;          /* 'block' is set: written by the owner, read by CLIENT LIST */
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
 * for writing pending replies; the clock restarts. A parked client gets none. Owner
 * thread. */
void conn_apply_timeout(struct client *c);

/* conn_apply_timeout() for every client of worker 'w' (CONFIG SET timeout). Owner
 * thread. */
void conn_apply_timeout_all(struct worker *w);

/* 'c' is no longer parked (blocking.c) and its last reply is queued: close it if that
 * reply passed an output limit (freeing 'c'), else give it back its idle timeout and run
 * the requests that arrived while it was parked. Owner thread. */
void conn_unparked(struct client *c);

/* Close 'c' now, dropping unsent replies, and free it (owner thread). */
void conn_free(struct client *c);

/* Close the clients of worker 'w' that CLIENT KILL flagged (owner thread). */
void conn_reap(struct worker *w);

/* Close every client of worker 'w' (owner thread; shutdown). */
void conn_close_all(struct worker *w);

#endif
