/* server.c - the main thread's side of the server: the descriptor budget, listening
 * sockets, accepting and handing connections to workers, signals and a clean shutdown.
 *
 * HOW DESCRIPTORS ARE BUDGETED. Each client holds one descriptor; the server keeps
 * SERVER_FDS_RESERVED for itself (Redis' CONFIG_MIN_RESERVED_FDS: stdio, the log, the
 * pidfile, the listeners, the main loop), SERVER_FDS_PER_WORKER per worker (its epoll
 * instance and notify pipe), and RocksDB's share (rocksdb-max-open-files table files plus
 * SERVER_FDS_ROCKSDB_OTHER), which RocksDB never exceeds. At start-up
 * server_fds_fit() raises RLIMIT_NOFILE to maxclients plus that reserve if it may, and
 * otherwise lowers maxclients to fit, with Redis' warnings (adjustOpenFilesLimit), so
 * clients can never take the descriptors RocksDB needs to open its next log or table
 * file. Should accept() still fail (EMFILE, ENFILE: another process, or a limit
 * lowered from outside), the listeners pause for SERVER_ACCEPT_PAUSE_MS instead of
 * spinning on a socket that stays readable, and the error is logged at most once a
 * second. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "common/omk_thread.h"
#include "daemon/cmd.h"
#include "daemon/latency.h"
#include "daemon/log.h"
#include "daemon/server.h"

struct server server;

/* ---- the descriptor budget (see the file comment) ---- */

#define SERVER_FDS_RESERVED 32  /* Redis' CONFIG_MIN_RESERVED_FDS */
#define SERVER_FDS_PER_WORKER 3 /* a worker's epoll instance and the two ends of its pipe */
/* RocksDB's share: the table files it may keep open (rocksdb-max-open-files, which the
 * store passes to RocksDB as max_open_files, so it never opens more) plus
 * SERVER_FDS_ROCKSDB_OTHER for its WAL, MANIFEST, info log, lock file, a flush's and a
 * compaction's outputs and a checkpoint. RocksDB keeps at least 20 table files open. */
#define SERVER_FDS_ROCKSDB_OTHER 64
#define SERVER_ROCKSDB_MIN_FILES 20

