/* fuzz_resp.c - libFuzzer target for the RESP request parser: the input is what a client
 * sends on one connection.
 *
 * Build and run it (clang only; `make` never builds it):
 *     make fuzz-resp      # tests/fuzz/fuzz_resp, clang -fsanitize=fuzzer,address,undefined
 *     mkdir -p fuzz-new
 *     tests/fuzz/fuzz_resp -max_total_time=60 fuzz-new $(top_srcdir)/tests/fuzz/corpus/resp
 * New inputs go to the first directory; the seeds stay as they are. A failure leaves
 * crash-<sha1> in the current directory: once fixed, copy it into tests/fuzz/corpus/resp
 * and `make check` replays it forever after (tests/fuzz/fuzz_resp_replay, built with
 * the normal compiler, feeds each corpus file to LLVMFuzzerTestOneInput below).
 *
 * For each of three limit sets (authenticated; before AUTH; a 16-byte bulk cap) the
 * stream is parsed whole and again in pseudo-random pieces (seeded by the input), each
 * call getting a fresh copy of the pending bytes as a moving connection buffer would.
 * Checked: both runs give the same requests and end the same way (inputs up to 64 KB,
 * where no over-long-line error can depend on arrival); RESP_OK consumes 1..len bytes
 * and its slices lie in the input or the scratch; RESP_INCOMPLETE asks for more than it
 * has; and every request, re-encoded with resp_w_array_len/resp_w_bulk, parses back to
 * the same arguments. Any broken check aborts. */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/omk.h"
#include "resp/resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A growable transcript: requests (kind, argc, arguments) then how the stream ended. */
struct fz_log {
    char *p;
    size_t len, cap;
};

/* Append 'n' bytes from 'p' to 'l'. */
static void fz_add(struct fz_log *l, const void *p, size_t n)
{
    if (l->len + n > l->cap) {
        l->cap = (l->len + n) * 2 + 64;
        l->p = omk_realloc(l->p, l->cap);
    }
    if (n > 0)
        memcpy(l->p + l->len, p, n);
    l->len += n;
}

/* Next pseudo-random number of a xorshift64 sequence. */
static uint64_t fz_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Encode 'req' as a multibulk request with the reply encoders and check that it parses
 * back to the same arguments. */
static void fz_roundtrip(const struct resp_req *req, struct evbuffer *eb)
{
    static const struct resp_limits lim = {LLONG_MAX, 1};
    struct resp_req back;
    size_t n, used = 0, need = 0;
    const char *p;
    int rc;

    resp_w_array_len(eb, req->argc);
    for (int i = 0; i < req->argc; i++)
        resp_w_bulk(eb, req->argv[i].p, req->argv[i].len);
    n = evbuffer_get_length(eb);
    p = (const char *)evbuffer_pullup(eb, -1);
    resp_req_init(&back);
    rc = resp_parse(&lim, p, n, &back, &used, &need);
    OMK_ASSERT(rc == RESP_OK && used == n && !back.is_inline);
    OMK_ASSERT(back.argc == req->argc);
    for (int i = 0; i < req->argc; i++) {
        OMK_ASSERT(back.argv[i].len == req->argv[i].len);
        OMK_ASSERT(memcmp(back.argv[i].p, req->argv[i].p, back.argv[i].len) == 0);
    }
    resp_req_deinit(&back);
    evbuffer_drain(eb, n);
}

/* Check the invariants of one RESP_OK over 'buf'/'len' that used 'used' bytes. */
static void fz_check_ok(const struct resp_req *req, const char *buf, size_t len, size_t used)
{
    OMK_ASSERT(used >= 1 && used <= len);
    OMK_ASSERT(req->argc >= 0 && req->argc <= req->cap);
    for (int i = 0; i < req->argc; i++) {
        const struct omk_slice *a = &req->argv[i];

        if (req->is_inline)
            OMK_ASSERT(a->p >= req->scratch && a->p + a->len <= req->scratch + req->scratch_cap);
        else
            OMK_ASSERT(a->p >= buf && a->p + a->len <= buf + used);
    }
}

/* Feed 'data'/'size' to a fresh parser with 'lim': whole when 'seed' is 0, else in
 * pieces of pseudo-random sizes. Appends the transcript to 'log'. */
static void fz_run(const struct resp_limits *lim, const char *data, size_t size, uint64_t seed,
                   struct fz_log *log, struct evbuffer *eb)
{
    struct resp_req req;
    size_t off = 0, avail = seed ? 0 : size;
    int rc = RESP_INCOMPLETE;

    resp_req_init(&req);
    for (;;) {
        size_t left = avail - off, used = 0, need = 0;
        char *copy = omk_malloc(left + 1);

        if (left > 0)
            memcpy(copy, data + off, left);
        rc = resp_parse(lim, copy, left, &req, &used, &need);
        if (rc == RESP_OK) {
            fz_check_ok(&req, copy, left, used);
            fz_add(log, req.is_inline ? "L" : "M", 1);
            fz_add(log, &req.argc, sizeof(req.argc));
            for (int i = 0; i < req.argc; i++) {
                fz_add(log, &req.argv[i].len, sizeof(req.argv[i].len));
                fz_add(log, req.argv[i].p, req.argv[i].len);
            }
            fz_roundtrip(&req, eb);
            off += used;
        } else if (rc == RESP_INCOMPLETE) {
            OMK_ASSERT(need > left);
        }
        omk_free(copy);
        if (rc == RESP_ERR_PROTOCOL)
            break;
        if (rc == RESP_INCOMPLETE || off == avail) {
            uint64_t r;
            size_t step;

            if (avail == size)
                break;
            r = fz_rand(&seed);
            step = (r & 3) ? 1 + (r >> 8) % 8 : 1 + (r >> 8) % 512;
            avail = size - avail > step ? avail + step : size;
        }
    }
    if (rc == RESP_ERR_PROTOCOL) {
        fz_add(log, "E", 1);
        fz_add(log, req.err, strlen(req.err));
    } else {
        fz_add(log, "I", 1);
        fz_add(log, &off, sizeof(off));
    }
    resp_req_deinit(&req);
}

/* libFuzzer's entry point: run the checks above on 'data'/'size'; aborts on a failure,
 * else returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct resp_limits lims[] = {
        {512LL * 1024 * 1024, 1}, {512LL * 1024 * 1024, 0}, {16, 1}};
    struct evbuffer *eb = evbuffer_new();
    uint64_t seed = omk_hash(data, size) | 1; /* odd, so never 0 (0 means whole) */

    OMK_ASSERT(eb != NULL);
    for (size_t i = 0; i < OMK_ARRAY_LEN(lims); i++) {
        struct fz_log whole = {0}, pieces = {0};

        fz_run(&lims[i], (const char *)data, size, 0, &whole, eb);
        fz_run(&lims[i], (const char *)data, size, seed ^ (i << 1), &pieces, eb);
        if (size <= RESP_MAX_INLINE)
            OMK_ASSERT(whole.len == pieces.len && memcmp(whole.p, pieces.p, whole.len) == 0);
        omk_free(whole.p);
        omk_free(pieces.p);
    }
    evbuffer_free(eb);
    return 0;
}
