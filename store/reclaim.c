/* reclaim.c - gives back the disk space of large split collections that died (deleted,
 * overwritten, expired, flushed), and clears the deletions a live one piled up. Their deaths are O(1) for the caller: the top-level
 * record goes and the id leaves the live set (coll.c). The element records stay until a
 * compaction runs the dead-id filter over them (rocks.c), which for data in RocksDB's
 * lower levels may take long; so a death of at least RECLAIM_MIN elements queues a
 * compaction of the dead id's key range, run by this file's thread, one at a time, in
 * the background. FLUSHALL queues the whole element column family. A live collection
 * that lost many elements (an SPOP loop emptying a set) leaves one tombstone per element
 * in its range, which every walk and random pick then steps over: once its removals
 * since its last compaction pass RECLAIM_MIN and what it still holds, its range is
 * queued the same way (the counts live in a small table here, lost at a restart).
 *
 * Threads: store_reclaim_note() from any thread (under a stripe: it only queues); the
 * reclaimer thread alone compacts. No store lock is held while it compacts. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store_internal.h"

#define RECLAIM_QUEUE 256 /* ids waiting; past it, the whole column family is compacted */
#define RECLAIM_CHURN 64  /* live collections whose removals are counted */

struct reclaimer {
    pthread_t thread;
    pthread_mutex_t mu;   /* guards the fields below; taken alone */
    pthread_cond_t cv;
    uint64_t ids[RECLAIM_QUEUE];
    size_t n;
    int all;              /* compact the whole element column family */
    int stop;
    struct { uint64_t id, removed; } churn[RECLAIM_CHURN]; /* live ids' removals */
    atomic_uint_fast64_t done; /* compactions run */
    atomic_int_fast64_t last_ms; /* how long the last one took */
};

/* The thread: wait for work, compact, again. */
static void *reclaim_main(void *arg)
{
    struct store *s = arg;
    struct reclaimer *r = s->reclaim;

    omk_mutex_lock(&r->mu);
    for (;;) {
        uint64_t id = 0;
        int all;
        int64_t t0;

        while (!r->stop && r->n == 0 && !r->all)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->stop)
            break;
        all = r->all;
        if (all) {
            r->all = 0;
            r->n = 0; /* covered */
        } else {
            id = r->ids[--r->n];
        }
        omk_mutex_unlock(&r->mu);
        t0 = omk_mono_us();
        if (all) {
            rocks_compact_range(s->rocks, ROCKS_CF_ELEMS, NULL, 0, NULL, 0);
        } else {
            unsigned char lo[FMT_ELEM_PREFIX], hi[FMT_ELEM_PREFIX];

            fmt_elem_prefix(lo, id, 0);
            fmt_elem_prefix(hi, id + 1, 0);
            rocks_compact_range(s->rocks, ROCKS_CF_ELEMS, (const char *)lo, sizeof(lo),
                                (const char *)hi, sizeof(hi));
        }
        atomic_store(&r->last_ms, (omk_mono_us() - t0) / 1000);
        atomic_fetch_add(&r->done, 1);
        omk_mutex_lock(&r->mu);
    }
    omk_mutex_unlock(&r->mu);
    return NULL;
}

void store_reclaim_start(struct store *s)
{
    struct reclaimer *r = omk_calloc(1, sizeof(*r));

    omk_mutex_init(&r->mu);
    OMK_ASSERT(pthread_cond_init(&r->cv, NULL) == 0);
    s->reclaim = r;
    OMK_ASSERT(pthread_create(&r->thread, NULL, reclaim_main, s) == 0);
}

void store_reclaim_stop(struct store *s)
{
    struct reclaimer *r = s->reclaim;

    if (!r)
        return;
    omk_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_signal(&r->cv);
    omk_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    omk_free(r);
    s->reclaim = NULL;
}

/* Queue 'id' (r->mu held). */
static void reclaim_queue(struct reclaimer *r, uint64_t id)
{
    if (id == 0 || r->n == RECLAIM_QUEUE)
        r->all = 1;
    else
        r->ids[r->n++] = id;
    pthread_cond_signal(&r->cv);
}

void store_reclaim_note(struct store *s, uint64_t id, uint64_t count)
{
    struct reclaimer *r = s->reclaim;

    if (!r || (id != 0 && count < RECLAIM_MIN))
        return;
    omk_mutex_lock(&r->mu);
    reclaim_queue(r, id);
    omk_mutex_unlock(&r->mu);
}

void store_reclaim_removed(struct store *s, uint64_t id, uint64_t removed, uint64_t left)
{
    struct reclaimer *r = s->reclaim;
    size_t slot = 0;

    if (!r || removed == 0)
        return;
    omk_mutex_lock(&r->mu);
    for (size_t i = 0; i < RECLAIM_CHURN; i++) {
        if (r->churn[i].id == id) {
            slot = i;
            break;
        }
        if (r->churn[i].removed < r->churn[slot].removed)
            slot = i; /* else the least churned one gives its place */
    }
    if (r->churn[slot].id != id)
        r->churn[slot].id = id, r->churn[slot].removed = 0;
    r->churn[slot].removed += removed;
    if (r->churn[slot].removed >= RECLAIM_MIN && r->churn[slot].removed >= left) {
        r->churn[slot].removed = 0;
        reclaim_queue(r, id);
    }
    omk_mutex_unlock(&r->mu);
}

void store_reclaim_stats(struct store *s, uint64_t *done, int64_t *last_ms)
{
    *done = s->reclaim ? atomic_load(&s->reclaim->done) : 0;
    *last_ms = s->reclaim ? atomic_load(&s->reclaim->last_ms) : 0;
}
