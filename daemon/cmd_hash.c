/* cmd_hash.c - hash commands: HSET HSETNX HMSET HGET HMGET HDEL HLEN HSTRLEN HEXISTS HKEYS
 * HVALS HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN. Each checks its arguments in the
 * order Redis 7.0 does (so the same bad request gets the same error), makes one store
 * call (store/ops_hash.c: atomic under the key's stripe, WRONGTYPE for a key of another
 * type) and replies. Replies of unknown length are deferred: the store's callback writes
 * each element, and the header follows once the store says how many there were. */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/notify.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

/* HSET / HMSET / HSETNX: the pairs from argv[2] on. HSET replies how many fields were
 * new, HMSET +OK, HSETNX 1 or 0 ('flags' STORE_HSET_NX). An odd number of arguments is
 * Redis' arity error. */
static void cmd_hset_generic(struct client *c, int flags, int reply_ok_status)
{
    size_t added = 0;
    int rc;

    if (c->argc % 2 != 0) {
        reply_err_arity(c);
        return;
    }
    rc = store_hset(server.store, c->db, c->argv[1], &c->argv[2], (size_t)(c->argc - 2) / 2,
                    flags, &added);
    if (rc == STORE_OK && (!(flags & STORE_HSET_NX) || added > 0))
        notify_event(c, NOTIFY_HASH, "hset", c->argv[1]);
    if (rc != STORE_OK)
        reply_err_store(c, rc);
    else if (reply_ok_status)
        reply_ok(c);
    else
        reply_int(c, (long long)added);
}

/* HSET key field value [field value ...] */
void cmd_hset(struct client *c)
{
    cmd_hset_generic(c, 0, 0);
}

/* HMSET key field value [field value ...]: HSET replying +OK. */
void cmd_hmset(struct client *c)
{
    cmd_hset_generic(c, 0, 1);
}

/* HSETNX key field value: 1 if the field was set, 0 if it existed. */
void cmd_hsetnx(struct client *c)
{
    cmd_hset_generic(c, STORE_HSET_NX, 0);
}

/* HGET key field: the value, or nil (no such key or field). */
void cmd_hget(struct client *c)
{
    struct store_val *v;
    int rc = store_hget(server.store, c->db, c->argv[1], c->argv[2], &v);

    notify_keymiss_if_missing(c, c->argv[1]);
    reply_store_val(c, rc, v);
}

/* HMGET key field [field ...]: one value or nil per field. */
void cmd_hmget(struct client *c)
{
    size_t n = (size_t)c->argc - 2;
    struct store_val **vals = omk_calloc(n, sizeof(*vals));
    int rc = store_hmget(server.store, c->db, c->argv[1], &c->argv[2], n, vals);

    notify_keymiss_if_missing(c, c->argv[1]);
    if (rc != STORE_OK) {
        reply_err_store(c, rc);
    } else {
        reply_array_len(c, (long long)n);
        for (size_t i = 0; i < n; i++) {
            if (vals[i])
                reply_bulk_val(c, vals[i]); /* takes ownership */
            else
                reply_null(c);
        }
    }
    omk_free(vals);
}

/* HDEL key field [field ...]: how many of the fields were there. */
void cmd_hdel(struct client *c)
{
    size_t removed = 0;
    int rc = store_hdel(server.store, c->db, c->argv[1], &c->argv[2], (size_t)c->argc - 2,
                        &removed);

    if (rc == STORE_OK && removed > 0) {
        notify_event(c, NOTIFY_HASH, "hdel", c->argv[1]);
        notify_del_if_gone(c, c->argv[1]);
    }
    reply_store_int(c, rc, (long long)removed);
}

/* HLEN key: the number of fields (0 for a missing key), from RAM. */
void cmd_hlen(struct client *c)
{
    uint64_t len = 0;
    int rc = store_hlen(server.store, c->db, c->argv[1], &len);

    notify_keymiss_if_missing(c, c->argv[1]);
    reply_store_int(c, rc, (long long)len);
}

/* HSTRLEN key field: the length of the field's value (0 when absent). */
void cmd_hstrlen(struct client *c)
{
    size_t len = 0;
    int rc = store_hstrlen(server.store, c->db, c->argv[1], c->argv[2], &len);

    notify_keymiss_if_missing(c, c->argv[1]);
    reply_store_int(c, rc, (long long)len);
}

/* HEXISTS key field: 1 or 0. */
void cmd_hexists(struct client *c)
{
    int rc = store_hexists(server.store, c->db, c->argv[1], c->argv[2]);

    notify_keymiss_if_missing(c, c->argv[1]);
    reply_store_bool(c, rc);
}

/* What a deferred hash reply writes of each pair the store hands over. */
enum hash_part { HASH_FIELDS = 1, HASH_VALUES = 2, HASH_BOTH = 3 };

struct hash_acc {
    struct client *c;
    enum hash_part parts;
    int nested; /* HRANDFIELD WITHVALUES in RESP3: each pair is an array of two */
};

/* Store callback: one pair into the deferred reply; stop once it is too big. */
static int cmd_hash_pair(void *arg, struct omk_slice field, struct omk_slice value)
{
    struct hash_acc *acc = arg;

    if (acc->nested)
        reply_array_len(acc->c, 2);
    if (acc->parts & HASH_FIELDS)
        reply_bulk(acc->c, field.p, field.len);
    if (acc->parts & HASH_VALUES)
        reply_bulk(acc->c, value.p, value.len);
    return reply_deferred_full(acc->c);
}

/* HGETALL (a map of field to value), HKEYS, HVALS (arrays): every pair of the hash, in
 * no promised order; an empty map or array for a missing key. */
