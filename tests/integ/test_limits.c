/* test_limits.c - the limits that protect the server from hostile and careless
 * clients, each against a real server: maxclients (the next connection gets Redis'
 * error), timeout (idle clients, and clients that stop reading their replies, are
 * closed), client-query-buffer-limit (a declared size past it, an endless multibulk and
 * an endless inline line are cut off, memory stays flat), bulk and multibulk limits,
 * huge headers before AUTH, client-output-buffer-limit for normal clients (hard and
 * soft), backpressure (a client that pipelines GETs of a 1 MB value and does not read
 * holds the server's memory to a few MB, then gets every reply intact), and
 * protected-mode (a non-loopback peer gets Redis' DENIED error unless a password is
 * set or protected mode is off; skipped when this machine has no non-loopback IPv4
 * address). Memory is the server's VmRSS. Needs its own servers: skipped against an
 * external one (OMK_TEST_SERVER). */
#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/omk.h"
#include "tests/harness.h"
#include "tests/integ/tproc.h"

#define BIG_LEN (1024 * 1024) /* the large value the output tests GET */

/* A TCP connection to 'ip':'port' with a receive buffer of 'rcvbuf' bytes (0: the
 * default), so that a client that does not read leaves the replies in the server.
 * Returns the socket or -1. */
static int connect_to(const char *ip, int port, int rcvbuf)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Start a server with 'args'; on failure report it and return -1. */
static int start(struct tserver *s, const char **args, const char *what)
{
    if (ts_start(s, args) != 0) {
        ok(0, "server for %s starts", what);
        return -1;
    }
    return 0;
}

/* SET 'key' to BIG_LEN bytes of a pattern; returns the bytes (freed with omk_free). */
static char *set_big(redisContext *c, const char *key)
{
    char *big = omk_malloc(BIG_LEN);

    for (size_t i = 0; i < BIG_LEN; i++)
        big[i] = (char)('a' + (i * 7 + i / 4096) % 26);
    is_status(cmd(c, "SET %s %b", key, big, (size_t)BIG_LEN), "OK", "SET a 1 MB value");
    return big;
}

/* Send 'n' pipelined "GET big" (plus 'tail') on 'fd'. 0 or -1. */
static int pipeline_gets(int fd, int n, const char *tail)
{
    size_t len = (size_t)n * 9 + strlen(tail);
    char *req = omk_malloc(len + 1);
    int rc;

    for (int i = 0; i < n; i++)
        memcpy(req + (size_t)i * 9, "GET big\r\n", 9);
    memcpy(req + (size_t)n * 9, tail, strlen(tail));
    rc = tp_send_all(fd, req, len, 2000);
    omk_free(req);
    return rc;
}

/* Connect, send 'req', and read what comes until the server closes or is silent for
 * 2 s; returns the bytes read into 'out' (NUL-terminated), '*closed' whether it closed.
 * Unlike ts_raw_roundtrip, a reset counts as closed. */
static size_t expect_closed_with(const struct tserver *s, const char *req, char *out, size_t cap,
                                 int *closed)
{
    int fd = ts_raw_connect(s);
    size_t n = 0;

    *closed = 0;
    out[0] = '\0';
    if (fd < 0)
        return 0;
    if (tp_send_all(fd, req, strlen(req), 2000) == 0 || *req == '\0')
        n = tp_read_upto(fd, out, cap - 1, 2000, closed);
    out[n] = '\0';
    close(fd);
    return n;
}

/* Send 'req' on a new connection: the server must reply exactly 'want' and close. */
static void refused_with(const struct tserver *s, const char *req, const char *want,
                         const char *name)
{
    char out[512];
    int closed;

    expect_closed_with(s, req, out, sizeof(out), &closed);
    if (!ok(closed && !strcmp(out, want), "%s", name))
        diag("  got '%s' (closed=%d)", out, closed);
}

/* ---- maxclients ---- */

/* A hiredis connection that the server accepted (PING answered); retries for 2 s while
 * the server still counts a client that just left. NULL if never. */
static redisContext *connect_accepted(const struct tserver *s)
{
    for (int i = 0; i < 100; i++) {
        redisContext *c = ts_connect(s);
        redisReply *r = cmd(c, "PING");
        int good = r && r->type == REDIS_REPLY_STATUS;

        freeReplyObject(r);
        if (good)
            return c;
        redisFree(c);
        tp_sleep_ms(20);
    }
    return NULL;
}

