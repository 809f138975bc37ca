/* worker.c - the worker threads. Each owns an event_base (no locks inside: only its
 * thread touches it) and the connections handed to it. The main thread passes accepted
 * sockets through a pipe, one int per socket; -1 tells the worker to close its clients
 * and leave its loop. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/omk_thread.h"
#include "daemon/blocking.h"
#include "daemon/conn.h"
#include "daemon/latency.h"
#include "daemon/log.h"
#include "daemon/monitor.h"
#include "daemon/multi.h"
#include "daemon/pass.h"
#include "daemon/pause.h"
#include "daemon/pubsub.h"
#include "daemon/server.h"

#define WORKER_MSG_STOP (-1) /* close every client and leave the loop */
#define WORKER_MSG_REAP (-2) /* close the clients flagged kill_requested */
#define WORKER_MSG_TIMEOUT (-3) /* CONFIG SET timeout: give every client the new timeout */
#define WORKER_MSG_BLOCKED (-4) /* answer the parked clients served or unblocked (blocking.c) */
#define WORKER_MSG_MONITOR (-5) /* deliver the lines fed to its MONITOR clients (monitor.c) */
#define WORKER_MSG_UNPAUSE (-6) /* CLIENT PAUSE ended or changed: resume its postponed clients */
#define WORKER_MSG_PUBSUB (-7) /* deliver the messages queued for its subscribers (pubsub.c) */

/* Read the fds queued for 'w' and start serving them; the negative WORKER_MSG_*
 * values are requests instead. */
static void worker_notify_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    int fds[64];
    ssize_t n;

    OMK_UNUSED(what);
    multi_release_kept(); /* what it serves may wait for another worker (multi.c) */
    n = read(fd, fds, sizeof(fds));
    if (n <= 0)
        return;
    OMK_ASSERT(n % (ssize_t)sizeof(int) == 0); /* pipe writes of <= PIPE_BUF are atomic */
    for (ssize_t i = 0; i < n / (ssize_t)sizeof(int); i++) {
        if (fds[i] == WORKER_MSG_STOP) {
            conn_close_all(w);
            event_base_loopbreak(w->base);
            return;
        }
        if (fds[i] == WORKER_MSG_REAP) {
            conn_reap(w);
            continue;
        }
        if (fds[i] == WORKER_MSG_TIMEOUT) {
            conn_apply_timeout_all(w);
            continue;
        }
        if (fds[i] == WORKER_MSG_BLOCKED) {
            blocking_worker_wake(w);
            continue;
        }
        if (fds[i] == WORKER_MSG_MONITOR) {
            monitor_worker_wake(w);
            continue;
        }
        if (fds[i] == WORKER_MSG_UNPAUSE) {
            pause_worker_wake(w);
            continue;
        }
        if (fds[i] == WORKER_MSG_PUBSUB) {
            pubsub_worker_deliver(w);
            continue;
        }
        conn_accept(w, fds[i]);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;

    pass_init(w);
    blocking_thread_init();
    pubsub_thread_init(w);
    event_base_dispatch(w->base);
    pass_deinit(w);
    pause_thread_deinit();
    return NULL;
}

/* Set up worker 'w' number 'id': its base, pipe and scratch buffer. 0 or -1. */
static int worker_init(struct worker *w, int id)
{
    struct event_config *ec = event_config_new();

    w->id = id;
    event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
    w->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (!w->base)
        return -1;
    if (pipe2(w->notify_fd, O_CLOEXEC) != 0)
        return -1;
    evutil_make_socket_nonblocking(w->notify_fd[0]);
    w->notify_ev = event_new(w->base, w->notify_fd[0], EV_READ | EV_PERSIST, worker_notify_cb, w);
    event_add(w->notify_ev, NULL);
    w->scratch = evbuffer_new();
    omk_mutex_init(&w->clients_lock);
    return 0;
}

