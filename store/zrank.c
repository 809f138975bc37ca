/* zrank.c - the order-statistic structure behind ZRANK, ZRANGE by rank and
 * ZREMRANGEBYRANK on large sorted sets, and the registry that keeps one per set under a
 * byte budget (the contract and the owner protocol are in zrank.h). The store does the
 * RocksDB seeks; this file only knows boundaries and counts.
 * Invariant: the blocks' boundaries ascend strictly from "", their counts add up to
 * 'total', and every tree node's count and separator describe the subtree below it.
 *
 * HOW IT WORKS. The blocks are the entries of a counted B+tree. A leaf entry is one
 * block: its boundary (a private copy) and its count. An inner entry is one child: the
 * number of keys under it and, as separator, a pointer to the first boundary under it
 * (borrowed from the leaf that owns that copy; entry 0's separator is kept too, so a
 * change of a subtree's first boundary is fixed by walking up while the path took entry
 * 0). Every node but the root holds ZR_MIN..ZR_FAN entries, so the height is
 * O(log blocks) and each query visits one node per level:
 *  - by key (zrank_find): at each node, bisect the separators for the last one <= key
 *    and add the counts of the entries before it;
 *  - by rank (zrank_at): at each node, subtract counts from the rank until it falls
 *    inside an entry (empty blocks are stepped over);
 *  - a key counted or uncounted: +-1 on the entries of the path, no structural change;
 *  - a split: the block's count shrinks and a new leaf entry follows it; a full node
 *    splits in two and the parent gains an entry, up to a new root;
 *  - a merge: the right block of the pair gives its count to the left one and its leaf
 *    entry goes; a node left under ZR_MIN entries merges with a sibling when both fit in
 *    one node, else takes entries from it, and a root left with one child is dropped.
 * A node split while building (always at the right end) leaves the left node 3/4 full
 * rather than half, so a built structure needs fewer nodes.
 *
 * Why a B+tree: bench/zrank-bench.c also runs the simplest alternative, the blocks in one
 * sorted array with a Fenwick tree of their counts (rank and count updates O(log n),
 * but a split or merge moves the array's tail and rebuilds the Fenwick tree: O(blocks)).
 * [measurements]
 *
 * Why ZRANK_BLOCK 128: [measurements]
 *
 * Memory: blocks never shrink below ZRANK_BLOCK / 2 next to each other (a block that
 * falls under it merges with a neighbour unless both neighbours are too full to take
 * it, and then they are not small), so a set of n members has at most 4n / ZRANK_BLOCK
 * + 1 blocks, each one leaf entry (16 bytes) plus its boundary's copy. */
#include "config.h"

#include "store/zrank.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"

#define ZR_FAN 64            /* entries per node (bench/zrank-bench.c) */
#define ZR_MIN (ZR_FAN / 4)  /* fewest entries of a node other than the root */
#define ZR_MAXH 16           /* deepest tree: ZR_MIN^15 blocks is far beyond any set */
#define ZR_OVERHEAD sizeof(size_t) /* glibc's size word before each chunk (as cache.h) */

/* A boundary's private copy. */
struct zr_key {
    uint32_t len;  /* bytes at 'p' */
    char p[];
};

/* A tree node. Leaves: entry i is block i of the node, 'key[i]' its boundary (owned),
 * 'cnt[i]' its keys. Inner nodes: entry i is 'child[i]', 'cnt[i]' the keys under it and
 * 'key[i]' the first boundary under it (borrowed from the leaf that owns it). */
struct zr_node {
    uint32_t n;                    /* entries in use, 1..ZR_FAN */
    uint32_t leaf;                 /* 1: a leaf (no 'child' array allocated) */
    struct zr_key *key[ZR_FAN];
    uint64_t cnt[ZR_FAN];
    struct zr_node *child[];       /* inner nodes only: ZR_FAN pointers */
};

struct zrank {
    struct zr_node *root;   /* never NULL; a leaf holding block "" at first */
    uint32_t height;        /* levels, 1 when the root is a leaf */
    uint32_t block;         /* keys per built block (ZRANK_BLOCK unless sized) */
    uint64_t total;         /* keys counted */
    uint64_t blocks;        /* leaf entries */
    size_t bytes;           /* heap bytes of the nodes, the boundaries and this struct */
    /* The registry's fields, guarded by its mutex (reg->mu); 'reg' is NULL while no
     * registry holds the structure. */
    struct zrank_reg *reg;
    uint64_t id;            /* collection id */
    uint32_t pins;          /* zrank_reg_get/put calls not yet released */
    uint32_t dropped;       /* 1: out of the table, freed at the last release */
    size_t charged;         /* bytes charged to the registry: 'bytes' when last charged */
    struct zrank *hnext;    /* hash chain */
    struct zrank *newer;    /* LRU of unpinned structures, toward the newest */
    struct zrank *older;    /* ... toward the oldest */
};

