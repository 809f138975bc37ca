/* tcoll.h - what the collection tests (test_hash, test_set, test_coll) share on top of
 * tests/harness.h: command lines split on spaces, unordered replies compared as
 * multisets, HSCAN/SSCAN walked to the end, and a RESP3 connection with its own small
 * reader (Debian's hiredis 0.14 knows no RESP3 type, so maps, sets and nulls are parsed
 * here from the raw bytes). Header only; each function is static and marked unused.
 *
 * Expected replies are written as words separated by single spaces ("a b c"; "" is an
 * empty reply); the word "(nil)" stands for a null element. */
#ifndef OMK_TESTS_INTEG_TCOLL_H
#define OMK_TESTS_INTEG_TCOLL_H

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/omk.h"
#include "tests/harness.h"

#define TC_NIL "(nil)"

/* ---- command lines ---- */

/* Start a section on an empty server (one assertion). */
__attribute__((unused)) static void tc_section(redisContext *c, const char *name)
{
    diag("---- %s", name);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL before the section");
}

/* Run "<verb> <key> <elem> [<value>] ..." for i in [from, to) in calls of at most 100
 * elements: element <prefix>i (i zero-padded to 'digits', 0: not padded), and with
 * 'vprefix' (HSET) the value <vprefix>i. Returns the sum of the integer replies (elements
 * added), or -1 if one was not an integer. */
__attribute__((unused)) static long long tc_fill(redisContext *c, const char *verb,
                                                 const char *key, const char *prefix,
                                                 int digits, const char *vprefix, int from,
                                                 int to)
{
    const char *argv[2 + 200];
    size_t lens[2 + 200];
    char bufs[200][48];
    long long added = 0;

    for (int i = from; i < to;) {
        int argc = 0, k = 0;
        redisReply *r;

        argv[argc] = verb;
        lens[argc++] = strlen(verb);
        argv[argc] = key;
        lens[argc++] = strlen(key);
        for (int m = 0; m < 100 && i < to; m++, i++) {
            snprintf(bufs[k], sizeof(bufs[0]), "%s%0*d", prefix, digits, i);
            argv[argc] = bufs[k];
            lens[argc++] = strlen(bufs[k++]);
            if (vprefix) {
                snprintf(bufs[k], sizeof(bufs[0]), "%s%d", vprefix, i);
                argv[argc] = bufs[k];
                lens[argc++] = strlen(bufs[k++]);
            }
        }
        r = redisCommandArgv(c, argc, argv, lens);
        if (!r || r->type != REDIS_REPLY_INTEGER) {
            ts_diag_reply(r);
            freeReplyObject(r);
            return -1;
        }
        added += r->integer;
        freeReplyObject(r);
    }
    return added;
}

/* Run 'line', split on single spaces into arguments (no quoting), and return the reply
 * (caller frees). For command lines built at run time or kept in tables. */
__attribute__((unused)) static redisReply *cmdline(redisContext *c, const char *line)
{
    char *copy = omk_memdup(line, strlen(line));
    const char *argv[64];
    size_t lens[64];
    int argc = 0;
    redisReply *r;

    for (char *p = copy, *sp; p && argc < 64; p = sp ? sp + 1 : NULL) {
        sp = strchr(p, ' ');
        if (sp)
            *sp = '\0';
        argv[argc] = p;
        lens[argc++] = strlen(p);
    }
    r = redisCommandArgv(c, argc, argv, lens);
    omk_free(copy);
    return r;
}

/* ---- lists of binary strings, compared as multisets ---- */

struct tc_str {
    char *p;    /* a copy, NUL-terminated after 'len' bytes; NULL for a null element */
    size_t len;
};

struct tc_strs {
    struct tc_str *e;
    size_t n, cap;
};

/* Add a copy of 'p'/'len' ('p' NULL: a null element). */
__attribute__((unused)) static void tc_add(struct tc_strs *l, const char *p, size_t len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->e = omk_realloc(l->e, l->cap * sizeof(*l->e));
    }
    l->e[l->n].p = p ? omk_memdup(p, len) : NULL;
    l->e[l->n++].len = p ? len : 0;
}

/* Add the words of 'words', split at each single space ("" adds nothing; "a " adds "a"
 * and ""; TC_NIL adds a null element). */
