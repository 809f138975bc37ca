/* reply.c - the reply layer between handlers and resp/ encoders (see reply.h). A
 * client's replies go to its bufferevent output; a deferred array collects its
 * elements in the worker's scratch buffer and moves them, without a copy, once the
 * length is known. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/log.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "resp/resp.h"
#include "store/store.h"

/* Values at least this big go to the output by reference (resp_w_bulk_ref), except
 * inside a deferred aggregate, where they are copied like small ones. */
#define REPLY_REF_MIN (16 * 1024)

/* While this thread builds a deferred aggregate, its worker's scratch buffer, where
 * replies go instead of the client's output; NULL otherwise. Thread-local, so each
 * worker has its own. */
static __thread struct evbuffer *tls_deferred;

/* The client's replies are dropped: it is closing, or CLIENT REPLY OFF/SKIP said so. */
#define REPLY_DROPPED (CLIENT_CLOSING | CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP)

/* The buffer replies go to, or NULL when the client takes no more output. */
static struct evbuffer *reply_buf(struct client *c)
{
    if (c->flags & REPLY_DROPPED)
        return NULL;
    return tls_deferred ? tls_deferred : c->out;
}

int reply_direct(void)
{
    return tls_deferred == NULL;
}

void reply_ok(struct client *c)
{
    reply_simple(c, "OK");
}

void reply_simple(struct client *c, const char *s)
{
    struct evbuffer *b = reply_buf(c);

    if (b)
        resp_w_simple(b, s, strlen(s));
}

void reply_int(struct client *c, long long v)
{
    struct evbuffer *b = reply_buf(c);

    if (b)
        resp_w_int(b, v);
}

void reply_bulk(struct client *c, const void *p, size_t len)
{
    struct evbuffer *b = reply_buf(c);

    if (b)
        resp_w_bulk(b, p, len);
}

void reply_bulk_cstr(struct client *c, const char *s)
{
    reply_bulk(c, s, strlen(s));
}

void reply_bulk_ll(struct client *c, long long v)
{
    char buf[24];

    reply_bulk(c, buf, omk_ll2str(buf, v));
}

void reply_null(struct client *c)
{
    struct evbuffer *b = reply_buf(c);

    if (b)
        resp_w_null(b, c->proto);
}

void reply_null_array(struct client *c)
{
    struct evbuffer *b = reply_buf(c);

    if (b)
        resp_w_null_array(b, c->proto);
}

void reply_array_len(struct client *c, long long n)
{
    struct evbuffer *b = reply_buf(c);

    if (b)
        resp_w_array_len(b, n);
}

void reply_map_len(struct client *c, long long n)
{
    struct evbuffer *b = reply_buf(c);

    if (b)
        resp_w_map_len(b, c->proto, n);
}

void reply_set_len(struct client *c, long long n)
{
    struct evbuffer *b = reply_buf(c);

    if (b)
        resp_w_set_len(b, c->proto, n);
}

void reply_push_len(struct client *c, long long n)
{
    struct evbuffer *b = reply_buf(c);

    if (b)
        resp_w_push_len(b, c->proto, n);
}

void reply_verbatim(struct client *c, const char *p, size_t len)
{
    struct evbuffer *b = reply_buf(c);

    if (b)
        resp_w_verbatim(b, c->proto, "txt", p, len);
}

void reply_double(struct client *c, double d)
{
    struct evbuffer *b = reply_buf(c);

    if (b)
        resp_w_double(b, c->proto, d);
}

void reply_bulk_val(struct client *c, struct store_val *v)
{
    struct evbuffer *b = reply_buf(c);

    if (!b) {
        store_val_release(v);
        return;
    }
    if (v->len < REPLY_REF_MIN || b != c->out) {
        resp_w_bulk(b, v->data, v->len);
        store_val_release(v);
        return;
    }
    /* The payload is lent to libevent until it is written; the cleanup releases 'v'. */
    resp_w_bulk_ref(b, v->data, v->len, store_val_release_cb, v);
}

void reply_buffer(struct client *c, struct evbuffer *reply)
{
    struct evbuffer *b = reply_buf(c);

    if (b)
        evbuffer_add_buffer(b, reply);
    else
        evbuffer_drain(reply, evbuffer_get_length(reply));
}

void reply_error(struct client *c, const char *msg)
{
    struct evbuffer *b = reply_buf(c);

    if (b)
        resp_w_error(b, msg, strlen(msg));
}

void reply_error_fmt(struct client *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    reply_error(c, buf);
}

void reply_err_syntax(struct client *c)
{
    reply_error(c, "ERR syntax error");
}

