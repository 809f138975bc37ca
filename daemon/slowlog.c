/* slowlog.c - the slow log (slowlog.h). Entries are kept in a ring of pointers, newest
 * last in memory and first in replies; each entry owns copies of its (trimmed)
 * arguments, so the request buffer can go away. The mutex guards the ring and the id
 * counter; the threshold is read without it (an atomic config field), so fast commands
 * never touch the lock. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/omk_thread.h"
#include "daemon/cmd.h"
#include "daemon/cmd_keyspecs.h"
#include "daemon/conn.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "daemon/slowlog.h"

#define SLOWLOG_MAX_ARGC 32 /* arguments kept per entry, the last one a note (Redis') */
#define SLOWLOG_MAX_ARG 128 /* bytes kept per argument, then a note (Redis') */

struct slowlog_entry {
    uint64_t id;
    int64_t time_s;       /* Unix time when it was logged */
    int64_t usec;         /* how long the command ran */
    int argc;
    struct omk_slice *argv; /* owned copies, 'argc' of them, in one block with the bytes */
    char addr[64];        /* the client's "ip:port" */
    char name[129];       /* its CLIENT SETNAME, "" if none */
};

static struct {
    pthread_mutex_t lock;
    struct slowlog_entry **ring; /* 'cap' slots; entries from 'head' on, oldest first */
    size_t cap, head, len;
    uint64_t next_id;
} slowlog = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void slowlog_entry_free(struct slowlog_entry *e)
{
    if (e) {
        omk_free(e->argv);
        omk_free(e);
    }
}

/* A new entry for the request of 'c', its arguments trimmed. */
static struct slowlog_entry *slowlog_entry_new(const struct client *c, int64_t usec)
{
    struct slowlog_entry *e = omk_calloc(1, sizeof(*e));
    int argc = c->argc > SLOWLOG_MAX_ARGC ? SLOWLOG_MAX_ARGC : c->argc;
    size_t bytes = 0;
    char *at;

    for (int i = 0; i < argc; i++)
        bytes += (c->argv[i].len > SLOWLOG_MAX_ARG ? SLOWLOG_MAX_ARG + 40 : c->argv[i].len);
    bytes += 48; /* the note of a cut argument list */
    e->argv = omk_malloc((size_t)argc * sizeof(*e->argv) + bytes);
    at = (char *)(e->argv + argc);
    for (int i = 0; i < argc; i++) {
        const struct omk_slice *a = &c->argv[i];
        int n;

        if (argc != c->argc && i == argc - 1) {
            n = sprintf(at, "... (%d more arguments)", c->argc - argc + 1);
        } else if (a->len > SLOWLOG_MAX_ARG) {
            memcpy(at, a->p, SLOWLOG_MAX_ARG);
            n = SLOWLOG_MAX_ARG + sprintf(at + SLOWLOG_MAX_ARG, "... (%zu more bytes)",
                                          a->len - SLOWLOG_MAX_ARG);
        } else {
            memcpy(at, a->p, a->len);
            n = (int)a->len;
        }
        e->argv[i] = (struct omk_slice){at, (size_t)n};
        at += n;
    }
    e->argc = argc;
    e->usec = usec;
    e->time_s = omk_now_us() / 1000000;
    snprintf(e->addr, sizeof(e->addr), "%s", c->addr);
    snprintf(e->name, sizeof(e->name), "%s", c->name ? c->name : "");
    return e;
}

/* Drop the oldest entries until at most 'max' remain. Caller holds the lock. */
static void slowlog_trim(size_t max)
{
    while (slowlog.len > max) {
        slowlog_entry_free(slowlog.ring[slowlog.head]);
        slowlog.ring[slowlog.head] = NULL;
        slowlog.head = (slowlog.head + 1) % slowlog.cap;
        slowlog.len--;
    }
}

