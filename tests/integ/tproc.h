/* tproc.h - what the reliability tests (test_limits, test_load, test_diskfull,
 * test_hostile, test_index_file) read about a running test server besides its replies:
 * its resident memory and its log.
 * Header only, on top of tests/harness.h; each function is static and marked unused. */
#ifndef OMK_TESTS_INTEG_TPROC_H
#define OMK_TESTS_INTEG_TPROC_H

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness.h"

/* VmRSS of process 'pid' in kB, from /proc/<pid>/status; -1 if unreadable. */
__attribute__((unused)) static long tp_rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

/* How many lines of the server's log contain 'needle' (the log spans its restarts). */
__attribute__((unused)) static int tp_log_count(const struct tserver *s, const char *needle)
{
    FILE *f = fopen(s->log, "r");
    char line[4096];
    int n = 0;

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* Whether the server's log file contains 'needle'. */
__attribute__((unused)) static int tp_log_has(const struct tserver *s, const char *needle)
{
    return tp_log_count(s, needle) > 0;
}

/* Sleep 'ms' milliseconds. */
__attribute__((unused)) static void tp_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Write all of 'p'/'n' to 'fd'. Returns 0, or -1 once the peer is gone (EPIPE,
 * ECONNRESET) or the write stalls for 'stall_ms' (the peer stopped reading). */
__attribute__((unused)) static int tp_send_all(int fd, const void *p, size_t n, int stall_ms)
{
    size_t off = 0;

    while (off < n) {
        struct pollfd pf = {fd, POLLOUT, 0};
        ssize_t w;

        if (poll(&pf, 1, stall_ms) <= 0)
            return -1;
        w = send(fd, (const char *)p + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return 0;
}

/* Read from 'fd' until 'cap' bytes (into 'buf', which may be NULL to discard), the peer
 * closes, or nothing comes for 'idle_ms'. Returns the bytes read; '*closed' tells
 * whether the peer closed (EOF or reset). */
__attribute__((unused)) static size_t tp_read_upto(int fd, char *buf, size_t cap, int idle_ms,
                                                   int *closed)
{
    static char sink[65536];
    size_t got = 0;

    *closed = 0;
    while (got < cap) {
        struct pollfd pf = {fd, POLLIN, 0};
        size_t want = cap - got;
        ssize_t r;

        if (poll(&pf, 1, idle_ms) <= 0)
            break;
        if (!buf && want > sizeof(sink))
            want = sizeof(sink);
        r = recv(fd, buf ? buf + got : sink, want, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            *closed = 1;
            break;
        }
        got += (size_t)r;
    }
    return got;
}

#endif