long long server_fds_fit(long long maxclients, int nworkers, int startup)
{
    rlim_t base = SERVER_FDS_RESERVED + (rlim_t)SERVER_FDS_PER_WORKER * (rlim_t)nworkers;
    rlim_t rocks_want = (rlim_t)(startup ? server.cfg.rocksdb_max_open_files
                                         : server.rocksdb_open_files) +
                        SERVER_FDS_ROCKSDB_OTHER;
    rlim_t want = (rlim_t)maxclients + base + rocks_want, best, avail, rocks;
    struct rlimit rl;
    int set_errno = 0;
    long long fit;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        omk_log(OMK_LOG_WARNING, "Unable to obtain the current NOFILE limit (%s), assuming "
                "1024 and setting the max clients configuration accordingly.", strerror(errno));
        rl.rlim_cur = rl.rlim_max = 1024;
    } else if (rl.rlim_cur < want) {
        /* Up to the hard limit anyone may go; past it only with privilege (raising both). */
        struct rlimit up = {want, rl.rlim_max};
        rlim_t old = rl.rlim_cur;

        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
            up.rlim_max = want;
        if (setrlimit(RLIMIT_NOFILE, &up) != 0) {
            set_errno = errno;
            up.rlim_cur = up.rlim_max = rl.rlim_max;
            if (rl.rlim_max > old && setrlimit(RLIMIT_NOFILE, &up) != 0)
                up.rlim_cur = old;
        }
        rl.rlim_cur = up.rlim_cur;
        if (rl.rlim_cur >= want)
            omk_log(OMK_LOG_NOTICE, "Increased maximum number of open files to %llu (it was "
                    "originally set to %llu).", (unsigned long long)want,
                    (unsigned long long)old);
    }
    best = rl.rlim_cur;
    if (startup)
        server.rocksdb_open_files = server.cfg.rocksdb_max_open_files;
    if (best >= want)
        return maxclients;

    /* Lower maxclients to fit; when even the reserve does not fit, RocksDB gets half of
     * what the server itself leaves, so that a limit of 1024 still serves some clients. */
    avail = best > base ? best - base : 0;
    rocks = avail / 2 < rocks_want ? avail / 2 : rocks_want;
    if (rocks < SERVER_FDS_ROCKSDB_OTHER + SERVER_ROCKSDB_MIN_FILES)
        rocks = SERVER_FDS_ROCKSDB_OTHER + SERVER_ROCKSDB_MIN_FILES;
    fit = avail > rocks ? (long long)(avail - rocks) : 0;
    if (startup) /* RocksDB opens after this: it keeps no more table files than it has */
        server.rocksdb_open_files = (long long)(rocks - SERVER_FDS_ROCKSDB_OTHER);
    if (fit < 1) {
        if (startup) {
            omk_log(OMK_LOG_WARNING, "Your current 'ulimit -n' of %llu is not enough for the "
                    "server to start. Please increase your open file limit to at least %llu. "
                    "Exiting.", (unsigned long long)best, (unsigned long long)want);
            exit(1);
        }
        return 0;
    }
    omk_log(OMK_LOG_WARNING, "You requested maxclients of %lld requiring at least %llu max "
            "file descriptors.", maxclients, (unsigned long long)want);
    omk_log(OMK_LOG_WARNING, "Server can't set maximum open files to %llu because of OS "
            "error: %s.", (unsigned long long)want, strerror(set_errno ? set_errno : EPERM));
    omk_log(OMK_LOG_WARNING, "Current maximum open files is %llu. maxclients has been "
            "reduced to %lld to compensate for low ulimit. If you need higher maxclients "
            "increase 'ulimit -n'.", (unsigned long long)best, fit);
    if (rocks < rocks_want)
        omk_log(OMK_LOG_WARNING, "Only %llu file descriptors are kept for RocksDB (it should "
                "have %llu): it keeps at most %llu table files open, and reopens the others "
                "as it reads them. Increase 'ulimit -n'.", (unsigned long long)rocks,
                (unsigned long long)rocks_want,
                (unsigned long long)(rocks - SERVER_FDS_ROCKSDB_OTHER));
    return fit;
}

/* ---- accepting ---- */

#define SERVER_ACCEPT_PAUSE_MS 100 /* accepting pauses this long after accept() failed */

static struct event *accept_resume_ev; /* main thread only: ends a pause */

static const char max_clients_err[] = "-ERR max number of clients reached\r\n";

/* Redis 7.0's reply to a client refused by protected mode, word for word (typo included). */
static const char protected_mode_err[] =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from "
    "the loopback interface. If you want to connect from external computers to Redis you may "
    "adopt one of the following solutions: 1) Just disable protected mode sending the command "
    "'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
    "the same host the server is running, however MAKE SURE Redis is not publicly accessible "
    "from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
    "Alternatively you can just disable the protected mode by editing the Redis configuration "
    "file, and setting the protected mode option to 'no', and then restarting the server. 3) "
    "If you started the server manually just for testing, restart it with the "
    "'--protected-mode no' option. 4) Setup a an authentication password for the default "
    "user. NOTE: You only need to do one of the above things in order for the server to start "
    "accepting connections from the outside.\r\n";

