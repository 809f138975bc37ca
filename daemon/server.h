/* server.h - the server-wide state: configuration, the store, the listener on the main
 * thread and the worker threads that own the connections (DESIGN.md "Threads").
 *
 * Ownership: 'server' is set up by main() before any worker starts and torn down after
 * they stop. Fields below name who may write them; counters read by INFO are atomics
 * written once per connection, or per-worker counters summed on demand. */
#ifndef OMK_DAEMON_SERVER_H
#define OMK_DAEMON_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "daemon/cfg.h"
#include "daemon/cmd.h"

struct event_base;
struct event;
struct evbuffer;
struct evconnlistener;
struct store;
struct client;
struct block;

#define OMK_VERSION PACKAGE_VERSION
#define OMK_REDIS_VERSION "7.0.0" /* the Redis version whose behaviour we follow */
#define OMK_MAX_LISTENERS 16

#define WORKER_LINE 64 /* cache line: a worker's counters share none with other data */

/* One worker's counters. Only the worker's own thread writes them, with worker_stat_add():
 * a relaxed load and a relaxed store, no read-modify-write and no lock prefix. Any thread
 * may read them with relaxed loads (INFO, through server_stats_sum()), so a sum may miss
 * the commands in flight. CONFIG RESETSTAT never writes them: it records them in the
 * worker's 'stats_base', and sums subtract it. */
struct worker_stats {
    _Atomic uint64_t net_in_bytes;    /* bytes read from clients */
    _Atomic uint64_t net_out_bytes;   /* bytes queued to clients */
    _Atomic uint64_t keyspace_hits;   /* key reads that found the key */
    _Atomic uint64_t keyspace_misses; /* key reads that did not */
    struct cmd_stats cmd[CMD_COUNT];  /* per command, indexed like cmd_table */
};

/* The counters of struct worker_stats as plain numbers: a worker's snapshot taken by
 * CONFIG RESETSTAT, or a sum over the workers (server_stats_sum). */
struct stats_sum {
    uint64_t net_in_bytes;
    uint64_t net_out_bytes;
    uint64_t keyspace_hits;
    uint64_t keyspace_misses;
    uint64_t commands; /* the sum of cmd[].calls */
    struct {
        uint64_t calls, usec, rejected, failed;
    } cmd[CMD_COUNT];
};