void workers_count(int io_threads, long ncpu, int *n, int *nactive)
{
    if (io_threads > 0) {
        *n = *nactive = io_threads;
        return;
    }
    *nactive = ncpu > 2 ? (int)ncpu - 1 : 1;
    *n = *nactive == 1 ? 2 : *nactive;
}

int workers_start(int n, int nactive)
{
    size_t bytes = (size_t)n * sizeof(struct worker); /* a multiple of WORKER_LINE */

    server.workers = aligned_alloc(WORKER_LINE, bytes);
    if (!server.workers)
        omk_oom(bytes);
    memset(server.workers, 0, bytes);
    server.nworkers = n;
    server.nactive = nactive;
    latency_init(n);
    for (int i = 0; i < n; i++) {
        struct worker *w = &server.workers[i];

        if (worker_init(w, i) != 0) {
            omk_log(OMK_LOG_WARNING, "cannot set up worker %d: %s", i, strerror(errno));
            return -1;
        }
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            omk_log(OMK_LOG_WARNING, "cannot start worker %d", i);
            return -1;
        }
    }
    return 0;
}

/* Write one int to worker 'w's pipe; the pipe is large enough that this never
 * blocks for long, and a write of sizeof(int) bytes is atomic. */
static void worker_send(struct worker *w, int v)
{
    ssize_t r;

    do {
        r = write(w->notify_fd[1], &v, sizeof(v));
    } while (r < 0 && errno == EINTR);
    OMK_ASSERT(r == (ssize_t)sizeof(v));
}

/* 1 if 'w' has been in one command for WORKER_BUSY_US or longer at 'now_us'. */
static int worker_busy(struct worker *w, int64_t now_us)
{
    int64_t since = atomic_load_explicit(&w->busy_since_us, memory_order_relaxed);

    return since != 0 && now_us - since >= WORKER_BUSY_US;
}

/* The next active worker in turn that is not busy; if all are, a standby worker (or,
 * with none, the next active one anyway). */
void worker_dispatch(int fd)
{
    unsigned nactive = (unsigned)server.nactive, nstandby = (unsigned)(server.nworkers - server.nactive);
    int64_t now_us = omk_mono_us();
    struct worker *w = NULL;

    for (unsigned i = 0; i < nactive && !w; i++) {
        struct worker *x = &server.workers[server.next_worker++ % nactive];

        if (!worker_busy(x, now_us))
            w = x;
    }
    if (!w && nstandby)
        w = &server.workers[nactive + server.next_standby++ % nstandby];
    if (!w)
        w = &server.workers[server.next_worker++ % nactive];
    worker_send(w, fd);
}

void worker_reap(struct worker *w)
{
    worker_send(w, WORKER_MSG_REAP);
}

void worker_wake_blocked(struct worker *w)
{
    worker_send(w, WORKER_MSG_BLOCKED);
}

void worker_wake_monitors(struct worker *w)
{
    worker_send(w, WORKER_MSG_MONITOR);
}

void workers_wake_paused(void)
{
    for (int i = 0; i < server.nworkers; i++)
        worker_send(&server.workers[i], WORKER_MSG_UNPAUSE);
}

void worker_wake_pubsub(struct worker *w)
{
    worker_send(w, WORKER_MSG_PUBSUB);
}

void workers_apply_timeout(void)
{
    for (int i = 0; i < server.nworkers; i++)
        worker_send(&server.workers[i], WORKER_MSG_TIMEOUT);
}

void workers_stop(void)
{
    for (int i = 0; i < server.nworkers; i++)
        worker_send(&server.workers[i], WORKER_MSG_STOP);
    for (int i = 0; i < server.nworkers; i++) {
        struct worker *w = &server.workers[i];

        omk_thread_join(w->thread);
        event_free(w->notify_ev);
        event_base_free(w->base);
        evbuffer_free(w->scratch);
        close(w->notify_fd[0]);
        close(w->notify_fd[1]);
        pthread_mutex_destroy(&w->clients_lock);
    }
    omk_free(server.workers);
    server.workers = NULL;
    server.nworkers = 0;
}
