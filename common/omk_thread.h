/* omk_thread.h - the one lock idiom of omenkv: pthread calls that cannot fail in a
 * correct program, wrapped so that a failure (EINVAL, EDEADLK: a bug) aborts with the
 * call's name, and no side effect hides inside an assertion (STYLE.md 2.3). Calls whose
 * result is an outcome (trylock's EBUSY, timedwait's ETIMEDOUT) stay bare pthread calls.
 * libc only, like the rest of common/. */
#ifndef OMK_COMMON_OMK_THREAD_H
#define OMK_COMMON_OMK_THREAD_H

#include <pthread.h>

#include "common/omk.h"

/* Abort naming 'what' when pthread call result 'rc' is not 0. */
static inline void omk_pthread_check(int rc, const char *what)
{
    if (rc != 0)
        omk_assert_fail(what, __FILE__, __LINE__);
}

static inline void omk_mutex_init(pthread_mutex_t *m)
{
    omk_pthread_check(pthread_mutex_init(m, NULL), "pthread_mutex_init");
}

static inline void omk_mutex_lock(pthread_mutex_t *m)
{
    omk_pthread_check(pthread_mutex_lock(m), "pthread_mutex_lock");
}

static inline void omk_mutex_unlock(pthread_mutex_t *m)
{
    omk_pthread_check(pthread_mutex_unlock(m), "pthread_mutex_unlock");
}

/* A writer-preferring rwlock (a waiting writer holds off new readers), as every rwlock
 * of omenkv is: so a reader must never take one twice in a thread. */
static inline void omk_rwlock_init_wrpref(pthread_rwlock_t *l)
{
    pthread_rwlockattr_t a;

    omk_pthread_check(pthread_rwlockattr_init(&a), "pthread_rwlockattr_init");
    omk_pthread_check(pthread_rwlockattr_setkind_np(&a,
                                                    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP),
                      "pthread_rwlockattr_setkind_np");
    omk_pthread_check(pthread_rwlock_init(l, &a), "pthread_rwlock_init");
    pthread_rwlockattr_destroy(&a);
}

static inline void omk_rwlock_rdlock(pthread_rwlock_t *l)
{
    omk_pthread_check(pthread_rwlock_rdlock(l), "pthread_rwlock_rdlock");
}

static inline void omk_rwlock_wrlock(pthread_rwlock_t *l)
{
    omk_pthread_check(pthread_rwlock_wrlock(l), "pthread_rwlock_wrlock");
}

static inline void omk_rwlock_unlock(pthread_rwlock_t *l)
{
    omk_pthread_check(pthread_rwlock_unlock(l), "pthread_rwlock_unlock");
}

/* A condition variable whose timed waits use CLOCK_MONOTONIC. */
static inline void omk_cond_init_mono(pthread_cond_t *c)
{
    pthread_condattr_t a;

    omk_pthread_check(pthread_condattr_init(&a), "pthread_condattr_init");
    omk_pthread_check(pthread_condattr_setclock(&a, CLOCK_MONOTONIC), "pthread_condattr_setclock");
    omk_pthread_check(pthread_cond_init(c, &a), "pthread_cond_init");
    pthread_condattr_destroy(&a);
}

static inline void omk_cond_signal(pthread_cond_t *c)
{
    omk_pthread_check(pthread_cond_signal(c), "pthread_cond_signal");
}

static inline void omk_cond_broadcast(pthread_cond_t *c)
{
    omk_pthread_check(pthread_cond_broadcast(c), "pthread_cond_broadcast");
}

static inline void omk_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    omk_pthread_check(pthread_cond_wait(c, m), "pthread_cond_wait");
}

/* Start thread '*t' running 'fn'('arg'); aborts when the system cannot make one. */
static inline void omk_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
    omk_pthread_check(pthread_create(t, NULL, fn, arg), "pthread_create");
}

static inline void omk_thread_join(pthread_t t)
{
    omk_pthread_check(pthread_join(t, NULL), "pthread_join");
}

#endif
