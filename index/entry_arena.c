/* entry_arena.c - where entry records live: idx_entry_new() and idx_entry_free().
 * An entry of up to ARENA_MAX bytes (keys up to 490 bytes) is carved from 2 MB chunks
 * that the kernel is asked to back with huge pages (MADV_HUGEPAGE); each 8-byte size
 * class keeps a free list of the blocks given back. Bigger entries come from malloc.
 * Classes are 8 bytes apart, the u64 words' alignment, so that an entry of a 16-byte key
 * (22 + 17 = 39 bytes, index.h's LAYOUT) takes 40 bytes, not 48 (issue 25).
 *
 * WHY: every lookup reads two things at random places, the leaf slot and the entry whose
 * key it compares, and an insert that splits or retrains a leaf reads every entry of it.
 * With 10M entries in 4 KB pages each of those reads also misses the TLB, and in a
 * virtual machine a page walk costs about as much again as the cache miss. Measured on
 * 10M URL keys in one harness, two alternating pairs against malloc: inserts 0.44-0.47
 * -> 0.48-0.55 Mops/s, hits 0.56-0.60 -> 0.58-0.63; on 20-byte keys an entry takes 48
 * bytes instead of malloc's 64. Moving only the leaf arrays to huge pages gave nothing
 * measurable on random alnum lookups.
 * Where THP is off (transparent_hugepage=never) the chunks are plain pages; nothing else
 * changes.
 *
 * Threads: entries are made and freed by writers of different shards at once (and the
 * store frees them after dropping its locks), so one lock guards the free lists and the
 * chunk being carved. An allocation is a pop or a bump under it. The lock is a spinlock
 * on one atomic flag (acquire to take, release to drop): held for a few instructions,
 * and invisible to lock-order checkers, which a caller holding all 64 shard locks
 * would otherwise overflow (ThreadSanitizer tracks at most 64 held locks).
 *
 * Memory: a freed block goes back to its class, never to the kernel, so the arena keeps
 * the peak number of entries of each size (as a slab allocator does). When the last
 * entry is freed (FLUSHALL, an index freed whole) the free lists are dropped and carving
 * starts again at the first chunk: entries made after that lie in the order they are
 * made, as fresh ones do, instead of in the random order of a free list (ascending
 * inserts after a random-order set was freed ran 2.5x slower for that). INFO's used_memory
 * counts the blocks handed out (idx_entry_arena_bytes), not the chunks.
 *
 * Tools: AddressSanitizer builds, and processes started with OMK_ENTRY_MALLOC=1 in the
 * environment (bootstrap sets it for the valgrind run), take every entry from malloc
 * instead, so that the tools see each one (the choice is made once, at the first
 * entry). ThreadSanitizer sees the arena as it is: a block passes between threads only
 * through the lock's release and acquire. */
#include "config.h"

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "index/index_internal.h"

#include "common/omk.h"

#define ARENA_CHUNK ((size_t)2 << 20)  /* one huge page */
#define ARENA_CLASS 8                  /* block sizes: multiples of this, the u64s' alignment */
#define ARENA_MAX 512                  /* largest block: bigger entries use malloc */
#define ARENA_CLASSES (ARENA_MAX / ARENA_CLASS + 1)

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN_BUILD 1
#endif
#endif
#ifndef ARENA_ASAN_BUILD
#define ARENA_ASAN_BUILD 0
#endif

_Static_assert(offsetof(struct idx_entry, kdata) == IDX_ENTRY_HDR, "index.h's LAYOUT");
_Static_assert(ARENA_CLASS % _Alignof(struct idx_entry) == 0, "blocks keep the u64s aligned");

/* A block on a free list: its first word links to the next one. */
struct arena_free {
    struct arena_free *next;
};

static struct {
    int lock;                             /* 1 while held (arena_lock) */
    pthread_once_t once;
    int use_malloc;                       /* every entry from malloc (set once) */
    struct arena_free *free[ARENA_CLASSES]; /* by size / ARENA_CLASS */
    char *first, *cur;                    /* the first chunk, the one being carved */
    char *next, *end;                     /* where carving goes on, where it stops */
    size_t in_use;                        /* bytes of blocks handed out */
} arena = {0, PTHREAD_ONCE_INIT, 0, {NULL}, NULL, NULL, NULL, NULL, 0};

/* Chunks are chained through their last word (the next chunk, or NULL); carving stops
 * before it. */
#define ARENA_LINK(chunk) ((char **)((chunk) + ARENA_CHUNK - sizeof(char *)))
#define ARENA_CARVE (ARENA_CHUNK - ARENA_CLASS)

static void arena_lock(void)
{
    while (__atomic_exchange_n(&arena.lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&arena.lock, __ATOMIC_RELAXED))
            sched_yield();      /* the holder may have been preempted: 2 cores */
}

