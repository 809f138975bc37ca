/* cmd_string.c - string commands: GET SET MGET MSET. Each parses its arguments, makes
 * one store call and replies; the store makes the call atomic. */
#include <config.h>

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

/* SET key value [NX | XX] [GET] [EX seconds | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL] */
void cmd_set(struct client *c)
{
    int flags = 0, have_expire = 0;
    int64_t expire_ms = 0;
    struct store_val *old = NULL;
    int rc;

    for (int i = 3; i < c->argc; i++) {
        const struct omk_slice *a = &c->argv[i];
        int has_next = i + 1 < c->argc;

        if (a->len == 2 && !strncasecmp(a->p, "nx", 2) && !(flags & STORE_SET_XX)) {
            flags |= STORE_SET_NX;
        } else if (a->len == 2 && !strncasecmp(a->p, "xx", 2) && !(flags & STORE_SET_NX)) {
            flags |= STORE_SET_XX;
        } else if (a->len == 3 && !strncasecmp(a->p, "get", 3)) {
            flags |= STORE_SET_GET;
        } else if (a->len == 7 && !strncasecmp(a->p, "keepttl", 7) && !have_expire) {
            flags |= STORE_SET_KEEPTTL;
        } else if (has_next && !have_expire && !(flags & STORE_SET_KEEPTTL) &&
                   ((a->len == 2 && (!strncasecmp(a->p, "ex", 2) || !strncasecmp(a->p, "px", 2))) ||
                    (a->len == 4 && (!strncasecmp(a->p, "exat", 4) || !strncasecmp(a->p, "pxat", 4))))) {
            enum expire_unit unit = (a->p[0] | 0x20) == 'e' ? UNIT_SECONDS : UNIT_MS;

            have_expire = 1;
            if (!cmd_expire_arg_or_reply(c, c->argv[++i], unit, a->len == 2, &expire_ms))
                return;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
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
