/* leaf_mem.c - where the slot arrays of full-size leaves live: leaf_mem_big_alloc() and
 * leaf_mem_big_free(). An array of LEAF_MEM_BIG_SLOTS slots (1 MB: the default slot cap,
 * the size of the leaves a run of appends fills, see alex_append.c) comes from 2 MB
 * chunks that the kernel is asked to back with huge pages (MADV_HUGEPAGE), two arrays a
 * chunk; a freed array goes to a free list, never back to the kernel. Every other array
 * comes from malloc (alex_leaf.c).
 *
 * WHY: malloc hands out a 1 MB block from a fresh mapping or from a heap that grows, in
 * 4 KB pages, and gives it back to the kernel when freed; on this VM the first touch of
 * a 4 KB page costs ~12 us (a fault through the hypervisor), about 3 ms per MB, against
 * ~65 us per MB for a 2 MB huge page (measured alone, 64 rounds each). A run of appends
 * writes a new 1 MB leaf per ~45K keys: 1M ascending keys took 3,838 faults and a quarter
 * of the insert time in index-bench.
 *
 * Threads: leaves of different shards are made and freed by writers of different shards
 * at once; one spinlock (as in entry_arena.c, and for the same reason) guards the free
 * list. Memory: the pool keeps the peak number of such arrays alive at once; the arrays
 * in use count in idx_entry_arena_bytes(), the index's memory that mallinfo2 misses.
 * AddressSanitizer builds and OMK_ENTRY_MALLOC=1 (entry_arena_enabled() is 0) take these
 * arrays from malloc too, so that the tools see each one. */
#include "config.h"

#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>

#include "index/index_internal.h"

#include "common/omk.h"

#define LEAF_MEM_CHUNK ((size_t)2 << 20)   /* one huge page */
#define LEAF_MEM_BIG_BYTES (LEAF_MEM_BIG_SLOTS * sizeof(struct alex_slot))

_Static_assert(LEAF_MEM_CHUNK % LEAF_MEM_BIG_BYTES == 0, "arrays tile a chunk");

/* A free array: its first word links to the next one. */
struct leaf_mem_free {
    struct leaf_mem_free *next;
};

static struct {
    int lock;                    /* 1 while held */
    struct leaf_mem_free *free;
    size_t in_use;               /* bytes of arrays handed out */
} leaf_mem;

static void leaf_mem_lock(void)
{
    while (__atomic_exchange_n(&leaf_mem.lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&leaf_mem.lock, __ATOMIC_RELAXED))
            sched_yield();      /* the holder may have been preempted: 2 cores */
}

static void leaf_mem_unlock(void)
{
    __atomic_store_n(&leaf_mem.lock, 0, __ATOMIC_RELEASE);
}

/* A fresh 2 MB chunk, aligned to 2 MB so that one huge page can back it. */
static char *leaf_mem_chunk_new(void)
{
    char *p = mmap(NULL, 2 * LEAF_MEM_CHUNK, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uintptr_t start;

    if (p == MAP_FAILED)
        omk_oom(LEAF_MEM_CHUNK);
    start = ((uintptr_t)p + LEAF_MEM_CHUNK - 1) & ~(uintptr_t)(LEAF_MEM_CHUNK - 1);
    if (start > (uintptr_t)p)
        munmap(p, start - (uintptr_t)p);
    if ((uintptr_t)p + 2 * LEAF_MEM_CHUNK > start + LEAF_MEM_CHUNK)
        munmap((char *)start + LEAF_MEM_CHUNK,
               (uintptr_t)p + 2 * LEAF_MEM_CHUNK - start - LEAF_MEM_CHUNK);
    (void)madvise((void *)start, LEAF_MEM_CHUNK, MADV_HUGEPAGE); /* advice: may be refused */
    return (char *)start;
}

void *leaf_mem_big_alloc(void)
{
    struct leaf_mem_free *b;

    if (!entry_arena_enabled())
        return omk_malloc(LEAF_MEM_BIG_BYTES);
    leaf_mem_lock();
    b = leaf_mem.free;
    if (b) {
        leaf_mem.free = b->next;
    } else {
        /* A new chunk: hand out its first array, keep the others. */
        char *c = leaf_mem_chunk_new();

        b = (struct leaf_mem_free *)c;
        for (size_t off = LEAF_MEM_CHUNK; off > LEAF_MEM_BIG_BYTES; off -= LEAF_MEM_BIG_BYTES) {
            struct leaf_mem_free *f = (struct leaf_mem_free *)(c + off - LEAF_MEM_BIG_BYTES);

            f->next = leaf_mem.free;
            leaf_mem.free = f;
        }
    }
    leaf_mem.in_use += LEAF_MEM_BIG_BYTES;
    leaf_mem_unlock();
    return b;
}

void leaf_mem_big_free(void *p)
{
    struct leaf_mem_free *b = p;

    if (!p)
        return;
    if (!entry_arena_enabled()) {
        omk_free(p);
        return;
    }
    leaf_mem_lock();
    b->next = leaf_mem.free;
    leaf_mem.free = b;
    leaf_mem.in_use -= LEAF_MEM_BIG_BYTES;
    leaf_mem_unlock();
}

size_t leaf_mem_big_bytes(void)
{
    size_t n;

    leaf_mem_lock();
    n = leaf_mem.in_use;
    leaf_mem_unlock();
    return n;
}
