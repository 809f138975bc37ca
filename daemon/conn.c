/* conn.c - a client connection on its worker: bytes in, requests parsed by resp/,
 * executed by cmd_execute(), replies out, in request order.
 *
 * HOW IT WORKS: the read callback parses requests straight out of the first chunk of
 * the input evbuffer (argv slices point into it), runs each one, and drains the bytes
 * of all requests it ran at once. A request that spans chunks gets one
 * evbuffer_pullup() of exactly the bytes the parser said it needs; until that many
 * bytes have arrived the connection does not parse again, so a 100 MB argument is not
 * re-parsed on every read. At most CONN_REQS_PER_EVENT requests run per callback;
 * if input remains, the connection re-arms itself (no new read event would come for
 * bytes already buffered).
 *
 * Reading (issue 18): each client has its own persistent read event, whose callback makes
 * one read(2) into the input evbuffer per readable event, as Redis does: up to
 * CONN_READ_LEN bytes, or all the room a large request reserved for itself. The
 * bufferevent only writes: its read side would ask the kernel for the readable byte
 * count (ioctl FIONREAD) before every read, one syscall more per request. Reading is
 * switched only by conn_read_on/off, and buffered input is re-run only by
 * conn_read_again.
 *
 * Output is bounded two ways. Backpressure (libevent's le-proxy pattern): once a
 * client's pending output reaches CONN_OUT_PAUSE bytes, no further request of it runs
 * and reading stops; a write low-watermark of CONN_OUT_RESUME calls conn_write_cb when
 * the client has read enough, which turns reading back on and runs what was buffered.
 * So a client that pipelines GETs of a large value and never reads holds at most about
 * CONN_OUT_PAUSE bytes plus one reply. And client-output-buffer-limit (normal class),
 * checked after every command as Redis checks it when a reply is queued, on the bytes
 * Redis would count (conn_obuf_usage: not the first 16 KB): past the hard limit, or
 * above the soft one for longer than its seconds, the client is closed at once, its
 * replies dropped, with Redis' log line.
 *
 * A GET of a large fragmented value streams (conn_stream_start): its bulk reply is
 * produced from a store reader up to CONN_STREAM_HIGH bytes of output, then again each
 * time the client has read the output down to CONN_STREAM_LOW (the write low-watermark),
 * while no further request of the client runs; so the value never sits whole in RAM
 * and the replies after it stay behind it. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/omk_thread.h"
#include "daemon/acl.h"
#include "daemon/blocking.h"
#include "daemon/clientinfo.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/pass.h"
#include "daemon/pubsub.h"
#include "daemon/log.h"
#include "daemon/monitor.h"
#include "daemon/multi.h"
#include "daemon/pause.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "daemon/tracking.h"

#define CONN_REQS_PER_EVENT 256
#define CONN_OUT_PAUSE (8 * 1024 * 1024)     /* output bytes at which a client stops being read */
#define CONN_OUT_RESUME (CONN_OUT_PAUSE / 4) /* ... and below which it is read again */
#define CONN_STREAM_HIGH (1024 * 1024)      /* a streamed reply is produced up to this much
                                             * pending output ... */
#define CONN_STREAM_LOW (256 * 1024)        /* ... and again once it fell below this */
#define CONN_STREAM_PIECE (64 * 1024)       /* bytes read from the store at a time */
#define CONN_BIG_REQUEST (1024 * 1024)      /* a request this big is read into one chain */
/* Bytes asked of the socket per read: Redis' PROTO_IOBUF_LEN (16 KB) less room for the
 * header of the evbuffer chain they are read into, so that chain is a 16 KB allocation
 * and not 32 (libevent rounds a chain up to a power of two). */
#define CONN_READ_LEN (16 * 1024 - 256)
/* Redis' PROTO_REPLY_CHUNK_BYTES: the size of its static reply buffer, which its output
 * buffer limits do not count, and of each block of the reply list beyond it, which they
 * count whole (getClientOutputBufferMemoryUsage). */
