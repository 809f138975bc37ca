/* cmd_set.c - set commands: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SRANDMEMBER SPOP
 * SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN. Each
 * checks its arguments in the order Redis 7.0 does, makes one store call
 * (store/ops_set.c: atomic under the stripes of its keys, taken in order; WRONGTYPE when
 * any key holds another type) and replies. Members of unknown number are written by the
 * store's callback into a deferred reply: a set in RESP3 where Redis 7.0 sends one
 * (SMEMBERS, SINTER, SUNION, SDIFF, SPOP with a count), an array where it does not
 * (SRANDMEMBER with a count). */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/notify.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

/* SADD key member [member ...]: how many were new. */
void cmd_sadd(struct client *c)
{
    size_t added = 0;
    int rc = store_sadd(server.store, c->db, c->argv[1], &c->argv[2], (size_t)c->argc - 2,
                        &added);

    if (rc == STORE_OK && added > 0)
        notify_event(c, NOTIFY_SET, "sadd", c->argv[1]);
    reply_store_int(c, rc, (long long)added);
}

/* SREM key member [member ...]: how many were there. */
void cmd_srem(struct client *c)
{
    size_t removed = 0;
    int rc = store_srem(server.store, c->db, c->argv[1], &c->argv[2], (size_t)c->argc - 2,
                        &removed);

    if (rc == STORE_OK && removed > 0) {
        notify_event(c, NOTIFY_SET, "srem", c->argv[1]);
        notify_del_if_gone(c, c->argv[1]);
    }
    reply_store_int(c, rc, (long long)removed);
}

/* SCARD key: the number of members (0 for a missing key), from RAM. */
void cmd_scard(struct client *c)
{
    uint64_t card = 0;
    int rc = store_scard(server.store, c->db, c->argv[1], &card);

    notify_keymiss_if_missing(c, c->argv[1]);
    reply_store_int(c, rc, (long long)card);
}

/* SISMEMBER key member: 1 or 0. */
void cmd_sismember(struct client *c)
{
    int rc = store_sismember(server.store, c->db, c->argv[1], c->argv[2]);

    notify_keymiss_if_missing(c, c->argv[1]);
    reply_store_bool(c, rc);
}

/* SMISMEMBER key member [member ...]: 1 or 0 per member. */
void cmd_smismember(struct client *c)
{
    size_t n = (size_t)c->argc - 2;
    unsigned char *in = omk_malloc(n);
    int rc = store_smismember(server.store, c->db, c->argv[1], &c->argv[2], n, in);

    notify_keymiss_if_missing(c, c->argv[1]);
    if (rc != STORE_OK) {
        reply_err_store(c, rc);
    } else {
        reply_array_len(c, (long long)n);
        for (size_t i = 0; i < n; i++)
            reply_int(c, in[i]);
    }
    omk_free(in);
}

/* Store callback: one member into the deferred reply; stop once it is too big. */
static int cmd_set_member(void *arg, struct omk_slice member)
{
    reply_bulk(arg, member.p, member.len);
    return reply_deferred_full(arg);
}

/* How a deferred reply of members ends. */
enum set_reply { SET_REPLY_SET, SET_REPLY_ARRAY, SET_REPLY_ONE };

/* End the deferred reply of a store call that returned 'rc' after writing 'n' members:
 * the error, or the members as 'how' says (SET_REPLY_ONE: the one member, or nil). */
static void cmd_set_reply_members(struct client *c, int rc, uint64_t n, enum set_reply how)
{
    if (rc != STORE_OK) {
        reply_deferred_discard(c);
        reply_err_store(c, rc);
    } else if (how == SET_REPLY_SET) {
        reply_deferred_end_set(c, (long long)n);
    } else if (how == SET_REPLY_ARRAY) {
        reply_deferred_end(c, (long long)n);
    } else if (n == 0) {
        reply_deferred_discard(c);
        reply_null(c);
    } else {
        reply_deferred_end_bare(c);
    }
}

