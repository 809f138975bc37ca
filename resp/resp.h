/* resp.h - the RESP2/RESP3 wire format: an incremental request parser and reply
 * encoders. Pure functions over memory and evbuffers: no sockets, no commands.
 *
 * Data flow: daemon/conn hands the bytes of its input buffer to resp_parse(), which
 * returns one request as slices into those bytes (no copy for multibulk requests);
 * handlers reply through daemon/reply.c, which calls the resp_w_* encoders here. */
#ifndef OMK_RESP_RESP_H
#define OMK_RESP_RESP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "common/omk.h"

struct evbuffer;

/* Results of resp_parse(). */
enum resp_rc {
    RESP_OK = 0,          /* one request parsed */
    RESP_INCOMPLETE = 1,  /* need more bytes; nothing consumed */
    RESP_ERR_PROTOCOL = -1 /* malformed; the error text is in req->err (sticky) */
};

#define RESP_MAX_INLINE (64 * 1024)          /* Redis PROTO_INLINE_MAX_SIZE */
#define RESP_MAX_MULTIBULK INT_MAX           /* Redis 7's multibulk count limit (6.x: 1M) */
#define RESP_UNAUTH_MAX_MULTIBULK 10         /* before AUTH, as Redis */
#define RESP_UNAUTH_MAX_BULK 16384           /* before AUTH, as Redis */
#define RESP_ERR_SIZE 64                     /* bytes of resp_req.err, NUL included */

/* Limits the parser enforces; the daemon fills them from its config. */
struct resp_limits {
    long long max_bulk_len; /* proto-max-bulk-len, bytes */
    int authenticated;      /* 0: the tighter unauthenticated limits apply */
};

/* One parsed request. argv[i] points into the buffer given to resp_parse(), or into
 * 'scratch' for inline requests (whose arguments may be unquoted/unescaped); valid
 * until the next resp_parse() on this request or resp_req_deinit(). */
struct resp_req {
    int argc;
    int cap;                  /* allocated slots in argv */
    struct omk_slice *argv;
    char *scratch;            /* inline arguments, owned */
    size_t scratch_cap;
    int is_inline;            /* 1 when the request came as an inline line */
    /* Private to resp/parse.c: where a request cut short by RESP_INCOMPLETE resumes, so
     * a request arriving in many pieces is parsed once, not once per piece. */
    size_t pend_pos;          /* bytes of the pending request parsed into argv; 0: none */
    size_t pend_scan;         /* offset the unfinished line's end search resumes from */
    int pend_count;           /* multibulk count of the pending request */
    /* The protocol error, once resp_parse() has returned RESP_ERR_PROTOCOL: Redis' reply
     * text without the leading '-' and the CRLF, NUL-terminated, e.g. "ERR Protocol
     * error: invalid bulk length"; "" while there is none. Sticky: it stays until
     * resp_req_deinit(). This is the only copy of the text; read it, never write it. */
    char err[RESP_ERR_SIZE];
};

void resp_req_init(struct resp_req *req);
void resp_req_deinit(struct resp_req *req);

/* Parse one request from 'buf'/'len' (contiguous bytes at the front of a connection's
 * input). Returns:
 *  RESP_OK: '*req' holds the request, '*consumed' the bytes it used (argc may be 0 for
 *           an empty line or "*0\r\n": the caller skips those, as Redis does);
 *  RESP_INCOMPLETE: '*need' is the total number of bytes needed before a new try can
 *           make progress (always > len);
 *  RESP_ERR_PROTOCOL: req->err holds the error's text (see struct resp_req).
 * Limits from 'lim' are checked before any allocation. Any split of the input over
 * several calls gives the same requests (as with Redis, only which error an over-long
 * header line draws can depend on how its bytes arrive).
 * Caveats: after RESP_INCOMPLETE the next call on 'req' must pass the same request
 * bytes again at the front of 'buf' (they may have moved), usually with more after
 * them: the parser resumes where it stopped. On RESP_INCOMPLETE argc/argv hold nothing
 * usable. Errors are sticky: every later call returns the same error; reuse 'req' for
 * another stream only after resp_req_deinit() + resp_req_init(). The two errors only an
 * unauthenticated client can get read "unauthenticated multibulk length" and
 * "unauthenticated bulk length", as in Redis 7. */