#define CONN_REPLY_CHUNK (16 * 1024)

static void conn_read_event_cb(evutil_socket_t fd, short what, void *arg);
static void conn_again_cb(evutil_socket_t fd, short what, void *arg);
static void conn_write_cb(struct bufferevent *bev, void *arg);
static void conn_large_release(struct client *c);

/* ---- Reading ------------------------------------------------------------------------- */

/* Read the socket of 'c' from now on: add its read event, with the idle timeout if it
 * has one (conn_apply_timeout), whose clock restarts. The timeout counts only while
 * reading is on, as the bufferevent's read timeout did. */
static void conn_read_on(struct client *c)
{
    struct timeval tv = {c->idle_s, 0};

    if (c->idle_s > 0) {
        event_add(c->read_ev, &tv);
    } else {
        event_add(c->read_ev, NULL);
        event_remove_timer(c->read_ev); /* event_add(NULL) keeps a timer set before */
    }
    c->reading = 1;
}

/* Stop reading the socket of 'c' (its idle timeout stops too). What was read stays in
 * c->in, and conn_read_again may still run it. */
static void conn_read_off(struct client *c)
{
    if (c->reading)
        event_del(c->read_ev);
    c->reading = 0;
}

void conn_read_again(struct client *c)
{
    /* event_active() queues the callback behind those this loop iteration has yet to
     * run: never a recursive call. Asked again while it is queued, it runs once. */
    event_active(c->again_ev, EV_TIMEOUT, 0);
}

int conn_events(const struct client *c)
{
    int ev = c->reading ? EV_READ : 0;

    if (c->bev && (bufferevent_get_enabled(c->bev) & EV_WRITE))
        ev |= EV_WRITE;
    return ev;
}

/* One read(2) from the socket of 'c' into c->in: into the room at the end of what was
 * read last, then a new chain, CONN_READ_LEN bytes in all; or, when a large request
 * reserved room for the rest of it (conn_process_input), all that room, so the rest
 * arrives in that one chain, as much of it as has come. Returns what read(2) (readv(2)
 * when the room spans two chains) returned, errno set by it. */
static ssize_t conn_read_socket(struct client *c)
{
    struct evbuffer_iovec v[2];
    struct iovec iov[2];
    int nv = evbuffer_reserve_space(c->in, CONN_READ_LEN, v, 2);
    ssize_t n, left;

    OMK_ASSERT(nv == 1 || nv == 2);
    if (nv == 1) {
        n = read(c->fd, v[0].iov_base, v[0].iov_len);
    } else {
        for (int i = 0; i < nv; i++) {
            iov[i].iov_base = v[i].iov_base;
            iov[i].iov_len = v[i].iov_len;
        }
        n = readv(c->fd, iov, nv);
    }
    if (n <= 0)
        return n; /* the room stays unused: nothing to commit */
    left = n;
    for (int i = 0; i < nv; i++) {
        if (v[i].iov_len > (size_t)left)
            v[i].iov_len = (size_t)left;
        left -= (ssize_t)v[i].iov_len;
    }
    OMK_ASSERT(left == 0);
    nv = evbuffer_commit_space(c->in, v, nv);
    OMK_ASSERT(nv == 0);
    return n;
}

