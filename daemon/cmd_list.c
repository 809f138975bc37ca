/* cmd_list.c - list commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LINDEX LRANGE LSET
 * LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP, then the blocking pops. Each checks its
 * arguments in the order Redis 7.0 does (so the same bad request gets the same error;
 * LINDEX and LSET look the key up before they read the index), makes one store call
 * (store/ops_list.c: atomic under the stripes of its keys, WRONGTYPE for a key of another
 * type) and replies. Elements of unknown number are written by the store's callback into
 * a deferred reply. The read-only commands count INFO's keyspace hits and misses as
 * Redis' lookupKeyRead does; the writing ones, like Redis' lookupKeyWrite, do not. */
#include "config.h"

#include <limits.h>

#include "daemon/blocking.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/notify.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

#define LIST_ERR_NOKEY "ERR no such key"
#define LIST_ERR_RANGE "ERR index out of range"
/* omenkv's own: the index entry counts a list's elements in 32 bits (Redis has no limit) */
#define LIST_ERR_FULL "ERR list would exceed 4294967295 elements"

/* ---- Shared pieces ---- */

/* Whether 'key' exists, for a statistic only, when a store call's answer does not say
 * (an empty range of a list that is there). From RAM. */
static int cmd_list_exists(struct client *c, struct omk_slice key)
{
    uint64_t len = 0;
    int rc = store_llen(server.store, c->db, key, &len);

    return rc == STORE_WRONGTYPE || (rc == STORE_OK && len > 0);
}

/* Parse LEFT or RIGHT (any case) in argument 'i' into '*end'. Returns 1, or 0 after
 * replying Redis' syntax error. */
static int cmd_list_end_or_reply(struct client *c, int i, enum store_end *end)
{
    if (cmd_arg_is(c, i, "left")) {
        *end = STORE_LEFT;
    } else if (cmd_arg_is(c, i, "right")) {
        *end = STORE_RIGHT;
    } else {
        reply_err_syntax(c);
        return 0;
    }
    return 1;
}

/* Parse the list index (or count) in argument 'i' as Redis' getLongFromObjectOrReply
 * does. Returns 1 with '*v', or 0 after replying "value is not an integer or out of
 * range". */
static int cmd_list_long_or_reply(struct client *c, int i, long long *v)
{
    if (omk_str2ll(c->argv[i].p, c->argv[i].len, v))
        return 1;
    reply_err_not_int(c);
    return 0;
}

/* Where Redis looks the key up before it parses a bad index (LINDEX, LSET): reply what
 * that lookup answers. A missing key gets 'missing' (NULL: a nil), a key of another type
 * WRONGTYPE, a list the index's error. Returns whether the key was there. */
static int cmd_list_bad_index_reply(struct client *c, const char *missing)
{
    struct store_keyinfo ki;
    int rc = store_keyinfo(server.store, c->db, c->argv[1], &ki);

    if (rc == STORE_NOTFOUND) {
        if (missing) {
            reply_error(c, missing);
        } else { /* LINDEX reads it (LSET writes) */
            notify_keymiss(c, c->argv[1]);
            reply_null(c);
        }
        return 0;
    }
    if (rc == STORE_OK && ki.type != STORE_TYPE_LIST)
        rc = STORE_WRONGTYPE;
    if (rc == STORE_OK)
        reply_err_not_int(c);
    else
        reply_err_store(c, rc);
    return 1;
}

/* The reply of a store call that returned 'rc' and, on STORE_OK, the number 'n': a list
 * the call would have grown past its limit (STORE_TOOBIG) gets omenkv's own error. */
static void cmd_list_reply_int(struct client *c, int rc, long long n)
{
    if (rc == STORE_TOOBIG)
        reply_error(c, LIST_ERR_FULL);
    else
        reply_store_int(c, rc, n);
}

/* Store callback: one element into the deferred reply; stop once it is too big. */
static int cmd_list_elem(void *arg, struct omk_slice elem)
{
    reply_bulk(arg, elem.p, elem.len);
    return reply_deferred_full(arg);
}

/* ---- Pushes ---- */

/* Report a pop of 'n' elements from 'end' of list 'key' (none: nothing), and its
 * deletion if that emptied it, as Redis does. */
