/* harness.c - start, stop and talk to a real omenkv-server for integration tests (see
 * harness.h). Readiness is polled (PING every 20 ms up to 20 s), never assumed from a
 * sleep; each server gets its own free port and its own temp directory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "common/omk.h"
#include "tests/harness.h"
#include "tests/tap.h"

/* A loopback port that was free a moment ago (bind to 0, read it back, close). */
static int ts_free_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* 1 when the server answering on 'c' is process 'pid' (INFO server's process_id), 0 when
 * it is another process: a port found free a moment ago can be taken by another test's
 * server before ours binds it (several suites run at once on a shared machine). */
static int ts_is_own_server(redisContext *c, pid_t pid)
{
    redisReply *r = redisCommand(c, "INFO server");
    const char *f = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "process_id:") : NULL;
    int own = f && atol(f + strlen("process_id:")) == (long)pid;

    freeReplyObject(r);
    return own;
}

/* Poll PING until the server answers; 0 when ready, -1 if it died or timed out, 1 if
 * another process answers on its port (the caller starts it again on another port). */
static int ts_wait_ready(struct tserver *s)
{
    struct timeval tv = {1, 0};

    for (int i = 0; i < 1000; i++) {
        redisContext *c = redisConnectWithTimeout(s->host, s->port, tv);

        if (c && !c->err) {
            redisReply *r = redisCommand(c, "PING");
            int ok_ = r && (r->type == REDIS_REPLY_STATUS ||
                            (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOAUTH", 6)));
            int own = ok_ && (r->type != REDIS_REPLY_STATUS || ts_is_own_server(c, s->pid));

            freeReplyObject(r);
            redisFree(c);
            if (ok_ && !own) {
                diag("port %d is another process' (not server %ld): starting again", s->port,
                     (long)s->pid);
                ts_kill9(s);
                return 1;
            }
            if (ok_)
                return 0;
        } else if (c) {
            redisFree(c);
        }
        if (s->pid && waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            diag("server exited during start-up; log %s:", s->log);
            ts_system("tail -20 %s | sed 's/^/#   /'", s->log);
            s->pid = 0;
            return -1;
        }
        ts_sleep_ms(20);
    }
    diag("server did not answer PING within 20 s");
    return -1;
}

/* Fork and exec the server binary on s->dir and a fresh port; wait until it answers. */
static int ts_spawn_once(struct tserver *s)
{
    const char *bin = getenv("OMK_SERVER");
    char port[16];
    const char *argv[64];
    int n = 0;

    if (!bin)
        bin = "daemon/omenkv-server";
    s->port = ts_free_port();
    snprintf(port, sizeof(port), "%d", s->port);
    argv[n++] = bin;
    if (s->conf)
        argv[n++] = s->conf;
    argv[n++] = "--port";
    argv[n++] = port;
    argv[n++] = "--bind";
    argv[n++] = "127.0.0.1";
    argv[n++] = "--dir";
    argv[n++] = s->dir;
    argv[n++] = "--io-threads";
    argv[n++] = "2";
    argv[n++] = "--enable-debug-command";
    argv[n++] = "yes";
    argv[n++] = "--logfile";
    argv[n++] = s->log;
    for (int i = 0; s->args && s->args[i] && n < 62; i++)
        argv[n++] = s->args[i];
    argv[n] = NULL;
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0) {
        int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    return ts_wait_ready(s);
}

/* ts_spawn_once, on another fresh port while another process took the one found. 0 when
 * our server answers, -1 if it could not start. */
static int ts_spawn(struct tserver *s)
{
    int rc = 1;

    for (int attempt = 0; attempt < 5 && rc == 1; attempt++)
        rc = ts_spawn_once(s);
    return rc == 0 ? 0 : -1;
}

int ts_start(struct tserver *s, const char **args)
{
    const char *ext = getenv("OMK_TEST_SERVER");

    memset(s, 0, sizeof(*s));
    s->args = args;
    if (ext && *ext) {
        const char *colon = strrchr(ext, ':');

        s->external = 1;
        snprintf(s->host, sizeof(s->host), "%.*s", colon ? (int)(colon - ext) : 9,
                 colon ? ext : "127.0.0.1");
        s->port = colon ? atoi(colon + 1) : 6379;
        return 0;
    }
    snprintf(s->host, sizeof(s->host), "127.0.0.1");
    snprintf(s->dir, sizeof(s->dir), "/tmp/omk-test-XXXXXX");
    if (!mkdtemp(s->dir)) {
        diag("mkdtemp: %s", strerror(errno));
        return -1;
    }
    snprintf(s->log, sizeof(s->log), "%s.log", s->dir);
    return ts_spawn(s);
}

int ts_start_conf(struct tserver *s, const char *conf, const char **args)
{
    const char *ext = getenv("OMK_TEST_SERVER");

    if (ext && *ext)
        return ts_start(s, args);
    memset(s, 0, sizeof(*s));
    s->args = args;
    s->conf = conf;
    snprintf(s->host, sizeof(s->host), "127.0.0.1");
    snprintf(s->dir, sizeof(s->dir), "/tmp/omk-test-XXXXXX");
    if (!mkdtemp(s->dir)) {
        diag("mkdtemp: %s", strerror(errno));
        return -1;
    }
    snprintf(s->log, sizeof(s->log), "%s.log", s->dir);
    return ts_spawn(s);
}

int ts_restart(struct tserver *s)
{
    if (s->external)
        return 0;
    if (s->pid)
        ts_stop(s);
    return ts_spawn(s);
}

int ts_stop(struct tserver *s)
{
    int status = -1;

    if (!s->pid)
        return -1;
    kill(s->pid, SIGTERM);
    for (int i = 0; i < 3000; i++) { /* 30 s, then give up politely */
        pid_t r = waitpid(s->pid, &status, WNOHANG);

        if (r == s->pid) {
            s->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        ts_sleep_ms(10);
    }
    diag("server ignored SIGTERM for 30 s; killing it");
    ts_kill9(s);
    return -1;
}

void ts_kill9(struct tserver *s)
{
    if (!s->pid)
        return;
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

void ts_cleanup(struct tserver *s)
{
    if (s->external)
        return;
    if (s->pid)
        ts_stop(s);
    if (s->dir[0] && !getenv("OMK_KEEP_DATA"))
        ts_system("rm -rf '%s' '%s'", s->dir, s->log);
}

redisContext *ts_connect(const struct tserver *s)
{
    struct timeval tv = {10, 0};
    redisContext *c = redisConnectWithTimeout(s->host, s->port, tv);

    if (!c || c->err) {
        printf("Bail out! cannot connect to %s:%d: %s\n", s->host, s->port, c ? c->errstr : "?");
        exit(1);
    }
    redisSetTimeout(c, (struct timeval){60, 0});
    return c;
}

int ts_raw_connect(const struct tserver *s)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)s->port);
    inet_pton(AF_INET, s->host, &sa.sin_addr);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

size_t ts_raw_roundtrip(const struct tserver *s, const void *req, size_t len, char *out, size_t cap,
                        size_t want, int timeout_ms, int *closed)
{
    int fd = ts_raw_connect(s);
    size_t got = 0, sent = 0;

    *closed = 0;
    out[0] = '\0';
    if (fd < 0)
        return 0;
    while (sent < len) {
        ssize_t w = write(fd, (const char *)req + sent, len - sent);

        if (w <= 0)
            break;
        sent += (size_t)w;
    }
    while (got + 1 < cap && got < want) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t r;

        if (poll(&p, 1, timeout_ms) <= 0)
            break;
        r = read(fd, out + got, cap - 1 - got);
        if (r <= 0) {
            *closed = 1;
            break;
        }
        got += (size_t)r;
    }
    if (!*closed && got >= want) {
        /* See whether the server closes right after (protocol errors). */
        struct pollfd p = {fd, POLLIN, 0};

        if (poll(&p, 1, 200) > 0) {
            char tmp[64];

            if (read(fd, tmp, sizeof(tmp)) == 0)
                *closed = 1;
        }
    }
    out[got] = '\0';
    close(fd);
    return got;
}

redisReply *cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    return r;
}

