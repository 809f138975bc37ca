/* clientinfo.c - what CLIENT LIST and CLIENT INFO say about a client, in Redis 7.0's
 * order (catClientInfoString), and CLIENT KILL's filters. A client is described by its
 * owner from live state, by any other worker from the snapshot its owner last took
 * (client_snapshot: after each read callback and each write), so no thread reads
 * another's owner-only fields.
 *
 * What each field means here (Redis' meaning, unless said):
 *   id addr laddr fd name    as Redis; fd is the socket
 *   age                      seconds since the connection was accepted
 *   idle                     seconds since its last command ended (0 for the caller,
 *                            whose command is running now)
 *   flags                    O monitor, P pub/sub, x in MULTI, b parked by a blocking
 *                            command or postponed by CLIENT PAUSE, d a WATCHed key
 *                            changed, c closing after its reply, A closing now,
 *                            e no-evict, t tracking, R its REDIRECT target is gone,
 *                            B tracking in BCAST mode; N none
 *   db multi resp            as Redis (multi: commands queued, -1 outside MULTI)
 *   sub psub ssub            subscriptions: channels, patterns, shard channels
 *   qbuf                     input bytes received and not yet run (the caller's
 *                            running request included, as in Redis)
 *   qbuf-free                0: input goes to a chained buffer with no reserved room
 *   argv-mem                 bytes of the running command's arguments (the caller only;
 *                            others run nothing while listed)
 *   multi-mem                heap bytes held by the MULTI queue
 *   rbs                      0: there is no fixed reply buffer; replies go to a chained
 *                            output buffer that holds only what is waiting
 *   rbp                      the most output bytes seen waiting in the last 5 seconds
 *   obl oll omem             waiting output as Redis would hold it: the first 16 KB in
 *                            its reply buffer (obl), the rest in 16 KB blocks (oll, omem)
 *   tot-mem                  the client struct, name, input, arguments, MULTI queue and
 *                            waiting output
 *   events                   r: reading its socket, w: waiting to write (conn_events)
 *   cmd                      the last command, "client|list" for a subcommand
 *   user                     the ACL user the client is logged in as (acl.c)
 *   redir                    the REDIRECT id, 0 without one, -1 when tracking is off */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/omk_thread.h"
#include "daemon/acl.h"
#include "daemon/clientinfo.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/multi.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "daemon/tracking.h"

#define CLIENT_REPLY_CHUNK (16 * 1024) /* Redis' reply buffer and reply block size */
#define CLIENT_PEAK_RESET_MS 5000      /* rbp covers this much time, as Redis' */

/* Redis' client types, for TYPE filters (getClientTypeByName). */
enum client_type { CT_NORMAL, CT_REPLICA, CT_PUBSUB, CT_MASTER };

/* The subscriptions of 'x': channels, patterns, shard channels (pubsub.c keeps them). */
static void client_sub_counts(const struct client *x, int *sub, int *psub, int *ssub)
{
    *sub = atomic_load_explicit(&x->sub_channels, memory_order_relaxed);
    *psub = atomic_load_explicit(&x->sub_patterns, memory_order_relaxed);
    *ssub = atomic_load_explicit(&x->sub_shard, memory_order_relaxed);
}

/* The type of 'x' as Redis' getClientType: a MONITOR client is a normal one; omenkv has
 * no masters or replicas; a subscriber is a pub/sub client. */
static enum client_type client_type_of(const struct client *x)
{
    int sub, psub, ssub;

    client_sub_counts(x, &sub, &psub, &ssub);
    return sub + psub + ssub > 0 ? CT_PUBSUB : CT_NORMAL;
}

/* Parse a client type name as Redis' getClientTypeByName; -1 if unknown. */
static int client_type_by_name(const struct omk_slice *a)
{
    if (cmd_word_is(a, "normal"))
        return CT_NORMAL;
    if (cmd_word_is(a, "slave") || cmd_word_is(a, "replica"))
        return CT_REPLICA;
    if (cmd_word_is(a, "pubsub"))
        return CT_PUBSUB;
    if (cmd_word_is(a, "master"))
        return CT_MASTER;
    return -1;
}