/* Add 'n' to counter 'ctr' of the calling thread's own worker (see struct worker_stats). */
static inline void worker_stat_add(_Atomic uint64_t *ctr, uint64_t n)
{
    atomic_store_explicit(ctr, atomic_load_explicit(ctr, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* One worker thread: its own event_base, and a pipe the main thread writes accepted
 * fds into (an int each; -1 asks the worker to stop). Allocated WORKER_LINE-aligned. */
struct worker {
    int id;
    pthread_t thread;
    struct event_base *base;      /* owner thread only */
    struct event *notify_ev;      /* read end of the pipe */
    int notify_fd[2];             /* [0] read (worker), [1] write (main) */
    struct evbuffer *scratch;     /* owner thread only: unknown-length replies */
    struct client *clients;       /* owner thread only: list of this worker's clients */
    pthread_mutex_t clients_lock; /* guards 'clients' for CLIENT LIST from other workers */
    struct event *pass_ev;        /* owner thread only: the end of the current pass */
    struct client *pass_held;     /* owner thread only: clients whose replies wait for it */
    int pass_pending;             /* owner thread only: 'pass_ev' is active */
    struct block *bdone;          /* parked clients served or unblocked, to answer and
                                   * resume, oldest first, and the last of them (blocking.c;
                                   * its mutex) */
    struct block *bdone_tail;
    int bdone_woken;              /* a wake-up for them is on its way (blocking.c; its mutex) */
    struct stats_sum stats_base;  /* 'stats' at the last CONFIG RESETSTAT; server.c's
                                   * stats_lock */
    struct worker_stats stats __attribute__((aligned(WORKER_LINE))); /* see above */
    /* When the command the worker runs now began (omk_mono_us), 0 between commands:
     * written by the owner thread, read by the main thread to place new connections
     * elsewhere while this worker is stuck in one command (worker_dispatch). */
    _Atomic int64_t busy_since_us __attribute__((aligned(WORKER_LINE)));
} __attribute__((aligned(WORKER_LINE)));

/* A worker in one command for this long gets no new connection while another can take
 * it: an administrator's redis-cli reaches a standby worker to SCRIPT KILL. */
#define WORKER_BUSY_US 500000

struct server {
    struct server_config cfg;     /* see cfg.h for thread rules */
    struct store *store;          /* thread-safe */
    struct event_base *main_base; /* main thread only */
    struct evconnlistener *listeners[OMK_MAX_LISTENERS];
    int nlisteners;
    struct worker *workers;
    int nworkers;
    int nactive;                  /* workers [0, nactive) take new connections in turn;
                                   * the rest stand by for when all of those are busy */
    unsigned next_worker;         /* main thread only: round robin over the active ones */
    unsigned next_standby;        /* main thread only: round robin over the standby ones */
    int64_t start_us;             /* wall clock at start */
    int64_t start_mono_us;
    _Atomic uint64_t next_client_id;
    _Atomic int connected_clients;
    _Atomic uint64_t total_connections;
    _Atomic uint64_t rejected_connections;
    _Atomic int shutting_down;
    _Atomic long long large_requests_bytes; /* bytes reserved by large requests being read
                                             * (conn.c, large-requests-max-memory) */
    char executable[4096];
    long long rocksdb_open_files; /* set before the store opens: the table files RocksDB
                                   * may keep open (server_fds_fit); then immutable */
};

extern struct server server;

/* Raise RLIMIT_NOFILE, as far as the process may, to what 'maxclients' clients need
 * plus the reserve of a server with 'nworkers' workers (server.c explains the budget),
 * as Redis' adjustOpenFilesLimit does. Returns 'maxclients' if that fits; otherwise the
 * number of clients that fits, after logging Redis' three warnings. At 'startup', a limit
 * that leaves no room for even one client logs Redis' message and exits the process
 * (status 1); otherwise 0 is returned then. Main thread at start-up; later, any thread
 * holding the config lock (CONFIG SET maxclients). */
long long server_fds_fit(long long maxclients, int nworkers, int startup);

/* Open a listening socket for each 'bind' address on 'port' (main thread). 0 or -1
 * (logged). */
int server_listen(void);

/* Close the listening sockets (main thread). */
void server_unlisten(void);

/* Hand an accepted socket 'fd' to the next worker (main thread). */
void worker_dispatch(int fd);

/* Wake worker 'w' to close its clients flagged kill_requested (any thread). */
void worker_reap(struct worker *w);

/* Wake worker 'w' to answer its parked clients that blocking.c queued (any thread). */
void worker_wake_blocked(struct worker *w);

/* Wake worker 'w' to deliver the lines fed to its MONITOR clients (monitor.c). Any
 * thread. */
void worker_wake_monitors(struct worker *w);

/* Ask every worker to run the requests CLIENT PAUSE postponed, if the pause is over or
 * now lets them through (pause.c). Any thread. */
void workers_wake_paused(void);
/* Wake worker 'w' to deliver the messages pubsub.c queued for its clients (any thread). */
void worker_wake_pubsub(struct worker *w);

/* Ask every worker to give its clients the timeout the config holds now: CONFIG SET
 * timeout applies to connections already open, as in Redis. Any thread; the workers do
 * it on their next loop iteration. */
void workers_apply_timeout(void);

/* Start 'n' worker threads, the first 'nactive' of them active (main thread, after the
 * store is open). 0 or -1. */
int workers_start(int n, int nactive);

/* Worker threads for config value 'io_threads' on a machine of 'ncpu' cores: '*n' in all,
 * '*nactive' of them taking connections in turn. io-threads N: N, all active. 0: one per
 * core but one, which RocksDB's flushes and compactions, the log's syncs and clients on
 * the same machine need (at least 1), plus one standby worker when that leaves one. */
void workers_count(int io_threads, long ncpu, int *n, int *nactive);

/* Ask every worker to close its clients and stop, then join them (main thread). */
void workers_stop(void);

/* Ask the server to shut down cleanly (any thread): the main loop stops accepting,
 * workers close their clients, the store syncs and closes. */
void server_request_shutdown(void);

/* CONFIG RESETSTAT: from now on, the sums of the workers' counters start from zero, and
 * so do the connection counters. Any thread; takes stats_lock. */
void server_reset_stats(void);

/* Write to '*out' each worker counter summed over the workers, since the last
 * CONFIG RESETSTAT. Any thread; takes stats_lock. */
void server_stats_sum(struct stats_sum *out);

/* Seconds since start. */
long long server_uptime_s(void);

#endif
