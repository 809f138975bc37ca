/* pause.c - CLIENT PAUSE. The pause is global (type and end time, atomics any thread
 * reads); the clients it holds back are per worker: each worker keeps its postponed
 * clients in a thread-local list and one timer for the pause's end. A postponed client's
 * request stays in its input buffer, unconsumed (its argv pointed into it), and the
 * client runs nothing more until it resumes; then its input is run again
 * (conn_read_again) and the request is parsed and run as if it had just arrived. CLIENT
 * UNPAUSE, and a new pause that lets some requests through, wake every worker
 * (WORKER_MSG_UNPAUSE).
 *
 * Redis' rule, followed here: the pause is checked after the checks that reject a
 * request (unknown command, arity, authentication, no-multi), before MULTI queues it;
 * MONITOR clients, which Redis treats as replicas, are never paused; under ALL even QUIT
 * waits, as in Redis 7.0. */
#include "config.h"

#include <stdatomic.h>
#include <string.h>

#include <event2/event.h>

#include "common/omk.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/multi.h"
#include "daemon/pause.h"
#include "daemon/server.h"

static _Atomic int pause_type_now;       /* enum pause_type */
static _Atomic int64_t pause_end_ms_now; /* monotonic ms; the pause is over from then on */
static pthread_mutex_t pause_lock = PTHREAD_MUTEX_INITIALIZER; /* serializes changes */

/* One postponed client and the command its waiting request names (its argv may not be
 * read again: the input buffer may move the bytes as more arrive). */
struct pause_wait {
    struct client *c;
    const struct cmd_def *d;
};

/* This worker thread's postponed clients, and the timer for the pause's end. */
static __thread struct pause_wait *tl_waiting;
static __thread size_t tl_nwaiting, tl_capwaiting;
static __thread struct event *tl_timer;

/* The pause type in force now (PAUSE_NONE once its end has passed). Any thread. */
static enum pause_type pause_current(int64_t now_ms)
{
    int type = atomic_load(&pause_type_now);

    if (type != PAUSE_NONE && now_ms >= atomic_load(&pause_end_ms_now))
        return PAUSE_NONE;
    return (enum pause_type)type;
}

void pause_start(enum pause_type type, int64_t end_ms)
{
    int64_t now_ms = omk_mono_us() / 1000;

    pthread_mutex_lock(&pause_lock);
    if (pause_current(now_ms) == PAUSE_NONE) { /* a pause that ended counts for nothing */
        atomic_store(&pause_type_now, PAUSE_NONE);
        atomic_store(&pause_end_ms_now, 0);
    }
    if ((int)type > atomic_load(&pause_type_now))
        atomic_store(&pause_type_now, (int)type);
    if (end_ms > atomic_load(&pause_end_ms_now))
        atomic_store(&pause_end_ms_now, end_ms);
    pthread_mutex_unlock(&pause_lock);
    /* Postponed clients re-check against the new end (a timer armed for an earlier end
     * just re-arms), so no worker needs waking here. */
}

void pause_end(void)
{
    pthread_mutex_lock(&pause_lock);
    atomic_store(&pause_type_now, PAUSE_NONE);
    atomic_store(&pause_end_ms_now, 0);
    pthread_mutex_unlock(&pause_lock);
    workers_wake_paused();
}

/* Whether command 'd' of 'c' (its request in c->argv) is held back by a pause of 'type'. */
static int pause_holds(const struct client *c, const struct cmd_def *d, enum pause_type type)
{
    if (type == PAUSE_NONE || (c->flags & CLIENT_MONITOR))
        return 0;
    if (type == PAUSE_ALL)
        return 1;
    if (d->flags & (CMD_WRITE | CMD_MAY_REPLICATE))
        return 1;
    return d->proc == cmd_exec && c->multi &&
           (multi_queued_flags(c) & (CMD_WRITE | CMD_MAY_REPLICATE));
}

/* The command of c's request if none of the checks Redis makes before its pause check
 * rejects it, else NULL. */
static const struct cmd_def *pause_checked_cmd(const struct client *c)
{
    const struct cmd_def *d = cmd_lookup(c->argv[0].p, c->argv[0].len);

    if (!d || !cmd_arity_ok(d->arity, c->argc))
        return NULL;
    if (!c->authenticated && !(d->flags & CMD_NOAUTH))
        return NULL;
    if (c->multi && (d->flags & CMD_NOMULTI))
        return NULL;
    return d;
}

static void pause_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    OMK_UNUSED(fd);
    OMK_UNUSED(what);
    pause_worker_wake(arg);
}

/* Arm this thread's timer for the pause's end (worker 'w'). */
static void pause_arm(struct worker *w)
{
    int64_t left = atomic_load(&pause_end_ms_now) - omk_mono_us() / 1000;
    struct timeval tv;

    if (left < 1)
        left = 1;
    tv.tv_sec = left / 1000;
    tv.tv_usec = (left % 1000) * 1000;
    if (!tl_timer)
        tl_timer = evtimer_new(w->base, pause_timer_cb, w);
    evtimer_add(tl_timer, &tv);
}

int pause_postpone(struct client *c)
{
    const struct cmd_def *d;

    if (atomic_load_explicit(&pause_type_now, memory_order_relaxed) == PAUSE_NONE ||
        c->argc == 0)
        return 0;
    d = pause_checked_cmd(c);
    if (!d || !pause_holds(c, d, pause_current(omk_mono_us() / 1000)))
        return 0;
    if (tl_nwaiting == tl_capwaiting) {
        tl_capwaiting = tl_capwaiting ? 2 * tl_capwaiting : 16;
        tl_waiting = omk_realloc(tl_waiting, tl_capwaiting * sizeof(*tl_waiting));
    }
    tl_waiting[tl_nwaiting++] = (struct pause_wait){c, d};
    c->flags |= CLIENT_POSTPONED;
    pause_arm(c->worker);
    return 1;
}

void pause_forget(struct client *c)
{
    if (!(c->flags & CLIENT_POSTPONED))
        return;
    for (size_t i = 0; i < tl_nwaiting; i++) {
        if (tl_waiting[i].c == c) {
            tl_waiting[i] = tl_waiting[--tl_nwaiting];
            break;
        }
    }
    c->flags &= ~CLIENT_POSTPONED;
    if (tl_nwaiting == 0 && tl_timer) {
        event_free(tl_timer);
        tl_timer = NULL;
    }
}

void pause_worker_wake(struct worker *w)
{
    enum pause_type type = pause_current(omk_mono_us() / 1000);
    size_t i = 0;

    while (i < tl_nwaiting) {
        struct client *c = tl_waiting[i].c;

        if (pause_holds(c, tl_waiting[i].d, type)) {
            i++;
            continue;
        }
        /* Resume: its request is parsed again from its input. */
        tl_waiting[i] = tl_waiting[--tl_nwaiting];
        c->flags &= ~CLIENT_POSTPONED;
        conn_read_again(c);
    }
    if (tl_nwaiting > 0)
        pause_arm(w);
    else if (tl_timer) {
        event_free(tl_timer);
        tl_timer = NULL;
    }
}

void pause_thread_deinit(void)
{
    if (tl_timer)
        event_free(tl_timer);
    tl_timer = NULL;
    omk_free(tl_waiting);
    tl_waiting = NULL;
    tl_nwaiting = tl_capwaiting = 0;
}