static void cmd_list_notify_pop(struct client *c, struct omk_slice key, enum store_end end,
                                size_t n)
{
    if (n == 0)
        return;
    notify_event(c, NOTIFY_LIST, end == STORE_LEFT ? "lpop" : "rpop", key);
    notify_del_if_gone(c, key);
}

/* Report a move from 'from' of 'src' to 'to' of 'dst', in Redis' order: the push, the
 * pop, the deletion of an emptied source. */
static void cmd_list_notify_move(struct client *c, struct omk_slice src, struct omk_slice dst,
                                 enum store_end from, enum store_end to)
{
    notify_event(c, NOTIFY_LIST, to == STORE_LEFT ? "lpush" : "rpush", dst);
    cmd_list_notify_pop(c, src, from, 1);
}

/* LPUSH / RPUSH / LPUSHX / RPUSHX key element [element ...]: push each element in turn
 * at 'end' (STORE_PUSH_X: only onto an existing list); the length after (0 when an X
 * form found no list). */
static void cmd_push_generic(struct client *c, enum store_end end, int flags)
{
    uint64_t len = 0;
    int rc = store_lpush(server.store, c->db, c->argv[1], end, &c->argv[2], (size_t)c->argc - 2,
                         flags, &len);

    if (rc == STORE_OK && len > 0)
        notify_event(c, NOTIFY_LIST, end == STORE_LEFT ? "lpush" : "rpush", c->argv[1]);
    cmd_list_reply_int(c, rc, (long long)len);
}

void cmd_lpush(struct client *c)
{
    cmd_push_generic(c, STORE_LEFT, 0);
}

void cmd_rpush(struct client *c)
{
    cmd_push_generic(c, STORE_RIGHT, 0);
}

void cmd_lpushx(struct client *c)
{
    cmd_push_generic(c, STORE_LEFT, STORE_PUSH_X);
}

void cmd_rpushx(struct client *c)
{
    cmd_push_generic(c, STORE_RIGHT, STORE_PUSH_X);
}

/* ---- Pops ---- */

/* LPOP / RPOP key [count]. Without a count: the element, or nil. With one (checked
 * before the key, Redis' words for any bad count): an array of up to 'count' elements,
 * an empty one for count 0 on a list, a null array for a missing key. */
static void cmd_pop_generic(struct client *c, enum store_end end)
{
    long long count = 1;
    size_t n = 0;
    int rc;

    if (c->argc > 3) {
        reply_err_arity(c);
        return;
    }
    if (c->argc == 3 && !cmd_range_arg_or_reply(c, c->argv[2], 0, LLONG_MAX,
                                                "value is out of range, must be positive", &count))
        return;
    if (count == 0) { /* pops nothing: only the key's existence and type matter */
        uint64_t len = 0;

        rc = store_llen(server.store, c->db, c->argv[1], &len);
        if (rc != STORE_OK)
            reply_err_store(c, rc);
        else if (len == 0)
            reply_null_array(c);
        else
            reply_array_len(c, 0);
        return;
    }
    reply_deferred_begin(c);
    rc = store_lpop(server.store, c->db, c->argv[1], end, (uint64_t)count, cmd_list_elem, c, &n);
    if (rc == STORE_OK)
        cmd_list_notify_pop(c, c->argv[1], end, n);
    if (rc != STORE_OK) {
        reply_deferred_discard(c);
        reply_err_store(c, rc);
    } else if (n == 0) { /* a list is never empty: the key is missing */
        reply_deferred_discard(c);
        if (c->argc == 3)
            reply_null_array(c);
        else
            reply_null(c);
    } else if (c->argc == 3) {
        reply_deferred_end(c, (long long)n);
    } else {
        reply_deferred_end_bare(c); /* the one element, as a bulk string */
    }
}

void cmd_lpop(struct client *c)
{
    cmd_pop_generic(c, STORE_LEFT);
}

