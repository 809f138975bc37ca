/* cmd_connection.c - the commands of Redis' "connection" group: PING ECHO QUIT HELLO AUTH
 * SELECT CLIENT (its subcommands dispatched by cmd_dispatch_sub). Each changes or reports
 * the state of the calling connection; CLIENT LIST and KILL also reach other workers'
 * clients, under each worker's clients_lock. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "common/omk_thread.h"
#include "daemon/blocking.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/log.h"
#include "daemon/pubsub.h"
#include "daemon/reply.h"
#include "daemon/server.h"

/* PING [message] */
void cmd_ping(struct client *c)
{
    if (c->argc > 2) {
        reply_err_arity(c);
        return;
    }
    if (c->proto == 2 && pubsub_subscribed(c)) { /* Redis' answer in subscribed mode */
        reply_array_len(c, 2);
        reply_bulk_cstr(c, "pong");
        reply_bulk(c, c->argc == 2 ? c->argv[1].p : "", c->argc == 2 ? c->argv[1].len : 0);
        return;
    }
    if (c->argc == 2)
        reply_bulk(c, c->argv[1].p, c->argv[1].len);
    else
        reply_simple(c, "PONG");
}

/* ECHO message */
void cmd_echo(struct client *c)
{
    reply_bulk(c, c->argv[1].p, c->argv[1].len);
}

