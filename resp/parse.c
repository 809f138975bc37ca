/* parse.c - the RESP request parser: multibulk ("*N\r\n$len\r\n...") and inline lines,
 * byte for byte as Redis 7's processMultibulkBuffer and processInlineBuffer (the inline
 * line is split by common/splitargs.c, the tokenizer redis.conf lines use too).
 *
 * Data flow: daemon/conn.c passes the contiguous bytes at the front of a connection's
 * input; a multibulk request comes back as slices into those bytes (no copy), an inline
 * one as slices into req->scratch. Invariant: nothing is consumed until a request is
 * whole, and every limit is checked before the allocation it guards.
 *
 * HOW RESUMING WORKS. Re-parsing a request from its first byte on every read would make
 * a request of many small arguments quadratic: 1M arguments ("$1\r\nx\r\n", 7 MB) read
 * 4 KB at a time is ~1700 calls each walking up to 1M headers, some 10^9 steps. So on
 * RESP_INCOMPLETE the parser keeps a checkpoint in 'req': 'pend_pos', the offset of the
 * first argument not yet whole (its header is re-read, a few bytes), the lengths of the
 * arguments before it in argv, and 'pend_scan', how far the unfinished line is known to
 * hold no line end. The buffer may move between calls, so argv[i].p is not trusted
 * across calls: once the request is whole, one pass recomputes each pointer from the
 * lengths (a header is exactly '$', the canonical digits, and 2 bytes, because lengths
 * parse strictly). Cost of a request of B bytes and A arguments read in R pieces:
 * O(B + A + R * 24 bytes of header); the payload itself is never scanned. */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "common/splitargs.h"
#include "resp/resp.h"

#define RESP_ARGV_PREALLOC 1024 /* slots allocated up front, whatever count is announced */

/* ---- errors ---- */

/* Make 'text' the sticky error of 'req' (req->err, the one place its text lives). CR
 * and LF become spaces, as Redis' addReplyErrorFormat does, so the text is what the
 * client reads. Returns RESP_ERR_PROTOCOL. */
static int parse_fail(struct resp_req *req, const char *text)
{
    size_t n = strlen(text), i;

    OMK_ASSERT(n < sizeof(req->err));
    for (i = 0; i < n; i++)
        req->err[i] = (text[i] == '\r' || text[i] == '\n') ? ' ' : text[i];
    req->err[n] = '\0';
    req->pend_pos = 0;
    req->pend_scan = 0;
    req->argc = 0;
    return RESP_ERR_PROTOCOL;
}

#define ERR_PREFIX "ERR Protocol error: "

/* ---- request storage ---- */

/* Make 'req' an empty request owning no memory. */
void resp_req_init(struct resp_req *req)
{
    memset(req, 0, sizeof(*req));
}

/* Free what 'req' owns (argv, scratch); it is then as after resp_req_init(). */
void resp_req_deinit(struct resp_req *req)
{
    omk_free(req->argv);
    omk_free(req->scratch);
    memset(req, 0, sizeof(*req));
}

/* Make room in argv for 'want' slots; grows by doubling, but never past 'limit' slots
 * (the announced count, so a request of N arguments never gets more than N). */
static void argv_reserve(struct resp_req *req, int want, int limit)
{
    int cap;

    if (want <= req->cap)
        return;
    cap = req->cap > 0 ? req->cap : 8;
    while (cap < want)
        cap = cap <= INT_MAX / 2 ? cap * 2 : INT_MAX;
    if (cap > limit)
        cap = limit;
    OMK_ASSERT(cap >= want);
    req->argv = omk_realloc(req->argv, (size_t)cap * sizeof(*req->argv));
    req->cap = cap;
}

/* Append an argument; 'limit' bounds the growth of argv as in argv_reserve(). */
static void argv_push(struct resp_req *req, const char *p, size_t len, int limit)
{
    if (req->argc == req->cap)
        argv_reserve(req, req->argc + 1, limit);
    req->argv[req->argc].p = p;
    req->argv[req->argc].len = len;
    req->argc++;
}

/* ---- lines ---- */

enum line_rc {
    LINE_FOUND,   /* the terminator is at '*at' */
    LINE_MORE,    /* no terminator yet */
    LINE_BLOCKED  /* a NUL at '*at' comes first */
};

/* Look for 'term' in buf[from, len). Redis searches its NUL-terminated query buffer
 * with strchr(), which stops at a NUL byte: a line holding a NUL before its end is never
 * found, and the request waits until it is too big. We keep that behaviour. */