void cmd_rpop(struct client *c)
{
    cmd_pop_generic(c, STORE_RIGHT);
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pop up to 'count' (1 by default)
 * elements from the first of the keys that holds a list; [key, [elements]], or a null
 * array when none does. Checks as Redis 7.0: numkeys (any fault is "numkeys should be
 * greater than 0"; more keys than arguments a syntax error), the end, then the options
 * (COUNT once, "count should be greater than 0"). */
void cmd_lmpop(struct client *c)
{
    long long numkeys, count = -1;
    enum store_end end;
    size_t which = 0, n = 0;
    int where, rc;

    if (!cmd_range_arg_or_reply(c, c->argv[1], 1, LLONG_MAX, "numkeys should be greater than 0",
                                &numkeys))
        return;
    if (numkeys > c->argc - 3) {
        reply_err_syntax(c);
        return;
    }
    where = 2 + (int)numkeys;
    if (!cmd_list_end_or_reply(c, where, &end))
        return;
    for (int i = where + 1; i < c->argc; i++) {
        if (count == -1 && cmd_arg_is(c, i, "count") && i + 1 < c->argc) {
            if (!cmd_range_arg_or_reply(c, c->argv[++i], 1, LLONG_MAX,
                                        "count should be greater than 0", &count))
                return;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    if (count == -1)
        count = 1;
    reply_deferred_begin(c);
    rc = store_lmpop(server.store, c->db, &c->argv[2], (size_t)numkeys, end, (uint64_t)count,
                     cmd_list_elem, c, &which, &n);
    if (rc == STORE_OK)
        cmd_list_notify_pop(c, c->argv[2 + which], end, n);
    if (rc == STORE_NOTFOUND) {
        reply_deferred_discard(c);
        reply_null_array(c);
    } else if (rc != STORE_OK) {
        reply_deferred_discard(c);
        reply_err_store(c, rc);
    } else {
        OMK_ASSERT(which < (size_t)numkeys && n > 0); /* a list is never empty */
        /* the key goes before the elements */
        reply_deferred_pause(c);
        reply_array_len(c, 2);
        reply_bulk(c, c->argv[2 + which].p, c->argv[2 + which].len);
        reply_deferred_end(c, (long long)n);
    }
}

/* ---- Reads ---- */

/* LLEN key: the length (0 for a missing key), from RAM. */
void cmd_llen(struct client *c)
{
    uint64_t len = 0;
    int rc = store_llen(server.store, c->db, c->argv[1], &len);

    notify_keymiss_if_missing(c, c->argv[1]);
    cmd_count_lookup(c, rc == STORE_WRONGTYPE || (rc == STORE_OK && len > 0));
    reply_store_int(c, rc, (long long)len);
}

/* LINDEX key index: the element, or nil (no such key or index). The key is looked up
 * before the index is parsed. */
void cmd_lindex(struct client *c)
{
    struct store_val *v = NULL;
    long long index;
    int rc;

    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &index)) {
        cmd_count_lookup(c, cmd_list_bad_index_reply(c, NULL));
        return;
    }
    rc = store_lindex(server.store, c->db, c->argv[1], index, &v);
    notify_keymiss_if_missing(c, c->argv[1]);
    cmd_count_lookup(c, rc == STORE_NOTFOUND ? cmd_list_exists(c, c->argv[1])
                                                  : rc == STORE_OK || rc == STORE_WRONGTYPE);
    reply_store_val(c, rc, v);
}

/* LRANGE key start stop: the elements from 'start' to 'stop', ends included (negative
 * indexes count from the tail); an empty array for a missing key. The indexes are
 * parsed first. */
void cmd_lrange(struct client *c)
{
    long long start, stop;
    size_t n = 0;
    int rc;

    if (!cmd_list_long_or_reply(c, 2, &start) || !cmd_list_long_or_reply(c, 3, &stop))
        return;
    reply_deferred_begin(c);
    rc = store_lrange(server.store, c->db, c->argv[1], start, stop, cmd_list_elem, c, &n);
    notify_keymiss_if_missing(c, c->argv[1]);
    if (rc != STORE_OK) {
        reply_deferred_discard(c);
        reply_err_store(c, rc);
    } else {
        reply_deferred_end(c, (long long)n);
    }
    cmd_count_lookup(c, rc == STORE_WRONGTYPE || (rc == STORE_OK && n > 0) ||
                                 (rc == STORE_OK && cmd_list_exists(c, c->argv[1])));
}

/* What LPOS gathers from the store's matches. */
struct lpos_acc {
    struct client *c;
    int with_count; /* COUNT given: each index goes into the deferred array */
    long long last; /* without COUNT: the match's index, -1 for none */
};

/* Store callback: one match of LPOS. */
static int cmd_lpos_match(void *arg, uint64_t index)
{
    struct lpos_acc *acc = arg;

    if (!acc->with_count) {
        acc->last = (long long)index;
        return 1;
    }
    reply_int(acc->c, (long long)index);
    return reply_deferred_full(acc->c);
}

/* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: the index of the
 * rank-th match (from the tail for a negative rank), or nil; with COUNT, an array of the
 * indexes of up to that many matches (0: all). The options are checked before the key,
 * in Redis' words. A rank of -2^63 is answered as Redis 7.0 answers it: negating it
 * overflows there, which makes it the first match from the tail and COUNT no limit. */
void cmd_lpos(struct client *c)
{
    struct lpos_acc acc = {c, 0, -1};
    long long rank = 1, count = -1, maxlen = 0;
    size_t n = 0;
    int rc;

    for (int i = 3; i < c->argc; i++) {
        int more = i + 1 < c->argc;

        if (more && cmd_arg_is(c, i, "rank")) {
            if (!cmd_list_long_or_reply(c, ++i, &rank))
                return;
            if (rank == 0) {
                reply_error(c, "ERR RANK can't be zero: use 1 to start from the first match, 2 "
                               "from the second ... or use negative to start from the end of "
                               "the list");
                return;
            }
        } else if (more && cmd_arg_is(c, i, "count")) {
            if (!cmd_range_arg_or_reply(c, c->argv[++i], 0, LLONG_MAX, "COUNT can't be negative",
                                        &count))
                return;
        } else if (more && cmd_arg_is(c, i, "maxlen")) {
            if (!cmd_range_arg_or_reply(c, c->argv[++i], 0, LLONG_MAX, "MAXLEN can't be negative",
                                        &maxlen))
                return;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    if (rank == LLONG_MIN) {
        rank = -1;
        if (count != -1)
            count = 0;
    }
    acc.with_count = count != -1;
    if (acc.with_count)
        reply_deferred_begin(c);
    rc = store_lpos(server.store, c->db, c->argv[1], c->argv[2], rank,
                    acc.with_count ? (uint64_t)count : 1, (uint64_t)maxlen, cmd_lpos_match, &acc,
                    &n);
    notify_keymiss_if_missing(c, c->argv[1]);
    cmd_count_lookup(c, rc == STORE_WRONGTYPE || (rc == STORE_OK && n > 0) ||
                                 (rc == STORE_OK && cmd_list_exists(c, c->argv[1])));
    if (rc != STORE_OK) {
        if (acc.with_count)
            reply_deferred_discard(c);
        reply_err_store(c, rc);
    } else if (acc.with_count) {
        reply_deferred_end(c, (long long)n);
    } else if (n > 0) {
        reply_int(c, acc.last);
    } else {
        reply_null(c);
    }
}

/* ---- Writes in place ---- */

/* LSET key index element: +OK, "no such key" or "index out of range". The key is looked
 * up before the index is parsed. */
void cmd_lset(struct client *c)
{
    long long index;
    int rc;

    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &index)) {
        cmd_list_bad_index_reply(c, LIST_ERR_NOKEY);
        return;
    }
    rc = store_lset(server.store, c->db, c->argv[1], index, c->argv[3]);
    if (rc == STORE_OK)
        notify_event(c, NOTIFY_LIST, "lset", c->argv[1]);
    switch (rc) {
    case STORE_OK:
        reply_ok(c);
        break;
    case STORE_NOTFOUND:
        reply_error(c, LIST_ERR_NOKEY);
        break;
    case STORE_OUTOFRANGE:
        reply_error(c, LIST_ERR_RANGE);
        break;
    default:
        reply_err_store(c, rc);
        break;
    }
}

/* LINSERT key BEFORE|AFTER pivot element: the length after, -1 when no element equals
 * 'pivot', 0 for a missing key. BEFORE|AFTER is checked before the key. */
void cmd_linsert(struct client *c)
{
    int64_t len = 0;
    int after, rc;

    if (cmd_arg_is(c, 2, "after")) {
        after = 1;
    } else if (cmd_arg_is(c, 2, "before")) {
        after = 0;
    } else {
        reply_err_syntax(c);
        return;
    }
    rc = store_linsert(server.store, c->db, c->argv[1], after, c->argv[3], c->argv[4], &len);
    if (rc == STORE_OK && len > 0)
        notify_event(c, NOTIFY_LIST, "linsert", c->argv[1]);
    cmd_list_reply_int(c, rc, (long long)len);
}

/* LREM key count element: remove the first 'count' elements equal to 'element' (from
 * the tail for a negative count, all for 0); how many went. A count of -2^63, which
 * cannot be negated, is -(2^63 - 1): no list holds more, so both remove every match from
 * the tail, as Redis 7.0 does. */
void cmd_lrem(struct client *c)
{
    long long count;
    uint64_t removed = 0;
    int rc;

    if (!cmd_list_long_or_reply(c, 2, &count))
        return;
    if (count == LLONG_MIN)
        count = -LLONG_MAX;
    rc = store_lrem(server.store, c->db, c->argv[1], count, c->argv[3], &removed);
    if (rc == STORE_OK && removed > 0) {
        notify_event(c, NOTIFY_LIST, "lrem", c->argv[1]);
        notify_del_if_gone(c, c->argv[1]);
    }
    reply_store_int(c, rc, (long long)removed);
}

/* LTRIM key start stop: keep only that range (LRANGE's rules; an empty range deletes
 * the list); +OK, for a missing key too. */
void cmd_ltrim(struct client *c)
{
    long long start, stop;
    int rc, existed;

    if (!cmd_list_long_or_reply(c, 2, &start) || !cmd_list_long_or_reply(c, 3, &stop))
        return;
    /* Redis reports ltrim on every list, trimmed or not; a missing key does nothing. */
    existed = notify_wanted(NOTIFY_LIST | NOTIFY_GENERIC) &&
              store_exists(server.store, c->db, c->argv[1]) == STORE_OK;
    rc = store_ltrim(server.store, c->db, c->argv[1], start, stop);
    if (rc == STORE_OK && existed) {
        notify_event(c, NOTIFY_LIST, "ltrim", c->argv[1]);
        notify_del_if_gone(c, c->argv[1]);
    }
    if (rc == STORE_OK)
        reply_ok(c);
    else
        reply_err_store(c, rc);
}

/* ---- Moves ---- */

/* LMOVE / RPOPLPUSH: pop from 'from' of the source, push at 'to' of the destination
 * (created if missing), in one step; the element, or nil when the source is missing. */
static void cmd_lmove_generic(struct client *c, enum store_end from, enum store_end to)
{
    struct store_val *v = NULL;
    int rc = store_lmove(server.store, c->db, c->argv[1], c->argv[2], from, to, &v);

    if (rc == STORE_OK)
        cmd_list_notify_move(c, c->argv[1], c->argv[2], from, to);
    if (rc == STORE_TOOBIG)
        reply_error(c, LIST_ERR_FULL);
    else
        reply_store_val(c, rc, v);
}

/* LMOVE source destination LEFT|RIGHT LEFT|RIGHT (both ends checked before the keys). */
void cmd_lmove(struct client *c)
{
    enum store_end from, to;

    if (!cmd_list_end_or_reply(c, 3, &from) || !cmd_list_end_or_reply(c, 4, &to))
        return;
    cmd_lmove_generic(c, from, to);
}

/* RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT. */
void cmd_rpoplpush(struct client *c)
{
    cmd_lmove_generic(c, STORE_RIGHT, STORE_LEFT);
}

/* ---- Blocking pops (daemon/blocking.c) ---- */
/* Each handler below runs once when the command arrives and again each time a key it
 * waits on wakes it (blocking.c): blocking_begin_or_reply() parses the timeout and says
 * which keys to pop from (all, or the one that woke it); a pop that found nothing goes
 * to blocking_end(), which parks the client, keeps it parked, or answers inside EXEC. */

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
    rc = store_lmpop(server.store, c->db, bp.keys, bp.nkeys, end, 1, cmd_list_elem, c, &which,
                     &n);
    if (rc == STORE_OK)
        cmd_list_notify_pop(c, bp.keys[which], end, n);
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
        cmd_list_notify_move(c, bp.keys[0], c->argv[2], from, to);
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

    if (!cmd_list_end_or_reply(c, 3, &from) || !cmd_list_end_or_reply(c, 4, &to))
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
    if (!cmd_list_end_or_reply(c, at, &end))
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
                     cmd_list_elem, c, &which, &n);
    if (rc == STORE_OK)
        cmd_list_notify_pop(c, bp.keys[which], end, n);
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