__attribute__((unused)) static void tc_add_words(struct tc_strs *l, const char *words)
{
    if (!*words)
        return;
    for (const char *p = words;;) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);

        if (len == strlen(TC_NIL) && !memcmp(p, TC_NIL, len))
            tc_add(l, NULL, 0);
        else
            tc_add(l, p, len);
        if (!sp)
            break;
        p = sp + 1;
    }
}

__attribute__((unused)) static void tc_free(struct tc_strs *l)
{
    for (size_t i = 0; i < l->n; i++)
        omk_free(l->e[i].p);
    omk_free(l->e);
    memset(l, 0, sizeof(*l));
}

/* Order: null first, then memcmp, then the shorter string first. */
__attribute__((unused)) static int tc_str_cmp(const void *a, const void *b)
{
    const struct tc_str *x = a, *y = b;
    size_t m = x->len < y->len ? x->len : y->len;
    int d;

    if (!x->p || !y->p)
        return (x->p != NULL) - (y->p != NULL);
    d = m ? memcmp(x->p, y->p, m) : 0;
    return d ? d : (x->len > y->len) - (x->len < y->len);
}

__attribute__((unused)) static void tc_sort(struct tc_strs *l)
{
    if (l->n > 1)
        qsort(l->e, l->n, sizeof(*l->e), tc_str_cmp);
}

/* How many elements of sorted 'l' equal their predecessor. */
__attribute__((unused)) static size_t tc_dups(const struct tc_strs *l)
{
    size_t d = 0;

    for (size_t i = 1; i < l->n; i++)
        d += tc_str_cmp(&l->e[i - 1], &l->e[i]) == 0;
    return d;
}

/* Whether 'p'/'len' is an element of 'l' (any order). */
__attribute__((unused)) static int tc_has(const struct tc_strs *l, const char *p, size_t len)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->e[i].p && l->e[i].len == len && !memcmp(l->e[i].p, p, len))
            return 1;
    return 0;
}

/* Whether 'a' and 'b' hold the same elements in the same order. */
__attribute__((unused)) static int tc_same(const struct tc_strs *a, const struct tc_strs *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (tc_str_cmp(&a->e[i], &b->e[i]))
            return 0;
    return 1;
}

/* Print 'l' in a diagnostic, as 'label': the first elements, shortened. */
__attribute__((unused)) static void tc_diag(const struct tc_strs *l, const char *label)
{
    char buf[600];
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < l->n && off < sizeof(buf) - 80; i++)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%.*s", i ? " " : "",
                                l->e[i].p ? (int)(l->e[i].len > 40 ? 40 : l->e[i].len) : 5,
                                l->e[i].p ? l->e[i].p : TC_NIL);
    diag("  %s (%zu): %s%s", label, l->n, buf, off >= sizeof(buf) - 80 ? " ..." : "");
}

/* Copy the elements of array reply 'r' (strings or nulls) into 'l'; 0 if 'r' is not
 * such an array. */
__attribute__((unused)) static int tc_from_reply(struct tc_strs *l, const redisReply *r)
{
    if (!r || r->type != REDIS_REPLY_ARRAY)
        return 0;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];

        if (e->type == REDIS_REPLY_NIL)
            tc_add(l, NULL, 0);
        else if (e->type == REDIS_REPLY_STRING)
            tc_add(l, e->str, e->len);
        else
            return 0;
    }
    return 1;
}

/* Copy the field/value pairs of flat array reply 'r' into 'l' as "field=value" strings
 * (the tests' fields hold no '='); 0 if 'r' is not an even array of strings. */
__attribute__((unused)) static int tc_pairs_from_reply(struct tc_strs *l, const redisReply *r)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 2)
        return 0;
    for (size_t i = 0; i < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        char *buf;

        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            return 0;
        buf = omk_malloc(f->len + v->len + 2);
        memcpy(buf, f->str, f->len);
        buf[f->len] = '=';
        memcpy(buf + f->len + 1, v->str, v->len);
        tc_add(l, buf, f->len + 1 + v->len);
        omk_free(buf);
    }
    return 1;
}

