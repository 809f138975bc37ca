/* access.c - the access field of every index entry (store_internal.h, THE INDEX ENTRY'S
 * LAYOUT): what OBJECT IDLETIME and OBJECT FREQ answer from, kept as Redis keeps its
 * 24-bit 'lru' field (object.c, evict.c), with the same arithmetic.
 *
 * HOW IT WORKS. Under an LRU policy (every maxmemory-policy but the two LFU ones) the
 * field is a clock: the Unix time in whole seconds of the key's last access, modulo 2^24.
 * IDLETIME is now minus that, across one wrap as Redis computes it: exact to the second
 * (Redis' LRU clock has a resolution of 1000 ms) for a key idle less than 194 days.
 * Under an LFU policy the field is (minutes << 8) | counter: the Unix time in minutes,
 * modulo 2^16, of the counter's last decrement, and Redis' logarithmic access counter.
 * A new key starts at 5. An access first decays the counter by one per lfu-decay-time
 * minutes elapsed since that time (to 0 at most), then adds 1 with probability
 * 1 / ((counter - 5) * lfu-log-factor + 1) (always, at 5 or below; saturating at 255),
 * and stamps the time now. OBJECT FREQ answers the decayed counter without writing it.
 *
 * Touching costs readers no shared write when nothing changes: the field is computed
 * first, and the entry's word is rewritten (one compare-and-swap) only when it differs:
 * under LRU when the clock moved to a new second since the key's last access, under LFU
 * when the counter changed or a new minute began. A hot key is thus written at most once
 * a second under LRU, once a minute (plus its ever rarer increments) under LFU.
 *
 * The field lives in RAM only: a restart gives every key the clock of its load, or the
 * count 5, as Redis does after loading an RDB file written under a policy that is neither
 * LRU nor LFU (Redis saves idle times or counts only under those). DEBUG RELOAD keeps
 * them (load.c), as Redis' reload does under an LRU or LFU policy. */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>

#include "common/omk.h"
#include "index/shard.h"
#include "store/store.h"
#include "store/store_internal.h"

#define ACCESS_LFU_INIT 5 /* Redis' LFU_INIT_VAL: a new key's count */

static __thread int access_on; /* this thread's calls count as accesses */

void store_access_set(int on)
{
    access_on = on != 0;
}

int store_access_touching(void)
{
    return access_on;
}

void store_set_access_policy(struct store *s, int policy, unsigned lfu_log_factor,
                             unsigned lfu_decay_time)
{
    atomic_store(&s->lfu_log_factor, lfu_log_factor);
    atomic_store(&s->lfu_decay_time, lfu_decay_time);
    atomic_store(&s->access_keep, policy != STORE_ACCESS_CLOCK);
    atomic_store(&s->access_lfu, policy == STORE_ACCESS_LFU);
}

void store_access_shift(struct store *s, int64_t ms)
{
    atomic_fetch_add(&s->access_shift_ms, ms);
}

/* Unix ms 'now_ms' on the clock access fields are kept by (the test hook's shift). */
static int64_t access_now(struct store *s, int64_t now_ms)
{
    return now_ms + atomic_load_explicit(&s->access_shift_ms, memory_order_relaxed);
}

/* The LRU clock at 'now_ms': seconds modulo 2^24 (Redis' LRU_CLOCK). */
static unsigned access_clock(int64_t now_ms)
{
    return (unsigned)((uint64_t)(now_ms / 1000) & STORE_ACCESS_MAX);
}

/* Seconds between clock value 'then' and the clock at 'now_ms', across one wrap as
 * Redis' estimateObjectIdleTime counts them. */
static int64_t access_idle(unsigned then, int64_t now_ms)
{
    unsigned c = access_clock(now_ms);

    return c >= then ? (int64_t)(c - then) : (int64_t)c + (int64_t)(STORE_ACCESS_MAX - then);
}

/* The LFU clock at 'now_ms': minutes modulo 2^16 (Redis' LFUGetTimeInMinutes). */
static unsigned access_minutes(int64_t now_ms)
{
    return (unsigned)((uint64_t)(now_ms / 60000) & 0xffff);
}

/* LFU field 'f''s counter at 'now_ms' after its decay by lfu-decay-time 'decay' minutes
 * a step (Redis' LFUDecrAndReturn; its LFUTimeElapsed counts one wrap of the minutes). */
static unsigned access_lfu_decayed(unsigned f, unsigned decay, int64_t now_ms)
{
    unsigned ldt = f >> 8, counter = f & 0xff, now = access_minutes(now_ms);
    unsigned elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
    unsigned periods = decay ? elapsed / decay : 0;

    return periods > counter ? 0 : counter - periods;
}

static unsigned access_field_of(uint64_t word)
{
    return (unsigned)(word >> IDX_EXPIRE_BITS) & STORE_ACCESS_MAX;
}

static uint64_t access_word_with(uint64_t word, unsigned field)
{
    return (word & ~STORE_ACCESS_WORD) | (uint64_t)field << IDX_EXPIRE_BITS;
}

/* A uniform double in [0, 1) from this thread's xorshift64* generator, seeded from the
 * clock and the thread's address (the LFU increment's coin needs no better). */
static double access_random(void)
{
    static __thread uint64_t x;

    if (x == 0)
        x = ((uint64_t)omk_now_us() << 1 ^ (uint64_t)(uintptr_t)&x) | 1;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return (double)((x * UINT64_C(2685821657736338717)) >> 11) / (double)(UINT64_C(1) << 53);
}