void reply_err_not_int(struct client *c)
{
    reply_error(c, "ERR value is not an integer or out of range");
}

void reply_err_arity(struct client *c)
{
    reply_error_fmt(c, "ERR wrong number of arguments for '%s' command", cmd_current_name(c));
}

void reply_err_wrongtype(struct client *c)
{
    reply_error(c, "WRONGTYPE Operation against a key holding the wrong kind of value");
}

void reply_err_store(struct client *c, int rc)
{
    if (rc == STORE_WRONGTYPE)
        reply_err_wrongtype(c);
    else if (rc == STORE_ERR_CORRUPT)
        reply_error(c, "ERR storage is read-only after a corruption error");
    else
        reply_error(c, "ERR storage error");
}

void reply_store_val(struct client *c, int rc, struct store_val *v)
{
    if (rc == STORE_OK)
        reply_bulk_val(c, v);
    else if (rc == STORE_NOTFOUND)
        reply_null(c);
    else
        reply_err_store(c, rc);
}

void reply_store_int(struct client *c, int rc, long long n)
{
    if (rc == STORE_OK)
        reply_int(c, n);
    else
        reply_err_store(c, rc);
}

void reply_store_bool(struct client *c, int rc)
{
    if (rc == STORE_OK || rc == STORE_NOTFOUND)
        reply_int(c, rc == STORE_OK);
    else
        reply_err_store(c, rc);
}

void reply_deferred_begin(struct client *c)
{
    OMK_ASSERT(tls_deferred == NULL);
    tls_deferred = c->worker->scratch;
    evbuffer_drain(tls_deferred, evbuffer_get_length(tls_deferred));
}

int reply_deferred_full(struct client *c)
{
    const struct cfg_obuf_limit *l = &server.cfg.obuf_limits[CFG_OBUF_NORMAL];
    long long hard = atomic_load(&l->hard);
    size_t cap = REPLY_DEFERRED_MAX, used;

    if (c->flags & CLIENT_CLOSING)
        return 1;
    if (!tls_deferred)
        return 0;
    if (hard > 0 && (unsigned long long)hard < cap)
        cap = (size_t)hard;
    used = evbuffer_get_length(tls_deferred) + evbuffer_get_length(c->out);
    if (used < cap)
        return 0;
    omk_log(OMK_LOG_WARNING,
            "Client id=%llu addr=%s laddr=%s omem=%zu cmd=%s scheduled to be closed ASAP for "
            "overcoming of output buffer limits.",
            (unsigned long long)c->id, c->addr, c->laddr, used, cmd_current_name(c));
    c->flags |= CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSING;
    return 1;
}

void reply_deferred_pause(struct client *c)
{
    OMK_UNUSED(c);
    tls_deferred = NULL;
}

/* The kinds of deferred aggregate: what header reply_deferred_finish() writes. */
enum reply_agg { REPLY_AGG_ARRAY, REPLY_AGG_MAP, REPLY_AGG_SET, REPLY_AGG_NONE };

/* Close a deferred aggregate: write its header (an array of 'n' elements, a map of 'n'
 * pairs, a set of 'n' elements, or none, as 'kind' says), then move the elements from the
 * scratch buffer to the output. For a closing client the elements are dropped instead. */
static void reply_deferred_finish(struct client *c, enum reply_agg kind, long long n)
{
    struct evbuffer *scratch = c->worker->scratch;

    tls_deferred = NULL;
    if (c->flags & REPLY_DROPPED) {
        evbuffer_drain(scratch, evbuffer_get_length(scratch));
        return;
    }
    if (kind == REPLY_AGG_MAP)
        resp_w_map_len(c->out, c->proto, n);
    else if (kind == REPLY_AGG_SET)
        resp_w_set_len(c->out, c->proto, n);
    else if (kind == REPLY_AGG_ARRAY)
        resp_w_array_len(c->out, n);
    evbuffer_add_buffer(c->out, scratch);
}

void reply_deferred_end(struct client *c, long long n)
{
    reply_deferred_finish(c, REPLY_AGG_ARRAY, n);
}

void reply_deferred_end_map(struct client *c, long long npairs)
{
    reply_deferred_finish(c, REPLY_AGG_MAP, npairs);
}

void reply_deferred_end_set(struct client *c, long long n)
{
    reply_deferred_finish(c, REPLY_AGG_SET, n);
}

void reply_deferred_end_bare(struct client *c)
{
    reply_deferred_finish(c, REPLY_AGG_NONE, 0);
}

void reply_deferred_discard(struct client *c)
{
    struct evbuffer *scratch = c->worker->scratch;

    tls_deferred = NULL;
    evbuffer_drain(scratch, evbuffer_get_length(scratch));
}