void client_snapshot(struct client *c)
{
    struct client_snap *s = &c->snap;
    long long out = (long long)evbuffer_get_length(c->out);
    int64_t now_ms = omk_mono_us() / 1000;
    /* The command fuzz target's client has no socket, so no bufferevent nor input. */
    int ev = conn_events(c);
    size_t in = c->in ? evbuffer_get_length(c->in) : 0;

    atomic_store_explicit(&s->flags, c->flags, memory_order_relaxed);
    atomic_store_explicit(&s->db, c->db, memory_order_relaxed);
    atomic_store_explicit(&s->proto, c->proto, memory_order_relaxed);
    atomic_store_explicit(&s->multi, multi_queued_count(c), memory_order_relaxed);
    atomic_store_explicit(&s->multi_mem, (long long)multi_queued_mem(c), memory_order_relaxed);
    atomic_store_explicit(&s->watch_dirty, atomic_load(&c->watch_dirty), memory_order_relaxed);
    atomic_store_explicit(&s->events, ev, memory_order_relaxed);
    atomic_store_explicit(&s->qbuf, (long long)in, memory_order_relaxed);
    atomic_store_explicit(&s->out, out, memory_order_relaxed);
    if (now_ms - atomic_load_explicit(&s->out_peak_ms, memory_order_relaxed) >=
        CLIENT_PEAK_RESET_MS) {
        atomic_store_explicit(&s->out_peak, out, memory_order_relaxed);
        atomic_store_explicit(&s->out_peak_ms, now_ms, memory_order_relaxed);
    } else if (out > atomic_load_explicit(&s->out_peak, memory_order_relaxed)) {
        atomic_store_explicit(&s->out_peak, out, memory_order_relaxed);
    }
}

/* What Redis' flags letters are made of, besides the client's CLIENT_* flags. */
struct flag_state {
    int in_multi, blocked, dirty, subscribed;
    const struct client *x; /* for its tracking letters (tracking.c) */
};

/* Write Redis' flags letters, in its order, for client flags 'flags' (snapshot) and 'st'
 * into 'buf' (16 bytes). */
static void client_flags_str(char *buf, int flags, const struct flag_state *st)
{
    char *p = buf;

    if (flags & CLIENT_MONITOR)
        *p++ = 'O';
    if (st->subscribed)
        *p++ = 'P';
    if (st->in_multi)
        *p++ = 'x';
    if (st->blocked)
        *p++ = 'b';
    p = tracking_flags_letters(st->x, p); /* t R B */
    if (st->dirty)
        *p++ = 'd';
    if ((flags & CLIENT_CLOSE_AFTER_REPLY) && !(flags & CLIENT_CLOSING))
        *p++ = 'c';
    if (flags & CLIENT_CLOSING)
        *p++ = 'A';
    if (flags & CLIENT_NO_EVICT)
        *p++ = 'e';
    if (flags & CLIENT_NO_TOUCH)
        *p++ = 'T';
    if (p == buf)
        *p++ = 'N';
    *p = '\0';
}

/* Append one CLIENT LIST line for 'x' to 'b'. 'self' is x running this command (its
 * live state is read); otherwise x's snapshot. The caller holds x's clients_lock (its
 * name). 'now_ms' wall clock, 'now_us' monotonic. */
static void client_describe(struct evbuffer *b, struct client *x, int self, int64_t now_ms,
                            int64_t now_us)
{
    const struct client_snap *s = &x->snap;
    int idx = atomic_load_explicit(&x->last_cmd_idx, memory_order_relaxed);
    const char *sub_name = atomic_load_explicit(&x->last_sub, memory_order_relaxed);
    int64_t last_us = atomic_load_explicit(&x->last_us, memory_order_relaxed);
    long long idle = self ? 0 : (now_us > last_us ? now_us - last_us : 0) / 1000000;
    long long qbuf, argv_mem = 0, multi_mem, out, obl, oll, omem, tot;
    int flags, events, multi, sub, psub, ssub;
    struct flag_state st;
    char fl[16], cmdname[64], user[128];

    if (self)
        client_snapshot(x); /* live values */
    flags = atomic_load_explicit(&s->flags, memory_order_relaxed);
    multi = atomic_load_explicit(&s->multi, memory_order_relaxed);
    events = atomic_load_explicit(&s->events, memory_order_relaxed);
    qbuf = atomic_load_explicit(&s->qbuf, memory_order_relaxed);
    multi_mem = atomic_load_explicit(&s->multi_mem, memory_order_relaxed);
    out = atomic_load_explicit(&s->out, memory_order_relaxed);
    if (self)
        for (int i = 0; i < x->argc; i++)
            argv_mem += (long long)x->argv[i].len;
    obl = out < CLIENT_REPLY_CHUNK ? out : CLIENT_REPLY_CHUNK;
    oll = (out - obl + CLIENT_REPLY_CHUNK - 1) / CLIENT_REPLY_CHUNK;
    omem = oll * CLIENT_REPLY_CHUNK;
    tot = (long long)sizeof(*x) + (x->name ? (long long)strlen(x->name) : 0) + qbuf + argv_mem +
          multi_mem + out;
    client_sub_counts(x, &sub, &psub, &ssub);
    st.in_multi = multi >= 0;
    st.blocked = (flags & CLIENT_POSTPONED) || atomic_load_explicit(&x->parked, memory_order_relaxed);
    st.dirty = atomic_load_explicit(&s->watch_dirty, memory_order_relaxed);
    st.subscribed = sub + psub + ssub > 0;
    st.x = x;
    client_flags_str(fl, flags, &st);
    acl_user_name(x->user, user, sizeof(user)); /* x->user changes under clients_lock */
    if (idx < 0)
        snprintf(cmdname, sizeof(cmdname), "NULL");
    else if (sub_name)
        snprintf(cmdname, sizeof(cmdname), "%s|%s", cmd_table[idx].name, sub_name);
    else
        snprintf(cmdname, sizeof(cmdname), "%s", cmd_table[idx].name);
    evbuffer_add_printf(
        b,
        "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%d "
        "psub=%d ssub=%d multi=%d qbuf=%lld qbuf-free=0 argv-mem=%lld multi-mem=%lld rbs=0 "
        "rbp=%lld obl=%lld oll=%lld omem=%lld tot-mem=%lld events=%s%s cmd=%s user=%s "
        "redir=%lld resp=%d\n",
        (unsigned long long)x->id, x->addr, x->laddr, x->fd, x->name ? x->name : "",
        (long long)((now_ms - x->ctime_ms) / 1000), idle, fl,
        atomic_load_explicit(&s->db, memory_order_relaxed), sub, psub, ssub, multi, qbuf,
        argv_mem, multi_mem, atomic_load_explicit(&s->out_peak, memory_order_relaxed), obl, oll,
        omem, tot, (events & EV_READ) ? "r" : "", (events & EV_WRITE) ? "w" : "", cmdname, user,
        tracking_redir(x), atomic_load_explicit(&s->proto, memory_order_relaxed));
}

