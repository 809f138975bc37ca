/* log.c - the server log (see log.h). Each line is formatted in a local buffer and
 * written with one write(2) under log_lock, so lines from different threads never
 * interleave. The level is an atomic read before any formatting, so a filtered line
 * costs one load. */
/* <config.h>, not "config.h": from daemon/ the quoted form finds daemon/config.h. */
#include "config.h"

#include "daemon/log.h"

#include "common/omk.h"
#include "common/omk_thread.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static _Atomic int log_level = OMK_LOG_NOTICE;

/* log_lock guards log_fd: the descriptor lines go to (STDOUT_FILENO when no file). */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDOUT_FILENO;

void log_set_level(int level)
{
    OMK_ASSERT(level >= OMK_LOG_DEBUG && level <= OMK_LOG_NOTHING);
    atomic_store(&log_level, level);
}

int log_get_level(void)
{
    return atomic_load(&log_level);
}

int log_set_file(const char *path)
{
    int fd = STDOUT_FILENO, old;

    if (path[0] != '\0') {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return -1;
    }
    omk_mutex_lock(&log_lock);
    old = log_fd;
    log_fd = fd;
    omk_mutex_unlock(&log_lock);
    if (old != STDOUT_FILENO)
        close(old);
    return 0;
}

/* Write all of 'buf'/'len' to 'fd', retrying short writes and EINTR; gives up on any
 * other error (a full disk must not stop the server). */
static void log_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

/* Format the header and 'msg', then write the line. 'level' already passed the filter. */
static void log_emit(int level, const char *msg)
{
    static const char marks[] = ".-*#";
    char line[OMK_LOG_MAX_LEN + 64], stamp[64];
    struct timeval tv;
    struct tm tm;
    int n;

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%d %b %Y %H:%M:%S.", &tm);
    n = snprintf(line, sizeof(line), "%d:M %s%03d %c %s\n", (int)getpid(), stamp,
                 (int)(tv.tv_usec / 1000), marks[level], msg);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) { /* cannot happen with msg <= OMK_LOG_MAX_LEN */
        n = (int)sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    omk_mutex_lock(&log_lock);
    log_write_all(log_fd, line, (size_t)n);
    omk_mutex_unlock(&log_lock);
}

void omk_logv(int level, const char *fmt, va_list ap)
{
    char msg[OMK_LOG_MAX_LEN];

    OMK_ASSERT(level >= OMK_LOG_DEBUG && level < OMK_LOG_NOTHING);
    if (level < atomic_load_explicit(&log_level, memory_order_relaxed))
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    log_emit(level, msg);
}

void omk_log(int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    omk_logv(level, fmt, ap);
    va_end(ap);
}

void omk_log_ratelimited(struct log_ratelimit *rl, int level, const char *fmt, ...)
{
    char msg[OMK_LOG_MAX_LEN];
    int64_t now, next;
    uint64_t dropped;
    size_t len;
    va_list ap;

    OMK_ASSERT(level >= OMK_LOG_DEBUG && level < OMK_LOG_NOTHING);
    if (level < atomic_load_explicit(&log_level, memory_order_relaxed))
        return;
    now = omk_mono_us() / 1000;
    next = atomic_load(&rl->next_ms);
    /* One thread wins the slot for this second; the others count themselves. */
    if (now < next || !atomic_compare_exchange_strong(&rl->next_ms, &next, now + 1000)) {
        atomic_fetch_add(&rl->suppressed, 1);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dropped = atomic_exchange(&rl->suppressed, 0);
    len = strlen(msg);
    if (dropped > 0 && len < sizeof(msg))
        snprintf(msg + len, sizeof(msg) - len, " (%llu similar messages suppressed)",
                 (unsigned long long)dropped);
    log_emit(level, msg);
}
