/* cmd_sorted_set.c - sorted-set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK
 * ZREVRANK ZCOUNT ZLEXCOUNT ZRANGE ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
 * ZREVRANGEBYLEX ZREVRANGE ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZPOPMIN ZPOPMAX
 * ZMPOP ZRANDMEMBER ZUNION ZUNIONSTORE ZINTER ZINTERSTORE ZINTERCARD ZDIFF ZDIFFSTORE ZSCAN,
 * then the blocking pops. Each checks its arguments in the order Redis 7.0 does (so the
 * same bad request gets the same error), makes one store call (store/ops_zset.c: atomic
 * under the stripes of its keys, WRONGTYPE for a key of another type) and replies.
 * Members of unknown number are written by the store's callback into a deferred reply;
 * scores go out as Redis 7.0's addReplyDouble sends them (reply_double), and a member
 * with its score is an array of two in RESP3 where Redis 7.0 nests them. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/blocking.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/notify.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

#define ZSET_ERR_NOTFLOAT "ERR value is not a valid float"
#define ZSET_ERR_RANGE_FLOAT "ERR min or max is not a float"
#define ZSET_ERR_RANGE_LEX "ERR min or max not valid string range item"

/* ---- Scores and ranges, read as Redis 7.0 reads them ------------------------------ */

/* Bytes of a number argument copied to the stack; longer ones go to the heap. */
#define ZSET_NUM_STACK 128

/* A NUL-terminated copy of 'p'/'len' for strtod(): 'buf' ('cap' bytes) when it fits,
 * else memory freed by zset_cstr_free(). Embedded NUL bytes stay, so strtod stops at
 * them as it does on Redis' NUL-terminated arguments. */
static char *zset_cstr(const char *p, size_t len, char *buf, size_t cap)
{
    if (len >= cap)
        return omk_memdup(p, len);
    memcpy(buf, p, len);
    buf[len] = '\0';
    return buf;
}

static void zset_cstr_free(char *s, const char *buf)
{
    if (s != buf)
        omk_free(s);
}

/* Read 'a' as a score the way Redis' getDoubleFromObject does (its string2d): the
 * whole argument is one strtod number, not empty, not starting with a space, not NaN,
 * not overflowing to an infinity or underflowing to zero; "inf" and "-inf" are fine.
 * Returns 1 with '*out', else 0. */
static int zset_parse_score(struct omk_slice a, double *out)
{
    char buf[ZSET_NUM_STACK], *s = zset_cstr(a.p, a.len, buf, sizeof(buf)), *end;
    double d;
    int good;

    errno = 0;
    d = strtod(s, &end);
    good = a.len > 0 && !(s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')) &&
           (size_t)(end - s) == a.len &&
           !(errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL || fpclassify(d) == FP_ZERO)) &&
           !isnan(d);
    zset_cstr_free(s, buf);
    if (good)
        *out = d;
    return good;
}

/* zset_parse_score(), or reply 'msg' (an error with its code) and return 0. */
static int zset_score_arg_or_reply(struct client *c, struct omk_slice a, const char *msg,
                                   double *out)
{
    if (zset_parse_score(a, out))
        return 1;
    reply_error(c, msg);
    return 0;
}

/* One end of a score range as Redis' zslParseRange reads it: an optional '(' (exclusive),
 * then strtod up to the end of the argument or its first NUL byte, NaN refused. strtod
 * is lenient here, as Redis is: leading spaces pass, "" reads as 0, an overflow as an
 * infinity. Returns 1 with '*v' and '*ex', else 0. */
static int zset_parse_score_bound(struct omk_slice a, double *v, int *ex)
{
    char buf[ZSET_NUM_STACK], *s, *end;
    int good;

    *ex = a.len > 0 && a.p[0] == '(';
    s = zset_cstr(a.p + *ex, a.len - (size_t)*ex, buf, sizeof(buf));
    *v = strtod(s, &end);
    good = *end == '\0' && !isnan(*v);
    zset_cstr_free(s, buf);
    return good;
}

/* The score range 'min'..'max' into 'r' (by score), or 0 when either end is bad. */
static int zset_score_range(struct omk_slice min, struct omk_slice max, struct store_zrange *r)
{
    r->by = STORE_ZBY_SCORE;
    return zset_parse_score_bound(min, &r->min, &r->minex) &&
           zset_parse_score_bound(max, &r->max, &r->maxex);
}

/* What one end of a lex range names. */
enum zset_lex { ZSET_LEX_MINUS, ZSET_LEX_PLUS, ZSET_LEX_VALUE };

/* One end of a lex range as Redis' zslParseLexRangeItem reads it: "-" and "+" (the
 * lowest and highest of all strings), "(" exclusive or "[" inclusive then the bytes.
 * Returns 1 with what it names, else 0. */
static int zset_parse_lex_item(struct omk_slice a, enum zset_lex *kind, struct omk_slice *v,
                               int *ex)
{
    if (a.len == 0)
        return 0;
    switch (a.p[0]) {
    case '+':
    case '-':
        /* Redis looks at the byte after the sign, the NUL ending an argument of one byte */
        if (a.len > 1 && a.p[1] != '\0')
            return 0;
        *kind = a.p[0] == '-' ? ZSET_LEX_MINUS : ZSET_LEX_PLUS;
        return 1;
    case '(':
    case '[':
        *kind = ZSET_LEX_VALUE;
        *ex = a.p[0] == '(';
        v->p = a.p + 1;
        v->len = a.len - 1;
        return 1;
    default:
        return 0;
    }
}