int ts_system(const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fflush(stdout);
    rc = system(buf);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

void ts_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

long long ts_info_field(redisContext *c, const char *section, const char *name)
{
    redisReply *r = cmd(c, "INFO %s", section);
    long long v = -1;
    char pat[128];
    const char *p;

    snprintf(pat, sizeof(pat), "\r\n%s:", name);
    if (r && r->type == REDIS_REPLY_STRING && (p = strstr(r->str, pat)) != NULL)
        v = strtoll(p + strlen(pat), NULL, 10);
    freeReplyObject(r);
    return v;
}

int ts_read_replies(redisContext *c, int n, int type)
{
    int bad = 0;

    for (int i = 0; i < n; i++) {
        redisReply *r = NULL;

        if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type != type)
            bad++;
        freeReplyObject(r);
    }
    return bad;
}

long ts_scan_all(redisContext *c, const char *const *opts, ts_key_fn *fn, void *arg,
                 int pause_us)
{
    const char *argv[16];
    char cursor[32] = "0";
    long calls = 0;
    int argc = 0;

    argv[argc++] = "SCAN";
    argv[argc++] = cursor;
    while (opts && *opts && argc < 16)
        argv[argc++] = *opts++;
    do {
        redisReply *r = redisCommandArgv(c, argc, argv, NULL);
        unsigned long long v;

        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[0]->type != REDIS_REPLY_STRING || r->element[0]->len >= sizeof(cursor) ||
            !omk_str2ull(r->element[0]->str, r->element[0]->len, &v) ||
            r->element[1]->type != REDIS_REPLY_ARRAY) {
            diag("  SCAN %s: unexpected reply", cursor);
            ts_diag_reply(r);
            freeReplyObject(r);
            return -1;
        }
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            redisReply *k = r->element[1]->element[i];

            if (k->type != REDIS_REPLY_STRING) {
                diag("  SCAN returned a non-string key");
                freeReplyObject(r);
                return -1;
            }
            fn(arg, k->str, k->len);
        }
        memcpy(cursor, r->element[0]->str, r->element[0]->len);
        cursor[r->element[0]->len] = '\0';
        freeReplyObject(r);
        if (pause_us)
            nanosleep(&(struct timespec){0, pause_us * 1000L}, NULL);
    } while (strcmp(cursor, "0") && ++calls < 100000);
    if (strcmp(cursor, "0")) {
        diag("  SCAN did not finish within %ld calls", calls);
        return -1;
    }
    return calls + 1;
}