void slowlog_note(struct client *c, const struct cmd_def *d, int64_t usec)
{
    long long slower = atomic_load(&server.cfg.slowlog_log_slower_than);
    size_t max;
    struct slowlog_entry *e;

    if (slower < 0 || usec < slower)
        return;
    if (cmd_meta_list_has(cmd_meta_of(d)->flags, "skip_slowlog", 12))
        return;
    max = (size_t)atomic_load(&server.cfg.slowlog_max_len);
    e = slowlog_entry_new(c, usec);
    omk_mutex_lock(&slowlog.lock);
    e->id = slowlog.next_id++;
    if (max == 0) {
        slowlog_trim(0);
        omk_mutex_unlock(&slowlog.lock);
        slowlog_entry_free(e);
        return;
    }
    slowlog_trim(max - 1); /* room for 'e' */
    if (slowlog.len == slowlog.cap) {
        /* Grow, doubling up to 'max', copying the entries oldest first. */
        size_t cap = slowlog.cap < 8 ? 16 : 2 * slowlog.cap;
        struct slowlog_entry **ring;

        if (cap > max)
            cap = max;
        ring = omk_calloc(cap, sizeof(*ring));
        for (size_t i = 0; i < slowlog.len; i++)
            ring[i] = slowlog.ring[(slowlog.head + i) % slowlog.cap];
        omk_free(slowlog.ring);
        slowlog.ring = ring;
        slowlog.cap = cap;
        slowlog.head = 0;
    }
    slowlog.ring[(slowlog.head + slowlog.len) % slowlog.cap] = e;
    slowlog.len++;
    omk_mutex_unlock(&slowlog.lock);
}

/* SLOWLOG GET [count]: the newest 'count' entries (10; -1: all), newest first. */
static void slowlog_get(struct client *c)
{
    long long count = 10;

    if (c->argc > 3) {
        reply_err_syntax(c);
        return;
    }
    if (c->argc == 3 &&
        !cmd_range_arg_or_reply(c, c->argv[2], -1, LLONG_MAX,
                                "count should be greater than or equal to -1", &count))
        return;
    omk_mutex_lock(&slowlog.lock);
    if (count == -1 || (unsigned long long)count > slowlog.len)
        count = (long long)slowlog.len;
    reply_array_len(c, count);
    for (long long k = 0; k < count; k++) {
        const struct slowlog_entry *e =
            slowlog.ring[(slowlog.head + slowlog.len - 1 - (size_t)k) % slowlog.cap];

        reply_array_len(c, 6);
        reply_int(c, (long long)e->id);
        reply_int(c, e->time_s);
        reply_int(c, e->usec);
        reply_array_len(c, e->argc);
        for (int i = 0; i < e->argc; i++)
            reply_bulk(c, e->argv[i].p, e->argv[i].len);
        reply_bulk_cstr(c, e->addr);
        reply_bulk_cstr(c, e->name);
    }
    omk_mutex_unlock(&slowlog.lock);
}

/* SLOWLOG LEN */
static void slowlog_len(struct client *c)
{
    long long n;

    omk_mutex_lock(&slowlog.lock);
    n = (long long)slowlog.len;
    omk_mutex_unlock(&slowlog.lock);
    reply_int(c, n);
}

/* SLOWLOG RESET: forget every entry (ids go on counting, as in Redis). */
static void slowlog_reset(struct client *c)
{
    omk_mutex_lock(&slowlog.lock);
    slowlog_trim(0);
    omk_mutex_unlock(&slowlog.lock);
    reply_ok(c);
}

/* SLOWLOG HELP */
static void slowlog_help(struct client *c)
{
    static const char *const help[] = {
        "GET [<count>]",
        "    The newest <count> entries of the slow log (10 by default; -1 for all of",
        "    them), each as: id, Unix time, duration in microseconds, arguments, client",
        "    address, client name.",
        "LEN",
        "    How many entries the slow log holds.",
        "RESET",
        "    Empty the slow log.",
    };

    cmd_reply_help(c, "SLOWLOG", help, OMK_ARRAY_LEN(help));
}

static const struct cmd_sub slowlog_subs[] = {
    {"get", -2, slowlog_get},
    {"len", 2, slowlog_len},
    {"reset", 2, slowlog_reset},
    {"help", 2, slowlog_help},
};

void slowlog_command(struct client *c)
{
    cmd_dispatch_sub(c, "slowlog", slowlog_subs, OMK_ARRAY_LEN(slowlog_subs), 0);
}
