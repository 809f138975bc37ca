/* reply.h - how handlers answer: every reply goes through these, which drop output for
 * a closing client, pick RESP2 or RESP3 for the client and encode with resp/ into the
 * client's output buffer. Handlers never format RESP by hand. Owner thread only. */
#ifndef OMK_DAEMON_REPLY_H
#define OMK_DAEMON_REPLY_H

#include <stddef.h>

struct client;
struct store_val;
struct evbuffer;

void reply_ok(struct client *c);                               /* +OK */
void reply_simple(struct client *c, const char *s);            /* +s */
void reply_int(struct client *c, long long v);                 /* :v */
void reply_bulk(struct client *c, const void *p, size_t len);  /* $len */
void reply_bulk_cstr(struct client *c, const char *s);
void reply_bulk_ll(struct client *c, long long v);             /* the number as a bulk */
void reply_null(struct client *c);                             /* nil bulk */
void reply_null_array(struct client *c);                       /* nil array */
void reply_array_len(struct client *c, long long n);
void reply_map_len(struct client *c, long long n);             /* n pairs */
void reply_set_len(struct client *c, long long n);
void reply_push_len(struct client *c, long long n);            /* RESP3 >n, RESP2 *n */
void reply_verbatim(struct client *c, const char *p, size_t len); /* txt: in RESP3 */
/* A double as Redis 7.0's addReplyDouble sends it (resp_w_double: RESP3 ",d", RESP2 a
 * bulk of "%.17g"): the reply of the sorted sets' scores (ZSCORE, ZINCRBY, WITHSCORES). */
void reply_double(struct client *c, double d);

/* Send value 'v' as a bulk string and release it (takes ownership). Values of 16 KiB
 * and more go into the output buffer by reference, without a copy, and are released
 * once written; inside a deferred array they are copied. */
void reply_bulk_val(struct client *c, struct store_val *v);

/* 1 if replies go straight to the client's output now, not into a deferred aggregate
 * being built (so a reply may be streamed: conn_stream_start). */
int reply_direct(void);

/* Move the encoded reply (or replies) in 'reply' to c's output, leaving it empty: a
 * reply built whole elsewhere first (a script's). */
void reply_buffer(struct client *c, struct evbuffer *reply);

/* An error reply. 'msg' starts with its code ("ERR ...", "WRONGTYPE ...", "NOAUTH ..."). */
void reply_error(struct client *c, const char *msg);
void reply_error_fmt(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Common errors, worded as Redis 7 words them. */
void reply_err_syntax(struct client *c);        /* ERR syntax error */
void reply_err_not_int(struct client *c);       /* ERR value is not an integer or out of range */
void reply_err_arity(struct client *c);         /* ERR wrong number of arguments for '%s' command */
void reply_err_wrongtype(struct client *c);     /* WRONGTYPE Operation against a key ... */
/* A store outcome that is the command's error: STORE_WRONGTYPE as Redis' WRONGTYPE
 * error, any error code (< 0) as "ERR storage error" (or its read-only variant). */
void reply_err_store(struct client *c, int rc);

/* The reply of a store call that returned 'rc' (any other outcome: reply_err_store):
 * reply_store_val: STORE_OK the value 'v' (takes ownership), STORE_NOTFOUND nil;
 * reply_store_int: STORE_OK the number 'n';
 * reply_store_bool: STORE_OK 1, STORE_NOTFOUND 0 (HEXISTS, SISMEMBER, SMOVE). */
void reply_store_val(struct client *c, int rc, struct store_val *v);
void reply_store_int(struct client *c, int rc, long long n);
void reply_store_bool(struct client *c, int rc);

/* An array of unknown length: start it, add elements with the reply_* functions
 * (they go to the worker's scratch buffer), then end it with the element count, which
 * writes "*n" and moves the elements to the output without a copy. No nesting.
 * reply_deferred_pause() sends later replies to the output again until the end, so a
 * caller can write what must precede the array (SCAN's cursor). */
void reply_deferred_begin(struct client *c);
void reply_deferred_pause(struct client *c);
void reply_deferred_end(struct client *c, long long n);

/* Same for a map of 'npairs' key/value pairs (RESP3 %n, RESP2 *2n). */
void reply_deferred_end_map(struct client *c, long long npairs);

/* Same for a set of 'n' elements (RESP3 ~n, RESP2 *n): SMEMBERS, SINTER, SPOP count. */
void reply_deferred_end_set(struct client *c, long long n);

/* End a deferred reply that holds one element and no header: what was written since
 * the begin goes out as it is (SPOP's member, from a store callback). */
void reply_deferred_end_bare(struct client *c);

/* A deferred aggregate stops growing at client-output-buffer-limit's hard limit for
 * normal clients, or at REPLY_DEFERRED_MAX when that limit is 0 (Redis' default: no
 * limit, where an HRANDFIELD with a count of -2^62 would take every byte of RAM).
 * Called by store callbacks after each element: 1 when the client is closing or the
 * aggregate (with the output before it) reached the cap, in which case the client is
 * closed as Redis closes one over its output limit (logged the same way) and the
 * callback tells the store to stop; else 0. */
#define REPLY_DEFERRED_MAX ((size_t)1 << 30)
int reply_deferred_full(struct client *c);

/* Drop a deferred array's elements instead (the command failed part way). */
void reply_deferred_discard(struct client *c);

/* User text quoted in an error reply (an argument, a name) is cut to this many bytes, as
 * Redis cuts it with "%.128s"; resp_w_error() maps CR and LF to spaces. */
#define REPLY_USER_TEXT_MAX 128

/* The printf precision that cuts user text of 'len' bytes to REPLY_USER_TEXT_MAX:
 *     reply_error_fmt(c, "ERR no '%.*s'", reply_user_len(a->len), a->p); */
static inline int reply_user_len(size_t len)
{
    return (int)(len < REPLY_USER_TEXT_MAX ? len : REPLY_USER_TEXT_MAX);
}

#endif