/* Turn "f1 v1 f2 v2" into the "f1=v1 f2=v2" form of tc_pairs_from_reply. */
__attribute__((unused)) static void tc_add_pairs(struct tc_strs *l, const char *words)
{
    struct tc_strs w = {0};

    tc_add_words(&w, words);
    for (size_t i = 0; i + 1 < w.n; i += 2) {
        char *buf = omk_malloc(w.e[i].len + w.e[i + 1].len + 2);

        memcpy(buf, w.e[i].p, w.e[i].len);
        buf[w.e[i].len] = '=';
        memcpy(buf + w.e[i].len + 1, w.e[i + 1].p, w.e[i + 1].len);
        tc_add(l, buf, w.e[i].len + 1 + w.e[i + 1].len);
        omk_free(buf);
    }
    tc_free(&w);
}

/* ---- assertions on hiredis replies (one TAP line each; they free 'r') ---- */

/* 'r' is an array holding exactly the elements of 'words', in any order. */
__attribute__((unused)) static void is_set_of(redisReply *r, const char *words, const char *name)
{
    struct tc_strs got = {0}, want = {0};
    int good = tc_from_reply(&got, r);

    tc_add_words(&want, words);
    tc_sort(&got);
    tc_sort(&want);
    if (!ok(good && tc_same(&got, &want), "%s", name)) {
        if (!good)
            ts_diag_reply(r);
        tc_diag(&got, "got");
        tc_diag(&want, "want");
    }
    tc_free(&got);
    tc_free(&want);
    freeReplyObject(r);
}

/* 'r' is an array holding the elements of 'words' in that order. */
__attribute__((unused)) static void is_array_of(redisReply *r, const char *words, const char *name)
{
    struct tc_strs got = {0}, want = {0};
    int good = tc_from_reply(&got, r);

    tc_add_words(&want, words);
    if (!ok(good && tc_same(&got, &want), "%s", name)) {
        if (!good)
            ts_diag_reply(r);
        tc_diag(&got, "got");
        tc_diag(&want, "want");
    }
    tc_free(&got);
    tc_free(&want);
    freeReplyObject(r);
}

/* 'r' is a flat array of field/value pairs equal, as a set of pairs, to "f1 v1 f2 v2". */
__attribute__((unused)) static void is_pairs_of(redisReply *r, const char *words, const char *name)
{
    struct tc_strs got = {0}, want = {0};
    int good = tc_pairs_from_reply(&got, r);

    tc_add_pairs(&want, words);
    tc_sort(&got);
    tc_sort(&want);
    if (!ok(good && tc_same(&got, &want), "%s", name)) {
        if (!good)
            ts_diag_reply(r);
        tc_diag(&got, "got");
        tc_diag(&want, "want");
    }
    tc_free(&got);
    tc_free(&want);
    freeReplyObject(r);
}

/* 'r' is an array of integers equal to "1 0 1" in that order. */
__attribute__((unused)) static void is_ints_of(redisReply *r, const char *ints, const char *name)
{
    long long want[64];
    size_t n = 0;
    int good;

    for (const char *p = ints; *p && n < 64;) {
        char *end;

        want[n++] = strtoll(p, &end, 10);
        p = *end ? end + 1 : end;
    }
    good = r && r->type == REDIS_REPLY_ARRAY && r->elements == n;
    for (size_t i = 0; good && i < n; i++)
        good = r->element[i]->type == REDIS_REPLY_INTEGER && r->element[i]->integer == want[i];
    if (!ok(good, "%s", name)) {
        ts_diag_reply(r);
        if (r && r->type == REDIS_REPLY_ARRAY)
            diag("  %zu elements, want %zu (%s)", r->elements, n, ints);
    }
    freeReplyObject(r);
}

/* The string value of reply 'r' as a new NUL-terminated copy (omk_free), or NULL. */
__attribute__((unused)) static char *tc_reply_str(const redisReply *r)
{
    if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS))
        return NULL;
    return omk_memdup(r->str, r->len);
}

/* The integer reply of 'line', or LLONG_MIN if it did not give one. */
__attribute__((unused)) static long long tc_int(redisContext *c, const char *line)
{
    redisReply *r = cmdline(c, line);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : LLONG_MIN;

    freeReplyObject(r);
    return v;
}

/* Run 'line' and count it a failure unless its reply has type 'type'. */
__attribute__((unused)) static int tc_run(redisContext *c, const char *line, int type)
{
    redisReply *r = cmdline(c, line);
    int good = r && r->type == type;

    if (!good) {
        diag("  '%s':", line);
        ts_diag_reply(r);
    }
    freeReplyObject(r);
    return good;
}

