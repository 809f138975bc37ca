/* write.c - the RESP2/RESP3 reply encoders: each call appends one value to an evbuffer,
 * with the exact bytes Redis 7 sends (networking.c addReply*).
 *
 * Data flow: daemon/reply.c picks the protocol of the client and calls these; nothing
 * here knows clients. Each value is written with one evbuffer call (one contiguous
 * reservation, or one evbuffer_add of a small stack buffer), but for a bulk lent by
 * reference, whose payload is a chain of its own; integers are formatted with
 * omk_ll2str, not printf. Like omk_malloc, a failed evbuffer allocation aborts. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "resp/resp.h"

#define W_LINE_MAX 32 /* prefix byte, 20 digits and a sign, CRLF */

/* Append 'n' bytes from 'p'. */
static void w_add(struct evbuffer *out, const void *p, size_t n)
{
    int rc = evbuffer_add(out, p, n);

    OMK_ASSERT(rc == 0);
}

/* Write "<prefix><v>\r\n" into 'buf' (W_LINE_MAX bytes); returns its length. */
static size_t w_fmt_line(char *buf, char prefix, long long v)
{
    size_t n;

    buf[0] = prefix;
    n = 1 + omk_ll2str(buf + 1, v);
    buf[n++] = '\r';
    buf[n++] = '\n';
    return n;
}

/* Append "<prefix><v>\r\n". */
static void w_line(struct evbuffer *out, char prefix, long long v)
{
    char buf[W_LINE_MAX];

    w_add(out, buf, w_fmt_line(buf, prefix, v));
}

/* Append 'hdr'/'h', then the 'len' bytes at 'p', then "\r\n", in one contiguous
 * reservation. With 'clean' set, CR and LF among the 'len' bytes become spaces. */
static void w_framed(struct evbuffer *out, const char *hdr, size_t h, const void *p, size_t len,
                     int clean)
{
    struct evbuffer_iovec v;
    size_t total = h + len + 2;
    char *q;
    int rc;

    OMK_ASSERT(len <= (size_t)EV_SSIZE_MAX - h - 2);
    rc = evbuffer_reserve_space(out, (ev_ssize_t)total, &v, 1);
    OMK_ASSERT(rc == 1 && v.iov_len >= total);
    q = v.iov_base;
    memcpy(q, hdr, h);
    if (len > 0)
        memcpy(q + h, p, len);
    if (clean) {
        for (size_t i = h; i < h + len; i++) {
            if (q[i] == '\r' || q[i] == '\n')
                q[i] = ' ';
        }
    }
    q[h + len] = '\r';
    q[h + len + 1] = '\n';
    v.iov_len = total;
    rc = evbuffer_commit_space(out, &v, 1);
    OMK_ASSERT(rc == 0);
}

/* "+s\r\n"; 's' must hold no CR or LF (status texts are ours, not the user's). */
void resp_w_simple(struct evbuffer *out, const char *s, size_t len)
{
    w_framed(out, "+", 1, s, len, 0);
}

/* "-s\r\n" with CR and LF in 's' mapped to spaces, as addReplyErrorFormat does. 's'
 * carries its code ("ERR ...", "WRONGTYPE ..."). */
void resp_w_error(struct evbuffer *out, const char *s, size_t len)
{
    w_framed(out, "-", 1, s, len, 1);
}

/* ":v\r\n". */
void resp_w_int(struct evbuffer *out, long long v)
{
    w_line(out, ':', v);
}

/* "$len\r\n" + the 'len' bytes at 'p' + "\r\n"; 'p' is copied. */
void resp_w_bulk(struct evbuffer *out, const void *p, size_t len)
{
    char hdr[W_LINE_MAX];

    OMK_ASSERT(len <= (size_t)LLONG_MAX);
    w_framed(out, hdr, w_fmt_line(hdr, '$', (long long)len), p, len, 0);
}

/* "$len\r\n" + the 'len' bytes at 'p', lent by reference (no copy), + "\r\n": three
 * evbuffer calls, since the payload is its own chain. libevent calls 'cleanup'(p, len,
 * 'arg') once it has written or dropped the bytes; until then they must not change. */
