/* test_bigstr.c - strings longer than string-fragment-threshold (here its lowest, 256, so
 * that small values cross it; a fragment is 4 KB) against a real server: SET/GET of
 * binary values, GETRANGE across fragment boundaries and at the ends, SETRANGE and APPEND
 * growing a small value past the threshold and far past its end (sparse fragments),
 * GETSET GETDEL GETEX MGET INCR INCRBYFLOAT LCS on them, TYPE and OBJECT ENCODING, COPY
 * RENAME MOVE EXPIRE DEL, a value shrinking back below the threshold, and (omenkv only)
 * everything again after a restart and a kill -9, with DEBUG CHECK. Every expectation
 * was checked against redis-server 7.0 (OMK_TEST_SERVER=host:port runs this program
 * against it). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/omk.h"
#include "tests/harness.h"

#define FRAG 4096

static char a20k[20000], b9k[9000];

/* Fill 'p'/'n' with bytes from a seed, NULs and high bytes included. */
static void fill(char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (char)(seed >> 16);
    }
}

/* GET 'key' is exactly 'p'/'n'. */
static void get_is(redisContext *c, const char *key, const char *p, size_t n, const char *name)
{
    redisReply *r = cmd(c, "GET %s", key);

    ok(r && r->type == REDIS_REPLY_STRING && r->len == n && memcmp(r->str, p, n) == 0,
       "%s: GET %s is its %zu bytes", name, key, n);
    freeReplyObject(r);
}

/* GETRANGE 'key' 'a' 'b' is 'p'/'n'. */
static void range_is(redisContext *c, const char *key, long long a, long long b, const char *p,
                     size_t n)
{
    redisReply *r = cmd(c, "GETRANGE %s %lld %lld", key, a, b);

    ok(r && r->type == REDIS_REPLY_STRING && r->len == n && (n == 0 || memcmp(r->str, p, n) == 0),
       "GETRANGE %s %lld %lld: %zu bytes", key, a, b, n);
    freeReplyObject(r);
}

static void test_set_get(redisContext *c)
{
    is_status(cmd(c, "SET a %b", a20k, sizeof(a20k)), "OK", "SET a 20000-byte binary value");
    get_is(c, "a", a20k, sizeof(a20k), "fresh");
    is_integer(cmd(c, "STRLEN a"), 20000, "STRLEN");
    is_status(cmd(c, "TYPE a"), "string", "TYPE string");
    is_str(cmd(c, "OBJECT ENCODING a"), "raw", 3, "OBJECT ENCODING raw");
    range_is(c, "a", FRAG - 2, FRAG + 1, a20k + FRAG - 2, 4);
    range_is(c, "a", 0, 0, a20k, 1);
    range_is(c, "a", -3, -1, a20k + 19997, 3);
    range_is(c, "a", 19999, 100000, a20k + 19999, 1);
    range_is(c, "a", -100000, 2, a20k, 3);
    range_is(c, "a", 3 * FRAG, 4 * FRAG - 1, a20k + 3 * FRAG, FRAG);
    range_is(c, "a", 20000, 20010, "", 0);
    range_is(c, "a", -1, -5, "", 0);
    range_is(c, "nokey", 0, -1, "", 0);
}

static void test_edits(redisContext *c)
{
    char want[3 * FRAG + 10];

    /* SETRANGE grows a small value past the threshold, across two fragments. */
    is_status(cmd(c, "SET s hello"), "OK", "SET a small value");
    memset(want, 0, sizeof(want));
    memcpy(want, "hello", 5);
    memcpy(want + FRAG - 1, "XYZ", 3);
    is_integer(cmd(c, "SETRANGE s %d XYZ", FRAG - 1), FRAG + 2, "SETRANGE past the threshold");
    get_is(c, "s", want, FRAG + 2, "SETRANGE grown");
    is_str(cmd(c, "OBJECT ENCODING s"), "raw", 3, "  ... raw");
    /* Overwrite inside, at a fragment boundary. */
    memcpy(want + FRAG - 2, "abcd", 4);
    is_integer(cmd(c, "SETRANGE s %d abcd", FRAG - 2), FRAG + 2, "SETRANGE across a boundary");
    get_is(c, "s", want, FRAG + 2, "overwritten");
    /* APPEND across the next boundary. */
    memset(want + FRAG + 2, 'q', 2 * FRAG);
    {
        char q[2 * FRAG];

        memset(q, 'q', sizeof(q));
        is_integer(cmd(c, "APPEND s %b", q, sizeof(q)), 3 * FRAG + 2, "APPEND two fragments");
    }
    get_is(c, "s", want, 3 * FRAG + 2, "appended");
    /* APPEND growing a small value past the threshold. */
    is_status(cmd(c, "SET t abc"), "OK", "SET t");
    is_integer(cmd(c, "APPEND t %b", b9k, sizeof(b9k)), 9003, "APPEND past the threshold");
    range_is(c, "t", 0, 2, "abc", 3);
    range_is(c, "t", 3, 14, b9k, 12);
    range_is(c, "t", 9000, 9002, b9k + 8997, 3);
    /* Far past the end: zeros in between, read back at the end. */
    is_integer(cmd(c, "SETRANGE far 4000000 end"), 4000003, "SETRANGE 4 MB out");
    is_integer(cmd(c, "STRLEN far"), 4000003, "STRLEN of the sparse value");
    range_is(c, "far", 3999999, 4000002, "\0end", 4);
    range_is(c, "far", 100000, 100003, "\0\0\0\0", 4);
    is_integer(cmd(c, "SETRANGE far 0 %b", "", (size_t)0), 4000003, "SETRANGE of nothing: its length");
    is_integer(cmd(c, "SETRANGE newkey 5 %b", "", (size_t)0), 0, "SETRANGE of nothing, no key: 0");
    is_integer(cmd(c, "EXISTS newkey"), 0, "  ... creates nothing");
}