/* ---- HSCAN / SSCAN to the end ---- */

/* 'r' is [ "0", [] ]: a finished scan that found nothing. Frees 'r'. */
__attribute__((unused)) static void is_scan_empty(redisReply *r, const char *name)
{
    if (!ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "0") &&
                r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements == 0,
            "%s", name))
        ts_diag_reply(r);
    freeReplyObject(r);
}


/* Walk "<verb> <key> <cursor> <opts>" ('opts' a space-separated string, "" for none)
 * from cursor 0 until it comes back as 0, adding to 'got' every element (HSCAN: as
 * "field=value" when 'pairs'). Returns the number of calls, or -1 after a diagnostic if
 * a reply was not [cursor, [elements]] or the walk did not end within 100,000 calls.
 * '*first_n' (may be NULL) receives how many elements the first call returned and
 * '*first_cursor' whether its cursor was non-zero. */
__attribute__((unused)) static long tc_scan_all(redisContext *c, const char *verb, const char *key,
                                                const char *opts, int pairs, struct tc_strs *got,
                                                size_t *first_n, int *first_cursor)
{
    char cursor[32] = "0", line[512];
    long calls = 0;

    do {
        redisReply *r;
        unsigned long long v;

        snprintf(line, sizeof(line), "%s %s %s%s%s", verb, key, cursor, *opts ? " " : "", opts);
        r = cmdline(c, line);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[0]->type != REDIS_REPLY_STRING || r->element[0]->len >= sizeof(cursor) ||
            !omk_str2ull(r->element[0]->str, r->element[0]->len, &v) ||
            (pairs ? !tc_pairs_from_reply(got, r->element[1])
                   : !tc_from_reply(got, r->element[1]))) {
            diag("  %s: unexpected reply", line);
            ts_diag_reply(r);
            freeReplyObject(r);
            return -1;
        }
        if (calls == 0) {
            if (first_n)
                *first_n = r->element[1]->elements / (pairs ? 2 : 1);
            if (first_cursor)
                *first_cursor = v != 0;
        }
        memcpy(cursor, r->element[0]->str, r->element[0]->len);
        cursor[r->element[0]->len] = '\0';
        freeReplyObject(r);
    } while (strcmp(cursor, "0") && ++calls < 100000);
    if (strcmp(cursor, "0")) {
        diag("  %s %s did not finish within %ld calls", verb, key, calls);
        return -1;
    }
    return calls + 1;
}

/* ---- a RESP3 connection (HELLO 3) with its own reader ---- */

/* One RESP3 reply. */
struct r3 {
    char type;          /* the type byte: + - : $ * % ~ _ , # ( = > |; RESP2's
                         * null bulk and null array become '_' */
    long long integer;  /* ':' its value; '#' 1 or 0 */
    char *str;          /* + - $ , ( = : the text (NUL-terminated copy), else NULL */
    size_t len;
    size_t n;           /* aggregates: element count (a map or attribute: 2 per entry) */
    struct r3 **elem;
};

__attribute__((unused)) static void r3_free(struct r3 *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        r3_free(r->elem[i]);
    omk_free(r->elem);
    omk_free(r->str);
    omk_free(r);
}

/* Parse one reply from 'buf'/'len'. Returns the bytes it took with the reply in '*out',
 * 0 when more bytes are needed, -1 when the bytes are not RESP. */
