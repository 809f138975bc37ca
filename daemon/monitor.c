/* monitor.c - MONITOR across worker threads. Any worker that runs a command formats its
 * line once (Redis' replicationFeedMonitors format: "+<sec>.<usec> [<db> <addr>] "arg"
 * ...", each argument quoted as sdscatrepr quotes it) and appends it to the pending
 * buffer of every MONITOR client, under the monitors' lock; the first line since the
 * last delivery wakes the client's worker (WORKER_MSG_MONITOR), which moves the pending
 * lines to the client's output on its own thread. So lines reach a monitor in the order
 * the commands were fed, and a monitor's output is only ever touched by its own worker.
 *
 * A monitor that does not read is bounded: its pending lines plus its output may not pass
 * MONITOR_MAX_PENDING bytes (or client-output-buffer-limit normal's hard limit, if set
 * and lower); past it, it is closed, as Redis closes a client over its output limit. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <event2/buffer.h>

#include "common/omk_thread.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/log.h"
#include "daemon/monitor.h"
#include "daemon/server.h"

#define MONITOR_MAX_PENDING ((size_t)64 << 20) /* bytes a monitor may have waiting */

/* One MONITOR client. */
struct monitor_sink {
    struct client *c;         /* owned by worker 'w'; read by feeders under mon_lock */
    struct worker *w;
    struct evbuffer *pending; /* lines not yet moved to c's output; mon_lock */
    int overflow;             /* passed the cap: 'w' closes it; mon_lock */
    struct monitor_sink *next;
};

static pthread_mutex_t mon_lock = PTHREAD_MUTEX_INITIALIZER; /* guards the list and sinks */
static struct monitor_sink *mon_sinks;
static _Atomic int mon_count; /* sinks in the list: feeders skip all work at 0 */
static int *mon_woken;        /* per worker id: a WORKER_MSG_MONITOR is on its way, so
                               * its pipe never fills with them; mon_lock */

/* The byte cap of one monitor's undelivered output (see the file comment). */
static size_t monitor_cap(void)
{
    long long hard = atomic_load(&server.cfg.obuf_limits[CFG_OBUF_NORMAL].hard);

    if (hard > 0 && (unsigned long long)hard < MONITOR_MAX_PENDING)
        return (size_t)hard;
    return MONITOR_MAX_PENDING;
}

void monitor_start(struct client *c)
{
    struct monitor_sink *s = omk_calloc(1, sizeof(*s));

    s->c = c;
    s->w = c->worker;
    s->pending = evbuffer_new();
    c->monitor = s;
    c->flags |= CLIENT_MONITOR;
    omk_mutex_lock(&mon_lock);
    if (!mon_woken) /* freed at exit with the process */
        mon_woken = omk_calloc((size_t)server.nworkers, sizeof(*mon_woken));
    s->next = mon_sinks;
    mon_sinks = s;
    atomic_fetch_add(&mon_count, 1);
    omk_mutex_unlock(&mon_lock);
}

void monitor_stop(struct client *c)
{
    struct monitor_sink *s = c->monitor, **pp;

    if (!s)
        return;
    omk_mutex_lock(&mon_lock);
    for (pp = &mon_sinks; *pp != s; pp = &(*pp)->next)
        OMK_ASSERT(*pp);
    *pp = s->next;
    atomic_fetch_sub(&mon_count, 1);
    omk_mutex_unlock(&mon_lock);
    evbuffer_free(s->pending);
    omk_free(s);
    c->monitor = NULL;
    c->flags &= ~CLIENT_MONITOR;
}

/* Append 'p'/'len' to 'b' quoted as Redis' sdscatrepr quotes: backslash and double quote
 * escaped, \n \r \t \a \b by name, other bytes outside isprint() (the C locale's, so
 * every byte >= 0x80) as \xHH. */
static void monitor_cat_repr(struct evbuffer *b, const char *p, size_t len)
{
    evbuffer_add(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];

        switch (ch) {
        case '\\': evbuffer_add(b, "\\\\", 2); break;
        case '"': evbuffer_add(b, "\\\"", 2); break;
        case '\n': evbuffer_add(b, "\\n", 2); break;
        case '\r': evbuffer_add(b, "\\r", 2); break;
        case '\t': evbuffer_add(b, "\\t", 2); break;
        case '\a': evbuffer_add(b, "\\a", 2); break;
        case '\b': evbuffer_add(b, "\\b", 2); break;
        default:
            if (ch < 0x80 && isprint(ch))
                evbuffer_add(b, &p[i], 1);
            else
                evbuffer_add_printf(b, "\\x%02x", ch);
        }
    }
    evbuffer_add(b, "\"", 1);
}

