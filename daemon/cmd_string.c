/* cmd_string.c - string commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET
 * MSET MSETNX APPEND STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT GETRANGE SUBSTR SETRANGE
 * LCS. Each parses its arguments, makes one store call and replies; the store makes the
 * call atomic (read-modify-writes run under the key's stripe, in store/ops_string.c).
 * SET's options are parsed in one place, shared by SET and GETEX. */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/notify.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

/* Whether store outcome 'rc' means the key was found, for INFO's keyspace hits: a key
 * of another type was found too (Redis counts the lookup before it checks the type). */
static int cmd_found(int rc)
{
    return rc == STORE_OK || rc == STORE_WRONGTYPE;
}

/* Where a command's arguments are wrong, Redis 7.0 may look the key up first: find
 * whether 'key' is missing or a string. Returns 1 with '*exists', or 0 after replying
 * WRONGTYPE (it holds another type) or the store's error. */
static int cmd_string_key_or_reply(struct client *c, struct omk_slice key, int *exists)
{
    struct store_keyinfo ki;
    int rc = store_keyinfo(server.store, c->db, key, &ki);

    if (rc == STORE_OK && ki.type != STORE_TYPE_STRING)
        rc = STORE_WRONGTYPE;
    if (rc != STORE_OK && rc != STORE_NOTFOUND) {
        reply_err_store(c, rc);
        return 0;
    }
    *exists = rc == STORE_OK;
    return 1;
}

/* Values longer than this, stored in fragments, are streamed by GET (conn_stream_start). */
#define GET_STREAM_MIN (1024 * 1024)

/* GET key */
void cmd_get(struct client *c)
{
    struct store_reader *r = NULL;
    struct store_val *v = NULL;
    int rc = conn_may_stream(c)
                 ? store_get_reader(server.store, c->db, c->argv[1], GET_STREAM_MIN, &v, &r)
                 : store_get(server.store, c->db, c->argv[1], &v);

    cmd_count_lookup(c, cmd_found(rc));
    if (rc == STORE_NOTFOUND)
        notify_keymiss(c, c->argv[1]);
    if (r)
        conn_stream_start(c, r);
    else
        reply_store_val(c, rc, v);
}

/* What is wrong with an expiry argument (cmd_expire_arg). */
enum cmd_expire_err { CMD_EXPIRE_OK = 0, CMD_EXPIRE_NOTINT, CMD_EXPIRE_INVALID };

/* The checks of cmd_expire_arg_or_reply() without the reply: CMD_EXPIRE_OK with the
 * absolute time in '*out_ms', or what is wrong with 'arg'. */
static enum cmd_expire_err cmd_expire_arg(struct omk_slice arg, enum expire_unit unit,
                                          int relative, int64_t *out_ms)
{
    long long v;

    if (!omk_str2ll(arg.p, arg.len, &v))
        return CMD_EXPIRE_NOTINT;
    if (v <= 0 || (unit == UNIT_SECONDS && v > INT64_MAX / 1000))
        return CMD_EXPIRE_INVALID;
    if (unit == UNIT_SECONDS)
        v *= 1000;
    if (relative) {
        int64_t now = omk_now_ms();

        if (v > INT64_MAX - now)
            return CMD_EXPIRE_INVALID;
        v += now;
    }
    *out_ms = v;
    return CMD_EXPIRE_OK;
}

/* Reply the error 'err' (not CMD_EXPIRE_OK) names, worded as Redis words it. */
static void cmd_expire_reply_err(struct client *c, enum cmd_expire_err err)
{
    if (err == CMD_EXPIRE_NOTINT)
        reply_err_not_int(c);
    else
        reply_error_fmt(c, "ERR invalid expire time in '%s' command", cmd_current_name(c));
}

int cmd_expire_arg_or_reply(struct client *c, struct omk_slice arg, enum expire_unit unit,
                            int relative, int64_t *out_ms)
{
    enum cmd_expire_err err = cmd_expire_arg(arg, unit, relative, out_ms);

    if (err != CMD_EXPIRE_OK)
        cmd_expire_reply_err(c, err);
    return err == CMD_EXPIRE_OK;
}

/* The expiry option of a SET-style command line, not yet checked. */
struct set_expire {
    const struct omk_slice *arg; /* the time argument; NULL: no EX/PX/EXAT/PXAT */
    enum expire_unit unit;
    int relative;                /* EX or PX: counted from now */
};