void resp_w_bulk_ref(struct evbuffer *out, const void *p, size_t len, resp_ref_cleanup_fn *cleanup,
                     void *arg)
{
    char hdr[W_LINE_MAX];
    int rc;

    OMK_ASSERT(len <= (size_t)LLONG_MAX);
    w_add(out, hdr, w_fmt_line(hdr, '$', (long long)len));
    rc = evbuffer_add_reference(out, p, len, cleanup, arg);
    OMK_ASSERT(rc == 0);
    w_add(out, "\r\n", 2);
}

/* "*n\r\n": the header of an array of 'n' elements. */
void resp_w_array_len(struct evbuffer *out, long long n)
{
    w_line(out, '*', n);
}

/* Header of an out-of-band message of 'n' elements (pub/sub messages, invalidations):
 * RESP3 ">n\r\n", RESP2 an ordinary array "*n\r\n", which is how Redis sends the same
 * message to a RESP2 client. */
void resp_w_push_len(struct evbuffer *out, int proto, long long n)
{
    w_line(out, proto >= 3 ? '>' : '*', n);
}

/* The null value: RESP2 "$-1\r\n" (null bulk), RESP3 "_\r\n". */
void resp_w_null(struct evbuffer *out, int proto)
{
    if (proto >= 3)
        w_add(out, "_\r\n", 3);
    else
        w_add(out, "$-1\r\n", 5);
}

/* The null array: RESP2 "*-1\r\n", RESP3 "_\r\n". */
void resp_w_null_array(struct evbuffer *out, int proto)
{
    if (proto >= 3)
        w_add(out, "_\r\n", 3);
    else
        w_add(out, "*-1\r\n", 5);
}

/* Header of a map of 'n' pairs: RESP3 "%n\r\n", RESP2 a flat array "*<2n>\r\n". */
void resp_w_map_len(struct evbuffer *out, int proto, long long n)
{
    if (proto >= 3) {
        w_line(out, '%', n);
    } else {
        OMK_ASSERT(n <= LLONG_MAX / 2 && n >= LLONG_MIN / 2);
        w_line(out, '*', 2 * n);
    }
}

/* Header of a set of 'n' members: RESP3 "~n\r\n", RESP2 "*n\r\n". */
void resp_w_set_len(struct evbuffer *out, int proto, long long n)
{
    w_line(out, proto >= 3 ? '~' : '*', n);
}

/* A double as Redis 7.0 formats it: "%.17g", but "inf", "-inf" and "nan" spelled out
 * whatever the libc prints (glibc writes a negative NaN "-nan"). RESP3 ",<d>\r\n";
 * RESP2 a bulk string of the same text. */
void resp_w_double(struct evbuffer *out, int proto, double d)
{
    char buf[64];
    int n;

    if (isnan(d))
        n = snprintf(buf, sizeof(buf), "nan");
    else if (isinf(d))
        n = snprintf(buf, sizeof(buf), "%s", d > 0 ? "inf" : "-inf");
    else
        n = snprintf(buf, sizeof(buf), "%.17g", d);
    OMK_ASSERT(n > 0 && (size_t)n < sizeof(buf));
    if (proto >= 3)
        w_framed(out, ",", 1, buf, (size_t)n, 0);
    else
        resp_w_bulk(out, buf, (size_t)n);
}

/* RESP3 "#t\r\n"/"#f\r\n"; RESP2 the integers ":1\r\n"/":0\r\n". */
void resp_w_bool(struct evbuffer *out, int proto, int b)
{
    if (proto >= 3)
        w_add(out, b ? "#t\r\n" : "#f\r\n", 4);
    else
        w_add(out, b ? ":1\r\n" : ":0\r\n", 4);
}

/* RESP3 verbatim string "=<len+4>\r\n<fmt>:<payload>\r\n", where 'fmt3' gives the
 * 3-byte format ("txt", "mkd"), space-padded if shorter, as addReplyVerbatim does;
 * RESP2 a plain bulk string of the payload. 'p' is copied. */
void resp_w_verbatim(struct evbuffer *out, int proto, const char *fmt3, const void *p, size_t len)
{
    char hdr[W_LINE_MAX + 4];
    size_t h;

    if (proto < 3) {
        resp_w_bulk(out, p, len);
        return;
    }
    OMK_ASSERT(fmt3 != NULL && len <= (size_t)LLONG_MAX - 4);
    h = w_fmt_line(hdr, '=', (long long)len + 4);
    for (int i = 0; i < 3; i++)
        hdr[h++] = *fmt3 != '\0' ? *fmt3++ : ' ';
    hdr[h++] = ':';
    w_framed(out, hdr, h, p, len, 0);
}