int conn_write_now(struct client *c)
{
    size_t low;

    /* Other workers' CLIENT LIST sees the output gone before it goes: once the peer has
     * its reply it may ask another connection about this one, faster than this thread
     * gets from the write to the snapshot below. A full socket publishes what is left. */
    atomic_store_explicit(&c->snap.out, 0, memory_order_relaxed);
    while (evbuffer_get_length(c->out) > 0) {
        int n;

        /* The bufferevent freezes its output's front (only it drains it); it does the
         * same as this around its own writes. */
        evbuffer_unfreeze(c->out, 1);
        n = evbuffer_write(c->out, c->fd);
        evbuffer_freeze(c->out, 1);

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) { /* the peer is gone: what the event callback would do */
            conn_free(c);
            return 1;
        }
    }
    if (evbuffer_get_length(c->out) > 0) { /* the socket is full: let libevent wait */
        bufferevent_enable(c->bev, EV_WRITE);
        client_snapshot(c);
        return 0;
    }
    client_snapshot(c);
    low = c->reader ? CONN_STREAM_LOW : (c->flags & CLIENT_PAUSED) ? CONN_OUT_RESUME : 0;
    if (evbuffer_get_length(c->out) <= low) {
        int closing = (c->flags & CLIENT_CLOSE_AFTER_REPLY) != 0;

        conn_write_cb(c->bev, c); /* what the watermark would have called */
        return closing;
    }
    return 0;
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg);

/* Format the address of 'sa' as "ip:port" into 'buf'. */
static void conn_format_addr(const struct sockaddr_storage *sa, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
        port = ntohs(s4->sin_port);
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
        port = ntohs(s6->sin6_port);
    }
    snprintf(buf, len, "%s:%d", ip, port);
}

void conn_accept(struct worker *w, int fd)
{
    struct client *c = omk_calloc(1, sizeof(*c));
    struct sockaddr_storage sa;
    socklen_t salen = sizeof(sa);
    int one = 1;

    c->id = atomic_fetch_add(&server.next_client_id, 1) + 1;
    c->fd = fd;
    c->worker = w;
    c->proto = 2;
    c->user = acl_default_user();
    acl_user_retain(c->user);
    c->authenticated = acl_default_lets_in();
    c->ctime_ms = omk_now_ms();
    atomic_init(&c->last_us, omk_mono_us());
    atomic_init(&c->last_cmd_idx, -1);
    resp_req_init(&c->req);
    if (getpeername(fd, (struct sockaddr *)&sa, &salen) == 0)
        conn_format_addr(&sa, c->addr, sizeof(c->addr));
    salen = sizeof(sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &salen) == 0)
        conn_format_addr(&sa, c->laddr, sizeof(c->laddr));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    evutil_make_socket_nonblocking(fd);

    c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        omk_log(OMK_LOG_WARNING, "cannot create a bufferevent for a client");
        close(fd);
        resp_req_deinit(&c->req);
        omk_free(c);
        atomic_fetch_sub(&server.connected_clients, 1);
        return;
    }
    c->out = bufferevent_get_output(c->bev);
    c->in = evbuffer_new();
    c->read_ev = event_new(w->base, fd, EV_READ | EV_PERSIST, conn_read_event_cb, c);
    c->again_ev = event_new(w->base, -1, 0, conn_again_cb, c);
    OMK_ASSERT(c->in && c->read_ev && c->again_ev);
    /* The bufferevent only writes (conn_read_socket reads). Writing is off: replies
     * leave at the end of each pass (pass.c, conn_write_now), and through the write
     * event only when the socket did not take them all. */
    bufferevent_setcb(c->bev, NULL, conn_write_cb, conn_event_cb, c);
    conn_apply_timeout(c);
    conn_read_on(c);

    client_snapshot(c);
    omk_mutex_lock(&w->clients_lock);
    c->next = w->clients;
    if (w->clients)
        w->clients->prev = c;
    w->clients = c;
    omk_mutex_unlock(&w->clients_lock);
}

void conn_apply_timeout(struct client *c)
{
    int t = server.cfg.timeout;
    struct timeval tv = {t, 0};

    /* Idle for reading (the read event's timeout, while reading is on), or not reading
     * its replies while some are pending (the bufferevent's write timeout). Subscribers
     * wait for messages, as parked clients wait for keys: Redis exempts both. A client
     * with no connection (the command fuzz target's) has no timeout. */
    if (!c->bev)
        return;
    c->idle_s = t > 0 && !blocking_parked(c) && !pubsub_subscribed(c) ? t : 0;
    bufferevent_set_timeouts(c->bev, NULL, c->idle_s > 0 ? &tv : NULL);
    if (c->reading)
        conn_read_on(c); /* the new timeout, its clock restarted */
}