static void cmd_hgetall_generic(struct client *c, enum hash_part parts)
{
    struct hash_acc acc = {c, parts, 0};
    size_t n;
    int rc;

    reply_deferred_begin(c);
    rc = store_hgetall(server.store, c->db, c->argv[1], cmd_hash_pair, &acc, &n);
    notify_keymiss_if_missing(c, c->argv[1]);
    if (rc != STORE_OK) {
        reply_deferred_discard(c);
        reply_err_store(c, rc);
    } else if (parts == HASH_BOTH) {
        reply_deferred_end_map(c, (long long)n);
    } else {
        reply_deferred_end(c, (long long)n);
    }
}

/* HGETALL key */
void cmd_hgetall(struct client *c)
{
    cmd_hgetall_generic(c, HASH_BOTH);
}

/* HKEYS key */
void cmd_hkeys(struct client *c)
{
    cmd_hgetall_generic(c, HASH_FIELDS);
}

/* HVALS key */
void cmd_hvals(struct client *c)
{
    cmd_hgetall_generic(c, HASH_VALUES);
}

/* HINCRBY key field increment: the new value. A stored value that is not a 64-bit
 * integer is "hash value is not an integer". */
void cmd_hincrby(struct client *c)
{
    long long incr, v;
    int rc;

    if (!omk_str2ll(c->argv[3].p, c->argv[3].len, &incr)) {
        reply_err_not_int(c);
        return;
    }
    rc = store_hincrby(server.store, c->db, c->argv[1], c->argv[2], incr, &v);
    if (rc == STORE_OK)
        notify_event(c, NOTIFY_HASH, "hincrby", c->argv[1]);
    switch (rc) {
    case STORE_OK: reply_int(c, v); break;
    case STORE_NOTINT: reply_error(c, "ERR hash value is not an integer"); break;
    case STORE_OVERFLOW: reply_error(c, "ERR increment or decrement would overflow"); break;
    default: reply_err_store(c, rc); break;
    }
}

/* HINCRBYFLOAT key field increment: the new value as stored, in a bulk string. The
 * increment reads as INCRBYFLOAT's does; unlike INCRBYFLOAT, Redis 7.0 refuses an
 * infinite one before it looks at the key. */
void cmd_hincrbyfloat(struct client *c)
{
    char out[STORE_FLOAT_STR_MAX];
    long double incr;
    size_t n;
    int rc;

    if (!omk_str2ld(c->argv[3].p, c->argv[3].len, &incr)) {
        reply_error(c, "ERR value is not a valid float");
        return;
    }
    if (isnan(incr) || isinf(incr)) {
        reply_error(c, "ERR value is NaN or Infinity");
        return;
    }
    rc = store_hincrbyfloat(server.store, c->db, c->argv[1], c->argv[2], incr, out, &n);
    if (rc == STORE_OK)
        notify_event(c, NOTIFY_HASH, "hincrbyfloat", c->argv[1]);
    switch (rc) {
    case STORE_OK: reply_bulk(c, out, n); break;
    case STORE_NOTFLOAT: reply_error(c, "ERR hash value is not a float"); break;
    case STORE_NANINF: reply_error(c, "ERR increment would produce NaN or Infinity"); break;
    default: reply_err_store(c, rc); break;
    }
}

/* HRANDFIELD key [count [WITHVALUES]]. Without a count: one field, or nil. With one:
 * that many distinct fields (at most all of them), or with a negative count that many
 * picks that may repeat; WITHVALUES adds each value (RESP2: flat, RESP3: an array of two
 * per pair, as Redis 7.0 sends them). Checks as Redis: the count's range (a count whose
 * double would overflow is "value is out of range" with WITHVALUES), then the syntax,
 * then the key. */
void cmd_hrandfield(struct client *c)
{
    struct hash_acc acc = {c, HASH_FIELDS, 0};
    long long l = 1;
    int withvalues = 0, rc;
    size_t n;

    if (c->argc >= 3) {
        if (!cmd_range_arg_or_reply(c, c->argv[2], -LLONG_MAX, LLONG_MAX, NULL, &l))
            return;
        if (c->argc > 4 || (c->argc == 4 && !cmd_arg_is(c, 3, "withvalues"))) {
            reply_err_syntax(c);
            return;
        }
        withvalues = c->argc == 4;
        if (withvalues && (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2)) {
            reply_error(c, "ERR value is out of range");
            return;
        }
    }
    if (withvalues) {
        acc.parts = HASH_BOTH;
        acc.nested = c->proto >= 3;
    }
    reply_deferred_begin(c);
    rc = store_hrandfield(server.store, c->db, c->argv[1], l < 0 ? (uint64_t)-l : (uint64_t)l,
                          l < 0, cmd_random64, cmd_hash_pair, &acc, &n);
    notify_keymiss_if_missing(c, c->argv[1]);
    if (rc != STORE_OK) {
        reply_deferred_discard(c);
        reply_err_store(c, rc);
    } else if (c->argc == 2 && n == 0) {
        reply_deferred_discard(c);
        reply_null(c);
    } else if (c->argc == 2) {
        reply_deferred_end_bare(c); /* the one field, as a bulk string */
    } else {
        reply_deferred_end(c, (long long)n * (withvalues && !acc.nested ? 2 : 1));
    }
}

/* HSCAN key cursor [MATCH pattern] [COUNT count]: field, value, field, value ... */
void cmd_hscan(struct client *c)
{
    cmd_coll_scan_generic(c, store_hscan, STORE_TYPE_HASH, 1);
}