/* A root-to-leaf path: 'node[l]' at level l (0: the root), 'idx[l]' the entry taken. */
struct zr_path {
    struct zr_node *node[ZR_MAXH];
    uint32_t idx[ZR_MAXH];
};

/* ---- Memory ------------------------------------------------------------------------- */

/* The bytes an allocation of 'p' costs, as charged to 'bytes'. */
static size_t zr_charge(void *p)
{
    return malloc_usable_size(p) + ZR_OVERHEAD;
}

/* A copy of 'p'/'len' charged to 'z'. */
static struct zr_key *zr_key_new(struct zrank *z, const char *p, size_t len)
{
    struct zr_key *k;

    OMK_ASSERT(len <= UINT32_MAX);
    k = omk_malloc(sizeof(*k) + len);
    k->len = (uint32_t)len;
    if (len)
        memcpy(k->p, p, len);
    z->bytes += zr_charge(k);
    return k;
}

static void zr_key_free(struct zrank *z, struct zr_key *k)
{
    z->bytes -= zr_charge(k);
    omk_free(k);
}

/* An empty node ('leaf' 1: without the child array) charged to 'z'. */
static struct zr_node *zr_node_new(struct zrank *z, int leaf)
{
    size_t size = sizeof(struct zr_node) + (leaf ? 0 : ZR_FAN * sizeof(struct zr_node *));
    struct zr_node *x = omk_malloc(size);

    x->n = 0;
    x->leaf = leaf ? 1 : 0;
    z->bytes += zr_charge(x);
    return x;
}

static void zr_node_free(struct zrank *z, struct zr_node *x)
{
    z->bytes -= zr_charge(x);
    omk_free(x);
}

/* ---- Keys and paths ----------------------------------------------------------------- */

/* memcmp order of boundary 'a' against 'p'/'len' (a prefix first): <0, 0, >0. */
static int zr_cmp(const struct zr_key *a, const char *p, size_t len)
{
    size_t n = a->len < len ? a->len : len;
    int c = n ? memcmp(a->p, p, n) : 0;

    if (c)
        return c;
    return a->len < len ? -1 : a->len > len;
}

/* Fill 'pa' with the path to the block holding 'k'/'klen'; returns the number of keys in
 * the blocks before it. */
static uint64_t zr_descend_key(const struct zrank *z, const char *k, size_t klen,
                               struct zr_path *pa)
{
    struct zr_node *x = z->root;
    uint64_t before = 0;

    for (uint32_t l = 0;; l++) {
        uint32_t lo = 0, hi = x->n;

        /* Entry 0's separator is at or before 'k': the root's is "", and a child is
         * entered only through a separator at or before 'k'. */
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;

            if (zr_cmp(x->key[mid], k, klen) <= 0)
                lo = mid;
            else
                hi = mid;
        }
        for (uint32_t j = 0; j < lo; j++)
            before += x->cnt[j];
        pa->node[l] = x;
        pa->idx[l] = lo;
        if (x->leaf)
            return before;
        x = x->child[lo];
    }
}

/* Fill 'pa' with the path to the block holding rank 'r' (< total); returns the rank of
 * that block's first key. */
static uint64_t zr_descend_rank(const struct zrank *z, uint64_t r, struct zr_path *pa)
{
    struct zr_node *x = z->root;
    uint64_t first = 0;

    OMK_ASSERT(r < z->total);
    for (uint32_t l = 0;; l++) {
        uint32_t i = 0;

        while (r >= x->cnt[i]) {
            r -= x->cnt[i];
            first += x->cnt[i];
            i++;
            OMK_ASSERT(i < x->n);
        }
        pa->node[l] = x;
        pa->idx[l] = i;
        if (x->leaf)
            return first;
        x = x->child[i];
    }
}

/* Fill 'pa' with the path to the last block. */
static void zr_descend_last(const struct zrank *z, struct zr_path *pa)
{
    struct zr_node *x = z->root;

    for (uint32_t l = 0;; l++) {
        pa->node[l] = x;
        pa->idx[l] = x->n - 1;
        if (x->leaf)
            return;
        x = x->child[x->n - 1];
    }
}

/* Turn 'pa' (of a tree of 'h' levels) into the path to the previous (dir -1) or next
 * (dir 1) block. Returns 0, with 'pa' unchanged, when there is none. */