/* The syntax half of cmd_set_options_or_reply(): the CMD_SET_* bits given in '*flags'
 * (CMD_SET_EXPIRE not yet) and the expiry option, unchecked, in '*e'. Returns 1, or replies "syntax
 * error" and returns 0. */
static int cmd_set_options_parse_or_reply(struct client *c, int first, int allowed, int *flags,
                                          struct set_expire *e)
{
    const struct omk_slice *expire = NULL;
    enum expire_unit unit = UNIT_SECONDS;
    int relative = 1, f = 0;

    for (int i = first; i < c->argc; i++) {
        const struct omk_slice *a = &c->argv[i];
        int has_next = i + 1 < c->argc;
        int is_ex = cmd_word_is(a, "ex"), is_px = cmd_word_is(a, "px");
        int is_exat = cmd_word_is(a, "exat"), is_pxat = cmd_word_is(a, "pxat");

        if ((allowed & CMD_SET_NX) && cmd_word_is(a, "nx") && !(f & CMD_SET_XX)) {
            f |= CMD_SET_NX;
        } else if ((allowed & CMD_SET_XX) && cmd_word_is(a, "xx") && !(f & CMD_SET_NX)) {
            f |= CMD_SET_XX;
        } else if ((allowed & CMD_SET_GET) && cmd_word_is(a, "get")) {
            f |= CMD_SET_GET;
        } else if ((allowed & CMD_SET_KEEPTTL) && cmd_word_is(a, "keepttl") && !expire &&
                   !(f & CMD_SET_PERSIST)) {
            f |= CMD_SET_KEEPTTL;
        } else if ((allowed & CMD_SET_PERSIST) && cmd_word_is(a, "persist") && !expire) {
            f |= CMD_SET_PERSIST;
        } else if ((is_ex || is_px || is_exat || is_pxat) && has_next &&
                   !(f & (CMD_SET_KEEPTTL | CMD_SET_PERSIST)) &&
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
    *flags = f;
    e->arg = expire;
    e->unit = unit;
    e->relative = relative;
    return 1;
}

int cmd_set_options_or_reply(struct client *c, int first, int allowed, int *flags,
                             int64_t *expire_ms)
{
    struct set_expire e;
    int f;

    /* As Redis: every option is checked for syntax first; the expiry value is parsed
     * only once the whole line is known to be well formed. */
    if (!cmd_set_options_parse_or_reply(c, first, allowed, &f, &e))
        return 0;
    *expire_ms = 0;
    if (e.arg && !cmd_expire_arg_or_reply(c, *e.arg, e.unit, e.relative, expire_ms))
        return 0;
    if (e.arg)
        f |= CMD_SET_EXPIRE;
    *flags = f;
    return 1;
}

/* The STORE_SET_* bits for SET-style options 'flags' (CMD_SET_*). CMD_SET_EXPIRE has no
 * store bit: store_set() takes the expiry itself; CMD_SET_PERSIST is GETEX's alone. */
static int cmd_set_store_flags(int flags)
{
    OMK_ASSERT(!(flags & CMD_SET_PERSIST));
    return (flags & CMD_SET_NX ? STORE_SET_NX : 0) | (flags & CMD_SET_XX ? STORE_SET_XX : 0) |
           (flags & CMD_SET_GET ? STORE_SET_GET : 0) |
           (flags & CMD_SET_KEEPTTL ? STORE_SET_KEEPTTL : 0);
}

/* The core of SET, SETNX, SETEX, PSETEX and GETSET: write 'val' at c->argv[1] as the
 * CMD_SET_* bits of 'flags' say, expiring at 'expire_ms' (0: never), and reply: the
 * old value or nil with CMD_SET_GET (WRONGTYPE, and nothing written, when the key holds
 * another type); otherwise +OK or nil (NX/XX refused), or :1 / :0 when 'int_reply'
 * (SETNX). Without GET, a key of any type is overwritten, as in Redis. */
static void cmd_set_generic(struct client *c, struct omk_slice val, int flags, int64_t expire_ms,
                            int int_reply)
{
    struct store_val *old = NULL;
    int rc = store_set(server.store, c->db, c->argv[1], val, cmd_set_store_flags(flags),
                       expire_ms, (flags & CMD_SET_GET) ? &old : NULL);

    if (rc < 0 || rc == STORE_WRONGTYPE) {
        if (rc == STORE_WRONGTYPE)
            cmd_count_lookup(c, 1);
        reply_err_store(c, rc);
        return;
    }
    if (flags & CMD_SET_GET) {
        cmd_count_lookup(c, old != NULL);
        if (!old)
            notify_keymiss(c, c->argv[1]); /* Redis' GET looks first */
    }
    if (rc == STORE_OK) {
        notify_event(c, NOTIFY_STRING, "set", c->argv[1]);
        if (expire_ms != 0)
            notify_event(c, NOTIFY_GENERIC, "expire", c->argv[1]);
    }
    if (flags & CMD_SET_GET) {
        if (old)
            reply_bulk_val(c, old);
        else
            reply_null(c);
    } else if (int_reply) {
        reply_int(c, rc == STORE_OK);
    } else if (rc == STORE_NOTSET) {
        reply_null(c);
    } else {
        reply_ok(c);
    }
}

/* SET key value [NX | XX] [GET] [EX seconds | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL] */
void cmd_set(struct client *c)
{
    int flags;
    int64_t expire_ms;

    if (!cmd_set_options_or_reply(c, 3, CMD_SET_NX | CMD_SET_XX | CMD_SET_GET | CMD_SET_KEEPTTL,
                                  &flags, &expire_ms))
        return;
    cmd_set_generic(c, c->argv[2], flags, expire_ms, 0);
}

/* SETNX key value: 1 if the key was set, 0 if it existed. */
void cmd_setnx(struct client *c)
{
    cmd_set_generic(c, c->argv[2], CMD_SET_NX, 0, 1);
}

/* SETEX key seconds value / PSETEX key milliseconds value: SET with EX / PX. */
static void cmd_setex_generic(struct client *c, enum expire_unit unit)
{
    int64_t expire_ms;

    if (cmd_expire_arg_or_reply(c, c->argv[2], unit, 1, &expire_ms))
        cmd_set_generic(c, c->argv[3], 0, expire_ms, 0);
}

void cmd_setex(struct client *c)
{
    cmd_setex_generic(c, UNIT_SECONDS);
}

void cmd_psetex(struct client *c)
{
    cmd_setex_generic(c, UNIT_MS);
}

/* GETSET key value: SET ... GET (the expiry is cleared). */
void cmd_getset(struct client *c)
{
    cmd_set_generic(c, c->argv[2], CMD_SET_GET, 0, 0);
}

/* MGET key [key ...]: nil for each missing key, and for a key of another type. The keys
 * go to the store in batches, whose uncached values are read with one MultiGet each. */
void cmd_mget(struct client *c)
{
    struct store_val *vals[STORE_MGET_MAX];
    int rcs[STORE_MGET_MAX];

    reply_array_len(c, c->argc - 1);
    for (int at = 1; at < c->argc; at += STORE_MGET_MAX) {
        size_t n = (size_t)(c->argc - at) < STORE_MGET_MAX ? (size_t)(c->argc - at)
                                                           : STORE_MGET_MAX;

        store_mget(server.store, c->db, &c->argv[at], n, vals, rcs);
        for (size_t i = 0; i < n; i++) {
            cmd_count_lookup(c, cmd_found(rcs[i]));
            if (rcs[i] == STORE_NOTFOUND)
                notify_keymiss(c, c->argv[at + i]);
            if (rcs[i] == STORE_OK)
                reply_bulk_val(c, vals[i]);
            else
                reply_null(c); /* an element of an array cannot be an error in RESP2 */
        }
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
    if (rc < 0) {
        reply_err_store(c, rc);
        return;
    }
    for (int i = 1; i < c->argc; i += 2)
        notify_event(c, NOTIFY_STRING, "set", c->argv[i]);
    reply_ok(c);
}

/* MSETNX key value [key value ...]: 1 if all were set, 0 (and nothing set) if any
 * existed. */
void cmd_msetnx(struct client *c)
{
    int rc;

    if (c->argc % 2 == 0) {
        reply_err_arity(c);
        return;
    }
    rc = store_msetnx(server.store, c->db, &c->argv[1], (size_t)(c->argc - 1) / 2);
    if (rc < 0) {
        reply_err_store(c, rc);
        return;
    }
    for (int i = 1; rc == STORE_OK && i < c->argc; i += 2)
        notify_event(c, NOTIFY_STRING, "set", c->argv[i]);
    reply_int(c, rc == STORE_OK);
}

/* Reply the error for store outcome 'rc' of a string operation (an error code or one of
 * enum store_string_rc), worded as Redis words it. */
static void cmd_string_reply_rc(struct client *c, int rc)
{
    switch (rc) {
    case STORE_NOTINT: reply_err_not_int(c); break;
    case STORE_OVERFLOW: reply_error(c, "ERR increment or decrement would overflow"); break;
    case STORE_NOTFLOAT: reply_error(c, "ERR value is not a valid float"); break;
    case STORE_NANINF: reply_error(c, "ERR increment would produce NaN or Infinity"); break;
    case STORE_TOOBIG:
        reply_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        break;
    default: OMK_ASSERT(rc < 0 || rc == STORE_WRONGTYPE); reply_err_store(c, rc); break;
    }
}

/* proto-max-bulk-len now: the longest string a command may build. */
static size_t cmd_max_string_len(void)
{
    long long v = atomic_load(&server.cfg.proto_max_bulk_len);

    return v > 0 && (unsigned long long)v < SIZE_MAX ? (size_t)v : SIZE_MAX;
}

/* The core of INCR, DECR, INCRBY and DECRBY: add 'incr' and reply the result. */
static void cmd_incrdecr_generic(struct client *c, long long incr)
{
    long long v;
    int rc = store_incrby(server.store, c->db, c->argv[1], incr, &v);

    if (rc == STORE_OK)
        notify_event(c, NOTIFY_STRING, "incrby", c->argv[1]);
    if (rc == STORE_OK)
        reply_int(c, v);
    else
        cmd_string_reply_rc(c, rc);
}

/* INCR key */
void cmd_incr(struct client *c)
{
    cmd_incrdecr_generic(c, 1);
}

/* DECR key */
void cmd_decr(struct client *c)
{
    cmd_incrdecr_generic(c, -1);
}

/* INCRBY key increment */
void cmd_incrby(struct client *c)
{
    long long incr;

    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &incr))
        reply_err_not_int(c);
    else
        cmd_incrdecr_generic(c, incr);
}

/* DECRBY key decrement */
void cmd_decrby(struct client *c)
{
    long long decr;

    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &decr))
        reply_err_not_int(c);
    else if (decr == LLONG_MIN) /* its negation does not exist */
        reply_error(c, "ERR decrement would overflow");
    else
        cmd_incrdecr_generic(c, -decr);
}

