/* pass.c - the daemon's half of the write path: a worker runs the commands of one
 * event-loop pass (every request parsed from every readable connection), then makes one
 * store_durable() call for the pass's ticket, then lets the pass's replies go.
 *
 * HOW IT WORKS. A client's bufferevent writes only when a direct write at the end of a
 * pass left bytes the socket would not take (conn_write_now); a client that runs a
 * command is held: its EV_WRITE is off, so its output buffer fills but nothing is
 * written. The first hold of a pass activates
 * the worker's end-of-pass event. libevent runs active callbacks in the order they were
 * activated, and event_active() appends to the queue this iteration is draining, so the
 * end-of-pass callback runs after every read callback of the same loop iteration (a
 * re-run of buffered input, conn_read_again, asked for during the pass is queued behind
 * it: the next pass). There it takes the
 * ticket (store_ticket: the newest write visible to anyone, which covers what the pass
 * wrote and what it read), makes it durable with one log write (one fsync under
 * appendfsync always), and writes every held client's output to its socket directly, as
 * Redis does before it sleeps: no write event, no extra epoll_ctl, and only after the
 * log holds the pass (invariant 1 of store/commit.c).
 *
 * If the log write fails, every reply of the pass whose command committed a write is
 * replaced by an error (invariant 3): the client's output from the start of the pass is
 * rebuilt with the same bytes except for those replies. */
#include "config.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/omk.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/latency.h"
#include "daemon/log.h"
#include "daemon/multi.h"
#include "daemon/pass.h"
#include "daemon/server.h"
#include "store/store.h"

/* What a reply of a write becomes when its pass could not reach the log. */
static const char pass_err_reply[] = "-ERR storage error\r\n";

/* Replace the replies of 'c' that carried writes by errors (the log write of their pass
 * failed). The output holds, from 'c->pass_base' on, only this pass's replies. */
static void pass_answer_failed(struct client *c)
{
    struct evbuffer *tmp = evbuffer_new();
    size_t at = 0;
    int ok = 1;

    /* The bufferevent freezes its output's front, and a frozen front makes every move
     * and drain below fail in silence: the replies would go out, followed by the errors
     * (conn_write_now unfreezes it the same way around its writes). */
    evbuffer_unfreeze(c->out, 1);
    ok &= evbuffer_remove_buffer(c->out, tmp, c->pass_base) >= 0;
    for (size_t i = 0; i < c->pass_nsegs; i++) {
        const struct pass_seg *g = &c->pass_segs[i];

        ok &= evbuffer_remove_buffer(c->out, tmp, g->start - at) >= 0;
        ok &= evbuffer_drain(c->out, g->end - g->start) == 0;
        evbuffer_add(tmp, pass_err_reply, sizeof(pass_err_reply) - 1);
        at = g->end;
    }
    ok &= evbuffer_add_buffer(tmp, c->out) == 0; /* the replies after the last write */
    ok &= evbuffer_add_buffer(c->out, tmp) == 0;
    evbuffer_freeze(c->out, 1);
    OMK_ASSERT(ok);
    evbuffer_free(tmp);
}

/* Take 'c' off the held list. */
static void pass_unlink(struct client *c)
{
    struct worker *w = c->worker;

    if (c->pass_prev)
        c->pass_prev->pass_next = c->pass_next;
    else
        w->pass_held = c->pass_next;
    if (c->pass_next)
        c->pass_next->pass_prev = c->pass_prev;
    c->pass_next = c->pass_prev = NULL;
    c->pass_is_held = 0;
    c->pass_nsegs = 0;
}

/* The end of a pass: make its ticket durable, then release every held client. */
static void pass_end_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    int64_t start_us = latency_monitor_on() ? omk_mono_us() : 0;
    int rc;

    OMK_UNUSED(fd);
    OMK_UNUSED(what);
    w->pass_pending = 0;
    multi_release_kept(); /* the lanes kept from the pass's scripts, before its log write */
    rc = store_durable(server.store, store_ticket(server.store));
    if (start_us) /* the latency monitor's log-write event */
        latency_note_log_write(omk_mono_us() - start_us);
    while (w->pass_held) {
        struct client *c = w->pass_held;

        if (rc != STORE_OK && c->pass_nsegs > 0)
            pass_answer_failed(c);
        pass_unlink(c);
        conn_write_now(c); /* may free 'c' */
    }
}

void pass_init(struct worker *w)
{
    w->pass_ev = event_new(w->base, -1, 0, pass_end_cb, w);
    OMK_ASSERT(w->pass_ev != NULL);
    w->pass_held = NULL;
    w->pass_pending = 0;
    store_defer_flush(1);
}

void pass_deinit(struct worker *w)
{
    event_free(w->pass_ev);
    w->pass_ev = NULL;
}

void pass_hold(struct client *c)
{
    struct worker *w = c->worker;

    if (c->pass_is_held)
        return;
    if (bufferevent_get_enabled(c->bev) & EV_WRITE) /* a write left over from a full socket */
        bufferevent_disable(c->bev, EV_WRITE);
    c->pass_is_held = 1;
    c->pass_base = evbuffer_get_length(c->out);
    c->pass_nsegs = 0;
    c->pass_prev = NULL;
    c->pass_next = w->pass_held;
    if (w->pass_held)
        w->pass_held->pass_prev = c;
    w->pass_held = c;
    if (!w->pass_pending) {
        w->pass_pending = 1;
        event_active(w->pass_ev, EV_TIMEOUT, 0);
    }
}

void pass_execute(struct client *c)
{
    pass_run(c, cmd_execute);
}

/* Remember c's output from 'start' to its end as the reply of a write. A command that
 * wrote and replied nothing (a blocking pop that parked after serving others) has no
 * reply to answer with an error. */
static void pass_note_write(struct client *c, size_t start)
{
    size_t end = evbuffer_get_length(c->out);

    if (end == start)
        return;
    if (c->pass_nsegs == c->pass_capsegs) {
        c->pass_capsegs = c->pass_capsegs ? 2 * c->pass_capsegs : 8;
        c->pass_segs = omk_realloc(c->pass_segs, c->pass_capsegs * sizeof(*c->pass_segs));
    }
    c->pass_segs[c->pass_nsegs++] = (struct pass_seg){start - c->pass_base, end - c->pass_base};
}

void pass_run(struct client *c, void (*fn)(struct client *c))
{
    size_t start;
    uint64_t commits = store_thread_commits();

    OMK_ASSERT(c->pass_is_held);
    start = evbuffer_get_length(c->out);
    fn(c);
    if (store_thread_commits() != commits)
        pass_note_write(c, start);
}

void pass_append(struct client *c, struct evbuffer *reply, int wrote)
{
    size_t start;
    int rc;

    OMK_ASSERT(c->pass_is_held);
    start = evbuffer_get_length(c->out);
    rc = evbuffer_add_buffer(c->out, reply);
    OMK_ASSERT(rc == 0);
    if (wrote)
        pass_note_write(c, start);
}

void pass_forget(struct client *c)
{
    if (c->pass_is_held)
        pass_unlink(c);
    omk_free(c->pass_segs);
    c->pass_segs = NULL;
    c->pass_capsegs = 0;
}