static int zr_path_step(struct zr_path *pa, uint32_t h, int dir)
{
    uint32_t l = h;

    do {
        l--;
        if (dir < 0 ? pa->idx[l] > 0 : pa->idx[l] + 1 < pa->node[l]->n)
            break;
        if (l == 0)
            return 0;
    } while (1);
    pa->idx[l] = dir < 0 ? pa->idx[l] - 1 : pa->idx[l] + 1;
    for (l++; l < h; l++) {
        pa->node[l] = pa->node[l - 1]->child[pa->idx[l - 1]];
        pa->idx[l] = dir < 0 ? pa->node[l]->n - 1 : 0;
    }
    return 1;
}

/* Add 'delta' to the counts of the entries of 'pa' above level 'lvl'. */
static void zr_add_up(struct zr_path *pa, uint32_t lvl, int64_t delta)
{
    for (uint32_t l = 0; l < lvl; l++)
        pa->node[l]->cnt[pa->idx[l]] += (uint64_t)delta;
}

/* The first boundary under 'pa->node[lvl]' changed: copy it into the separators above
 * that named the old one. */
static void zr_fix_min(struct zr_path *pa, uint32_t lvl)
{
    for (uint32_t l = lvl; l-- > 0;) {
        pa->node[l]->key[pa->idx[l]] = pa->node[l + 1]->key[0];
        if (pa->idx[l] != 0)
            return;
    }
}

/* ---- Node surgery ------------------------------------------------------------------- */

/* Put entry ('key', 'cnt', 'child') at 'pos' of node 'x' (not full), shifting the rest. */
static void zr_node_put(struct zr_node *x, uint32_t pos, struct zr_key *key, uint64_t cnt,
                        struct zr_node *child)
{
    uint32_t tail = x->n - pos;

    memmove(&x->key[pos + 1], &x->key[pos], tail * sizeof(x->key[0]));
    memmove(&x->cnt[pos + 1], &x->cnt[pos], tail * sizeof(x->cnt[0]));
    x->key[pos] = key;
    x->cnt[pos] = cnt;
    if (!x->leaf) {
        memmove(&x->child[pos + 1], &x->child[pos], tail * sizeof(x->child[0]));
        x->child[pos] = child;
    }
    x->n++;
}

/* Move 'm' entries of 'src' starting at 'from' to 'dst' at 'to' (which has room); the
 * entries after them in 'src' close the gap, the ones at 'to' in 'dst' open one. */
static void zr_node_move(struct zr_node *dst, uint32_t to, struct zr_node *src, uint32_t from,
                         uint32_t m)
{
    uint32_t dtail = dst->n - to, stail = src->n - from - m;

    memmove(&dst->key[to + m], &dst->key[to], dtail * sizeof(dst->key[0]));
    memmove(&dst->cnt[to + m], &dst->cnt[to], dtail * sizeof(dst->cnt[0]));
    memcpy(&dst->key[to], &src->key[from], m * sizeof(dst->key[0]));
    memcpy(&dst->cnt[to], &src->cnt[from], m * sizeof(dst->cnt[0]));
    memmove(&src->key[from], &src->key[from + m], stail * sizeof(src->key[0]));
    memmove(&src->cnt[from], &src->cnt[from + m], stail * sizeof(src->cnt[0]));
    if (!dst->leaf) {
        memmove(&dst->child[to + m], &dst->child[to], dtail * sizeof(dst->child[0]));
        memcpy(&dst->child[to], &src->child[from], m * sizeof(dst->child[0]));
        memmove(&src->child[from], &src->child[from + m], stail * sizeof(src->child[0]));
    }
    dst->n += m;
    src->n -= m;
}

/* Drop entry 'pos' of node 'x', closing the gap. */
static void zr_node_del(struct zr_node *x, uint32_t pos)
{
    uint32_t tail = x->n - pos - 1;

    memmove(&x->key[pos], &x->key[pos + 1], tail * sizeof(x->key[0]));
    memmove(&x->cnt[pos], &x->cnt[pos + 1], tail * sizeof(x->cnt[0]));
    if (!x->leaf)
        memmove(&x->child[pos], &x->child[pos + 1], tail * sizeof(x->child[0]));
    x->n--;
}

/* Sum of the counts of node 'x'. */
static uint64_t zr_node_sum(const struct zr_node *x)
{
    uint64_t s = 0;

    for (uint32_t i = 0; i < x->n; i++)
        s += x->cnt[i];
    return s;
}

/* Insert entry ('key', 'cnt', 'child') at 'pos' (>= 1) of node 'pa->node[lvl]', the keys
 * under that node changing by 'delta' in all (the entry's 'cnt' and any change already
 * made to its entries). A full node splits, in two halves, or ('dense', appending at the
 * end) leaving the left one 3/4 full; the new right node goes into the parent the same
 * way, or under a new root. */