/* INCRBYFLOAT key increment: the new value, as stored, in a bulk string. As Redis 7.0,
 * a key of another type is reported before a bad increment. */
void cmd_incrbyfloat(struct client *c)
{
    char out[STORE_FLOAT_STR_MAX];
    long double incr;
    size_t n;
    int rc, exists;

    if (!omk_str2ld(c->argv[2].p, c->argv[2].len, &incr)) {
        if (cmd_string_key_or_reply(c, c->argv[1], &exists))
            reply_error(c, "ERR value is not a valid float");
        return;
    }
    rc = store_incrbyfloat(server.store, c->db, c->argv[1], incr, out, &n);
    if (rc == STORE_OK)
        notify_event(c, NOTIFY_STRING, "incrbyfloat", c->argv[1]);
    if (rc == STORE_OK)
        reply_bulk(c, out, n);
    else
        cmd_string_reply_rc(c, rc);
}

/* APPEND key value: the length after appending. */
void cmd_append(struct client *c)
{
    size_t n;
    int rc = store_append(server.store, c->db, c->argv[1], c->argv[2], cmd_max_string_len(), &n);

    if (rc == STORE_OK)
        notify_event(c, NOTIFY_STRING, "append", c->argv[1]);
    if (rc == STORE_OK)
        reply_int(c, (long long)n);
    else
        cmd_string_reply_rc(c, rc);
}