/* Whether peer 'sa' is 127.0.0.1 or ::1: the addresses Redis' protected mode lets in. */
static int server_peer_is_loopback(const struct sockaddr *sa, int salen)
{
    static const struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;

    if (sa->sa_family == AF_INET && salen >= (int)sizeof(struct sockaddr_in))
        return ((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr ==
               htonl(INADDR_LOOPBACK);
    if (sa->sa_family == AF_INET6 && salen >= (int)sizeof(struct sockaddr_in6))
        return memcmp(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, &lo6,
                      sizeof(lo6)) == 0;
    return 0;
}

/* Refuse accepted socket 'fd' with the error 'msg' (main thread). Best effort, as
 * Redis: the socket is fresh, so the short write fits in its buffer. */
static void server_refuse(evutil_socket_t fd, const char *msg, size_t len)
{
    ssize_t r;

    /* Counted first: the client may ask INFO as soon as it sees the reply. */
    atomic_fetch_add(&server.rejected_connections, 1);
    r = write(fd, msg, len);
    OMK_UNUSED(r);
    evutil_closesocket(fd);
}

/* A new connection on a listener (main thread): refuse it past maxclients, or from
 * outside loopback in protected mode without requirepass, with Redis' errors;
 * otherwise give it to the next worker. */
static void server_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                             int salen, void *arg)
{
    OMK_UNUSED(l);
    OMK_UNUSED(arg);
    if (atomic_load(&server.shutting_down)) {
        evutil_closesocket(fd);
        return;
    }
    if (atomic_load(&server.connected_clients) >= server.cfg.maxclients) {
        server_refuse(fd, max_clients_err, sizeof(max_clients_err) - 1);
        return;
    }
    if (server.cfg.protected_mode && !server.cfg.auth_required &&
        !server_peer_is_loopback(sa, salen)) {
        char ip[INET6_ADDRSTRLEN] = "?";

        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)sa)->sin_addr, ip, sizeof(ip));
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)sa)->sin6_addr, ip, sizeof(ip));
        OMK_LOG_RATELIMITED(OMK_LOG_WARNING,
                            "Protected mode: refused a connection from %s (no requirepass set; "
                            "see protected-mode)", ip);
        server_refuse(fd, protected_mode_err, sizeof(protected_mode_err) - 1);
        return;
    }
    atomic_fetch_add(&server.connected_clients, 1);
    atomic_fetch_add(&server.total_connections, 1);
    worker_dispatch(fd);
}

/* The pause after a failed accept() is over: listen again (main thread). */
static void server_accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    OMK_UNUSED(fd);
    OMK_UNUSED(what);
    OMK_UNUSED(arg);
    for (int i = 0; i < server.nlisteners; i++)
        evconnlistener_enable(server.listeners[i]);
}

/* accept() failed with an error that is not transient (libevent retries EINTR, EAGAIN
 * and ECONNABORTED itself): EMFILE, ENFILE, ENOBUFS, ENOMEM... The pending connection
 * stays queued and the socket readable, so a listener left armed would call accept()
 * again at once, forever: a core spinning at 100%. Log it (at most once a second), and
 * stop every listener for SERVER_ACCEPT_PAUSE_MS; the queued connections are accepted
 * once descriptors are free again. Main thread. */
static void server_accept_error_cb(struct evconnlistener *l, void *arg)
{
    struct timeval pause = {0, SERVER_ACCEPT_PAUSE_MS * 1000};
    int err = EVUTIL_SOCKET_ERROR();

    OMK_UNUSED(l);
    OMK_UNUSED(arg);
    OMK_LOG_RATELIMITED(OMK_LOG_WARNING, "Accepting client connection: accept: %s",
                        evutil_socket_error_to_string(err));
    for (int i = 0; i < server.nlisteners; i++)
        evconnlistener_disable(server.listeners[i]);
    evtimer_add(accept_resume_ev, &pause);
}

int server_listen(void)
{
    accept_resume_ev = evtimer_new(server.main_base, server_accept_resume_cb, NULL);
    OMK_ASSERT(accept_resume_ev != NULL);
    for (int i = 0; i < server.cfg.bind.n && server.nlisteners < OMK_MAX_LISTENERS; i++) {
        const char *addr = server.cfg.bind.v[i];
        struct sockaddr_storage ss;
        int sslen = sizeof(ss);
        char spec[512];
        struct evconnlistener *l;

        if (addr[0] == '-')
            addr++; /* "-::1": optional address, as Redis */
        if (strchr(addr, ':'))
            snprintf(spec, sizeof(spec), "[%s]:%d", addr, server.cfg.port);
        else
            snprintf(spec, sizeof(spec), "%s:%d", addr, server.cfg.port);
        if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sslen) != 0) {
            omk_log(OMK_LOG_WARNING, "Invalid bind address '%s'", addr);
            return -1;
        }
        l = evconnlistener_new_bind(server.main_base, server_accept_cb, NULL,
                                    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
                                    server.cfg.tcp_backlog, (struct sockaddr *)&ss, sslen);
        if (!l) {
            if (server.cfg.bind.v[i][0] == '-')
                continue;
            omk_log(OMK_LOG_WARNING, "Could not create server TCP listening socket %s: %s", spec,
                    strerror(errno));
            return -1;
        }
        evconnlistener_set_error_cb(l, server_accept_error_cb);
        server.listeners[server.nlisteners++] = l;
    }
    return server.nlisteners > 0 ? 0 : -1;
}

