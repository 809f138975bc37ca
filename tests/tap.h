/* tap.h - a tiny TAP producer for omenkv's test programs (header only).
 * Each ok() prints "ok N - name" or "not ok N - name"; tap_done() prints the plan
 * and returns the exit status (0 when every assertion passed). */
#ifndef OMK_TESTS_TAP_H
#define OMK_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

__attribute__((format(printf, 2, 3), unused))
static int ok(int cond, const char *fmt, ...)
{
    va_list ap;

    tap_count++;
    if (!cond)
        tap_failed++;
    printf("%sok %d - ", cond ? "" : "not ", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return cond;
}

/* Print a diagnostic line (TAP comment). */
__attribute__((format(printf, 1, 2), unused))
static void diag(const char *fmt, ...)
{
    va_list ap;

    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

#define is_int(got, want, ...)                                                           \
    do {                                                                                 \
        long long g_ = (long long)(got), w_ = (long long)(want);                         \
        if (!ok(g_ == w_, __VA_ARGS__))                                                  \
            diag("  got %lld, want %lld", g_, w_);                                       \
    } while (0)

#define is_mem(got, glen, want, wlen, ...)                                               \
    do {                                                                                 \
        size_t gl_ = (glen), wl_ = (wlen);                                               \
        int eq_ = gl_ == wl_ && (gl_ == 0 || memcmp((got), (want), gl_) == 0);           \
        if (!ok(eq_, __VA_ARGS__))                                                       \
            diag("  got %zu bytes, want %zu bytes", gl_, wl_);                           \
    } while (0)

/* Count one assertion as skipped, saying why (TAP "ok N # SKIP why"): the driver reports
 * SKIP, not PASS. */
__attribute__((format(printf, 1, 2), unused))
static void skip(const char *fmt, ...)
{
    va_list ap;

    tap_count++;
    printf("ok %d # SKIP ", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* Skip the whole program (TAP "1..0 # SKIP"); returns the exit status to use. */
__attribute__((unused))
static int tap_skip_all(const char *why)
{
    printf("1..0 # SKIP %s\n", why);
    return 0;
}

/* Print the plan; returns 0 if every assertion passed, 1 otherwise. */
__attribute__((unused))
static int tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif
