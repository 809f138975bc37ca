/* test_resp.c - unit tests of resp/: the request parser against ~20 sample streams, each
 * parsed whole, split at every byte boundary and fed one byte at a time (with the buffer
 * moving between calls, as a connection's does); every protocol error with its exact
 * text and the authenticated/unauthenticated limits; the exact 'need' values; a 1M
 * argument request in 4 KB pieces (the resume path); the argument tokenizer the inline
 * path shares with redis.conf (common/splitargs.c) case by case; and every encoder's
 * bytes in RESP2 and RESP3. Expected bytes and texts come from redis-server 7.0.15. */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/omk.h"
#include "common/splitargs.h"
#include "resp/resp.h"
#include "tests/tap.h"

#define S(lit) { lit, sizeof(lit) - 1 }
#define END { NULL, 0 }
#define MAX_REQS 8

static const struct resp_limits lim_auth = {512LL * 1024 * 1024, 1};
static const struct resp_limits lim_unauth = {512LL * 1024 * 1024, 0};

/* ---- a growable byte string ---- */

struct buf {
    char *p;
    size_t len, cap;
};

/* Append 'n' bytes from 'p' to 'b'. */
static void buf_add(struct buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = omk_realloc(b->p, b->cap);
    }
    if (n > 0)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* Append 'v' in decimal and a comma (a transcript field). */
static void buf_addll(struct buf *b, long long v)
{
    char tmp[24];

    buf_add(b, tmp, omk_ll2str(tmp, v));
    buf_add(b, ",", 1);
}

/* Append "<prefix><v>\r\n". */
static void buf_add_hdr(struct buf *b, char prefix, long long v)
{
    char tmp[24];

    buf_add(b, &prefix, 1);
    buf_add(b, tmp, omk_ll2str(tmp, v));
    buf_add(b, "\r\n", 2);
}

/* Free the bytes of 'b' and empty it. */
static void buf_free(struct buf *b)
{
    omk_free(b->p);
    memset(b, 0, sizeof(*b));
}

/* ---- feeding a stream as a connection would ---- */

/* How bytes arrive: first 'first' bytes, then 'step' more at a time, until all 'n'. */
struct arrival {
    size_t first, step;
    int move;  /* 1: each call gets a fresh copy of the pending bytes (stale pointers show) */
};

/* Feed 'in'/'n' to a fresh parser with limits 'lim' following 'arr', and write to 'tr'
 * a transcript that does not depend on where the bytes lay: per request its kind
 * (M/L), argc and per argument its stream offset and length if it points into the
 * input, else its bytes; then how the stream ended (E + error text, or I + bytes
 * left). Checks on the way that every RESP_INCOMPLETE asks for more than it has and
 * never for more than the request turns out to need (it would then wait forever), and
 * that every RESP_OK consumes something. Returns the number of broken checks. */
static int feed(const struct resp_limits *lim, const char *in, size_t n, struct arrival arr,
                struct buf *tr)
{
    struct resp_req req;
    size_t off = 0, avail = arr.first < n ? arr.first : n, need_max = 0;
    int bad = 0, rc = RESP_INCOMPLETE;

    resp_req_init(&req);
    for (;;) {
        const char *base = in + off;
        char *copy = NULL;
        size_t used = 0, need = 0, left = avail - off;

        if (arr.move) {
            copy = omk_malloc(left + 1);
            if (left > 0)
                memcpy(copy, base, left);
            base = copy;
        }
        rc = resp_parse(lim, base, left, &req, &used, &need);
        if (rc == RESP_OK && (used == 0 || used > left)) {
            diag("  OK at %zu: used %zu of %zu", off, used, left);
            omk_free(copy);
            resp_req_deinit(&req);
            return bad + 1;
        }
        if (rc == RESP_OK) {
            if (need_max > used) {
                diag("  OK at %zu after %zu bytes, having asked for %zu", off, used, need_max);
                bad++;
            }
            buf_add(tr, req.is_inline ? "L" : "M", 1);
            buf_addll(tr, req.argc);
            for (int i = 0; i < req.argc; i++) {
                const struct omk_slice *a = &req.argv[i];

                if (a->p >= base && a->p + a->len <= base + left) {
                    buf_add(tr, "o", 1);
                    buf_addll(tr, (long long)(off + (size_t)(a->p - base)));
                    buf_addll(tr, (long long)a->len);
                } else {
                    buf_add(tr, "c", 1);
                    buf_addll(tr, (long long)a->len);
                    buf_add(tr, a->p, a->len);
                }
            }
            off += used;
            need_max = 0;
        } else if (rc == RESP_INCOMPLETE) {
            if (need <= left) {
                diag("  INCOMPLETE at %zu with %zu bytes asks for %zu", off, left, need);
                bad++;
            }
            need_max = need;
        } else if (need_max > left) {
            diag("  error at %zu with %zu bytes, after asking for %zu", off, left, need_max);
            bad++;
        }
        omk_free(copy);
        if (rc == RESP_ERR_PROTOCOL)
            break;
        if (rc == RESP_INCOMPLETE || off == avail) {
            if (avail == n)
                break;
            avail = n - avail > arr.step ? avail + arr.step : n;
        }
    }
    if (rc == RESP_ERR_PROTOCOL) {
        buf_add(tr, "E", 1);
        buf_add(tr, req.err, strlen(req.err));
    } else {
        buf_add(tr, "I", 1);
        buf_addll(tr, (long long)(n - off));
    }
    resp_req_deinit(&req);
    return bad;
}

/* Feed 'in' whole, split at every byte boundary, and one byte at a time, and check that
 * each run ends with the same transcript as the whole run (see feed()). 'move' makes
 * every call get a copy of the pending bytes. Records one TAP assertion per mode. */
static void check_splits(const char *name, const struct resp_limits *lim, const char *in,
                         size_t n, int move)
{
    struct buf whole = {0}, tr = {0};
    int bad = feed(lim, in, n, (struct arrival){n, n, move}, &whole);
    size_t k, first_bad = 0;

    for (k = 1; k < n; k++) {
        tr.len = 0;
        bad += feed(lim, in, n, (struct arrival){k, n, move}, &tr);
        if (tr.len != whole.len || memcmp(tr.p, whole.p, tr.len) != 0) {
            if (first_bad == 0)
                first_bad = k;
            bad++;
        }
    }
    if (!ok(bad == 0, "%s: split at each of %zu boundaries gives the same result", name, n))
        diag("  first differing split at %zu", first_bad);
    tr.len = 0;
    bad = feed(lim, in, n, (struct arrival){1, 1, move}, &tr);
    is_mem(tr.p, tr.len, whole.p, whole.len, "%s: one byte at a time gives the same result",
           name);
    ok(bad == 0, "%s: one byte at a time keeps the need/consumed rules", name);
    buf_free(&tr);
    buf_free(&whole);
}

/* ---- valid samples ---- */

struct sample {
    const char *name;
    const char *in;
    size_t len;
    int is_inline;
    const struct omk_slice *want[MAX_REQS]; /* each ends with END; NULL after the last */
};

/* Parse 'in' whole, request after request, and compare every argument with 'want'.
 * Records one TAP assertion. */
static void check_whole(const char *name, const struct resp_limits *lim, const char *in,
                        size_t n, int is_inline, const struct omk_slice *const *want)
{
    struct resp_req req;
    size_t off = 0;
    int nreq = 0, good = 1;

    resp_req_init(&req);
    while (off < n && good) {
        size_t used = 0, need = 0;
        int rc = resp_parse(lim, in + off, n - off, &req, &used, &need);
        const struct omk_slice *w = want[nreq];
        int argc = 0;

        if (rc != RESP_OK || w == NULL) {
            diag("  request %d: rc %d", nreq, rc);
            good = 0;
            break;
        }
        while (w[argc].p != NULL)
            argc++;
        if (req.argc != argc || req.is_inline != is_inline) {
            diag("  request %d: argc %d (want %d), inline %d", nreq, req.argc, argc,
                 req.is_inline);
            good = 0;
        }
        for (int i = 0; good && i < argc; i++) {
            if (req.argv[i].len != w[i].len || memcmp(req.argv[i].p, w[i].p, w[i].len) != 0) {
                diag("  request %d argument %d differs (length %zu, want %zu)", nreq, i,
                     req.argv[i].len, w[i].len);
                good = 0;
            }
        }
        off += used;
        nreq++;
    }
    if (good && want[nreq] != NULL) {
        diag("  only %d requests", nreq);
        good = 0;
    }
    ok(good, "%s: parsed whole as expected", name);
    resp_req_deinit(&req);
}

static const struct omk_slice w_get[] = {S("GET"), S("key"), END};
static const struct omk_slice w_set[] = {S("SET"), S("key"), S("value"), END};
static const struct omk_slice w_echo_empty[] = {S("ECHO"), S(""), END};
static const struct omk_slice w_binary[] = {S("SET"), S("k\0\r\n"), S("a\0b\r\nc\n\r"), END};
static const struct omk_slice w_none[] = {END};
static const struct omk_slice w_ping[] = {S("PING"), END};
static const struct omk_slice w_quotes[] = {
    S("SET"), S("a b"), S("c'd"), S("A\n\t\\\"\r\b\a!q"), S(""), S("x\x7fy"), END};
static const struct omk_slice w_blanks[] = {S("GET"), S("key"), END};
static const struct omk_slice w_midquote[] = {S("ECHO"), S("ab c"), S("x'y z'"), END};
static const struct omk_slice w_cr_inside[] = {S("ECHO"), S("a"), S("b\x0b" "c"), END};
static const struct omk_slice w_incr[] = {S("INCR"), S("n"), END};
static const struct omk_slice w_hello[] = {S("HELLO"), S("3"), END};
static const struct omk_slice w_escape_end[] = {S("ECHO"), S("ax4"), S("\x01g"), END};

#define SAMPLE(n, lit, inl, ...) { n, lit, sizeof(lit) - 1, inl, { __VA_ARGS__, NULL } }

