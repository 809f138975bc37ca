/* cmd_list.c - list commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LINDEX LRANGE LSET
 * LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP, then the blocking pops. Each checks its
 * arguments in the order Redis 7.0 does (so the same bad request gets the same error),
 * makes one store call (store/ops_list.c: atomic under the stripes of its keys,
 * WRONGTYPE for a key of another type) and replies. Elements of unknown number are
 * written by the store's callback into a deferred reply. */
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

/* Store callback of the blocking list pops: one element into the deferred reply. */
static int cmd_blist_elem(void *arg, struct omk_slice elem)
{
    reply_bulk(arg, elem.p, elem.len);
    return reply_deferred_full(arg);
}

/* Parse LEFT or RIGHT (any case) in argument 'i'. Returns 1 with '*end', or 0 after
 * replying Redis' syntax error. */
static int cmd_blist_end_or_reply(struct client *c, int i, enum store_end *end)
{
    if (cmd_arg_is(c, i, "left"))
        *end = STORE_LEFT;
    else if (cmd_arg_is(c, i, "right"))
        *end = STORE_RIGHT;
    else {
        reply_err_syntax(c);
        return 0;
    }
    return 1;
}

/* BLPOP / BRPOP key [key ...] timeout: [key, element] from 'end' of the first key that
 * holds a list; a key of another type before it is WRONGTYPE, as Redis checks them in
 * order before it blocks. */
static void cmd_bpop_generic(struct client *c, enum store_end end)
{
    struct blocking_pop bp;
    size_t which = 0, n = 0;
    int rc;

    if (!blocking_begin_or_reply(c, c->argv[c->argc - 1], &c->argv[1], (size_t)c->argc - 2, &bp))
        return;
    reply_deferred_begin(c);
    rc = store_lmpop(server.store, c->db, bp.keys, bp.nkeys, end, 1, cmd_blist_elem, c, &which,
                     &n);
    if (rc != STORE_OK) {
        reply_deferred_discard(c);
        blocking_end(c, &bp, rc, BLOCKING_NULL_ARRAY);
        return;
    }
    reply_deferred_pause(c);
    reply_array_len(c, 2);
    reply_bulk(c, bp.keys[which].p, bp.keys[which].len);
    reply_deferred_end_bare(c);
}

void cmd_blpop(struct client *c)
{
    cmd_bpop_generic(c, STORE_LEFT);
}

void cmd_brpop(struct client *c)
{
    cmd_bpop_generic(c, STORE_RIGHT);
}

/* BLMOVE / BRPOPLPUSH: move an element from 'from' of list argv[1] to 'to' of list
 * argv[2] and reply it; wait on argv[1] alone. Served, a WRONGTYPE with the source a list
 * is the destination's: Redis 7.0 answers it then (the element stays for the next
 * waiter), while a source of another type keeps the client waiting. */
static void cmd_bmove_generic(struct client *c, enum store_end from, enum store_end to,
                              struct omk_slice timeout)
{
    struct blocking_pop bp;
    struct store_val *v = NULL;
    struct store_keyinfo ki;
    int rc;

    if (!blocking_begin_or_reply(c, timeout, &c->argv[1], 1, &bp))
        return;
    rc = store_lmove(server.store, c->db, bp.keys[0], c->argv[2], from, to, &v);
    if (rc == STORE_OK) {
        reply_bulk_val(c, v);
        return;
    }
    if (rc == STORE_WRONGTYPE && bp.served &&
        store_keyinfo(server.store, c->db, bp.keys[0], &ki) == STORE_OK &&
        ki.type == STORE_TYPE_LIST) {
        reply_err_store(c, rc);
        return;
    }
    blocking_end(c, &bp, rc, BLOCKING_NULL_BULK);
}

/* BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout (the ends, then the timeout) */
void cmd_blmove(struct client *c)
{
    enum store_end from, to;

    if (!cmd_blist_end_or_reply(c, 3, &from) || !cmd_blist_end_or_reply(c, 4, &to))
        return;
    cmd_bmove_generic(c, from, to, c->argv[5]);
}

/* BRPOPLPUSH source destination timeout: BLMOVE source destination RIGHT LEFT */
void cmd_brpoplpush(struct client *c)
{
    cmd_bmove_generic(c, STORE_RIGHT, STORE_LEFT, c->argv[3]);
}

/* BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: [key, [elements]], up
 * to 'count' (1) elements from the first key that holds a list. Checked in Redis 7.0's
 * order: numkeys, the end, COUNT, then the timeout. */
void cmd_blmpop(struct client *c)
{
    struct blocking_pop bp;
    long long numkeys, count = 0;
    enum store_end end;
    size_t which = 0, n = 0;
    int at, rc;

    if (!cmd_range_arg_or_reply(c, c->argv[2], 1, LLONG_MAX, "numkeys should be greater than 0",
                                &numkeys))
        return;
    if (numkeys > c->argc - 4) { /* no room for the keys and the end */
        reply_err_syntax(c);
        return;
    }
    at = 3 + (int)numkeys;
    if (!cmd_blist_end_or_reply(c, at, &end))
        return;
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
    rc = store_lmpop(server.store, c->db, bp.keys, bp.nkeys, end, count ? (uint64_t)count : 1,
                     cmd_blist_elem, c, &which, &n);
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