static void zr_insert_at(struct zrank *z, struct zr_path *pa, uint32_t lvl, uint32_t pos,
                         struct zr_key *key, uint64_t cnt, struct zr_node *child,
                         int64_t delta, int dense)
{
    struct zr_node *x = pa->node[lvl], *right;
    uint32_t keep;

    OMK_ASSERT(pos >= 1 && pos <= x->n);
    if (x->n < ZR_FAN) {
        zr_node_put(x, pos, key, cnt, child);
        zr_add_up(pa, lvl, delta);
        return;
    }
    right = zr_node_new(z, x->leaf);
    keep = dense && pos == ZR_FAN ? ZR_FAN - ZR_MIN : ZR_FAN / 2;
    zr_node_move(right, 0, x, keep, ZR_FAN - keep);
    if (pos <= keep)
        zr_node_put(x, pos, key, cnt, child);
    else
        zr_node_put(right, pos - keep, key, cnt, child);
    if (lvl == 0) {
        struct zr_node *root = zr_node_new(z, 0);

        OMK_ASSERT(z->height < ZR_MAXH);
        zr_node_put(root, 0, x->key[0], zr_node_sum(x), x);
        zr_node_put(root, 1, right->key[0], zr_node_sum(right), right);
        z->root = root;
        z->height++;
        return;
    }
    pa->node[lvl - 1]->cnt[pa->idx[lvl - 1]] = zr_node_sum(x);
    zr_insert_at(z, pa, lvl - 1, pa->idx[lvl - 1] + 1, right->key[0], zr_node_sum(right),
                 right, delta, dense);
}

/* Remove entry 'pos' of node 'pa->node[lvl]' (the caller frees what it owned), the keys
 * under that node changing by 'delta' in all. Then restore the node's fill: merge it with
 * a sibling when both fit in one node (removing the right one from the parent the same
 * way), else even the two out; a root with a single child gives way to it. */
static void zr_remove_at(struct zrank *z, struct zr_path *pa, uint32_t lvl, uint32_t pos,
                         int64_t delta)
{
    struct zr_node *x = pa->node[lvl], *parent, *left, *right;
    uint32_t li, half;

    OMK_ASSERT(pos < x->n && x->n > 1);
    zr_node_del(x, pos);
    zr_add_up(pa, lvl, delta);
    if (lvl == 0) {
        if (!x->leaf && x->n == 1) {
            z->root = x->child[0];
            z->height--;
            zr_node_free(z, x);
        }
        return;
    }
    if (pos == 0)
        zr_fix_min(pa, lvl);
    if (x->n >= ZR_MIN)
        return;
    parent = pa->node[lvl - 1];
    li = pa->idx[lvl - 1] > 0 ? pa->idx[lvl - 1] - 1 : 0;
    left = parent->child[li];
    right = parent->child[li + 1];
    if (left->n + right->n <= ZR_FAN) {
        parent->cnt[li] += parent->cnt[li + 1];
        zr_node_move(left, left->n, right, 0, right->n);
        zr_node_free(z, right);
        zr_remove_at(z, pa, lvl - 1, li + 1, 0);
        return;
    }
    half = (left->n + right->n) / 2;
    if (left->n < half)
        zr_node_move(left, left->n, right, 0, half - left->n);
    else
        zr_node_move(right, 0, left, half, left->n - half);
    parent->cnt[li] = zr_node_sum(left);
    parent->cnt[li + 1] = zr_node_sum(right);
    parent->key[li + 1] = right->key[0];
}

/* ---- One structure ------------------------------------------------------------------ */

struct zrank *zrank_new(void)
{
    return zrank_new_sized(ZRANK_BLOCK);
}

struct zrank *zrank_new_sized(uint32_t block)
{
    struct zrank *z = omk_calloc(1, sizeof(*z));

    OMK_ASSERT(block >= 2 && block <= (1u << 20));
    z->block = block;
    z->bytes = zr_charge(z);
    z->root = zr_node_new(z, 1);
    zr_node_put(z->root, 0, zr_key_new(z, "", 0), 0, NULL);
    z->height = 1;
    z->blocks = 1;
    return z;
}

/* Free node 'x', the nodes under it and the boundaries its leaves own. */
static void zr_free_tree(struct zrank *z, struct zr_node *x)
{
    for (uint32_t i = 0; i < x->n; i++) {
        if (x->leaf)
            zr_key_free(z, x->key[i]);
        else
            zr_free_tree(z, x->child[i]);
    }
    zr_node_free(z, x);
}

void zrank_free(struct zrank *z)
{
    if (!z)
        return;
    OMK_ASSERT(z->reg == NULL);
    zr_free_tree(z, z->root);
    omk_free(z);
}