/* SETRANGE key offset value: the length after the write. */
void cmd_setrange(struct client *c)
{
    long long offset;
    size_t n;
    int rc;

    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &offset)) {
        reply_err_not_int(c);
        return;
    }
    if (offset < 0) {
        reply_error(c, "ERR offset is out of range");
        return;
    }
    rc = store_setrange(server.store, c->db, c->argv[1], (size_t)offset, c->argv[3],
                        cmd_max_string_len(), &n);
    if (rc == STORE_OK && c->argv[3].len > 0) /* an empty value writes nothing */
        notify_event(c, NOTIFY_STRING, "setrange", c->argv[1]);
    if (rc == STORE_OK)
        reply_int(c, (long long)n);
    else
        cmd_string_reply_rc(c, rc);
}

/* GETRANGE key start end: the bytes from 'start' to 'end' inclusive, clamped as Redis
 * does (store_getrange); a missing key reads as the empty string. */
void cmd_getrange(struct client *c)
{
    long long start, end;
    struct store_val *v;
    int rc;

    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &start) ||
        !omk_str2ll(c->argv[3].p, c->argv[3].len, &end)) {
        reply_err_not_int(c);
        return;
    }
    rc = store_getrange(server.store, c->db, c->argv[1], start, end, &v);
    cmd_count_lookup(c, cmd_found(rc));
    if (rc == STORE_NOTFOUND)
        notify_keymiss(c, c->argv[1]);
    if (rc < 0 || rc == STORE_WRONGTYPE) {
        reply_err_store(c, rc);
        return;
    }
    if (rc == STORE_NOTFOUND || !v)
        reply_bulk(c, "", 0);
    else
        reply_bulk_val(c, v); /* a large range goes out without a copy */
}