/* The lex range 'min'..'max' into 'r' (by lex), or 0 when either end is bad. A range
 * from "+" or to "-" holds no member: it becomes the empty range ("", "") exclusive,
 * which the store's fields can say. */
static int zset_lex_range(struct omk_slice min, struct omk_slice max, struct store_zrange *r)
{
    enum zset_lex kmin, kmax;

    r->by = STORE_ZBY_LEX;
    if (!zset_parse_lex_item(min, &kmin, &r->lmin, &r->lminex) ||
        !zset_parse_lex_item(max, &kmax, &r->lmax, &r->lmaxex))
        return 0;
    if (kmin == ZSET_LEX_PLUS || kmax == ZSET_LEX_MINUS) {
        r->lmininf = r->lmaxinf = 0;
        r->lmin.p = r->lmax.p = "";
        r->lmin.len = r->lmax.len = 0;
        r->lminex = r->lmaxex = 1;
        return 1;
    }
    r->lmininf = kmin == ZSET_LEX_MINUS;
    r->lmaxinf = kmax == ZSET_LEX_PLUS;
    return 1;
}

/* The rank range 'start'..'stop' into 'r', or reply "not an integer" and return 0. */
static int zset_rank_range_or_reply(struct client *c, struct omk_slice start, struct omk_slice stop,
                                    struct store_zrange *r)
{
    long long a, b;

    r->by = STORE_ZBY_RANK;
    if (!omk_str2ll(start.p, start.len, &a) || !omk_str2ll(stop.p, stop.len, &b)) {
        reply_err_not_int(c);
        return 0;
    }
    r->start = a;
    r->stop = b;
    return 1;
}

/* A range with no LIMIT and in no reverse ('limit' -1: all). */
static void zset_range_init(struct store_zrange *r)
{
    memset(r, 0, sizeof(*r));
    r->limit = -1;
}

/* ---- Replies of members and scores ------------------------------------------------ */

/* How a deferred reply writes what the store hands over. */
struct zset_acc {
    struct client *c;
    int withscores; /* the score after each member */
    int nested;     /* each member with its score as an array of two (RESP3) */
};

/* Store callback: one member (and its score) into the deferred reply; stop once it is
 * too big. */
static int cmd_zset_member(void *arg, struct omk_slice member, double score)
{
    struct zset_acc *acc = arg;

    if (acc->nested)
        reply_array_len(acc->c, 2);
    reply_bulk(acc->c, member.p, member.len);
    if (acc->withscores)
        reply_double(acc->c, score);
    return reply_deferred_full(acc->c);
}

/* End the deferred array of a store call that returned 'rc' after 'n' members. */
static void cmd_zset_reply_members(const struct zset_acc *acc, int rc, uint64_t n)
{
    if (rc != STORE_OK) {
        reply_deferred_discard(acc->c);
        reply_err_store(acc->c, rc);
        return;
    }
    reply_deferred_end(acc->c, (long long)n * (acc->withscores && !acc->nested ? 2 : 1));
}

/* ---- ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ------------------------- */

/* Report 'n' members popped from sorted set 'key' at 'end' (none: nothing), and its
 * deletion if that emptied it, as Redis does. */
static void zset_notify_pop(struct client *c, struct omk_slice key, enum store_end end, size_t n)
{
    if (n == 0)
        return;
    notify_event(c, NOTIFY_ZSET, end == STORE_LEFT ? "zpopmin" : "zpopmax", key);
    notify_del_if_gone(c, key);
}

/* Report the result stored at 'dst' by a STORE form ('event'): the event when it has
 * members, else "del" if the destination existed ('existed') and is now gone. */
static void zset_notify_store(struct client *c, struct omk_slice dst, const char *event,
                              uint64_t card, int existed)
{
    if (card > 0)
        notify_event(c, NOTIFY_ZSET, event, dst);
    else if (existed)
        notify_event(c, NOTIFY_GENERIC, "del", dst);
}

/* What ZUNION, ZINTER, ZDIFF and their STORE forms read: sorted sets and sets. */
#define ZSET_READ_TYPES ((1u << STORE_TYPE_ZSET) | (1u << STORE_TYPE_SET))

/* Whether 'dst' exists now, when a STORE form's "del" may need it (notifications on). */
static int zset_dst_exists(struct client *c, struct omk_slice dst)
{
    return notify_wanted(NOTIFY_GENERIC) && store_exists(server.store, c->db, dst) == STORE_OK;
}

/* ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and ZINCRBY
 * ('flags' STORE_ZADD_INCR), which Redis parses the same way. Checks as Redis: the
 * options (any order, any case) up to the first word that is none, an even, non-zero
 * number of arguments left, the incompatible options, INCR's single pair, every score,
 * then the key. Replies the number added (with CH: added or changed); with INCR the new
 * score, or nil when a condition refused it. */