static void test_reads_that_write(redisContext *c)
{
    redisReply *r;
    char num[300];

    r = cmd(c, "GETSET a small");
    ok(r && r->type == REDIS_REPLY_STRING && r->len == sizeof(a20k) &&
       memcmp(r->str, a20k, sizeof(a20k)) == 0, "GETSET returns the large value");
    freeReplyObject(r);
    is_str(cmd(c, "GET a"), "small", 5, "  ... and the value is small again");
    is_status(cmd(c, "SET a %b", a20k, sizeof(a20k)), "OK", "SET it large again");
    r = cmd(c, "GETEX a EX 1000");
    ok(r && r->type == REDIS_REPLY_STRING && r->len == sizeof(a20k), "GETEX EX of a large value");
    freeReplyObject(r);
    is_integer(cmd(c, "TTL a"), 1000, "  ... sets its TTL");
    freeReplyObject(cmd(c, "GETEX a PERSIST"));
    is_integer(cmd(c, "TTL a"), -1, "GETEX PERSIST clears it");
    get_is(c, "a", a20k, sizeof(a20k), "after GETEX");
    r = cmd(c, "MGET a nokey t");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->len == sizeof(a20k) &&
       memcmp(r->element[0]->str, a20k, sizeof(a20k)) == 0 &&
       r->element[1]->type == REDIS_REPLY_NIL && r->element[2]->len == 9003,
       "MGET with large values");
    freeReplyObject(r);
    is_error(cmd(c, "INCR a"), "ERR value is not an integer or out of range", "INCR of a large value");
    memset(num, '0', sizeof(num));
    num[sizeof(num) - 1] = '7';
    is_status(cmd(c, "SET n %b", num, sizeof(num)), "OK", "SET a 300-digit number");
    is_str(cmd(c, "INCRBYFLOAT n 1"), "8", 1, "INCRBYFLOAT reads it");
    is_status(cmd(c, "SET l1 %b", a20k, (size_t)600), "OK", "SET l1");
    is_status(cmd(c, "SET l2 %b", a20k + 100, (size_t)600), "OK", "SET l2");
    is_integer(cmd(c, "LCS l1 l2 LEN"), 500, "LCS of two fragmented values");
    r = cmd(c, "GETDEL t");
    ok(r && r->type == REDIS_REPLY_STRING && r->len == 9003, "GETDEL of a large value");
    freeReplyObject(r);
    is_integer(cmd(c, "EXISTS t"), 0, "  ... deletes it");
}

static void test_keys(redisContext *c)
{
    is_integer(cmd(c, "COPY a a2"), 1, "COPY of a large value");
    is_integer(cmd(c, "SETRANGE a2 0 Z"), 20000, "SETRANGE the copy");
    range_is(c, "a", 0, 0, a20k, 1);
    range_is(c, "a2", 0, 0, "Z", 1);
    range_is(c, "a2", 1, 19999, a20k + 1, 19999);
    is_status(cmd(c, "RENAME a2 a3"), "OK", "RENAME");
    is_integer(cmd(c, "STRLEN a3"), 20000, "  ... moves it");
    is_integer(cmd(c, "MOVE a3 1"), 1, "MOVE to db 1");
    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    range_is(c, "a3", 1, 19999, a20k + 1, 19999);
    is_integer(cmd(c, "DEL a3"), 1, "DEL");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_integer(cmd(c, "PEXPIRE s 100"), 1, "PEXPIRE a large value");
    ts_sleep_ms(300);
    is_integer(cmd(c, "EXISTS s"), 0, "  ... it expires");
    is_status(cmd(c, "SET shrink %b", a20k, sizeof(a20k)), "OK", "SET large");
    is_status(cmd(c, "SET shrink x"), "OK", "SET small over it");
    is_str(cmd(c, "GET shrink"), "x", 1, "  ... reads small");
    is_str(cmd(c, "OBJECT ENCODING shrink"), "embstr", 6, "  ... embstr again");
}