static const struct sample samples[] = {
    SAMPLE("GET", "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", 0, w_get),
    SAMPLE("SET", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", 0, w_set),
    SAMPLE("empty bulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", 0, w_echo_empty),
    SAMPLE("binary bulks", "*3\r\n$3\r\nSET\r\n$4\r\nk\0\r\n\r\n$8\r\na\0b\r\nc\n\r\r\n", 0,
           w_binary),
    SAMPLE("*0", "*0\r\n", 0, w_none),
    SAMPLE("*-1", "*-1\r\n", 0, w_none),
    SAMPLE("bytes after a payload are skipped unchecked", "*1\r\n$4\r\nPINGxy", 0, w_ping),
    SAMPLE("a header line ends at its CR", "*1\rx$4\rxPING\r\n", 0, w_ping),
    SAMPLE("inline PING", "PING\r\n", 1, w_ping),
    SAMPLE("inline LF only", "GET key\n", 1, w_get),
    SAMPLE("inline quotes and escapes",
           "SET \"a b\" 'c\\'d' \"\\x41\\n\\t\\\\\\\"\\r\\b\\a\\x21\\q\" '' \"x\\x7Fy\"\r\n", 1,
           w_quotes),
    SAMPLE("inline blanks", " \t GET\t\x0b key \x0c \r\n", 1, w_blanks),
    SAMPLE("inline quote inside a word", "ECHO a\"b c\" \"x'y z'\"\n", 1, w_midquote),
    SAMPLE("inline CR inside the line", "ECHO a\rb\x0b" "c\r\r\n", 1, w_cr_inside),
    SAMPLE("inline short \\x escape", "ECHO \"a\\x4\" \"\\x01g\"\n", 1, w_escape_end),
    SAMPLE("empty inline line", "\r\n", 1, w_none),
    SAMPLE("blank inline line", " \t \n", 1, w_none),
};

/* A pipeline mixes kinds, so it is checked request by request below. */
static const char pipeline[] = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"
                               "PING\r\n"
                               "*0\r\n"
                               "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n"
                               "\n"
                               "HELLO 3\r\n"
                               "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
static const struct omk_slice *const pipeline_want[] = {w_get, w_ping, w_none, w_incr, w_none,
                                                        w_hello, w_set, NULL};

/* Check a pipeline of mixed kinds request by request. */
static void test_pipeline(void)
{
    static const int kinds[] = {0, 1, 0, 0, 1, 1, 0};
    struct resp_req req;
    size_t off = 0, n = sizeof(pipeline) - 1;
    int good = 1, i;

    resp_req_init(&req);
    for (i = 0; pipeline_want[i] != NULL && good; i++) {
        size_t used = 0, need = 0;
        int rc = resp_parse(&lim_auth, pipeline + off, n - off, &req, &used, &need);
        int argc = 0;

        while (pipeline_want[i][argc].p)
            argc++;
        good = rc == RESP_OK && req.argc == argc && req.is_inline == kinds[i];
        for (int j = 0; good && j < argc; j++)
            good = req.argv[j].len == pipeline_want[i][j].len &&
                   memcmp(req.argv[j].p, pipeline_want[i][j].p, req.argv[j].len) == 0;
        off += used;
    }
    ok(good && off == n, "pipeline: 7 requests of both kinds parsed in order");
    resp_req_deinit(&req);
    check_splits("pipeline", &lim_auth, pipeline, n, 1);
}

/* A request of 'nargs' arguments "a0", "a1", ...; checks the argv growth past the
 * 1024 slots allocated up front. */
static void test_many_args(int nargs)
{
    struct buf in = {0};
    struct omk_slice *want = omk_calloc((size_t)nargs + 1, sizeof(*want));
    const struct omk_slice *wants[2] = {want, NULL};
    char *names = omk_malloc((size_t)nargs * 12);
    char name[64];

    buf_add_hdr(&in, '*', nargs);
    for (int i = 0; i < nargs; i++) {
        char *p = names + (size_t)i * 12;
        size_t l;

        p[0] = 'a';
        l = 1 + omk_ll2str(p + 1, i);
        want[i].p = p;
        want[i].len = l;
        buf_add_hdr(&in, '$', (long long)l);
        buf_add(&in, p, l);
        buf_add(&in, "\r\n", 2);
    }
    snprintf(name, sizeof(name), "%d arguments", nargs);
    check_whole(name, &lim_auth, in.p, in.len, 0, wants);
    check_splits(name, &lim_auth, in.p, in.len, 1);
    omk_free(names);
    omk_free(want);
    buf_free(&in);
}

/* A 1 MB bulk: split everywhere (without copies: the buffer is big), and 'need' must
 * cover the whole payload as soon as its header is in. */
static void test_big_bulk(void)
{
    const size_t blen = 1024 * 1024;
    const char hdr[] = "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$1048576\r\n";
    size_t hl = sizeof(hdr) - 1, n = hl + blen + 2, need = 0, used = 0;
    char *in = omk_malloc(n);
    struct omk_slice want[] = {S("SET"), S("big"), {in + hl, blen}, END};
    const struct omk_slice *wants[] = {want, NULL};
    struct resp_req req;
    int rc;

    memcpy(in, hdr, hl);
    for (size_t i = 0; i < blen; i++)
        in[hl + i] = (char)(i * 131 + (i >> 9));
    memcpy(in + hl + blen, "\r\n", 2);
    check_whole("1 MB bulk", &lim_auth, in, n, 0, wants);
    check_splits("1 MB bulk", &lim_auth, in, n, 0);

    resp_req_init(&req);
    rc = resp_parse(&lim_auth, in, hl, &req, &used, &need);
    ok(rc == RESP_INCOMPLETE && need == n, "1 MB bulk: once its header is in, need is the "
       "whole request (%zu, want %zu)", need, n);
    rc = resp_parse(&lim_auth, in, hl + 4096, &req, &used, &need);
    ok(rc == RESP_INCOMPLETE && need == n, "1 MB bulk: need stays the whole request");
    rc = resp_parse(&lim_auth, in, n - 1, &req, &used, &need);
    ok(rc == RESP_INCOMPLETE && need == n, "1 MB bulk: one byte short is still incomplete");
    rc = resp_parse(&lim_auth, in, n, &req, &used, &need);
    ok(rc == RESP_OK && used == n && req.argc == 3 && req.argv[2].p == in + hl &&
       req.argv[2].len == blen, "1 MB bulk: the payload is a slice of the input, not a copy");
    resp_req_deinit(&req);
    omk_free(in);
}

/* 1M one-byte arguments arriving 4 KB at a time, the buffer growing (and so moving) as a
 * connection's would: the resume path must keep this linear. */
static void test_million_args(void)
{
    const int nargs = 1000000;
    const char hdr[] = "*1000000\r\n";
    size_t hl = sizeof(hdr) - 1, n = hl + (size_t)nargs * 7, avail = 0, cap = 0, used = 0;
    size_t need_whole = 0;
    char *in = omk_malloc(n), *conn = NULL;
    struct resp_req req;
    int64_t t0, t_pieces, t_whole;
    int rc = RESP_INCOMPLETE, calls = 0, good = 1;

    memcpy(in, hdr, hl);
    for (int i = 0; i < nargs; i++)
        memcpy(in + hl + (size_t)i * 7, "$1\r\nx\r\n", 7);
    in[hl + 4] = 'y';
    resp_req_init(&req);
    t0 = omk_mono_us();
    while (rc == RESP_INCOMPLETE && avail < n) {
        size_t need = 0, step = n - avail < 4096 ? n - avail : 4096;

        if (avail + step > cap) {  /* the input buffer grows and moves, like an evbuffer */
            cap = (avail + step) * 2;
            conn = omk_realloc(conn, cap);
        }
        memcpy(conn + avail, in + avail, step);
        avail += step;
        rc = resp_parse(&lim_auth, conn, avail, &req, &used, &need);
        calls++;
    }
    t_pieces = omk_mono_us() - t0;
    good = rc == RESP_OK && used == n && req.argc == nargs;
    for (int i = 0; good && i < nargs; i++)
        good = req.argv[i].p == conn + hl + (size_t)i * 7 + 4 && req.argv[i].len == 1;
    ok(good && req.argv[0].p[0] == 'y', "1M arguments in %d pieces of 4 KB parse right", calls);
    resp_req_deinit(&req);

    resp_req_init(&req);
    t0 = omk_mono_us();
    rc = resp_parse(&lim_auth, in, n, &req, &used, &need_whole);
    t_whole = omk_mono_us() - t0;
    ok(rc == RESP_OK && req.argc == nargs, "1M arguments parse whole");
    diag("1M arguments: %.1f ms in %d pieces, %.1f ms whole", t_pieces / 1000.0, calls,
         t_whole / 1000.0);
    /* Re-parsing from the start on every piece would cost ~850x a whole parse. */
    ok(t_pieces < 20 * t_whole + 200000, "1M arguments in pieces cost about a whole parse "
       "(%.1f ms vs %.1f ms)", t_pieces / 1000.0, t_whole / 1000.0);
    resp_req_deinit(&req);
    omk_free(conn);
    omk_free(in);
}

/* ---- errors and limits ---- */

/* Parse 'in'/'n' whole with 'lim' and expect the error 'text'; then that it is sticky.
 * With 'splits', also check every split gives it (see check_splits()). */
static void check_error(const char *name, const struct resp_limits *lim, const char *in,
                        size_t n, const char *text, int splits)
{
    struct resp_req req;
    size_t used = 0, need = 0, off = 0;
    int rc, rc2;

    resp_req_init(&req);
    do {  /* skip the good requests before the bad one */
        off += used;
        rc = resp_parse(lim, in + off, n - off, &req, &used, &need);
    } while (rc == RESP_OK && used < n - off);
    if (!ok(rc == RESP_ERR_PROTOCOL && strcmp(req.err, text) == 0, "%s: \"%s\"", name, text))
        diag("  got rc %d, \"%s\"", rc, req.err);
    rc2 = resp_parse(lim, "PING\r\n", 6, &req, &used, &need);
    ok(rc2 == RESP_ERR_PROTOCOL && strcmp(req.err, text) == 0, "%s: the error is sticky", name);
    resp_req_deinit(&req);
    if (splits)
        check_splits(name, lim, in, n, 1);
}

/* Parse 'in'/'n' whole and expect RESP_INCOMPLETE asking for 'want_need' bytes. */
static void check_need(const char *name, const struct resp_limits *lim, const char *in, size_t n,
                       size_t want_need)
{
    struct resp_req req;
    size_t used = 0, need = 0;
    int rc;

    resp_req_init(&req);
    rc = resp_parse(lim, in, n, &req, &used, &need);
    if (!ok(rc == RESP_INCOMPLETE && need == want_need, "%s: incomplete, need %zu", name,
            want_need))
        diag("  got rc %d (%s), need %zu", rc, req.err, need);
    resp_req_deinit(&req);
}

#define ERR_CASE(name, lim, lit, text) check_error(name, lim, lit, sizeof(lit) - 1, text, 1)
#define NEED_CASE(name, lim, lit, want) check_need(name, lim, lit, sizeof(lit) - 1, want)
#define E(t) "ERR Protocol error: " t

/* A buffer of 'c' repeated 'n' times after 'prefix'; freed by the caller. */
static char *repeat(const char *prefix, char c, size_t n, size_t *len)
{
    size_t pl = strlen(prefix);
    char *p = omk_malloc(pl + n + 3);

    memcpy(p, prefix, pl);
    memset(p + pl, c, n);
    *len = pl + n;
    return p;
}

/* Every protocol error, with Redis' exact text; over-long lines and NUL bytes. */
static void test_errors(void)
{
    const struct resp_limits lim_small = {100, 1}, lim_small_unauth = {100, 0};
    size_t n;
    char *p;

    ERR_CASE("count not a number", &lim_auth, "*abc\r\n", E("invalid multibulk length"));
    ERR_CASE("empty count", &lim_auth, "*\r\n", E("invalid multibulk length"));
    ERR_CASE("count with a leading zero", &lim_auth, "*01\r\n", E("invalid multibulk length"));
    ERR_CASE("count with a plus", &lim_auth, "*+1\r\n", E("invalid multibulk length"));
    ERR_CASE("count -0", &lim_auth, "*-0\r\n", E("invalid multibulk length"));
    ERR_CASE("count with a space", &lim_auth, "*1 \r\n", E("invalid multibulk length"));
    ERR_CASE("count over INT_MAX", &lim_auth, "*2147483648\r\n", E("invalid multibulk length"));
    ERR_CASE("count over 10 before AUTH", &lim_unauth, "*11\r\n",
             E("unauthenticated multibulk length"));
    ERR_CASE("no '$'", &lim_auth, "*1\r\nX\r\n", E("expected '$', got 'X'"));
    ERR_CASE("no '$' after a good argument", &lim_auth, "*2\r\n$1\r\na\r\n:1\r\n",
             E("expected '$', got ':'"));
    ERR_CASE("empty bulk header", &lim_auth, "*1\r\n\r\n", E("expected '$', got ' '"));
    ERR_CASE("LF as bulk header", &lim_auth, "*1\r\n\n\r\n", E("expected '$', got ' '"));
    ERR_CASE("bulk length -1", &lim_auth, "*1\r\n$-1\r\n", E("invalid bulk length"));
    ERR_CASE("bulk length empty", &lim_auth, "*1\r\n$\r\n", E("invalid bulk length"));
    ERR_CASE("bulk length with a leading zero", &lim_auth, "*1\r\n$01\r\nx\r\n",
             E("invalid bulk length"));
    ERR_CASE("bulk length with a space", &lim_auth, "*1\r\n$3 \r\nabc\r\n",
             E("invalid bulk length"));
    ERR_CASE("bulk over proto-max-bulk-len", &lim_small, "*1\r\n$101\r\n",
             E("invalid bulk length"));
    ERR_CASE("bulk over 16384 before AUTH", &lim_unauth, "*1\r\n$16385\r\n",
             E("unauthenticated bulk length"));
    ERR_CASE("bulk over the limit also before AUTH", &lim_small_unauth, "*1\r\n$101\r\n",
             E("invalid bulk length"));
    ERR_CASE("unclosed double quote", &lim_auth, "GET \"abc\r\n",
             E("unbalanced quotes in request"));
    ERR_CASE("unclosed single quote", &lim_auth, "GET 'abc\n", E("unbalanced quotes in request"));
    ERR_CASE("escaped closing quote", &lim_auth, "ECHO \"a\\\"\r\n",
             E("unbalanced quotes in request"));
    ERR_CASE("closing double quote then a letter", &lim_auth, "ECHO \"a\"b\r\n",
             E("unbalanced quotes in request"));
    ERR_CASE("closing single quote then a letter", &lim_auth, "ECHO ''x\n",
             E("unbalanced quotes in request"));
    ERR_CASE("error after a good pipelined request", &lim_auth, "PING\r\n*1\r\nX\r\n",
             E("expected '$', got 'X'"));

    /* Over-long lines: byte-at-a-time checks the line search resumes (no rescans). */
    p = repeat("*", '1', RESP_MAX_INLINE - 1, &n);
    check_need("count line of 64 KB without CR", &lim_auth, p, n, n + 1);
    p[n] = '1';
    check_error("count line over 64 KB without CR", &lim_auth, p, n + 1,
                E("too big mbulk count string"), 0);
    memcpy(p + n + 1, "\r\n", 2);
    check_error("count line over 64 KB with its CR", &lim_auth, p, n + 3,
                E("invalid multibulk length"), 0);
    {
        struct buf tr = {0};
        const char want[] = "E" E("too big mbulk count string");

        feed(&lim_auth, p, n + 3, (struct arrival){1, 1, 0}, &tr);
        is_mem(tr.p, tr.len, want, sizeof(want) - 1, "count line over 64 KB, one byte at a "
               "time: too big (as Redis, the error depends on arrival)");
        buf_free(&tr);
    }
    omk_free(p);
    p = repeat("*1\r\n$", '1', RESP_MAX_INLINE, &n);
    check_error("bulk header over 64 KB without CR", &lim_auth, p, n,
                E("too big bulk count string"), 0);
    check_need("bulk header of 64 KB without CR", &lim_auth, p, n - 1, n);
    omk_free(p);
    p = repeat("*1\r\n", 'X', 70000, &n);
    check_error("too long comes before the '$' check", &lim_auth, p, n,
                E("too big bulk count string"), 0);
    omk_free(p);
    p = repeat("PING", ' ', RESP_MAX_INLINE - 3, &n);
    check_error("inline line over 64 KB", &lim_auth, p, n, E("too big inline request"), 0);
    check_need("inline line of 64 KB", &lim_auth, p, n - 1, n);
    {
        struct buf tr = {0};
        const char want[] = "E" E("too big inline request");
        int64_t t0 = omk_mono_us();

        feed(&lim_auth, p, n, (struct arrival){1, 1, 0}, &tr);
        is_mem(tr.p, tr.len, want, sizeof(want) - 1, "inline line over 64 KB one byte at a "
               "time (%.1f ms)", (omk_mono_us() - t0) / 1000.0);
        buf_free(&tr);
    }
    omk_free(p);

    /* A NUL before the line end hides the end, as Redis' strchr() does. */
    NEED_CASE("NUL in the count line", &lim_auth, "*1\0\r\n", RESP_MAX_INLINE + 1);
    NEED_CASE("NUL in a bulk header", &lim_auth, "*1\r\n$\0\r\n", 4 + RESP_MAX_INLINE + 1);
    NEED_CASE("NUL in an inline line", &lim_auth, "PING a\0b\n", RESP_MAX_INLINE + 1);
    p = repeat("*1", 'x', RESP_MAX_INLINE - 2, &n);
    p[2] = '\0';
    p[n] = 'x';
    check_need("NUL in the count line, 64 KB", &lim_auth, p, n, n + 1);
    check_error("NUL in the count line, over 64 KB", &lim_auth, p, n + 1,
                E("too big mbulk count string"), 0);
    omk_free(p);
}

static const struct omk_slice w_12[] = {S("a"), S("b"), S("c"), S("d"), S("e"), S("f"),
                                         S("g"), S("h"), S("i"), S("j"), S("k"), S("l"), END};
static const struct omk_slice *const w_twelve[] = {w_12, NULL};

/* The limits before and after AUTH, proto-max-bulk-len and the argv preallocation. */
static void test_limits(void)
{
    const struct resp_limits lim_small = {100, 1};
    struct resp_req req;
    size_t used = 0, need = 0;
    int rc;

    NEED_CASE("count 10 before AUTH", &lim_unauth, "*10\r\n", 6);
    NEED_CASE("count 11 after AUTH", &lim_auth, "*11\r\n", 6);
    NEED_CASE("bulk 16384 before AUTH", &lim_unauth, "*1\r\n$16384\r\n", 12 + 16384 + 2);
    NEED_CASE("bulk 16385 after AUTH", &lim_auth, "*1\r\n$16385\r\n", 12 + 16385 + 2);
    NEED_CASE("bulk at proto-max-bulk-len", &lim_small, "*1\r\n$100\r\n", 10 + 100 + 2);
    check_whole("GET before AUTH", &lim_unauth, samples[0].in, samples[0].len, 0,
                samples[0].want);
    check_whole("inline of 12 arguments before AUTH (no count limit)", &lim_unauth,
                "a b c d e f g h i j k l\n", 24, 1, w_twelve);

    resp_req_init(&req);
    rc = resp_parse(&lim_auth, "*2147483647\r\n", 13, &req, &used, &need);
    ok(rc == RESP_INCOMPLETE && need == 14 && req.cap <= 1024,
       "count INT_MAX is accepted, but at most 1024 slots are allocated (%d)", req.cap);
    resp_req_deinit(&req);
}

/* The exact 'need' of partial requests. */
static void test_need(void)
{
    struct resp_req req;
    size_t used = 0, need = 0;
    const char get[] = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
    int rc;

    NEED_CASE("nothing", &lim_auth, "", 1);
    NEED_CASE("count line without CR", &lim_auth, "*2", 3);
    NEED_CASE("count line without LF", &lim_auth, "*2\r", 4);
    NEED_CASE("bulk header without CR", &lim_auth, "*2\r\n$3", 7);
    NEED_CASE("bulk header without LF", &lim_auth, "*2\r\n$3\r", 8);
    NEED_CASE("first payload", &lim_auth, "*2\r\n$3\r\nGE", 13);
    NEED_CASE("first payload without CRLF", &lim_auth, "*2\r\n$3\r\nGET", 13);
    NEED_CASE("second payload", &lim_auth, "*2\r\n$3\r\nGET\r\n$3\r\nke", 22);
    NEED_CASE("second payload, CR only", &lim_auth, "*2\r\n$3\r\nGET\r\n$3\r\nkey\r", 22);
    NEED_CASE("inline without LF", &lim_auth, "GET key\r", 9);
    NEED_CASE("unbalanced quote waits for the line end", &lim_auth, "GET \"a", 7);

    /* Resuming with fewer bytes than before starts over and still works. */
    resp_req_init(&req);
    rc = resp_parse(&lim_auth, get, 20, &req, &used, &need);
    ok(rc == RESP_INCOMPLETE && need == 22, "GET with 20 bytes: need 22");
    rc = resp_parse(&lim_auth, get, 9, &req, &used, &need);
    ok(rc == RESP_INCOMPLETE && need == 13, "the same GET again with 9 bytes: need 13");
    rc = resp_parse(&lim_auth, get, sizeof(get) - 1, &req, &used, &need);
    ok(rc == RESP_OK && used == sizeof(get) - 1 && req.argc == 2 && req.argv[1].p == get + 17,
       "then whole: GET key");
    resp_req_deinit(&req);
}

/* ---- the argument tokenizer (common/splitargs.c) ---- */

/* One line for omk_splitargs() and what it must give: the arguments, or -1. Unless
 * noted, each was checked against redis-server 7.0.15 as the inline request
 * "RPUSH k _ <line>" (then LRANGE k 1 -1, or the "unbalanced quotes" error). */
struct split_case {
    const char *name;
    const char *in;
    size_t len;
    int rc;
    const struct omk_slice *want; /* ends with END; NULL when rc is -1 */
};

static const struct omk_slice sa_none[] = {END};
static const struct omk_slice sa_abc[] = {S("a"), S("b"), S("c"), END};
static const struct omk_slice sa_quoted_c[] = {S("a b"), S("c"), END};
static const struct omk_slice sa_a_b[] = {S("a b"), END};
static const struct omk_slice sa_hex[] = {S("AJJoo"), END};
static const struct omk_slice sa_xzz[] = {S("xZZ"), END};
static const struct omk_slice sa_x4[] = {S("x4"), END};
static const struct omk_slice sa_x4g[] = {S("x4g"), END};
static const struct omk_slice sa_ctl[] = {S("\n\r\t\b\a"), END};
static const struct omk_slice sa_other[] = {S("q\\\""), END};
static const struct omk_slice sa_sq[] = {S("'"), END};
static const struct omk_slice sa_sq_raw[] = {S("a\\nb"), END};
static const struct omk_slice sa_midword[] = {S("ab c"), END};
static const struct omk_slice sa_two[] = {S("a"), S("b"), END};
static const struct omk_slice sa_vt[] = {S("a\vb"), END};
static const struct omk_slice sa_ff[] = {S("a\fb"), END};
static const struct omk_slice sa_empty[] = {S(""), END};
static const struct omk_slice sa_empty2[] = {S(""), S(""), END};
static const struct omk_slice sa_ab[] = {S("ab"), END};
static const struct omk_slice sa_high[] = {S("\xff\x80"), END};
static const struct omk_slice sa_its[] = {S("it's"), END};
static const struct omk_slice sa_hi[] = {S("say \"hi\""), END};
static const struct omk_slice sa_x[] = {S("x"), END};
static const struct omk_slice sa_bs_x41[] = {S("\\x41"), END};
static const struct omk_slice sa_a[] = {S("a"), END};
static const struct omk_slice sa_xa[] = {S("xA"), END};
static const struct omk_slice sa_bs[] = {S("\\"), END};
static const struct omk_slice sa_a_bs[] = {S("a\\"), END};
static const struct omk_slice sa_bs_a[] = {S("\\a"), END};
static const struct omk_slice sa_ax[] = {S("Ax"), END};

#define SPLIT_OK(n, lit, w) { n, lit, sizeof(lit) - 1, 0, w }
#define SPLIT_BAD(n, lit) { n, lit, sizeof(lit) - 1, -1, NULL }

static const struct split_case split_cases[] = {
    SPLIT_OK("empty line", "", sa_none),
    SPLIT_OK("blanks only", "   \t\v\f ", sa_none),
    SPLIT_OK("words and repeated blanks", "a b  c", sa_abc),
    SPLIT_OK("trailing blanks", "a   ", sa_a),
    SPLIT_OK("double quotes keep a space", "\"a b\" c", sa_quoted_c),
    SPLIT_OK("single quotes keep a space", "'a b'", sa_a_b),
    SPLIT_OK("\\xHH in both cases", "\"\\x41\\x4a\\x4A\\x6f\\x6F\"", sa_hex),
    SPLIT_OK("\\x without hex digits is x", "\"\\xZZ\"", sa_xzz),
    SPLIT_OK("\\x with one hex digit is x", "\"\\x4\"", sa_x4),
    SPLIT_OK("\\x with one hex digit, then a letter", "\"\\x4g\"", sa_x4g),
    SPLIT_OK("\\x right before the closing quote", "\"\\x\"", sa_x),
    SPLIT_OK("\\x at the end after a good one", "\"\\x41\\x\"", sa_ax),
    SPLIT_OK("\\n \\r \\t \\b \\a", "\"\\n\\r\\t\\b\\a\"", sa_ctl),
    SPLIT_OK("\\<other> is the byte itself", "\"\\q\\\\\\\"\"", sa_other),
    SPLIT_OK("an escaped backslash", "\"\\\\\"", sa_bs),
    SPLIT_OK("an escaped backslash before x41", "\"\\\\x41\"", sa_bs_x41),
    SPLIT_OK("\\' in single quotes", "'\\''", sa_sq),
    SPLIT_OK("single quotes keep \\n as it is", "'a\\nb'", sa_sq_raw),
    SPLIT_OK("single quotes keep \\x41 as it is", "'\\x41'", sa_bs_x41),
    SPLIT_OK("a quote opening inside a word", "a\"b c\"", sa_midword),
    SPLIT_OK("a single quote opening inside a word", "a'b'", sa_ab),
    SPLIT_OK("a quoted part after a word", "x\"\\x41\"", sa_xa),
    SPLIT_OK("closing quote then a space", "\"a\" b", sa_two),
    SPLIT_OK("closing quote then a tab", "\"a\"\tb", sa_two),
    SPLIT_OK("closing quote then \\v", "\"a\"\vb", sa_two),
    SPLIT_OK("closing quote then \\f", "\"a\"\fb", sa_two),
    SPLIT_OK("\\v does not end a word", "a\vb", sa_vt),
    SPLIT_OK("\\f does not end a word", "a\fb", sa_ff),
    SPLIT_OK("\\v inside single quotes", "'a\vb'", sa_vt),
    SPLIT_OK("empty double quotes", "\"\"", sa_empty),
    SPLIT_OK("empty single quotes", "''", sa_empty),
    SPLIT_OK("two empty arguments", "\"\" ''", sa_empty2),
    SPLIT_OK("a backslash outside quotes is literal", "a\\nb", sa_sq_raw),
    SPLIT_OK("a trailing backslash outside quotes", "a\\", sa_a_bs),
    SPLIT_OK("a backslash, then single quotes", "\\'a'", sa_bs_a),
    SPLIT_OK("bytes over 0x7f pass through", "\xff\x80", sa_high),
    SPLIT_OK("a single quote inside double quotes", "\"it's\"", sa_its),
    SPLIT_OK("double quotes inside single quotes", "'say \"hi\"'", sa_hi),
    SPLIT_BAD("unclosed double quote", "\"abc"),
    SPLIT_BAD("unclosed single quote", "'abc"),
    SPLIT_BAD("escaped closing double quote", "\"abc\\\""),
    SPLIT_BAD("backslash at the end inside quotes", "\"abc\\"),
    SPLIT_BAD("\\x4 at the end inside quotes", "\"a\\x4"),
    SPLIT_BAD("only an escaped quote", "\"\\\""),
    SPLIT_BAD("only \\' in single quotes", "'\\'"),
    SPLIT_BAD("\\\\ in single quotes is \\ then \\'", "'\\\\'"),
    SPLIT_BAD("closing quote then a letter", "\"a\"b"),
    SPLIT_BAD("closing quote then a word in quotes", "a\"b c\"d"),
    SPLIT_BAD("quote opened at the end of a word", "ab\""),
    SPLIT_BAD("double quotes back to back", "\"a\"\"b\""),
    SPLIT_BAD("single quotes back to back", "'a''b'"),
    SPLIT_BAD("single then double quotes", "'a'\"b\""),
    SPLIT_BAD("double then single quotes", "\"a\"'b'"),
    /* Not reachable inline in Redis (a line ends at \n, and \r\n is stripped); these
     * follow sdssplitargs' source, which treats \n and \r as blanks and a NUL as the
     * end of its C string. */
    SPLIT_OK("\\n and \\r separate words", "a\nb\rc", sa_abc),
    SPLIT_OK("closing quote then \\n", "\"a\"\nb", sa_two),
    SPLIT_OK("a NUL ends the line", "a\0b", sa_a),
    SPLIT_BAD("a NUL inside quotes ends the line", "\"a\0b\""),
};

struct split_got {
    const char *out;
    size_t outlen;
    struct buf tr; /* per argument: its length, a comma, its bytes */
    int n, outside; /* arguments; those not inside 'out' */
};

/* omk_splitargs() callback for the tests: records the argument in the split_got 'arg'. */
static void split_record(void *arg, const char *p, size_t len)
{
    struct split_got *g = arg;

    if (p < g->out || len > g->outlen || p - g->out > (ptrdiff_t)(g->outlen - len))
        g->outside++;
    buf_addll(&g->tr, (long long)len);
    buf_add(&g->tr, p, len);
    g->n++;
}

/* Every case of split_cases, each line in a heap block of exactly its length (and the
 * output buffer too), so a sanitizer build catches a read or a write past either. */
static void test_splitargs(void)
{
    for (size_t i = 0; i < OMK_ARRAY_LEN(split_cases); i++) {
        const struct split_case *sc = &split_cases[i];
        char *line = omk_malloc(sc->len), *out = omk_malloc(sc->len);
        struct split_got got = {out, sc->len, {0}, 0, 0};
        struct buf want = {0};
        int rc;

        if (sc->len > 0)
            memcpy(line, sc->in, sc->len);
        rc = omk_splitargs(line, sc->len, out, split_record, &got);
        if (sc->rc < 0) {
            ok(rc == -1, "splitargs: %s: unbalanced quotes", sc->name);
        } else {
            for (const struct omk_slice *w = sc->want; w->p != NULL; w++) {
                buf_addll(&want, (long long)w->len);
                buf_add(&want, w->p, w->len);
            }
            if (!ok(rc == 0 && got.outside == 0 && got.tr.len == want.len &&
                        (want.len == 0 || memcmp(got.tr.p, want.p, want.len) == 0),
                    "splitargs: %s", sc->name))
                diag("  rc %d, %d arguments, %d outside the buffer, got \"%.*s\"", rc, got.n,
                     got.outside, (int)got.tr.len, got.tr.p ? got.tr.p : "");
        }
        buf_free(&want);
        buf_free(&got.tr);
        omk_free(out);
        omk_free(line);
    }
    ok(omk_splitargs(NULL, 0, NULL, split_record, NULL) == 0,
       "splitargs: an empty line needs no buffers and calls nothing");
}

/* ---- encoders ---- */

/* Compare the bytes in 'b' with 'want'/'wlen', then empty 'b'. */
static void check_bytes(struct evbuffer *b, const char *want, size_t wlen, const char *name)
{
    size_t n = evbuffer_get_length(b);
    const unsigned char *p = evbuffer_pullup(b, -1);

    is_mem(p, n, want, wlen, "%s", name);
    evbuffer_drain(b, n);
}

#define BYTES(b, lit, name) check_bytes(b, lit, sizeof(lit) - 1, name)

/* What resp_w_bulk_ref()'s cleanup was called with. */
struct ref_seen {
    int calls;
    const void *data;
    size_t len;
};

/* resp_ref_cleanup_fn for the tests: records its call in the struct ref_seen 'arg'. */
static void ref_cleanup(const void *data, size_t len, void *arg)
{
    struct ref_seen *seen = arg;

    seen->calls++;
    seen->data = data;
    seen->len = len;
}

/* A bulk lent by reference: the same bytes as resp_w_bulk, the payload not copied, and
 * the cleanup called once, when libevent lets go of the payload. */
static void test_bulk_ref(void)
{
    struct evbuffer *b = evbuffer_new();
    static const char payload[] = "a\0\r\nvalue lent by reference";
    const size_t n = sizeof(payload) - 1;
    struct ref_seen seen = {0};
    struct evbuffer_iovec v[3];
    int nv;

    resp_w_bulk_ref(b, payload, n, ref_cleanup, &seen);
    nv = evbuffer_peek(b, -1, NULL, v, 3);
    ok(nv == 3 && v[1].iov_base == (const void *)payload && v[1].iov_len == n,
       "bulk by reference: the payload is its own chain, not a copy");
    ok(seen.calls == 0, "bulk by reference: the payload is held while it is buffered");
    BYTES(b, "$27\r\na\0\r\nvalue lent by reference\r\n", "bulk by reference: bytes");
    ok(seen.calls == 1 && seen.data == payload && seen.len == n,
       "bulk by reference: the cleanup ran once with the payload");
    resp_w_bulk_ref(b, payload, n, ref_cleanup, &seen);
    evbuffer_free(b);
    ok(seen.calls == 2, "bulk by reference: freeing the buffer runs the cleanup too");
}

/* Every encoder's bytes, in RESP2 and RESP3. */
static void test_encoders(void)
{
    struct evbuffer *b = evbuffer_new();
    char *big;

    resp_w_simple(b, "OK", 2);
    BYTES(b, "+OK\r\n", "simple OK");
    resp_w_simple(b, "", 0);
    BYTES(b, "+\r\n", "simple empty");
    resp_w_error(b, "ERR bad\r\nthing\n", 15);
    BYTES(b, "-ERR bad  thing \r\n", "error: CR and LF become spaces");
    resp_w_error(b, "WRONGTYPE Operation", 19);
    BYTES(b, "-WRONGTYPE Operation\r\n", "error with its code");
    resp_w_int(b, 123);
    BYTES(b, ":123\r\n", "int 123");
    resp_w_int(b, 0);
    BYTES(b, ":0\r\n", "int 0");
    resp_w_int(b, -42);
    BYTES(b, ":-42\r\n", "int -42");
    resp_w_int(b, LLONG_MAX);
    BYTES(b, ":9223372036854775807\r\n", "int LLONG_MAX");
    resp_w_int(b, LLONG_MIN);
    BYTES(b, ":-9223372036854775808\r\n", "int LLONG_MIN");
    resp_w_bulk(b, "foo", 3);
    BYTES(b, "$3\r\nfoo\r\n", "bulk foo");
    resp_w_bulk(b, "", 0);
    BYTES(b, "$0\r\n\r\n", "bulk empty");
    resp_w_bulk(b, "a\0\r\nb", 5);
    BYTES(b, "$5\r\na\0\r\nb\r\n", "bulk binary");
    resp_w_array_len(b, 2);
    BYTES(b, "*2\r\n", "array of 2");
    resp_w_array_len(b, 0);
    BYTES(b, "*0\r\n", "empty array");
    resp_w_null(b, 2);
    BYTES(b, "$-1\r\n", "null RESP2");
    resp_w_null(b, 3);
    BYTES(b, "_\r\n", "null RESP3");
    resp_w_null_array(b, 2);
    BYTES(b, "*-1\r\n", "null array RESP2");
    resp_w_null_array(b, 3);
    BYTES(b, "_\r\n", "null array RESP3");
    resp_w_map_len(b, 3, 2);
    BYTES(b, "%2\r\n", "map of 2 RESP3");
    resp_w_map_len(b, 2, 2);
    BYTES(b, "*4\r\n", "map of 2 RESP2");
    resp_w_set_len(b, 3, 3);
    BYTES(b, "~3\r\n", "set of 3 RESP3");
    resp_w_set_len(b, 2, 3);
    BYTES(b, "*3\r\n", "set of 3 RESP2");
    resp_w_double(b, 3, 3.14);
    BYTES(b, ",3.1400000000000001\r\n", "double 3.14 RESP3 (%.17g, as Redis 7.0)");
    resp_w_double(b, 2, 3.14);
    BYTES(b, "$18\r\n3.1400000000000001\r\n", "double 3.14 RESP2");
    resp_w_double(b, 3, 1.5);
    BYTES(b, ",1.5\r\n", "double 1.5 RESP3");
    resp_w_double(b, 3, 1.0 / 0.0);
    BYTES(b, ",inf\r\n", "double inf RESP3");
    resp_w_double(b, 3, -1.0 / 0.0);
    BYTES(b, ",-inf\r\n", "double -inf RESP3");
    resp_w_double(b, 2, 1.0 / 0.0);
    BYTES(b, "$3\r\ninf\r\n", "double inf RESP2");
    resp_w_double(b, 2, -1.0 / 0.0);
    BYTES(b, "$4\r\n-inf\r\n", "double -inf RESP2");
    resp_w_double(b, 3, 1e300);
    BYTES(b, ",1.0000000000000001e+300\r\n", "double 1e300 RESP3");
    resp_w_double(b, 3, -0.0);
    BYTES(b, ",-0\r\n", "double -0 RESP3");
    resp_w_double(b, 3, 0.1 + 0.2);
    BYTES(b, ",0.30000000000000004\r\n", "double 0.1 + 0.2 RESP3 (17 digits, no rounding)");
    resp_w_double(b, 2, -2.5e-7);
    BYTES(b, "$23\r\n-2.4999999999999999e-07\r\n", "double -2.5e-7 RESP2");
    resp_w_double(b, 3, 1e17);
    BYTES(b, ",1e+17\r\n", "double 1e17 RESP3");
    resp_w_double(b, 3, NAN);
    BYTES(b, ",nan\r\n", "double NaN RESP3");
    resp_w_double(b, 3, -NAN);
    BYTES(b, ",nan\r\n", "double negative NaN RESP3 (not glibc's -nan)");
    resp_w_double(b, 2, NAN);
    BYTES(b, "$3\r\nnan\r\n", "double NaN RESP2");
    resp_w_push_len(b, 3, 3);
    BYTES(b, ">3\r\n", "push of 3 RESP3");
    resp_w_push_len(b, 2, 3);
    BYTES(b, "*3\r\n", "push of 3 RESP2 is an array");
    resp_w_push_len(b, 3, 0);
    BYTES(b, ">0\r\n", "empty push RESP3");
    resp_w_push_len(b, 3, 4);
    resp_w_bulk(b, "pmessage", 8);
    resp_w_bulk(b, "a*", 2);
    resp_w_bulk(b, "ab", 2);
    resp_w_bulk(b, "", 0);
    BYTES(b, ">4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$2\r\nab\r\n$0\r\n\r\n",
          "a pmessage push, as Redis 7.0 sends it");
    resp_w_bool(b, 3, 1);
    BYTES(b, "#t\r\n", "true RESP3");
    resp_w_bool(b, 3, 0);
    BYTES(b, "#f\r\n", "false RESP3");
    resp_w_bool(b, 2, 7);
    BYTES(b, ":1\r\n", "true RESP2");
    resp_w_bool(b, 2, 0);
    BYTES(b, ":0\r\n", "false RESP2");
    resp_w_verbatim(b, 3, "txt", "Some string", 11);
    BYTES(b, "=15\r\ntxt:Some string\r\n", "verbatim RESP3");
    resp_w_verbatim(b, 3, "md", "x", 1);
    BYTES(b, "=5\r\nmd :x\r\n", "verbatim RESP3 with a short format");
    resp_w_verbatim(b, 2, "txt", "Some string", 11);
    BYTES(b, "$11\r\nSome string\r\n", "verbatim RESP2 is a bulk of the payload");

    /* Values append one after another. */
    resp_w_array_len(b, 3);
    resp_w_bulk(b, "k", 1);
    resp_w_int(b, -1);
    resp_w_null(b, 2);
    BYTES(b, "*3\r\n$1\r\nk\r\n:-1\r\n$-1\r\n", "an array of three values");

    big = omk_malloc(1 << 20);
    memset(big, 'v', 1 << 20);
    resp_w_bulk(b, big, 1 << 20);
    {
        size_t n = evbuffer_get_length(b);
        const char *p = (const char *)evbuffer_pullup(b, -1);

        ok(n == 10 + (1 << 20) + 2 && memcmp(p, "$1048576\r\n", 10) == 0 &&
           memcmp(p + 10, big, 1 << 20) == 0 && memcmp(p + n - 2, "\r\n", 2) == 0,
           "bulk of 1 MB");
        evbuffer_drain(b, n);
    }
    omk_free(big);
    evbuffer_free(b);
}

int main(void)
{
    for (size_t i = 0; i < OMK_ARRAY_LEN(samples); i++) {
        const struct sample *s = &samples[i];

        check_whole(s->name, &lim_auth, s->in, s->len, s->is_inline, s->want);
        check_splits(s->name, &lim_auth, s->in, s->len, 1);
    }
    test_pipeline();
    test_many_args(1100);
    test_big_bulk();
    test_million_args();
    test_errors();
    test_limits();
    test_need();
    test_splitargs();
    test_encoders();
    test_bulk_ref();
    return tap_done();
}
