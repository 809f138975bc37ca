/* access.c - the access byte of every index entry (store_internal.h, THE INDEX ENTRY'S
 * LAYOUT): what OBJECT IDLETIME and OBJECT FREQ answer from, kept as Redis keeps its
 * 24-bit 'lru' field, in 8 bits.
 *
 * HOW IT WORKS. Under an LRU policy (every maxmemory-policy but the two LFU ones) the
 * byte is a clock: the Unix time in whole seconds of the key's last access, modulo 256.
 * IDLETIME is now minus that, modulo 256: exact to the second (as Redis' LRU clock,
 * whose resolution is 1000 ms) for a key idle less than 256 seconds; a key idle longer
 * reads as idle (its idle time modulo 256) seconds, since 8 bits cannot tell one lap of
 * the clock from the next. Redis' 24 bits wrap after 194 days.
 * Under an LFU policy the byte is Redis' logarithmic access counter: a new key starts at
 * 5, and an access adds 1 with probability 1 / ((counter - 5) * lfu-log-factor + 1)
 * (always, at 5 or below), saturating at 255. Redis also decays it by one per
 * lfu-decay-time minutes without access, from 16 more bits of minutes that the entry
 * does not have: here the counter never decays.
 *
 * Touching costs readers no shared write when nothing changes: the byte is compared
 * first, and the entry's word is rewritten (one compare-and-swap) only when the clock
 * moved to a new second since the key's last access, or the counter grew. A hot key is
 * thus written at most once a second under LRU, and ever more rarely under LFU as its
 * counter grows.
 *
 * The byte lives in RAM only: a restart (or a rebuild of the index after a reopen) gives
 * every key the clock of its load, or the count 5, as Redis does after loading an RDB
 * file that holds no idle times (Redis writes them only under an LRU or LFU eviction
 * policy). */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>

#include "common/omk.h"
#include "index/shard.h"
#include "store/store.h"
#include "store/store_internal.h"

#define ACCESS_LFU_INIT 5 /* Redis' LFU_INIT_VAL: a new key's count */
#define ACCESS_BYTE_SHIFT (IDX_EXPIRE_BITS + STORE_EF_ACCESS_SHIFT) /* in the entry's word */

static __thread int access_on; /* this thread's calls count as accesses */

void store_access_set(int on)
{
    access_on = on != 0;
}

int store_access_touching(void)
{
    return access_on;
}

void store_set_access_policy(struct store *s, int lfu, unsigned lfu_log_factor)
{
    atomic_store(&s->lfu_log_factor, lfu_log_factor);
    atomic_store(&s->access_lfu, lfu != 0);
}

/* The clock's value at Unix ms 'now_ms'. */
static unsigned access_clock(int64_t now_ms)
{
    return (unsigned)((uint64_t)(now_ms / 1000) & 0xff);
}

static unsigned access_byte_of(uint64_t word)
{
    return (unsigned)(word >> ACCESS_BYTE_SHIFT) & 0xff;
}

static uint64_t access_word_with(uint64_t word, unsigned byte)
{
    return (word & ~STORE_EF_ACCESS_WORD) | (uint64_t)byte << ACCESS_BYTE_SHIFT;
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
    unsigned b = atomic_load(&s->access_lfu) ? ACCESS_LFU_INIT : access_clock(now_ms);

    __atomic_store_n(&e->expire_flags, access_word_with(idx_entry_word(e), b),
                     __ATOMIC_RELAXED);
}

void store_access_touch(struct store *s, struct idx_entry *e, int64_t now_ms)
{
    int lfu;
    unsigned factor, b, nb;
    uint64_t w;

    if (!access_on)
        return;
    lfu = atomic_load_explicit(&s->access_lfu, memory_order_relaxed);
    factor = atomic_load_explicit(&s->lfu_log_factor, memory_order_relaxed);
    w = idx_entry_word(e);
    do {
        b = access_byte_of(w);
        nb = lfu ? access_lfu_incr(b, factor) : access_clock(now_ms);
        if (nb == b)
            return; /* nothing to write: the line stays shared */
    } while (!__atomic_compare_exchange_n(&e->expire_flags, &w, access_word_with(w, nb), 0,
                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

int store_access_info(struct store *s, int db, struct omk_slice key, unsigned *byte,
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

        if (e) {
            *byte = access_byte_of(idx_entry_word(e));
            *idle_s = (int64_t)((access_clock(op.now) - *byte) & 0xff);
        } else {
            rc = STORE_NOTFOUND; /* deleted since the lookup */
        }
        idx_shards_unlock(s->ix, shard);
    }
    return store_op_end(&op, rc);
}
