/* traw.h - what the tests that speak RESP on a raw socket share (test_pubsub,
 * test_tracking: pushes and subscribed-mode replies hiredis 0.14 cannot parse): send a
 * command line, read bytes with a deadline, expect exact bytes. Header only; each
 * function is static and marked unused. */
#ifndef OMK_TESTS_INTEG_TRAW_H
#define OMK_TESTS_INTEG_TRAW_H

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"

/* Send the words of 'line' (split at spaces) as one RESP request on raw socket 'fd'. */
__attribute__((unused)) static void px_send(int fd, const char *line)
{
    char buf[8192], words[4096], *save = NULL, *w;
    const char *argv[64];
    int argc = 0;
    size_t n;

    snprintf(words, sizeof(words), "%s", line);
    for (w = strtok_r(words, " ", &save); w && argc < 64; w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    n = (size_t)snprintf(buf, sizeof(buf), "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "$%zu\r\n%s\r\n", strlen(argv[i]),
                              argv[i]);
    if (write(fd, buf, n) != (ssize_t)n)
        diag("short write");
}

/* Read up to 'want' bytes from 'fd' into 'out' (cap > want), waiting at most
 * 'timeout_ms' for each read. Returns the bytes read; '*eof' (unless NULL) is set if
 * the peer closed or the read failed. */
__attribute__((unused)) static size_t px_read(int fd, char *out, size_t want, int timeout_ms,
                                              int *eof)
{
    size_t got = 0;
    int closed = 0;

    while (got < want) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t r;

        if (poll(&p, 1, timeout_ms) <= 0)
            break;
        r = read(fd, out + got, want - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            closed = 1;
            break;
        }
        got += (size_t)r;
    }
    out[got] = '\0';
    if (eof)
        *eof = closed;
    return got;
}

/* Expect exactly the bytes 'want' next on 'fd' (waiting up to 10 s for them: a push
 * from another worker or from active expiry may take a while on a loaded machine). */
__attribute__((unused)) static void px_expect(int fd, const char *want, const char *name)
{
    char out[8192];
    size_t n = px_read(fd, out, strlen(want), 10000, NULL);

    if (!ok(n == strlen(want) && !memcmp(out, want, n), "%s", name))
        diag("  got %zu bytes '%s', want '%s'", n, out, want);
}

#endif
