/* omenkv-difffuzz - a differential fuzzer: the same random command stream goes to two
 * servers (omenkv and redis-server 7.0, or two Redis servers to check the fuzzer itself)
 * and their replies are compared; the first difference is printed with the seed, the
 * command number, the command and both replies, and the exit status is 1.
 *
 * HOW IT WORKS. hiredis connects (--a, --b) and formats each command; the replies are
 * read by a RESP2/RESP3 parser of our own (Debian's hiredis 0.14 has no RESP3 types),
 * into trees that keep every type byte. Both servers are FLUSHALLed, sent HELLO 2 or 3
 * (--proto; "alt" switches at random moments), then each command goes to both before
 * either reply is read. A command is drawn from the enabled families (--families): the
 * string commands, the hash and set commands of issue 20, the list and sorted-set
 * commands of issue 21, the blocking pops (see "blocking pops" below: each is an episode
 * on two more connections per server), and the generic key commands (DEL EXISTS TYPE
 * EXPIRE... COPY MOVE SELECT OBJECT ENCODING DBSIZE SCAN), over a small key space
 * (--keys, 8; 10 with lists, sorted sets or blocking pops) in two databases, so types
 * collide and WRONGTYPE, arity and number errors come up on their own; a few percent of
 * commands get a wrong arity. Scores mix small integers (equal scores), decimals, the
 * infinities, -0, 17-digit values and ones Redis refuses; lex ranges are sent only when
 * the sorted set's scores are all equal (Redis leaves the rest unspecified).
 * Fields and members mix small integers (sets start as intsets), integers at the edges
 * of int16/int32/int64 and of what Redis takes for an integer ("-0", "007", "+5"),
 * strings, and values above 64 bytes (hashes leave listpack). A phase now and then grows
 * one key to 100-3000 elements with bulk HSET/SADD/RPUSH/ZADD and then, most times,
 * sweeps the same elements away (HDEL SREM SPOP, pops, LTRIM, LREM, ZREM, ZREMRANGEBY*):
 * Redis' entry and 64-byte limits and omenkv's inline/split boundary
 * (collection-inline-max-bytes) are crossed both ways.
 *
 * Issue 22's families (see "bitmaps, large strings and HyperLogLogs" below): "bitmap"
 * (SETBIT GETBIT BITCOUNT BITPOS with BYTE|BIT ranges, BITOP over several keys,
 * BITFIELD and BITFIELD_RO with random types, offsets and overflow modes, valid or not),
 * "bigstr" (SET APPEND SETRANGE GETRANGE STRLEN GET on values up to ~45 KB, offsets and
 * lengths on both sides of omenkv's 4096-byte fragments and of its fragment threshold,
 * which the harness sets to 256) and "hll" (PFADD PFCOUNT of one and several keys,
 * PFMERGE, PFDEBUG GETREG DECODE ENCODING TODENSE, HyperLogLogs written by hand, damaged
 * with SETRANGE, APPEND and SETBIT). All three copy values between keys: GET on both
 * servers, then, when the two agree, SET of that value on both (DF_COPY). With any of
 * them on, every family that owns keys gets three (--keys). Writes stay below ~45 KB
 * but for a rare value or bit of 1 to 2.5 MB (omenkv streams a GET over 1 MB): a larger
 * valid offset would make both servers allocate up to 512 MB.
 *
 * Issue 24's "script" family (opt-in: "all" leaves it out) sends EVAL of small random
 * scripts made of redis.call/pcall of string and hash commands (g_eval below): the
 * conversions of replies into Lua and back, and the errors raised inside scripts, are
 * compared byte for byte like any reply. It also loads, calls, lists, deletes and
 * flushes function libraries (FUNCTION, FCALL, FCALL_RO: g_fn_load and after).
 *
 * Comparison rules, per command:
 *   - exact: type byte and every byte, errors included (most commands; LRANGE, ZRANGE
 *     and every ordered reply);
 *   - unordered (HKEYS HVALS SMEMBERS SINTER SUNION SDIFF KEYS): same aggregate type,
 *     same multiset of elements; HGETALL: same multiset of (field, value) pairs;
 *   - walks (SCAN, HSCAN, SSCAN, ZSCAN): each server's cursor is followed to 0 on its
 *     own and the sets of keys, members or (field, value) / (member, score) pairs
 *     compared; a first reply that is an error is compared exactly;
 *   - random (SRANDMEMBER, SPOP, HRANDFIELD, ZRANDMEMBER): both servers' collection is
 *     read first (SMEMBERS/HGETALL as multisets, ZRANGE WITHSCORES exactly); then each
 *     reply must have the same shape as the other's, the right count, distinct elements
 *     where the count asks for them, and only members (fields with their values, members
 *     with their scores) of that collection. After an
 *     SPOP that picked differently, server B is given A's pick (SADD of what B popped,
 *     SREM of what A popped) and both sets are read and compared again;
 *   - TTL and PTTL (and EXPIRETIME, PEXPIRETIME): within 1 s / 1000 ms.
 * An error reply from either side always makes the comparison exact. Expiry times are
 * kept far in the future (or in the past for EXPIRE and GETEX, which delete at once), so
 * that nothing expires while the stream runs: whether a key is there never depends on
 * timing. The command stream is a function of the seed (phases do not depend on
 * replies); the replies after an SPOP depend on what the servers picked, and a lex
 * command is left out when its sorted set's scores differ.
 *
 * Exit status: 0 and a line "N commands, 0 differences"; 1 on a difference (or a self
 * check, --debug-check, that failed); 2 on a usage or connection error. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#define DF_MAX_ARGS 256    /* arguments of one generated command */
#define DF_MAX_WALK 200000 /* SCAN calls before a walk is declared endless */
#define DF_SHOW_MAX 3000   /* bytes of a reply printed in a report */

/* ---- options ---- */

enum df_family {
    DF_STRING = 1,
    DF_HASH = 2,
    DF_SET = 4,
    DF_KEYS = 8,
    DF_LIST = 16,
    DF_ZSET = 32,
    DF_BLOCK = 64, /* blocking pops on second connections, served from the first */
    DF_PUBSUB = 128, /* PUBLISH SPUBLISH PUBSUB, with no subscriber (no SUBSCRIBE: the
                      * stream's connection would leave request/reply mode) */
    DF_BITMAP = 256, /* issue 22: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD(_RO) */
    DF_BIGSTR = 512, /* issue 22: strings up to ~45 KB across the fragment boundaries */
    DF_HLL = 1024,   /* issue 22: PFADD PFCOUNT PFMERGE PFDEBUG, HLL values copied, damaged */
    DF_SCRIPT = 2048, /* issue 24: EVAL of small random scripts of string and hash calls;
                       * not in "all" (its streams stay those of the seeds before it) */
    DF_SORT = 4096,   /* issue 21: SORT and SORT_RO over the list, set and sorted-set keys,
                       * with the weight and hash keys their patterns name */
};
#define DF_ALL (DF_STRING | DF_HASH | DF_SET | DF_KEYS | DF_LIST | DF_ZSET | DF_BLOCK | \
                DF_PUBSUB | DF_BITMAP | DF_BIGSTR | DF_HLL | DF_SORT)
#define DF_NFAMILIES 13
#define DF_STRS22 (DF_BITMAP | DF_BIGSTR | DF_HLL) /* the string families of issue 22 */

struct df_opts {
    const char *a, *b;        /* host:port */
    uint64_t seed;
    long long commands;
    int families;             /* DF_* bits */
    int proto;                /* 2, 3, or 0: alternate */
    int nkeys;
    int max_diffs;            /* stop after this many differences */
    int trace;                /* print each command */
    const char *exclude;      /* comma-separated command names left out */
    int debug_check;          /* bit 0: DEBUG CHECK on A, bit 1: on B */
    long long check_every;    /* also every N commands (0: only at the end) */
    const char *resp_log;     /* write every command sent to A there, as RESP */
    const char *notify;       /* --notify: notify-keyspace-events flags, NULL: off */
};

static struct df_opts opt;

static void df_usage(void)
{
    fprintf(stderr,
            "Usage: omenkv-difffuzz --a HOST:PORT --b HOST:PORT [options]\n"
            "  --a HOST:PORT        the server under test (omenkv)\n"
            "  --b HOST:PORT        the reference (redis-server 7.0)\n"
            "  --seed N             random seed (default: time; printed)\n"
            "  --commands N         commands to send (default 100000)\n"
            "  --families LIST      string,hash,set,keys,list,zset,block,pubsub,bitmap,bigstr,\n"
            "                       hll, script, sort or all (default all: every one but\n"
            "                       script)\n"
            "  --proto 2|3|alt      HELLO 2, HELLO 3, or switch at random (default 2)\n"
            "  --keys N             key space per database (default 8; 10 with list, zset\n"
            "                       or block; with bitmap, bigstr or hll 3 per family\n"
            "                       that owns keys, at least 6)\n"
            "  --max-diffs N        keep going after a difference (both servers are\n"
            "                       FLUSHALLed and the stream goes on) until N (default 1)\n"
            "  --exclude LIST       command names never generated (e.g. OBJECT,SPOP)\n"
            "  --debug-check a|b|ab DEBUG CHECK (omenkv's self-check) on that server at the\n"
            "                       end, and every --check-every commands; an error fails\n"
            "  --check-every N      (default 0: only at the end)\n"
            "  --notify FLAGS       turn keyspace notifications on (notify-keyspace-events\n"
            "                       FLAGS) and compare the messages of every step\n"
            "  --resp-log FILE      write every command sent to A's stream connection to FILE\n"
            "                       as RESP (replay a prefix with redis-cli --pipe)\n"
            "  --trace              print every command sent to A (\"N: ...\" for the\n"
            "                       stream's command N, \"N+: ...\" for the state reads and\n"
            "                       SCAN steps that follow it)\n");
}

/* ---- random numbers (splitmix64: any seed, 0 included, is fine) ---- */

static uint64_t df_rng;