void server_unlisten(void)
{
    for (int i = 0; i < server.nlisteners; i++)
        evconnlistener_free(server.listeners[i]);
    server.nlisteners = 0;
    if (accept_resume_ev) {
        event_free(accept_resume_ev);
        accept_resume_ev = NULL;
    }
}

void server_request_shutdown(void)
{
    atomic_store(&server.shutting_down, 1);
    kill(getpid(), SIGTERM); /* the main loop's signal event does the rest */
}

/* Guards every worker's stats_base, so that a sum never subtracts a snapshot newer
 * than the counters it read (the counters only grow). */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

/* Read every counter of 'w' into 'out', with relaxed loads. */
static void worker_stats_read(const struct worker_stats *w, struct stats_sum *out)
{
    out->net_in_bytes = atomic_load_explicit(&w->net_in_bytes, memory_order_relaxed);
    out->net_out_bytes = atomic_load_explicit(&w->net_out_bytes, memory_order_relaxed);
    out->keyspace_hits = atomic_load_explicit(&w->keyspace_hits, memory_order_relaxed);
    out->keyspace_misses = atomic_load_explicit(&w->keyspace_misses, memory_order_relaxed);
    out->commands = 0;
    for (int i = 0; i < CMD_COUNT; i++) {
        out->cmd[i].calls = atomic_load_explicit(&w->cmd[i].calls, memory_order_relaxed);
        out->cmd[i].usec = atomic_load_explicit(&w->cmd[i].usec, memory_order_relaxed);
        out->cmd[i].rejected = atomic_load_explicit(&w->cmd[i].rejected, memory_order_relaxed);
        out->cmd[i].failed = atomic_load_explicit(&w->cmd[i].failed, memory_order_relaxed);
        out->commands += out->cmd[i].calls;
    }
}

void server_reset_stats(void)
{
    omk_mutex_lock(&stats_lock);
    for (int w = 0; w < server.nworkers; w++)
        worker_stats_read(&server.workers[w].stats, &server.workers[w].stats_base);
    omk_mutex_unlock(&stats_lock);
    atomic_store(&server.total_connections, 0);
    atomic_store(&server.rejected_connections, 0);
    latency_hist_reset(); /* Redis' RESETSTAT clears the latency histograms too */
}

void server_stats_sum(struct stats_sum *out)
{
    struct stats_sum now;

    memset(out, 0, sizeof(*out));
    omk_mutex_lock(&stats_lock);
    for (int w = 0; w < server.nworkers; w++) {
        const struct stats_sum *base = &server.workers[w].stats_base;

        worker_stats_read(&server.workers[w].stats, &now);
        out->net_in_bytes += now.net_in_bytes - base->net_in_bytes;
        out->net_out_bytes += now.net_out_bytes - base->net_out_bytes;
        out->keyspace_hits += now.keyspace_hits - base->keyspace_hits;
        out->keyspace_misses += now.keyspace_misses - base->keyspace_misses;
        out->commands += now.commands - base->commands;
        for (int i = 0; i < CMD_COUNT; i++) {
            out->cmd[i].calls += now.cmd[i].calls - base->cmd[i].calls;
            out->cmd[i].usec += now.cmd[i].usec - base->cmd[i].usec;
            out->cmd[i].rejected += now.cmd[i].rejected - base->cmd[i].rejected;
            out->cmd[i].failed += now.cmd[i].failed - base->cmd[i].failed;
        }
    }
    omk_mutex_unlock(&stats_lock);
}

long long server_uptime_s(void)
{
    return (omk_mono_us() - server.start_mono_us) / 1000000;
}