size_t zrank_bytes(const struct zrank *z)
{
    return z->bytes;
}

uint64_t zrank_total(const struct zrank *z)
{
    return z->total;
}

uint64_t zrank_blocks(const struct zrank *z)
{
    return z->blocks;
}

void zrank_build_add(struct zrank *z, const char *k, size_t klen)
{
    struct zr_path pa;
    uint32_t leaf = z->height - 1, i;
    struct zr_node *x;

    zr_descend_last(z, &pa);
    x = pa.node[leaf];
    i = pa.idx[leaf];
    OMK_ASSERT(zr_cmp(x->key[i], k, klen) <= 0);
    z->total++;
    if (x->cnt[i] < z->block) {
        x->cnt[i]++;
        zr_add_up(&pa, leaf, 1);
        return;
    }
    OMK_ASSERT(zr_cmp(x->key[i], k, klen) < 0);
    zr_insert_at(z, &pa, leaf, i + 1, zr_key_new(z, k, klen), 1, NULL, 1, 1);
    z->blocks++;
}

int zrank_insert(struct zrank *z, const char *k, size_t klen)
{
    struct zr_path pa;
    uint32_t leaf = z->height - 1;
    struct zr_node *x;

    zr_descend_key(z, k, klen, &pa);
    x = pa.node[leaf];
    x->cnt[pa.idx[leaf]]++;
    zr_add_up(&pa, leaf, 1);
    z->total++;
    return x->cnt[pa.idx[leaf]] > 2 * (uint64_t)z->block;
}

void zrank_split(struct zrank *z, const char *mid, size_t midlen, uint64_t left_count)
{
    struct zr_path pa;
    uint32_t leaf = z->height - 1, i;
    struct zr_node *x;
    uint64_t right;

    zr_descend_key(z, mid, midlen, &pa);
    x = pa.node[leaf];
    i = pa.idx[leaf];
    OMK_ASSERT(zr_cmp(x->key[i], mid, midlen) < 0);
    OMK_ASSERT(left_count <= x->cnt[i]);
    right = x->cnt[i] - left_count;
    x->cnt[i] = left_count;
    zr_insert_at(z, &pa, leaf, i + 1, zr_key_new(z, mid, midlen), right, NULL, 0, 0);
    z->blocks++;
}

void zrank_remove(struct zrank *z, const char *k, size_t klen)
{
    struct zr_path pa, prev, next, *lp, *rp;
    uint32_t leaf = z->height - 1;
    uint64_t c, cprev = UINT64_MAX, cnext = UINT64_MAX, moved;
    struct zr_key *gone;

    zr_descend_key(z, k, klen, &pa);
    OMK_ASSERT(pa.node[leaf]->cnt[pa.idx[leaf]] > 0);
    pa.node[leaf]->cnt[pa.idx[leaf]]--;
    zr_add_up(&pa, leaf, -1);
    z->total--;
    c = pa.node[leaf]->cnt[pa.idx[leaf]];
    if (c >= z->block / 2 || z->blocks == 1)
        return;

    /* Merge with the smaller neighbour, if the two fit in 2 * block keys. */
    prev = pa;
    if (zr_path_step(&prev, z->height, -1))
        cprev = prev.node[leaf]->cnt[prev.idx[leaf]];
    next = pa;
    if (zr_path_step(&next, z->height, 1))
        cnext = next.node[leaf]->cnt[next.idx[leaf]];
    if (cprev <= cnext) {
        if (c + cprev > 2 * (uint64_t)z->block)
            return;
        lp = &prev;
        rp = &pa;
    } else {
        if (c + cnext > 2 * (uint64_t)z->block)
            return;
        lp = &pa;
        rp = &next;
    }
    moved = rp->node[leaf]->cnt[rp->idx[leaf]];
    gone = rp->node[leaf]->key[rp->idx[leaf]];
    lp->node[leaf]->cnt[lp->idx[leaf]] += moved;
    zr_add_up(lp, leaf, (int64_t)moved);
    zr_remove_at(z, rp, leaf, rp->idx[leaf], -(int64_t)moved);
    zr_key_free(z, gone);
    z->blocks--;
}

void zrank_find(const struct zrank *z, const char *k, size_t klen, const char **bound,
                size_t *blen, uint64_t *before, uint64_t *count)
{
    struct zr_path pa;
    uint32_t leaf = z->height - 1;
    uint64_t b = zr_descend_key(z, k, klen, &pa);
    const struct zr_key *key = pa.node[leaf]->key[pa.idx[leaf]];

    if (bound)
        *bound = key->p;
    if (blen)
        *blen = key->len;
    if (before)
        *before = b;
    if (count)
        *count = pa.node[leaf]->cnt[pa.idx[leaf]];
}