/* Counter 'c' after one access, by Redis' logarithmic rule with 'factor'. */
static unsigned access_lfu_incr(unsigned c, unsigned factor)
{
    double base = c > ACCESS_LFU_INIT ? (double)(c - ACCESS_LFU_INIT) : 0.0;

    if (c >= 255)
        return 255;
    return access_random() < 1.0 / (base * factor + 1.0) ? c + 1 : c;
}

void store_access_init(struct store *s, struct idx_entry *e, int64_t now_ms)
{
    int64_t now = access_now(s, now_ms);
    unsigned f = atomic_load(&s->access_lfu) ? access_minutes(now) << 8 | ACCESS_LFU_INIT
                                             : access_clock(now);

    __atomic_store_n(&e->expire_flags, access_word_with(idx_entry_word(e), f),
                     __ATOMIC_RELAXED);
}

void store_access_touch(struct store *s, struct idx_entry *e, int64_t now_ms)
{
    int lfu;
    unsigned factor, decay, f, nf;
    int64_t now;
    uint64_t w;

    if (!access_on)
        return;
    now = access_now(s, now_ms);
    lfu = atomic_load_explicit(&s->access_lfu, memory_order_relaxed);
    factor = atomic_load_explicit(&s->lfu_log_factor, memory_order_relaxed);
    decay = atomic_load_explicit(&s->lfu_decay_time, memory_order_relaxed);
    w = idx_entry_word(e);
    do {
        f = access_field_of(w);
        if (lfu)
            nf = access_minutes(now) << 8 |
                 access_lfu_incr(access_lfu_decayed(f, decay, now), factor);
        else
            nf = access_clock(now);
        if (nf == f)
            return; /* nothing to write: the line stays shared */
    } while (!__atomic_compare_exchange_n(&e->expire_flags, &w, access_word_with(w, nf), 0,
                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

void store_access_carry(struct idx_entry *to, const struct idx_entry *from)
{
    __atomic_store_n(&to->expire_flags,
                     access_word_with(idx_entry_word(to), access_field_of(idx_entry_word(from))),
                     __ATOMIC_RELAXED);
}

int store_access_info(struct store *s, int db, struct omk_slice key, unsigned *freq,
                      int64_t *idle_s)
{
    struct store_op op;
    int rc;

    store_op_begin1(&op, s, STORE_OP_READ, db, key);
    op.touch = 0; /* OBJECT is no access */
    rc = store_op_find(&op, 0, STORE_WANT_STATE);
    if (rc == STORE_OK) {
        const struct fmt_key *k = &op.key[0].k;
        unsigned shard = idx_shards_of(s->ix, k->p, k->len);
        struct idx *ix = idx_shards_rdlock(s->ix, shard);
        const struct idx_entry *e = idx_find(ix, k->p, k->len);
        int64_t now = access_now(s, op.now);

        if (e) {
            unsigned f = access_field_of(idx_entry_word(e));

            *freq = access_lfu_decayed(f, atomic_load(&s->lfu_decay_time), now);
            *idle_s = access_idle(f, now);
        } else {
            rc = STORE_NOTFOUND; /* deleted since the lookup */
        }
        idx_shards_unlock(s->ix, shard);
    }
    return store_op_end(&op, rc);
}

/* The before_unlock hook of store_access_follow(): after a successful commit, key 1 of
 * 'op' gets the access field carried in 'arg'. */
static void access_follow_done(struct store_op *op, int rc, void *arg)
{
    const struct fmt_key *k = &op->key[1].k;
    unsigned shard, f = (unsigned)(uintptr_t)arg;
    struct idx_entry *e;
    struct idx *ix;

    if (rc != STORE_OK)
        return;
    shard = idx_shards_of(op->s->ix, k->p, k->len);
    ix = idx_shards_wrlock(op->s->ix, shard);
    e = idx_find(ix, k->p, k->len);
    if (e)
        __atomic_store_n(&e->expire_flags, access_word_with(idx_entry_word(e), f),
                         __ATOMIC_RELAXED);
    idx_shards_unlock(op->s->ix, shard);
}

void store_access_follow(struct store_op *op)
{
    const struct fmt_key *k = &op->key[0].k;
    unsigned shard = idx_shards_of(op->s->ix, k->p, k->len);
    struct idx *ix = idx_shards_rdlock(op->s->ix, shard);
    const struct idx_entry *e = idx_find(ix, k->p, k->len);

    if (e) { /* the field rides in the hook's argument: 24 bits fit any pointer */
        OMK_ASSERT(op->before_unlock == NULL);
        op->before_unlock = access_follow_done;
        op->before_unlock_arg = (void *)(uintptr_t)access_field_of(idx_entry_word(e));
    }
    idx_shards_unlock(op->s->ix, shard);
}

void store_access_reloaded(struct store *s, struct idx_entry **v, size_t n)
{
    int64_t now = access_now(s, omk_now_ms());
    int lfu = atomic_load(&s->access_lfu);
    unsigned decay = atomic_load(&s->lfu_decay_time);

    if (!atomic_load(&s->access_keep))
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned shard = idx_shards_of(s->ix, idx_entry_key(v[i]), idx_entry_klen(v[i]));
        struct idx *ix = idx_shards_rdlock(s->ix, shard);
        const struct idx_entry *old = idx_find(ix, idx_entry_key(v[i]), idx_entry_klen(v[i]));

        if (old) {
            unsigned f = access_field_of(idx_entry_word(old));

            if (lfu)
                f = access_minutes(now) << 8 | access_lfu_decayed(f, decay, now);
            v[i]->expire_flags = access_word_with(v[i]->expire_flags, f);
        }
        idx_shards_unlock(s->ix, shard);
    }
}