/* maxclients 3: a fourth connection gets Redis' error and is closed; CONFIG SET raises it. */
static void test_maxclients(void)
{
    static const char want[] = "-ERR max number of clients reached\r\n";
    const char *args[] = {"--maxclients", "3", NULL};
    struct tserver s;
    redisContext *c[3];
    char out[256];
    int closed, all = 1;
    size_t n;

    if (start(&s, args, "maxclients") != 0)
        return;
    for (int i = 0; i < 3; i++)
        all &= (c[i] = connect_accepted(&s)) != NULL;
    ok(all, "maxclients 3: three clients connect");
    if (!all) {
        ts_cleanup(&s);
        return;
    }
    n = expect_closed_with(&s, "", out, sizeof(out), &closed);
    ok(n == sizeof(want) - 1 && !memcmp(out, want, n) && closed,
       "the fourth gets '-ERR max number of clients reached' and is closed");
    if (n != sizeof(want) - 1 || memcmp(out, want, n) != 0)
        diag("  got '%s' (closed=%d)", out, closed);
    ok(ts_info_field(c[0], "stats", "rejected_connections") >= 1,
       "INFO counts the rejected connection");
    redisFree(c[2]);
    c[2] = connect_accepted(&s);
    ok(c[2] != NULL, "after one leaves, a new client is accepted");
    is_status(cmd(c[0], "CONFIG SET maxclients 4"), "OK", "CONFIG SET maxclients 4");
    {
        redisContext *d = connect_accepted(&s);

        ok(d != NULL, "then a fourth client is accepted");
        if (d)
            redisFree(d);
    }
    for (int i = 0; i < 3; i++)
        if (c[i])
            redisFree(c[i]);
    ts_cleanup(&s);
}

/* ---- timeout ---- */

/* timeout 1: idle clients and clients that stop reading are closed; busy ones stay. */
static void test_timeout(void)
{
    const char *args[] = {"--timeout", "1", NULL};
    struct tserver s;
    redisContext *busy, *setup;
    int idle, stuck, closed, good = 0;
    size_t got;
    char *big;

    if (start(&s, args, "timeout") != 0)
        return;
    setup = ts_connect(&s);
    big = set_big(setup, "big");
    redisFree(setup);
    idle = ts_raw_connect(&s);
    busy = ts_connect(&s);
    stuck = connect_to(s.host, s.port, 4096);
    ok(idle >= 0 && stuck >= 0 && tp_send_all(idle, "PING\r\n", 6, 2000) == 0,
       "timeout 1: clients connect");
    ok(pipeline_gets(stuck, 40, "") == 0, "a client pipelines 40 GETs of 1 MB, reads nothing");
    for (int i = 0; i < 12; i++) {
        redisReply *r = cmd(busy, "PING");

        good += r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
        tp_sleep_ms(250);
    }
    is_int(good, 12, "a client that sends a command every 250 ms stays connected for 3 s");
    got = tp_read_upto(idle, NULL, 1 << 20, 2000, &closed);
    ok(closed && got == 7, "the idle client was closed after its PONG");
    got = tp_read_upto(stuck, NULL, (size_t)60 << 20, 2000, &closed);
    ok(closed && got < 40 * (size_t)(BIG_LEN + 12),
       "the client that stopped reading was closed (%zu of %zu bytes sent)", got,
       40 * (size_t)(BIG_LEN + 12));
    close(idle);
    close(stuck);
    redisFree(busy);
    omk_free(big);
    ts_cleanup(&s);
}

/* ---- query buffer, bulk and multibulk limits ---- */

/* Send an endless stream made of 'unit' after 'head' until the server closes or
 * 'max' bytes went; returns the bytes sent, '*closed' whether the server closed. */
static size_t send_endless(const struct tserver *s, const char *head, const char *unit,
                           size_t max, int *closed)
{
    int fd = ts_raw_connect(s);
    size_t ulen = strlen(unit), chunk_len = 65536 / ulen * ulen, sent = 0;
    char *chunk = omk_malloc(chunk_len);

    *closed = 0;
    for (size_t i = 0; i < chunk_len; i += ulen)
        memcpy(chunk + i, unit, ulen);
    if (fd < 0 || tp_send_all(fd, head, strlen(head), 2000) != 0) {
        *closed = 1;
    } else {
        while (sent < max) {
            if (tp_send_all(fd, chunk, chunk_len, 2000) != 0) {
                *closed = 1;
                break;
            }
            sent += chunk_len;
        }
    }
    if (fd >= 0)
        close(fd);
    omk_free(chunk);
    return sent;
}