static void arena_unlock(void)
{
    __atomic_store_n(&arena.lock, 0, __ATOMIC_RELEASE);
}

static void arena_init(void)
{
    const char *env = getenv("OMK_ENTRY_MALLOC");

    arena.use_malloc = ARENA_ASAN_BUILD || (env && *env && strcmp(env, "0") != 0);
}

/* Bytes an entry with a 'klen'-byte key occupies in the arena: its size rounded up to
 * the class, or 0 when it comes from malloc. */
static size_t arena_block_size(size_t klen)
{
    size_t sz = idx_entry_need(klen);

    if (arena.use_malloc || sz > ARENA_MAX)
        return 0;
    return (sz + ARENA_CLASS - 1) & ~(size_t)(ARENA_CLASS - 1);
}

/* A fresh 2 MB chunk, aligned to 2 MB so that one huge page can back it. */
static char *arena_chunk_new(void)
{
    char *p = mmap(NULL, 2 * ARENA_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    uintptr_t start;

    if (p == MAP_FAILED)
        omk_oom(ARENA_CHUNK);
    start = ((uintptr_t)p + ARENA_CHUNK - 1) & ~(uintptr_t)(ARENA_CHUNK - 1);
    if (start > (uintptr_t)p)
        munmap(p, start - (uintptr_t)p);
    if ((uintptr_t)p + 2 * ARENA_CHUNK > start + ARENA_CHUNK)
        munmap((char *)start + ARENA_CHUNK, (uintptr_t)p + 2 * ARENA_CHUNK - start - ARENA_CHUNK);
    (void)madvise((void *)start, ARENA_CHUNK, MADV_HUGEPAGE); /* advice: may be refused */
    return (char *)start;
}

/* A block of 'sz' bytes (a class size) from the arena. */
static void *arena_alloc(size_t sz)
{
    struct arena_free *b;

    arena_lock();
    b = arena.free[sz / ARENA_CLASS];
    if (b) {
        arena.free[sz / ARENA_CLASS] = b->next;
    } else {
        if ((size_t)(arena.end - arena.next) < sz) {
            /* On to the next chunk (made when there is none); the tail left is < 512 B. */
            char *c = arena.cur ? *ARENA_LINK(arena.cur) : arena.first;

            if (!c) {
                c = arena_chunk_new();
                if (arena.cur)
                    *ARENA_LINK(arena.cur) = c;
                else
                    arena.first = c;
            }
            arena.cur = c;
            arena.next = c;
            arena.end = c + ARENA_CARVE;
        }
        b = (struct arena_free *)arena.next;
        arena.next += sz;
    }
    arena.in_use += sz;
    arena_unlock();
    return b;
}

/* Give block 'p' of 'sz' bytes back to its class. */
static void arena_release(void *p, size_t sz)
{
    struct arena_free *b = p;

    arena_lock();
    b->next = arena.free[sz / ARENA_CLASS];
    arena.free[sz / ARENA_CLASS] = b;
    arena.in_use -= sz;
    if (arena.in_use == 0) {    /* nothing alive: carve from the first chunk again */
        memset(arena.free, 0, sizeof(arena.free));
        arena.cur = NULL;
        arena.next = arena.end = NULL;
    }
    arena_unlock();
}

struct idx_entry *idx_entry_new(const void *key, size_t klen)
{
    struct idx_entry *e;
    char *dst;
    size_t sz;

    OMK_ASSERT(klen <= UINT32_MAX);
    pthread_once(&arena.once, arena_init);
    sz = arena_block_size(klen);
    e = sz ? arena_alloc(sz) : omk_malloc(idx_entry_need(klen));
    e->val_len = 0;
    e->expire_flags = 0;
    e->loc = 0;
    dst = e->kdata;
    if (klen < IDX_KLEN_ESC) {
        e->klen16 = (uint16_t)klen;
    } else {
        uint32_t n = (uint32_t)klen;

        e->klen16 = IDX_KLEN_ESC;
        memcpy(dst, &n, sizeof(n));
        dst += sizeof(n);
    }
    if (klen)
        memcpy(dst, key, klen);
    return e;
}

void idx_entry_free(struct idx_entry *e)
{
    size_t sz;

    if (!e)
        return;
    sz = arena_block_size(idx_entry_klen(e)); /* an entry exists, so the choice is made */
    if (sz)
        arena_release(e, sz);
    else
        omk_free(e);
}

size_t idx_entry_size(const struct idx_entry *e)
{
    size_t sz = arena_block_size(idx_entry_klen(e));

    return sz ? sz : malloc_usable_size((void *)e);
}

int entry_arena_enabled(void)
{
    pthread_once(&arena.once, arena_init);
    return !arena.use_malloc;
}

size_t idx_entry_arena_bytes(void)
{
    size_t n;

    arena_lock();
    n = arena.in_use;
    arena_unlock();
    return n + leaf_mem_big_bytes();
}
