/* log.h - the server log: one line per event in redis-server's format,
 *
 *     <pid>:M 25 Nov 2026 07:55:05.123 * message
 *
 * written to the log file or to stdout, filtered by the level (CONFIG SET loglevel).
 * Any thread may log; a mutex keeps lines whole. libc only.
 *
 * Caveats: a message longer than OMK_LOG_MAX_LEN bytes is cut, as Redis cuts at its
 * LOG_MAX_LEN. The file is kept open; after logrotate moves it, call log_set_file()
 * again with the same path to reopen it. */
#ifndef OMK_DAEMON_LOG_H
#define OMK_DAEMON_LOG_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>

/* Levels, in Redis' order (LL_DEBUG ... LL_NOTHING). A line is printed when its level
 * is at least the configured one; OMK_LOG_NOTHING as the configured level silences
 * everything and is never a line's level. Marks in the line: . - * # */
enum omk_log_level {
    OMK_LOG_DEBUG = 0,
    OMK_LOG_VERBOSE = 1,
    OMK_LOG_NOTICE = 2,
    OMK_LOG_WARNING = 3,
    OMK_LOG_NOTHING = 4,
};

#define OMK_LOG_MAX_LEN 1024 /* bytes of message text kept per line (Redis' LOG_MAX_LEN) */

/* Print one line at 'level' (OMK_LOG_DEBUG..OMK_LOG_WARNING) if the configured level
 * lets it through. 'fmt' is printf-style; a trailing newline is added. Any thread;
 * takes the log mutex around the write only. Errors writing the log are ignored, as
 * Redis ignores them. */
void omk_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* omk_log with a va_list. */
void omk_logv(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Per-call-site state of omk_log_ratelimited; zero-initialised (a static) means "never
 * printed". Use through OMK_LOG_RATELIMITED, which declares one per call site. */
struct log_ratelimit {
    _Atomic int64_t next_ms;        /* monotonic ms before which lines are dropped */
    _Atomic uint64_t suppressed;    /* lines dropped since the last one printed */
};

/* Like omk_log, but prints at most one line per second for 'rl' (one call site); the
 * others are counted, and the next printed line ends with "(N similar messages
 * suppressed)". Lines under the configured level are neither printed nor counted.
 * Any thread: 'rl' is updated with atomics. */
void omk_log_ratelimited(struct log_ratelimit *rl, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define OMK_LOG_RATELIMITED(level, ...)                                                   \
    do {                                                                                 \
        static struct log_ratelimit omk_log_rl_;                                         \
        omk_log_ratelimited(&omk_log_rl_, (level), __VA_ARGS__);                         \
    } while (0)

/* Set the minimum level printed (OMK_LOG_DEBUG..OMK_LOG_NOTHING; asserted). Any
 * thread, takes effect for the next line. The default is OMK_LOG_NOTICE. */
void log_set_level(int level);

/* The current minimum level. */
int log_get_level(void);

/* Send the log to 'path' (opened for appending, created 0644 if missing), or to stdout
 * when 'path' is "" (the default). Calling it again with the same path reopens the
 * file. Returns 0, or -1 with errno set when the file cannot be opened; the previous
 * destination is then kept. Any thread; 'path' is borrowed. */
int log_set_file(const char *path);

#endif