void conn_apply_timeout_all(struct worker *w)
{
    for (struct client *c = w->clients; c; c = c->next)
        conn_apply_timeout(c);
}

void conn_free(struct client *c)
{
    struct worker *w = c->worker;

    omk_mutex_lock(&w->clients_lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    omk_mutex_unlock(&w->clients_lock);

    store_reader_close(c->reader);
    monitor_stop(c);
    pause_forget(c);
    conn_large_release(c);
    blocking_forget(c); /* leaves the keys it waits on */
    tracking_client_gone(c); /* before pubsub: invalidations reach it through its mailbox */
    pubsub_client_reset(c); /* before the memory goes: publishers reach it through the
                             * registry */
    multi_reset(c); /* before the memory goes: other threads may flag its watches */
    pass_forget(c);
    event_free(c->read_ev); /* before the fd closes */
    event_free(c->again_ev);
    evbuffer_free(c->in);
    bufferevent_free(c->bev); /* closes the fd */
    resp_req_deinit(&c->req);
    acl_user_release(c->user);
    omk_free(c->name);
    omk_free(c);
    atomic_fetch_sub(&server.connected_clients, 1);
}

void conn_reap(struct worker *w)
{
    struct client *c = w->clients, *next;

    for (; c; c = next) {
        next = c->next;
        if (atomic_load(&c->kill_requested))
            conn_free(c);
    }
}

void conn_close_all(struct worker *w)
{
    while (w->clients)
        conn_free(w->clients);
}

/* Queue the parser's protocol error and close once it is written, as Redis does. */
static void conn_protocol_error(struct client *c, const char *msg)
{
    omk_log(OMK_LOG_VERBOSE, "Protocol error (%s) from client: id=%llu addr=%s", msg,
            (unsigned long long)c->id, c->addr);
    reply_error(c, msg);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/* What client-output-buffer-limit counts of 'c's pending output, as Redis counts it:
 * nothing of what fits its static buffer (the first CONN_REPLY_CHUNK bytes), and the rest
 * in whole blocks of CONN_REPLY_CHUNK bytes, as its reply list allocates them. So a
 * limit of 1 byte closes no client whose replies fit in 16 KB, and a limit of 1kb closes
 * one as soon as a reply overflows that buffer. */
static size_t conn_obuf_usage(const struct client *c)
{
    size_t pending = evbuffer_get_length(c->out), over;

    if (pending <= CONN_REPLY_CHUNK)
        return 0;
    over = pending - CONN_REPLY_CHUNK;
    return (over + CONN_REPLY_CHUNK - 1) / CONN_REPLY_CHUNK * CONN_REPLY_CHUNK;
}

/* The client-output-buffer-limit class of 'c': pubsub once it subscribed to anything,
 * as Redis' getClientType says. */
static const struct cfg_obuf_limit *conn_obuf_class(const struct client *c)
{
    return &server.cfg.obuf_limits[pubsub_subscribed(c) ? CFG_OBUF_PUBSUB : CFG_OBUF_NORMAL];
}

int conn_check_obuf_limits(struct client *c)
{
    const struct cfg_obuf_limit *l = conn_obuf_class(c);
    long long hard = atomic_load(&l->hard), soft = atomic_load(&l->soft);
    size_t used = conn_obuf_usage(c);
    int breach = hard > 0 && used >= (unsigned long long)hard;

    if (soft > 0 && used >= (unsigned long long)soft) {
        int64_t now = omk_mono_us() / 1000;

        if (c->obuf_soft_since_ms == 0)
            c->obuf_soft_since_ms = now;
        else if (now - c->obuf_soft_since_ms > 1000LL * atomic_load(&l->soft_seconds))
            breach = 1;
    } else {
        c->obuf_soft_since_ms = 0;
    }
    if (!breach)
        return 0;
    omk_log(OMK_LOG_WARNING,
            "Client id=%llu addr=%s laddr=%s omem=%zu cmd=%s scheduled to be closed ASAP for "
            "overcoming of output buffer limits.",
            (unsigned long long)c->id, c->addr, c->laddr, used, cmd_current_name(c));
    c->flags |= CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSING;
    return 1;
}

/* Whether 'c' may run another request now: not closing, not parked, not postponed by
 * CLIENT PAUSE, and its output below the backpressure mark. */
static int conn_may_run(const struct client *c)
{
    return !(c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_POSTPONED)) && !blocking_parked(c) &&
           !c->reader &&
           evbuffer_get_length(c->out) < CONN_OUT_PAUSE;
}

/* The large-requests-max-memory budget in bytes (0 in the config: a quarter of RAM). */
static long long conn_large_budget(void)
{
    long long max = atomic_load(&server.cfg.large_requests_max_memory);

    if (max == 0)
        max = (long long)sysconf(_SC_PHYS_PAGES) / 4 * (long long)sysconf(_SC_PAGESIZE);
    return max;
}

/* Reserve 'need' bytes of the large-request budget for 'c' (in place of what it held):
 * 1, or 0 when the budget would be passed (nothing reserved then; logged). */
static int conn_large_reserve(struct client *c, size_t need)
{
    long long add = (long long)(need - c->expanded);
    long long now = atomic_fetch_add(&server.large_requests_bytes, add) + add;

    if (now > conn_large_budget()) {
        atomic_fetch_sub(&server.large_requests_bytes, add);
        omk_log(OMK_LOG_WARNING, "Refusing a request of %zu bytes from client id=%llu addr=%s: "
                "large requests being read would hold more than large-requests-max-memory",
                need, (unsigned long long)c->id, c->addr);
        return 0;
    }
    c->expanded = need;
    return 1;
}

/* Give back what 'c' reserved of the large-request budget. */
static void conn_large_release(struct client *c)
{
    if (c->expanded)
        atomic_fetch_sub(&server.large_requests_bytes, (long long)c->expanded);
    c->expanded = 0;
}

/* Make the bytes in 'in', the start of a request of 'need' bytes, the front of one chain
 * with room for all of it (conn_read_socket then reads the rest into that room). They
 * are copied there: evbuffer_expand() copies at most 4 KB to grow a chain and otherwise
 * adds a new one behind it, and a read takes up to CONN_READ_LEN bytes. So 'need' bytes
 * are copied at most once, as a pullup of a request in two chains would copy them. */
static void conn_large_room(struct evbuffer *in, size_t need)
{
    struct evbuffer *first = evbuffer_new();
    struct evbuffer_iovec v;
    int rc;

    OMK_ASSERT(first != NULL);
    rc = evbuffer_add_buffer(first, in); /* moves its chains: 'in' is empty */
    OMK_ASSERT(rc == 0);
    rc = evbuffer_expand(in, need);
    OMK_ASSERT(rc == 0);
    while (evbuffer_peek(first, -1, NULL, &v, 1) > 0) {
        rc = evbuffer_add(in, v.iov_base, v.iov_len);
        OMK_ASSERT(rc == 0);
        evbuffer_drain(first, v.iov_len);
    }
    evbuffer_free(first);
}

/* Close 'c' if its unprocessed input passed client-query-buffer-limit, as Redis closes a
 * client whose query buffer grows past it: the requests a parked client pipelines wait,
 * but not without bound. Returns 1 then ('c' is marked CLIENT_CLOSING). */
static int conn_check_query_limit(struct client *c, struct evbuffer *in)
{
    if ((long long)evbuffer_get_length(in) <= server.cfg.client_query_buffer_limit)
        return 0;
    omk_log(OMK_LOG_WARNING, "Closing client that reached max query buffer length: "
            "id=%llu addr=%s", (unsigned long long)c->id, c->addr);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSING;
    return 1;
}

/* Parse and run requests from 'in' until it is empty, incomplete, the per-event budget
 * is spent, the output reached the backpressure mark, or the client is closing.
 * Returns 1 if input is left to process in a later callback of this read event. */
static int conn_process_input(struct client *c, struct evbuffer *in)
{
    struct resp_limits lim = {server.cfg.proto_max_bulk_len, c->authenticated};
    int budget = CONN_REQS_PER_EVENT;

    if ((blocking_parked(c) || (c->flags & CLIENT_POSTPONED)) && conn_check_query_limit(c, in))
        return 0;
    while (budget > 0 && conn_may_run(c)) {
        size_t total = evbuffer_get_length(in), off = 0;
        struct evbuffer_iovec v;

        if (total == 0 || total < c->need)
            return 0;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            return 0;
        /* Run the requests that lie whole in the first chunk. */
        while (budget > 0 && conn_may_run(c)) {
            size_t used = 0, need = 0;
            int rc;

            lim.authenticated = c->authenticated;
            rc = resp_parse(&lim, (const char *)v.iov_base + off, v.iov_len - off, &c->req, &used,
                            &need);
            if (rc == RESP_ERR_PROTOCOL) {
                conn_protocol_error(c, c->req.err);
                break;
            }
            if (rc == RESP_INCOMPLETE) {
                c->need = need;
                break;
            }
            c->need = 0;
            conn_large_release(c); /* a large request is whole: its reservation ends */
            c->argc = c->req.argc;
            c->argv = c->req.argv;
            if (pause_postpone(c))
                break; /* its bytes stay in the input, parsed again when it resumes */
            off += used;
            budget--;
            pass_execute(c);
            if (conn_check_obuf_limits(c))
                return 0;
            if (off == v.iov_len)
                break;
        }
        evbuffer_drain(in, off);
        if (c->flags & CLIENT_CLOSE_AFTER_REPLY) {
            evbuffer_drain(in, evbuffer_get_length(in));
            return 0;
        }
        if (c->need) {
            /* The next request is incomplete in the first chunk: make it contiguous
             * once all the bytes it needs are here, or wait for them. */
            size_t have = evbuffer_get_length(in);

            if ((long long)c->need > server.cfg.client_query_buffer_limit) {
                omk_log(OMK_LOG_WARNING, "Closing client that reached max query buffer length: "
                        "id=%llu addr=%s", (unsigned long long)c->id, c->addr);
                c->flags |= CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSING;
                return 0;
            }
            if (have < c->need) {
                /* A large request gets one chain with room for all of it now, what has
                 * come of it at its front: the rest is read into that chain, so the
                 * pullup below finds it contiguous and copies nothing (a 500 MB SET
                 * holds 500 MB, not 1 GB). */
                if (c->need >= CONN_BIG_REQUEST && c->need > c->expanded) {
                    if (!conn_large_reserve(c, c->need)) {
                        reply_error(c, "ERR too much memory is held by large requests being "
                                       "read (large-requests-max-memory): retry later");
                        c->flags |= CLIENT_CLOSE_AFTER_REPLY;
                        evbuffer_drain(in, evbuffer_get_length(in));
                        return 0;
                    }
                    conn_large_room(in, c->need);
                }
                return 0;
            }
            if (evbuffer_pullup(in, (ev_ssize_t)c->need) == NULL)
                return 0;
            c->need = 0;
        }
    }
    return evbuffer_get_length(in) > 0 && conn_may_run(c);
}

/* Run the requests in the input of 'c' (conn_process_input), then settle the client: free
 * it if it is closing; stop reading it if it closes after its replies (freeing it if they
 * are all written) or its output reached the backpressure mark; re-run what is left of
 * its input later if the budget ran out. May free 'c'. */
static void conn_run_input(struct client *c)
{
    size_t out_before = evbuffer_get_length(c->out);

    pass_hold(c); /* whatever this callback replies waits for the end of the pass */
    if (conn_process_input(c, c->in))
        conn_read_again(c);
    store_keep_stripes(0); /* kept across this client's pipelined commands only (cmd.c) */
    client_snapshot(c);
    if (c->flags & CLIENT_CLOSING) {
        conn_free(c);
        return;
    }
    if (evbuffer_get_length(c->out) > out_before)
        worker_stat_add(&c->worker->stats.net_out_bytes, evbuffer_get_length(c->out) - out_before);
    if ((c->flags & CLIENT_CLOSE_AFTER_REPLY)) {
        conn_read_off(c);
        if (evbuffer_get_length(c->out) == 0)
            conn_free(c);
        return;
    }
    if (!(c->flags & CLIENT_PAUSED) && evbuffer_get_length(c->out) >= CONN_OUT_PAUSE) {
        /* Backpressure: read nothing more until the client has taken its replies. */
        c->flags |= CLIENT_PAUSED;
        conn_read_off(c);
        bufferevent_setwatermark(c->bev, EV_WRITE, CONN_OUT_RESUME, 0);
    }
}

/* The socket of 'c' is readable (EV_READ), or was not for its idle timeout (EV_TIMEOUT
 * alone): read it once and run what came. The end of the stream, a read error and the
 * timeout go to conn_event_cb with reading off, in the form the bufferevent reports its
 * own events. */
static void conn_read_event_cb(evutil_socket_t fd, short what, void *arg)
{
    struct client *c = arg;
    ssize_t n;

    OMK_UNUSED(fd);
    if (!(what & EV_READ)) {
        conn_read_off(c);
        conn_event_cb(c->bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, c);
        return;
    }
    n = conn_read_socket(c);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        conn_read_off(c);
        conn_event_cb(c->bev, BEV_EVENT_READING | (n == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR), c);
        return;
    }
    worker_stat_add(&c->worker->stats.net_in_bytes, (uint64_t)n);
    conn_run_input(c);
}

/* conn_read_again's callback: run the input of 'c' again, reading nothing. */
static void conn_again_cb(evutil_socket_t fd, short what, void *arg)
{
    OMK_UNUSED(fd);
    OMK_UNUSED(what);
    conn_run_input(arg);
}

/* ---- Streamed replies ---------------------------------------------------------------- */

int conn_may_stream(const struct client *c)
{
    return !(c->flags & (CLIENT_CLOSING | CLIENT_DENY_BLOCKING | CLIENT_REPLY_OFF |
                         CLIENT_REPLY_SKIP)) &&
           reply_direct();
}

/* Produce the streamed reply of 'c' while its output is under CONN_STREAM_HIGH; at the
 * value's end, the bulk's CRLF, and the reader goes. Returns the bytes added, or -1 when
 * the value can no longer be read (logged): the reply cannot be finished, so the caller
 * closes the connection. */
static long conn_stream_fill(struct client *c)
{
    size_t before = evbuffer_get_length(c->out);

    while (c->reader && evbuffer_get_length(c->out) < CONN_STREAM_HIGH) {
        struct evbuffer_iovec v;
        size_t n = 0;

        if (evbuffer_reserve_space(c->out, CONN_STREAM_PIECE, &v, 1) < 1)
            return -1;
        if (store_reader_read(c->reader, v.iov_base, v.iov_len, &n) != STORE_OK) {
            omk_log(OMK_LOG_WARNING, "Closing client id=%llu: the value it was being sent "
                    "can no longer be read", (unsigned long long)c->id);
            return -1;
        }
        v.iov_len = n;
        evbuffer_commit_space(c->out, &v, 1);
        if (n == 0) {
            evbuffer_add(c->out, "\r\n", 2);
            store_reader_close(c->reader);
            c->reader = NULL;
        }
    }
    return (long)(evbuffer_get_length(c->out) - before);
}