int resp_parse(const struct resp_limits *lim, const char *buf, size_t len, struct resp_req *req,
               size_t *consumed, size_t *need);

/* ---- reply encoders: each appends one RESP value to 'out' ----
 *
 * Each writes the bytes Redis 7.0 sends for the value (networking.c addReply*) at the
 * end of 'out', a buffer the caller owns (the client's output or a scratch buffer), and
 * keeps nothing. Payloads are copied into 'out', except by resp_w_bulk_ref().
 * Out of memory: if libevent cannot grow 'out', the encoder aborts the process, as
 * omk_malloc does (OMK_ASSERT); it never returns with a value half written.
 * 'proto' is the client's protocol version as HELLO sets it, 2 (RESP2) or 3 (RESP3), no
 * other value: encoders that take it write the RESP3 type for 3 and its RESP2 stand-in
 * for 2 (a null bulk for null, a flat array for a map, ...). */

/* Called by libevent once it no longer needs bytes lent with resp_w_bulk_ref(): 'data'
 * and 'len' are the bytes lent, 'arg' the pointer given with them. Same type as
 * libevent's evbuffer_ref_cleanup_cb, so store_val_release_cb fits. */
typedef void resp_ref_cleanup_fn(const void *data, size_t len, void *arg);

void resp_w_simple(struct evbuffer *out, const char *s, size_t len);        /* +s, no CR/LF in s */
void resp_w_error(struct evbuffer *out, const char *s, size_t len);         /* -s, CR/LF -> ' ' */
void resp_w_int(struct evbuffer *out, long long v);                         /* :v */
void resp_w_bulk(struct evbuffer *out, const void *p, size_t len);          /* $len p */
void resp_w_array_len(struct evbuffer *out, long long n);                   /* *n */
void resp_w_null(struct evbuffer *out, int proto);         /* RESP2 $-1, RESP3 _ */
void resp_w_null_array(struct evbuffer *out, int proto);   /* RESP2 *-1, RESP3 _ */
void resp_w_map_len(struct evbuffer *out, int proto, long long n); /* RESP3 %n, RESP2 *2n */
void resp_w_set_len(struct evbuffer *out, int proto, long long n); /* RESP3 ~n, RESP2 *n */
void resp_w_bool(struct evbuffer *out, int proto, int b);          /* RESP3 #t/#f, RESP2 :1/:0 */
void resp_w_push_len(struct evbuffer *out, int proto, long long n); /* RESP3 >n, RESP2 *n */

/* A bulk string whose payload is not copied: "$len\r\n", the 'len' bytes at 'p' added
 * by reference, "\r\n". 'p' is borrowed until libevent calls 'cleanup'(p, len, 'arg'),
 * when the bytes have been written or 'out' is freed; they must not change before. For
 * large values only (a reference costs a chain of its own; daemon/reply.c's cut-off is
 * 16 KiB). */
void resp_w_bulk_ref(struct evbuffer *out, const void *p, size_t len, resp_ref_cleanup_fn *cleanup,
                     void *arg);

/* A double, as Redis 7.0's addReplyDouble writes it: RESP3 ",<d>\r\n", RESP2 a bulk
 * string of the same text. The text is printf's "%.17g" ("3.1400000000000001", "1.5",
 * "-0", "1.0000000000000001e+300"), except that the infinities are "inf" and "-inf"
 * and a NaN is "nan" (as Redis 7.2 and the RESP3 spec write it), whatever the libc
 * prints. The sorted sets' scores are replied with it (ZSCORE, ZINCRBY, WITHSCORES). */
void resp_w_double(struct evbuffer *out, int proto, double d);

/* A verbatim string: RESP3 "=<len+4>\r\n<fmt>:<payload>\r\n", RESP2 a bulk string of
 * the payload alone. 'fmt3' (NUL-terminated, not NULL) names the payload's format in
 * three bytes, "txt" for plain text or "mkd" for markdown (addReplyVerbatim's 'ext'): a
 * shorter name is padded with spaces, bytes past the third are ignored. */
void resp_w_verbatim(struct evbuffer *out, int proto, const char *fmt3, const void *p, size_t len);

#endif