void zrank_at(const struct zrank *z, uint64_t r, const char **bound, size_t *blen,
              uint64_t *first, uint64_t *count)
{
    struct zr_path pa;
    uint32_t leaf = z->height - 1;
    uint64_t f = zr_descend_rank(z, r, &pa);
    const struct zr_key *key = pa.node[leaf]->key[pa.idx[leaf]];

    if (bound)
        *bound = key->p;
    if (blen)
        *blen = key->len;
    if (first)
        *first = f;
    if (count)
        *count = pa.node[leaf]->cnt[pa.idx[leaf]];
}

/* ---- Self-check --------------------------------------------------------------------- */

/* What zr_check_node() carries from leaf to leaf. */
struct zr_check {
    const struct zr_key *last;  /* the previous boundary, NULL before the first */
    uint64_t last_cnt;          /* its block's count */
    uint64_t blocks;            /* leaf entries seen */
    size_t bytes;               /* charges seen */
    char *err;
    size_t errlen;
};

/* Check node 'x' at level 'lvl' and everything under it; writes its keys' sum to '*sum'.
 * Returns 0 or -1 with the fault in 'ck->err'. */
static int zr_check_node(const struct zrank *z, const struct zr_node *x, uint32_t lvl,
                         struct zr_check *ck, uint64_t *sum)
{
    *sum = 0;
    ck->bytes += zr_charge((void *)x);
    if (x->n < 1 || x->n > ZR_FAN || (lvl > 0 && x->n < ZR_MIN) || (lvl == 0 && !x->leaf &&
                                                                      x->n < 2)) {
        snprintf(ck->err, ck->errlen, "level %u: a node of %u entries", lvl, x->n);
        return -1;
    }
    if ((lvl + 1 == z->height) != (x->leaf == 1)) {
        snprintf(ck->err, ck->errlen, "level %u of %u: leaf flag %u", lvl, z->height, x->leaf);
        return -1;
    }
    for (uint32_t i = 0; i < x->n; i++) {
        const struct zr_key *k = x->key[i];

        if (!x->leaf) {
            uint64_t sub;

            if (zr_check_node(z, x->child[i], lvl + 1, ck, &sub) < 0)
                return -1;
            if (sub != x->cnt[i] || k != x->child[i]->key[0]) {
                snprintf(ck->err, ck->errlen,
                         "level %u entry %u: count %llu for %llu keys, separator %s", lvl, i,
                         (unsigned long long)x->cnt[i], (unsigned long long)sub,
                         k == x->child[i]->key[0] ? "right" : "wrong");
                return -1;
            }
            *sum += sub;
            continue;
        }
        ck->bytes += zr_charge((void *)k);
        if (ck->last ? zr_cmp(ck->last, k->p, k->len) >= 0 : k->len != 0) {
            snprintf(ck->err, ck->errlen, "block %llu: boundary out of order",
                     (unsigned long long)ck->blocks);
            return -1;
        }
        if (x->cnt[i] > 2 * (uint64_t)z->block) {
            snprintf(ck->err, ck->errlen, "block %llu: %llu keys, above twice %u",
                     (unsigned long long)ck->blocks, (unsigned long long)x->cnt[i], z->block);
            return -1;
        }
        if (ck->last && ck->last_cnt < z->block / 2 && x->cnt[i] < z->block / 2) {
            snprintf(ck->err, ck->errlen, "blocks %llu and %llu: %llu and %llu keys, both small",
                     (unsigned long long)ck->blocks - 1, (unsigned long long)ck->blocks,
                     (unsigned long long)ck->last_cnt, (unsigned long long)x->cnt[i]);
            return -1;
        }
        ck->last = k;
        ck->last_cnt = x->cnt[i];
        ck->blocks++;
        *sum += x->cnt[i];
    }
    return 0;
}

int zrank_check(const struct zrank *z, char *err, size_t errlen)
{
    struct zr_check ck = {.err = err, .errlen = errlen, .bytes = zr_charge((void *)z)};
    uint64_t sum;

    if (errlen)
        err[0] = '\0';
    if (z->height < 1 || z->height > ZR_MAXH) {
        snprintf(err, errlen, "height %u", z->height);
        return -1;
    }
    if (zr_check_node(z, z->root, 0, &ck, &sum) < 0)
        return -1;
    if (sum != z->total || ck.blocks != z->blocks || ck.bytes != z->bytes) {
        snprintf(err, errlen, "totals: %llu keys for %llu, %llu blocks for %llu, %zu bytes for %zu",
                 (unsigned long long)sum, (unsigned long long)z->total,
                 (unsigned long long)ck.blocks, (unsigned long long)z->blocks, ck.bytes, z->bytes);
        return -1;
    }
    return 0;
}