void conn_stream_start(struct client *c, struct store_reader *r)
{
    OMK_ASSERT(!c->reader && conn_may_stream(c));
    evbuffer_add_printf(c->out, "$%llu\r\n", (unsigned long long)store_reader_len(r));
    c->reader = r;
    if (conn_stream_fill(c) < 0) {
        c->flags |= CLIENT_CLOSING; /* conn_read_cb frees it */
        return;
    }
    if (c->reader)
        bufferevent_setwatermark(c->bev, EV_WRITE, CONN_STREAM_LOW, 0);
}

/* Called when the output buffer fell to the write low-watermark: go on with a streamed
 * reply (the mark is CONN_STREAM_LOW then); finish a close that waited for the output
 * to drain (the mark is 0), or end a pause (the mark is CONN_OUT_RESUME): read again and
 * run the requests already buffered. */
static void conn_write_cb(struct bufferevent *bev, void *arg)
{
    struct client *c = arg;

    client_snapshot(c);
    if (c->reader) {
        long added = conn_stream_fill(c);

        if (added < 0) {
            conn_free(c);
            return;
        }
        worker_stat_add(&c->worker->stats.net_out_bytes, (uint64_t)added);
        bufferevent_enable(bev, EV_WRITE); /* write it: no pass holds this client */
        if (c->reader)
            return;
        /* The reply is whole: messages that waited behind it follow, then what waited
         * behind it runs. */
        pubsub_flush(c);
        bufferevent_setwatermark(bev, EV_WRITE, (c->flags & CLIENT_PAUSED) ? CONN_OUT_RESUME : 0,
                                 0);
        if (!(c->flags & CLIENT_PAUSED))
            conn_read_again(c);
        return;
    }

    /* Below the soft limit again: its clock restarts (Redis resets it on any reply
     * queued below the limit; omenkv checks per command, so it does so here too). */
    if ((long long)conn_obuf_usage(c) < atomic_load(&conn_obuf_class(c)->soft))
        c->obuf_soft_since_ms = 0;
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) {
        if (evbuffer_get_length(c->out) == 0)
            conn_free(c);
        else
            bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
        return;
    }
    if (c->flags & CLIENT_PAUSED) {
        c->flags &= ~CLIENT_PAUSED;
        bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
        conn_read_on(c);
        conn_read_again(c);
    }
}

