/* cmd_string.c - string commands: GET SET MGET MSET. Each parses its arguments, makes
 * one store call and replies; the store makes the call atomic. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

/* Count a read as a keyspace hit or miss for INFO stats. */
static void cmd_count_lookup(struct client *c, int hit)
{
    if (hit)
        atomic_fetch_add_explicit(&c->worker->stats.keyspace_hits, 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&c->worker->stats.keyspace_misses, 1, memory_order_relaxed);
}

/* GET key */
void cmd_get(struct client *c)
{
    struct store_val *v;
    int rc = store_get(server.store, c->db, c->argv[1], &v);

    if (rc == STORE_OK) {
        cmd_count_lookup(c, 1);
        reply_bulk_val(c, v);
    } else if (rc == STORE_NOTFOUND) {
        cmd_count_lookup(c, 0);
        reply_null(c);
    } else {
        reply_err_store(c, rc);
    }
}

int cmd_expire_arg_or_reply(struct client *c, struct omk_slice arg, enum expire_unit unit,
                            int relative, int64_t *out_ms)
{
    long long v;

    if (!omk_str2ll(arg.p, arg.len, &v)) {
        reply_err_not_int(c);
        return 0;
    }
    if (v <= 0 || (unit == UNIT_SECONDS && v > INT64_MAX / 1000))
        goto invalid;
    if (unit == UNIT_SECONDS)
        v *= 1000;
    if (relative) {
        int64_t now = omk_now_ms();

        if (v > INT64_MAX - now)
            goto invalid;
        v += now;
    }
    *out_ms = v;
    return 1;
invalid:
    reply_error_fmt(c, "ERR invalid expire time in '%s' command", cmd_current_name(c));
    return 0;
}

/* True if 'a' equals the lower-case word 'w', ignoring case. */
static int opt_is(const struct omk_slice *a, const char *w)
{
    size_t n = strlen(w);

    return a->len == n && !strncasecmp(a->p, w, n);
}

int cmd_set_options_or_reply(struct client *c, int first, int allowed, int *flags,
                             int64_t *expire_ms)
{
    const struct omk_slice *expire = NULL;
    enum expire_unit unit = UNIT_SECONDS;
    int relative = 1, f = 0;

    /* As Redis: every option is checked for syntax first; the expiry value is parsed
     * only once the whole line is known to be well formed. */
    for (int i = first; i < c->argc; i++) {
        const struct omk_slice *a = &c->argv[i];
        int has_next = i + 1 < c->argc;
        int is_ex = opt_is(a, "ex"), is_px = opt_is(a, "px");
        int is_exat = opt_is(a, "exat"), is_pxat = opt_is(a, "pxat");

        if ((allowed & CMD_SET_OPT_COND) && opt_is(a, "nx") && !(f & STORE_SET_XX)) {
            f |= STORE_SET_NX;
        } else if ((allowed & CMD_SET_OPT_COND) && opt_is(a, "xx") && !(f & STORE_SET_NX)) {
            f |= STORE_SET_XX;
        } else if ((allowed & CMD_SET_OPT_GET) && opt_is(a, "get")) {
            f |= STORE_SET_GET;
        } else if ((allowed & CMD_SET_OPT_KEEPTTL) && opt_is(a, "keepttl") && !expire &&
                   !(f & CMD_SET_PERSIST)) {
            f |= STORE_SET_KEEPTTL;
        } else if ((allowed & CMD_SET_OPT_PERSIST) && opt_is(a, "persist") && !expire) {
            f |= CMD_SET_PERSIST;
        } else if ((is_ex || is_px || is_exat || is_pxat) && has_next &&
                   !(f & (STORE_SET_KEEPTTL | CMD_SET_PERSIST)) &&
                   (!expire || (unit == (is_ex || is_exat ? UNIT_SECONDS : UNIT_MS) &&
                                relative == (is_ex || is_px)))) {
            /* The same unit again is allowed (the last one wins), another is not. */
            unit = is_ex || is_exat ? UNIT_SECONDS : UNIT_MS;
            relative = is_ex || is_px;
            expire = &c->argv[++i];
        } else {
            reply_err_syntax(c);
            return 0;
        }
    }
    *expire_ms = 0;
    if (expire && !cmd_expire_arg_or_reply(c, *expire, unit, relative, expire_ms))
        return 0;
    if (expire)
        f |= CMD_SET_EXPIRE;
    *flags = f;
    return 1;
}

/* SET key value [NX | XX] [GET] [EX seconds | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL] */
void cmd_set(struct client *c)
{
    int flags;
    int64_t expire_ms;
    struct store_val *old = NULL;
    int rc;

    if (!cmd_set_options_or_reply(c, 3, CMD_SET_OPT_COND | CMD_SET_OPT_GET | CMD_SET_OPT_KEEPTTL,
                                  &flags, &expire_ms))
        return;
    flags &= ~CMD_SET_EXPIRE;
    rc = store_set(server.store, c->db, c->argv[1], c->argv[2], flags, expire_ms,
                   (flags & STORE_SET_GET) ? &old : NULL);
    if (rc < 0) {
        reply_err_store(c, rc);
        return;
    }
    if (flags & STORE_SET_GET) {
        if (old)
            reply_bulk_val(c, old);
        else
            reply_null(c);
    } else if (rc == STORE_NOTSET) {
        reply_null(c);
    } else {
        reply_ok(c);
    }
}

/* MGET key [key ...]: nil for each missing key. */
void cmd_mget(struct client *c)
{
    reply_array_len(c, c->argc - 1);
    for (int i = 1; i < c->argc; i++) {
        struct store_val *v;
        int rc = store_get(server.store, c->db, c->argv[i], &v);

        cmd_count_lookup(c, rc == STORE_OK);
        if (rc == STORE_OK)
            reply_bulk_val(c, v);
        else
            reply_null(c); /* an element of an array cannot be an error in RESP2 */
    }
}

/* MSET key value [key value ...] */
void cmd_mset(struct client *c)
{
    int rc;

    if (c->argc % 2 == 0) {
        reply_err_arity(c);
        return;
    }
    rc = store_mset(server.store, c->db, &c->argv[1], (size_t)(c->argc - 1) / 2);
    if (rc < 0)
        reply_err_store(c, rc);
    else
        reply_ok(c);
}