static uint64_t df_rand(void)
{
    uint64_t z = (df_rng += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A number in [0, n), n > 0. */
static long long df_below(long long n)
{
    return (long long)(df_rand() % (uint64_t)n);
}

/* 1 with probability 'permille'/1000. */
static int df_chance(int permille)
{
    return df_below(1000) < permille;
}

/* ---- replies ---- */

/* One RESP2/RESP3 reply. Simple types keep their line in 'str' (':' and ',' too, so
 * that they compare byte for byte); bulk types their payload; aggregates their elements,
 * a map or attribute 2n of them (key, value, ...). */
struct df_rep {
    char type;               /* the type byte: + - : $ * % ~ _ , # ( = ! > | */
    int null;                /* RESP2 $-1 or *-1 */
    char *str;
    size_t len;
    size_t n;                /* elements */
    struct df_rep **el;
};

static void df_rep_free(struct df_rep *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        df_rep_free(r->el[i]);
    free(r->el);
    free(r->str);
    free(r);
}

/* A growing byte buffer. */
struct df_buf {
    char *p;
    size_t len, cap;
};

static void df_buf_add(struct df_buf *b, const void *p, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        b->cap = (b->len + len + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->len, p, len);
    b->len += len;
    b->p[b->len] = '\0';
}

__attribute__((format(printf, 2, 3))) static void df_buf_printf(struct df_buf *b,
                                                                const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    df_buf_add(b, tmp, n < (int)sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Append the canonical encoding of 'r' to 'b': equal encodings, equal replies. */
static void df_ser(struct df_buf *b, const struct df_rep *r)
{
    df_buf_printf(b, "%c%d:%zu:", r->type, r->null, r->len);
    if (r->str)
        df_buf_add(b, r->str, r->len);
    df_buf_printf(b, "#%zu[", r->n);
    for (size_t i = 0; i < r->n; i++)
        df_ser(b, r->el[i]);
    df_buf_add(b, "]", 1);
}

/* Whether 'x' and 'y' are the same reply, type bytes included. */
static int df_rep_equal(const struct df_rep *x, const struct df_rep *y)
{
    if (x->type != y->type || x->null != y->null || x->len != y->len || x->n != y->n)
        return 0;
    if (x->len && memcmp(x->str, y->str, x->len) != 0)
        return 0;
    for (size_t i = 0; i < x->n; i++)
        if (!df_rep_equal(x->el[i], y->el[i]))
            return 0;
    return 1;
}

/* FNV-1a of 'p'/'len': tells long values apart in a report. */
static uint32_t df_fnv(const char *p, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* Append 'p'/'len' quoted, with C escapes for what is not printable. */
static void df_quote(struct df_buf *b, const char *p, size_t len)
{
    df_buf_add(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];

        if (ch == '"' || ch == '\\')
            df_buf_printf(b, "\\%c", ch);
        else if (ch >= 32 && ch < 127)
            df_buf_add(b, &p[i], 1);
        else
            df_buf_printf(b, "\\x%02x", ch);
    }
    df_buf_add(b, "\"", 1);
}

/* Append 'r' readably: RESP's type byte, then the payload ("$" bulk strings quoted,
 * aggregates as [..], maps as {k => v, ..}); about DF_SHOW_MAX bytes of it from 'start'. */
static void df_show_in(struct df_buf *b, const struct df_rep *r, size_t start)
{
    if (b->len - start > DF_SHOW_MAX)
        return;
    if (r->null) {
        df_buf_printf(b, "%c-1 (nil)", r->type);
        return;
    }
    switch (r->type) {
    case '$':
    case '=':
    case '!':
        df_buf_add(b, "$", 1);
        df_quote(b, r->str, r->len);
        return;
    case '*':
    case '~':
    case '>':
    case '%':
    case '|':
        df_buf_printf(b, "%c%zu%s", r->type, r->type == '%' || r->type == '|' ? r->n / 2 : r->n,
                      r->type == '%' || r->type == '|' ? "{" : "[");
        for (size_t i = 0; i < r->n; i++) {
            if (b->len - start > DF_SHOW_MAX) {
                df_buf_printf(b, " ...(%zu more)", r->n - i);
                break;
            }
            if (i)
                df_buf_add(b, (r->type == '%' || r->type == '|') && i % 2 ? " => " : ", ",
                           (r->type == '%' || r->type == '|') && i % 2 ? 4 : 2);
            df_show_in(b, r->el[i], start);
        }
        df_buf_add(b, r->type == '%' || r->type == '|' ? "}" : "]", 1);
        return;
    default:
        df_buf_printf(b, "%c", r->type);
        df_buf_add(b, r->str ? r->str : "", r->len);
    }
}

/* Append 'r' readably, about DF_SHOW_MAX bytes at most (df_show_in). */
static void df_show(struct df_buf *b, const struct df_rep *r)
{
    df_show_in(b, r, b->len);
}

/* When 'x' and 'y' are both aggregates that differ, append where: the first element
 * that differs (or where one ends) and the elements around it in each. */
static void df_show_first_difference(struct df_buf *b, const struct df_rep *x,
                                     const struct df_rep *y)
{
    size_t i = 0, n = x->n < y->n ? x->n : y->n;

    if (x->null || y->null || !x->el || !y->el)
        return;
    while (i < n && df_rep_equal(x->el[i], y->el[i]))
        i++;
    df_buf_printf(b, "  first difference at element %zu (of %zu and %zu):\n", i, x->n, y->n);
    for (int side = 0; side < 2; side++) {
        const struct df_rep *r = side ? y : x;

        df_buf_printf(b, "    %c: ...", side ? 'b' : 'a');
        for (size_t k = i >= 2 ? i - 2 : 0; k < r->n && k < i + 4; k++) {
            df_buf_printf(b, " [%zu] ", k);
            df_show(b, r->el[k]);
        }
        df_buf_add(b, "\n", 1);
    }
}

/* When 'x' and 'y' are both strings that differ, append where: the first byte that
 * differs (or where one ends), the lengths, and 32 bytes of each from there (a GET of a
 * 40 KB value shows no more than DF_SHOW_MAX bytes otherwise). */
static void df_show_first_byte_difference(struct df_buf *b, const struct df_rep *x,
                                          const struct df_rep *y)
{
    size_t i = 0, n = x->len < y->len ? x->len : y->len;

    while (i < n && x->str[i] == y->str[i])
        i++;
    df_buf_printf(b, "  first difference at byte %zu (lengths %zu and %zu; fnv %08x and %08x)\n",
                  i, x->len, y->len, df_fnv(x->str, x->len), df_fnv(y->str, y->len));
    for (int side = 0; side < 2; side++) {
        const struct df_rep *r = side ? y : x;

        df_buf_printf(b, "    %c: from byte %zu: ", side ? 'b' : 'a', i);
        df_quote(b, r->str + i, r->len - i < 32 ? r->len - i : 32);
        df_buf_add(b, "\n", 1);
    }
}

/* ---- connections ---- */

/* One server: hiredis connects; replies are read from its socket into 'buf'. */
struct df_conn {
    const char *addr;  /* host:port as given */
    char name;         /* 'a' or 'b': the server */
    int blocker;       /* 0: the stream's connection; 1, 2: a blocker (--families block) */
    redisContext *ctx;
    char *buf;
    size_t len, pos, cap;
    char err[160];     /* why the connection failed, "" while it works */
    int proto, db;     /* blockers: the HELLO and SELECT they were last sent */
    long long id;      /* blockers: CLIENT ID, for CLIENT UNBLOCK */
};

#define DF_BLOCKERS 2 /* blocked connections per server at most */

static struct df_conn ca = {.name = 'a'}, cb = {.name = 'b'};
/* The blockers of each server, connected when the block family is on. */
static struct df_conn ca_blk[DF_BLOCKERS], cb_blk[DF_BLOCKERS];

/* Connect 'c' to c->addr; 0, or -1 with a message on stderr. */
static int df_connect(struct df_conn *c)
{
    char host[256];
    const char *colon = strrchr(c->addr, ':');
    struct timeval tv = {5, 0};
    int port;

    if (!colon || colon == c->addr || (size_t)(colon - c->addr) >= sizeof(host) ||
        (port = atoi(colon + 1)) <= 0) {
        fprintf(stderr, "omenkv-difffuzz: '%s' is not HOST:PORT\n", c->addr);
        return -1;
    }
    memcpy(host, c->addr, (size_t)(colon - c->addr));
    host[colon - c->addr] = '\0';
    c->ctx = redisConnectWithTimeout(host, port, tv);
    if (!c->ctx || c->ctx->err) {
        fprintf(stderr, "omenkv-difffuzz: cannot connect to %s: %s\n", c->addr,
                c->ctx ? c->ctx->errstr : "out of memory");
        return -1;
    }
    redisSetTimeout(c->ctx, (struct timeval){60, 0});
    c->cap = 1 << 16;
    c->buf = malloc(c->cap);
    return c->buf ? 0 : -1;
}

/* Read more bytes into c->buf. 0, or -1 with c->err set. */
static int df_fill(struct df_conn *c)
{
    ssize_t n;

    if (c->pos > 0 && c->pos == c->len)
        c->pos = c->len = 0;
    if (c->len == c->cap) {
        if (c->pos > 0) {
            memmove(c->buf, c->buf + c->pos, c->len - c->pos);
            c->len -= c->pos;
            c->pos = 0;
        } else {
            c->cap *= 2;
            c->buf = realloc(c->buf, c->cap);
            if (!c->buf)
                abort();
        }
    }
    do
        n = read(c->ctx->fd, c->buf + c->len, c->cap - c->len);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
        c->len += (size_t)n;
        return 0;
    }
    snprintf(c->err, sizeof(c->err), "%s",
             n == 0 ? "connection closed by the server"
                    : errno == EAGAIN || errno == EWOULDBLOCK ? "no reply within 60 s"
                                                             : strerror(errno));
    return -1;
}

/* The next line (without CRLF), copied into a new string, length in '*len'. NULL on a
 * connection error. */
static char *df_line(struct df_conn *c, size_t *len)
{
    for (;;) {
        char *cr = c->len > c->pos ? memchr(c->buf + c->pos, '\r', c->len - c->pos) : NULL;

        if (cr && cr + 1 < c->buf + c->len) {
            size_t n = (size_t)(cr - (c->buf + c->pos));
            char *s = malloc(n + 1);

            memcpy(s, c->buf + c->pos, n);
            s[n] = '\0';
            c->pos += n + 2;
            *len = n;
            return s;
        }
        if (df_fill(c) < 0)
            return NULL;
    }
}

/* 'n' payload bytes plus CRLF, copied into a new string. NULL on a connection error. */
static char *df_bytes(struct df_conn *c, size_t n)
{
    char *s = malloc(n + 1);

    while (c->len - c->pos < n + 2) {
        if (df_fill(c) < 0) {
            free(s);
            return NULL;
        }
    }
    memcpy(s, c->buf + c->pos, n);
    s[n] = '\0';
    c->pos += n + 2;
    return s;
}

/* Read one reply from 'c' (blocking). NULL on a connection or protocol error (c->err
 * says which). */
static struct df_rep *df_read(struct df_conn *c)
{
    struct df_rep *r = calloc(1, sizeof(*r));
    char *line;
    size_t len;
    long long n;

    line = df_line(c, &len);
    if (!line) {
        free(r);
        return NULL;
    }
    r->type = line[0];
    switch (r->type) {
    case '+':
    case '-':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
        r->len = len - 1;
        r->str = malloc(len);
        memcpy(r->str, line + 1, len);
        break;
    case '$':
    case '=':
    case '!':
        n = strtoll(line + 1, NULL, 10);
        if (n < 0) {
            r->null = 1;
            break;
        }
        r->str = df_bytes(c, (size_t)n);
        r->len = (size_t)n;
        if (!r->str)
            goto fail;
        break;
    case '*':
    case '~':
    case '>':
    case '%':
    case '|':
        n = strtoll(line + 1, NULL, 10);
        if (n < 0) {
            r->null = 1;
            break;
        }
        if (r->type == '%' || r->type == '|')
            n *= 2;
        r->el = calloc((size_t)n + 1, sizeof(*r->el));
        for (long long i = 0; i < n; i++) {
            r->el[i] = df_read(c);
            if (!r->el[i])
                goto fail;
            r->n++;
        }
        break;
    default:
        snprintf(c->err, sizeof(c->err), "protocol error: unexpected byte 0x%02x",
                 (unsigned char)line[0]);
        goto fail;
    }
    free(line);
    if (r->type == '|') { /* an attribute: what it annotates follows */
        df_rep_free(r);
        return df_read(c);
    }
    return r;
fail:
    free(line);
    df_rep_free(r);
    return NULL;
}

/* ---- commands ---- */

/* How two replies to a command are compared. */
enum df_kind {
    DF_EXACT,     /* type and bytes */
    DF_UNORDERED, /* a multiset of elements */
    DF_PAIRS,     /* a multiset of (field, value) pairs: HGETALL */
    DF_TOL,       /* an integer, within 'tol' unless negative */
    DF_RANDOM,    /* SRANDMEMBER SPOP HRANDFIELD: by properties */
    DF_WALK,      /* SCAN HSCAN SSCAN ZSCAN: followed to cursor 0, compared as sets */
    DF_HELLO,     /* both succeed or both fail the same way */
    DF_LEX,       /* a lex range of a sorted set: sent only if its scores are all equal */
    DF_EPISODE,   /* a blocking pop: an episode (see "blocking pops" below) */
    DF_COPY,      /* GET of argv[1], compared exactly; when both servers answered the same
                   * string, SET of it to 'copy_to' on both, compared exactly */
    DF_SORTCMP,   /* SORT, SORT_RO: exactly, but as multisets (or left out) where Redis'
                   * order is not a function of the data (see "SORT" below) */
};

/* What a SORT asks for, as far as its comparison goes (df_sort_mode). */
#define DF_SF_ALPHA 1  /* ALPHA */
#define DF_SF_BY 2     /* sorted by a BY pattern with '*' (the last BY; none without one) */
#define DF_SF_NOSORT 4 /* a BY pattern without '*': no sorting */
#define DF_SF_STORE 8  /* STORE */
#define DF_SF_LIMIT 16 /* LIMIT that may keep a part only (not "0 -1") */

struct df_cmd {
    int argc;
    char *argv[DF_MAX_ARGS];
    size_t lens[DF_MAX_ARGS];
    enum df_kind kind;
    long long tol;     /* DF_TOL */
    int arity;         /* Redis' arity (negative: at least), 0: never mutated */
    int cursor_arg;    /* DF_WALK: index of the cursor argument */
    int pairs;         /* DF_WALK: HSCAN's (field, value), ZSCAN's (member, score) */
    int lex_arg;       /* DF_LEX: index of the sorted set's key */
    char copy_to[32];  /* DF_COPY: the key the value read is SET to */
    int sort_flags;    /* DF_SORTCMP: DF_SF_* (see "SORT and SORT_RO") */
    int sort_gets;     /* DF_SORTCMP: GET patterns given (elements per result) */
};

static void df_cmd_clear(struct df_cmd *c)
{
    for (int i = 0; i < c->argc; i++)
        free(c->argv[i]);
    memset(c, 0, sizeof(*c));
}

/* Append an argument of 'len' bytes (ignored past DF_MAX_ARGS). */
static void df_argb(struct df_cmd *c, const void *p, size_t len)
{
    if (c->argc == DF_MAX_ARGS)
        return;
    c->argv[c->argc] = malloc(len + 1);
    memcpy(c->argv[c->argc], p, len);
    c->argv[c->argc][len] = '\0';
    c->lens[c->argc++] = len;
}

__attribute__((format(printf, 2, 3))) static void df_arg(struct df_cmd *c, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    df_argb(c, tmp, n < (int)sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Append 'c' as a readable command line; an argument over DF_ARG_SHOW bytes (the large
 * strings of issue 22) as its first 40 bytes, its length and a hash (the seed replays
 * it whole). */
#define DF_ARG_SHOW 1024
static void df_show_cmd(struct df_buf *b, const struct df_cmd *c)
{
    for (int i = 0; i < c->argc && b->len < DF_SHOW_MAX; i++) {
        if (i)
            df_buf_add(b, " ", 1);
        if (c->lens[i] <= DF_ARG_SHOW) {
            df_quote(b, c->argv[i], c->lens[i]);
            continue;
        }
        df_quote(b, c->argv[i], 40);
        df_buf_printf(b, "...(%zu bytes, fnv %08x)", c->lens[i], df_fnv(c->argv[i], c->lens[i]));
    }
}

/* ---- the run's state ---- */

static long long df_ncmd;     /* commands of the stream sent so far */
static long long df_naux;     /* extra commands: state reads, walk steps, re-syncs */
static long long df_ndiffs;
static int df_proto = 2;      /* the protocol both connections speak now */
static int df_db;             /* the database both connections have SELECTed */
static const struct df_cmd *df_cur; /* the stream command being checked (for reports) */

static FILE *df_resp_log;     /* --resp-log */

/* Send 'c' to 'conn' (and, for the stream's connection to A, to --resp-log). 0, or -1
 * with conn->err set. */
static int df_send(struct df_conn *conn, const struct df_cmd *c)
{
    char *out = NULL;
    int len = redisFormatCommandArgv(&out, c->argc, (const char **)c->argv, c->lens);
    size_t done = 0;

    if (len < 0) {
        snprintf(conn->err, sizeof(conn->err), "cannot format the command");
        return -1;
    }
    if (opt.trace && conn->name == 'a') {
        struct df_buf b = {0};

        df_show_cmd(&b, c);
        if (conn->blocker)
            printf("%lld+: [blocker %d] %s\n", df_ncmd, conn->blocker, b.p);
        else
            printf("%lld%s: %s\n", df_ncmd, c == df_cur ? "" : "+", b.p);
        free(b.p);
    }
    if (df_resp_log && conn == &ca)
        fwrite(out, 1, (size_t)len, df_resp_log);
    while (done < (size_t)len) {
        ssize_t n = write(conn->ctx->fd, out + done, (size_t)len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(conn->err, sizeof(conn->err), "write: %s", strerror(errno));
            redisFreeCommand(out);
            return -1;
        }
        done += (size_t)n;
    }
    redisFreeCommand(out);
    return 0;
}


/* ---- reporting ---- */

/* The last DF_HIST commands of the stream, so that a report can show the history of
 * the keys involved (a blocking pop's line shows its whole episode). */
#define DF_HIST 512
static struct {
    long long n; /* command number, 0: empty */
    int db;
    char *text;  /* readable command line */
} df_hist[DF_HIST];

static void df_hist_add(const struct df_cmd *c, const char *suffix)
{
    struct df_buf b = {0};
    int at = (int)(df_ncmd % DF_HIST);

    df_show_cmd(&b, c);
    if (suffix)
        df_buf_add(&b, suffix, strlen(suffix));
    free(df_hist[at].text);
    df_hist[at].text = b.p;
    df_hist[at].n = df_ncmd;
    df_hist[at].db = df_db;
}

/* Append to 'b' the recent commands (up to 15, oldest first) that name a key 'c' names. */
static void df_hist_show(struct df_buf *b, const struct df_cmd *c)
{
    int picked[15], np = 0;

    for (int back = 1; back < DF_HIST && np < 15; back++) {
        int at = (int)((df_ncmd - back + DF_HIST * 4) % DF_HIST);
        int hit = 0;

        if (!df_hist[at].text || df_hist[at].n != df_ncmd - back)
            break;
        for (int i = 1; i < c->argc && !hit; i++) {
            char q[40];

            if (c->lens[i] < 2 || c->lens[i] > 30 || c->argv[i][0] != 'k' ||
                strspn(c->argv[i] + 1, "0123456789") != c->lens[i] - 1)
                continue;
            snprintf(q, sizeof(q), "\"%s\"", c->argv[i]);
            hit = strstr(df_hist[at].text, q) != NULL;
        }
        hit |= !strncasecmp(df_hist[at].text, "\"FLUSH", 6);
        if (hit)
            picked[np++] = at;
    }
    if (np)
        df_buf_printf(b, "  earlier commands naming its keys (number, db):\n");
    while (np-- > 0)
        df_buf_printf(b, "    %lld, db %d: %.200s\n", df_hist[picked[np]].n,
                      df_hist[picked[np]].db, df_hist[picked[np]].text);
}

/* The connections whose errors a report shows for a missing reply: the stream's, or a
 * blocker's while its reply is compared. */
static const struct df_conn *df_rep_a = &ca, *df_rep_b = &cb;

/* Report a difference on 'c' (whose replies are 'ra' and 'rb', either may be NULL: the
 * connection's error is shown), 'why' saying what differs. */
__attribute__((format(printf, 4, 5))) static void df_report(const struct df_cmd *c,
                                                            const struct df_rep *ra,
                                                            const struct df_rep *rb,
                                                            const char *why, ...)
{
    struct df_buf b = {0};
    va_list ap;
    char whybuf[512];

    va_start(ap, why);
    vsnprintf(whybuf, sizeof(whybuf), why, ap);
    va_end(ap);
    df_ndiffs++;
    df_buf_printf(&b, "DIFFERENCE at command %lld (seed %llu, RESP%d, db %d): %s\n", df_ncmd,
                  (unsigned long long)opt.seed, df_proto, df_db, whybuf);
    if (df_cur && df_cur != c) {
        df_buf_add(&b, "  while checking: ", 18);
        df_show_cmd(&b, df_cur);
        df_buf_add(&b, "\n", 1);
    }
    df_buf_add(&b, "  command: ", 11);
    df_show_cmd(&b, c);
    df_buf_printf(&b, "\n  a (%s%s): ", ca.addr, df_rep_a->blocker ? ", a blocker" : "");
    if (ra)
        df_show(&b, ra);
    else
        df_buf_printf(&b, "(no reply: %s)", df_rep_a->err);
    df_buf_printf(&b, "\n  b (%s%s): ", cb.addr, df_rep_b->blocker ? ", a blocker" : "");
    if (rb)
        df_show(&b, rb);
    else
        df_buf_printf(&b, "(no reply: %s)", df_rep_b->err);
    df_buf_add(&b, "\n", 1);
    if (ra && rb && ra->n && rb->n && !df_rep_equal(ra, rb))
        df_show_first_difference(&b, ra, rb);
    if (ra && rb && ra->str && rb->str && !df_rep_equal(ra, rb))
        df_show_first_byte_difference(&b, ra, rb);
    df_hist_show(&b, df_cur ? df_cur : c);
    printf("%s", b.p);
    fflush(stdout);
    free(b.p);
}

/* ---- comparisons ---- */

/* Canonical encodings of elements, sortable. */
struct df_item {
    char *p;
    size_t len;
};

static int df_item_cmp(const void *x, const void *y)
{
    const struct df_item *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int d = memcmp(a->p, b->p, n);

    return d ? d : a->len < b->len ? -1 : a->len > b->len;
}

/* The sorted encodings of 'n' elements at 'el', 'group' at a time (2: pairs). */
static struct df_item *df_items(struct df_rep *const *el, size_t n, int group, size_t *count)
{
    size_t m = n / (size_t)group;
    struct df_item *it = calloc(m + 1, sizeof(*it));

    for (size_t i = 0; i < m; i++) {
        struct df_buf b = {0};

        for (int g = 0; g < group; g++)
            df_ser(&b, el[i * (size_t)group + (size_t)g]);
        it[i].p = b.p;
        it[i].len = b.len;
    }
    qsort(it, m, sizeof(*it), df_item_cmp);
    *count = m;
    return it;
}

static void df_items_free(struct df_item *it, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(it[i].p);
    free(it);
}

/* Drop adjacent duplicates of the sorted 'it'; returns the new count. */
static size_t df_items_uniq(struct df_item *it, size_t n)
{
    size_t m = 0;

    for (size_t i = 0; i < n; i++) {
        if (m && !df_item_cmp(&it[m - 1], &it[i])) {
            free(it[i].p);
            continue;
        }
        it[m++] = it[i];
    }
    return m;
}

static int df_items_equal(const struct df_item *x, size_t nx, const struct df_item *y, size_t ny)
{
    if (nx != ny)
        return 0;
    for (size_t i = 0; i < nx; i++)
        if (df_item_cmp(&x[i], &y[i]))
            return 0;
    return 1;
}

static int df_is_agg(const struct df_rep *r)
{
    return !r->null && (r->type == '*' || r->type == '~' || r->type == '%');
}

/* Compare 'ra' and 'rb' as multisets of elements taken 'group' at a time. 1 if equal. */
static int df_same_multiset(const struct df_rep *ra, const struct df_rep *rb, int group)
{
    struct df_item *x, *y;
    size_t nx, ny;
    int same;

    if (!df_is_agg(ra) || !df_is_agg(rb))
        return df_rep_equal(ra, rb);
    if (ra->type != rb->type || ra->n != rb->n || ra->n % (size_t)group)
        return 0;
    x = df_items(ra->el, ra->n, group, &nx);
    y = df_items(rb->el, rb->n, group, &ny);
    same = df_items_equal(x, nx, y, ny);
    df_items_free(x, nx);
    df_items_free(y, ny);
    return same;
}

/* Strict integer parse, as Redis' string2ll: no spaces, no '+', no leading zeros. */
static int df_str2ll(const char *p, size_t len, long long *out)
{
    char tmp[32];
    char *end;
    long long v;

    if (len == 0 || len >= sizeof(tmp) || p[0] == '+' || p[0] == ' ' ||
        (p[0] == '0' && len > 1) || (p[0] == '-' && (len == 1 || p[1] == '0')))
        return 0;
    memcpy(tmp, p, len);
    tmp[len] = '\0';
    errno = 0;
    v = strtoll(tmp, &end, 10);
    if (errno || end != tmp + len || end == tmp || strspn(tmp + (tmp[0] == '-'), "0123456789") !=
                                                       len - (tmp[0] == '-'))
        return 0;
    *out = v;
    return 1;
}

/* ---- running a command on both servers ---- */

/* Send 'c' to both servers and read both replies ('*ra', '*rb'; NULL: that connection
 * failed). Returns 0 when both came. */
static int df_both(const struct df_cmd *c, struct df_rep **ra, struct df_rep **rb)
{
    int sa = df_send(&ca, c), sb = df_send(&cb, c);

    *ra = sa == 0 ? df_read(&ca) : NULL;
    *rb = sb == 0 ? df_read(&cb) : NULL;
    return *ra && *rb ? 0 : -1;
}

/* What a random pick picks from. */
enum df_ckind {
    DF_CK_SET = 0,  /* SMEMBERS: members */
    DF_CK_HASH = 1, /* HGETALL: (field, value) pairs */
    DF_CK_ZSET = 2, /* ZRANGE 0 -1 WITHSCORES: (member, score) pairs, nested in RESP3 */
};

/* A collection as one server's state says (SMEMBERS, HGETALL or ZRANGE WITHSCORES):
 * sorted members, or (field, value) / (member, score) pairs sorted by their first. */
struct df_coll {
    enum df_ckind kind;
    size_t n;
    struct df_rep **key; /* borrowed from 'rep' */
    struct df_rep **val; /* hashes and sorted sets only */
    struct df_rep *rep;  /* owned */
};

static int df_rep_strcmp(const struct df_rep *x, const struct df_rep *y)
{
    size_t n = x->len < y->len ? x->len : y->len;
    int d = n ? memcmp(x->str, y->str, n) : 0;

    return d ? d : x->len < y->len ? -1 : x->len > y->len;
}

static int df_rep_pcmp(const void *x, const void *y)
{
    return df_rep_strcmp(*(struct df_rep *const *)x, *(struct df_rep *const *)y);
}

/* Position of 'k' in 'coll', or -1. */
static long df_coll_find(const struct df_coll *coll, const struct df_rep *k)
{
    size_t lo = 0, hi = coll->n;

    if (k->null || !k->str)
        return -1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int d = df_rep_strcmp(coll->key[mid], k);

        if (d == 0)
            return (long)mid;
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Build 'coll' from a SMEMBERS/HGETALL/ZRANGE WITHSCORES reply (taking ownership of
 * 'r'); an error or a non-aggregate reply gives an empty collection. */
static void df_coll_init(struct df_coll *coll, struct df_rep *r, enum df_ckind kind)
{
    int nested = kind == DF_CK_ZSET && df_is_agg(r) && r->n > 0 && df_is_agg(r->el[0]);

    memset(coll, 0, sizeof(*coll));
    coll->kind = kind;
    coll->rep = r;
    if (!df_is_agg(r))
        return;
    coll->n = kind == DF_CK_SET || nested ? r->n : r->n / 2;
    coll->key = calloc(coll->n + 1, sizeof(*coll->key));
    coll->val = calloc(coll->n + 1, sizeof(*coll->val));
    if (kind != DF_CK_SET) {
        /* Sort the pairs by their first element (RESP3's ZRANGE WITHSCORES nests them). */
        struct { struct df_rep *k, *v; } *pv = calloc(coll->n + 1, sizeof(*pv));

        for (size_t i = 0; i < coll->n; i++) {
            if (nested && (!df_is_agg(r->el[i]) || r->el[i]->n != 2)) {
                coll->n = 0; /* not pairs (both servers said so): nothing to pick from */
                break;
            }
            pv[i].k = nested ? r->el[i]->el[0] : r->el[2 * i];
            pv[i].v = nested ? r->el[i]->el[1] : r->el[2 * i + 1];
        }
        qsort(pv, coll->n, sizeof(*pv), df_rep_pcmp); /* k is the first member */
        for (size_t i = 0; i < coll->n; i++) {
            coll->key[i] = pv[i].k;
            coll->val[i] = pv[i].v;
        }
        free(pv);
    } else {
        for (size_t i = 0; i < coll->n; i++)
            coll->key[i] = r->el[i];
        qsort(coll->key, coll->n, sizeof(*coll->key), df_rep_pcmp);
    }
}

static void df_coll_free(struct df_coll *coll)
{
    free(coll->key);
    free(coll->val);
    df_rep_free(coll->rep);
}

/* Check a random reply 'r' to 'c' against the collection 'coll' (what both servers
 * hold, non-empty). 'count' is the count argument (valid if 'has_count'), 'withvalues'
 * HRANDFIELD's WITHVALUES or ZRANDMEMBER's WITHSCORES. Returns NULL if it holds, else why not. '*picked' gets the
 * picked members (SPOP; borrowed from 'r'), '*npicked' their number. */
static const char *df_check_pick(const struct df_rep *r, const struct df_coll *coll, int has_count,
                                 long long count, int withvalues, const struct df_rep ***picked,
                                 size_t *npicked)
{
    static char why[200];
    size_t want, n;
    const struct df_rep **items;
    int distinct = !has_count || count >= 0;

    *npicked = 0;
    if (!has_count) {
        if (r->type != '$' || r->null)
            return "not a bulk string";
        if (df_coll_find(coll, r) < 0)
            return "not in the collection";
        *picked = calloc(1, sizeof(**picked));
        (*picked)[0] = r;
        *npicked = 1;
        return NULL;
    }
    if (!df_is_agg(r))
        return "not an aggregate";
    want = count >= 0 ? ((unsigned long long)count < coll->n ? (size_t)count : coll->n)
                      : (size_t)(-(count + 1)) + 1;
    /* The items: one per element, or per pair with WITHVALUES (flat in RESP2, 2-element
     * arrays in RESP3). */
    n = r->n;
    if (withvalues && n > 0 && df_is_agg(r->el[0]))
        withvalues = 2;
    else if (withvalues)
        n /= 2;
    if (n != want) {
        snprintf(why, sizeof(why), "%zu items, expected %zu", n, want);
        return why;
    }
    items = calloc(n * 2 + 1, sizeof(*items));
    for (size_t i = 0; i < n; i++) {
        const struct df_rep *k, *v = NULL;
        long at;

        if (withvalues == 2) {
            if (!df_is_agg(r->el[i]) || r->el[i]->n != 2) {
                free(items);
                return "an item is not a (field, value) pair";
            }
            k = r->el[i]->el[0];
            v = r->el[i]->el[1];
        } else if (withvalues) {
            k = r->el[2 * i];
            v = r->el[2 * i + 1];
        } else {
            k = r->el[i];
        }
        if (k->type != '$' || (v && v->type != '$' && v->type != ',')) {
            free(items);
            return "an item is not a bulk string";
        }
        at = df_coll_find(coll, k);
        if (at < 0) {
            free(items);
            snprintf(why, sizeof(why), "item %zu is not in the collection", i);
            return why;
        }
        if (v && !df_rep_equal(coll->val[at], v)) {
            free(items);
            snprintf(why, sizeof(why), "item %zu has a value (or score) the collection does "
                     "not hold", i);
            return why;
        }
        items[i] = k;
    }
    if (distinct) {
        const struct df_rep **s = calloc(n + 1, sizeof(*s));

        memcpy(s, items, n * sizeof(*s));
        qsort(s, n, sizeof(*s), df_rep_pcmp);
        for (size_t i = 1; i < n; i++) {
            if (df_rep_strcmp(s[i - 1], s[i]) == 0) {
                free(s);
                free(items);
                return "an item comes twice where the count asks for distinct ones";
            }
        }
        free(s);
    }
    *picked = items;
    *npicked = n;
    return NULL;
}

/* Whether 'x' and 'y' have the same shape: type bytes, nulls and element counts, down
 * to the second level (the elements' values may differ). */
static int df_same_shape(const struct df_rep *x, const struct df_rep *y)
{
    if (x->type != y->type || x->null != y->null || x->n != y->n)
        return 0;
    for (size_t i = 0; i < x->n; i++)
        if (x->el[i]->type != y->el[i]->type || x->el[i]->n != y->el[i]->n)
            return 0;
    return 1;
}

/* Run a helper command (not part of the stream) on one server; the reply, or NULL. */
static struct df_rep *df_aux1(struct df_conn *conn, const struct df_cmd *c)
{
    df_naux++;
    if (df_send(conn, c) < 0)
        return NULL;
    return df_read(conn);
}

/* Read the collection at 'key' on both servers (SMEMBERS, HGETALL, or ZRANGE 0 -1
 * WITHSCORES, in order) and compare the two; 'why' labels a difference. 0 and both
 * collections in 'xa', 'xb'; 1 if they differ (reported); -1 on a connection error
 * (reported). */
static int df_read_colls(const char *key, size_t klen, enum df_ckind kind, const char *why,
                         struct df_coll *xa, struct df_coll *xb)
{
    struct df_cmd rd = {0};
    struct df_rep *ra, *rb;
    int rc, same;

    df_arg(&rd, "%s", kind == DF_CK_HASH ? "HGETALL" : kind == DF_CK_ZSET ? "ZRANGE" : "SMEMBERS");
    df_argb(&rd, key, klen);
    if (kind == DF_CK_ZSET) {
        df_arg(&rd, "0");
        df_arg(&rd, "-1");
        df_arg(&rd, "WITHSCORES");
    }
    df_naux++;
    rc = df_both(&rd, &ra, &rb);
    same = rc == 0 && (kind == DF_CK_ZSET ? df_rep_equal(ra, rb)
                                          : df_same_multiset(ra, rb, kind == DF_CK_HASH ? 2 : 1));
    if (!same) {
        df_report(&rd, ra, rb, "%s", rc < 0 ? "connection lost" : why);
        df_rep_free(ra);
        df_rep_free(rb);
        df_cmd_clear(&rd);
        return rc < 0 ? -1 : 1;
    }
    df_cmd_clear(&rd);
    df_coll_init(xa, ra, kind);
    df_coll_init(xb, rb, kind);
    return 0;
}

/* Give server B what A popped: SADD of 'pb' (what B popped), then SREM of 'pa', in
 * chunks. 0, or -1 on a connection error or an error reply (reported). */
static int df_resync_spop(const char *key, size_t klen, const struct df_rep **pa, size_t na,
                          const struct df_rep **pb, size_t nb)
{
    for (int pass = 0; pass < 2; pass++) {
        const struct df_rep **p = pass ? pa : pb;
        size_t n = pass ? na : nb;

        for (size_t at = 0; at < n;) {
            struct df_cmd c = {0};
            struct df_rep *r;

            df_arg(&c, "%s", pass ? "SREM" : "SADD");
            df_argb(&c, key, klen);
            while (at < n && c.argc < DF_MAX_ARGS - 1) {
                df_argb(&c, p[at]->str, p[at]->len);
                at++;
            }
            r = df_aux1(&cb, &c);
            if (!r || r->type == '-') {
                df_report(&c, NULL, r, "re-synchronising B after an SPOP failed");
                df_rep_free(r);
                df_cmd_clear(&c);
                return -1;
            }
            df_rep_free(r);
            df_cmd_clear(&c);
        }
    }
    return 0;
}

/* The reply to OBJECT ENCODING 'key' on 'conn' into 'enc' ("" if not a bulk string).
 * 0, or -1 on a connection error. */
static int df_encoding(struct df_conn *conn, const char *key, size_t klen, char *enc,
                       size_t cap)
{
    struct df_cmd c = {0};
    struct df_rep *r;

    df_arg(&c, "OBJECT");
    df_arg(&c, "ENCODING");
    df_argb(&c, key, klen);
    r = df_aux1(conn, &c);
    df_cmd_clear(&c);
    if (!r)
        return -1;
    snprintf(enc, cap, "%.*s", r->type == '$' && !r->null ? (int)r->len : 0, r->str ? r->str : "");
    df_rep_free(r);
    return 0;
}

/* Run w[0] 'key' w[1] ... (NULL-terminated) on 'conn' alone (not part of the stream);
 * 0, or -1 if it failed or answered an error (reported). */
static int df_aux_words(struct df_conn *conn, const char *const *w, const char *key, size_t klen)
{
    struct df_cmd c = {0};
    struct df_rep *r;
    int rc = 0;

    df_arg(&c, "%s", w[0]);
    df_argb(&c, key, klen);
    for (int i = 1; w[i]; i++)
        df_arg(&c, "%s", w[i]);
    r = df_aux1(conn, &c);
    if (!r || r->type == '-') {
        df_report(&c, conn == &ca ? r : NULL, conn == &cb ? r : NULL,
                  "a helper command failed");
        rc = -1;
    }
    df_rep_free(r);
    df_cmd_clear(&c);
    return rc;
}

/* After an SPOP with a count that took more than 5/6 of a set ('pre', what both held;
 * 'pa', the 'na' members A popped). Redis 7.0 (spopWithCountCommand, case 3) then
 * builds a new set from the members that remain, starting from the first one it picks:
 * an intset if they are all integers and at most set-max-intset-entries (512), else a
 * hashtable, whatever the encoding was. B may have kept other members than A, so its
 * encoding is set to what Redis gives for A's remaining members (rebuilt with its
 * expiry kept, or converted by adding and removing a string), then A's and B's OBJECT
 * ENCODING are compared. 0, 1 (a difference, reported) or -1. */
static int df_spop_encoding(const struct df_cmd *c, const struct df_coll *pre,
                            const struct df_rep **pa, size_t na)
{
    const char *key = c->argv[1];
    size_t klen = c->lens[1], left = 0;
    int ints = 1;
    char want[16], eb[32], ea[32];
    struct df_rep xa = {.type = '$'}, xb = {.type = '$'};
    struct df_cmd show = {0};

    for (size_t i = 0; i < pre->n; i++) {
        int popped = 0;
        long long v;

        for (size_t j = 0; j < na && !popped; j++)
            popped = !df_rep_strcmp(pre->key[i], pa[j]);
        if (popped)
            continue;
        left++;
        ints &= df_str2ll(pre->key[i]->str, pre->key[i]->len, &v);
    }
    snprintf(want, sizeof(want), "%s", ints && left <= 512 ? "intset" : "hashtable");
    if (df_encoding(&cb, key, klen, eb, sizeof(eb)) < 0)
        return -1;
    if (strcmp(eb, want) && !strcmp(want, "hashtable")) {
        static const char *const add[] = {"SADD", "df:not-an-integer", NULL};
        static const char *const rem[] = {"SREM", "df:not-an-integer", NULL};

        if (df_aux_words(&cb, add, key, klen) < 0 || df_aux_words(&cb, rem, key, klen) < 0)
            return -1;
    } else if (strcmp(eb, want)) {
        /* Rebuild B's set from A's remaining members, all integers, keeping its expiry. */
        static const char *const pexpiretime[] = {"PEXPIRETIME", NULL};
        static const char *const del[] = {"DEL", NULL};
        struct df_cmd t = {0}, a = {0};
        struct df_rep *r;
        long long when = -1;

        df_arg(&t, "%s", pexpiretime[0]);
        df_argb(&t, key, klen);
        r = df_aux1(&cb, &t);
        df_cmd_clear(&t);
        if (!r)
            return -1;
        if (r->type == ':')
            df_str2ll(r->str, r->len, &when);
        df_rep_free(r);
        if (df_aux_words(&cb, del, key, klen) < 0)
            return -1;
        df_arg(&a, "SADD");
        df_argb(&a, key, klen);
        for (size_t i = 0; i < pre->n; i++) {
            int popped = 0;

            for (size_t j = 0; j < na && !popped; j++)
                popped = !df_rep_strcmp(pre->key[i], pa[j]);
            if (!popped)
                df_argb(&a, pre->key[i]->str, pre->key[i]->len);
        }
        r = df_aux1(&cb, &a);
        df_cmd_clear(&a);
        if (!r || r->type == '-') {
            df_rep_free(r);
            return -1;
        }
        df_rep_free(r);
        if (when > 0) {
            char at[32];
            const char *pexpireat[] = {"PEXPIREAT", at, NULL};

            snprintf(at, sizeof(at), "%lld", when);
            if (df_aux_words(&cb, pexpireat, key, klen) < 0)
                return -1;
        }
    }
    if (df_encoding(&ca, key, klen, ea, sizeof(ea)) < 0 ||
        df_encoding(&cb, key, klen, eb, sizeof(eb)) < 0)
        return -1;
    if (!strcmp(ea, eb) && !strcmp(eb, want))
        return 0;
    xa.str = ea;
    xa.len = strlen(ea);
    xb.str = eb;
    xb.len = strlen(eb);
    df_arg(&show, "OBJECT");
    df_arg(&show, "ENCODING");
    df_argb(&show, key, klen);
    df_report(&show, &xa, &xb,
              "encoding after an SPOP that took more than 5/6 of the set: Redis 7.0 builds "
              "a new set from the %zu members left, %s here",
              left, want);
    df_cmd_clear(&show);
    return 1;
}

/* SRANDMEMBER, SPOP, HRANDFIELD: see the file's comment. 0 if the replies hold, 1 on
 * a difference (reported), -1 on a connection error (reported). */
static int df_run_random(const struct df_cmd *c)
{
    char first = (char)(c->argv[0][0] & ~0x20); /* upper case */
    enum df_ckind kind = first == 'H' ? DF_CK_HASH : first == 'Z' ? DF_CK_ZSET : DF_CK_SET;
    int spop = kind == DF_CK_SET && (c->argv[0][1] == 'P' || c->argv[0][1] == 'p');
    struct df_coll xa, xb;
    struct df_rep *ra = NULL, *rb = NULL;
    const struct df_rep **pa = NULL, **pb = NULL;
    size_t na = 0, nb = 0;
    long long count = 0;
    int has_count = c->argc >= 3, withvalues = c->argc == 4, rc;
    const char *wa, *wb;

    rc = df_read_colls(c->argv[1], c->lens[1], kind,
                       "the collection differs (read before a random pick)", &xa, &xb);
    if (rc)
        return rc;
    if (df_both(c, &ra, &rb) < 0) {
        df_report(c, ra, rb, "connection lost");
        rc = -1;
        goto out;
    }
    /* No members to pick from, an error, or a count that is not a number (which must
     * be an error): the replies are fully determined. */
    if (xa.n == 0 || ra->type == '-' || rb->type == '-' ||
        (has_count && !df_str2ll(c->argv[2], c->lens[2], &count))) {
        if (!df_rep_equal(ra, rb)) {
            df_report(c, ra, rb, "replies differ");
            rc = 1;
        }
        goto out;
    }
    if (!df_same_shape(ra, rb)) {
        df_report(c, ra, rb, "random replies of different shapes");
        rc = 1;
        goto out;
    }
    wa = df_check_pick(ra, &xb, has_count, count, withvalues, &pa, &na);
    wb = df_check_pick(rb, &xa, has_count, count, withvalues, &pb, &nb);
    if (wa || wb) {
        df_report(c, ra, rb, "random pick is wrong: a: %s; b: %s", wa ? wa : "fine",
                  wb ? wb : "fine");
        rc = 1;
        goto out;
    }
    if (spop) {
        /* Both popped what they chose; make B's set A's if the picks differ. */
        struct df_rep fake_a = {.type = '*', .n = na, .el = (struct df_rep **)pa};
        struct df_rep fake_b = {.type = '*', .n = nb, .el = (struct df_rep **)pb};

        if (!df_same_multiset(&fake_a, &fake_b, 1)) {
            struct df_coll ya, yb;

            if (df_resync_spop(c->argv[1], c->lens[1], pa, na, pb, nb) < 0) {
                rc = -1;
                goto out;
            }
            rc = df_read_colls(c->argv[1], c->lens[1], DF_CK_SET,
                               "the sets differ after B was given A's SPOP", &ya, &yb);
            if (rc == 0) {
                df_coll_free(&ya);
                df_coll_free(&yb);
            }
        }
        if (rc == 0 && has_count && count < (long long)xa.n &&
            ((long long)xa.n - count) * 5 <= count)
            rc = df_spop_encoding(c, &xa, pa, na);
    }
out:
    free(pa);
    free(pb);
    df_rep_free(ra);
    df_rep_free(rb);
    df_coll_free(&xa);
    df_coll_free(&xb);
    return rc;
}

/* Follow one server's SCAN/HSCAN/SSCAN from 'c' to cursor 0. On success returns the
 * collected elements (sorted, duplicates dropped: a SCAN may return an element twice)
 * and sets '*first' to NULL; if the first reply is an error or not [cursor, [...]], it
 * is returned in '*first' for an exact comparison and NULL is returned ('*first' NULL
 * too: a connection error, 'why' set). */
static struct df_item *df_walk(struct df_conn *conn, const struct df_cmd *c, size_t *count,
                               struct df_rep **first, const char **why)
{
    struct df_cmd w = {0};
    struct df_item *all = NULL;
    size_t n = 0, cap = 0;
    long calls = 0;

    *first = NULL;
    *why = NULL;
    for (int i = 0; i < c->argc; i++)
        df_argb(&w, c->argv[i], c->lens[i]);
    for (;;) {
        struct df_rep *r;
        const struct df_rep *cur, *els;
        struct df_item *it;
        size_t m;

        if (calls++ > 0)
            df_naux++;
        if (df_send(conn, &w) < 0 || !(r = df_read(conn))) {
            *why = conn->err;
            break;
        }
        if (r->type != '*' || r->n != 2 || r->el[0]->type != '$' || r->el[0]->null ||
            !df_is_agg(r->el[1])) {
            if (calls == 1) {
                *first = r;
            } else {
                *why = "a later reply of the walk is not [cursor, [...]]";
                *first = r;
            }
            break;
        }
        cur = r->el[0];
        els = r->el[1];
        it = df_items(els->el, els->n, c->pairs ? 2 : 1, &m);
        if (n + m + 1 > cap) {
            cap = (n + m + 1) * 2;
            all = realloc(all, cap * sizeof(*all));
        }
        memcpy(all + n, it, m * sizeof(*it));
        free(it);
        n += m;
        if (cur->len == 1 && cur->str[0] == '0') {
            df_rep_free(r);
            df_cmd_clear(&w);
            if (!all)
                all = calloc(1, sizeof(*all));
            qsort(all, n, sizeof(*all), df_item_cmp);
            *count = df_items_uniq(all, n);
            return all;
        }
        if (calls >= DF_MAX_WALK) {
            *why = "the walk did not end";
            df_rep_free(r);
            break;
        }
        free(w.argv[c->cursor_arg]);
        w.argv[c->cursor_arg] = malloc(cur->len + 1);
        memcpy(w.argv[c->cursor_arg], cur->str, cur->len + 1);
        w.lens[c->cursor_arg] = cur->len;
        df_rep_free(r);
    }
    df_cmd_clear(&w);
    df_items_free(all, n);
    return NULL;
}

/* Show a walk's collected elements (their canonical encodings) as a reply would be. */
static struct df_rep *df_walk_rep(const struct df_item *it, size_t n)
{
    struct df_rep *r = calloc(1, sizeof(*r));

    r->type = '~';
    r->el = calloc(n + 1, sizeof(*r->el));
    for (size_t i = 0; i < n; i++) {
        struct df_rep *e = calloc(1, sizeof(*e));

        e->type = '$';
        e->str = malloc(it[i].len + 1);
        memcpy(e->str, it[i].p, it[i].len + 1);
        e->len = it[i].len;
        r->el[r->n++] = e;
    }
    return r;
}

static int df_run_walk(const struct df_cmd *c)
{
    struct df_rep *fa, *fb;
    const char *wa, *wb;
    size_t na = 0, nb = 0;
    struct df_item *xa = df_walk(&ca, c, &na, &fa, &wa);
    struct df_item *xb = df_walk(&cb, c, &nb, &fb, &wb);
    int rc = 0;

    if ((!xa && !fa) || (!xb && !fb) || wa || wb) {
        df_report(c, fa, fb, "walk failed: a: %s; b: %s", wa ? wa : xa ? "fine" : "stopped",
                  wb ? wb : xb ? "fine" : "stopped");
        rc = (!xa && !fa) || (!xb && !fb) ? -1 : 1;
    } else if (fa || fb) {
        if (!fa || !fb || !df_rep_equal(fa, fb)) {
            struct df_rep *sa = fa ? NULL : df_walk_rep(xa, na);
            struct df_rep *sb = fb ? NULL : df_walk_rep(xb, nb);

            df_report(c, fa ? fa : sa, fb ? fb : sb,
                      "first replies differ (a walk's elements shown as a set)");
            df_rep_free(sa);
            df_rep_free(sb);
            rc = 1;
        }
    } else if (!df_items_equal(xa, na, xb, nb)) {
        struct df_rep *sa = df_walk_rep(xa, na), *sb = df_walk_rep(xb, nb);

        df_report(c, sa, sb,
                  "walks to cursor 0 collected different sets (%zu and %zu elements; shown "
                  "as canonical encodings)",
                  na, nb);
        df_rep_free(sa);
        df_rep_free(sb);
        rc = 1;
    }
    df_items_free(xa, na);
    df_items_free(xb, nb);
    df_rep_free(fa);
    df_rep_free(fb);
    return rc;
}

/* What the stream reached, printed at the end so that a run shows what it covered:
 * error replies, the encodings OBJECT ENCODING answered, the largest HLEN, SCARD, LLEN
 * and ZCARD, and how the blocking pops ended. */
#define DF_ENC_NIL 8   /* OBJECT ENCODING of a missing key */
#define DF_ENC_OTHER 9 /* anything else */
static struct {
    long long errors, wrongtype;
    long long enc[DF_ENC_OTHER + 1];
    long long max_hlen, max_scard, max_llen, max_zcard;
    long long lex_skipped;       /* lex commands not sent: the scores were not all equal */
    long long sort_exact, sort_multiset, sort_skipped; /* SORTs compared how, or left out */
    long long blk_immediate;     /* blocking pops answered without blocking */
    long long blk_served;        /* ... served by the first connection's command */
    long long blk_timeout;       /* ... ended by their own (short) timeout */
    long long blk_unblocked;     /* ... ended by CLIENT UNBLOCK (TIMEOUT or ERROR) */
    long long blk_two;           /* episodes with two clients blocked */
    long long max_strlen;        /* issue 22: the largest length STRLEN APPEND SETRANGE gave */
    long long max_get;           /* ... the largest value GET returned, bytes */
    long long max_bitcount, max_pfcount;
    long long hll_sparse, hll_dense; /* PFDEBUG ENCODING's answers */
    long long hll_invalid;       /* INVALIDOBJ errors (a damaged HyperLogLog) */
    long long hll_nothll;        /* WRONGTYPE: not a valid HyperLogLog string value */
    long long copies;            /* values copied with GET and SET (DF_COPY) */
} df_stats;

static const char *const df_enc_names[] = {"int", "embstr", "raw", "listpack", "hashtable",
                                           "intset", "quicklist", "skiplist", "(nil)", "other"};

/* Whether the command name 'c->argv[0]' is 'name' (upper case, any case in 'c'). */
static int df_is(const struct df_cmd *c, const char *name)
{
    return c->argc > 0 && c->lens[0] == strlen(name) && !strncasecmp(c->argv[0], name, c->lens[0]);
}

/* Count what the agreed reply 'r' to 'c' shows. */
static void df_note(const struct df_cmd *c, const struct df_rep *r)
{
    static const char *const counts[] = {"HLEN", "SCARD", "LLEN", "ZCARD"};
    long long *maxes[] = {&df_stats.max_hlen, &df_stats.max_scard, &df_stats.max_llen,
                          &df_stats.max_zcard};
    long long v;

    if (r->type == '-') {
        df_stats.errors++;
        df_stats.wrongtype += r->len >= 9 && !memcmp(r->str, "WRONGTYPE", 9);
        df_stats.hll_invalid += r->len >= 10 && !memcmp(r->str, "INVALIDOBJ", 10);
        df_stats.hll_nothll += r->len >= 26 && !memcmp(r->str, "WRONGTYPE Key is not a valid", 26);
        return;
    }
    if (df_is(c, "GET") && r->str && (long long)r->len > df_stats.max_get)
        df_stats.max_get = (long long)r->len;
    df_stats.copies += c->kind == DF_COPY && r->str && !r->null;
    if (df_is(c, "PFDEBUG") && r->str) {
        df_stats.hll_sparse += r->len == 6 && !memcmp(r->str, "sparse", 6);
        df_stats.hll_dense += r->len == 5 && !memcmp(r->str, "dense", 5);
    }
    if (df_is(c, "OBJECT")) {
        int e = DF_ENC_OTHER;

        for (int i = 0; i < DF_ENC_NIL; i++)
            if (r->str && r->len == strlen(df_enc_names[i]) &&
                !memcmp(r->str, df_enc_names[i], r->len))
                e = i;
        if (r->null || r->type == '_')
            e = DF_ENC_NIL;
        df_stats.enc[e]++;
        return;
    }
    if (r->type != ':' || !df_str2ll(r->str, r->len, &v))
        return;
    for (int i = 0; i < 4; i++)
        if (df_is(c, counts[i]) && v > *maxes[i])
            *maxes[i] = v;
    if ((df_is(c, "STRLEN") || df_is(c, "APPEND") || df_is(c, "SETRANGE")) &&
        v > df_stats.max_strlen)
        df_stats.max_strlen = v;
    if (df_is(c, "BITCOUNT") && v > df_stats.max_bitcount)
        df_stats.max_bitcount = v;
    if (df_is(c, "PFCOUNT") && v > df_stats.max_pfcount)
        df_stats.max_pfcount = v;
}

/* Print df_stats. */
static void df_print_stats(void)
{
    printf("covered: %lld error replies (%lld WRONGTYPE), largest HLEN %lld, SCARD %lld, LLEN "
           "%lld, ZCARD %lld, OBJECT ENCODING:",
           df_stats.errors, df_stats.wrongtype, df_stats.max_hlen, df_stats.max_scard,
           df_stats.max_llen, df_stats.max_zcard);
    for (int i = 0; i <= DF_ENC_OTHER; i++)
        printf(" %s %lld", df_enc_names[i], df_stats.enc[i]);
    printf("\n");
    if (opt.families & DF_ZSET)
        printf("covered: %lld lex commands left out (a sorted set of unequal scores, whose "
               "lex order Redis leaves unspecified)\n",
               df_stats.lex_skipped);
    if (opt.families & DF_SORT)
        printf("covered: SORT and SORT_RO compared exactly %lld, as multisets %lld (a set or "
               "sorted set whose order Redis leaves to its layout), left out %lld\n",
               df_stats.sort_exact, df_stats.sort_multiset, df_stats.sort_skipped);
    if (opt.families & DF_BLOCK)
        printf("covered: blocking pops answered at once %lld, served by the first connection "
               "%lld, timed out %lld, ended by CLIENT UNBLOCK %lld; %lld times with two "
               "clients blocked\n",
               df_stats.blk_immediate, df_stats.blk_served, df_stats.blk_timeout,
               df_stats.blk_unblocked, df_stats.blk_two);
    if (opt.families & DF_STRS22)
        printf("covered: largest string length %lld, largest GET %lld bytes, values copied "
               "by GET and SET %lld, largest BITCOUNT %lld, PFCOUNT %lld; PFDEBUG ENCODING "
               "sparse %lld, dense %lld; INVALIDOBJ errors %lld, not-a-HyperLogLog errors "
               "%lld\n",
               df_stats.max_strlen, df_stats.max_get, df_stats.copies, df_stats.max_bitcount,
               df_stats.max_pfcount, df_stats.hll_sparse, df_stats.hll_dense,
               df_stats.hll_invalid, df_stats.hll_nothll);
}

/* A lex command 'c' (DF_LEX): its sorted set (argument c->lex_arg) is read on both
 * servers first (ZRANGE 0 -1 WITHSCORES, compared exactly). Redis leaves a lex range of
 * members with unequal scores unspecified (it walks its score order), so then the
 * command is left out: 2. Else 0 (run it); 1 or -1 as df_run(). */
static int df_lex_check(const struct df_cmd *c)
{
    struct df_coll xa, xb;
    int rc, mixed = 0;

    if (c->lex_arg <= 0 || c->lex_arg >= c->argc)
        return 0;
    rc = df_read_colls(c->argv[c->lex_arg], c->lens[c->lex_arg], DF_CK_ZSET,
                       "the sorted set differs (read before a lex command)", &xa, &xb);
    if (rc)
        return rc;
    for (size_t i = 1; i < xa.n && !mixed; i++)
        mixed = !xa.val[i]->str || !xa.val[0]->str ||
                strtod(xa.val[i]->str, NULL) != strtod(xa.val[0]->str, NULL);
    df_coll_free(&xa);
    df_coll_free(&xb);
    if (mixed)
        df_stats.lex_skipped++;
    return mixed ? 2 : 0;
}

/* Whether reply 'r' (of TYPE) is the status 'name'. */
static int df_is_status(const struct df_rep *r, const char *name)
{
    return r && r->type == '+' && r->str && r->len == strlen(name) && !memcmp(r->str, name, r->len);
}

/* Whether Redis (server B) fails a SORT by numbers of sorted set 'key' for a reason of
 * its own: a sorted set in listpack encoding is turned into a skiplist first, which
 * reads each score with strtod(), and a subnormal score (4.9e-324) leaves errno at
 * ERANGE, which the SORT then takes for a number it could not read. 1 if so, 0 if not,
 * -1 on a connection error. */
static int df_sort_errno_quirk(const char *key, size_t klen)
{
    struct df_cmd t = {0};
    struct df_rep *r;
    int listpack, sub = 0;

    df_arg(&t, "OBJECT");
    df_arg(&t, "ENCODING");
    df_argb(&t, key, klen);
    r = df_aux1(&cb, &t);
    df_cmd_clear(&t);
    if (!r)
        return -1;
    listpack = r->str && r->len == 8 && !memcmp(r->str, "listpack", 8);
    df_rep_free(r);
    if (!listpack)
        return 0;
    df_arg(&t, "ZRANGE");
    df_argb(&t, key, klen);
    df_arg(&t, "0");
    df_arg(&t, "-1");
    df_arg(&t, "WITHSCORES");
    r = df_aux1(&cb, &t);
    df_cmd_clear(&t);
    if (!r)
        return -1;
    for (size_t i = 0; i < r->n && !sub; i++) {
        const struct df_rep *e = r->el[i];
        char buf[64];

        if (e->n == 2) /* RESP3: [member, score] */
            e = e->el[1];
        else if (i % 2 == 0) /* RESP2: member, score, ... */
            continue;
        if (e->str && e->len < sizeof(buf)) {
            memcpy(buf, e->str, e->len);
            buf[e->len] = '\0';
            sub = fpclassify(strtod(buf, NULL)) == FP_SUBNORMAL;
        }
    }
    df_rep_free(r);
    return sub;
}

/* How SORT 'c' (DF_SORTCMP) is compared (see "SORT and SORT_RO" above): its source's TYPE
 * is read on both servers first. 0: exactly; 3: as a multiset; 2: left out (not sent);
 * 1 or -1 as df_run() (the types differ, or a connection is gone). */
static int df_sort_mode(const struct df_cmd *c)
{
    struct df_cmd t = {0};
    struct df_rep *ra, *rb;
    int f = c->sort_flags, rc, same, list, set, zset, zero = 0;

    if (c->argc < 2)
        return 0;
    /* Redis 7.0's SORT takes a number it read for a failure when errno is ERANGE, and it
     * does not clear errno first: ERANGE left by an earlier command (a score such as
     * 4.9e-324 or 1e400) makes every SORT by numbers fail with "One or more scores can't
     * be converted into double" until a command clears it. A ZADD XX of a valid score on
     * a key that is never created clears it (Redis parses the score after errno = 0). */
    df_arg(&t, "ZADD");
    df_arg(&t, "df-errno");
    df_arg(&t, "XX");
    df_arg(&t, "1");
    df_arg(&t, "m");
    df_naux++;
    rc = df_both(&t, &ra, &rb);
    same = rc == 0 && df_rep_equal(ra, rb);
    if (!same)
        df_report(&t, ra, rb, "%s", rc < 0 ? "connection lost" : "ZADD XX (before a SORT) differs");
    df_rep_free(ra);
    df_rep_free(rb);
    df_cmd_clear(&t);
    if (!same)
        return rc < 0 ? -1 : 1;
    df_arg(&t, "TYPE");
    df_argb(&t, c->argv[1], c->lens[1]);
    df_naux++;
    rc = df_both(&t, &ra, &rb);
    same = rc == 0 && df_rep_equal(ra, rb);
    if (!same)
        df_report(&t, ra, rb, "%s",
                  rc < 0 ? "connection lost" : "the type differs (read before a SORT)");
    list = same && df_is_status(ra, "list");
    set = same && df_is_status(ra, "set");
    zset = same && df_is_status(ra, "zset");
    df_rep_free(ra);
    df_rep_free(rb);
    df_cmd_clear(&t);
    if (!same)
        return rc < 0 ? -1 : 1;
    if (list) /* pqsort's ties */
        return f & DF_SF_ALPHA && f & DF_SF_BY && f & DF_SF_LIMIT ? 2 : 0;
    if (!set && !zset)
        return 0;
    if (zset && !(f & (DF_SF_ALPHA | DF_SF_NOSORT))) {
        rc = df_sort_errno_quirk(c->argv[1], c->lens[1]);
        if (rc)
            return rc < 0 ? -1 : 2;
    }
    if (f & DF_SF_NOSORT) { /* a sorted set keeps its order; a set stored is sorted */
        if (zset || f & DF_SF_STORE)
            return 0;
        return f & DF_SF_LIMIT ? 2 : 3;
    }
    if (!(f & DF_SF_ALPHA)) /* numbers, ties broken by the elements' bytes */
        return 0;
    if (f & DF_SF_BY)
        return f & (DF_SF_STORE | DF_SF_LIMIT) ? 2 : 3;
    if (f & DF_SF_STORE) /* compared as bytes when stored */
        return 0;
    /* ALPHA in a reply: strcoll() ties two members equal up to a zero byte */
    df_arg(&t, "%s", set ? "SMEMBERS" : "ZRANGE");
    df_argb(&t, c->argv[1], c->lens[1]);
    if (zset) {
        df_arg(&t, "0");
        df_arg(&t, "-1");
    }
    ra = df_aux1(&ca, &t);
    df_cmd_clear(&t);
    if (!ra)
        return -1;
    for (size_t i = 0; i < ra->n && !zero; i++)
        zero = ra->el[i]->str && memchr(ra->el[i]->str, '\0', ra->el[i]->len) != NULL;
    df_rep_free(ra);
    if (!zero)
        return 0;
    return f & DF_SF_LIMIT ? 2 : 3;
}

static int df_run_episode(const struct df_cmd *c);
static const char *df_episode_text(void);

/* A DF_COPY command 'c' (GET src): the GETs are compared exactly; when both servers
 * answered the same string, it is SET to c->copy_to on both (a HyperLogLog or bitmap
 * written by Redis, byte for byte, must read the same on omenkv) and the SETs'
 * replies compared exactly. 0, 1 or -1 as df_run(). */
static int df_run_copy(const struct df_cmd *c)
{
    struct df_rep *ra, *rb;
    struct df_cmd set = {0};
    int same;

    if (df_both(c, &ra, &rb) < 0) {
        df_report(c, ra, rb, "connection lost");
        df_rep_free(ra);
        df_rep_free(rb);
        return -1;
    }
    same = df_rep_equal(ra, rb);
    if (!same)
        df_report(c, ra, rb, "replies differ");
    else
        df_note(c, ra);
    if (same && ra->type == '$' && !ra->null) {
        df_arg(&set, "SET");
        df_arg(&set, "%s", c->copy_to);
        df_argb(&set, ra->str, ra->len);
        df_rep_free(ra);
        df_rep_free(rb);
        df_naux++;
        if (df_both(&set, &ra, &rb) < 0) {
            df_report(&set, ra, rb, "connection lost");
            df_rep_free(ra);
            df_rep_free(rb);
            df_cmd_clear(&set);
            return -1;
        }
        same = df_rep_equal(ra, rb);
        if (!same)
            df_report(&set, ra, rb, "the SET of the value read differs");
        df_cmd_clear(&set);
    }
    df_rep_free(ra);
    df_rep_free(rb);
    return !same;
}

/* Run 'c' on both servers and compare. 0: same; 1: a difference (reported); -1: a
 * connection is gone (reported). */
static int df_run(const struct df_cmd *c)
{
    struct df_rep *ra, *rb;
    int same = 1, multiset = 0;

    df_cur = c;
    if (c->kind == DF_EPISODE) {
        df_hist_add(c, df_episode_text());
        return df_run_episode(c);
    }
    df_hist_add(c, NULL);
    if (c->kind == DF_RANDOM)
        return df_run_random(c);
    if (c->kind == DF_WALK)
        return df_run_walk(c);
    if (c->kind == DF_COPY)
        return df_run_copy(c);
    if (c->kind == DF_LEX) {
        int rc = df_lex_check(c);

        if (rc)
            return rc == 2 ? 0 : rc;
    }
    if (c->kind == DF_SORTCMP) {
        int rc = df_sort_mode(c);

        if (rc == 2) {
            df_stats.sort_skipped++;
            return 0;
        }
        if (rc == 1 || rc == -1)
            return rc;
        multiset = rc == 3;
        df_stats.sort_exact += !multiset;
        df_stats.sort_multiset += multiset;
    }
    if (df_both(c, &ra, &rb) < 0) {
        df_report(c, ra, rb, "connection lost");
        df_rep_free(ra);
        df_rep_free(rb);
        return -1;
    }
    if (multiset && ra->type != '-' && rb->type != '-') {
        same = df_same_multiset(ra, rb, c->sort_gets > 0 ? c->sort_gets : 1);
    } else if (ra->type == '-' || rb->type == '-' || c->kind == DF_EXACT ||
               c->kind == DF_LEX || c->kind == DF_SORTCMP) {
        same = df_rep_equal(ra, rb);
    } else if (c->kind == DF_UNORDERED) {
        same = df_same_multiset(ra, rb, 1);
    } else if (c->kind == DF_PAIRS) {
        same = df_same_multiset(ra, rb, 2);
    } else if (c->kind == DF_TOL) {
        long long x, y;

        same = ra->type == ':' && rb->type == ':' && df_str2ll(ra->str, ra->len, &x) &&
               df_str2ll(rb->str, rb->len, &y) &&
               (x < 0 || y < 0 ? x == y : llabs(x - y) <= c->tol);
    } else if (c->kind == DF_HELLO) {
        same = ra->type == rb->type;
    }
    if (!same)
        df_report(c, ra, rb, "replies differ");
    else
        df_note(c, ra);
    df_rep_free(ra);
    df_rep_free(rb);
    return !same;
}

/* ---- what the stream is made of ---- */

/* Integers at the edges: of int16/int32/int64 (an intset widens its encoding), and of
 * what Redis takes for an integer at all. */
static const char *const df_edge_ints[] = {
    "-1", "-0", "007", "+5", " 1", "1 ", "0x10", "1e3", "3.0", "32767", "32768", "-32768",
    "-32769", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
    "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
    "18446744073709551615", "00", "-"};

/* Odd strings: empty, spaces, binary, glob characters. */
static const char *const df_odd_strings[] = {"", " ", "a b", "*", "[", "?", "\\", "-",
                                             "0.0", "nan", "inf", "\xc3\xa9", "\r\n"};

#define DF_NELEM(a) ((long long)(sizeof(a) / sizeof((a)[0])))

/* The family of the command being generated: its commands pick a key from the
 * family's own third of the key space five times in six, so that collections live long
 * enough to grow, and any key otherwise (WRONGTYPE). */
static int df_gen_family;

/* 1 while a command's members are to be integers only (sets stay intsets). */
static int df_ints_only;

/* Random lowercase text of 'len' bytes into 'buf'. */
static size_t df_text(char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('a' + df_below(26));
    return len;
}

/* A long (65-100 bytes) element, one of 10, so that they repeat. */
static size_t df_long_elem(char *buf, char prefix)
{
    int k = (int)df_below(10);
    size_t n = (size_t)sprintf(buf, "%c%d:", prefix, k);

    for (; n < (size_t)(65 + k * 4); n++)
        buf[n] = (char)('a' + (k + (int)n) % 26);
    return n;
}

/* Append a field (prefix 'f') or member ('m') from the small space. */
static void df_add_elem(struct df_cmd *c, char prefix)
{
    char buf[128];
    long long r = df_below(df_ints_only ? 550 : 1000);

    if (r < 400)
        df_arg(c, "%lld", df_below(20));
    else if (r < 550)
        df_arg(c, "%lld", df_below(1000) - 100);
    else if (r < 620)
        df_arg(c, "%s", df_edge_ints[df_below(DF_NELEM(df_edge_ints))]);
    else if (r < 900)
        df_arg(c, "%c%lld", prefix, df_below(20));
    else if (r < 950)
        df_argb(c, buf, df_long_elem(buf, prefix == 'f' ? 'F' : 'M'));
    else if (r < 980)
        df_argb(c, "\x00\xff", 2);
    else
        df_arg(c, "%s", df_odd_strings[df_below(DF_NELEM(df_odd_strings))]);
}

/* Append a value: integers, floats, text up to 64 bytes, sometimes more. */
static void df_add_value(struct df_cmd *c)
{
    static const char *const floats[] = {"1.5", "-0.25", "3e2", "0.1", ".5", "5.", "1e400",
                                         "inf", "-inf", "nan", "1e-5", "-0"};
    char buf[1100];
    long long r = df_below(1000);

    if (r < 300)
        df_arg(c, "%lld", df_below(106) - 5);
    else if (r < 400)
        df_arg(c, "%s", floats[df_below(DF_NELEM(floats))]);
    else if (r < 800)
        df_argb(c, buf, df_text(buf, (size_t)df_below(21)));
    else if (r < 900)
        df_argb(c, buf, df_text(buf, (size_t)(21 + df_below(44))));
    else if (r < 950)
        df_argb(c, buf, df_text(buf, (size_t)(65 + df_below(136))));
    else if (r < 955)
        df_argb(c, buf, df_text(buf, 1000));
    else
        df_arg(c, "%s", df_edge_ints[df_below(DF_NELEM(df_edge_ints))]);
}

/* The families that own a part of the key space once a family of issue 22 is on, in
 * the order of their parts. */
static const int df_owners[] = {DF_STRING, DF_HASH, DF_SET,    DF_LIST,
                                DF_ZSET,   DF_BITMAP, DF_BIGSTR, DF_HLL};

/* The DF_* bits of the families that own a part of the key space now (blocking pops use
 * the list and sorted-set parts, so they own them too). */
static int df_owner_bits(void)
{
    int fams = opt.families | (opt.families & DF_BLOCK ? DF_LIST | DF_ZSET : 0);
    int bits = 0;

    for (int i = 0; i < DF_NELEM(df_owners); i++)
        bits |= fams & df_owners[i];
    return bits;
}

/* The first key ('*start') and the number of keys ('*span') of family 'f''s own part of
 * the key space. With none of the list, zset, block and issue 22 families on: thirds
 * for strings, hashes and sets, as issue 20's fuzzer had (its seeds give the same
 * streams); with lists, sorted sets or blocking pops but none of issue 22's: fifths
 * (strings, hashes, sets, lists, sorted sets; at least 2 keys each, wrapping), as issue
 * 21's had, blocking pops using the list and sorted-set parts; with a family of issue 22
 * on: one part per family that owns keys (df_owner_bits), in df_owners' order. */
static void df_slice(int f, long long *start, long long *span)
{
    long long n = opt.nkeys;
    int part;

    if (opt.families & DF_STRS22) {
        int bits = df_owner_bits(), nparts = 0;

        part = 0;
        for (int i = 0; i < DF_NELEM(df_owners); i++) {
            if (df_owners[i] == f)
                part = nparts;
            nparts += (bits & df_owners[i]) != 0;
        }
        *start = part * n / nparts;
        *span = n / nparts >= 2 ? n / nparts : n >= 2 ? 2 : 1;
        return;
    }
    if (!(opt.families & (DF_LIST | DF_ZSET | DF_BLOCK))) {
        *span = n >= 3 ? n / 3 : n;
        *start = f == DF_HASH ? n / 3 : f == DF_SET ? 2 * n / 3 : 0;
        return;
    }
    part = f == DF_HASH ? 1 : f == DF_SET ? 2 : f == DF_LIST ? 3 : f == DF_ZSET ? 4 : 0;
    *start = part * n / 5;
    *span = n / 5 >= 2 ? n / 5 : n >= 2 ? 2 : 1;
}

/* The sorted-set key whose ZADDs give every member score 0, so that the lex commands
 * (which need equal scores) find one: the last of the sorted sets' part. */
static long long df_lex_key(void)
{
    long long start, span;

    df_slice(DF_ZSET, &start, &span);
    return (start + span - 1) % opt.nkeys;
}

/* Append a key: of the family's own part five times in six, any key otherwise. */
static void df_add_key(struct df_cmd *c)
{
    long long span, start;

    df_slice(df_gen_family, &start, &span);
    if (df_gen_family == DF_KEYS || df_below(6) == 0)
        df_arg(c, "k%lld", df_below(opt.nkeys));
    else
        df_arg(c, "k%lld", (start + df_below(span)) % opt.nkeys);
}

/* A count for SRANDMEMBER, SPOP and HRANDFIELD: small of both signs, sometimes large,
 * sometimes not a number or out of range (only values whose reply Redis bounds: a
 * count of -LONG_MAX would ask for that many members). */
static void df_add_count(struct df_cmd *c, int withvalues)
{
    static const char *const odd[] = {"abc", "1.5", "", " 1", "-9223372036854775808",
                                      "9223372036854775807", "9223372036854775808", "0x10"};
    long long r = df_below(1000);

    if (r < 700)
        df_arg(c, "%lld", df_below(41) - 20);
    else if (r < 800)
        df_arg(c, "%s", df_below(2) ? "0" : "1");
    else if (r < 900)
        df_arg(c, "%lld", (df_below(2) ? 1 : -1) * (100 + df_below(4000)));
    else if (withvalues && r < 930)
        df_arg(c, "%s", df_below(2) ? "-4611686018427387904" : "4611686018427387904");
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
}

/* An expiry in seconds far enough ahead that nothing expires during a run, or zero or
 * negative (EXPIRE deletes at once), or not a valid time. */
static void df_add_secs(struct df_cmd *c, int ms)
{
    static const char *const odd[] = {"abc", "1.5", "", "9223372036854775807",
                                      "-9223372036854775808", "9223372036854775808"};
    long long r = df_below(1000), v = 1000 + df_below(100000);

    if (r < 800)
        df_arg(c, "%lld", ms ? v * 1000 + df_below(1000) : v);
    else if (r < 900)
        df_arg(c, "%lld", -df_below(3));
    else if (r < 950)
        df_arg(c, "%lld", ms ? 100000000000000LL : 100000000000LL);
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
}

/* An absolute Unix time (seconds or ms) in the future, or 1 (long past). */
static void df_add_abs(struct df_cmd *c, int ms, int allow_past)
{
    long long t = (long long)time(NULL) + 1000 + df_below(100000);

    if (allow_past && df_chance(100))
        df_arg(c, "1");
    else
        df_arg(c, "%lld", ms ? t * 1000 + df_below(1000) : t);
}

/* A MATCH pattern for keys ('k'), fields ('f') or members ('m'). */
static void df_add_pattern(struct df_cmd *c, char what)
{
    static const char *const any[] = {"*", "*1*", "?", "[0-4]*", "*[!0-9]", "1?", "-*",
                                       "*\\*", "[a-", "\\"};

    if (df_chance(500))
        df_arg(c, "%c%s", what, df_below(2) ? "*" : "[1-3]*");
    else
        df_arg(c, "%s", any[df_below(DF_NELEM(any))]);
}

/* The command's name, in random case now and then (names are case-insensitive). */
static void df_name(struct df_cmd *c, const char *name)
{
    char buf[64];
    size_t n = strlen(name);
    long long r = df_below(100);

    memcpy(buf, name, n);
    for (size_t i = 0; i < n && r < 10; i++)
        if (r < 5 || df_below(2))
            buf[i] = (char)(buf[i] >= 'A' && buf[i] <= 'Z' ? buf[i] + 32 : buf[i]);
    df_argb(c, buf, n);
}

/* ---- generators: each fills 'c' with one command of its kind ---- */

typedef void df_gen_fn(struct df_cmd *c, const char *name);

/* NAME key */
static void g_key(struct df_cmd *c, const char *name)
{
    df_name(c, name);
    df_add_key(c);
}

/* NAME key elem */
static void g_key_field(struct df_cmd *c, const char *name)
{
    df_name(c, name);
    df_add_key(c);
    df_add_elem(c, 'f');
}

static void g_key_member(struct df_cmd *c, const char *name)
{
    df_name(c, name);
    df_add_key(c);
    df_add_elem(c, 'm');
}

/* NAME key elem elem... */
static void g_key_fields(struct df_cmd *c, const char *name)
{
    long long n = 1 + df_below(df_chance(100) ? 30 : 4);

    df_name(c, name);
    df_add_key(c);
    while (n-- > 0)
        df_add_elem(c, 'f');
}

static void g_key_members(struct df_cmd *c, const char *name)
{
    long long n = 1 + df_below(df_chance(100) ? 30 : 4);

    df_name(c, name);
    df_add_key(c);
    while (n-- > 0)
        df_add_elem(c, 'm');
}

/* NAME key1 [key2 ...] */
static void g_keys(struct df_cmd *c, const char *name)
{
    long long n = 1 + df_below(3);

    df_name(c, name);
    while (n-- > 0)
        df_add_key(c);
}

/* Unordered replies (HKEYS HVALS SMEMBERS, SINTER SUNION SDIFF of several keys). */
static void g_key_unordered(struct df_cmd *c, const char *name)
{
    g_key(c, name);
    c->kind = DF_UNORDERED;
}

static void g_keys_unordered(struct df_cmd *c, const char *name)
{
    g_keys(c, name);
    c->kind = DF_UNORDERED;
}

/* HSET/HMSET key f v [f v ...], sometimes with an odd number of arguments. */
static void g_hset(struct df_cmd *c, const char *name)
{
    long long n = 1 + df_below(df_chance(100) ? 30 : 3);

    df_name(c, name);
    df_add_key(c);
    while (n-- > 0) {
        df_add_elem(c, 'f');
        df_add_value(c);
    }
    if (df_chance(20))
        df_add_elem(c, 'f');
}

static void g_hsetnx(struct df_cmd *c, const char *name)
{
    g_key_field(c, name);
    df_add_value(c);
}

static void g_hgetall(struct df_cmd *c, const char *name)
{
    g_key(c, name);
    c->kind = DF_PAIRS;
}

static void g_hincrby(struct df_cmd *c, const char *name)
{
    static const char *const odd[] = {"9223372036854775807", "-9223372036854775808",
                                      "9223372036854775806", "abc", "1.5", "", " 1", "1 ",
                                      "0x1", "9223372036854775808", "-0", "+1"};

    g_key_field(c, name);
    if (df_chance(800))
        df_arg(c, "%lld", df_below(21) - 10);
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
}

static void g_hincrbyfloat(struct df_cmd *c, const char *name)
{
    static const char *const incr[] = {"1.5", "-0.25", "0.1", "3", "-3", "1e10", "1e-10",
                                       "5e300", "1e400", "1e5000", "inf", "-inf", "nan", "abc",
                                       "", " 1", "0x10", "1e", "-0", "+1.5", "1.0e2", ".1",
                                       "10.", "17179869184.5", "-7.25e-3"};

    g_key_field(c, name);
    if (df_chance(300))
        df_arg(c, "%lld", df_below(21) - 10);
    else
        df_arg(c, "%s", incr[df_below(DF_NELEM(incr))]);
}

static void g_hrandfield(struct df_cmd *c, const char *name)
{
    long long r = df_below(100);

    g_key(c, name);
    c->kind = DF_RANDOM;
    if (r < 20)
        return;
    df_add_count(c, r >= 60);
    if (r >= 60)
        df_arg(c, "%s", r < 97 ? "WITHVALUES" : r < 99 ? "withvalues" : "WITHVALUE");
}

/* HSCAN/SSCAN/ZSCAN key cursor [MATCH p] [COUNT n]; sometimes a bad cursor, count or
 * option. */
static void g_xscan(struct df_cmd *c, const char *name)
{
    static const char *const badcur[] = {"abc", " 1", "1x", "99999999999999999999999", ""};
    long long r = df_below(1000);
    int hash = name[0] == 'H';

    g_key(c, name);
    c->kind = DF_WALK;
    c->cursor_arg = 2;
    c->pairs = hash || name[0] == 'Z';
    df_arg(c, "%s", r < 980 ? "0" : badcur[df_below(DF_NELEM(badcur))]);
    if (df_chance(400)) {
        df_arg(c, "MATCH");
        df_add_pattern(c, hash ? 'f' : 'm');
    }
    if (df_chance(400)) {
        df_arg(c, "COUNT");
        if (df_chance(980))
            df_arg(c, "%lld", 1 + df_below(df_chance(500) ? 10 : 1000));
        else
            df_arg(c, "%s", df_below(2) ? "0" : "abc");
    }
    if (df_chance(20))
        df_arg(c, "%s", df_below(2) ? "NOVALUES" : "MATCH");
}

static void g_srandmember(struct df_cmd *c, const char *name)
{
    g_key(c, name);
    c->kind = DF_RANDOM;
    if (df_chance(750))
        df_add_count(c, 0);
    if (df_chance(10))
        df_arg(c, "1");
}

static void g_smove(struct df_cmd *c, const char *name)
{
    df_name(c, name);
    df_add_key(c);
    df_add_key(c);
    df_add_elem(c, 'm');
}

static void g_sintercard(struct df_cmd *c, const char *name)
{
    long long n = 1 + df_below(3), r = df_below(100);

    df_name(c, name);
    df_arg(c, "%lld", r < 90 ? n : r < 94 ? 0 : r < 97 ? n + 1 : -1);
    while (n-- > 0)
        df_add_key(c);
    if (df_chance(400)) {
        df_arg(c, "LIMIT");
        r = df_below(100);
        if (r < 80)
            df_arg(c, "%lld", df_below(6));
        else if (r < 90)
            df_arg(c, "%s", "-1");
        else
            df_arg(c, "%s", r < 95 ? "abc" : "100000");
    }
}

/* SINTERSTORE/SUNIONSTORE/SDIFFSTORE dst key [key ...] */
static void g_sstore(struct df_cmd *c, const char *name)
{
    df_name(c, name);
    df_add_key(c);
    for (long long n = 1 + df_below(3); n > 0; n--)
        df_add_key(c);
}

/* ---- strings ---- */

static void g_set(struct df_cmd *c, const char *name)
{
    static const char *const flags[] = {"NX", "XX", "GET", "EX", "PX", "EXAT", "PXAT",
                                        "KEEPTTL", "ex", "BAD"};

    g_key(c, name);
    df_add_value(c);
    for (long long n = df_below(3); n > 0; n--) {
        long long f = df_below(DF_NELEM(flags));

        df_arg(c, "%s", flags[f]);
        if (f == 3 || f == 8)
            df_add_secs(c, 0);
        else if (f == 4)
            df_add_secs(c, 1);
        else if (f == 5 || f == 6)
            df_add_abs(c, f == 6, 0);
    }
    /* A relative time of 0 or less is an error for SET; one that passes must not make
     * the key expire during the run (the generator's times are all far ahead). */
}

static void g_key_value(struct df_cmd *c, const char *name)
{
    g_key(c, name);
    df_add_value(c);
}

static void g_getex(struct df_cmd *c, const char *name)
{
    long long r = df_below(100);

    g_key(c, name);
    if (r < 30)
        return;
    if (r < 45) {
        df_arg(c, "EX");
        df_add_secs(c, 0);
    } else if (r < 60) {
        df_arg(c, "PX");
        df_add_secs(c, 1);
    } else if (r < 70) {
        df_arg(c, "EXAT");
        df_add_abs(c, 0, 1);
    } else if (r < 80) {
        df_arg(c, "PXAT");
        df_add_abs(c, 1, 1);
    } else if (r < 95) {
        df_arg(c, "PERSIST");
    } else {
        df_arg(c, "%s", r < 98 ? "EX" : "PERSIST");
        df_arg(c, "%s", "KEEPTTL");
    }
}

static void g_mset(struct df_cmd *c, const char *name)
{
    long long n = 1 + df_below(3);

    df_name(c, name);
    while (n-- > 0) {
        df_add_key(c);
        df_add_value(c);
    }
    if (df_chance(30))
        df_add_key(c);
}

static void g_incrby(struct df_cmd *c, const char *name)
{
    static const char *const odd[] = {"9223372036854775807", "-9223372036854775808", "abc",
                                      "1.5", "", "9223372036854775808", "-0", "+1", " 1"};

    g_key(c, name);
    if (df_chance(850))
        df_arg(c, "%lld", df_below(201) - 100);
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
}

static void g_incrbyfloat(struct df_cmd *c, const char *name)
{
    g_hincrbyfloat(c, name);
    /* g_hincrbyfloat put a field at argv[2]: INCRBYFLOAT takes key and increment only. */
    free(c->argv[2]);
    c->argv[2] = c->argv[3];
    c->lens[2] = c->lens[3];
    c->argc = 3;
}

static void g_getrange(struct df_cmd *c, const char *name)
{
    static const long long pts[] = {0, 1, 2, 5, 10, 63, 100, -1, -2, -5, -100,
                                    9223372036854775807LL, -9223372036854775807LL - 1};

    g_key(c, name);
    for (int i = 0; i < 2; i++) {
        if (df_chance(20))
            df_arg(c, "x");
        else
            df_arg(c, "%lld", pts[df_below(DF_NELEM(pts))]);
    }
}

static void g_setrange(struct df_cmd *c, const char *name)
{
    static const char *const odd[] = {"-1", "536870912", "536870911", "abc", "1.5"};
    long long r = df_below(1000);

    g_key(c, name);
    if (r < 950)
        df_arg(c, "%lld", df_below(120));
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
    /* 536870911 with a non-empty value would allocate 512 MB on both: keep it empty. */
    if (r >= 950 && !strcmp(c->argv[2], "536870911"))
        df_arg(c, "%s", "");
    else
        df_add_value(c);
}

/* ---- generic key commands ---- */

static void g_expire(struct df_cmd *c, const char *name)
{
    static const char *const flags[] = {"NX", "XX", "GT", "LT", "nx", "BAD"};
    int ms = name[0] == 'P';

    g_key(c, name);
    if (strstr(name, "AT"))
        df_add_abs(c, ms, 1);
    else
        df_add_secs(c, ms);
    for (long long n = df_chance(200) + df_chance(50); n > 0; n--)
        df_arg(c, "%s", flags[df_below(DF_NELEM(flags))]);
}

static void g_ttl(struct df_cmd *c, const char *name)
{
    g_key(c, name);
    c->kind = DF_TOL;
    c->tol = name[0] == 'P' ? 1000 : 1;
}

static void g_rename(struct df_cmd *c, const char *name)
{
    df_name(c, name);
    df_add_key(c);
    df_add_key(c);
}

static void g_copy(struct df_cmd *c, const char *name)
{
    long long r = df_below(100);

    g_rename(c, name);
    if (r < 30) {
        df_arg(c, "DB");
        df_arg(c, "%s", r < 27 ? (df_below(2) ? "1" : "0") : r < 28 ? "16" : "abc");
    }
    if (df_chance(400))
        df_arg(c, "REPLACE");
    if (df_chance(20))
        df_arg(c, "%s", df_below(2) ? "DB" : "BAD");
}

static void g_move(struct df_cmd *c, const char *name)
{
    long long r = df_below(100);

    g_key(c, name);
    df_arg(c, "%s", r < 95 ? (df_below(2) ? "1" : "0") : r < 97 ? "-1" : r < 99 ? "abc" : "16");
}

static void g_select(struct df_cmd *c, const char *name)
{
    long long r = df_below(100);

    df_name(c, name);
    df_arg(c, "%s", r < 97 ? (df_below(2) ? "1" : "0") : r < 98 ? "16" : r < 99 ? "-1" : "abc");
}

static void g_object(struct df_cmd *c, const char *name)
{
    long long r = df_below(100);

    df_name(c, name);
    df_arg(c, "%s", r < 97 ? "ENCODING" : r < 99 ? "encoding" : "NOSUCH");
    df_add_key(c);
}

static void g_scan(struct df_cmd *c, const char *name)
{
    static const char *const types[] = {"string", "hash", "set", "list", "zset", "stream",
                                        "HASH", "nosuch"};

    df_name(c, name);
    c->kind = DF_WALK;
    c->cursor_arg = 1;
    df_arg(c, "%s", df_chance(990) ? "0" : "abc");
    if (df_chance(300)) {
        df_arg(c, "MATCH");
        df_add_pattern(c, 'k');
    }
    if (df_chance(300)) {
        df_arg(c, "COUNT");
        df_arg(c, "%lld", 1 + df_below(20));
    }
    if (df_chance(500)) {
        df_arg(c, "TYPE");
        df_arg(c, "%s", types[df_below(DF_NELEM(types))]);
    }
}

static void g_keys_cmd(struct df_cmd *c, const char *name)
{
    df_name(c, name);
    df_add_pattern(c, 'k');
    c->kind = DF_UNORDERED;
}

static void g_noargs(struct df_cmd *c, const char *name)
{
    df_name(c, name);
}

/* ---- lists ---- */

/* A list element: df_add_elem's small space (so that LREM, LPOS and LINSERT find what
 * they look for), now and then a value of up to 1000 bytes. */
static void df_add_lelem(struct df_cmd *c)
{
    if (df_chance(80))
        df_add_value(c);
    else
        df_add_elem(c, 'e');
}

/* An index (LINDEX LSET LRANGE LTRIM, ranks of ZRANGE): small of both signs mostly,
 * sometimes past either end, at the int64 edges, or not an integer. */
static void df_add_index(struct df_cmd *c)
{
    static const char *const odd[] = {"9223372036854775807", "-9223372036854775808", "abc",
                                      "1.5", "", " 1", "+1", "-0", "9223372036854775808",
                                      "0x1"};
    long long r = df_below(1000);

    if (r < 750)
        df_arg(c, "%lld", df_below(16) - 6);
    else if (r < 930)
        df_arg(c, "%lld", (df_below(2) ? 1 : -1) * (10 + df_below(3000)));
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
}

/* A count of LPOP RPOP ZPOPMIN ZPOPMAX and of LMPOP/ZMPOP's COUNT: absent (when
 * 'optional') or small mostly, sometimes large, zero, negative or not a number. */
static void df_add_pop_count(struct df_cmd *c, int optional)
{
    static const char *const odd[] = {"-1", "abc", "1.5", "", "9223372036854775807",
                                      "-9223372036854775808", "9223372036854775808", "0"};
    long long r = df_below(100);

    if (optional && r < 40)
        return;
    if (r < 85)
        df_arg(c, "%lld", 1 + df_below(5));
    else if (r < 94)
        df_arg(c, "%lld", 6 + df_below(300));
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
}

/* LEFT or RIGHT (MIN or MAX for 'zset'), now and then in lower case or neither. */
static void df_add_end(struct df_cmd *c, int zset)
{
    static const char *const lr[] = {"LEFT", "RIGHT", "left", "Right", "UP"};
    static const char *const mm[] = {"MIN", "MAX", "min", "Max", "MID"};
    long long r = df_below(100);
    int at = r < 47 ? 0 : r < 94 ? 1 : r < 96 ? 2 : r < 98 ? 3 : 4;

    df_arg(c, "%s", zset ? mm[at] : lr[at]);
}

/* A numkeys argument for 'n' keys: n mostly, else 0, negative, one off, or not a number. */
static void df_add_numkeys(struct df_cmd *c, long long n)
{
    static const char *const odd[] = {"0", "-1", "abc", "", "2147483648",
                                      "9223372036854775807"};
    long long r = df_below(100);

    if (r < 92)
        df_arg(c, "%lld", n);
    else if (r < 96)
        df_arg(c, "%lld", df_below(2) ? n + 1 : n - 1);
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
}

/* LPUSH RPUSH LPUSHX RPUSHX key elem [elem ...] */
static void g_lpush(struct df_cmd *c, const char *name)
{
    long long n = 1 + df_below(df_chance(100) ? 40 : 4);

    g_key(c, name);
    while (n-- > 0)
        df_add_lelem(c);
}

/* LPOP RPOP ZPOPMIN ZPOPMAX key [count] */
static void g_pop(struct df_cmd *c, const char *name)
{
    g_key(c, name);
    df_add_pop_count(c, 1);
}

/* LINDEX key index */
static void g_key_index(struct df_cmd *c, const char *name)
{
    g_key(c, name);
    df_add_index(c);
}

/* LRANGE LTRIM ZREVRANGE ZREMRANGEBYRANK key start stop (ZREVRANGE: [WITHSCORES]) */
static void g_key_range(struct df_cmd *c, const char *name)
{
    g_key(c, name);
    df_add_index(c);
    df_add_index(c);
    if (!strcmp(name, "ZREVRANGE") && df_chance(400))
        df_arg(c, "%s", df_chance(950) ? "WITHSCORES" : "LIMIT");
}

/* LSET key index elem */
static void g_lset(struct df_cmd *c, const char *name)
{
    g_key_index(c, name);
    df_add_lelem(c);
}

/* LINSERT key BEFORE|AFTER pivot elem */
static void g_linsert(struct df_cmd *c, const char *name)
{
    static const char *const where[] = {"BEFORE", "AFTER", "before", "after", "MIDDLE"};
    long long r = df_below(100);

    g_key(c, name);
    df_arg(c, "%s", where[r < 45 ? 0 : r < 90 ? 1 : r < 94 ? 2 : r < 98 ? 3 : 4]);
    df_add_lelem(c);
    df_add_lelem(c);
}

/* LREM key count elem */
static void g_lrem(struct df_cmd *c, const char *name)
{
    static const char *const odd[] = {"abc", "1.5", "", "9223372036854775807",
                                      "-9223372036854775808"};
    long long r = df_below(100);

    g_key(c, name);
    if (r < 85)
        df_arg(c, "%lld", df_below(9) - 4);
    else if (r < 95)
        df_arg(c, "%lld", (df_below(2) ? 1 : -1) * (5 + df_below(100)));
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
    df_add_lelem(c);
}

/* LPOS key elem [RANK r] [COUNT n] [MAXLEN m]: the options in any order, each now and
 * then out of range or not a number; sometimes an unknown or dangling option. */
static void g_lpos(struct df_cmd *c, const char *name)
{
    static const char *const ranks[] = {"1", "2", "3", "-1", "-2", "-3", "0", "abc",
                                        "-9223372036854775808", "9223372036854775807"};
    static const char *const counts[] = {"0", "1", "2", "3", "10", "-1", "abc"};
    static const char *const maxlens[] = {"0", "1", "2", "5", "100", "-1", "abc"};
    int done = 0;

    g_key(c, name);
    df_add_lelem(c);
    for (int i = 0; i < 3; i++) {
        int which = (int)df_below(3);

        if (done & (1 << which) || !df_chance(400))
            continue;
        done |= 1 << which;
        if (which == 0) {
            df_arg(c, "RANK");
            df_arg(c, "%s", ranks[df_below(df_chance(900) ? 6 : DF_NELEM(ranks))]);
        } else if (which == 1) {
            df_arg(c, "COUNT");
            df_arg(c, "%s", counts[df_below(df_chance(900) ? 5 : DF_NELEM(counts))]);
        } else {
            df_arg(c, "MAXLEN");
            df_arg(c, "%s", maxlens[df_below(df_chance(900) ? 5 : DF_NELEM(maxlens))]);
        }
    }
    if (df_chance(20))
        df_arg(c, "%s", df_below(2) ? "RANK" : "BAD");
}

/* LMOVE src dst LEFT|RIGHT LEFT|RIGHT */
static void g_lmove(struct df_cmd *c, const char *name)
{
    g_rename(c, name);
    df_add_end(c, 0);
    df_add_end(c, 0);
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT n]; ZMPOP with MIN|MAX. */
static void g_mpop(struct df_cmd *c, const char *name)
{
    long long n = 1 + df_below(3);

    df_name(c, name);
    df_add_numkeys(c, n);
    while (n-- > 0)
        df_add_key(c);
    df_add_end(c, name[0] == 'Z');
    if (df_chance(500)) {
        df_arg(c, "COUNT");
        df_add_pop_count(c, 0);
    }
    if (df_chance(15))
        df_arg(c, "%s", df_below(2) ? "COUNT" : "BAD");
}

/* ---- sorted sets ---- */

/* Scores Redis takes: decimals, the infinities as it spells them, -0, values at 17
 * significant digits and at the ends of the doubles. */
static const char *const df_scores[] = {
    "1.5", "-0.25", "0.1", "0.2", "0.30000000000000004", "3.141592653589793", "1e-5", "2.5e3",
    ".5", "5.", "-0", "+0", "0.0", "1e308", "-1e308", "4.9e-324", "9007199254740993",
    "123456789012345678", "inf", "-inf", "+inf", "Inf", "-INF", "infinity", "17.0"};

/* Scores it refuses (or that should be refused: the overflowing 1e400). */
static const char *const df_bad_scores[] = {"nan", "NaN", "abc", "", " 1", "1 ", "1e",
                                            "--1", "1.5.5", "(1", "1e400", "-nan"};

/* Append a score: small integers of both signs (so equal scores come up) mostly. */
static void df_add_score(struct df_cmd *c)
{
    long long r = df_below(1000);

    if (r < 550)
        df_arg(c, "%lld", df_below(26) - 5);
    else if (r < 650)
        df_arg(c, "%lld", df_below(2000) - 1000);
    else if (r < 965)
        df_arg(c, "%s", df_scores[df_below(DF_NELEM(df_scores))]);
    else
        df_arg(c, "%s", df_bad_scores[df_below(DF_NELEM(df_bad_scores))]);
}

/* Append a score range bound: an infinity, a number, an exclusive "(number", or one
 * Redis refuses. */
static void df_add_score_bound(struct df_cmd *c)
{
    static const char *const infs[] = {"-inf", "+inf", "inf", "-INF", "(inf", "(-inf"};
    static const char *const odd[] = {"(", "[1", "((1", "nan", "(nan", "abc", "", "1)",
                                      "( 1", "(1e400"};
    long long r = df_below(1000);

    if (r < 200)
        df_arg(c, "%s", infs[df_below(DF_NELEM(infs))]);
    else if (r < 650)
        df_arg(c, "%lld", df_below(26) - 5);
    else if (r < 850)
        df_arg(c, "(%lld", df_below(26) - 5);
    else if (r < 950)
        df_arg(c, "%s%s", df_below(2) ? "(" : "", df_scores[df_below(DF_NELEM(df_scores))]);
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
}

/* Append a lex range bound: "-", "+", "[member" or "(member" from the members' space,
 * or one Redis refuses. */
static void df_add_lex_bound(struct df_cmd *c)
{
    static const char *const odd[] = {"a", "", "-inf", "+inf", "*", "-x", "+x", "]a"};
    long long r = df_below(1000);

    if (r < 160) {
        df_arg(c, "%s", df_below(2) ? "-" : "+");
    } else if (r < 950) {
        struct df_cmd t = {0};
        char buf[160];

        buf[0] = df_below(2) ? '[' : '(';
        df_add_elem(&t, 'm');
        memcpy(buf + 1, t.argv[0], t.lens[0]);
        df_argb(c, buf, t.lens[0] + 1);
        df_cmd_clear(&t);
    } else {
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
    }
}

/* Whether argument 'i' of 'c' is the lex key (whose members all get score 0). */
static int df_arg_is_lex_key(const struct df_cmd *c, int i)
{
    char name[32];

    snprintf(name, sizeof(name), "k%lld", df_lex_key());
    return i < c->argc && c->lens[i] == strlen(name) && !memcmp(c->argv[i], name, c->lens[i]);
}

/* The key of a lex command: the lex key seven times in ten. */
static void df_add_lex_key(struct df_cmd *c)
{
    if (df_chance(700))
        df_arg(c, "k%lld", df_lex_key());
    else
        df_add_key(c);
}

/* ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]: options in any
 * order and combination (those Redis refuses too), now and then a score without a
 * member. On the lex key the scores are 0. */
static void g_zadd(struct df_cmd *c, const char *name)
{
    static const char *const flags[] = {"NX", "XX", "GT", "LT", "CH", "INCR", "nx", "ch", "Gt"};
    long long n = 1 + df_below(df_chance(100) ? 40 : 4), r = df_below(100);
    long long nflags = r < 55 ? 0 : r < 82 ? 1 : r < 96 ? 2 : 3;
    int lex, incr = 0;

    g_key(c, name);
    lex = df_arg_is_lex_key(c, 1);
    while (nflags-- > 0) {
        long long f = df_below(DF_NELEM(flags));

        df_arg(c, "%s", flags[f]);
        incr |= f == 5;
    }
    if (incr && df_chance(800))
        n = 1;
    while (n-- > 0) {
        if (lex && df_chance(950))
            df_arg(c, "0");
        else
            df_add_score(c);
        df_add_elem(c, 'm');
    }
    if (df_chance(20))
        df_add_score(c);
}

/* ZINCRBY key increment member (0 on the lex key mostly) */
static void g_zincrby(struct df_cmd *c, const char *name)
{
    g_key(c, name);
    if (df_arg_is_lex_key(c, 1) && df_chance(900))
        df_arg(c, "0");
    else
        df_add_score(c);
    df_add_elem(c, 'm');
}

/* ZCOUNT key min max; ZREMRANGEBYSCORE key min max */
static void g_zscore_range(struct df_cmd *c, const char *name)
{
    g_key(c, name);
    df_add_score_bound(c);
    df_add_score_bound(c);
}

/* ZLEXCOUNT key min max; ZREMRANGEBYLEX key min max (lex: see DF_LEX) */
static void g_zlex_range(struct df_cmd *c, const char *name)
{
    df_name(c, name);
    df_add_lex_key(c);
    df_add_lex_bound(c);
    df_add_lex_bound(c);
    c->kind = DF_LEX;
    c->lex_arg = 1;
}

/* LIMIT offset count, each now and then negative or not a number. */
static void df_add_limit(struct df_cmd *c)
{
    static const char *const offs[] = {"0", "1", "2", "5", "-1", "abc"};
    static const char *const counts[] = {"-1", "0", "1", "3", "10", "-5", "abc"};

    df_arg(c, "LIMIT");
    df_arg(c, "%s", offs[df_below(df_chance(900) ? 4 : DF_NELEM(offs))]);
    df_arg(c, "%s", counts[df_below(df_chance(900) ? 5 : DF_NELEM(counts))]);
}

/* ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT o c] [WITHSCORES] and ZRANGESTORE
 * dst src min max [BYSCORE|BYLEX] [REV] [LIMIT o c]: by rank, score or lex, the options
 * in any order, now and then a combination Redis refuses. */
static void g_zrange(struct df_cmd *c, const char *name)
{
    long long r = df_below(100);
    int by = r < 45 ? 0 : r < 75 ? 1 : 2, store = name[6] == 'S', done = 0;

    df_name(c, name);
    if (store)
        df_add_key(c);
    if (by == 2)
        df_add_lex_key(c);
    else
        df_add_key(c);
    for (int i = 0; i < 2; i++) {
        if (by == 0)
            df_add_index(c);
        else if (by == 1)
            df_add_score_bound(c);
        else
            df_add_lex_bound(c);
    }
    for (int i = 0; i < 4; i++) {
        int which = (int)df_below(4);

        if (done & (1 << which))
            continue;
        done |= 1 << which;
        if (which == 0 && by && df_chance(980))
            df_arg(c, "%s", by == 1 ? "BYSCORE" : df_below(20) ? "BYLEX" : "bylex");
        else if (which == 1 && df_chance(300))
            df_arg(c, "%s", df_below(20) ? "REV" : "rev");
        else if (which == 2 && df_chance(by ? 250 : 20))
            df_add_limit(c);
        else if (which == 3 && df_chance(store ? 10 : by == 2 ? 20 : 350))
            df_arg(c, "WITHSCORES");
    }
    if (df_chance(15))
        df_arg(c, "%s", df_below(2) ? "BYSCORE" : "BAD");
    if (by == 2) {
        c->kind = DF_LEX;
        c->lex_arg = store ? 2 : 1;
    }
}

/* ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT o c] (and ZREVRANGEBYSCORE, max first);
 * ZRANGEBYLEX key min max [LIMIT o c] (and ZREVRANGEBYLEX). */
static void g_zrangeby(struct df_cmd *c, const char *name)
{
    int lex = strstr(name, "LEX") != NULL;

    df_name(c, name);
    if (lex)
        df_add_lex_key(c);
    else
        df_add_key(c);
    for (int i = 0; i < 2; i++) {
        if (lex)
            df_add_lex_bound(c);
        else
            df_add_score_bound(c);
    }
    if (!lex && df_chance(400))
        df_arg(c, "WITHSCORES");
    if (df_chance(300))
        df_add_limit(c);
    if (df_chance(15))
        df_arg(c, "%s", df_below(2) ? "WITHSCORES" : "LIMIT");
    if (lex) {
        c->kind = DF_LEX;
        c->lex_arg = 1;
    }
}

/* ZRANDMEMBER key [count [WITHSCORES]] */
static void g_zrandmember(struct df_cmd *c, const char *name)
{
    long long r = df_below(100);

    g_key(c, name);
    c->kind = DF_RANDOM;
    if (r < 20)
        return;
    df_add_count(c, r >= 60);
    if (r >= 60)
        df_arg(c, "%s", r < 97 ? "WITHSCORES" : r < 99 ? "withscores" : "WITHSCORE");
}

/* ZUNION ZINTER ZDIFF numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
 * [WITHSCORES]; the *STORE forms with a destination first and no WITHSCORES; ZINTERCARD
 * numkeys key [key ...] [LIMIT n]. Sets take part too (their members score 1). */
static void g_zsetop(struct df_cmd *c, const char *name)
{
    static const char *const weights[] = {"1", "2", "0", "-1", "0.5", "-0.5", "3", "inf",
                                          "-inf", "1e308", "abc", "nan", ""};
    static const char *const aggs[] = {"SUM", "MIN", "MAX", "sum", "max", "AVG"};
    int store = strstr(name, "STORE") != NULL, card = !strcmp(name, "ZINTERCARD");
    int diff = !strncmp(name, "ZDIFF", 5);
    long long n = 1 + df_below(3);

    df_name(c, name);
    if (store)
        df_add_key(c);
    df_add_numkeys(c, n);
    for (long long i = 0; i < n; i++)
        df_add_key(c);
    if (card) {
        if (df_chance(400)) {
            df_arg(c, "LIMIT");
            df_arg(c, "%s", df_chance(900) ? (df_below(2) ? "0" : "2") : df_below(2) ? "-1" : "x");
        }
        return;
    }
    if (df_chance(diff ? 20 : 300)) {
        long long w = df_chance(950) ? n : n + (df_below(2) ? 1 : -1);

        df_arg(c, "WEIGHTS");
        while (w-- > 0)
            df_arg(c, "%s", weights[df_below(df_chance(950) ? 10 : DF_NELEM(weights))]);
    }
    if (df_chance(diff ? 20 : 300)) {
        df_arg(c, "AGGREGATE");
        df_arg(c, "%s", aggs[df_below(df_chance(950) ? 3 : DF_NELEM(aggs))]);
    }
    if (df_chance(store ? 10 : 450))
        df_arg(c, "WITHSCORES");
}

/* ---- blocking pops (the block family) ----
 *
 * A blocking pop is an episode: the stream's command goes to blocker 1 of each server (a
 * connection of its own), and sometimes a second one to blocker 2; the fuzzer waits until
 * each has either answered or blocked (INFO's blocked_clients); then, unless the command
 * has a short timeout (its reply is then simply awaited: the timeout case), a command
 * that may serve it (a push, a ZADD, an LMOVE, a RENAME or COPY onto the key, a
 * Z*STORE...) runs on the stream's connection, EXISTS of every key named follows (Redis
 * has served the blocked clients before it answers anything that touches those keys),
 * then CLIENT UNBLOCK (TIMEOUT or ERROR) of each blocker, whose reply says whether it was
 * still blocked. All those replies and the blockers' own are compared exactly. The
 * episode is drawn whole from the seed when the command is generated. */

#define DF_EP_KEYS 12 /* keys an episode's commands name at most */

static struct df_episode {
    int nblk;               /* blocking commands: 1, or 2 with the second in 'blk2' */
    struct df_cmd blk2;     /* the second blocking command */
    int wait;               /* 1: a short timeout; nothing is served, its reply awaited */
    struct df_cmd serve;    /* sent on the stream's connection once they block; argc 0:
                             * nothing (CLIENT UNBLOCK ends them) */
    int unblock;            /* CLIENT UNBLOCK's form: 0 no argument, 1 TIMEOUT, 2 ERROR */
    int zset;               /* sorted-set pops (else list pops) */
    int inner;              /* 1 while the second command is generated */
    char keys[DF_EP_KEYS][32]; /* the keys the blocking commands name */
    int nkeys;
    char force[32];         /* if set: the next blocking key (blk2 waits on blk1's key) */
    int own_key;            /* the first key is the episode's own k<nkeys>: DEL at the end */
} df_ep;

/* Append a key of a blocking command, remembered: for the episode's first key, half
 * the time its own key k<nkeys> (outside the stream's key space, empty when an episode
 * starts: it blocks), else one of the list or sorted-set part. */
static void df_add_bkey(struct df_cmd *c)
{
    if (df_ep.force[0]) {
        df_arg(c, "%s", df_ep.force);
        df_ep.force[0] = '\0';
    } else if (df_ep.nkeys == 0 && !df_ep.inner && df_below(2)) {
        df_arg(c, "k%d", opt.nkeys);
        df_ep.own_key = 1;
    } else {
        df_add_key(c);
    }
    if (df_ep.nkeys < DF_EP_KEYS && c->lens[c->argc - 1] < sizeof(df_ep.keys[0]))
        snprintf(df_ep.keys[df_ep.nkeys++], sizeof(df_ep.keys[0]), "%s", c->argv[c->argc - 1]);
}

/* Append a blocking timeout: 0 (forever) or long mostly; short (tens of milliseconds:
 * the timeout case) only for the episode's first command; now and then one Redis
 * refuses (those it takes are all long). */
static void df_add_btimeout(struct df_cmd *c)
{
    static const char *const longs[] = {"0", "0", "0", "0", "30", "100.5", "1e3", "0.0", "-0",
                                        "3600"};
    static const char *const shorts[] = {"0.001", "0.002", "0.005", "0.01", ".02", "0.05"};
    static const char *const bad[] = {"-1", "-0.5", "abc", "", "1e400", "inf", "nan", "1 ",
                                      "9223372036854775807", "-inf"};
    long long r = df_below(100);

    if (r < 12 && !df_ep.inner) {
        df_arg(c, "%s", shorts[df_below(DF_NELEM(shorts))]);
        df_ep.wait = 1;
    } else if (r < 95) {
        df_arg(c, "%s", longs[df_below(DF_NELEM(longs))]);
    } else {
        df_arg(c, "%s", bad[df_below(DF_NELEM(bad))]);
    }
}

/* Start generating a blocking command of list pops or sorted-set pops ('zset'): its
 * keys come from that type's part of the key space; the episode starts afresh unless
 * this is its second command. */
static void df_block_begin(int zset)
{
    df_gen_family = zset ? DF_ZSET : DF_LIST;
    if (df_ep.inner)
        return;
    df_cmd_clear(&df_ep.blk2);
    df_cmd_clear(&df_ep.serve);
    memset(&df_ep, 0, sizeof(df_ep));
}

static void df_block_end(struct df_cmd *c, int zset);

/* BLPOP BRPOP BZPOPMIN BZPOPMAX key [key ...] timeout */
static void g_bpop(struct df_cmd *c, const char *name)
{
    long long n = 1 + df_below(df_chance(200) ? 3 : 1);
    int zset = name[1] == 'Z';

    df_block_begin(zset);
    df_name(c, name);
    while (n-- > 0)
        df_add_bkey(c);
    df_add_btimeout(c);
    df_block_end(c, zset);
}

/* BLMOVE src dst LEFT|RIGHT LEFT|RIGHT timeout; BRPOPLPUSH src dst timeout */
static void g_blmove(struct df_cmd *c, const char *name)
{
    df_block_begin(0);
    df_name(c, name);
    df_add_bkey(c);
    df_add_bkey(c);
    if (name[2] == 'M') {
        df_add_end(c, 0);
        df_add_end(c, 0);
    }
    df_add_btimeout(c);
    df_block_end(c, 0);
}

/* BLMPOP BZMPOP timeout numkeys key [key ...] LEFT|RIGHT (MIN|MAX) [COUNT n] */
static void g_bmpop(struct df_cmd *c, const char *name)
{
    long long n = 1 + df_below(df_chance(300) ? 3 : 1);
    int zset = name[1] == 'Z';

    df_block_begin(zset);
    df_name(c, name);
    df_add_btimeout(c);
    df_add_numkeys(c, n);
    while (n-- > 0)
        df_add_bkey(c);
    df_add_end(c, zset);
    if (df_chance(400)) {
        df_arg(c, "COUNT");
        df_add_pop_count(c, 0);
    }
    df_block_end(c, zset);
}

/* The command that may serve the episode's blocked clients, on key 'key' (named by the
 * first blocking command): mostly one that makes it a non-empty list or sorted set,
 * sometimes one that cannot (a push onto a missing key with LPUSHX, ZADD XX, a string),
 * sometimes nothing. */
static void df_gen_serve(struct df_cmd *s, const char *key, int zset)
{
    long long r = df_below(100);

    if (r < 20)
        return;
    if (r < 65) {
        df_arg(s, "%s", zset ? "ZADD" : df_below(2) ? "LPUSH" : "RPUSH");
        df_arg(s, "%s", key);
        for (long long n = 1 + df_below(3); n > 0; n--) {
            if (zset) {
                df_add_score(s);
                df_add_elem(s, 'm');
            } else {
                df_add_lelem(s);
            }
        }
    } else if (r < 72) {
        df_arg(s, "%s", zset ? "ZINCRBY" : df_below(2) ? "LPUSHX" : "RPUSHX");
        df_arg(s, "%s", key);
        if (zset)
            df_add_score(s);
        df_add_elem(s, zset ? 'm' : 'e');
    } else if (r < 82) {
        if (zset) {
            long long op = df_below(4);

            df_arg(s, "%s", op == 0 ? "ZUNIONSTORE" : op == 1 ? "ZINTERSTORE" : op == 2
                                                                 ? "ZDIFFSTORE" : "ZRANGESTORE");
            df_arg(s, "%s", key);
            if (op == 3) {
                df_add_key(s);
                df_arg(s, "0");
                df_arg(s, "-1");
            } else {
                df_arg(s, "2");
                df_add_key(s);
                df_add_key(s);
            }
        } else if (df_below(2)) {
            df_arg(s, "LMOVE");
            df_add_key(s);
            df_arg(s, "%s", key);
            df_add_end(s, 0);
            df_add_end(s, 0);
        } else {
            df_arg(s, "RPOPLPUSH");
            df_add_key(s);
            df_arg(s, "%s", key);
        }
    } else if (r < 92) {
        /* Any creation makes a key ready: RENAME, COPY and SORT ... STORE too (a list
         * stored in its source's order, or ALPHA: an order Redis fixes too) */
        if (opt.families & DF_SORT && df_below(3) == 0) {
            df_arg(s, "SORT");
            df_add_key(s);
            if (df_below(3)) {
                df_arg(s, "BY");
                df_arg(s, "nosort");
            } else {
                df_arg(s, "ALPHA");
            }
            df_arg(s, "STORE");
            df_arg(s, "%s", key);
        } else {
            int copy = df_below(2);

            df_arg(s, "%s", copy ? "COPY" : "RENAME");
            df_add_key(s);
            df_arg(s, "%s", key);
            if (copy && df_below(2))
                df_arg(s, "REPLACE");
        }
    } else if (r < 97) {
        df_arg(s, "%s", zset ? "ZADD" : "LINSERT");
        df_arg(s, "%s", key);
        df_arg(s, "%s", zset ? "XX" : "BEFORE");
        if (zset)
            df_add_score(s);
        else
            df_add_lelem(s);
        df_add_elem(s, zset ? 'm' : 'e');
    } else {
        df_arg(s, "SET");
        df_arg(s, "%s", key);
        df_arg(s, "x");
    }
}

/* Finish the episode whose first blocking command is 'c' (pops of sorted sets if
 * 'zset'): perhaps a second blocking command (on the same first key most times), the
 * serving command, CLIENT UNBLOCK's form. */
static void df_block_end(struct df_cmd *c, int zset)
{
    static const char *const lists[] = {"BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP"};
    static const char *const zsets[] = {"BZPOPMIN", "BZPOPMAX", "BZMPOP"};
    char key[32];

    if (df_ep.inner)
        return;
    c->kind = DF_EPISODE;
    df_ep.zset = zset;
    snprintf(key, sizeof(key), "%s", df_ep.nkeys ? df_ep.keys[0] : "k0");
    df_ep.nblk = 1;
    if (!df_ep.wait && df_chance(250)) {
        const char *name = zset ? zsets[df_below(DF_NELEM(zsets))]
                                : lists[df_below(DF_NELEM(lists))];

        df_ep.nblk = 2;
        df_ep.inner = 1;
        if (df_chance(700))
            snprintf(df_ep.force, sizeof(df_ep.force), "%s", key);
        if (!strcmp(name, "BLMOVE") || !strcmp(name, "BRPOPLPUSH"))
            g_blmove(&df_ep.blk2, name);
        else if (!strcmp(name, "BLMPOP") || !strcmp(name, "BZMPOP"))
            g_bmpop(&df_ep.blk2, name);
        else
            g_bpop(&df_ep.blk2, name);
        df_ep.inner = 0;
        df_ep.force[0] = '\0';
    }
    if (!df_ep.wait)
        df_gen_serve(&df_ep.serve, key, zset);
    df_ep.unblock = df_chance(100) ? 0 : df_chance(350) ? 2 : 1;
}

/* PUBLISH / SPUBLISH channel message */
static void g_publish(struct df_cmd *c, const char *name)
{
    df_name(c, name);
    df_arg(c, "ch%d", (int)df_below(4));
    df_add_value(c);
}

/* PUBSUB <subcommand> [channel or pattern ...], now and then of the wrong arity or an
 * unknown subcommand, in any case. */
static void g_pubsub(struct df_cmd *c, const char *name)
{
    static const char *const subs[] = {"CHANNELS", "numsub", "NumPat", "SHARDCHANNELS",
                                       "shardnumsub", "help", "nosuch"};
    int extra = (int)df_below(4);

    df_name(c, name);
    df_arg(c, "%s", subs[df_below(7)]);
    for (int i = 0; i < extra; i++)
        df_arg(c, df_below(3) ? "ch%d" : "c*%d", (int)df_below(4));
}

/* ---- scripts (issue 24) ---- */

/* EVAL of a small random script: one to four redis.pcall (or, one time in five,
 * redis.call) of string and hash commands on its two keys (any of the key space, so
 * types collide) and two arguments, gathered in a table; the script returns the table,
 * one element, a count, a status, an error or a float, so that every conversion of
 * replies both ways and the errors of calls (unknown command, arity, WRONGTYPE, not an
 * integer) are compared byte for byte. */
static void g_eval(struct df_cmd *c, const char *name)
{
    static const char *const calls[] = {
        "'set', KEYS[1], ARGV[1]",        "'get', KEYS[1]",
        "'incr', KEYS[2]",                "'incrby', KEYS[1], ARGV[2]",
        "'append', KEYS[1], ARGV[1]",     "'del', KEYS[2]",
        "'exists', KEYS[1], KEYS[2]",     "'hset', KEYS[2], 'f', ARGV[1]",
        "'hget', KEYS[2], 'f'",           "'hgetall', KEYS[2]",
        "'hincrby', KEYS[2], 'n', ARGV[2]", "'strlen', KEYS[1]",
        "'getrange', KEYS[1], 0, 2",      "'mget', KEYS[1], KEYS[2]",
        "'type', KEYS[1]",                "'hdel', KEYS[2], 'f'",
        "'setnx', KEYS[1], 5.5",          "'incrbyfloat', KEYS[1], ARGV[2]",
        "'hlen', KEYS[2]",                "'nosuch', KEYS[1]",
        "'get'",                          "'set', KEYS[1], 3.0000000000000004",
    };
    static const char *const rets[] = {
        "return r",           "return r[1]",          "return #r",
        "return {ok='done'}", "return type(r[1])",    "return {err='ERR mine'}",
        "return 2.75",        "return r[1] == false", "return {r[1], {r[2]}}",
    };
    char script[1024];
    size_t n = (size_t)snprintf(script, sizeof(script), "local r = {} ");
    int ncalls = 1 + (int)df_below(4);

    for (int i = 0; i < ncalls; i++)
        n += (size_t)snprintf(script + n, sizeof(script) - n, "r[%d] = redis.%s(%s) ", i + 1,
                              df_below(5) ? "pcall" : "call", calls[df_below(DF_NELEM(calls))]);
    snprintf(script + n, sizeof(script) - n, "%s", rets[df_below(DF_NELEM(rets))]);
    df_name(c, name);
    df_arg(c, "%s", script);
    df_arg(c, "2");
    df_arg(c, "k%lld", df_below(opt.nkeys));
    df_arg(c, "k%lld", df_below(opt.nkeys));
    df_add_value(c);
    if (df_below(2))
        df_arg(c, "%lld", df_below(21) - 10);
    else
        df_add_value(c);
}

/* ---- functions (issue 24) ----
 * Libraries from a fixed set, some valid (dfa: one function reading or writing its key;
 * dfb: one no-writes function with a description; dfc: two functions, never listed,
 * since Redis lists a library's functions in its dictionary's order), some not (each
 * load error of Redis' text), loaded with or without REPLACE, called by FCALL and
 * FCALL_RO with good and bad numkeys, deleted, listed one library at a time, flushed. */

static const char *const df_fn_libs[] = {
    "#!lua name=dfa\nredis.register_function('fa', function(keys, args)\n"
    "  if #args > 0 then return redis.call('set', keys[1], args[1]) end\n"
    "  return redis.call('get', keys[1]) end)",
    "#!lua name=dfa\nredis.register_function('fa', function(keys, args)\n"
    "  return redis.pcall('incr', keys[1]) end)",
    "#!lua name=dfb\nredis.register_function{function_name='fb', description='reads',\n"
    "  flags={'no-writes', 'allow-stale'}, callback=function(keys, args)\n"
    "  return {redis.call('exists', keys[1]), args[1] or false} end}",
    "#!lua name=dfc\nredis.register_function('fc1', function(keys) return redis.call('type', "
    "keys[1]) end)\nredis.register_function('fc2', function(keys, args) return "
    "redis.call('hset', keys[1], 'f', args[1] or 'v') end)",
    "#!lua name=dfd\nredis.register_function('fa', function() return 1 end)",
    "#!lua name=dfe\nlocal x = 1",
    "#!lua name=dff\nredis.register_function('f-f', function() return 1 end)",
    "#!lua name=dfg\nredis.register_function{function_name='fg', callback=function() end, "
    "flags={'bad'}}",
    "#!lua name=dfh\nredis.call('set', 'x', 1)",
    "#!lua name=dfi\nthis is not lua",
    "#!lua\nredis.register_function('fi', function() return 1 end)",
    "#!lua name=d-f\nredis.register_function('fj', function() return 1 end)",
    "#!py name=dfk\nredis.register_function('fk', function() return 1 end)",
    "no shebang",
};

/* FUNCTION LOAD [REPLACE] of one of df_fn_libs. */
static void g_fn_load(struct df_cmd *c, const char *name)
{
    df_name(c, name);
    df_arg(c, "LOAD");
    if (df_below(2))
        df_arg(c, "REPLACE");
    df_arg(c, "%s", df_fn_libs[df_below(DF_NELEM(df_fn_libs))]);
}

/* FCALL / FCALL_RO of a function of the libraries (or none), numkeys now and then bad. */
static void g_fcall(struct df_cmd *c, const char *name)
{
    static const char *const fns[] = {"fa", "FA", "fb", "fc1", "fc2", "nosuch"};
    static const char *const bad[] = {"x", "-1", "3"};

    df_name(c, name);
    df_arg(c, "%s", fns[df_below(DF_NELEM(fns))]);
    if (df_chance(100)) {
        df_arg(c, "%s", bad[df_below(DF_NELEM(bad))]);
        df_arg(c, "k%lld", df_below(opt.nkeys));
        return;
    }
    df_arg(c, "1");
    df_arg(c, "k%lld", df_below(opt.nkeys));
    if (df_below(2))
        df_add_value(c);
}

/* FUNCTION DELETE, LIST (one library), FLUSH, STATS, DUMP-less subcommands. */
static void g_fn_admin(struct df_cmd *c, const char *name)
{
    static const char *const libs[] = {"dfa", "dfb", "dfc", "nosuch"};
    long long pick = df_below(10);

    df_name(c, name);
    if (pick < 3) {
        df_arg(c, "DELETE");
        df_arg(c, "%s", libs[df_below(DF_NELEM(libs))]);
    } else if (pick < 7) {
        df_arg(c, "LIST");
        if (df_below(2))
            df_arg(c, "WITHCODE");
        df_arg(c, "LIBRARYNAME");
        df_arg(c, "%s", df_below(2) ? "dfa" : "DFB");
    } else if (pick < 8) {
        df_arg(c, "FLUSH");
        if (df_below(2))
            df_arg(c, df_below(2) ? "SYNC" : "bogus");
    } else {
        df_arg(c, "STATS");
    }
}

/* ---- bitmaps, large strings and HyperLogLogs (issue 22) ----
 * omenkv keeps a string longer than string-fragment-threshold (the harness sets 256) as
 * fragments of 4096 bytes (store/format.h, FMT_FRAG_BYTES), so the offsets, ranges and
 * lengths below gather on both sides of the multiples of 4096 bytes (32768 bits), of the
 * threshold, of 44 bytes (embstr) and of 12304 (a dense HyperLogLog), and writes stay
 * below DF_BIG_MAX bytes: a larger valid offset would make both servers allocate up to
 * 512 MB (reads, which allocate nothing, also get offsets up to 2^32 - 1). */
#define DF_FRAG 4096                /* omenkv's fragment, bytes */
#define DF_BIG_MAX (11 * DF_FRAG)   /* writes end below this byte */
#define DF_HUGE (5 << 19)           /* ... but for a rare SET or SETBIT below 2.5 MB: omenkv
                                     * streams a GET of a value over 1 MB */
#define DF_HLL_REGS 16384           /* registers of a HyperLogLog */
#define DF_HLL_DENSE (16 + 12288)   /* bytes of a dense one: header, 6 bits a register */

/* A key whose value a rare write just made 1 MB or more (DF_HUGE): the stream's next
 * command is a GET of it (the keys family would often delete it first), "" if none. */
static char df_follow[32];

/* Ask for a GET of the key at argument 1 of 'c' next (see df_follow). */
static void df_follow_key(const struct df_cmd *c)
{
    if (c->argc > 1 && c->lens[1] < sizeof(df_follow))
        snprintf(df_follow, sizeof(df_follow), "%s", c->argv[1]);
}

/* A byte position: near a boundary (-8..+8 around k x 4096, 256, 44, 12304, 16384), or
 * anywhere below DF_BIG_MAX. Never negative. */
static long long df_near_boundary(void)
{
    static const long long others[] = {256, 256, 44, 12304, 16384, 512};
    long long r = df_below(100), base, v;

    if (r < 45)
        base = DF_FRAG * df_below(11);
    else if (r < 65)
        base = others[df_below(DF_NELEM(others))];
    else
        return df_below(DF_BIG_MAX);
    v = base + df_below(17) - 8;
    return v < 0 ? 0 : v;
}

/* Append a value of 'len' bytes made of runs of lowercase text, zero bytes (a fragment
 * all zero has no record in omenkv), 0xff bytes and random bytes. */
static void df_add_big(struct df_cmd *c, size_t len)
{
    char *buf = malloc(len + 1);
    size_t at = 0;

    while (at < len) {
        size_t run = 1 + (size_t)df_below(df_chance(300) ? 6000 : 300);
        long long kind = df_below(100);

        run = run < len - at ? run : len - at;
        if (kind < 55)
            df_text(buf + at, run);
        else if (kind < 80)
            memset(buf + at, 0, run);
        else if (kind < 88)
            memset(buf + at, 0xff, run);
        else
            for (size_t i = 0; i < run; i++)
                buf[at + i] = (char)df_below(256);
        at += run;
    }
    df_argb(c, buf, len);
    free(buf);
}

/* A length for a value SET whole: small, near a boundary, or any below DF_BIG_MAX; one
 * time in 500, 1 to 2.5 MB. */
static size_t df_big_len(void)
{
    long long r = df_below(100);

    if (df_chance(2))
        return (size_t)((1 << 20) + df_below(DF_HUGE - (1 << 20)));
    if (r < 25)
        return (size_t)df_below(65);
    if (r < 70)
        return (size_t)df_near_boundary();
    return (size_t)df_below(DF_BIG_MAX);
}

/* SET key <large value> [GET|KEEPTTL|NX|XX], GETSET key <large value> */
static void g_bs_set(struct df_cmd *c, const char *name)
{
    static const char *const flags[] = {"GET", "GET", "KEEPTTL", "NX", "XX"};
    size_t len = df_big_len();

    g_key(c, name);
    df_add_big(c, len);
    if (len >= 1 << 20)
        df_follow_key(c);
    if (name[0] == 'S' && df_chance(250))
        df_arg(c, "%s", flags[df_below(DF_NELEM(flags))]);
}

/* APPEND key value: mostly short (a value grows across the boundaries step by step),
 * sometimes up to 5000 bytes, rarely up to DF_BIG_MAX. */
static void g_bs_append(struct df_cmd *c, const char *name)
{
    long long r = df_below(100);

    g_key(c, name);
    df_add_big(c, (size_t)(r < 50 ? df_below(65) : r < 80 ? df_below(600)
                           : r < 97 ? df_below(5000) : df_near_boundary()));
}

/* SETRANGE key offset value: offsets near the boundaries, values short or long enough to
 * span fragments; now and then an offset Redis refuses (or one at the 512 MB limit with
 * an empty value, which allocates nothing). */
static void g_bs_setrange(struct df_cmd *c, const char *name)
{
    static const char *const odd[] = {"-1", "abc", "536870912", "9223372036854775807", "",
                                      "1.5", "+1", "536870911"};
    long long r = df_below(1000), len;

    g_key(c, name);
    if (r < 850)
        df_arg(c, "%lld", df_near_boundary());
    else if (r < 950)
        df_arg(c, "%lld", df_below(300));
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
    r = df_below(100);
    len = r < 10 ? 0 : r < 50 ? df_below(17) : r < 85 ? df_below(600) : df_below(5000);
    if (!strcmp(c->argv[2], "536870911"))
        len = 0; /* one byte more would be a 512 MB value: "" only (nothing is written) */
    else if (!strcmp(c->argv[2], "536870912") || !strcmp(c->argv[2], "9223372036854775807"))
        len = len ? 1 : 0; /* past the limit: an error before any allocation, or "" */
    df_add_big(c, (size_t)len);
}

/* Append a GETRANGE/SUBSTR bound: near a boundary, of either sign, or an extreme; rarely
 * not a number. */
static void df_add_str_bound(struct df_cmd *c)
{
    static const char *const odd[] = {"9223372036854775807", "-9223372036854775808", "x",
                                      "1.5", ""};
    long long r = df_below(1000), v = df_near_boundary();

    if (r < 700)
        df_arg(c, "%lld", v);
    else if (r < 950)
        df_arg(c, "%lld", -v - 1);
    else if (r < 985)
        df_arg(c, "%s", odd[df_below(2)]);
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
}

/* GETRANGE SUBSTR key start end */
static void g_bs_getrange(struct df_cmd *c, const char *name)
{
    g_key(c, name);
    df_add_str_bound(c);
    df_add_str_bound(c);
}

/* GET src, then SET dst <what GET answered> (DF_COPY): the value read from Redis goes
 * back into both servers. */
static void g_copyval(struct df_cmd *c, const char *name)
{
    struct df_cmd dst = {0};

    df_name(c, name);
    df_add_key(c);
    df_add_key(&dst);
    snprintf(c->copy_to, sizeof(c->copy_to), "%s", dst.argv[0]);
    df_cmd_clear(&dst);
    c->kind = DF_COPY;
}

/* ---- bitmaps ---- */

/* Append a bit offset: near a fragment boundary in bits, small, or (reads only, see
 * above) far up to 2^32 - 1; now and then one Redis refuses. */
static void df_add_bitoff(struct df_cmd *c, int write)
{
    static const char *const bad[] = {"-1", "abc", "4294967296", "9223372036854775807", "",
                                      "1.5", " 1", "+1", "-0", "01", "18446744073709551616"};
    static const char *const far[] = {"4294967295", "4294967294", "4294967288", "536870912",
                                      "3000000000"};
    long long r = df_below(1000), v;

    if (r < 700) {
        v = df_near_boundary() * 8 + df_below(17) - 8;
        df_arg(c, "%lld", v < 0 ? 0 : v);
    } else if (r < 702) {
        df_arg(c, "%lld", df_below(DF_HUGE * 8LL)); /* a bitmap past 1 MB (see DF_HUGE) */
        if (write)
            df_follow_key(c);
    } else if (r < 920) {
        df_arg(c, "%lld", df_below(300));
    } else if (r < 960 && !write) {
        df_arg(c, "%s", far[df_below(DF_NELEM(far))]);
    } else {
        df_arg(c, "%s", bad[df_below(DF_NELEM(bad))]);
    }
}

/* SETBIT key offset 0|1 */
static void g_setbit(struct df_cmd *c, const char *name)
{
    static const char *const odd[] = {"2", "-1", "abc", "", "01", "1 ", "+1", "10"};

    g_key(c, name);
    df_add_bitoff(c, 1);
    if (df_chance(960))
        df_arg(c, "%s", df_chance(650) ? "1" : "0");
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
}

/* GETBIT key offset */
static void g_getbit(struct df_cmd *c, const char *name)
{
    g_key(c, name);
    df_add_bitoff(c, 0);
}

/* Append a BITCOUNT/BITPOS bound, in bytes or ('bits') in bits: near a boundary, of
 * either sign, an extreme, rarely not a number. */
static void df_add_bit_bound(struct df_cmd *c, int bits)
{
    static const char *const odd[] = {"9223372036854775807", "-9223372036854775808", "abc",
                                      "", "1.5", "-0"};
    long long r = df_below(1000), v = df_near_boundary();

    if (bits)
        v = v * 8 + df_below(17) - 8;
    v = v < 0 ? 0 : v;
    if (r < 700)
        df_arg(c, "%lld", v);
    else if (r < 960)
        df_arg(c, "%lld", -v - 1);
    else if (r < 985)
        df_arg(c, "%s", odd[df_below(2)]);
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
}

/* The unit of a BITCOUNT/BITPOS range to append after its bounds, or NULL for none;
 * '*bits' says whether the bounds count bits. */
static const char *df_pick_bit_unit(int *bits)
{
    static const char *const odd[] = {"bit", "Byte", "bits", "BAD", ""};
    long long r = df_below(100);
    const char *u;

    *bits = 0;
    if (r < 40)
        return NULL;
    if (r < 62)
        return "BYTE";
    u = r < 94 ? "BIT" : odd[df_below(DF_NELEM(odd))];
    *bits = strlen(u) == 3 && !strncasecmp(u, "bit", 3);
    return u;
}

/* BITCOUNT key [start end [BYTE|BIT]], now and then with a start alone (an error) */
static void g_bitcount(struct df_cmd *c, const char *name)
{
    long long r = df_below(100);
    const char *unit;
    int bits;

    g_key(c, name);
    if (r < 15)
        return;
    if (r < 18) {
        df_add_bit_bound(c, 0);
        return;
    }
    unit = df_pick_bit_unit(&bits);
    df_add_bit_bound(c, bits);
    df_add_bit_bound(c, bits);
    if (unit)
        df_arg(c, "%s", unit);
}

/* BITPOS key bit [start [end [BYTE|BIT]]] */
static void g_bitpos(struct df_cmd *c, const char *name)
{
    static const char *const odd[] = {"2", "-1", "abc", "", "01"};
    long long r = df_below(100);
    const char *unit;
    int bits;

    g_key(c, name);
    if (df_chance(960))
        df_arg(c, "%s", df_below(2) ? "1" : "0");
    else
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
    if (r < 25)
        return;
    if (r < 45) {
        df_add_bit_bound(c, 0);
        return;
    }
    unit = df_pick_bit_unit(&bits);
    df_add_bit_bound(c, bits);
    df_add_bit_bound(c, bits);
    if (unit)
        df_arg(c, "%s", unit);
}

/* BITOP op dest src [src ...]: AND OR XOR with 1 to 4 sources, NOT with one (now and
 * then two: an error), rarely an unknown operation; sources missing, of other types, or
 * the destination itself come up on their own. */
static void g_bitop(struct df_cmd *c, const char *name)
{
    static const char *const ops[] = {"AND", "OR", "XOR", "NOT", "and", "Or", "xor", "not"};
    long long r = df_below(100), n;

    df_name(c, name);
    if (r < 98)
        df_arg(c, "%s", ops[df_below(DF_NELEM(ops))]);
    else
        df_arg(c, "%s", df_below(2) ? "NAND" : "");
    n = !strcasecmp(c->argv[1], "NOT") ? 1 + df_chance(40) : 1 + df_below(4);
    df_add_key(c); /* the destination */
    while (n-- > 0)
        df_add_key(c);
}

/* Append a BITFIELD type: i1..i64 or u1..u63, often a common width; now and then one
 * Redis refuses. */
static void df_add_bf_type(struct df_cmd *c, int *bits, int *sign)
{
    static const int common[] = {1, 8, 16, 32, 63, 64};
    static const char *const bad[] = {"u64", "i65", "u0", "i0", "x8", "U8", "I8", "u", "i",
                                      "u-1", "u08", "i 8", "", "u65", "i100"};

    *sign = (int)df_below(2);
    *bits = df_chance(300) ? common[df_below(DF_NELEM(common))] : 1 + (int)df_below(64);
    if (!*sign && *bits == 64)
        *bits = 63;
    if (df_chance(960)) {
        df_arg(c, "%c%d", *sign ? 'i' : 'u', *bits);
    } else {
        df_arg(c, "%s", bad[df_below(DF_NELEM(bad))]);
        *bits = 8;
    }
}

/* Append a BITFIELD offset for a field of 'bits' bits: plain (df_add_bitoff), or "#n"
 * (n fields of that width in); now and then a bad one. */
static void df_add_bf_offset(struct df_cmd *c, int bits, int write)
{
    static const char *const bad[] = {"#", "#-1", "#abc", "# 1", "#4294967296", "#1.5"};
    long long r = df_below(100);

    if (r < 78)
        df_add_bitoff(c, write);
    else if (r < 97)
        df_arg(c, "#%lld", df_chance(700) ? df_below(40) : df_below(DF_BIG_MAX * 8 / bits));
    else
        df_arg(c, "%s", bad[df_below(DF_NELEM(bad))]);
}

/* Append a BITFIELD value or increment for a field of 'bits' bits and 'sign': small,
 * at the field's limits and just past them, the 64-bit limits, rarely not a number. */
static void df_add_bf_value(struct df_cmd *c, int bits, int sign)
{
    static const char *const odd[] = {"9223372036854775807", "-9223372036854775808", "abc",
                                      "1.5", "9223372036854775808", "", "-0"};
    long long r = df_below(1000);

    if (r < 650) {
        df_arg(c, "%lld", df_below(601) - 300);
    } else if (r < 900) {
        /* the field's range: [-2^(bits-1), 2^(bits-1) - 1] signed, [0, 2^bits - 1] not;
         * its ends and one past them */
        int mag = bits - sign;
        long long top = mag >= 63 ? 0 : (long long)((1ULL << mag) - 1);
        long long lo = sign ? -top - 1 : 0, pick = df_below(4);

        if (mag >= 63)
            df_arg(c, "%s", odd[df_below(2)]);
        else
            df_arg(c, "%lld", pick == 0 ? top : pick == 1 ? top + 1 : pick == 2 ? lo : lo - 1);
    } else if (r < 980) {
        df_arg(c, "%s", odd[df_below(2)]);
    } else {
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
    }
}

/* BITFIELD key [GET|SET|INCRBY|OVERFLOW ...] (1 to 4 of them) and BITFIELD_RO key
 * [GET ...]: random types, offsets, values and overflow modes; now and then one Redis
 * refuses, a subcommand cut short, or (BITFIELD_RO) a write. */
static void g_bitfield(struct df_cmd *c, const char *name)
{
    static const char *const ovf[] = {"WRAP", "SAT", "FAIL", "wrap", "Sat", "fail", "BAD"};
    int ro = strlen(name) > 8, bits, sign;
    long long n = df_below(100) < 10 ? 0 : 1 + df_below(4);

    g_key(c, name);
    while (n-- > 0) {
        long long r = df_below(100);

        if (ro && r < 92)
            r = 0; /* BITFIELD_RO: GET, now and then something else (an error) */
        if (r < 35) {
            df_arg(c, "%s", df_chance(900) ? "GET" : "get");
            df_add_bf_type(c, &bits, &sign);
            df_add_bf_offset(c, bits, 0);
        } else if (r < 85) {
            int set = r < 60;

            df_arg(c, "%s", set ? "SET" : "INCRBY");
            df_add_bf_type(c, &bits, &sign);
            df_add_bf_offset(c, bits, 1);
            df_add_bf_value(c, bits, sign);
        } else if (r < 97) {
            df_arg(c, "OVERFLOW");
            df_arg(c, "%s", ovf[df_below(DF_NELEM(ovf) - (df_chance(950) ? 1 : 0))]);
        } else if (r < 99) {
            df_arg(c, "%s", df_below(2) ? "GET" : "SET"); /* cut short: a syntax error */
            df_add_bf_type(c, &bits, &sign);
            return;
        } else {
            df_arg(c, "FOO");
        }
    }
}

/* ---- HyperLogLogs ---- */

/* Append a PFADD element: from a small space (repeats, registers that stop changing),
 * new ones, odd strings, long ones. */
static void df_add_hll_elem(struct df_cmd *c)
{
    char buf[256];
    long long r = df_below(100);

    if (r < 45)
        df_arg(c, "e%lld", df_below(300));
    else if (r < 90)
        df_arg(c, "u%llu", (unsigned long long)(df_rand() % 1000000000));
    else if (r < 95)
        df_arg(c, "%s", df_odd_strings[df_below(DF_NELEM(df_odd_strings))]);
    else
        df_argb(c, buf, df_text(buf, (size_t)(65 + df_below(150))));
}

/* PFADD key [element ...]: none (creates the key), a few, or a batch of 20 to 200 (a
 * sparse HyperLogLog grows past hll-sparse-max-bytes into the dense encoding). */
static void g_pfadd(struct df_cmd *c, const char *name)
{
    long long r = df_below(100), n = r < 5 ? 0 : r < 82 ? 1 + df_below(5) : 20 + df_below(181);

    g_key(c, name);
    while (n-- > 0)
        df_add_hll_elem(c);
}

/* PFCOUNT key [key ...] (one key mostly: that one writes the cached cardinality back) */
static void g_pfcount(struct df_cmd *c, const char *name)
{
    long long n = df_chance(700) ? 1 : 2 + df_below(3);

    df_name(c, name);
    while (n-- > 0)
        df_add_key(c);
}

/* PFMERGE dest [src ...] (0 to 3 sources) */
static void g_pfmerge(struct df_cmd *c, const char *name)
{
    long long n = df_below(4);

    g_key(c, name);
    while (n-- > 0)
        df_add_key(c);
}

/* PFDEBUG GETREG|DECODE|ENCODING|TODENSE key; now and then an unknown subcommand or an
 * extra argument. */
static void g_pfdebug(struct df_cmd *c, const char *name)
{
    static const char *const subs[] = {"GETREG", "ENCODING", "ENCODING", "DECODE", "TODENSE",
                                       "getreg", "encoding"};
    long long r = df_below(100);

    df_name(c, name);
    df_arg(c, "%s", r < 97 ? subs[df_below(DF_NELEM(subs))] : "FOO");
    df_add_key(c);
    if (df_chance(20))
        df_arg(c, "x");
}

/* SETRANGE key offset bytes on a HyperLogLog: 1 to 3 bytes in its header (magic,
 * encoding, cached cardinality), its first registers or opcodes, near the end of a
 * dense one, or anywhere in it; APPEND of a byte (a dense one of the wrong length). */
static void g_hll_damage(struct df_cmd *c, const char *name)
{
    char bytes[3];
    long long r = df_below(100), off, n = 1 + df_below(3);

    g_key(c, name);
    if (name[0] == 'A') {
        df_argb(c, "x", 1);
        return;
    }
    off = r < 40 ? df_below(16) : r < 70 ? 16 + df_below(24)
          : r < 80 ? DF_HLL_DENSE - 4 + df_below(8) : 16 + df_below(DF_HLL_DENSE - 16);
    df_arg(c, "%lld", off);
    for (long long i = 0; i < n; i++) {
        long long k = df_below(10);

        bytes[i] = (char)(k == 0 ? 0 : k == 1 ? 0xff : k == 2 ? 0x7f : k == 3 ? 0x80
                                                                       : df_below(256));
    }
    df_argb(c, bytes, (size_t)n);
}

/* A HyperLogLog value written by hand, as an application restoring one would: the
 * "HYLL" header (encoding, three unused bytes, the cached cardinality: 8 bytes little
 * endian, the top bit of the last one set when it is stale), then a sparse body of
 * opcodes (ZERO 00xxxxxx: xxxxxx+1 zero registers; XZERO 01xxxxxx yyyyyyyy: 14 bits + 1;
 * VAL 1vvvvvxx: xx+1 registers of value vvvvv+1) covering the 16384 registers, or a
 * dense body of 12288 bytes (6 bits a register). Now and then a broken one: a sparse
 * body covering too few or too many registers, a dense one a byte short or long, an
 * unknown encoding, a bad magic, a header cut short. SET key <it>. */
static void g_hll_craft(struct df_cmd *c, const char *name)
{
    char *buf = malloc(DF_HLL_DENSE + 64);
    size_t len = 16;
    long long r = df_below(100), shape = df_below(100);
    int dense = shape < 30;

    g_key(c, name);
    memcpy(buf, "HYLL", 4);
    buf[4] = (char)(dense ? 0 : 1);
    buf[5] = buf[6] = buf[7] = 0;
    for (int i = 8; i < 16; i++)
        buf[i] = (char)(df_chance(300) ? df_below(256) : 0);
    if (df_chance(600))
        buf[15] |= (char)0x80; /* the cached cardinality is stale */
    else
        buf[15] &= 0x7f;
    if (dense) {
        long long mode = df_below(3); /* random registers, a few set, all zero */

        for (size_t i = 0; i < 12288; i++)
            buf[16 + i] = (char)(mode == 0 ? df_below(256)
                                 : mode == 1 && df_chance(20) ? df_below(256) : 0);
        len = DF_HLL_DENSE;
        if (r < 4)
            len--; /* a byte short */
        else if (r < 8)
            buf[len++] = 'x'; /* a byte long */
    } else {
        long long left = DF_HLL_REGS + (r < 8 ? (df_below(2) ? 1 : -1) * (1 + df_below(100))
                                              : 0);

        while (left > 0 && len < DF_HLL_DENSE) {
            long long k = df_below(100), run;

            if (k < 30) {
                run = 1 + df_below(left < 16384 ? left : 16384);
                buf[len++] = (char)(0x40 | ((run - 1) >> 8));
                buf[len++] = (char)((run - 1) & 0xff);
            } else if (k < 55) {
                run = 1 + df_below(left < 64 ? left : 64);
                buf[len++] = (char)(run - 1);
            } else {
                run = 1 + df_below(left < 4 ? left : 4);
                buf[len++] = (char)(0x80 | (df_below(32) << 2) | (run - 1));
            }
            left -= run;
        }
    }
    if (r >= 8 && r < 11)
        buf[4] = (char)(r == 8 ? 2 : 0xff);
    else if (r == 11)
        buf[3] = 'l';
    else if (r == 12)
        len = (size_t)df_below(16);
    df_argb(c, buf, len);
    free(buf);
}

/* ---- SORT and SORT_RO (the sort family) ----
 *
 * SORT reads a list, set or sorted set of the list, set and sorted-set parts of the key
 * space (any key one time in six: WRONGTYPE), with BY and GET patterns that name the
 * weight keys "w<element>" (strings: numbers mostly, some Redis cannot read as one) and
 * hash keys "h<element>" (fields f, a weight, and g, a value) this family writes, the
 * stream's own keys ("k*": the small integer elements name them), the element ("#", "*")
 * or nothing (no '*': BY of it means nosort, GET answers nil), with LIMIT, ASC or DESC,
 * ALPHA and STORE (into a key of the list part) in any order, now and then an option
 * Redis refuses. Redis' order is a function of the data except where it is the source's
 * layout: BY nosort (a pattern without '*') on a set without STORE (Redis forces ALPHA
 * when it stores); and ties, which Redis' qsort leaves in the order it read the elements
 * (ALPHA with a BY pattern: equal or missing BY values; ALPHA without BY, in a reply: two
 * elements equal up to a zero byte, as strcoll() compares), which is a set's or sorted
 * set's hash-table order (Redis sorts a sorted set from its dict). So before a SORT the
 * source's TYPE is read on both servers; for a set or a sorted set in those cases, a
 * reply is compared as a multiset (of groups of as many values as there are GET
 * patterns), and a LIMIT (which picks a part of that order) or STORE (whose list later
 * commands read) leaves the command out. A list's order is its own, but Redis sorts with
 * BY and a LIMIT by its pqsort(), whose tie order is its own too: ALPHA with BY and a
 * LIMIT on a list is left out. Numeric sorts break ties by the elements' bytes: always
 * compared exactly. */

/* Append "<prefix><element>": the key a pattern "<prefix>*" names for an element. */
static void df_add_elem_key(struct df_cmd *c, const char *prefix)
{
    struct df_cmd t = {0};
    char buf[256];
    size_t n = strlen(prefix);

    df_add_elem(&t, 'm');
    memcpy(buf, prefix, n);
    memcpy(buf + n, t.argv[0], t.lens[0] < sizeof(buf) - n ? t.lens[0] : sizeof(buf) - n);
    df_argb(c, buf, n + (t.lens[0] < sizeof(buf) - n ? t.lens[0] : sizeof(buf) - n));
    df_cmd_clear(&t);
}

/* Append a weight: an integer mostly, else a decimal, an infinity, or a string strtod()
 * reads only in part or not at all. */
static void df_add_weight(struct df_cmd *c)
{
    static const char *const odd[] = {"1.5", "-0.25", "inf", "-inf", "+inf", "nan", "1e400",
                                      "-0", "", " 3", "3 ", "0x10", "abc", "1e-320", "007",
                                      "2.5e3"};
    long long r = df_below(100);

    if (r < 75)
        df_arg(c, "%lld", df_below(26) - 5);
    else if (r < 96)
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
    else if (r < 97)
        df_argb(c, "1\x00x", 3); /* strtod() stops at the zero byte */
    else
        df_add_value(c);
}

/* SET w<element> weight */
static void g_sort_weight(struct df_cmd *c, const char *name)
{
    df_name(c, name);
    df_add_elem_key(c, "w");
    df_add_weight(c);
}

/* HSET h<element> f weight [g value] */
static void g_sort_hash(struct df_cmd *c, const char *name)
{
    df_name(c, name);
    df_add_elem_key(c, "h");
    df_arg(c, "f");
    df_add_weight(c);
    if (df_below(3)) {
        df_arg(c, "g");
        df_add_value(c);
    }
}

/* Append a BY pattern; 1 if it has a '*' (sorts), 0 if not (nosort). */
static int df_add_sort_by(struct df_cmd *c)
{
    static const char *const pats[] = {"w*", "w*", "w*", "h*->f", "h*->f", "h*->g", "k*",
                                       "k*->1", "*", "w*->", "nosort", "nosort", "w1", "#"};
    const char *p = pats[df_below(DF_NELEM(pats))];

    df_arg(c, "BY");
    df_arg(c, "%s", p);
    return strchr(p, '*') != NULL;
}

/* Append a GET pattern. */
static void df_add_sort_get(struct df_cmd *c)
{
    static const char *const pats[] = {"#", "#", "w*", "h*->g", "h*->f", "k*", "k*->1", "*",
                                       "nope", "h*->", "#x"};

    df_arg(c, "GET");
    df_arg(c, "%s", pats[df_below(DF_NELEM(pats))]);
}

/* Append LIMIT offset count; returns whether it may keep a part only. */
static int df_add_sort_limit(struct df_cmd *c)
{
    static const char *const odd[] = {"abc", "1.5", "", "9223372036854775807",
                                      "-9223372036854775808"};
    long long r = df_below(100);

    df_arg(c, "LIMIT");
    if (r < 20) {
        df_arg(c, "0");
        df_arg(c, "-1");
        return 0;
    }
    if (r < 95) {
        df_arg(c, "%lld", df_below(12) - 2);
        df_arg(c, "%lld", df_below(14) - 3);
    } else {
        df_arg(c, "%s", odd[df_below(DF_NELEM(odd))]);
        df_arg(c, "%lld", df_below(5));
    }
    return 1;
}

/* SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
 * [STORE destination]; SORT_RO the same without STORE (which it refuses). The options
 * come in a random order. */
static void g_sort(struct df_cmd *c, const char *name)
{
    int ro = !strcasecmp(name, "SORT_RO"), fam = df_gen_family, any_nosort = 0, last_star = -1;
    int opts[16], nopts = 0;

    df_name(c, name);
    df_gen_family = (int[]){DF_LIST, DF_SET, DF_ZSET}[df_below(3)];
    df_add_key(c);
    if (df_chance(600))
        opts[nopts++] = 0; /* BY */
    if (df_chance(30))
        opts[nopts++] = 0; /* a second BY: the last one sorts, any nosort wins */
    if (df_chance(300))
        opts[nopts++] = 1; /* LIMIT */
    for (int i = 0, n = (int)df_below(4); i < n && df_below(2); i++)
        opts[nopts++] = 2; /* GET */
    if (df_chance(300))
        opts[nopts++] = 3; /* ASC or DESC */
    if (df_chance(400))
        opts[nopts++] = 4; /* ALPHA */
    if (df_chance(ro ? 10 : 250))
        opts[nopts++] = 5; /* STORE */
    if (df_chance(15))
        opts[nopts++] = 6; /* something Redis refuses */
    for (int i = nopts - 1; i > 0; i--) { /* any order */
        int j = (int)df_below(i + 1), t = opts[i];

        opts[i] = opts[j];
        opts[j] = t;
    }
    c->kind = DF_SORTCMP;
    for (int i = 0; i < nopts; i++) {
        switch (opts[i]) {
        case 0: {
            int star = df_add_sort_by(c);

            any_nosort |= !star;
            last_star = star;
            break;
        }
        case 1:
            if (df_add_sort_limit(c))
                c->sort_flags |= DF_SF_LIMIT;
            break;
        case 2:
            df_add_sort_get(c);
            c->sort_gets++;
            break;
        case 3:
            df_arg(c, "%s", df_below(2) ? "DESC" : "ASC");
            break;
        case 4:
            df_arg(c, "%s", df_below(5) ? "ALPHA" : "alpha");
            c->sort_flags |= DF_SF_ALPHA;
            break;
        case 5: {
            long long start, span;

            df_slice(DF_LIST, &start, &span);
            df_arg(c, "STORE");
            if (df_below(6))
                df_arg(c, "k%lld", (start + df_below(span)) % opt.nkeys);
            else
                df_arg(c, "k%lld", df_below(opt.nkeys));
            c->sort_flags |= DF_SF_STORE;
            break;
        }
        default: {
            static const char *const bad[] = {"FOO", "LIMIT", "BY", "GET", "STORE", "ALPHA x"};

            df_arg(c, "%s", bad[df_below(DF_NELEM(bad))]);
            break;
        }
        }
    }
    if (any_nosort)
        c->sort_flags |= DF_SF_NOSORT;
    else if (last_star == 1)
        c->sort_flags |= DF_SF_BY;
    df_gen_family = fam;
}

/* One row per command: its family, weight within the family, Redis' arity (for the
 * wrong-arity mutation; 0: never mutated) and generator. */
struct df_gen {
    const char *name;
    int family;
    int weight;
    int arity;
    df_gen_fn *fn;
};

static const struct df_gen df_gens[] = {
    /* strings */
    {"SET", DF_STRING, 12, -3, g_set},
    {"GET", DF_STRING, 8, 2, g_key},
    {"SETNX", DF_STRING, 2, 3, g_key_value},
    {"GETSET", DF_STRING, 2, 3, g_key_value},
    {"GETDEL", DF_STRING, 2, 2, g_key},
    {"GETEX", DF_STRING, 3, -2, g_getex},
    {"MGET", DF_STRING, 3, -2, g_keys},
    {"MSET", DF_STRING, 3, -3, g_mset},
    {"MSETNX", DF_STRING, 2, -3, g_mset},
    {"APPEND", DF_STRING, 4, 3, g_key_value},
    {"STRLEN", DF_STRING, 3, 2, g_key},
    {"INCR", DF_STRING, 3, 2, g_key},
    {"DECR", DF_STRING, 2, 2, g_key},
    {"INCRBY", DF_STRING, 3, 3, g_incrby},
    {"DECRBY", DF_STRING, 2, 3, g_incrby},
    {"INCRBYFLOAT", DF_STRING, 4, 3, g_incrbyfloat},
    {"GETRANGE", DF_STRING, 3, 4, g_getrange},
    {"SUBSTR", DF_STRING, 1, 4, g_getrange},
    {"SETRANGE", DF_STRING, 3, 4, g_setrange},
    /* hashes */
    {"HSET", DF_HASH, 12, -4, g_hset},
    {"HSETNX", DF_HASH, 3, 4, g_hsetnx},
    {"HMSET", DF_HASH, 3, -4, g_hset},
    {"HGET", DF_HASH, 8, 3, g_key_field},
    {"HMGET", DF_HASH, 4, -3, g_key_fields},
    {"HDEL", DF_HASH, 6, -3, g_key_fields},
    {"HLEN", DF_HASH, 3, 2, g_key},
    {"HSTRLEN", DF_HASH, 3, 3, g_key_field},
    {"HEXISTS", DF_HASH, 3, 3, g_key_field},
    {"HKEYS", DF_HASH, 2, 2, g_key_unordered},
    {"HVALS", DF_HASH, 2, 2, g_key_unordered},
    {"HGETALL", DF_HASH, 3, 2, g_hgetall},
    {"HINCRBY", DF_HASH, 5, 4, g_hincrby},
    {"HINCRBYFLOAT", DF_HASH, 5, 4, g_hincrbyfloat},
    {"HRANDFIELD", DF_HASH, 4, -2, g_hrandfield},
    {"HSCAN", DF_HASH, 2, -3, g_xscan},
    /* sets */
    {"SADD", DF_SET, 12, -3, g_key_members},
    {"SREM", DF_SET, 6, -3, g_key_members},
    {"SCARD", DF_SET, 3, 2, g_key},
    {"SISMEMBER", DF_SET, 5, 3, g_key_member},
    {"SMISMEMBER", DF_SET, 3, -3, g_key_members},
    {"SMEMBERS", DF_SET, 3, 2, g_key_unordered},
    {"SRANDMEMBER", DF_SET, 4, -2, g_srandmember},
    {"SPOP", DF_SET, 4, -2, g_srandmember},
    {"SMOVE", DF_SET, 4, 4, g_smove},
    {"SINTER", DF_SET, 3, -2, g_keys_unordered},
    {"SINTERCARD", DF_SET, 3, -3, g_sintercard},
    {"SINTERSTORE", DF_SET, 3, -3, g_sstore},
    {"SUNION", DF_SET, 2, -2, g_keys_unordered},
    {"SUNIONSTORE", DF_SET, 3, -3, g_sstore},
    {"SDIFF", DF_SET, 2, -2, g_keys_unordered},
    {"SDIFFSTORE", DF_SET, 3, -3, g_sstore},
    {"SSCAN", DF_SET, 2, -3, g_xscan},
    /* lists */
    {"LPUSH", DF_LIST, 8, -3, g_lpush},
    {"RPUSH", DF_LIST, 8, -3, g_lpush},
    {"LPUSHX", DF_LIST, 2, -3, g_lpush},
    {"RPUSHX", DF_LIST, 2, -3, g_lpush},
    {"LPOP", DF_LIST, 5, -2, g_pop},
    {"RPOP", DF_LIST, 5, -2, g_pop},
    {"LLEN", DF_LIST, 3, 2, g_key},
    {"LINDEX", DF_LIST, 5, 3, g_key_index},
    {"LRANGE", DF_LIST, 6, 4, g_key_range},
    {"LSET", DF_LIST, 4, 4, g_lset},
    {"LINSERT", DF_LIST, 4, 5, g_linsert},
    {"LREM", DF_LIST, 4, 4, g_lrem},
    {"LTRIM", DF_LIST, 3, 4, g_key_range},
    {"LPOS", DF_LIST, 5, -3, g_lpos},
    {"LMOVE", DF_LIST, 4, 5, g_lmove},
    {"RPOPLPUSH", DF_LIST, 2, 3, g_rename},
    {"LMPOP", DF_LIST, 3, -4, g_mpop},
    /* sorted sets */
    {"ZADD", DF_ZSET, 14, -4, g_zadd},
    {"ZINCRBY", DF_ZSET, 5, 4, g_zincrby},
    {"ZREM", DF_ZSET, 5, -3, g_key_members},
    {"ZCARD", DF_ZSET, 3, 2, g_key},
    {"ZSCORE", DF_ZSET, 4, 3, g_key_member},
    {"ZMSCORE", DF_ZSET, 3, -3, g_key_members},
    {"ZRANK", DF_ZSET, 4, 3, g_key_member},
    {"ZREVRANK", DF_ZSET, 3, 3, g_key_member},
    {"ZCOUNT", DF_ZSET, 3, 4, g_zscore_range},
    {"ZLEXCOUNT", DF_ZSET, 3, 4, g_zlex_range},
    {"ZRANGE", DF_ZSET, 10, -4, g_zrange},
    {"ZRANGESTORE", DF_ZSET, 3, -5, g_zrange},
    {"ZRANGEBYSCORE", DF_ZSET, 3, -4, g_zrangeby},
    {"ZREVRANGEBYSCORE", DF_ZSET, 3, -4, g_zrangeby},
    {"ZRANGEBYLEX", DF_ZSET, 3, -4, g_zrangeby},
    {"ZREVRANGEBYLEX", DF_ZSET, 2, -4, g_zrangeby},
    {"ZREVRANGE", DF_ZSET, 3, -4, g_key_range},
    {"ZREMRANGEBYRANK", DF_ZSET, 2, 4, g_key_range},
    {"ZREMRANGEBYSCORE", DF_ZSET, 2, 4, g_zscore_range},
    {"ZREMRANGEBYLEX", DF_ZSET, 2, 4, g_zlex_range},
    {"ZPOPMIN", DF_ZSET, 3, -2, g_pop},
    {"ZPOPMAX", DF_ZSET, 3, -2, g_pop},
    {"ZMPOP", DF_ZSET, 3, -4, g_mpop},
    {"ZRANDMEMBER", DF_ZSET, 4, -2, g_zrandmember},
    {"ZUNION", DF_ZSET, 2, -3, g_zsetop},
    {"ZUNIONSTORE", DF_ZSET, 3, -4, g_zsetop},
    {"ZINTER", DF_ZSET, 2, -3, g_zsetop},
    {"ZINTERSTORE", DF_ZSET, 3, -4, g_zsetop},
    {"ZINTERCARD", DF_ZSET, 2, -3, g_zsetop},
    {"ZDIFF", DF_ZSET, 2, -3, g_zsetop},
    {"ZDIFFSTORE", DF_ZSET, 2, -4, g_zsetop},
    {"ZSCAN", DF_ZSET, 2, -3, g_xscan},
    /* SORT and SORT_RO (issue 21), and the keys their patterns name */
    {"SORT", DF_SORT, 10, -2, g_sort},
    {"SORT_RO", DF_SORT, 4, -2, g_sort},
    {"SET", DF_SORT, 4, -3, g_sort_weight},
    {"HSET", DF_SORT, 2, -4, g_sort_hash},
    /* pub/sub, with nobody subscribed */
    {"PUBLISH", DF_PUBSUB, 4, 3, g_publish},
    {"SPUBLISH", DF_PUBSUB, 2, 3, g_publish},
    {"PUBSUB", DF_PUBSUB, 4, -2, g_pubsub},
    /* blocking pops: each an episode on the blockers, served from the stream's connection */
    {"BLPOP", DF_BLOCK, 5, -3, g_bpop},
    {"BRPOP", DF_BLOCK, 4, -3, g_bpop},
    {"BLMOVE", DF_BLOCK, 3, 6, g_blmove},
    {"BRPOPLPUSH", DF_BLOCK, 2, 4, g_blmove},
    {"BLMPOP", DF_BLOCK, 3, -5, g_bmpop},
    {"BZPOPMIN", DF_BLOCK, 4, -3, g_bpop},
    {"BZPOPMAX", DF_BLOCK, 3, -3, g_bpop},
    {"BZMPOP", DF_BLOCK, 3, -5, g_bmpop},
    /* large strings (issue 22): values across the fragment threshold and boundaries */
    {"SET", DF_BIGSTR, 5, -3, g_bs_set},
    {"GETSET", DF_BIGSTR, 1, 3, g_bs_set},
    {"APPEND", DF_BIGSTR, 6, 3, g_bs_append},
    {"SETRANGE", DF_BIGSTR, 8, 4, g_bs_setrange},
    {"GETRANGE", DF_BIGSTR, 6, 4, g_bs_getrange},
    {"SUBSTR", DF_BIGSTR, 1, 4, g_bs_getrange},
    {"STRLEN", DF_BIGSTR, 3, 2, g_key},
    {"GET", DF_BIGSTR, 4, 2, g_key},
    {"GET", DF_BIGSTR, 2, 0, g_copyval},
    {"GETDEL", DF_BIGSTR, 1, 2, g_key},
    /* bitmaps (issue 22) */
    {"SETBIT", DF_BITMAP, 14, 4, g_setbit},
    {"GETBIT", DF_BITMAP, 6, 3, g_getbit},
    {"BITCOUNT", DF_BITMAP, 6, -2, g_bitcount},
    {"BITPOS", DF_BITMAP, 6, -3, g_bitpos},
    {"BITOP", DF_BITMAP, 4, -4, g_bitop},
    {"BITFIELD", DF_BITMAP, 8, -2, g_bitfield},
    {"BITFIELD_RO", DF_BITMAP, 3, -2, g_bitfield},
    {"GET", DF_BITMAP, 3, 2, g_key},
    {"STRLEN", DF_BITMAP, 1, 2, g_key},
    {"SET", DF_BITMAP, 1, -3, g_bs_set},
    {"GET", DF_BITMAP, 1, 0, g_copyval},
    /* HyperLogLogs (issue 22); PFSELFTEST is left out: it takes Redis about a second */
    {"PFADD", DF_HLL, 12, -2, g_pfadd},
    {"PFCOUNT", DF_HLL, 8, -2, g_pfcount},
    {"PFMERGE", DF_HLL, 4, -2, g_pfmerge},
    {"PFDEBUG", DF_HLL, 4, 3, g_pfdebug},
    {"GET", DF_HLL, 3, 2, g_key},
    {"GET", DF_HLL, 3, 0, g_copyval},
    {"SET", DF_HLL, 2, -3, g_hll_craft},
    {"SETRANGE", DF_HLL, 2, 4, g_hll_damage},
    {"APPEND", DF_HLL, 1, 3, g_hll_damage},
    {"SETBIT", DF_HLL, 1, 4, g_setbit},
    {"DEL", DF_HLL, 2, -2, g_key},
    /* scripts (issue 24) */
    {"EVAL", DF_SCRIPT, 1, -3, g_eval},
    {"FUNCTION", DF_SCRIPT, 1, 0, g_fn_load},
    {"FCALL", DF_SCRIPT, 2, -3, g_fcall},
    {"FCALL_RO", DF_SCRIPT, 1, -3, g_fcall},
    {"FUNCTION", DF_SCRIPT, 1, 0, g_fn_admin},
    /* generic key commands */
    {"DEL", DF_KEYS, 4, -2, g_keys},
    {"UNLINK", DF_KEYS, 1, -2, g_keys},
    {"EXISTS", DF_KEYS, 4, -2, g_keys},
    {"TYPE", DF_KEYS, 4, 2, g_key},
    {"TOUCH", DF_KEYS, 1, -2, g_keys},
    {"EXPIRE", DF_KEYS, 4, -3, g_expire},
    {"PEXPIRE", DF_KEYS, 2, -3, g_expire},
    {"EXPIREAT", DF_KEYS, 1, -3, g_expire},
    {"PEXPIREAT", DF_KEYS, 1, -3, g_expire},
    {"TTL", DF_KEYS, 3, 2, g_ttl},
    {"PTTL", DF_KEYS, 2, 2, g_ttl},
    {"EXPIRETIME", DF_KEYS, 1, 2, g_ttl},
    {"PEXPIRETIME", DF_KEYS, 1, 2, g_ttl},
    {"PERSIST", DF_KEYS, 3, 2, g_key},
    {"RENAME", DF_KEYS, 3, 3, g_rename},
    {"RENAMENX", DF_KEYS, 2, 3, g_rename},
    {"COPY", DF_KEYS, 4, -3, g_copy},
    {"MOVE", DF_KEYS, 3, 3, g_move},
    {"SELECT", DF_KEYS, 3, 2, g_select},
    {"OBJECT", DF_KEYS, 5, 3, g_object},
    {"DBSIZE", DF_KEYS, 2, 1, g_noargs},
    {"SCAN", DF_KEYS, 2, -2, g_scan},
    {"KEYS", DF_KEYS, 1, 2, g_keys_cmd},
};

#define DF_NGENS ((int)(sizeof(df_gens) / sizeof(df_gens[0])))

static int df_enabled[DF_NGENS];

/* Whether 'name' is in the comma-separated 'list' (case-insensitive). */
static int df_in_list(const char *list, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);

        if (len == n && !strncasecmp(p, name, n))
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* Give 'c' a wrong number of arguments for its arity 'arity': too few, or (fixed
 * arity) one too many. Redis answers an arity error before looking at anything. */
static void df_mutate_arity(struct df_cmd *c, int arity)
{
    int want, min = arity < 0 ? -arity : arity;

    if (arity > 0 && (min == 1 || df_below(2)))
        want = arity + 1;
    else
        want = 1 + (int)df_below(min - 1);
    while (c->argc > want)
        free(c->argv[--c->argc]);
    while (c->argc < want)
        df_arg(c, "x");
    c->kind = DF_EXACT;
}

/* A command of the enabled families, by weight. */
static void df_gen_random(struct df_cmd *c)
{
    static int total;
    long long r;

    if (!total)
        for (int i = 0; i < DF_NGENS; i++)
            total += df_enabled[i] ? df_gens[i].weight : 0;
    r = df_below(total);
    for (int i = 0; i < DF_NGENS; i++) {
        if (!df_enabled[i])
            continue;
        if (r < df_gens[i].weight) {
            df_gen_family = df_gens[i].family;
            df_ints_only = df_gen_family == DF_SET && df_below(2);
            df_gens[i].fn(c, df_gens[i].name);
            if (df_gens[i].arity && df_chance(25))
                df_mutate_arity(c, df_gens[i].arity);
            return;
        }
        r -= df_gens[i].weight;
    }
}

/* ---- running a blocking-pop episode (see "blocking pops" above) ---- */

/* Whether 'c' has a reply to read within 'ms' milliseconds (one already buffered, or
 * bytes or an end on its socket). */
static int df_readable(struct df_conn *c, int ms)
{
    struct pollfd p = {.fd = c->ctx->fd, .events = POLLIN};

    if (c->len > c->pos)
        return 1;
    return poll(&p, 1, ms) > 0;
}

/* Connect the blockers of both servers and ask each its CLIENT ID. 0, or -1 with a
 * message on stderr. */
static int df_blockers_connect(void)
{
    for (int side = 0; side < 2; side++) {
        for (int i = 0; i < DF_BLOCKERS; i++) {
            struct df_conn *conn = side ? &cb_blk[i] : &ca_blk[i];
            struct df_cmd id = {0};
            struct df_rep *r;

            conn->addr = side ? opt.b : opt.a;
            conn->name = side ? 'b' : 'a';
            conn->blocker = i + 1;
            conn->proto = 2;
            if (df_connect(conn) < 0)
                return -1;
            df_arg(&id, "CLIENT");
            df_arg(&id, "ID");
            r = df_aux1(conn, &id);
            df_cmd_clear(&id);
            if (!r || r->type != ':' || !df_str2ll(r->str, r->len, &conn->id)) {
                fprintf(stderr, "omenkv-difffuzz: CLIENT ID on %s did not answer an integer\n",
                        conn->addr);
                df_rep_free(r);
                return -1;
            }
            df_rep_free(r);
        }
    }
    return 0;
}

/* Bring blocker 'conn' to the stream's protocol and database (HELLO, SELECT). 0, or -1
 * (reported). */
static int df_blocker_sync(struct df_conn *conn)
{
    for (int step = 0; step < 2; step++) {
        struct df_cmd c = {0};
        struct df_rep *r;

        if (step == 0 && conn->proto == df_proto)
            continue;
        if (step == 1 && conn->db == df_db)
            continue;
        df_arg(&c, "%s", step ? "SELECT" : "HELLO");
        df_arg(&c, "%d", step ? df_db : df_proto);
        r = df_aux1(conn, &c);
        if (!r || r->type == '-') {
            df_rep_a = conn->name == 'a' ? conn : &ca;
            df_rep_b = conn->name == 'b' ? conn : &cb;
            df_report(&c, conn->name == 'a' ? r : NULL, conn->name == 'b' ? r : NULL,
                      "a blocker could not switch its protocol or database");
            df_rep_a = &ca;
            df_rep_b = &cb;
            df_rep_free(r);
            df_cmd_clear(&c);
            return -1;
        }
        df_rep_free(r);
        df_cmd_clear(&c);
        if (step)
            conn->db = df_db;
        else
            conn->proto = df_proto;
    }
    return 0;
}

/* INFO clients' blocked_clients on 'conn', or -1 (no such field, or no reply). */
static long long df_blocked_clients(struct df_conn *conn)
{
    struct df_cmd c = {0};
    struct df_rep *r;
    long long n = -1;

    df_arg(&c, "INFO");
    df_arg(&c, "clients");
    r = df_aux1(conn, &c);
    df_cmd_clear(&c);
    if (r && r->str && (r->type == '$' || r->type == '=')) {
        const char *f = strstr(r->str, "blocked_clients:");

        if (f)
            n = strtoll(f + 16, NULL, 10);
    }
    df_rep_free(r);
    return n;
}

/* Wait until each of the first 'nsent' blockers of a server ('blk'; 'main' its stream
 * connection) has answered or blocked: replies to read plus INFO's blocked_clients
 * reach 'nsent'. 0, or -1 after 10 s (blk[nsent - 1].err says why). */
static int df_settle(struct df_conn *main, struct df_conn *blk, int nsent)
{
    long long waited_us = 0, step_us = 100;

    for (;;) {
        int readable = 0;
        long long blocked;

        for (int i = 0; i < nsent; i++)
            readable += df_readable(&blk[i], 0);
        if (readable == nsent)
            return 0;
        blocked = df_blocked_clients(main);
        if (blocked < 0) {
            snprintf(blk[nsent - 1].err, sizeof(blk[0].err),
                     "INFO clients has no blocked_clients field");
            return -1;
        }
        if (blocked + readable >= nsent)
            return 0;
        if (waited_us > 10 * 1000000LL) {
            snprintf(blk[nsent - 1].err, sizeof(blk[0].err),
                     "neither answered nor blocked within 10 s (blocked_clients %lld)", blocked);
            return -1;
        }
        usleep((useconds_t)step_us);
        waited_us += step_us;
        step_us = step_us < 20000 ? step_us * 2 : 20000;
    }
}

/* Run 'c' (a step of an episode: the serving command, the EXISTS barrier) on both
 * stream connections and compare exactly; 'rc' is the episode's result so far (a
 * difference is reported only if none was). Returns the new result: 0, 1, or -1. */
static int df_step(const struct df_cmd *c, int rc)
{
    struct df_rep *ra, *rb;

    df_naux++;
    if (df_both(c, &ra, &rb) < 0) {
        df_report(c, ra, rb, "connection lost");
        rc = -1;
    } else if (!df_rep_equal(ra, rb)) {
        if (rc == 0)
            df_report(c, ra, rb, "replies differ (a step of a blocking pop's episode)");
        rc = rc ? rc : 1;
    } else {
        df_note(c, ra);
    }
    df_rep_free(ra);
    df_rep_free(rb);
    return rc;
}

/* CLIENT UNBLOCK of blocker 'i' on both servers (each its own client id), the form the
 * episode chose; the replies compared exactly. '*was_blocked' gets whether A's said 1.
 * Returns the episode's new result, as df_step(). */
static int df_unblock(int i, int rc, int *was_blocked)
{
    static const char *const forms[] = {NULL, "TIMEOUT", "ERROR"};
    struct df_cmd ua = {0}, ub = {0};
    struct df_rep *ra = NULL, *rb = NULL;

    for (int side = 0; side < 2; side++) {
        struct df_cmd *u = side ? &ub : &ua;

        df_arg(u, "CLIENT");
        df_arg(u, "UNBLOCK");
        df_arg(u, "%lld", side ? cb_blk[i].id : ca_blk[i].id);
        if (forms[df_ep.unblock])
            df_arg(u, "%s", forms[df_ep.unblock]);
    }
    df_naux++;
    if (df_send(&ca, &ua) == 0)
        ra = df_read(&ca);
    if (df_send(&cb, &ub) == 0)
        rb = df_read(&cb);
    if (!ra || !rb) {
        df_report(&ua, ra, rb, "connection lost");
        rc = -1;
    } else if (!df_rep_equal(ra, rb)) {
        if (rc == 0)
            df_report(&ua, ra, rb, "CLIENT UNBLOCK replies differ (b's own client id sent to b): "
                      "was the client still blocked?");
        rc = rc ? rc : 1;
    }
    *was_blocked = ra && ra->type == ':' && ra->len == 1 && ra->str[0] == '1';
    df_rep_free(ra);
    df_rep_free(rb);
    df_cmd_clear(&ua);
    df_cmd_clear(&ub);
    return rc;
}

/* Wait up to 10 s for blocker 'blk''s reply; 1 when it is there. Every 2 ms without
 * one, a PING on the server's stream connection 'main': Redis times blocked clients out
 * when it next wakes up, which an idle server does only at its next cron tick (100 ms
 * at hz 10). */
static int df_await(struct df_conn *main, struct df_conn *blk)
{
    struct df_cmd ping = {0};
    int got = 0;

    df_arg(&ping, "PING");
    for (int waited = 0; waited < 10000 && !got; waited += 2) {
        struct df_rep *r;

        got = df_readable(blk, 2);
        if (got)
            break;
        r = df_aux1(main, &ping);
        if (!r)
            break;
        df_rep_free(r);
    }
    df_cmd_clear(&ping);
    return got;
}

/* Count how blocker 'i''s agreed reply 'r' came: 'imm' it was there before anything was
 * served, 'unblocked' CLIENT UNBLOCK found it blocked. */
static void df_note_blocker(const struct df_rep *r, int imm, int unblocked)
{
    int null = r->null || r->type == '_';

    if (unblocked)
        df_stats.blk_unblocked++;
    else if (df_ep.wait && null)
        df_stats.blk_timeout++;
    else if (imm)
        df_stats.blk_immediate++;
    else
        df_stats.blk_served++;
}

/* The rest of the episode, for the history: "; then ..." (valid until the next call). */
static const char *df_episode_text(void)
{
    static struct df_buf b;

    b.len = 0;
    df_buf_add(&b, "", 0);
    if (df_ep.nblk == 2) {
        df_buf_add(&b, " ; [blocker 2] ", 15);
        df_show_cmd(&b, &df_ep.blk2);
    }
    if (df_ep.wait)
        df_buf_printf(&b, " ; (its timeout awaited)");
    else if (df_ep.serve.argc) {
        df_buf_add(&b, " ; then ", 8);
        df_show_cmd(&b, &df_ep.serve);
    }
    if (!df_ep.wait)
        df_buf_printf(&b, " ; EXISTS ... ; CLIENT UNBLOCK%s",
                      df_ep.unblock == 2 ? " ERROR" : df_ep.unblock == 1 ? " TIMEOUT" : "");
    if (df_ep.own_key)
        df_buf_printf(&b, " ; DEL \"k%d\"", opt.nkeys);
    return b.p;
}

/* Run the episode whose first blocking command is 'c' (df_ep holds the rest). 0 when
 * every reply agreed; 1 on a difference (the first one reported); -1 on a connection
 * error or a blocker that neither answered nor blocked (reported). The blockers have
 * answered before it returns 0 or 1. */
static int df_run_episode(const struct df_cmd *c)
{
    const struct df_cmd *blk[DF_BLOCKERS] = {c, &df_ep.blk2};
    int rc = 0, imm[DF_BLOCKERS] = {0, 0}, unblocked[DF_BLOCKERS] = {0, 0};

    for (int i = 0; i < df_ep.nblk; i++)
        if (df_blocker_sync(&ca_blk[i]) < 0 || df_blocker_sync(&cb_blk[i]) < 0)
            return -1;
    for (int i = 0; i < df_ep.nblk; i++) {
        int sa = df_send(&ca_blk[i], blk[i]), sb = df_send(&cb_blk[i], blk[i]);

        if (sa < 0 || sb < 0 || df_settle(&ca, ca_blk, i + 1) < 0 ||
            df_settle(&cb, cb_blk, i + 1) < 0) {
            df_rep_a = &ca_blk[i];
            df_rep_b = &cb_blk[i];
            df_report(blk[i], NULL, NULL, "a blocking command was not taken");
            df_rep_a = &ca;
            df_rep_b = &cb;
            return -1;
        }
        imm[i] = df_readable(&ca_blk[i], 0);
    }
    df_stats.blk_two += df_ep.nblk == 2;
    if (!df_ep.wait) {
        struct df_cmd barrier = {0};

        /* Both servers have served the blocked clients before they answer it (a
         * served client's reply may reach its socket a moment later: it is awaited
         * below, after CLIENT UNBLOCK, which says 0 for a served client). */
        if (df_ep.serve.argc)
            rc = df_step(&df_ep.serve, rc);
        if (rc >= 0 && df_ep.nkeys) {
            df_arg(&barrier, "EXISTS");
            for (int k = 0; k < df_ep.nkeys; k++)
                df_arg(&barrier, "%s", df_ep.keys[k]);
            rc = df_step(&barrier, rc);
            df_cmd_clear(&barrier);
        }
        for (int i = 0; i < df_ep.nblk && rc >= 0; i++)
            rc = df_unblock(i, rc, &unblocked[i]);
        if (rc < 0)
            return -1;
    }
    for (int i = 0; i < df_ep.nblk; i++) {
        struct df_rep *ra, *rb;

        ra = df_await(&ca, &ca_blk[i]) ? df_read(&ca_blk[i]) : NULL;
        rb = df_await(&cb, &cb_blk[i]) ? df_read(&cb_blk[i]) : NULL;
        df_rep_a = &ca_blk[i];
        df_rep_b = &cb_blk[i];
        if (!ra || !rb) {
            if (!ra && !ca_blk[i].err[0])
                snprintf(ca_blk[i].err, sizeof(ca_blk[i].err), "no reply within 10 s");
            if (!rb && !cb_blk[i].err[0])
                snprintf(cb_blk[i].err, sizeof(cb_blk[i].err), "no reply within 10 s");
            df_report(blk[i], ra, rb, "a blocked client got no reply");
            rc = -1;
        } else if (!df_rep_equal(ra, rb)) {
            if (rc == 0)
                df_report(blk[i], ra, rb, "the replies of blocker %d differ", i + 1);
            rc = rc ? rc : 1;
        } else {
            df_note(blk[i], ra);
            df_note_blocker(ra, imm[i], unblocked[i]);
        }
        df_rep_a = &ca;
        df_rep_b = &cb;
        df_rep_free(ra);
        df_rep_free(rb);
        if (rc < 0)
            return -1;
    }
    if (df_ep.own_key) { /* empty again for the next episode */
        struct df_cmd del = {0};

        df_arg(&del, "DEL");
        df_arg(&del, "k%d", opt.nkeys);
        rc = df_step(&del, rc);
        df_cmd_clear(&del);
    }
    return rc;
}

/* ---- phases: one collection grown large, then most times swept away ---- */

struct df_phase {
    int on;            /* 0: none; 1: growing; 2: sweeping */
    int type;          /* DF_HASH, DF_SET, DF_LIST or DF_ZSET */
    char key[32];
    long long target;  /* elements to add: 100 to 3000 */
    long long pos;     /* next element to add (growing) or remove (sweeping) */
    long long base;    /* elements are named from base + j */
    int ints;          /* 1: members all integers (an intset until 512 of them) */
    int long_permille; /* hash values, list elements, sorted-set members over 64 bytes */
    int keep;          /* 1: stop after growing (the key stays large) */
    long long ops;     /* bulk commands sent in this phase */
};

static struct df_phase df_ph;

/* Element j of the phase's collection. */
static void df_phase_elem(struct df_cmd *c, long long j)
{
    long long v = df_ph.base + j;
    char buf[128];

    if (df_ph.type != DF_HASH && df_ph.type != DF_SET && df_chance(df_ph.long_permille))
        df_argb(c, buf, (size_t)snprintf(buf, sizeof(buf), "%lld:%s", v,
                                         "a-long-element-of-a-large-list-or-sorted-set-"
                                         "that-Redis-encodes-as-a-skiplist"));
    else if (df_ph.ints || j % 7)
        df_arg(c, "%lld", df_ph.type == DF_SET ? v * 3 - 1500 : v); /* negatives: intset */
    else
        df_arg(c, "%c%lld", df_ph.type == DF_HASH ? 'f' : 'm', v);
}

/* The score of element j of the phase's sorted set: runs of about four equal scores,
 * every fifth a half, now and then an infinity. */
static void df_phase_score(struct df_cmd *c, long long j)
{
    long long v = df_ph.base / 100 + j / 4;

    if (df_chance(10))
        df_arg(c, "%s", df_below(2) ? "inf" : "-inf");
    else if (j % 5 == 0)
        df_arg(c, "%lld.5", v);
    else
        df_arg(c, "%lld", v);
}

/* Start a phase on a type the run's families include: hashes, sets, lists or sorted
 * sets. Without lists and sorted sets, issue 20's draw (its seeds stay what they were). */
static void df_phase_start(int types)
{
    memset(&df_ph, 0, sizeof(df_ph));
    df_ph.on = 1;
    if (types & (DF_LIST | DF_ZSET)) {
        int pick[4], n = 0;

        for (int t = DF_HASH; t <= DF_ZSET; t <<= 1)
            if (types & t && t != DF_KEYS)
                pick[n++] = t;
        df_ph.type = pick[df_below(n)];
    } else {
        df_ph.type = types == DF_HASH || (types != DF_SET && df_below(2)) ? DF_HASH : DF_SET;
    }
    snprintf(df_ph.key, sizeof(df_ph.key), "k%lld", df_below(opt.nkeys));
    df_ph.target = 100 + df_below(df_chance(300) ? 2900 : 700);
    df_ph.base = df_below(3) * 10000;
    df_ph.ints = df_below(2);
    df_ph.long_permille = df_below(3) ? 0 : (int)df_below(6);
    df_ph.keep = df_chance(350);
}

/* A growing phase's next bulk command: HSET/HMSET, SADD, RPUSH/LPUSH or ZADD of up to
 * 50 new elements. */
static void df_phase_grow(struct df_cmd *c)
{
    long long n = 1 + df_below(50);
    static const char *const verbs[] = {"HSET", "SADD", "RPUSH", "ZADD"};
    int t = df_ph.type == DF_HASH ? 0 : df_ph.type == DF_SET ? 1 : df_ph.type == DF_LIST ? 2 : 3;

    if (t == 0 && !df_below(5))
        df_arg(c, "HMSET");
    else if (t == 2 && !df_below(3))
        df_arg(c, "LPUSH");
    else
        df_arg(c, "%s", verbs[t]);
    df_arg(c, "%s", df_ph.key);
    for (; n > 0 && df_ph.pos < df_ph.target; n--, df_ph.pos++) {
        if (t == 3)
            df_phase_score(c, df_ph.pos);
        df_phase_elem(c, df_ph.pos);
        if (t == 0) {
            char buf[128];

            if (df_chance(df_ph.long_permille))
                df_argb(c, buf, df_text(buf, (size_t)(65 + df_below(30))));
            else
                df_argb(c, buf, df_text(buf, (size_t)df_below(12)));
        }
    }
    if (df_ph.pos >= df_ph.target) {
        df_ph.pos = 0;
        df_ph.on = df_ph.keep ? 0 : 2;
    }
}

/* A sweeping phase's next command on a list or sorted set: pops from either end, LTRIM,
 * LREM, ZREM, ZREMRANGEBYRANK or ZREMRANGEBYSCORE, each removing up to 60 elements
 * (counted as if they were the phase's, which other commands may have changed). */
static void df_phase_sweep_lz(struct df_cmd *c)
{
    long long n = 1 + df_below(60), r = df_below(100);
    int zset = df_ph.type == DF_ZSET;

    if (r < 35) {
        df_arg(c, "%s", zset ? (df_below(2) ? "ZPOPMIN" : "ZPOPMAX")
                             : (df_below(2) ? "LPOP" : "RPOP"));
        df_arg(c, "%s", df_ph.key);
        df_arg(c, "%lld", n);
    } else if (r < 55) {
        df_arg(c, "%s", zset ? "ZREMRANGEBYRANK" : "LTRIM");
        df_arg(c, "%s", df_ph.key);
        if (zset || df_below(2)) { /* ZREMRANGEBYRANK 0 n-1; LTRIM n -1 */
            df_arg(c, "%lld", zset ? 0 : n);
            df_arg(c, "%lld", zset ? n - 1 : -1);
        } else {                   /* LTRIM 0 -n-1: the last n go */
            df_arg(c, "0");
            df_arg(c, "%lld", -n - 1);
        }
    } else if (r < 70 && zset) {
        df_arg(c, "ZREMRANGEBYSCORE");
        df_arg(c, "%s", df_ph.key);
        df_arg(c, "-inf");
        df_arg(c, "(%lld", df_ph.base / 100 + (df_ph.pos + n) / 4);
    } else if (zset) {
        df_arg(c, "ZREM");
        df_arg(c, "%s", df_ph.key);
        for (long long j = 0; j < n; j++)
            df_phase_elem(c, df_ph.pos + j);
    } else {
        df_arg(c, "LREM");
        df_arg(c, "%s", df_ph.key);
        df_arg(c, "%lld", df_below(3) - 1);
        df_phase_elem(c, df_ph.pos);
        n = 1;
    }
    df_ph.pos += n;
    if (df_ph.pos >= df_ph.target)
        df_ph.on = 0;
}

/* The phase's next command in 'c', or 0 when this turn is not the phase's. */
static int df_phase_cmd(struct df_cmd *c)
{
    static const char *const counts[] = {"HLEN", "SCARD", "LLEN", "ZCARD"};
    int types = opt.families & (DF_HASH | DF_SET | DF_LIST | DF_ZSET);

    if (!df_ph.on) {
        if (!types || !df_chance(1))
            return 0;
        df_phase_start(types);
    }
    if (df_below(2))
        return 0;
    df_ph.ops++;
    if (df_ph.ops % 10 == 0) {
        df_arg(c, "%s", counts[df_ph.type == DF_HASH ? 0 : df_ph.type == DF_SET ? 1
                               : df_ph.type == DF_LIST ? 2 : 3]);
        df_arg(c, "%s", df_ph.key);
        return 1;
    }
    if (df_ph.on == 1) {
        df_phase_grow(c);
        return 1;
    }
    if (df_ph.type == DF_LIST || df_ph.type == DF_ZSET) {
        df_phase_sweep_lz(c);
        return 1;
    }
    if (df_ph.type == DF_SET && df_chance(100)) {
        df_arg(c, "SPOP");
        df_arg(c, "%s", df_ph.key);
        df_arg(c, "%lld", 1 + df_below(60));
        c->kind = DF_RANDOM;
        return 1;
    }
    df_arg(c, "%s", df_ph.type == DF_HASH ? "HDEL" : "SREM");
    df_arg(c, "%s", df_ph.key);
    for (long long n = 1 + df_below(60); n > 0 && df_ph.pos < df_ph.target; n--, df_ph.pos++)
        df_phase_elem(c, df_ph.pos);
    if (df_ph.pos >= df_ph.target)
        df_ph.on = 0;
    return 1;
}

/* ---- keyspace notifications (--notify) ----
 * With --notify FLAGS both servers get CONFIG SET notify-keyspace-events FLAGS, and each
 * has a subscriber connection PSUBSCRIBEd to __key*__:*. After each step of the stream,
 * a PUBLISH on a marker channel the pattern matches goes to both, and the messages each
 * subscriber got before its marker (channel and message of each pmessage, in order) must
 * be the same. A step whose SPOP picked differently is re-synced on B alone (SADD, SREM):
 * its messages are read and dropped, not compared. */

static struct df_conn csub[2] = {{.name = 'a'}, {.name = 'b'}}; /* the subscribers */
static long long df_nmarks;                                      /* markers published */

/* Connect the subscribers and turn notifications on. 0, or -1 with a message. */
static int df_notify_start(void)
{
    for (int side = 0; side < 2; side++) {
        struct df_cmd set = {0};
        struct df_rep *r;
        redisReply *rr;

        csub[side].addr = side ? opt.b : opt.a;
        if (df_connect(&csub[side]) < 0)
            return -1;
        rr = redisCommand(csub[side].ctx, "PSUBSCRIBE __key*__:*");
        if (!rr || rr->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "omenkv-difffuzz: PSUBSCRIBE failed on %s\n", csub[side].addr);
            return -1;
        }
        freeReplyObject(rr);
        df_arg(&set, "CONFIG");
        df_arg(&set, "SET");
        df_arg(&set, "notify-keyspace-events");
        df_arg(&set, "%s", opt.notify);
        r = df_aux1(side ? &cb : &ca, &set);
        df_cmd_clear(&set);
        if (!r || r->type != '+') {
            fprintf(stderr, "omenkv-difffuzz: CONFIG SET notify-keyspace-events %s failed on "
                            "%s\n", opt.notify, side ? opt.b : opt.a);
            df_rep_free(r);
            return -1;
        }
        df_rep_free(r);
    }
    return 0;
}

/* Publish marker 'mark' on side 'side' and read its subscriber's messages up to it into
 * 'out', one "channel message" per line. 0, or -1 (connection lost or no marker). */
static int df_notify_collect(int side, const char *mark, struct df_buf *out)
{
    struct df_cmd pub = {0};
    struct df_rep *r;

    df_arg(&pub, "PUBLISH");
    df_arg(&pub, "%s", mark);
    df_arg(&pub, "x");
    r = df_aux1(side ? &cb : &ca, &pub);
    df_cmd_clear(&pub);
    if (!r)
        return -1;
    df_rep_free(r);
    for (;;) {
        redisReply *m = NULL;

        if (redisGetReply(csub[side].ctx, (void **)&m) != REDIS_OK || !m)
            return -1;
        if (m->type == REDIS_REPLY_ARRAY && m->elements == 4 &&
            m->element[2]->type == REDIS_REPLY_STRING && m->element[3]->type == REDIS_REPLY_STRING) {
            if (!strcmp(m->element[2]->str, mark)) {
                freeReplyObject(m);
                return 0;
            }
            df_buf_add(out, m->element[2]->str, m->element[2]->len);
            df_buf_add(out, " ", 1);
            df_buf_add(out, m->element[3]->str, m->element[3]->len);
            df_buf_add(out, "\n", 1);
        }
        freeReplyObject(m);
    }
}

/* After the step that ran 'c': compare the messages both servers published ('compare'
 * 0: read them and drop them). 0: same; 1: they differ (reported); -1: a connection lost. */
static int df_notify_check(const struct df_cmd *c, int compare)
{
    struct df_buf m[2] = {{0}, {0}};
    char mark[64];
    int rc = 0;

    snprintf(mark, sizeof(mark), "__keymark__:%lld", ++df_nmarks);
    for (int side = 0; side < 2 && rc == 0; side++)
        if (df_notify_collect(side, mark, &m[side]) < 0)
            rc = -1;
    if (rc == 0 && compare &&
        (m[0].len != m[1].len || (m[0].len && memcmp(m[0].p, m[1].p, m[0].len)))) {
        df_ndiffs++;
        printf("DIFFERENCE at command %lld (seed %llu, RESP%d, db %d): keyspace notifications "
               "differ\n  command: ", df_ncmd, (unsigned long long)opt.seed, df_proto, df_db);
        {
            struct df_buf b = {0};

            df_show_cmd(&b, c);
            printf("%.*s\n", (int)b.len, b.p);
            free(b.p);
        }
        printf("  a (%s):\n%.*s  b (%s):\n%.*s", opt.a, (int)m[0].len, m[0].p ? m[0].p : "",
               opt.b, (int)m[1].len, m[1].p ? m[1].p : "");
        fflush(stdout);
        rc = 1;
    }
    free(m[0].p);
    free(m[1].p);
    return rc;
}

/* ---- the run ---- */

/* Run a command given as words on both servers, compared exactly (set-up, FLUSHALL,
 * HELLO). Returns 0, or what df_run returns. */
static int df_run_words(enum df_kind kind, const char *w0, const char *w1)
{
    struct df_cmd c = {0};
    int rc;

    df_arg(&c, "%s", w0);
    if (w1)
        df_arg(&c, "%s", w1);
    c.kind = kind;
    rc = df_run(&c);
    df_cmd_clear(&c);
    return rc;
}

/* DEBUG CHECK on the servers --debug-check names. 0, or 1 after printing the failure. */
static int df_debug_check(void)
{
    for (int side = 0; side < 2; side++) {
        struct df_conn *conn = side ? &cb : &ca;
        struct df_cmd c = {0};
        struct df_rep *r;

        if (!(opt.debug_check & (1 << side)))
            continue;
        df_arg(&c, "DEBUG");
        df_arg(&c, "CHECK");
        r = df_aux1(conn, &c);
        if (!r || r->type == '-') {
            struct df_buf b = {0};

            if (r)
                df_show(&b, r);
            printf("SELF-CHECK FAILED on %c (%s) after %lld commands (seed %llu): %s\n",
                   conn->name, conn->addr, df_ncmd, (unsigned long long)opt.seed,
                   r ? b.p : conn->err);
            free(b.p);
            df_rep_free(r);
            df_cmd_clear(&c);
            return 1;
        }
        df_rep_free(r);
        df_cmd_clear(&c);
    }
    return 0;
}

/* Start again from empty servers after a difference (--max-diffs). -1 if that fails. */
static int df_reset(void)
{
    memset(&df_ph, 0, sizeof(df_ph));
    df_follow[0] = '\0';
    if (df_run_words(DF_EXACT, "FLUSHALL", NULL) != 0)
        return -1;
    /* the libraries too: FUNCTION commands of the script family depend on them */
    if ((opt.families & DF_SCRIPT) && df_run_words(DF_EXACT, "FUNCTION", "FLUSH") != 0)
        return -1;
    if (df_run_words(DF_EXACT, "SELECT", "0") != 0)
        return -1;
    df_db = 0;
    return 0;
}

/* Parse a non-negative integer option; exits with status 2 on error. */
static long long df_num(const char *name, const char *v)
{
    char *end;
    long long n = strtoll(v, &end, 10);

    if (!*v || *end || n < 0) {
        fprintf(stderr, "omenkv-difffuzz: bad value for %s: '%s'\n", name, v);
        exit(2);
    }
    return n;
}

static int df_parse_families(const char *v)
{
    static const struct {
        const char *name;
        int bit;
    } fams[] = {{"string", DF_STRING}, {"hash", DF_HASH}, {"set", DF_SET}, {"keys", DF_KEYS},
                {"list", DF_LIST},     {"zset", DF_ZSET}, {"block", DF_BLOCK},
                {"pubsub", DF_PUBSUB}, {"bitmap", DF_BITMAP}, {"bigstr", DF_BIGSTR},
                {"hll", DF_HLL},       {"script", DF_SCRIPT}, {"sort", DF_SORT},
                {"all", DF_ALL}};
    int bits = 0;

    for (const char *p = v; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int found = 0;

        for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
            if (strlen(fams[i].name) == len && !strncmp(p, fams[i].name, len)) {
                bits |= fams[i].bit;
                found = 1;
            }
        }
        if (!found) {
            fprintf(stderr, "omenkv-difffuzz: --families takes string, hash, set, keys, "
                            "list, zset, block, pubsub, bitmap, bigstr, hll, script, sort or all\n");
            exit(2);
        }
        if (!e)
            break;
        p = e + 1;
    }
    return bits;
}

int main(int argc, char **argv)
{
    static const char *const famnames[] = {"string", "hash",   "set",    "keys",
                                           "list",   "zset",   "block",  "pubsub",
                                           "bitmap", "bigstr", "hll",    "script",
                                           "sort"};
    char fams[128] = "";
    int fatal = 0, enabled = 0;

    opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
    opt.commands = 100000;
    opt.families = DF_ALL;
    opt.proto = 2;
    opt.nkeys = 0;
    opt.max_diffs = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(a, "--trace")) {
            opt.trace = 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            df_usage();
            return 0;
        }
        if (!v) {
            df_usage();
            return 2;
        }
        i++;
        if (!strcmp(a, "--a"))
            opt.a = v;
        else if (!strcmp(a, "--b"))
            opt.b = v;
        else if (!strcmp(a, "--seed"))
            opt.seed = (uint64_t)df_num(a, v);
        else if (!strcmp(a, "--commands"))
            opt.commands = df_num(a, v);
        else if (!strcmp(a, "--families"))
            opt.families = df_parse_families(v);
        else if (!strcmp(a, "--keys"))
            opt.nkeys = (int)df_num(a, v);
        else if (!strcmp(a, "--max-diffs"))
            opt.max_diffs = (int)df_num(a, v);
        else if (!strcmp(a, "--exclude"))
            opt.exclude = v;
        else if (!strcmp(a, "--resp-log"))
            opt.resp_log = v;
        else if (!strcmp(a, "--check-every"))
            opt.check_every = df_num(a, v);
        else if (!strcmp(a, "--notify"))
            opt.notify = v;
        else if (!strcmp(a, "--debug-check"))
            opt.debug_check = (strchr(v, 'a') ? 1 : 0) | (strchr(v, 'b') ? 2 : 0);
        else if (!strcmp(a, "--proto")) {
            if (strcmp(v, "2") && strcmp(v, "3") && strcmp(v, "alt")) {
                fprintf(stderr, "omenkv-difffuzz: --proto takes 2, 3 or alt\n");
                return 2;
            }
            opt.proto = !strcmp(v, "alt") ? 0 : atoi(v);
        } else {
            df_usage();
            return 2;
        }
    }
    if (opt.nkeys == 0 && opt.families & DF_STRS22) { /* three keys per part, at least 6 */
        int bits = df_owner_bits();

        for (int i = 0; i < DF_NELEM(df_owners); i++)
            opt.nkeys += bits & df_owners[i] ? 3 : 0;
        opt.nkeys = opt.nkeys < 6 ? 6 : opt.nkeys;
    }
    if (opt.nkeys == 0) /* five parts of two keys each once lists or sorted sets are on */
        opt.nkeys = opt.families & (DF_LIST | DF_ZSET | DF_BLOCK) ? 10 : 8;
    if (!opt.a || !opt.b || opt.nkeys < 1 || opt.max_diffs < 1) {
        df_usage();
        return 2;
    }
    for (int i = 0; i < DF_NGENS; i++) {
        df_enabled[i] = (df_gens[i].family & opt.families) && !df_in_list(opt.exclude,
                                                                           df_gens[i].name);
        enabled += df_enabled[i];
    }
    if (!enabled) {
        fprintf(stderr, "omenkv-difffuzz: no command left to send\n");
        return 2;
    }
    for (int f = 0; f < DF_NFAMILIES; f++)
        if (opt.families & (1 << f))
            snprintf(fams + strlen(fams), sizeof(fams) - strlen(fams), "%s%s", fams[0] ? "," : "",
                     famnames[f]);
    if (opt.resp_log && !(df_resp_log = fopen(opt.resp_log, "w"))) {
        fprintf(stderr, "omenkv-difffuzz: cannot write %s: %s\n", opt.resp_log, strerror(errno));
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* a server that closed the connection: write() fails */
    ca.addr = opt.a;
    cb.addr = opt.b;
    if (df_connect(&ca) < 0 || df_connect(&cb) < 0 ||
        (opt.families & DF_BLOCK && df_blockers_connect() < 0) ||
        (opt.notify && df_notify_start() < 0))
        return 2;
    df_rng = opt.seed;
    printf("omenkv-difffuzz: seed %llu, %lld commands, families %s, %s, %d keys in 2 databases, "
           "a %s, b %s\n",
           (unsigned long long)opt.seed, opt.commands, fams,
           opt.proto == 2 ? "RESP2" : opt.proto == 3 ? "RESP3" : "RESP2/RESP3 alternating",
           opt.nkeys, opt.a, opt.b);
    fflush(stdout);
    df_proto = opt.proto ? opt.proto : 2;
    if (df_run_words(DF_HELLO, "HELLO", df_proto == 3 ? "3" : "2") != 0 || df_reset() != 0) {
        printf("the set-up commands (HELLO, FLUSHALL, SELECT) differ or failed\n");
        return 1;
    }
    while (df_ncmd < opt.commands) {
        struct df_cmd c = {0};
        int rc;

        df_ncmd++;
        if (opt.proto == 0 && df_chance(3)) {
            df_proto = 5 - df_proto;
            rc = df_run_words(DF_HELLO, "HELLO", df_proto == 3 ? "3" : "2");
        } else if (opt.families & DF_KEYS && df_chance(1) && !df_in_list(opt.exclude, "FLUSHDB")) {
            memset(&df_ph, 0, sizeof(df_ph));
            rc = df_run_words(DF_EXACT, "FLUSHDB", NULL);
        } else {
            if (df_follow[0]) {
                df_arg(&c, "GET");
                df_arg(&c, "%s", df_follow);
                df_follow[0] = '\0';
            } else if (!df_phase_cmd(&c)) {
                df_gen_random(&c);
            }
            rc = df_run(&c);
            if (rc == 0 && opt.notify) /* an SPOP re-synced on B alone: not compared */
                rc = df_notify_check(&c, c.kind != DF_RANDOM);
            if (rc == 0 && c.argc == 2 && c.lens[0] == 6 && !strcasecmp(c.argv[0], "SELECT") &&
                (!strcmp(c.argv[1], "0") || !strcmp(c.argv[1], "1")))
                df_db = c.argv[1][0] - '0';
            df_cmd_clear(&c);
        }
        if (rc < 0) {
            fatal = 1;
            break;
        }
        if (rc > 0) {
            if (df_ndiffs >= opt.max_diffs)
                break;
            if (df_reset() != 0 || (opt.notify && df_notify_check(NULL, 0) < 0)) {
                fatal = 1;
                break;
            }
        }
        if (opt.check_every && df_ncmd % opt.check_every == 0 && df_debug_check()) {
            fatal = 1;
            break;
        }
    }
    if (!fatal && df_debug_check())
        fatal = 1;
    df_print_stats();
    printf("(%lld more commands: state reads, SCAN steps, SPOP re-syncs, the steps of "
           "blocking pops)\n", df_naux);
    printf("%lld commands, %lld differences\n", df_ncmd, df_ndiffs);
    if (df_ndiffs || fatal)
        printf("replay: omenkv-difffuzz --a %s --b %s --seed %llu --commands %lld --families %s "
               "--proto %s --keys %d%s%s\n",
               opt.a, opt.b, (unsigned long long)opt.seed, df_ncmd, fams,
               opt.proto == 2 ? "2" : opt.proto == 3 ? "3" : "alt", opt.nkeys,
               opt.exclude ? " --exclude " : "", opt.exclude ? opt.exclude : "");
    return df_ndiffs || fatal ? 1 : 0;
}