/* SUBSTR key start end: the old name of GETRANGE. */
void cmd_substr(struct client *c)
{
    cmd_getrange(c);
}

/* STRLEN key: 0 for a missing key. */
void cmd_strlen(struct client *c)
{
    size_t n = 0;
    int rc = store_strlen(server.store, c->db, c->argv[1], &n);

    cmd_count_lookup(c, cmd_found(rc));
    if (rc == STORE_NOTFOUND)
        notify_keymiss(c, c->argv[1]);
    if (rc < 0 || rc == STORE_WRONGTYPE)
        reply_err_store(c, rc);
    else
        reply_int(c, rc == STORE_OK ? (long long)n : 0);
}

/* Reply the value a GETDEL or GETEX returned ('rc' STORE_OK, with 'v') or nil. */
static void cmd_reply_got(struct client *c, int rc, struct store_val *v)
{
    cmd_count_lookup(c, cmd_found(rc));
    if (rc == STORE_NOTFOUND)
        notify_keymiss(c, c->argv[1]);
    reply_store_val(c, rc, v);
}

/* GETDEL key: the value, then the key is gone; nil if it did not exist. */
void cmd_getdel(struct client *c)
{
    struct store_val *v = NULL;
    int rc = store_getdel(server.store, c->db, c->argv[1], &v);

    if (rc == STORE_OK)
        notify_event(c, NOTIFY_GENERIC, "del", c->argv[1]);
    cmd_reply_got(c, rc, v);
}

/* GETEX key [EX seconds | PX ms | EXAT unix-s | PXAT unix-ms | PERSIST]: the value, and
 * the expiry changed as asked (none: left alone). As Redis, a syntax error comes first,
 * then a missing key (nil) or one of another type (WRONGTYPE), and only then a bad
 * expiry value. */
void cmd_getex(struct client *c)
{
    enum store_getex_mode mode = STORE_GETEX_KEEP;
    struct store_val *v = NULL;
    struct set_expire e;
    int64_t expire_ms = 0;
    int flags, rc, exists;

    if (!cmd_set_options_parse_or_reply(c, 2, CMD_SET_PERSIST, &flags, &e))
        return;
    if (e.arg) {
        enum cmd_expire_err err = cmd_expire_arg(*e.arg, e.unit, e.relative, &expire_ms);

        if (err != CMD_EXPIRE_OK) {
            if (!cmd_string_key_or_reply(c, c->argv[1], &exists))
                return;
            cmd_count_lookup(c, exists);
            if (!exists)
                notify_keymiss(c, c->argv[1]);
            if (!exists)
                reply_null(c);
            else
                cmd_expire_reply_err(c, err);
            return;
        }
        mode = STORE_GETEX_SET;
    } else if (flags & CMD_SET_PERSIST) {
        mode = STORE_GETEX_PERSIST;
    }
    rc = store_getex(server.store, c->db, c->argv[1], mode, expire_ms, &v);
    if (rc == STORE_OK && mode == STORE_GETEX_SET)
        notify_event(c, NOTIFY_GENERIC, expire_ms <= omk_now_ms() ? "del" : "expire", c->argv[1]);
    else if (rc == STORE_OK && mode == STORE_GETEX_PERSIST && v->expire_ms != 0)
        notify_event(c, NOTIFY_GENERIC, "persist", c->argv[1]);
    cmd_reply_got(c, rc, v);
}