/* QUIT: +OK, then close once it is written. */
void cmd_quit(struct client *c)
{
    reply_ok(c);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/* Check 'user'/'pass' against requirepass (user "default" only). Returns 1 if they
 * authenticate. With no requirepass set, the default user takes any password. */
static int conn_check_password(struct client *c, struct omk_slice user, struct omk_slice pass)
{
    if (user.len != 7 || memcmp(user.p, "default", 7) != 0)
        return 0;
    if (!server.cfg.auth_required) /* the default user has no password: any one works */
        return 1;
    if (cfg_requirepass_check(&server.cfg, pass.p, pass.len))
        return 1;
    OMK_LOG_RATELIMITED(OMK_LOG_WARNING, "Wrong password from client id=%llu addr=%s",
                        (unsigned long long)c->id, c->addr);
    return 0;
}

static const char wrongpass[] = "WRONGPASS invalid username-password pair or user is disabled.";

/* AUTH [username] password */
void cmd_auth(struct client *c)
{
    struct omk_slice user = {"default", 7};

    if (c->argc > 3) {
        reply_err_syntax(c);
        return;
    }
    if (c->argc == 2 && !server.cfg.auth_required) {
        reply_error(c, "ERR AUTH <password> called without any password configured for the "
                       "default user. Are you sure your configuration is correct?");
        return;
    }
    if (c->argc == 3)
        user = c->argv[1];
    if (conn_check_password(c, user, c->argv[c->argc - 1])) {
        c->authenticated = 1;
        reply_ok(c);
    } else {
        reply_error(c, wrongpass);
    }
}

/* Validate a client name for CLIENT SETNAME / HELLO SETNAME: printable, no spaces.
 * Returns 1 if valid; otherwise replies Redis' error and returns 0. */
static int conn_valid_name_or_reply(struct client *c, struct omk_slice name)
{
    for (size_t i = 0; i < name.len; i++) {
        if (name.p[i] < '!' || name.p[i] > '~') {
            reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
            return 0;
        }
    }
    return 1;
}

/* Set (or clear, for an empty name) the name of 'c'. */
static void conn_set_name(struct client *c, struct omk_slice name)
{
    char *old, *nw = name.len ? omk_memdup(name.p, name.len) : NULL;

    omk_mutex_lock(&c->worker->clients_lock);
    old = c->name;
    c->name = nw;
    omk_mutex_unlock(&c->worker->clients_lock);
    omk_free(old);
}

/* HELLO [protover [AUTH username password] [SETNAME clientname]] */
void cmd_hello(struct client *c)
{
    long long ver = c->proto;
    struct omk_slice name = {NULL, 0};
    int have_name = 0, i;

    if (c->argc >= 2) {
        if (!omk_str2ll(c->argv[1].p, c->argv[1].len, &ver)) {
            reply_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver < 2 || ver > 3) {
            reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }
    for (i = 2; i < c->argc; i++) {
        int more = c->argc - i - 1;

        if (cmd_arg_is(c, i, "auth") && more >= 2) {
            if (!conn_check_password(c, c->argv[i + 1], c->argv[i + 2])) {
                reply_error(c, wrongpass);
                return;
            }
            c->authenticated = 1;
            i += 2;
        } else if (cmd_arg_is(c, i, "setname") && more >= 1) {
            name = c->argv[++i];
            if (!conn_valid_name_or_reply(c, name))
                return;
            have_name = 1;
        } else {
            reply_error_fmt(c, "ERR Syntax error in HELLO option '%.*s'", (int)c->argv[i].len,
                            c->argv[i].p);
            return;
        }
    }
    if (!c->authenticated) {
        reply_error(c, "NOAUTH HELLO must be called with the client already authenticated, "
                       "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
                       "authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    if (have_name)
        conn_set_name(c, name);
    c->proto = (int)ver;
    pubsub_proto_changed(c);
    reply_map_len(c, 7);
    reply_bulk_cstr(c, "server");
    reply_bulk_cstr(c, "redis");
    reply_bulk_cstr(c, "version");
    reply_bulk_cstr(c, OMK_REDIS_VERSION);
    reply_bulk_cstr(c, "proto");
    reply_int(c, c->proto);
    reply_bulk_cstr(c, "id");
    reply_int(c, (long long)c->id);
    reply_bulk_cstr(c, "mode");
    reply_bulk_cstr(c, "standalone");
    reply_bulk_cstr(c, "role");
    reply_bulk_cstr(c, "master");
    reply_bulk_cstr(c, "modules");
    reply_array_len(c, 0);
}

/* SELECT index */
void cmd_select(struct client *c)
{
    int db;

    if (!cmd_db_arg_or_reply(c, c->argv[1], &db))
        return;
    c->db = db;
    reply_ok(c);
}

/* Append one CLIENT LIST line describing 'x' to 'b', at wall-clock time 'now_ms' (for
 * age=) and monotonic time 'now_us' (for idle=). The caller holds x's clients_lock. */
static void client_describe(struct evbuffer *b, const struct client *x, int64_t now_ms,
                            int64_t now_us)
{
    int idx = atomic_load_explicit(&x->last_cmd_idx, memory_order_relaxed);
    int64_t last_us = atomic_load_explicit(&x->last_us, memory_order_relaxed);

    evbuffer_add_printf(b,
                        "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d "
                        "sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 "
                        "obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s user=default redir=-1 resp=%d\n",
                        (unsigned long long)x->id, x->addr, x->laddr, x->fd, x->name ? x->name : "",
                        (long long)((now_ms - x->ctime_ms) / 1000),
                        (long long)((now_us > last_us ? now_us - last_us : 0) / 1000000),
                        atomic_load_explicit(&x->parked, memory_order_relaxed) ? "b" : "N", x->db,
                        idx >= 0 ? cmd_table[idx].name : "NULL", x->proto);
}

/* Whether client id 'id' is one of 'ids' ('n' of them; n 0: every id is). */
static int client_id_listed(uint64_t id, const long long *ids, int n)
{
    for (int i = 0; i < n; i++)
        if ((uint64_t)ids[i] == id)
            return 1;
    return n == 0;
}

/* CLIENT LIST / CLIENT INFO: the text of every client, of those whose id is one of 'ids'
 * ('nids' of them; 0: no filter), or of 'c' alone ('only_self'). */
static void client_list(struct client *c, int only_self, const long long *ids, int nids)
{
    struct evbuffer *b = evbuffer_new();
    int64_t now_ms = omk_now_ms(), now_us = omk_mono_us();
    size_t len;

    for (int w = 0; w < server.nworkers; w++) {
        struct worker *wk = &server.workers[w];

        omk_mutex_lock(&wk->clients_lock);
        for (struct client *x = wk->clients; x; x = x->next)
            if ((!only_self || x == c) && client_id_listed(x->id, ids, nids))
                client_describe(b, x, now_ms, now_us);
        omk_mutex_unlock(&wk->clients_lock);
    }
    len = evbuffer_get_length(b);
    reply_verbatim(c, len ? (const char *)evbuffer_pullup(b, -1) : "", len);
    evbuffer_free(b);
}

/* CLIENT ID */
static void client_id(struct client *c)
{
    reply_int(c, (long long)c->id);
}

/* CLIENT SETNAME name */
static void client_setname(struct client *c)
{
    if (conn_valid_name_or_reply(c, c->argv[2])) {
        conn_set_name(c, c->argv[2]);
        reply_ok(c);
    }
}

/* CLIENT GETNAME */
static void client_getname(struct client *c)
{
    if (c->name)
        reply_bulk_cstr(c, c->name);
    else
        reply_null(c);
}

/* CLIENT SETINFO LIB-NAME|LIB-VER value: accepted (clients send it on connect). */
static void client_setinfo(struct client *c)
{
    if (!cmd_arg_is(c, 2, "lib-name") && !cmd_arg_is(c, 2, "lib-ver")) {
        reply_error_fmt(c, "ERR Unrecognized option '%.*s'", (int)c->argv[2].len, c->argv[2].p);
        return;
    }
    reply_ok(c);
}

/* CLIENT LIST [TYPE normal|master|replica|slave|pubsub] | [ID id [id ...]]: one of the
 * two filters or none, as Redis 7.0 parses them (any integer is an ID; those below 1
 * match nobody). Every omenkv client is a normal one, so the other types list nobody. */
static void client_list_cmd(struct client *c)
{
    static const char *const other_types[] = {"master", "replica", "slave", "pubsub"};
    long long *ids;
    int nids = c->argc - 3;

    if (c->argc == 4 && cmd_arg_is(c, 2, "type")) {
        if (cmd_arg_is(c, 3, "normal")) {
            client_list(c, 0, NULL, 0);
            return;
        }
        for (size_t i = 0; i < OMK_ARRAY_LEN(other_types); i++) {
            if (cmd_arg_is(c, 3, other_types[i])) {
                reply_verbatim(c, "", 0);
                return;
            }
        }
        reply_error_fmt(c, "ERR Unknown client type '%.*s'", reply_user_len(c->argv[3].len),
                        c->argv[3].p);
        return;
    }
    if (c->argc > 3 && cmd_arg_is(c, 2, "id")) {
        ids = omk_malloc((size_t)nids * sizeof(*ids));
        for (int i = 0; i < nids; i++) {
            if (!omk_str2ll(c->argv[3 + i].p, c->argv[3 + i].len, &ids[i])) {
                reply_error(c, "ERR Invalid client ID");
                omk_free(ids);
                return;
            }
        }
        client_list(c, 0, ids, nids);
        omk_free(ids);
        return;
    }
    if (c->argc != 2) {
        reply_err_syntax(c);
        return;
    }
    client_list(c, 0, NULL, 0);
}

/* CLIENT INFO */
static void client_info(struct client *c)
{
    client_list(c, 1, NULL, 0);
}

/* CLIENT NO-EVICT|NO-TOUCH ON|OFF: accepted; omenkv evicts values, never clients, and
 * keeps no access times. */
static void client_onoff(struct client *c)
{
    if (!cmd_arg_is(c, 2, "on") && !cmd_arg_is(c, 2, "off")) {
        reply_err_syntax(c);
        return;
    }
    reply_ok(c);
}

/* What CLIENT KILL selects: every given filter must match. */
struct kill_filter {
    long long id;                 /* 0: any */
    struct omk_slice addr, laddr; /* len 0: any */
    int skipme;                   /* do not kill the caller */
};

static int kill_matches(const struct kill_filter *f, const struct client *x,
                        const struct client *self)
{
    if (f->skipme && x == self)
        return 0;
    if (f->id && (unsigned long long)f->id != x->id)
        return 0;
    if (f->addr.len && (strlen(x->addr) != f->addr.len || memcmp(x->addr, f->addr.p, f->addr.len)))
        return 0;
    if (f->laddr.len &&
        (strlen(x->laddr) != f->laddr.len || memcmp(x->laddr, f->laddr.p, f->laddr.len)))
        return 0;
    return 1;
}

/* CLIENT KILL ip:port | CLIENT KILL [ID id] [ADDR ip:port] [LADDR ip:port] [SKIPME yes|no]
 * Clients of other workers are flagged and their worker is woken to close them; the
 * caller itself is closed once this reply is written. */
static void client_kill(struct client *c)
{
    struct kill_filter f = {.skipme = 1};
    int old_form = c->argc == 3;
    long long killed = 0;

    if (old_form) {
        f.addr = c->argv[2];
        f.skipme = 0;
    } else {
        for (int i = 2; i < c->argc; i += 2) {
            if (i + 1 >= c->argc) {
                reply_err_syntax(c);
                return;
            }
            if (cmd_arg_is(c, i, "id")) {
                if (!omk_str2ll(c->argv[i + 1].p, c->argv[i + 1].len, &f.id) || f.id <= 0) {
                    reply_error(c, "ERR client-id should be greater than 0");
                    return;
                }
            } else if (cmd_arg_is(c, i, "addr")) {
                f.addr = c->argv[i + 1];
            } else if (cmd_arg_is(c, i, "laddr")) {
                f.laddr = c->argv[i + 1];
            } else if (cmd_arg_is(c, i, "skipme")) {
                if (cmd_arg_is(c, i + 1, "yes")) {
                    f.skipme = 1;
                } else if (cmd_arg_is(c, i + 1, "no")) {
                    f.skipme = 0;
                } else {
                    reply_err_syntax(c);
                    return;
                }
            } else {
                reply_err_syntax(c);
                return;
            }
        }
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

/* CLIENT UNBLOCK client-id [TIMEOUT | ERROR]: 1 if that client was parked by a blocking
 * pop, which then answers as on a timeout or with an UNBLOCKED error; else 0. Redis 7.0
 * checks the reason before the id, and answers more arguments with its one subcommand
 * error. */
static void client_unblock(struct client *c)
{
    long long id;
    int error = 0;

    if (c->argc > 4) {
        reply_error_fmt(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
                           "Try CLIENT HELP.",
                        reply_user_len(c->argv[1].len), c->argv[1].p);
        return;
    }
    if (c->argc == 4) {
        if (cmd_arg_is(c, 3, "error")) {
            error = 1;
        } else if (!cmd_arg_is(c, 3, "timeout")) {
            reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &id)) {
        reply_err_not_int(c);
        return;
    }
    reply_int(c, id > 0 && blocking_unblock((uint64_t)id, error));
}

static const struct cmd_sub client_subs[] = {
    {"id", 2, client_id},           {"setname", 3, client_setname},
    {"getname", 2, client_getname}, {"setinfo", 4, client_setinfo},
    {"list", -2, client_list_cmd},  {"info", 2, client_info},
    {"kill", -3, client_kill},      {"no-evict", 3, client_onoff},
    {"no-touch", 3, client_onoff},  {"unblock", -3, client_unblock},
};

/* CLIENT <subcommand> ... */
void cmd_client(struct client *c)
{
    cmd_dispatch_sub(c, "client", client_subs, OMK_ARRAY_LEN(client_subs), 0);
}