/* ---- The registry ------------------------------------------------------------------- */

#define ZR_REG_BUCKETS0 16 /* buckets of a new registry's table (a power of two) */

struct zrank_reg {
    pthread_mutex_t mu;        /* guards everything below but 'max_bytes' */
    size_t max_bytes;          /* budget for unpinned structures; immutable */
    size_t charged;            /* sum of the held structures' 'charged' (mu) */
    struct zrank **table;      /* hash chains by id (mu) */
    size_t nbuckets;           /* a power of two (mu) */
    uint64_t held;             /* structures in the table (mu) */
    uint64_t pinned;           /* structures pinned, dropped ones included (mu) */
    struct zrank *newest;      /* LRU of the unpinned held structures (mu) */
    struct zrank *oldest;
    uint64_t hits, misses, evictions; /* (mu) */
};

/* The chain of 'id' in 'reg'. */
static struct zrank **zr_reg_chain(const struct zrank_reg *reg, uint64_t id)
{
    uint64_t h = id * UINT64_C(0x9E3779B97F4A7C15);

    return &reg->table[(h >> 32) & (reg->nbuckets - 1)];
}

/* The held structure of 'id', or NULL. (mu) */
static struct zrank *zr_reg_find(const struct zrank_reg *reg, uint64_t id)
{
    struct zrank *z = *zr_reg_chain(reg, id);

    while (z && z->id != id)
        z = z->hnext;
    return z;
}

/* Link 'z' into the table, doubling it when chains would grow past one on average. (mu) */
static void zr_reg_hash(struct zrank_reg *reg, struct zrank *z)
{
    struct zrank **chain;

    if (reg->held + 1 > reg->nbuckets) {
        struct zrank **old = reg->table;
        size_t oldn = reg->nbuckets;

        reg->nbuckets *= 2;
        reg->table = omk_calloc(reg->nbuckets, sizeof(*reg->table));
        for (size_t b = 0; b < oldn; b++) {
            while (old[b]) {
                struct zrank *y = old[b];

                old[b] = y->hnext;
                chain = zr_reg_chain(reg, y->id);
                y->hnext = *chain;
                *chain = y;
            }
        }
        omk_free(old);
    }
    chain = zr_reg_chain(reg, z->id);
    z->hnext = *chain;
    *chain = z;
    reg->held++;
    reg->charged += z->charged;
}

/* Unlink held 'z' from the table and uncharge it. (mu) */
static void zr_reg_unhash(struct zrank_reg *reg, struct zrank *z)
{
    struct zrank **pp = zr_reg_chain(reg, z->id);

    while (*pp != z)
        pp = &(*pp)->hnext;
    *pp = z->hnext;
    z->hnext = NULL;
    reg->held--;
    reg->charged -= z->charged;
}

/* Put unpinned 'z' at the newest end of the LRU. (mu) */
static void zr_lru_push(struct zrank_reg *reg, struct zrank *z)
{
    z->newer = NULL;
    z->older = reg->newest;
    if (reg->newest)
        reg->newest->newer = z;
    else
        reg->oldest = z;
    reg->newest = z;
}

/* Take 'z' out of the LRU. (mu) */
static void zr_lru_unlink(struct zrank_reg *reg, struct zrank *z)
{
    if (z->newer)
        z->newer->older = z->older;
    else
        reg->newest = z->older;
    if (z->older)
        z->older->newer = z->newer;
    else
        reg->oldest = z->newer;
    z->newer = z->older = NULL;
}

/* Forget unpinned held 'z' and chain it on '*victims' (through 'hnext') for freeing once
 * the mutex is dropped. (mu) */
static void zr_reg_evict(struct zrank_reg *reg, struct zrank *z, struct zrank **victims)
{
    zr_lru_unlink(reg, z);
    zr_reg_unhash(reg, z);
    z->reg = NULL;
    z->hnext = *victims;
    *victims = z;
}

/* Evict the least recently used unpinned structures until the charge fits the budget.
 * (mu) */
static void zr_reg_fit(struct zrank_reg *reg, struct zrank **victims)
{
    while (reg->charged > reg->max_bytes && reg->oldest) {
        zr_reg_evict(reg, reg->oldest, victims);
        reg->evictions++;
    }
}

/* Free the structures chained on 'victims'; no registry lock held (freeing a large
 * structure takes a while). */
static void zr_free_victims(struct zrank *victims)
{
    while (victims) {
        struct zrank *z = victims;

        victims = z->hnext;
        z->hnext = NULL;
        zrank_free(z);
    }
}

