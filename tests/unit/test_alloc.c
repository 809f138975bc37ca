/* test_alloc.c - the allocation count of common/omk.c (omk_alloc_bytes): every omk_*
 * allocation adds its usable size, omk_free takes it back, whichever thread frees, and
 * past the per-thread slots the shared one keeps the sum right. */
#include "config.h"

#include <malloc.h>
#include <pthread.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "tests/tap.h"

/* One thread's block: allocated by one thread, freed by another. */
struct handoff {
    void *p;
    size_t n;
};

static void *alloc_thread(void *arg)
{
    struct handoff *h = arg;

    h->p = omk_malloc(h->n);
    return NULL;
}

static void *free_thread(void *arg)
{
    struct handoff *h = arg;

    omk_free(h->p);
    return NULL;
}

/* Each of the many threads allocates, reallocates and frees its own blocks. */
static void *churn_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        char *p = omk_malloc((size_t)(i % 97) + 1);

        p = omk_realloc(p, (size_t)(i % 301) + 1);
        omk_free(p);
    }
    return NULL;
}

static void test_one_thread(void)
{
    size_t base = omk_alloc_bytes();
    void *a = omk_malloc(1000), *b = omk_calloc(10, 100), *c = omk_memdup("abc", 3);
    size_t want = malloc_usable_size(a) + malloc_usable_size(b) + malloc_usable_size(c);

    ok(omk_alloc_bytes() == base + want, "malloc, calloc and memdup add their usable sizes");
    a = omk_realloc(a, 100000);
    want = malloc_usable_size(a) + malloc_usable_size(b) + malloc_usable_size(c);
    ok(omk_alloc_bytes() == base + want, "realloc moves the count by the change of size");
    a = omk_realloc(a, 10);
    want = malloc_usable_size(a) + malloc_usable_size(b) + malloc_usable_size(c);
    ok(omk_alloc_bytes() == base + want, "a shrinking realloc too");
    omk_free(a);
    omk_free(b);
    omk_free(c);
    omk_free(NULL);
    ok(omk_alloc_bytes() == base, "omk_free takes every byte back (and NULL nothing)");
}

static void test_handoff(void)
{
    size_t base = omk_alloc_bytes();
    struct handoff h = {.n = 1 << 20};
    pthread_t t;

    omk_thread_create(&t, alloc_thread, &h);
    omk_thread_join(t);
    ok(omk_alloc_bytes() >= base + h.n, "a block another thread allocated counts");
    omk_thread_create(&t, free_thread, &h);
    omk_thread_join(t);
    ok(omk_alloc_bytes() == base, "freed by a third thread: the sum is back where it was");
}

static void test_many_threads(void)
{
    size_t base = omk_alloc_bytes();
    enum { N = 100 }; /* more threads than slots: some share the last one */
    pthread_t t[N];

    for (int i = 0; i < N; i++)
        omk_thread_create(&t[i], churn_thread, NULL);
    for (int i = 0; i < N; i++)
        omk_thread_join(t[i]);
    ok(omk_alloc_bytes() == base, "%d threads churning their own blocks leave the sum as it was", N);
}

int main(void)
{
    test_one_thread();
    test_handoff();
    test_many_threads();
    return tap_done();
}