__attribute__((unused)) static long r3_parse(const char *buf, size_t len, struct r3 **out)
{
    const char *eol;
    struct r3 *r;
    long long v = 0;
    size_t hlen, used;

    *out = NULL;
    if (len < 3)
        return 0;
    eol = memchr(buf, '\r', len);
    if (!eol || (size_t)(eol - buf) + 2 > len)
        return 0;
    hlen = (size_t)(eol - buf) + 2;
    r = omk_calloc(1, sizeof(*r));
    r->type = buf[0];
    switch (buf[0]) {
    case '+': case '-': case ':': case ',': case '(': case '#': case '_':
        r->str = omk_memdup(buf + 1, hlen - 3);
        r->len = hlen - 3;
        if (buf[0] == ':' && !omk_str2ll(r->str, r->len, &r->integer))
            goto bad;
        if (buf[0] == '#')
            r->integer = r->len == 1 && r->str[0] == 't';
        *out = r;
        return (long)hlen;
    case '$': case '=': case '!':
        if (!omk_str2ll(buf + 1, hlen - 3, &v))
            goto bad;
        if (v < 0) {
            r->type = '_';
            *out = r;
            return (long)hlen;
        }
        if (len < hlen + (size_t)v + 2) {
            r3_free(r);
            return 0;
        }
        r->str = omk_memdup(buf + hlen, (size_t)v);
        r->len = (size_t)v;
        *out = r;
        return (long)(hlen + (size_t)v + 2);
    case '*': case '%': case '~': case '>': case '|':
        if (!omk_str2ll(buf + 1, hlen - 3, &v))
            goto bad;
        if (v < 0) {
            r->type = '_';
            *out = r;
            return (long)hlen;
        }
        r->integer = v;
        if (buf[0] == '%' || buf[0] == '|')
            v *= 2;
        r->elem = omk_calloc((size_t)v + 1, sizeof(*r->elem));
        used = hlen;
        for (long long i = 0; i < v; i++) {
            long took = r3_parse(buf + used, len - used, &r->elem[i]);

            if (took <= 0) {
                r3_free(r);
                return took;
            }
            r->n++;
            used += (size_t)took;
        }
        *out = r;
        return (long)used;
    default:
        break;
    }
bad:
    r3_free(r);
    return -1;
}

struct r3conn {
    int fd;
    char *buf;          /* bytes read and not yet parsed */
    size_t len, cap;
    char last[512];     /* the start of the last reply's bytes, for diagnostics */
};

/* Send the command 'argv'/'lens' ('argc' arguments) and read its reply; NULL (after a
 * diagnostic) on a connection error, bad bytes or 10 s without a whole reply. */
__attribute__((unused)) static struct r3 *r3_argv(struct r3conn *rc, int argc, const char **argv,
                                                 const size_t *lens)
{
    size_t need = 32, off = 0;
    char *req;
    struct r3 *r = NULL;

    for (int i = 0; i < argc; i++)
        need += lens[i] + 32;
    req = omk_malloc(need);
    off += (size_t)snprintf(req, need, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        off += (size_t)snprintf(req + off, need - off, "$%zu\r\n", lens[i]);
        memcpy(req + off, argv[i], lens[i]);
        off += lens[i];
        memcpy(req + off, "\r\n", 2);
        off += 2;
    }
    for (size_t sent = 0; sent < off;) {
        ssize_t w = write(rc->fd, req + sent, off - sent);

        if (w <= 0) {
            diag("  RESP3 connection: write failed: %s", strerror(errno));
            omk_free(req);
            return NULL;
        }
        sent += (size_t)w;
    }
    omk_free(req);
    for (;;) {
        long took = r3_parse(rc->buf, rc->len, &r);
        struct pollfd p = {rc->fd, POLLIN, 0};
        ssize_t got;

        if (took < 0) {
            diag("  RESP3 connection: bytes that are not RESP: '%.*s'",
                 (int)(rc->len > 200 ? 200 : rc->len), rc->buf);
            rc->len = 0;
            return NULL;
        }
        if (took > 0) {
            size_t show = (size_t)took < sizeof(rc->last) - 1 ? (size_t)took : sizeof(rc->last) - 1;

            memcpy(rc->last, rc->buf, show);
            rc->last[show] = '\0';
            memmove(rc->buf, rc->buf + took, rc->len - (size_t)took);
            rc->len -= (size_t)took;
            return r;
        }
        if (rc->cap - rc->len < 65536) {
            rc->cap = rc->cap * 2 + 65536;
            rc->buf = omk_realloc(rc->buf, rc->cap);
        }
        if (poll(&p, 1, 10000) <= 0) {
            diag("  RESP3 connection: no whole reply within 10 s");
            return NULL;
        }
        got = read(rc->fd, rc->buf + rc->len, rc->cap - rc->len);
        if (got <= 0) {
            diag("  RESP3 connection: closed by the server");
            return NULL;
        }
        rc->len += (size_t)got;
    }
}