struct zrank_reg *zrank_reg_new(size_t max_bytes)
{
    struct zrank_reg *reg = omk_calloc(1, sizeof(*reg));

    omk_mutex_init(&reg->mu);
    reg->max_bytes = max_bytes;
    reg->nbuckets = ZR_REG_BUCKETS0;
    reg->table = omk_calloc(reg->nbuckets, sizeof(*reg->table));
    return reg;
}

void zrank_reg_free(struct zrank_reg *reg)
{
    if (!reg)
        return;
    OMK_ASSERT(reg->pinned == 0);
    zrank_reg_clear(reg);
    pthread_mutex_destroy(&reg->mu);
    omk_free(reg->table);
    omk_free(reg);
}

struct zrank *zrank_reg_get(struct zrank_reg *reg, uint64_t id)
{
    struct zrank *z;

    omk_mutex_lock(&reg->mu);
    z = zr_reg_find(reg, id);
    if (z) {
        if (z->pins++ == 0) {
            zr_lru_unlink(reg, z);
            reg->pinned++;
        }
        reg->hits++;
    } else {
        reg->misses++;
    }
    omk_mutex_unlock(&reg->mu);
    return z;
}

void zrank_reg_put(struct zrank_reg *reg, uint64_t id, struct zrank *z)
{
    struct zrank *victims = NULL;

    OMK_ASSERT(z->reg == NULL);
    omk_mutex_lock(&reg->mu);
    OMK_ASSERT(zr_reg_find(reg, id) == NULL);
    z->reg = reg;
    z->id = id;
    z->pins = 1;
    z->dropped = 0;
    z->charged = z->bytes;
    reg->pinned++;
    zr_reg_hash(reg, z);
    zr_reg_fit(reg, &victims);
    omk_mutex_unlock(&reg->mu);
    zr_free_victims(victims);
}

void zrank_reg_release(struct zrank_reg *reg, struct zrank *z)
{
    struct zrank *victims = NULL;

    omk_mutex_lock(&reg->mu);
    OMK_ASSERT(z->reg == reg && z->pins > 0);
    if (--z->pins == 0)
        reg->pinned--;
    if (z->dropped) {
        if (z->pins == 0) {
            z->reg = NULL;
            z->hnext = victims;
            victims = z;
        }
    } else {
        reg->charged -= z->charged;
        z->charged = z->bytes;
        reg->charged += z->charged;
        if (z->pins == 0) {
            zr_lru_push(reg, z);
            if (z->charged > reg->max_bytes) {
                zr_reg_evict(reg, z, &victims);
                reg->evictions++;
            }
        }
        zr_reg_fit(reg, &victims);
    }
    omk_mutex_unlock(&reg->mu);
    zr_free_victims(victims);
}

/* Forget held 'z': freed after the mutex if unpinned, else at its last release. (mu) */
static void zr_reg_forget(struct zrank_reg *reg, struct zrank *z, struct zrank **victims)
{
    if (z->pins == 0) {
        zr_reg_evict(reg, z, victims);
        return;
    }
    zr_reg_unhash(reg, z);
    z->dropped = 1;
}

void zrank_reg_drop(struct zrank_reg *reg, uint64_t id)
{
    struct zrank *victims = NULL, *z;

    omk_mutex_lock(&reg->mu);
    z = zr_reg_find(reg, id);
    if (z)
        zr_reg_forget(reg, z, &victims);
    omk_mutex_unlock(&reg->mu);
    zr_free_victims(victims);
}

void zrank_reg_clear(struct zrank_reg *reg)
{
    struct zrank *victims = NULL;

    omk_mutex_lock(&reg->mu);
    for (size_t b = 0; b < reg->nbuckets; b++)
        while (reg->table[b])
            zr_reg_forget(reg, reg->table[b], &victims);
    omk_mutex_unlock(&reg->mu);
    zr_free_victims(victims);
}

size_t zrank_reg_bytes(struct zrank_reg *reg)
{
    size_t n;

    omk_mutex_lock(&reg->mu);
    n = reg->charged + zr_charge(reg->table) + zr_charge(reg);
    omk_mutex_unlock(&reg->mu);
    return n;
}

void zrank_reg_stats_get(struct zrank_reg *reg, struct zrank_reg_stats *st)
{
    omk_mutex_lock(&reg->mu);
    st->held = reg->held;
    st->pinned = reg->pinned;
    st->charged = reg->charged;
    st->budget = reg->max_bytes;
    st->hits = reg->hits;
    st->misses = reg->misses;
    st->evictions = reg->evictions;
    omk_mutex_unlock(&reg->mu);
}