/* client-query-buffer-limit 1mb and the protocol's size limits, with memory watched. */
static void test_query_limits(void)
{
    const char *args[] = {"--client-query-buffer-limit", "1mb", NULL};
    struct tserver s;
    char out[256];
    int closed;
    size_t n, sent;
    long rss0, rss1;

    if (start(&s, args, "client-query-buffer-limit 1mb") != 0)
        return;
    rss0 = tp_rss_kb(s.pid);
    n = expect_closed_with(&s, "*1\r\n$2000000\r\nxx", out, sizeof(out), &closed);
    ok(n == 0 && closed, "a 2 MB argument is refused at its header: closed, no reply");
    ok(tp_log_has(&s, "Closing client that reached max query buffer length"),
       "the log says why");
    sent = send_endless(&s, "*2000000000\r\n", "$1\r\na\r\n", (size_t)256 << 20, &closed);
    ok(closed, "an endless multibulk is cut off (after %zu bytes sent)", sent);
    refused_with(&s, "*1\r\n$2147483648\r\n", "-ERR Protocol error: invalid bulk length\r\n",
                 "a bulk length past 2^31 is a protocol error");
    {
        /* An inline line without its newline: cut at 64 KB, as Redis. */
        static const char want[] = "-ERR Protocol error: too big inline request\r\n";
        int fd = ts_raw_connect(&s);
        char *line = omk_malloc(200000);

        memset(line, 'x', 200000);
        memcpy(line, "SET k ", 6);
        tp_send_all(fd, line, 200000, 2000);
        n = tp_read_upto(fd, out, sizeof(out) - 1, 2000, &closed);
        out[n] = '\0';
        ok(closed && !strcmp(out, want), "an endless inline line: '%.44s', closed", want);
        close(fd);
        omk_free(line);
    }
    refused_with(&s, "*2147483648\r\n", "-ERR Protocol error: invalid multibulk length\r\n",
                 "a multibulk count past INT_MAX is a protocol error");
    rss1 = tp_rss_kb(s.pid);
    ok(rss0 > 0 && rss1 - rss0 < 32 * 1024,
       "server memory stayed flat through the floods (VmRSS %ld -> %ld kB)", rss0, rss1);
    {
        redisContext *c = ts_connect(&s);

        is_status(cmd(c, "PING"), "PONG", "and it still serves");
        redisFree(c);
    }
    ts_cleanup(&s);
}