/* 'line' split on single spaces, as r3_argv. */
__attribute__((unused)) static struct r3 *r3_cmd(struct r3conn *rc, const char *line)
{
    char *copy = omk_memdup(line, strlen(line));
    const char *argv[64];
    size_t lens[64];
    int argc = 0;
    struct r3 *r;

    for (char *p = copy, *sp; p && argc < 64; p = sp ? sp + 1 : NULL) {
        sp = strchr(p, ' ');
        if (sp)
            *sp = '\0';
        argv[argc] = p;
        lens[argc++] = strlen(p);
    }
    r = r3_argv(rc, argc, argv, lens);
    omk_free(copy);
    return r;
}

/* Connect to 's' and switch to RESP3 with HELLO 3. 0, or -1 after a diagnostic. */
__attribute__((unused)) static int r3_open(struct r3conn *rc, const struct tserver *s)
{
    struct r3 *r;
    int good;

    memset(rc, 0, sizeof(*rc));
    rc->fd = ts_raw_connect(s);
    if (rc->fd < 0) {
        diag("  RESP3 connection: cannot connect");
        return -1;
    }
    r = r3_cmd(rc, "HELLO 3");
    good = r && r->type == '%';
    if (!good)
        diag("  HELLO 3 did not answer a map: '%s'", rc->last);
    r3_free(r);
    return good ? 0 : -1;
}

__attribute__((unused)) static void r3_close(struct r3conn *rc)
{
    if (rc->fd >= 0)
        close(rc->fd);
    omk_free(rc->buf);
    memset(rc, 0, sizeof(*rc));
    rc->fd = -1;
}

/* Copy the elements of aggregate 'r' (bulk strings) into 'l'; 0 if one is not a bulk. */
__attribute__((unused)) static int r3_strs(const struct r3 *r, struct tc_strs *l)
{
    for (size_t i = 0; r && i < r->n; i++) {
        if (r->elem[i]->type != '$')
            return 0;
        tc_add(l, r->elem[i]->str, r->elem[i]->len);
    }
    return r != NULL;
}

/* 'line' replies an aggregate of type 'type' ('~' set, '*' array) whose bulk strings are
 * those of 'words', in any order. */
__attribute__((unused)) static void r3_is_coll(struct r3conn *rc, const char *line, char type,
                                               const char *words, const char *name)
{
    struct r3 *r = r3_cmd(rc, line);
    struct tc_strs got = {0}, want = {0};
    int good = r && r->type == type && r3_strs(r, &got);

    tc_add_words(&want, words);
    tc_sort(&got);
    tc_sort(&want);
    if (!ok(good && tc_same(&got, &want), "%s", name)) {
        diag("  %s -> '%.200s'", line, rc->last);
        diag("  wanted type '%c' holding: %s", type, words);
    }
    tc_free(&got);
    tc_free(&want);
    r3_free(r);
}

/* 'line' replies a map ('%') whose entries are the field/value pairs "f1 v1 f2 v2". */
__attribute__((unused)) static void r3_is_map(struct r3conn *rc, const char *line, const char *words,
                                              const char *name)
{
    struct r3 *r = r3_cmd(rc, line);
    struct tc_strs got = {0}, want = {0};
    int good = r && r->type == '%';

    for (size_t i = 0; good && i + 1 < r->n; i += 2) {
        const struct r3 *f = r->elem[i], *v = r->elem[i + 1];
        char *buf;

        good = f->type == '$' && v->type == '$';
        if (!good)
            break;
        buf = omk_malloc(f->len + v->len + 2);
        memcpy(buf, f->str, f->len);
        buf[f->len] = '=';
        memcpy(buf + f->len + 1, v->str, v->len);
        tc_add(&got, buf, f->len + 1 + v->len);
        omk_free(buf);
    }
    tc_add_pairs(&want, words);
    tc_sort(&got);
    tc_sort(&want);
    if (!ok(good && tc_same(&got, &want), "%s", name)) {
        diag("  %s -> '%.200s'", line, rc->last);
        diag("  wanted a map of: %s", words);
    }
    tc_free(&got);
    tc_free(&want);
    r3_free(r);
}

/* 'line' replies exactly the bytes 'want' (a reply whose bytes are fixed). */
__attribute__((unused)) static void r3_is_bytes(struct r3conn *rc, const char *line, const char *want,
                                                const char *name)
{
    struct r3 *r = r3_cmd(rc, line);

    if (!ok(r && !strcmp(rc->last, want), "%s", name))
        diag("  %s -> '%.200s'", line, r ? rc->last : "(no reply)");
    r3_free(r);
}

#endif