/* Field 'field' ("VmRSS", "VmHWM") of process 'pid''s status, in KB (0 if unknown). */
static long status_kb(pid_t pid, const char *field)
{
    char path[64], line[256], fmt[32];
    long kb = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    snprintf(fmt, sizeof(fmt), "%s: %%ld", field);
    f = fopen(path, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, fmt, &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static long rss_kb(pid_t pid)
{
    return status_kb(pid, "VmRSS");
}

/* Send 'n' requests queued on 'c' without reading any reply. */
static void send_only(redisContext *c)
{
    int done = 0;

    while (!done && redisBufferWrite(c, &done) == REDIS_OK)
        ;
}

/* A GET of a 48 MB value whose client does not read: the reply is the value as it was
 * when the GET ran, even though other clients change it meanwhile; the replies pipelined
 * behind it come after it, in order; and (omenkv) the server does not hold the value
 * whole in RAM meanwhile. */
static void test_streamed_get(struct tserver *s, redisContext *c)
{
    size_t len = (size_t)48 << 20;
    char *val = malloc(len);
    redisContext *a = ts_connect(s);
    redisReply *r = NULL;
    long before, during = 0;
    int same;

    for (size_t i = 0; i < len; i += sizeof(a20k))
        memcpy(val + i, a20k, len - i < sizeof(a20k) ? len - i : sizeof(a20k));
    before = s->pid ? rss_kb(s->pid) : 0;
    is_status(cmd(c, "SET huge %b", val, len), "OK", "SET a 48 MB value");
    if (s->pid && !TS_SANITIZED) /* the request is read into one buffer, used in place */
        ok(status_kb(s->pid, "VmHWM") - before < 86 * 1024, "the SET peaked at %ld KB over "
           "what the server held before (value 48 MB)", status_kb(s->pid, "VmHWM") - before);
    is_status(cmd(c, "SET after v1"), "OK", "SET after");
    before = s->pid ? rss_kb(s->pid) : 0;
    redisAppendCommand(a, "GET huge");
    redisAppendCommand(a, "GET after");
    redisAppendCommand(a, "STRLEN huge");
    send_only(a);
    ts_sleep_ms(300); /* the server runs the GET: its reply has begun */
    is_integer(cmd(c, "SETRANGE huge %d ZZZZ", 40 << 20), (long long)len, "another client changes it");
    is_integer(cmd(c, "SETRANGE huge 0 ZZZZ"), (long long)len, "  ... at both ends");
    is_status(cmd(c, "SET after v2"), "OK", "  ... and the key after it");
    if (s->pid) {
        during = rss_kb(s->pid);
        ok(during - before < 24 * 1024, "the server grew %ld KB while the reply waited (value "
           "48 MB)", during - before);
    }
    ok(redisGetReply(a, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_STRING &&
       r->len == len, "the streamed reply is whole");
    same = r && r->len == len && memcmp(r->str, val, len) == 0;
    ok(same, "  ... and is the value as it was when the GET ran");
    freeReplyObject(r);
    r = NULL;
    /* Redis ran the pipelined GET at once (v1); omenkv runs it once the streamed reply
     * has left (v2), as under its output backpressure: either is the same client's
     * request run at some moment after it was sent. The order is what counts. */
    ok(redisGetReply(a, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_STRING &&
       (strcmp(r->str, "v1") == 0 || strcmp(r->str, "v2") == 0),
       "the next reply comes after it, in order");
    freeReplyObject(r);
    r = NULL;
    ok(redisGetReply(a, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_INTEGER &&
       r->integer == (long long)len, "  ... and the one after that");
    freeReplyObject(r);
    r = cmd(c, "GETRANGE huge %d %d", 40 << 20, (40 << 20) + 3);
    ok(r && r->type == REDIS_REPLY_STRING && r->len == 4 && memcmp(r->str, "ZZZZ", 4) == 0,
       "the changes stand");
    freeReplyObject(r);
    is_integer(cmd(c, "DEL huge"), 1, "DEL the huge value");
    redisFree(a);
    free(val);
}

/* Write all of 'p'/'n' to socket 'fd'. 0, or -1. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read from 'fd' until 'want' bytes or the peer closes, at most 3 s. The bytes read. */
static size_t read_some(int fd, char *out, size_t cap)
{
    size_t n = 0;

    for (int i = 0; i < 30 && n < cap - 1; i++) {
        struct timeval tv = {0, 100000};
        fd_set rd;
        ssize_t r;

        FD_ZERO(&rd);
        FD_SET(fd, &rd);
        if (select(fd + 1, &rd, NULL, NULL, &tv) <= 0)
            continue;
        r = read(fd, out + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (memchr(out, '\n', n))
            break;
    }
    out[n] = 0;
    return n;
}

/* omenkv only: large requests being read share large-requests-max-memory; one that would
 * pass it is refused with an error and its client closed, the others go on. */
static void test_large_budget(struct tserver *s, redisContext *c)
{
    static const char err[] = "-ERR too much memory is held by large requests being read";
    size_t len = (size_t)30 << 20, part = (size_t)4 << 20;
    char hdr[128], out[256];
    char *chunk = calloc(1, len);
    int a = ts_raw_connect(s), b = ts_raw_connect(s);
    int hl = snprintf(hdr, sizeof(hdr), "*3\r\n$3\r\nSET\r\n$2\r\nla\r\n$%zu\r\n", len);

    is_status(cmd(c, "CONFIG SET large-requests-max-memory 40mb"), "OK",
              "CONFIG SET large-requests-max-memory 40mb");
    ok(a >= 0 && b >= 0 && write_all(a, hdr, (size_t)hl) == 0 && write_all(a, chunk, part) == 0,
       "client A sends the first 4 MB of a 30 MB SET");
    ts_sleep_ms(200);
    hl = snprintf(hdr, sizeof(hdr), "*3\r\n$3\r\nSET\r\n$2\r\nlb\r\n$%zu\r\n", len);
    ok(write_all(b, hdr, (size_t)hl) == 0 && write_all(b, chunk, 1024) == 0,
       "client B starts another 30 MB SET");
    read_some(b, out, sizeof(out));
    ok(strncmp(out, err, sizeof(err) - 1) == 0, "B is refused: %.80s", out);
    ok(write_all(a, chunk + part, len - part) == 0 && write_all(a, "\r\n", 2) == 0,
       "A sends the rest");
    read_some(a, out, sizeof(out));
    ok(strcmp(out, "+OK\r\n") == 0, "A's SET goes through");
    is_integer(cmd(c, "STRLEN la"), (long long)len, "  ... whole");
    is_integer(cmd(c, "EXISTS lb"), 0, "  ... and B's wrote nothing");
    is_status(cmd(c, "CONFIG SET large-requests-max-memory 0"), "OK", "back to the default");
    close(a);
    close(b);
    free(chunk);
}

/* omenkv only: a restart and a kill -9 keep every value; DEBUG CHECK counts fragments. */
static void test_restart(struct tserver *s, redisContext **c)
{
    is_status(cmd(*c, "DEBUG CHECK"), "OK", "DEBUG CHECK");
    redisFree(*c);
    ok(ts_stop(s) == 0 && ts_restart(s) == 0, "restart");
    *c = ts_connect(s);
    get_is(*c, "a", a20k, sizeof(a20k), "after a restart");
    range_is(*c, "far", 3999999, 4000002, "\0end", 4);
    is_integer(cmd(*c, "SETRANGE a 5000 acked"), 20000, "SETRANGE, acknowledged");
    redisFree(*c);
    ts_kill9(s);
    ok(ts_restart(s) == 0, "restart after kill -9");
    *c = ts_connect(s);
    range_is(*c, "a", 5000, 5004, "acked", 5);
    range_is(*c, "a", 0, 4999, a20k, 5000);
    is_status(cmd(*c, "DEBUG CHECK"), "OK", "DEBUG CHECK after kill -9");
}

int main(void)
{
    static const char *args[] = {"--string-fragment-threshold", "256", NULL};
    struct tserver s;
    redisContext *c;

    fill(a20k, sizeof(a20k), 7);
    fill(b9k, sizeof(b9k), 11);
    c = ts_begin(&s, args, 1);
    test_set_get(c);
    test_edits(c);
    test_reads_that_write(c);
    test_keys(c);
    test_streamed_get(&s, c);
    if (!s.external) {
        test_large_budget(&s, c);
        test_restart(&s, &c);
    }
    is_status(cmd(c, "PING"), "PONG", "the server still answers");
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