static int line_find(const char *buf, size_t from, size_t len, char term, size_t *at)
{
    const char *t = memchr(buf + from, term, len - from);
    size_t end = t ? (size_t)(t - buf) : len;
    const char *z = memchr(buf + from, '\0', end - from);

    if (z) {
        *at = (size_t)(z - buf);
        return LINE_BLOCKED;
    }
    if (!t)
        return LINE_MORE;
    *at = end;
    return LINE_FOUND;
}

/* Set '*need' and the scan checkpoint for a line starting at 'start' whose end is not
 * buffered ('rc' and 'at' from line_find()). Returns 0, or -1 when more than
 * RESP_MAX_INLINE bytes follow 'start' (the caller reports its "too big" error). */
static int line_wait(struct resp_req *req, size_t len, size_t start, int rc, size_t at,
                     size_t *need)
{
    if (len - start > RESP_MAX_INLINE)
        return -1;
    if (rc == LINE_BLOCKED) {
        /* Only the "too big" error can follow: it needs one byte past the limit. */
        req->pend_scan = at;
        *need = start + RESP_MAX_INLINE + 1;
    } else {
        req->pend_scan = len;
        *need = len + 1;
    }
    return 0;
}

/* Find the header line ("*N" or "$N") starting at 'start'. Like Redis, the line ends at
 * the first '\r', and the byte after it (meant to be '\n') must be buffered but is not
 * checked. Returns 1 with '*cr' set; 0 when more bytes are needed ('*need' set); -1 when
 * the line is too long. */
static int header_find(struct resp_req *req, const char *buf, size_t len, size_t start,
                       size_t *cr, size_t *need)
{
    size_t from = req->pend_scan > start ? req->pend_scan : start, at = 0;
    int rc = line_find(buf, from, len, '\r', &at);

    if (rc != LINE_FOUND)
        return line_wait(req, len, start, rc, at, need);
    if (len - at < 2) {
        req->pend_scan = at;
        *need = at + 2;
        return 0;
    }
    *cr = at;
    return 1;
}