/* SMEMBERS key: every member, in no promised order. */
void cmd_smembers(struct client *c)
{
    size_t n = 0;
    int rc;

    reply_deferred_begin(c);
    rc = store_smembers(server.store, c->db, c->argv[1], cmd_set_member, c, &n);
    notify_keymiss_if_missing(c, c->argv[1]);
    cmd_set_reply_members(c, rc, n, SET_REPLY_SET);
}

/* SRANDMEMBER key [count]. Without a count: one member, or nil. With one: that many
 * distinct members (at most all), or with a negative count that many picks that may
 * repeat, as an array in both protocols (Redis 7.0). */
void cmd_srandmember(struct client *c)
{
    long long l = 1;
    size_t n = 0;
    int rc;

    if (c->argc > 3) {
        reply_err_syntax(c);
        return;
    }
    if (c->argc == 3 && !cmd_range_arg_or_reply(c, c->argv[2], -LLONG_MAX, LLONG_MAX, NULL, &l))
        return;
    reply_deferred_begin(c);
    rc = store_srandmember(server.store, c->db, c->argv[1], l < 0 ? (uint64_t)-l : (uint64_t)l,
                           l < 0, cmd_random64, cmd_set_member, c, &n);
    notify_keymiss_if_missing(c, c->argv[1]);
    cmd_set_reply_members(c, rc, n, c->argc == 3 ? SET_REPLY_ARRAY : SET_REPLY_ONE);
}

/* SPOP key [count]: remove and reply one member (or nil), or up to 'count' distinct
 * members (a set in RESP3). */
void cmd_spop(struct client *c)
{
    long long count = 1;
    size_t n = 0;
    int rc;

    if (c->argc > 3) {
        reply_err_syntax(c);
        return;
    }
    if (c->argc == 3 && !cmd_range_arg_or_reply(c, c->argv[2], 0, LLONG_MAX,
                                                "value is out of range, must be positive",
                                                &count))
        return;
    reply_deferred_begin(c);
    rc = store_spop(server.store, c->db, c->argv[1], (uint64_t)count, cmd_random64,
                    cmd_set_member, c, &n);
    if (rc == STORE_OK && n > 0) {
        notify_event(c, NOTIFY_SET, "spop", c->argv[1]);
        notify_del_if_gone(c, c->argv[1]);
    }
    cmd_set_reply_members(c, rc, n, c->argc == 3 ? SET_REPLY_SET : SET_REPLY_ONE);
}

/* SMOVE source destination member: 1 if moved, 0 if 'source' does not hold it. */
void cmd_smove(struct client *c)
{
    int same = c->argv[1].len == c->argv[2].len &&
               !memcmp(c->argv[1].p, c->argv[2].p, c->argv[1].len);
    /* Redis reports sadd only when the destination did not hold the member already. */
    int had = !same && notify_wanted(NOTIFY_SET) &&
              store_sismember(server.store, c->db, c->argv[2], c->argv[3]) == STORE_OK;
    int rc = store_smove(server.store, c->db, c->argv[1], c->argv[2], c->argv[3]);

    if (rc == STORE_OK && !same) {
        notify_event(c, NOTIFY_SET, "srem", c->argv[1]);
        notify_del_if_gone(c, c->argv[1]);
        if (!had)
            notify_event(c, NOTIFY_SET, "sadd", c->argv[2]);
    }
    reply_store_bool(c, rc);
}

#define SET_TYPES (1u << STORE_TYPE_SET) /* what the set operations read */

/* SINTER, SUNION, SDIFF key [key ...]: the members of the result, as a set. */
static void cmd_setop_generic(struct client *c, enum store_setop op)
{
    uint64_t card = 0;
    unsigned char *reads = notify_reads_begin(c, &c->argv[1], (size_t)c->argc - 1, SET_TYPES);
    int rc;

    reply_deferred_begin(c);
    rc = store_setop(server.store, c->db, op, &c->argv[1], (size_t)c->argc - 1, 0,
                     cmd_set_member, c, &card);
    notify_reads_end(c, &c->argv[1], (size_t)c->argc - 1, reads);
    cmd_set_reply_members(c, rc, card, SET_REPLY_SET);
}