/* Which clients CLIENT LIST shows. */
struct list_filter {
    int only_self;        /* CLIENT INFO */
    int type;             /* enum client_type, -1: any */
    const long long *ids; /* 'nids' ids, NULL: any */
    int nids;
};

static int list_matches(const struct list_filter *f, const struct client *x,
                        const struct client *self)
{
    if (f->only_self && x != self)
        return 0;
    if (f->type >= 0 && (int)client_type_of(x) != f->type)
        return 0;
    if (f->ids) {
        for (int i = 0; i < f->nids; i++)
            if ((uint64_t)f->ids[i] == x->id)
                return 1;
        return 0;
    }
    return 1;
}

/* Reply the lines of the clients 'f' selects, as one verbatim string. */
static void client_list_reply(struct client *c, const struct list_filter *f)
{
    struct evbuffer *b = evbuffer_new();
    int64_t now_ms = omk_now_ms(), now_us = omk_mono_us();
    size_t len;

    for (int w = 0; w < server.nworkers; w++) {
        struct worker *wk = &server.workers[w];

        omk_mutex_lock(&wk->clients_lock);
        for (struct client *x = wk->clients; x; x = x->next)
            if (list_matches(f, x, c))
                client_describe(b, x, x == c, now_ms, now_us);
        omk_mutex_unlock(&wk->clients_lock);
    }
    len = evbuffer_get_length(b);
    reply_verbatim(c, len ? (const char *)evbuffer_pullup(b, -1) : "", len);
    evbuffer_free(b);
}

/* CLIENT LIST [TYPE normal|master|replica|slave|pubsub] | [ID id [id ...]]: one of the
 * two filters or none, as Redis 7.0 parses them (any integer is an ID; those below 1
 * match nobody). */
void client_list_sub(struct client *c)
{
    struct list_filter f = {.type = -1};
    long long *ids;

    if (c->argc == 4 && cmd_arg_is(c, 2, "type")) {
        f.type = client_type_by_name(&c->argv[3]);
        if (f.type < 0) {
            reply_error_fmt(c, "ERR Unknown client type '%.*s'", reply_user_len(c->argv[3].len),
                            c->argv[3].p);
            return;
        }
        client_list_reply(c, &f);
        return;
    }
    if (c->argc > 3 && cmd_arg_is(c, 2, "id")) {
        f.nids = c->argc - 3;
        ids = omk_malloc((size_t)f.nids * sizeof(*ids));
        for (int i = 0; i < f.nids; i++) {
            if (!omk_str2ll(c->argv[3 + i].p, c->argv[3 + i].len, &ids[i])) {
                reply_error(c, "ERR Invalid client ID");
                omk_free(ids);
                return;
            }
        }
        f.ids = ids;
        client_list_reply(c, &f);
        omk_free(ids);
        return;
    }
    if (c->argc != 2) {
        reply_err_syntax(c);
        return;
    }
    client_list_reply(c, &f);
}

/* CLIENT INFO */
void client_describe_self(struct evbuffer *b, struct client *c)
{
    omk_mutex_lock(&c->worker->clients_lock);
    client_describe(b, c, 1, omk_now_ms(), omk_mono_us());
    omk_mutex_unlock(&c->worker->clients_lock);
}