/* Number of decimal digits of 'v'. */
static size_t dec_digits(unsigned long long v)
{
    size_t n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* ---- multibulk ---- */

/* Point argv[0, n) into 'buf', recomputing each position from the lengths (see HOW
 * RESUMING WORKS): "*<count>\r\n", then per argument "$<len>\r\n<payload>\r\n". */
static void multibulk_rebase(struct resp_req *req, const char *buf, int n)
{
    size_t pos = 1 + dec_digits((unsigned long long)req->pend_count) + 2;

    for (int i = 0; i < n; i++) {
        pos += 1 + dec_digits(req->argv[i].len) + 2;
        req->argv[i].p = buf + pos;
        pos += req->argv[i].len + 2;
    }
}

/* Parse the '*' request at 'buf' (see resp_parse()); resumes from the checkpoint. */
static int parse_multibulk(const struct resp_limits *lim, const char *buf, size_t len,
                           struct resp_req *req, size_t *consumed, size_t *need)
{
    size_t pos, cr = 0;
    long long ll;
    int rc, resumed;

    if (req->pend_pos == 0) {
        rc = header_find(req, buf, len, 0, &cr, need);
        if (rc < 0)
            return parse_fail(req, ERR_PREFIX "too big mbulk count string");
        if (rc == 0)
            return RESP_INCOMPLETE;
        if (!omk_str2ll(buf + 1, cr - 1, &ll) || ll > RESP_MAX_MULTIBULK)
            return parse_fail(req, ERR_PREFIX "invalid multibulk length");
        if (ll > RESP_UNAUTH_MAX_MULTIBULK && !lim->authenticated)
            return parse_fail(req, ERR_PREFIX "unauthenticated multibulk length");
        pos = cr + 2;
        req->pend_scan = 0;
        req->argc = 0;
        if (ll <= 0) {
            *consumed = pos;
            return RESP_OK;
        }
        req->pend_count = (int)ll;
        argv_reserve(req, ll < RESP_ARGV_PREALLOC ? (int)ll : RESP_ARGV_PREALLOC, (int)ll);
        resumed = 0;
    } else {
        pos = req->pend_pos;
        resumed = req->argc;
    }

    while (req->argc < req->pend_count) {
        size_t start, avail;

        rc = header_find(req, buf, len, pos, &cr, need);
        if (rc < 0)
            return parse_fail(req, ERR_PREFIX "too big bulk count string");
        if (rc == 0) {
            req->pend_pos = pos;
            return RESP_INCOMPLETE;
        }
        if (buf[pos] != '$') {
            char text[RESP_ERR_SIZE];
            size_t n = strlen(ERR_PREFIX "expected '$', got '");

            memcpy(text, ERR_PREFIX "expected '$', got '", n);
            text[n++] = buf[pos];
            memcpy(text + n, "'", 2);
            return parse_fail(req, text);
        }
        if (!omk_str2ll(buf + pos + 1, cr - pos - 1, &ll) || ll < 0 || ll > lim->max_bulk_len)
            return parse_fail(req, ERR_PREFIX "invalid bulk length");
        if (ll > RESP_UNAUTH_MAX_BULK && !lim->authenticated)
            return parse_fail(req, ERR_PREFIX "unauthenticated bulk length");
        /* The payload and the 2 bytes after it (meant to be CRLF; Redis skips them
         * unchecked, so do we) must all be here: 'need' covers them in one go. */
        start = cr + 2;
        avail = len - start;
        if (avail < 2 || avail - 2 < (unsigned long long)ll) {
            req->pend_pos = pos;
            OMK_ASSERT((unsigned long long)ll <= SIZE_MAX - 2 - start);
            *need = start + (size_t)ll + 2;
            return RESP_INCOMPLETE;
        }
        argv_push(req, buf + start, (size_t)ll, req->pend_count);
        pos = start + (size_t)ll + 2;
        req->pend_scan = 0;
    }

    if (resumed > 0)
        multibulk_rebase(req, buf, resumed);
    req->pend_pos = 0;
    *consumed = pos;
    return RESP_OK;
}

/* ---- inline ---- */

/* omk_splitargs() callback: append one inline argument to the request 'arg'. An inline
 * line is at most RESP_MAX_INLINE bytes, so argc stays far below INT_MAX. */
static void inline_arg(void *arg, const char *p, size_t len)
{
    argv_push(arg, p, len, INT_MAX);
}

/* Split 'line'/'n' (no terminator) into req's arguments with omk_splitargs(), Redis'
 * sdssplitargs rules. Quotes and escapes make an argument differ from its bytes in the
 * line, so every argument is written to req->scratch, which grows to the longest line
 * seen and never needs more than 'n' bytes. Returns 0, or -1 on unbalanced quotes. */
static int inline_split(struct resp_req *req, const char *line, size_t n)
{
    if (req->scratch_cap < n) {
        omk_free(req->scratch);
        req->scratch = omk_malloc(n);
        req->scratch_cap = n;
    }
    return omk_splitargs(line, n, req->scratch, inline_arg, req);
}

/* Parse the inline request at 'buf' (see resp_parse()): one line ending in "\n", an
 * optional "\r" before it stripped. */
static int parse_inline(const char *buf, size_t len, struct resp_req *req, size_t *consumed,
                        size_t *need)
{
    size_t nl = 0, end;
    int rc = line_find(buf, req->pend_scan, len, '\n', &nl);

    if (rc != LINE_FOUND) {
        if (line_wait(req, len, 0, rc, nl, need) < 0)
            return parse_fail(req, ERR_PREFIX "too big inline request");
        return RESP_INCOMPLETE;
    }
    end = nl > 0 && buf[nl - 1] == '\r' ? nl - 1 : nl;
    req->argc = 0;
    if (inline_split(req, buf, end) < 0)
        return parse_fail(req, ERR_PREFIX "unbalanced quotes in request");
    req->pend_scan = 0;
    req->is_inline = 1;
    *consumed = nl + 1;
    return RESP_OK;
}

/* ---- entry point ---- */

/* Parse one request from the front of 'buf'/'len'; the contract is in resp.h. */
int resp_parse(const struct resp_limits *lim, const char *buf, size_t len, struct resp_req *req,
               size_t *consumed, size_t *need)
{
    if (req->err[0] != '\0')
        return RESP_ERR_PROTOCOL; /* sticky: req->err still holds the text */
    if (len == 0) {
        *need = 1;
        return RESP_INCOMPLETE;
    }
    /* A checkpoint past the bytes given cannot be ours: start over (same bytes, so the
     * same result, just slower). */
    if (req->pend_pos > len || req->pend_scan > len) {
        req->pend_pos = 0;
        req->pend_scan = 0;
    }
    if (buf[0] == '*') {
        req->is_inline = 0;
        return parse_multibulk(lim, buf, len, req, consumed, need);
    }
    return parse_inline(buf, len, req, consumed, need);
}