/* SINTERSTORE, SUNIONSTORE, SDIFFSTORE destination key [key ...]: the size of the result
 * stored at 'destination' (which is deleted when it is empty). */
static void cmd_setop_store_generic(struct client *c, enum store_setop op)
{
    static const char *const events[] = {
        [STORE_SETOP_INTER] = "sinterstore",
        [STORE_SETOP_UNION] = "sunionstore",
        [STORE_SETOP_DIFF] = "sdiffstore",
    };
    uint64_t card = 0;
    /* An empty result deletes the destination: "del" only if there was one. */
    int existed = notify_wanted(NOTIFY_GENERIC) &&
                  store_exists(server.store, c->db, c->argv[1]) == STORE_OK;
    unsigned char *reads = notify_reads_begin(c, &c->argv[2], (size_t)c->argc - 2, SET_TYPES);
    int rc = store_setop_store(server.store, c->db, op, c->argv[1], &c->argv[2],
                               (size_t)c->argc - 2, &card);

    notify_reads_end(c, &c->argv[2], (size_t)c->argc - 2, reads); /* the sources, read first */
    if (rc == STORE_OK && card > 0)
        notify_event(c, NOTIFY_SET, events[op], c->argv[1]);
    else if (rc == STORE_OK && existed)
        notify_event(c, NOTIFY_GENERIC, "del", c->argv[1]);
    reply_store_int(c, rc, (long long)card);
}

void cmd_sinter(struct client *c)
{
    cmd_setop_generic(c, STORE_SETOP_INTER);
}

void cmd_sunion(struct client *c)
{
    cmd_setop_generic(c, STORE_SETOP_UNION);
}

void cmd_sdiff(struct client *c)
{
    cmd_setop_generic(c, STORE_SETOP_DIFF);
}

void cmd_sinterstore(struct client *c)
{
    cmd_setop_store_generic(c, STORE_SETOP_INTER);
}

void cmd_sunionstore(struct client *c)
{
    cmd_setop_store_generic(c, STORE_SETOP_UNION);
}

void cmd_sdiffstore(struct client *c)
{
    cmd_setop_store_generic(c, STORE_SETOP_DIFF);
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit]: the size of the intersection, counting
 * stops at 'limit' (0: no limit). Redis' own words for a bad numkeys or LIMIT, whatever
 * is wrong with it. */
void cmd_sintercard(struct client *c)
{
    long long numkeys, limit = 0;
    uint64_t card = 0;
    unsigned char *reads;
    int rc;

    if (!cmd_range_arg_or_reply(c, c->argv[1], 1, LLONG_MAX, "numkeys should be greater than 0",
                                &numkeys))
        return;
    if (numkeys > c->argc - 2) {
        reply_error(c, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (int i = 2 + (int)numkeys; i < c->argc; i++) {
        if (cmd_arg_is(c, i, "limit") && i + 1 < c->argc) {
            if (!cmd_range_arg_or_reply(c, c->argv[++i], 0, LLONG_MAX, "LIMIT can't be negative",
                                        &limit))
                return;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    reads = notify_reads_begin(c, &c->argv[2], (size_t)numkeys, SET_TYPES);
    rc = store_setop(server.store, c->db, STORE_SETOP_INTER, &c->argv[2], (size_t)numkeys,
                     (uint64_t)limit, NULL, NULL, &card);
    notify_reads_end(c, &c->argv[2], (size_t)numkeys, reads);
    reply_store_int(c, rc, (long long)card);
}

/* SSCAN key cursor [MATCH pattern] [COUNT count]: members. */
void cmd_sscan(struct client *c)
{
    cmd_coll_scan_generic(c, store_sscan, STORE_TYPE_SET, 0);
}