void conn_unparked(struct client *c)
{
    /* What conn_read_cb checks after a request: the served reply may have passed an
     * output limit (the client is then closed, as after any command). */
    if (conn_check_obuf_limits(c) || (c->flags & CLIENT_CLOSING)) {
        conn_free(c);
        return;
    }
    conn_apply_timeout(c);
    if (evbuffer_get_length(c->in) > 0)
        conn_read_again(c);
}

/* The bufferevent's events (a write error or timeout), and those conn_read_event_cb
 * reports the same way (the end of the stream, a read error, the idle timeout). */
static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct client *c = arg;

    OMK_UNUSED(bev);
    if (what & BEV_EVENT_TIMEOUT)
        omk_log(OMK_LOG_VERBOSE, "Closing idle client id=%llu", (unsigned long long)c->id);
    /* A peer that shut down only its sending side still reads: the replies of this pass
     * (a pop served to a parked client, which took its element) leave at the end of the
     * pass, as Redis writes them before it reads the end of the stream, then it closes. */
    if (what & BEV_EVENT_EOF)
        blocking_answer_now(c); /* served on another worker, its reply not written yet */
    if ((what & BEV_EVENT_EOF) && c->pass_is_held && evbuffer_get_length(c->out) > c->pass_base) {
        c->flags |= CLIENT_CLOSE_AFTER_REPLY;
        conn_read_off(c);
        return;
    }
    conn_free(c);
}