/* proto-max-bulk-len at run time: one byte past it is refused, exactly it passes. */
static void test_bulk_limit(void)
{
    struct tserver s;
    redisContext *c;
    char out[256], *req;
    int closed;
    size_t n, len = 1024 * 1024, hlen;

    if (start(&s, NULL, "proto-max-bulk-len") != 0)
        return;
    c = ts_connect(&s);
    is_status(cmd(c, "CONFIG SET proto-max-bulk-len 1mb"), "OK",
              "CONFIG SET proto-max-bulk-len 1mb");
    refused_with(&s, "*1\r\n$1048577\r\n", "-ERR Protocol error: invalid bulk length\r\n",
                 "a bulk of 1 MB + 1 is refused");
    req = omk_malloc(len + 64);
    hlen = (size_t)snprintf(req, 64, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%zu\r\n", len);
    memset(req + hlen, 'z', len);
    memcpy(req + hlen + len, "\r\n", 2);
    n = ts_raw_roundtrip(&s, req, hlen + len + 2, out, sizeof(out), 5, 5000, &closed);
    ok(n == 5 && !memcmp(out, "+OK\r\n", 5) && !closed, "a bulk of exactly 1 MB is accepted");
    omk_free(req);
    redisFree(c);
    ts_cleanup(&s);
}

/* Before AUTH: huge headers are refused at once, memory does not move. */
static void test_unauth(void)
{
    const char *args[] = {"--requirepass", "pw", NULL};
    struct tserver s;
    char out[256];
    int closed;
    size_t n;
    long rss0;

    if (start(&s, args, "requirepass") != 0)
        return;
    rss0 = tp_rss_kb(s.pid);
    refused_with(&s, "*1000000000\r\n",
                 "-ERR Protocol error: unauthenticated multibulk length\r\n",
                 "unauthenticated *1000000000: refused and closed");
    refused_with(&s, "*1\r\n$100000000\r\n",
                 "-ERR Protocol error: unauthenticated bulk length\r\n",
                 "unauthenticated $100000000 (100 MB): refused and closed");
    n = ts_raw_roundtrip(&s, "*10\r\n$5\r\nhello\r\n", 16, out, sizeof(out), 1, 300, &closed);
    ok(n == 0 && !closed, "ten elements are still allowed before AUTH (waits for more)");
    ok(tp_rss_kb(s.pid) - rss0 < 8 * 1024, "no memory taken by the huge headers");
    ts_cleanup(&s);
}

/* ---- output buffers ---- */

/* Read replies of "GET big" from 'fd' and check each against 'big'; returns how many
 * came intact before anything else (a PONG counts in '*pong'). */
static int read_big_replies(int fd, const char *big, int max, int *pong)
{
    size_t cap = BIG_LEN + 64;
    char *buf = omk_malloc(cap);
    int good = 0, closed;
    char hdr[16];

    snprintf(hdr, sizeof(hdr), "$%d\r\n", BIG_LEN);
    *pong = 0;
    while (good < max) {
        size_t want = strlen(hdr) + BIG_LEN + 2;
        size_t n = tp_read_upto(fd, buf, want, 5000, &closed);

        if (n != want || memcmp(buf, hdr, strlen(hdr)) != 0 ||
            memcmp(buf + strlen(hdr), big, BIG_LEN) != 0 ||
            memcmp(buf + want - 2, "\r\n", 2) != 0)
            break;
        good++;
    }
    if (good == max) {
        size_t n = tp_read_upto(fd, buf, 7, 5000, &closed);

        *pong = n == 7 && !memcmp(buf, "+PONG\r\n", 7);
    }
    omk_free(buf);
    return good;
}

/* Backpressure with no limit set, then the hard and the soft client-output-buffer-limit. */
static void test_output_limits(void)
{
    struct tserver s;
    redisContext *c;
    char *big;
    int fd, closed, good, pong;
    size_t got;
    long rss0, rss1;
    redisReply *r;

    if (start(&s, NULL, "client-output-buffer-limit") != 0)
        return;
    c = ts_connect(&s);
    big = set_big(c, "big");
    r = cmd(c, "CONFIG GET client-output-buffer-limit");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           !strcmp(r->element[1]->str,
                   "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
       "CONFIG GET client-output-buffer-limit: Redis' default");
    freeReplyObject(r);

    /* Backpressure with no limit set: the server stops reading, memory stays flat. */
    rss0 = tp_rss_kb(s.pid);
    fd = connect_to(s.host, s.port, 4096);
    ok(pipeline_gets(fd, 200, "PING\r\n") == 0,
       "a client pipelines 200 GETs of a 1 MB value and a PING, then reads nothing for 2 s");
    tp_sleep_ms(2000);
    rss1 = tp_rss_kb(s.pid);
    ok(rss1 - rss0 < 40 * 1024,
       "the server holds a few MB for it, not 200 MB (VmRSS %ld -> %ld kB)", rss0, rss1);
    good = read_big_replies(fd, big, 200, &pong);
    ok(good == 200 && pong, "then it reads all 200 replies intact and the PONG (%d)", good);
    close(fd);

    /* Hard limit: past it the client is closed at once, with Redis' log line. */
    is_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 2mb 0 0"), "OK",
              "CONFIG SET client-output-buffer-limit normal 2mb 0 0");
    fd = connect_to(s.host, s.port, 4096);
    pipeline_gets(fd, 8, "");
    got = tp_read_upto(fd, NULL, (size_t)16 << 20, 2000, &closed);
    ok(closed && got < 8 * (size_t)(BIG_LEN + 12),
       "a client that pipelines 8 GETs of 1 MB without reading is closed (%zu bytes sent)", got);
    close(fd);
    ok(tp_log_has(&s, "scheduled to be closed ASAP for overcoming of output buffer limits"),
       "the log says: closed for overcoming of output buffer limits");
    {
        redisContext *d = ts_connect(&s);
        int fine = 0;

        for (int i = 0; i < 8; i++) {
            r = cmd(d, "GET big");
            fine += r && r->type == REDIS_REPLY_STRING && r->len == BIG_LEN;
            freeReplyObject(r);
        }
        is_int(fine, 8, "a client that reads each reply gets all 8 under the same limit");
        r = cmd(d, "MGET big big big");
        ok(!r || d->err, "one reply of 3 MB passes the 2 MB hard limit: that client is closed");
        freeReplyObject(r);
        redisFree(d);
    }

    /* Soft limit: above it for longer than its seconds. */
    is_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 0 2mb 1"), "OK",
              "CONFIG SET client-output-buffer-limit normal 0 2mb 1");
    {
        redisContext *d = ts_connect(&s);
        int fine = 0;

        for (int i = 0; i < 2; i++) {
            r = cmd(d, "MGET big big big");
            fine += r && r->type == REDIS_REPLY_ARRAY && r->elements == 3;
            freeReplyObject(r);
            tp_sleep_ms(1200);
        }
        is_int(fine, 2, "a client above the soft limit for a moment, twice, keeps its connection");
        redisFree(d);
    }
    fd = connect_to(s.host, s.port, 4096);
    pipeline_gets(fd, 5, "");
    tp_sleep_ms(1500);
    pipeline_gets(fd, 1, "");
    got = tp_read_upto(fd, NULL, (size_t)16 << 20, 2000, &closed);
    ok(closed && got < 6 * (size_t)(BIG_LEN + 12),
       "a client above the soft limit for over 1 s is closed (%zu bytes sent)", got);
    close(fd);
    is_status(cmd(c, "PING"), "PONG", "the server serves on");
    redisFree(c);
    omk_free(big);
    ts_cleanup(&s);
}