void client_info_sub(struct client *c)
{
    struct list_filter f = {.only_self = 1, .type = -1};

    client_list_reply(c, &f);
}

/* What CLIENT KILL selects: every given filter must match. */
struct kill_filter {
    long long id;                 /* 0: any */
    int type;                     /* enum client_type, -1: any */
    struct omk_slice addr, laddr; /* len 0: any */
    struct omk_slice user;        /* an ACL user's name, p NULL: any */
    int skipme;                   /* do not kill the caller */
};

static int kill_matches(const struct kill_filter *f, const struct client *x,
                        const struct client *self)
{
    if (f->addr.p && (strlen(x->addr) != f->addr.len || memcmp(x->addr, f->addr.p, f->addr.len)))
        return 0;
    if (f->laddr.p &&
        (strlen(x->laddr) != f->laddr.len || memcmp(x->laddr, f->laddr.p, f->laddr.len)))
        return 0;
    if (f->type >= 0 && (int)client_type_of(x) != f->type)
        return 0;
    if (f->id && (unsigned long long)f->id != x->id)
        return 0;
    if (f->user.p) { /* the caller holds x's clients_lock, under which x->user changes */
        char name[128];

        acl_user_name(x->user, name, sizeof(name));
        if (strlen(name) != f->user.len || memcmp(name, f->user.p, f->user.len) != 0)
            return 0;
    }
    if (f->skipme && x == self)
        return 0;
    return 1;
}

/* Parse CLIENT KILL's filters (argv[2..], in pairs) into '*f' as Redis 7.0 does, first
 * error first. Returns 1, or 0 after replying the error. */
static int kill_parse_or_reply(struct client *c, struct kill_filter *f)
{
    for (int i = 2; i < c->argc; i += 2) {
        int more = i + 1 < c->argc;
        const struct omk_slice *v = more ? &c->argv[i + 1] : NULL;

        if (cmd_arg_is(c, i, "id") && more) {
            if (!omk_str2ll(v->p, v->len, &f->id) || f->id <= 0) {
                reply_error(c, "ERR client-id should be greater than 0");
                return 0;
            }
        } else if (cmd_arg_is(c, i, "type") && more) {
            f->type = client_type_by_name(v);
            if (f->type < 0) {
                reply_error_fmt(c, "ERR Unknown client type '%.*s'", reply_user_len(v->len),
                                v->p);
                return 0;
            }
        } else if (cmd_arg_is(c, i, "addr") && more) {
            f->addr = *v;
        } else if (cmd_arg_is(c, i, "laddr") && more) {
            f->laddr = *v;
        } else if (cmd_arg_is(c, i, "user") && more) {
            if (!acl_user_exists(*v)) {
                reply_error_fmt(c, "ERR No such user '%.*s'", reply_user_len(v->len), v->p);
                return 0;
            }
            f->user = *v;
        } else if (cmd_arg_is(c, i, "skipme") && more) {
            if (cmd_word_is(v, "yes")) {
                f->skipme = 1;
            } else if (cmd_word_is(v, "no")) {
                f->skipme = 0;
            } else {
                reply_err_syntax(c);
                return 0;
            }
        } else {
            reply_err_syntax(c);
            return 0;
        }
    }
    return 1;
}

/* CLIENT KILL ip:port | CLIENT KILL [ID id] [TYPE type] [USER name] [ADDR ip:port]
 * [LADDR ip:port] [SKIPME yes|no]. Clients of other workers are flagged and their worker
 * is woken to close them; the caller itself is closed once this reply is written. The
 * old form replies OK or "No such client", the new one the number killed. */
void client_kill_sub(struct client *c)
{
    struct kill_filter f = {.type = -1, .skipme = 1};
    int old_form = c->argc == 3;
    long long killed = 0;

    if (old_form) {
        f.addr = c->argv[2];
        f.skipme = 0;
    } else if (!kill_parse_or_reply(c, &f)) {
        return;
    }
    for (int w = 0; w < server.nworkers; w++) {
        struct worker *wk = &server.workers[w];
        int any = 0;

        omk_mutex_lock(&wk->clients_lock);
        for (struct client *x = wk->clients; x; x = x->next) {
            if (!kill_matches(&f, x, c))
                continue;
            killed++;
            if (x == c)
                c->flags |= CLIENT_CLOSE_AFTER_REPLY;
            else
                atomic_store(&x->kill_requested, 1), any = 1;
        }
        omk_mutex_unlock(&wk->clients_lock);
        if (any)
            worker_reap(wk);
    }
    if (old_form) {
        if (killed)
            reply_ok(c);
        else
            reply_error(c, "ERR No such client");
    } else {
        reply_int(c, killed);
    }
}