/* ---- LCS ---------------------------------------------------------------------------- */

/* One run of bytes LCS IDX reports: a[a0..a1] (inclusive) matches b[b0..b1]. */
struct lcs_run {
    uint32_t a0, a1, b0, b1;
};

/* What LCS computed, for its reply. */
struct lcs_result {
    uint32_t len;         /* length of the longest common subsequence */
    char *str;            /* the subsequence itself (when asked for), omk_free */
    struct lcs_run *runs; /* the runs, from the ends of the strings backwards, omk_free */
    size_t nruns, cap;
};

static void lcs_add_run(struct lcs_result *res, const struct lcs_run *r)
{
    if (res->nruns == res->cap) {
        res->cap = res->cap ? 2 * res->cap : 16;
        res->runs = omk_realloc(res->runs, res->cap * sizeof(*res->runs));
    }
    res->runs[res->nruns++] = *r;
}

/* HOW IT WORKS: the textbook dynamic program. T(i, j), for 0 <= i <= alen and
 * 0 <= j <= blen, is the length of the longest common subsequence of the first i bytes
 * of 'a' and the first j bytes of 'b': 0 on the borders, T(i-1, j-1) + 1 when
 * a[i-1] == b[j-1], else the larger of T(i-1, j) and T(i, j-1). T(alen, blen) is the
 * answer. To recover the subsequence, walk back from (alen, blen): equal bytes belong
 * to it (they are collected from its end); otherwise step to the neighbour with the
 * larger T, preferring j-1 on a tie, the rule Redis uses, so that IDX reports the very
 * runs Redis reports. Matches made by consecutive diagonal steps form one run; a run is
 * reported when the walk leaves the diagonal or reaches the first byte of either
 * string, if it is at least 'minlen' bytes long.
 *
 * 'table' holds (alen+1)*(blen+1) cells. With 'want_str' the subsequence goes to
 * res->str; with 'want_runs' the runs go to res->runs. */
static void lcs_compute(const char *a, uint32_t alen, const char *b, uint32_t blen,
                        uint32_t *table, long long minlen, int want_str, int want_runs,
                        struct lcs_result *res)
{
#define T(i, j) table[(size_t)(i) * ((size_t)blen + 1) + (j)]
    uint32_t i, j, k;
    struct lcs_run cur;
    int open = 0; /* 'cur' holds a run not yet reported */

    for (i = 0; i <= alen; i++) {
        for (j = 0; j <= blen; j++) {
            if (i == 0 || j == 0)
                T(i, j) = 0;
            else if (a[i - 1] == b[j - 1])
                T(i, j) = T(i - 1, j - 1) + 1;
            else
                T(i, j) = T(i - 1, j) > T(i, j - 1) ? T(i - 1, j) : T(i, j - 1);
        }
    }
    res->len = T(alen, blen);
    if (want_str)
        res->str = omk_malloc(res->len ? res->len : 1);
    if (!want_str && !want_runs)
        return;
    i = alen;
    j = blen;
    k = res->len;
    while (i > 0 && j > 0) {
        int close = 0;

        if (a[i - 1] == b[j - 1]) {
            if (want_str)
                res->str[k - 1] = a[i - 1];
            if (!open) {
                cur.a0 = cur.a1 = i - 1;
                cur.b0 = cur.b1 = j - 1;
                open = 1;
            } else if (cur.a0 == i && cur.b0 == j) {
                cur.a0--;
                cur.b0--;
            } else {
                close = 1;
            }
            if (cur.a0 == 0 || cur.b0 == 0)
                close = 1;
            k--;
            i--;
            j--;
        } else {
            if (T(i - 1, j) > T(i, j - 1))
                i--;
            else
                j--;
            close = open;
        }
        if (close) {
            if (want_runs && (minlen == 0 || (long long)(cur.a1 - cur.a0 + 1) >= minlen))
                lcs_add_run(res, &cur);
            open = 0;
        }
    }
#undef T
}

/* LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common
 * subsequence of two strings (a missing key reads as ""), its length (LEN), or the
 * matching runs and the length (IDX). As Redis 7.0, the keys are read before the options
 * are looked at, and a key of another type is "The specified keys must contain string
 * values". Each key is read on its own: a write to one of them between the two reads
 * may be seen. */
void cmd_lcs(struct client *c)
{
    int getlen = 0, getidx = 0, withlen = 0, rc;
    long long minlen = 0;
    struct store_val *v[2] = { NULL, NULL };
    struct omk_slice s[2];
    struct lcs_result res;
    unsigned long long cells;
    uint32_t *table;

    for (int k = 0; k < 2; k++) {
        rc = store_get(server.store, c->db, c->argv[1 + k], &v[k]);
        cmd_count_lookup(c, cmd_found(rc));
        if (rc == STORE_NOTFOUND)
            notify_keymiss(c, c->argv[1 + k]);
        if (rc == STORE_WRONGTYPE) {
            reply_error(c, "ERR The specified keys must contain string values");
            goto out;
        }
        if (rc < 0) {
            reply_err_store(c, rc);
            goto out;
        }
        s[k].p = rc == STORE_OK ? v[k]->data : "";
        s[k].len = rc == STORE_OK ? v[k]->len : 0;
    }
    for (int i = 3; i < c->argc; i++) {
        const struct omk_slice *a = &c->argv[i];

        if (cmd_word_is(a, "idx")) {
            getidx = 1;
        } else if (cmd_word_is(a, "len")) {
            getlen = 1;
        } else if (cmd_word_is(a, "withmatchlen")) {
            withlen = 1;
        } else if (cmd_word_is(a, "minmatchlen") && i + 1 < c->argc) {
            i++;
            if (!omk_str2ll(c->argv[i].p, c->argv[i].len, &minlen)) {
                reply_err_not_int(c);
                goto out;
            }
            if (minlen < 0)
                minlen = 0;
        } else {
            reply_err_syntax(c);
            goto out;
        }
    }
    if (getlen && getidx) {
        reply_error(c, "ERR If you want both the length and indexes, please just use IDX.");
        goto out;
    }
    if (s[0].len >= UINT32_MAX - 1 || s[1].len >= UINT32_MAX - 1) {
        reply_error(c, "ERR String too long for LCS");
        goto out;
    }
    cells = (unsigned long long)(s[0].len + 1) * (s[1].len + 1);
    table = NULL;
    if (cells <= SIZE_MAX / sizeof(*table)) {
        if (cells * sizeof(*table) > cmd_max_string_len()) {
            reply_error(c, "ERR Insufficient memory, transient memory for LCS exceeds "
                           "proto-max-bulk-len");
            goto out;
        }
        /* A client-sized transient buffer: fail the command, not the server (Redis too
         * uses a non-aborting allocation here). */
        table = malloc(cells * sizeof(*table));
    }
    if (!table) {
        reply_error(c, "ERR Insufficient memory, failed allocating transient memory for LCS");
        goto out;
    }
    memset(&res, 0, sizeof(res));
    lcs_compute(s[0].p, (uint32_t)s[0].len, s[1].p, (uint32_t)s[1].len, table, minlen,
                !getidx && !getlen, getidx, &res);
    free(table);
    if (getidx) {
        reply_map_len(c, 2);
        reply_bulk_cstr(c, "matches");
        reply_array_len(c, (long long)res.nruns);
        for (size_t i = 0; i < res.nruns; i++) {
            const struct lcs_run *r = &res.runs[i];

            reply_array_len(c, 2 + withlen);
            reply_array_len(c, 2);
            reply_int(c, r->a0);
            reply_int(c, r->a1);
            reply_array_len(c, 2);
            reply_int(c, r->b0);
            reply_int(c, r->b1);
            if (withlen)
                reply_int(c, (long long)r->a1 - r->a0 + 1);
        }
        reply_bulk_cstr(c, "len");
        reply_int(c, res.len);
    } else if (getlen) {
        reply_int(c, res.len);
    } else {
        reply_bulk(c, res.str, res.len);
    }
    omk_free(res.str);
    omk_free(res.runs);
out:
    store_val_release(v[0]);
    store_val_release(v[1]);
}