/* ---- protected mode ---- */

/* A non-loopback IPv4 address of an interface of this machine that is up, in 'ip';
 * 0 if there is none. */
static int local_nonloopback_ip(char *ip, size_t len)
{
    struct ifaddrs *ifa, *i;
    int found = 0;

    if (getifaddrs(&ifa) != 0)
        return 0;
    for (i = ifa; i && !found; i = i->ifa_next) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)(void *)i->ifa_addr;

        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
            (i->ifa_flags & IFF_LOOPBACK) || (ntohl(sin->sin_addr.s_addr) >> 24) == 127)
            continue;
        found = inet_ntop(AF_INET, &sin->sin_addr, ip, (socklen_t)len) != NULL;
    }
    freeifaddrs(ifa);
    return found;
}

/* Connect to 'ip' on the server's port, send PING and read the reply into 'out'. */
static size_t ping_from(const struct tserver *s, const char *ip, char *out, size_t cap,
                        int *closed)
{
    int fd = connect_to(ip, s->port, 0);
    size_t n = 0;

    *closed = 1;
    out[0] = '\0';
    if (fd < 0)
        return 0;
    tp_send_all(fd, "PING\r\n", 6, 2000);
    n = tp_read_upto(fd, out, cap - 1, 1000, closed);
    out[n] = '\0';
    close(fd);
    return n;
}

/* protected-mode from a non-loopback address of this machine: DENIED, then let in once
 * protected mode is off or a password is set. */
static void test_protected_mode(void)
{
    char ip[INET_ADDRSTRLEN], bind[64], out[2048];
    const char *args[] = {"--bind", bind, NULL};
    struct tserver s;
    redisContext *c;
    int closed;

    if (!local_nonloopback_ip(ip, sizeof(ip))) {
        skip("protected-mode: this machine has no non-loopback IPv4 address");
        return;
    }
    snprintf(bind, sizeof(bind), "127.0.0.1 %s", ip);
    if (start(&s, args, "protected-mode") != 0)
        return;
    c = ts_connect(&s);
    ping_from(&s, ip, out, sizeof(out), &closed);
    ok(!strncmp(out, "-DENIED Redis is running in protected mode because protected mode is "
                     "enabled and no password is set for the default user.", 121) &&
           strstr(out, "accepting connections from the outside.\r\n") && closed,
       "protected mode: a client from %s gets Redis' DENIED error and is closed", ip);
    ok(tp_log_has(&s, "Protected mode: refused a connection from"), "the log says so");
    is_status(cmd(c, "PING"), "PONG", "a loopback client is served");
    is_status(cmd(c, "CONFIG SET protected-mode no"), "OK", "CONFIG SET protected-mode no");
    ping_from(&s, ip, out, sizeof(out), &closed);
    ok(!strcmp(out, "+PONG\r\n"), "then the client from %s is served", ip);
    is_status(cmd(c, "CONFIG SET protected-mode yes"), "OK", "CONFIG SET protected-mode yes");
    is_status(cmd(c, "CONFIG SET requirepass pw"), "OK", "CONFIG SET requirepass pw");
    ping_from(&s, ip, out, sizeof(out), &closed);
    ok(!strcmp(out, "-NOAUTH Authentication required.\r\n") && !closed,
       "with a password set, the client from %s is let in and asked to AUTH", ip);
    redisFree(c);
    ts_cleanup(&s);
}

int main(void)
{
    if (getenv("OMK_TEST_SERVER"))
        return tap_skip_all("needs servers of its own (OMK_TEST_SERVER is set)");
    test_maxclients();
    test_timeout();
    test_query_limits();
    test_bulk_limit();
    test_unauth();
    test_output_limits();
    test_protected_mode();
    return tap_done();
}
