/* cmd_sorted_set.c - sorted-set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK
 * ZREVRANK ZCOUNT ZLEXCOUNT ZRANGE ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
 * ZREVRANGEBYLEX ZREVRANGE ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZPOPMIN ZPOPMAX
 * ZMPOP ZRANDMEMBER ZUNION ZUNIONSTORE ZINTER ZINTERSTORE ZINTERCARD ZDIFF ZDIFFSTORE ZSCAN,
 * then the blocking pops. Each checks its arguments in the order Redis 7.0 does (so the
 * same bad request gets the same error), makes one store call (store/ops_zset.c: atomic
 * under the stripes of its keys, WRONGTYPE for a key of another type) and replies. */
#include "config.h"

#include <limits.h>

#include "daemon/blocking.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

/* ---- Blocking pops (daemon/blocking.c) ---- */
/* Each handler below runs once when the command arrives and again each time a key it
 * waits on wakes it (blocking.c): blocking_begin_or_reply() parses the timeout and says
 * which keys to pop from (all, or the one that woke it); a pop that found nothing goes
 * to blocking_end(), which parks the client, keeps it parked, or answers inside EXEC. */

/* Store callback of BZPOPMIN / BZPOPMAX: member then score, flat, into the deferred
 * reply. */
static int cmd_bzset_flat(void *arg, struct omk_slice member, double score)
{
    reply_bulk(arg, member.p, member.len);
    reply_double(arg, score);
    return reply_deferred_full(arg);
}

/* Store callback of BZMPOP: [member, score] per member, into the deferred reply. */
static int cmd_bzset_pair(void *arg, struct omk_slice member, double score)
{
    reply_array_len(arg, 2);
    reply_bulk(arg, member.p, member.len);
    reply_double(arg, score);
    return reply_deferred_full(arg);
}

/* BZPOPMIN / BZPOPMAX key [key ...] timeout: [key, member, score] from 'end' of the first
 * key that holds a sorted set (the score a bulk in RESP2, a double in RESP3). */
static void cmd_bzpop_generic(struct client *c, enum store_end end)
{
    struct blocking_pop bp;
    size_t which = 0, n = 0;
    int rc;

    if (!blocking_begin_or_reply(c, c->argv[c->argc - 1], &c->argv[1], (size_t)c->argc - 2, &bp))
        return;
    reply_deferred_begin(c);
    rc = store_zmpop(server.store, c->db, bp.keys, bp.nkeys, end, 1, cmd_bzset_flat, c, &which,
                     &n);
    if (rc != STORE_OK) {
        reply_deferred_discard(c);
        blocking_end(c, &bp, rc, BLOCKING_NULL_ARRAY);
        return;
    }
    reply_deferred_pause(c);
    reply_array_len(c, 3);
    reply_bulk(c, bp.keys[which].p, bp.keys[which].len);
    reply_deferred_end_bare(c);
}

void cmd_bzpopmin(struct client *c)
{
    cmd_bzpop_generic(c, STORE_LEFT);
}

void cmd_bzpopmax(struct client *c)
{
    cmd_bzpop_generic(c, STORE_RIGHT);
}

/* BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: [key, [[member, score],
 * ...]], up to 'count' (1) members from the first key that holds a sorted set. Checked
 * in Redis 7.0's order: numkeys, MIN|MAX, COUNT, then the timeout. */
void cmd_bzmpop(struct client *c)
{
    struct blocking_pop bp;
    long long numkeys, count = 0;
    enum store_end end;
    size_t which = 0, n = 0;
    int at, rc;

    if (!cmd_range_arg_or_reply(c, c->argv[2], 1, LLONG_MAX, "numkeys should be greater than 0",
                                &numkeys))
        return;
    if (numkeys > c->argc - 4) { /* no room for the keys and MIN|MAX */
        reply_err_syntax(c);
        return;
    }
    at = 3 + (int)numkeys;
    if (cmd_arg_is(c, at, "min")) {
        end = STORE_LEFT;
    } else if (cmd_arg_is(c, at, "max")) {
        end = STORE_RIGHT;
    } else {
        reply_err_syntax(c);
        return;
    }
    for (int i = at + 1; i < c->argc; i++) {
        if (count == 0 && cmd_arg_is(c, i, "count") && i + 1 < c->argc) {
            if (!cmd_range_arg_or_reply(c, c->argv[++i], 1, LLONG_MAX,
                                        "count should be greater than 0", &count))
                return;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    if (!blocking_begin_or_reply(c, c->argv[1], &c->argv[3], (size_t)numkeys, &bp))
        return;
    reply_deferred_begin(c);
    rc = store_zmpop(server.store, c->db, bp.keys, bp.nkeys, end, count ? (uint64_t)count : 1,
                     cmd_bzset_pair, c, &which, &n);
    if (rc != STORE_OK) {
        reply_deferred_discard(c);
        blocking_end(c, &bp, rc, BLOCKING_NULL_ARRAY);
        return;
    }
    reply_deferred_pause(c);
    reply_array_len(c, 2);
    reply_bulk(c, bp.keys[which].p, bp.keys[which].len);
    reply_deferred_end(c, (long long)n);
}