static void cmd_zadd_generic(struct client *c, int flags)
{
    struct omk_slice *members;
    size_t n, added = 0, changed = 0;
    double *scores, out = 0;
    int idx, ch = 0, rc;

    for (idx = 2; idx < c->argc; idx++) {
        if (cmd_arg_is(c, idx, "nx"))
            flags |= STORE_ZADD_NX;
        else if (cmd_arg_is(c, idx, "xx"))
            flags |= STORE_ZADD_XX;
        else if (cmd_arg_is(c, idx, "ch"))
            ch = 1;
        else if (cmd_arg_is(c, idx, "incr"))
            flags |= STORE_ZADD_INCR;
        else if (cmd_arg_is(c, idx, "gt"))
            flags |= STORE_ZADD_GT;
        else if (cmd_arg_is(c, idx, "lt"))
            flags |= STORE_ZADD_LT;
        else
            break;
    }
    n = (size_t)(c->argc - idx);
    if (n == 0 || n % 2 != 0) {
        reply_err_syntax(c);
        return;
    }
    n /= 2;
    if ((flags & STORE_ZADD_NX) && (flags & STORE_ZADD_XX)) {
        reply_error(c, "ERR XX and NX options at the same time are not compatible");
        return;
    }
    if (((flags & STORE_ZADD_NX) && (flags & (STORE_ZADD_GT | STORE_ZADD_LT))) ||
        ((flags & STORE_ZADD_GT) && (flags & STORE_ZADD_LT))) {
        reply_error(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if ((flags & STORE_ZADD_INCR) && n > 1) {
        reply_error(c, "ERR INCR option supports a single increment-element pair");
        return;
    }
    scores = omk_malloc(n * sizeof(*scores));
    members = omk_malloc(n * sizeof(*members));
    for (size_t i = 0; i < n; i++) {
        if (!zset_score_arg_or_reply(c, c->argv[idx + 2 * (int)i], ZSET_ERR_NOTFLOAT, &scores[i]))
            goto out;
        members[i] = c->argv[idx + 2 * (int)i + 1];
    }
    rc = store_zadd(server.store, c->db, c->argv[1], scores, members, n, flags, &added, &changed,
                    &out);
    if (rc == STORE_OK && (added > 0 || changed > 0))
        notify_event(c, NOTIFY_ZSET, (flags & STORE_ZADD_INCR) ? "zincr" : "zadd", c->argv[1]);
    if (!(flags & STORE_ZADD_INCR))
        reply_store_int(c, rc, (long long)(ch ? added + changed : added));
    else if (rc == STORE_OK)
        reply_double(c, out);
    else if (rc == STORE_NOTSET)
        reply_null(c);
    else if (rc == STORE_NANINF)
        reply_error(c, "ERR resulting score is not a number (NaN)");
    else
        reply_err_store(c, rc);
out:
    omk_free(scores);
    omk_free(members);
}

void cmd_zadd(struct client *c)
{
    cmd_zadd_generic(c, 0);
}

/* ZINCRBY key increment member: the new score. */
void cmd_zincrby(struct client *c)
{
    cmd_zadd_generic(c, STORE_ZADD_INCR);
}

/* ZREM key member [member ...]: how many were there. */
void cmd_zrem(struct client *c)
{
    size_t removed = 0;
    int rc = store_zrem(server.store, c->db, c->argv[1], &c->argv[2], (size_t)c->argc - 2,
                        &removed);

    if (rc == STORE_OK && removed > 0) {
        notify_event(c, NOTIFY_ZSET, "zrem", c->argv[1]);
        notify_del_if_gone(c, c->argv[1]);
    }
    reply_store_int(c, rc, (long long)removed);
}

/* ZCARD key: the number of members (0 for a missing key), from RAM. */
void cmd_zcard(struct client *c)
{
    uint64_t card = 0;
    int rc = store_zcard(server.store, c->db, c->argv[1], &card);

    notify_keymiss_if_missing(c, c->argv[1]);
    reply_store_int(c, rc, (long long)card);
}

/* ZSCORE key member: the score, or nil. */
void cmd_zscore(struct client *c)
{
    double score = 0;
    int rc = store_zscore(server.store, c->db, c->argv[1], c->argv[2], &score);

    notify_keymiss_if_missing(c, c->argv[1]);
    if (rc == STORE_OK)
        reply_double(c, score);
    else if (rc == STORE_NOTFOUND)
        reply_null(c);
    else
        reply_err_store(c, rc);
}

/* ZMSCORE key member [member ...]: a score or nil per member. */
void cmd_zmscore(struct client *c)
{
    size_t n = (size_t)c->argc - 2;
    double *scores = omk_malloc(n * sizeof(*scores));
    unsigned char *found = omk_malloc(n);
    int rc = store_zmscore(server.store, c->db, c->argv[1], &c->argv[2], n, scores, found);

    notify_keymiss_if_missing(c, c->argv[1]);
    if (rc != STORE_OK) {
        reply_err_store(c, rc);
    } else {
        reply_array_len(c, (long long)n);
        for (size_t i = 0; i < n; i++) {
            if (found[i])
                reply_double(c, scores[i]);
            else
                reply_null(c);
        }
    }
    omk_free(scores);
    omk_free(found);
}

/* ZRANK / ZREVRANK key member: the rank from the lowest (or highest) score, or nil. */
static void cmd_zrank_generic(struct client *c, int rev)
{
    uint64_t rank = 0;
    int rc = store_zrank(server.store, c->db, c->argv[1], c->argv[2], rev, &rank);

    notify_keymiss_if_missing(c, c->argv[1]);
    if (rc == STORE_OK)
        reply_int(c, (long long)rank);
    else if (rc == STORE_NOTFOUND)
        reply_null(c);
    else
        reply_err_store(c, rc);
}

void cmd_zrank(struct client *c)
{
    cmd_zrank_generic(c, 0);
}

void cmd_zrevrank(struct client *c)
{
    cmd_zrank_generic(c, 1);
}

/* ---- ZRANGE and its older forms ---------------------------------------------------- */

/* What a range command selects by, and in which direction; AUTO: ZRANGE's options say. */
enum zset_by { ZSET_BY_AUTO, ZSET_BY_RANK, ZSET_BY_SCORE, ZSET_BY_LEX };
enum zset_dir { ZSET_DIR_AUTO, ZSET_DIR_FORWARD, ZSET_DIR_REVERSE };

/* Every range command: ZRANGE and ZRANGESTORE ('store'; 'src' is the index of the
 * source key, the range follows it) choose with their options, the older commands come
 * with 'by' and 'dir' fixed. Checks as Redis' zrangeGenericCommand: the options (LIMIT's
 * two integers as they come), LIMIT without BYSCORE/BYLEX, WITHSCORES with BYLEX, the
 * range (a reverse score or lex range is given high end first), then the key. A LIMIT
 * with a negative offset selects nothing, as in Redis; a negative count means all. */
static void cmd_zrange_generic(struct client *c, int src, int store, enum zset_by by,
                               enum zset_dir dir)
{
    struct zset_acc acc = {c, 0, 0};
    struct store_zrange r;
    long long offset = 0, limit = -1;
    int lo = src + 1, hi = src + 2, rc;
    uint64_t card = 0;
    size_t n = 0;

    zset_range_init(&r);
    for (int j = src + 3; j < c->argc; j++) {
        if (!store && cmd_arg_is(c, j, "withscores")) {
            acc.withscores = 1;
        } else if (cmd_arg_is(c, j, "limit") && c->argc - j - 1 >= 2) {
            if (!omk_str2ll(c->argv[j + 1].p, c->argv[j + 1].len, &offset) ||
                !omk_str2ll(c->argv[j + 2].p, c->argv[j + 2].len, &limit)) {
                reply_err_not_int(c);
                return;
            }
            j += 2;
        } else if (dir == ZSET_DIR_AUTO && cmd_arg_is(c, j, "rev")) {
            dir = ZSET_DIR_REVERSE;
        } else if (by == ZSET_BY_AUTO && cmd_arg_is(c, j, "bylex")) {
            by = ZSET_BY_LEX;
        } else if (by == ZSET_BY_AUTO && cmd_arg_is(c, j, "byscore")) {
            by = ZSET_BY_SCORE;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    if (by == ZSET_BY_AUTO)
        by = ZSET_BY_RANK;
    if (limit != -1 && by == ZSET_BY_RANK) { /* Redis' test: LIMIT x -1 passes it */
        reply_error(c, "ERR syntax error, LIMIT is only supported in combination with either "
                       "BYSCORE or BYLEX");
        return;
    }
    if (acc.withscores && by == ZSET_BY_LEX) {
        reply_error(c, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    r.rev = dir == ZSET_DIR_REVERSE;
    if (r.rev && by != ZSET_BY_RANK) {
        lo = src + 2;
        hi = src + 1;
    }
    if (by == ZSET_BY_RANK) {
        if (!zset_rank_range_or_reply(c, c->argv[lo], c->argv[hi], &r))
            return;
    } else if (by == ZSET_BY_SCORE) {
        if (!zset_score_range(c->argv[lo], c->argv[hi], &r)) {
            reply_error(c, ZSET_ERR_RANGE_FLOAT);
            return;
        }
    } else if (!zset_lex_range(c->argv[lo], c->argv[hi], &r)) {
        reply_error(c, ZSET_ERR_RANGE_LEX);
        return;
    }
    if (by != ZSET_BY_RANK) {
        r.offset = offset < 0 ? 0 : offset;
        r.limit = offset < 0 ? 0 : limit < 0 ? -1 : limit;
    }
    if (store) {
        int existed = zset_dst_exists(c, c->argv[1]);
        unsigned char *reads = notify_reads_begin(c, &c->argv[src], 1, 1u << STORE_TYPE_ZSET);

        rc = store_zrangestore(server.store, c->db, c->argv[1], c->argv[src], &r, &card);
        notify_reads_end(c, &c->argv[src], 1, reads); /* the source, read first */
        if (rc == STORE_OK)
            zset_notify_store(c, c->argv[1], "zrangestore", card, existed);
        reply_store_int(c, rc, (long long)card);
        return;
    }
    acc.nested = acc.withscores && c->proto >= 3;
    reply_deferred_begin(c);
    rc = store_zrange(server.store, c->db, c->argv[src], &r, cmd_zset_member, &acc, &n);
    notify_keymiss_if_missing(c, c->argv[src]);
    cmd_zset_reply_members(&acc, rc, n);
}

/* ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES] */
void cmd_zrange(struct client *c)
{
    cmd_zrange_generic(c, 1, 0, ZSET_BY_AUTO, ZSET_DIR_AUTO);
}

/* ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]: the size of
 * the range stored at 'dst' (deleted when it is empty). */
void cmd_zrangestore(struct client *c)
{
    cmd_zrange_generic(c, 2, 1, ZSET_BY_AUTO, ZSET_DIR_AUTO);
}

/* ZREVRANGE key start stop [WITHSCORES] */
void cmd_zrevrange(struct client *c)
{
    cmd_zrange_generic(c, 1, 0, ZSET_BY_RANK, ZSET_DIR_REVERSE);
}

/* ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] */
void cmd_zrangebyscore(struct client *c)
{
    cmd_zrange_generic(c, 1, 0, ZSET_BY_SCORE, ZSET_DIR_FORWARD);
}

/* ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] */
void cmd_zrevrangebyscore(struct client *c)
{
    cmd_zrange_generic(c, 1, 0, ZSET_BY_SCORE, ZSET_DIR_REVERSE);
}

/* ZRANGEBYLEX key min max [LIMIT offset count] */
void cmd_zrangebylex(struct client *c)
{
    cmd_zrange_generic(c, 1, 0, ZSET_BY_LEX, ZSET_DIR_FORWARD);
}

/* ZREVRANGEBYLEX key max min [LIMIT offset count] */
void cmd_zrevrangebylex(struct client *c)
{
    cmd_zrange_generic(c, 1, 0, ZSET_BY_LEX, ZSET_DIR_REVERSE);
}

/* ---- ZCOUNT ZLEXCOUNT ZREMRANGEBY* -------------------------------------------------- */

/* ZCOUNT key min max: how many members score within the range (0 for a missing key). */
void cmd_zcount(struct client *c)
{
    struct store_zrange r;
    uint64_t n = 0;
    int rc;

    zset_range_init(&r);
    if (!zset_score_range(c->argv[2], c->argv[3], &r)) {
        reply_error(c, ZSET_ERR_RANGE_FLOAT);
        return;
    }
    rc = store_zcount(server.store, c->db, c->argv[1], &r, &n);
    notify_keymiss_if_missing(c, c->argv[1]);
    reply_store_int(c, rc, (long long)n);
}

/* ZLEXCOUNT key min max: how many members lie within the lex range. */
void cmd_zlexcount(struct client *c)
{
    struct store_zrange r;
    uint64_t n = 0;
    int rc;

    zset_range_init(&r);
    if (!zset_lex_range(c->argv[2], c->argv[3], &r)) {
        reply_error(c, ZSET_ERR_RANGE_LEX);
        return;
    }
    rc = store_zcount(server.store, c->db, c->argv[1], &r, &n);
    notify_keymiss_if_missing(c, c->argv[1]);
    reply_store_int(c, rc, (long long)n);
}

/* Remove the range 'r' (already parsed) and reply how many members went. */
static void cmd_zremrange_reply(struct client *c, const struct store_zrange *r)
{
    uint64_t removed = 0;
    int rc = store_zremrange(server.store, c->db, c->argv[1], r, &removed);

    if (rc == STORE_OK && removed > 0) { /* the event is the command's name */
        notify_event(c, NOTIFY_ZSET, cmd_current_name(c), c->argv[1]);
        notify_del_if_gone(c, c->argv[1]);
    }
    reply_store_int(c, rc, (long long)removed);
}

/* ZREMRANGEBYRANK key start stop */
void cmd_zremrangebyrank(struct client *c)
{
    struct store_zrange r;

    zset_range_init(&r);
    if (zset_rank_range_or_reply(c, c->argv[2], c->argv[3], &r))
        cmd_zremrange_reply(c, &r);
}

/* ZREMRANGEBYSCORE key min max */
void cmd_zremrangebyscore(struct client *c)
{
    struct store_zrange r;

    zset_range_init(&r);
    if (!zset_score_range(c->argv[2], c->argv[3], &r))
        reply_error(c, ZSET_ERR_RANGE_FLOAT);
    else
        cmd_zremrange_reply(c, &r);
}

/* ZREMRANGEBYLEX key min max */
void cmd_zremrangebylex(struct client *c)
{
    struct store_zrange r;

    zset_range_init(&r);
    if (!zset_lex_range(c->argv[2], c->argv[3], &r))
        reply_error(c, ZSET_ERR_RANGE_LEX);
    else
        cmd_zremrange_reply(c, &r);
}

/* ---- ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER --------------------------------------------- */

/* ZPOPMIN / ZPOPMAX key [count]: remove the lowest (highest) members and reply them with
 * their scores; an empty array for a missing key or a count of 0. Without a count the
 * pair is flat; with one, RESP3 nests each pair (Redis 7.0). */
static void cmd_zpop_generic(struct client *c, enum store_end end)
{
    struct zset_acc acc = {c, 1, 0};
    long long count = -1;
    size_t n = 0;
    int rc;

    if (c->argc > 3) {
        reply_err_syntax(c);
        return;
    }
    if (c->argc == 3 && !cmd_range_arg_or_reply(c, c->argv[2], 0, LLONG_MAX,
                                                "value is out of range, must be positive", &count))
        return;
    acc.nested = c->proto >= 3 && count != -1;
    reply_deferred_begin(c);
    rc = store_zpop(server.store, c->db, c->argv[1], end, count == -1 ? 1 : (uint64_t)count,
                    cmd_zset_member, &acc, &n);
    if (rc == STORE_OK)
        zset_notify_pop(c, c->argv[1], end, n);
    cmd_zset_reply_members(&acc, rc, n);
}

void cmd_zpopmin(struct client *c)
{
    cmd_zpop_generic(c, STORE_LEFT);
}

void cmd_zpopmax(struct client *c)
{
    cmd_zpop_generic(c, STORE_RIGHT);
}

/* ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: pop from the first key that holds
 * a sorted set; [key, [[member, score] ...]] in both protocols, or a nil array when no
 * key does. Checks as Redis: numkeys, then that MIN|MAX follows the keys, COUNT (once),
 * then the keys. */
void cmd_zmpop(struct client *c)
{
    struct zset_acc acc = {c, 1, 1};
    long long numkeys, count = -1;
    enum store_end end;
    size_t which = 0, n = 0;
    int where, rc;

    if (!cmd_range_arg_or_reply(c, c->argv[1], 1, LLONG_MAX, "numkeys should be greater than 0",
                                &numkeys))
        return;
    if (numkeys >= c->argc - 2) { /* no room for MIN|MAX after the keys */
        reply_err_syntax(c);
        return;
    }
    where = 2 + (int)numkeys;
    if (cmd_arg_is(c, where, "min")) {
        end = STORE_LEFT;
    } else if (cmd_arg_is(c, where, "max")) {
        end = STORE_RIGHT;
    } else {
        reply_err_syntax(c);
        return;
    }
    for (int j = where + 1; j < c->argc; j++) {
        if (count == -1 && cmd_arg_is(c, j, "count") && j + 1 < c->argc) {
            if (!cmd_range_arg_or_reply(c, c->argv[++j], 1, LLONG_MAX,
                                        "count should be greater than 0", &count))
                return;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    reply_deferred_begin(c);
    rc = store_zmpop(server.store, c->db, &c->argv[2], (size_t)numkeys, end,
                     count == -1 ? 1 : (uint64_t)count, cmd_zset_member, &acc, &which, &n);
    if (rc == STORE_OK)
        zset_notify_pop(c, c->argv[2 + which], end, n);
    if (rc == STORE_NOTFOUND) {
        reply_deferred_discard(c);
        reply_null_array(c);
        return;
    }
    if (rc != STORE_OK) {
        reply_deferred_discard(c);
        reply_err_store(c, rc);
        return;
    }
    OMK_ASSERT(which < (size_t)numkeys);
    reply_deferred_pause(c); /* the key goes before the members */
    reply_array_len(c, 2);
    reply_bulk(c, c->argv[2 + which].p, c->argv[2 + which].len);
    reply_deferred_end(c, (long long)n);
}

/* ZRANDMEMBER key [count [WITHSCORES]]. Without a count: one member, or nil. With one:
 * that many distinct members (at most all), or with a negative count that many picks
 * that may repeat; WITHSCORES adds each score (RESP2 flat, RESP3 an array of two per
 * member). Checks as Redis (and as HRANDFIELD): the count's range, then the syntax,
 * WITHSCORES' smaller range, then the key. */
void cmd_zrandmember(struct client *c)
{
    struct zset_acc acc = {c, 0, 0};
    long long l = 1;
    size_t n = 0;
    int rc;

    if (c->argc >= 3) {
        if (!cmd_range_arg_or_reply(c, c->argv[2], -LLONG_MAX, LLONG_MAX, NULL, &l))
            return;
        if (c->argc > 4 || (c->argc == 4 && !cmd_arg_is(c, 3, "withscores"))) {
            reply_err_syntax(c);
            return;
        }
        acc.withscores = c->argc == 4;
        if (acc.withscores && (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2)) {
            reply_error(c, "ERR value is out of range");
            return;
        }
    }
    acc.nested = acc.withscores && c->proto >= 3;
    reply_deferred_begin(c);
    rc = store_zrandmember(server.store, c->db, c->argv[1], l < 0 ? (uint64_t)-l : (uint64_t)l,
                           l < 0, cmd_random64, cmd_zset_member, &acc, &n);
    notify_keymiss_if_missing(c, c->argv[1]);
    if (rc == STORE_OK && c->argc == 2) {
        if (n == 0) {
            reply_deferred_discard(c);
            reply_null(c);
        } else {
            reply_deferred_end_bare(c); /* the one member, as a bulk string */
        }
        return;
    }
    cmd_zset_reply_members(&acc, rc, n);
}

/* ---- ZUNION ZINTER ZDIFF ZINTERCARD and their STORE forms --------------------------- */

/* After a bad option of a set operation over 'keys' ('n'): Redis looks the keys up
 * before it reads the options, so a key that is neither a sorted set nor a set answers
 * WRONGTYPE first; otherwise the option's error 'err' (NULL: "syntax error"). */
static void cmd_zsetop_reply_bad_option(struct client *c, const struct omk_slice *keys, size_t n,
                                        const char *err)
{
    for (size_t i = 0; i < n; i++) {
        struct store_keyinfo ki;
        int rc = store_keyinfo(server.store, c->db, keys[i], &ki);

        if (rc == STORE_NOTFOUND) {
            notify_keymiss(c, keys[i]); /* Redis reads the keys before the options */
            continue;
        }
        if (rc != STORE_OK) {
            reply_err_store(c, rc);
            return;
        }
        if (ki.type != STORE_TYPE_ZSET && ki.type != STORE_TYPE_SET) {
            reply_err_wrongtype(c);
            return;
        }
    }
    if (err)
        reply_error(c, err);
    else
        reply_err_syntax(c);
}

/* The set operations, as Redis' zunionInterDiffGenericCommand: numkeys at argv['nk']
 * ('dst' the destination key of a STORE form, else NULL; 'card_only' ZINTERCARD), the
 * keys after it (sorted sets or sets), then WEIGHTS and AGGREGATE (not ZDIFF's, not
 * ZINTERCARD's), WITHSCORES (not a STORE form's) or LIMIT (ZINTERCARD's only). Checks
 * numkeys, then the keys' types, then the options. Replies the result's members (with
 * scores: RESP2 flat, RESP3 an array of two each), its size (STORE forms, stored at
 * 'dst', deleted when empty) or its cardinality. */
static void cmd_zsetop_generic(struct client *c, const struct omk_slice *dst, int nk,
                               enum store_setop op, int card_only)
{
    struct zset_acc acc = {c, 0, 0};
    enum store_zagg agg = STORE_ZAGG_SUM;
    const struct omk_slice *keys;
    long long setnum, limit = 0;
    const char *err = NULL;
    double *weights = NULL;
    uint64_t card = 0;
    int j, rc, bad = 0;

    if (!omk_str2ll(c->argv[nk].p, c->argv[nk].len, &setnum)) {
        reply_err_not_int(c);
        return;
    }
    if (setnum < 1) {
        reply_error_fmt(c, "ERR at least 1 input key is needed for '%s' command",
                        cmd_current_name(c));
        return;
    }
    if (setnum > c->argc - (nk + 1)) {
        reply_err_syntax(c);
        return;
    }
    keys = &c->argv[nk + 1];
    for (j = nk + 1 + (int)setnum; j < c->argc && !bad;) {
        long long left = c->argc - j;

        if (op != STORE_SETOP_DIFF && !card_only && left >= setnum + 1 &&
            cmd_arg_is(c, j, "weights")) {
            j++;
            if (!weights)
                weights = omk_malloc((size_t)setnum * sizeof(*weights));
            for (long long i = 0; i < setnum && !bad; i++, j++) {
                if (!zset_parse_score(c->argv[j], &weights[i])) {
                    err = "ERR weight value is not a float";
                    bad = 1;
                }
            }
        } else if (op != STORE_SETOP_DIFF && !card_only && left >= 2 &&
                   cmd_arg_is(c, j, "aggregate")) {
            j++;
            if (cmd_arg_is(c, j, "sum"))
                agg = STORE_ZAGG_SUM;
            else if (cmd_arg_is(c, j, "min"))
                agg = STORE_ZAGG_MIN;
            else if (cmd_arg_is(c, j, "max"))
                agg = STORE_ZAGG_MAX;
            else
                bad = 1;
            j++;
        } else if (!dst && !card_only && cmd_arg_is(c, j, "withscores")) {
            j++;
            acc.withscores = 1;
        } else if (card_only && left >= 2 && cmd_arg_is(c, j, "limit")) {
            j++;
            if (!omk_str2ll(c->argv[j].p, c->argv[j].len, &limit) || limit < 0) {
                err = "ERR LIMIT can't be negative";
                bad = 1;
            }
            j++;
        } else {
            bad = 1;
        }
    }
    if (bad) {
        cmd_zsetop_reply_bad_option(c, keys, (size_t)setnum, err);
    } else if (dst) {
        static const char *const events[] = {
            [STORE_SETOP_INTER] = "zinterstore",
            [STORE_SETOP_UNION] = "zunionstore",
            [STORE_SETOP_DIFF] = "zdiffstore",
        };
        int existed = zset_dst_exists(c, *dst);
        unsigned char *reads = notify_reads_begin(c, keys, (size_t)setnum, ZSET_READ_TYPES);

        rc = store_zsetop_store(server.store, c->db, op, *dst, keys, (size_t)setnum, weights, agg,
                                &card);
        notify_reads_end(c, keys, (size_t)setnum, reads); /* the sources, read first */
        if (rc == STORE_OK)
            zset_notify_store(c, *dst, events[op], card, existed);
        reply_store_int(c, rc, (long long)card);
    } else if (card_only) {
        unsigned char *reads = notify_reads_begin(c, keys, (size_t)setnum, ZSET_READ_TYPES);

        rc = store_zsetop(server.store, c->db, op, keys, (size_t)setnum, NULL, agg, (uint64_t)limit,
                          NULL, NULL, &card);
        notify_reads_end(c, keys, (size_t)setnum, reads);
        reply_store_int(c, rc, (long long)card);
    } else {
        unsigned char *reads = notify_reads_begin(c, keys, (size_t)setnum, ZSET_READ_TYPES);

        acc.nested = acc.withscores && c->proto >= 3;
        reply_deferred_begin(c);
        rc = store_zsetop(server.store, c->db, op, keys, (size_t)setnum, weights, agg, 0,
                          cmd_zset_member, &acc, &card);
        notify_reads_end(c, keys, (size_t)setnum, reads);
        cmd_zset_reply_members(&acc, rc, card);
    }
    omk_free(weights);
}

/* ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] */
void cmd_zunion(struct client *c)
{
    cmd_zsetop_generic(c, NULL, 1, STORE_SETOP_UNION, 0);
}

/* ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] */
void cmd_zinter(struct client *c)
{
    cmd_zsetop_generic(c, NULL, 1, STORE_SETOP_INTER, 0);
}

/* ZDIFF numkeys key [key ...] [WITHSCORES] */
void cmd_zdiff(struct client *c)
{
    cmd_zsetop_generic(c, NULL, 1, STORE_SETOP_DIFF, 0);
}

/* ZUNIONSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] */
void cmd_zunionstore(struct client *c)
{
    cmd_zsetop_generic(c, &c->argv[1], 2, STORE_SETOP_UNION, 0);
}

/* ZINTERSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] */
void cmd_zinterstore(struct client *c)
{
    cmd_zsetop_generic(c, &c->argv[1], 2, STORE_SETOP_INTER, 0);
}

/* ZDIFFSTORE dst numkeys key [key ...] */
void cmd_zdiffstore(struct client *c)
{
    cmd_zsetop_generic(c, &c->argv[1], 2, STORE_SETOP_DIFF, 0);
}

/* ZINTERCARD numkeys key [key ...] [LIMIT limit]: the size of the intersection,
 * counting stops at 'limit' (0: no limit). */
void cmd_zintercard(struct client *c)
{
    cmd_zsetop_generic(c, NULL, 1, STORE_SETOP_INTER, 1);
}

/* ---- ZSCAN ------------------------------------------------------------------------- */

/* ZSCAN's adapter from the store's members and scores to cmd_coll_scan_generic()'s
 * pairs: the score as text, written as Redis 7.0's ZSCAN writes it. */
struct zscan_adapter {
    store_pair_cb *cb;
    void *arg;
    int big; /* Redis' skiplist encoding: the score as "%.17g"; listpack: as stored there */
};

/* A score as ZSCAN's text into 'buf' (at least 32 bytes); returns the length. Redis
 * keeps a listpack's scores as text, or as an integer when the score is one within
 * +-LLONG_MAX/2 (so -0 reads "0" there); a skiplist's are printed with 17 digits. */
static size_t zscan_score_text(char *buf, size_t cap, double d, int big)
{
    if (isinf(d))
        return (size_t)snprintf(buf, cap, "%s", d > 0 ? "inf" : "-inf");
    if (!big && d >= (double)(-LLONG_MAX / 2) && d <= (double)(LLONG_MAX / 2) &&
        (double)(long long)d == d)
        return omk_ll2str(buf, (long long)d);
    return (size_t)snprintf(buf, cap, "%.17g", d);
}

/* Store callback: a member and its score, passed on as a field and its value. */
static int zscan_pair(void *arg, struct omk_slice member, double score)
{
    struct zscan_adapter *a = arg;
    char buf[64];
    struct omk_slice text = {buf, zscan_score_text(buf, sizeof(buf), score, a->big)};

    return a->cb(a->arg, member, text);
}

/* store_zscan() in the shape of cmd_coll_scan_fn. The encoding is read first, from RAM,
 * to print the scores as Redis would. */
static int zscan_store(struct store *s, int db, struct omk_slice key, uint64_t cursor,
                       const char *pat, size_t plen, size_t count, store_pair_cb *cb, void *arg,
                       uint64_t *next)
{
    struct zscan_adapter a = {cb, arg, 0};
    struct store_keyinfo ki;

    if (store_keyinfo(s, db, key, &ki) == STORE_OK)
        a.big = ki.big;
    return store_zscan(s, db, key, cursor, pat, plen, count, zscan_pair, &a, next);
}

/* ZSCAN key cursor [MATCH pattern] [COUNT count]: member, score, member, score ... */
void cmd_zscan(struct client *c)
{
    cmd_coll_scan_generic(c, zscan_store, STORE_TYPE_ZSET, 1);
}

/* ---- Blocking pops (daemon/blocking.c) ---- */
/* Each handler below runs once when the command arrives and again each time a key it
 * waits on wakes it (blocking.c): blocking_begin_or_reply() parses the timeout and says
 * which keys to pop from (all, or the one that woke it); a pop that found nothing goes
 * to blocking_end(), which parks the client, keeps it parked, or answers inside EXEC. */

/* BZPOPMIN / BZPOPMAX key [key ...] timeout: [key, member, score] from 'end' of the first
 * key that holds a sorted set (the score a bulk in RESP2, a double in RESP3). */
static void cmd_bzpop_generic(struct client *c, enum store_end end)
{
    struct zset_acc acc = {c, 1, 0}; /* member, score: flat */
    struct blocking_pop bp;
    size_t which = 0, n = 0;
    int rc;

    if (!blocking_begin_or_reply(c, c->argv[c->argc - 1], &c->argv[1], (size_t)c->argc - 2, &bp))
        return;
    reply_deferred_begin(c);
    rc = store_zmpop(server.store, c->db, bp.keys, bp.nkeys, end, 1, cmd_zset_member, &acc, &which,
                     &n);
    if (rc == STORE_OK)
        zset_notify_pop(c, bp.keys[which], end, n);
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
    struct zset_acc acc = {c, 1, 1}; /* [member, score] each, as ZMPOP */
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
                     cmd_zset_member, &acc, &which, &n);
    if (rc == STORE_OK)
        zset_notify_pop(c, bp.keys[which], end, n);
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