/* Whether argument 'i' of c's request is a secret Redis redacts in the MONITOR line of
 * command 'd': AUTH's user and password (not when AUTH has too many arguments: Redis
 * refuses it before it redacts), HELLO's AUTH user and password. */
static int monitor_redacted(const struct client *c, const struct cmd_def *d, int i)
{
    if (strcmp(d->name, "auth") == 0)
        return c->argc <= 3 && i >= 1;
    if (strcmp(d->name, "hello") == 0) {
        for (int j = 2; j < c->argc; j++) {
            int more = c->argc - j - 1;

            if (cmd_arg_is(c, j, "auth") && more >= 2) {
                if (i == j + 1 || i == j + 2)
                    return 1;
                j += 2;
            } else if (cmd_arg_is(c, j, "setname") && more >= 1) {
                j++;
            } else {
                break; /* HELLO stops at a bad option: nothing after it is redacted */
            }
        }
    }
    return 0;
}

/* Wake the worker of 's' to deliver, unless a wake-up is already on its way. mon_lock
 * held. */
static void monitor_wake_locked(struct monitor_sink *s)
{
    if (mon_woken[s->w->id])
        return;
    mon_woken[s->w->id] = 1;
    worker_wake_monitors(s->w);
}

void monitor_feed(struct client *c, const struct cmd_def *d)
{
    struct evbuffer *line;
    struct timeval tv;
    size_t cap;

    if (atomic_load_explicit(&mon_count, memory_order_relaxed) == 0)
        return;
    if (d->flags & CMD_ADMIN)
        return; /* Redis keeps administrative commands out of MONITOR */
    line = evbuffer_new();
    gettimeofday(&tv, NULL);
    evbuffer_add_printf(line, "+%ld.%06ld [%d %s] ", (long)tv.tv_sec, (long)tv.tv_usec, c->db,
                        c->addr);
    for (int i = 0; i < c->argc; i++) {
        if (i > 0)
            evbuffer_add(line, " ", 1);
        if (monitor_redacted(c, d, i))
            evbuffer_add(line, "\"(redacted)\"", 12);
        else
            monitor_cat_repr(line, c->argv[i].p, c->argv[i].len);
    }
    evbuffer_add(line, "\r\n", 2);
    cap = monitor_cap();
    omk_mutex_lock(&mon_lock);
    for (struct monitor_sink *s = mon_sinks; s; s = s->next) {
        if (s->overflow)
            continue;
        if (evbuffer_get_length(s->pending) + evbuffer_get_length(line) > cap) {
            s->overflow = 1; /* its worker closes it */
            evbuffer_drain(s->pending, evbuffer_get_length(s->pending));
        } else {
            evbuffer_add(s->pending, evbuffer_pullup(line, -1), evbuffer_get_length(line));
        }
        monitor_wake_locked(s);
    }
    omk_mutex_unlock(&mon_lock);
    evbuffer_free(line);
}

void monitor_worker_wake(struct worker *w)
{
    struct client **ready = NULL;
    size_t n = 0, cap = monitor_cap();

    omk_mutex_lock(&mon_lock);
    mon_woken[w->id] = 0;
    for (struct monitor_sink *s = mon_sinks; s; s = s->next) {
        struct client *c = s->c;
        size_t moved = evbuffer_get_length(s->pending);

        if (s->w != w || (moved == 0 && !s->overflow))
            continue;
        if (c->flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP)) {
            evbuffer_drain(s->pending, moved);
            continue;
        }
        if (s->overflow || evbuffer_get_length(c->out) + moved > cap) {
            omk_log(OMK_LOG_WARNING,
                    "Client id=%llu addr=%s laddr=%s omem=%zu cmd=monitor scheduled to be "
                    "closed ASAP for overcoming of output buffer limits.",
                    (unsigned long long)c->id, c->addr, c->laddr,
                    evbuffer_get_length(c->out) + moved);
            evbuffer_drain(s->pending, moved);
            s->overflow = 1;
            c->flags |= CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSING;
        } else if (!(c->flags & CLIENT_CLOSING)) {
            evbuffer_add_buffer(c->out, s->pending);
            worker_stat_add(&w->stats.net_out_bytes, moved);
        }
        ready = omk_realloc(ready, (n + 1) * sizeof(*ready));
        ready[n++] = c;
    }
    omk_mutex_unlock(&mon_lock);
    /* Write outside the lock: a write may free the client (and stop its sink). A held
     * client (in a pass) is written at the pass's end, after its replies. */
    for (size_t i = 0; i < n; i++) {
        if (ready[i]->flags & CLIENT_CLOSING)
            conn_free(ready[i]);
        else if (!ready[i]->pass_is_held)
            conn_write_now(ready[i]);
    }
    omk_free(ready);
}
