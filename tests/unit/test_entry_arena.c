/* test_entry_arena.c - the entry arena (index/entry_arena.c): every key length from 0 to
 * 600 bytes keeps its bytes and fields, blocks are 8-byte aligned (the u64 words' atomics)
 * and sized by 8-byte class (a 17-byte key, db byte + 16-byte user key, in 40 bytes),
 * freed blocks are reused and the in-use count returns to where it was, once every entry
 * is freed carving starts again at the first chunk, keys past 490 bytes come from malloc,
 * keys of 65535 bytes and more keep their length through the escape (index.h's LAYOUT),
 * and two threads making and freeing entries at once corrupt nothing (run under
 * ThreadSanitizer too). In malloc mode (ASan builds, OMK_ENTRY_MALLOC=1 as in the valgrind
 * run) the same checks run and the arena stays empty; the ones about where a block comes
 * from or its exact size are TAP SKIPs there. */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "index/index_internal.h"

#include "common/omk.h"
#include "common/omk_thread.h"
#include "tests/tap.h"

#define MAX_KEY 600
#define ARENA_KEY_MAX 490 /* 512-byte blocks minus the 22-byte header */

/* Fill 'buf' with 'len' bytes that depend on 'seed' (NULs and 0xFF included). */
static void fill_key(char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)((seed * 131u + i * 7u) & 0xff);
}

/* Does 'e' hold the key fill_key(len, seed) and zeroed fields? */
static int entry_is(const struct idx_entry *e, size_t len, unsigned seed)
{
    char *buf = omk_malloc(len + 1);
    int same;

    fill_key(buf, len, seed);
    same = idx_entry_klen(e) == len && e->val_len == 0 && e->expire_flags == 0 &&
           e->loc == 0 && memcmp(idx_entry_key(e), buf, len) == 0;
    omk_free(buf);
    return same;
}

static uintptr_t first_entry; /* the first entry the process made */

static void test_sizes(int arena)
{
    static struct idx_entry *ents[MAX_KEY + 1];
    char buf[MAX_KEY];
    size_t base = idx_entry_arena_bytes(), want = 0;
    int fields = 1, aligned = 1, sized = 1;

    for (size_t len = 0; len <= MAX_KEY; len++) {
        fill_key(buf, len, (unsigned)len);
        ents[len] = idx_entry_new(buf, len);
        if (!first_entry)
            first_entry = (uintptr_t)ents[len];
        aligned &= ((uintptr_t)ents[len] & 7) == 0;
        if (arena && len <= ARENA_KEY_MAX) {
            size_t block = (IDX_ENTRY_HDR + len + 7) & ~(size_t)7;

            sized &= idx_entry_size(ents[len]) == block;
            want += block;
        } else {
            sized &= idx_entry_size(ents[len]) >= IDX_ENTRY_HDR + len;
        }
    }
    for (size_t len = 0; len <= MAX_KEY; len++)
        fields &= entry_is(ents[len], len, (unsigned)len);
    ok(fields, "601 entries of 0..600-byte keys hold their keys and zeroed fields");
    ok(aligned, "every entry is 8-byte aligned");
    ok(sized, "idx_entry_size: the class block in the arena, at least the entry otherwise");
    ok(idx_entry_arena_bytes() - base == want,
       "the arena counts exactly the blocks of keys up to 490 bytes (%zu bytes)", want);
    for (size_t len = 0; len <= MAX_KEY; len++)
        idx_entry_free(ents[len]);
    ok(idx_entry_arena_bytes() == base, "after freeing them all the count is back");
    idx_entry_free(NULL);
    ok(idx_entry_arena_bytes() == base, "idx_entry_free(NULL) is a no-op: the count is unchanged");
}

static void test_reuse(int arena)
{
    struct idx_entry *pin = idx_entry_new("pin", 3); /* keeps the arena from emptying */
    struct idx_entry *a = idx_entry_new("abcdefgh", 8), *b;
    uintptr_t where = (uintptr_t)a;

    a->val_len = 7;
    a->loc = 99;
    idx_entry_free(a);
    b = idx_entry_new("12345678", 8);
    if (arena)
        ok((uintptr_t)b == where, "a freed block is the next one of its class handed out");
    else /* a TAP SKIP, not a pass */
        ok(1, "a freed block is handed out next # SKIP malloc mode: reuse is malloc's");
    ok(idx_entry_klen(b) == 8 && memcmp(idx_entry_key(b), "12345678", 8) == 0 &&
       b->val_len == 0 && b->loc == 0,
       "a reused block comes back with its new key and zeroed fields");
    idx_entry_free(b);
    idx_entry_free(pin);
    b = idx_entry_new("x", 1);
    if (arena)
        ok((uintptr_t)b == first_entry,
           "with every entry freed, the next one is carved from the first chunk's start");
    else /* a TAP SKIP, not a pass */
        ok(1, "with every entry freed, carving restarts # SKIP malloc mode: no chunks");
    idx_entry_free(b);
}

/* The entry of a 16-byte user key (17 bytes with the db byte) takes 40 bytes, that of
 * an 18-byte store key too (22 + 18), a 19-byte one 48; the store's words stay aligned. */
static void test_small_key(int arena)
{
    struct idx_entry *e17 = idx_entry_new("\x00k:00000000000001", 17);
    struct idx_entry *e18 = idx_entry_new("\x00k:000000000000012", 18);
    struct idx_entry *e19 = idx_entry_new("\x00k:0000000000000123", 19);

    if (arena)
        ok(idx_entry_size(e17) == 40 && idx_entry_size(e18) == 40 && idx_entry_size(e19) == 48,
           "17- and 18-byte keys take 40-byte blocks, a 19-byte one 48 (%zu %zu %zu)",
           idx_entry_size(e17), idx_entry_size(e18), idx_entry_size(e19));
    else
        ok(1, "a 17-byte key takes 40 bytes # SKIP malloc mode: sizes are malloc's");
    ok(((uintptr_t)&e17->expire_flags & 7) == 0 && ((uintptr_t)&e17->loc & 7) == 0 &&
       ((uintptr_t)&e19->loc & 7) == 0, "the u64 words are 8-byte aligned");
    ok(idx_entry_klen(e17) == 17 && memcmp(idx_entry_key(e17), "\x00k:00000000000001", 17) == 0,
       "the 17-byte key reads back");
    e17->loc = UINT64_MAX;
    e17->expire_flags = UINT64_MAX;
    e17->val_len = UINT32_MAX;
    ok(idx_entry_klen(e17) == 17 && memcmp(idx_entry_key(e17), "\x00k:00000000000001", 17) == 0,
       "all-ones header words leave the key and its length alone");
    idx_entry_free(e17);
    idx_entry_free(e18);
    idx_entry_free(e19);
}

/* Keys around the 16-bit length's escape (65535 = IDX_KLEN_ESC) and a 1 MB one: their
 * lengths and bytes read back, their size covers header, escape and key. */
static void test_long_keys(void)
{
    static const size_t lens[] = {65533, 65534, 65535, 65536, 70000, (size_t)1 << 20};
    char *buf = omk_malloc((size_t)1 << 20);
    int kept = 1, sized = 1, esc = 1;

    for (size_t i = 0; i < OMK_ARRAY_LEN(lens); i++) {
        struct idx_entry *e;

        fill_key(buf, lens[i], (unsigned)i + 7);
        e = idx_entry_new(buf, lens[i]);
        kept &= entry_is(e, lens[i], (unsigned)i + 7);
        sized &= idx_entry_size(e) >= idx_entry_need(lens[i]);
        esc &= (e->klen16 == IDX_KLEN_ESC) == (lens[i] >= 65535) &&
               idx_entry_key(e) == e->kdata + (lens[i] >= 65535 ? 4 : 0);
        e->loc = UINT64_MAX; /* the header words are not the length */
        e->val_len = UINT32_MAX;
        kept &= idx_entry_klen(e) == lens[i] && memcmp(idx_entry_key(e), buf, lens[i]) == 0;
        idx_entry_free(e);
    }
    ok(kept, "keys of 65533..65536, 70000 and 1M bytes keep their bytes and lengths");
    ok(esc, "lengths from 65535 up take the escape, shorter ones do not");
    ok(sized, "and their size covers header, escaped length and key");
    ok(idx_entry_need(65534) == 22 + 65534 && idx_entry_need(65535) == 22 + 4 + 65535,
       "idx_entry_need: 4 more bytes from 65535 up");
    omk_free(buf);
}

struct churn {
    unsigned seed;
    int bad;
};

/* Make, check and free entries of varied sizes, keeping up to 256 alive at a time. */
static void *churn_thread(void *arg)
{
    struct churn *c = arg;
    struct idx_entry *live[256] = {NULL};
    size_t lens[256];
    unsigned seeds[256];
    char buf[MAX_KEY];
    uint64_t s = c->seed;

    for (int i = 0; i < 200000; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned slot = (unsigned)(s >> 56);

        if (live[slot]) {
            c->bad |= !entry_is(live[slot], lens[slot], seeds[slot]);
            idx_entry_free(live[slot]);
        }
        lens[slot] = (size_t)((s >> 20) % 520);
        seeds[slot] = (unsigned)(s >> 8);
        fill_key(buf, lens[slot], seeds[slot]);
        live[slot] = idx_entry_new(buf, lens[slot]);
    }
    for (int j = 0; j < 256; j++) {
        if (live[j]) {
            c->bad |= !entry_is(live[j], lens[j], seeds[j]);
            idx_entry_free(live[j]);
        }
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[2];
    struct churn c[2] = {{1, 0}, {2, 0}};
    size_t base = idx_entry_arena_bytes();

    for (int i = 0; i < 2; i++)
        omk_thread_create(&t[i], churn_thread, &c[i]);
    for (int i = 0; i < 2; i++)
        omk_thread_join(t[i]);
    ok(!c[0].bad && !c[1].bad, "two threads, 200k makes and frees each: every entry intact");
    ok(idx_entry_arena_bytes() == base, "and the in-use count is back where it was");
}

int main(void)
{
    const char *env = getenv("OMK_ENTRY_MALLOC");
    int arena = entry_arena_enabled();

    diag("entries from %s%s", arena ? "the arena" : "malloc",
         env ? " (OMK_ENTRY_MALLOC set)" : "");
    if (env && *env && strcmp(env, "0") != 0)
        ok(!arena, "OMK_ENTRY_MALLOC=%s turns the arena off", env);
    test_sizes(arena);
    if (!arena)
        ok(idx_entry_arena_bytes() == 0, "malloc mode: the arena holds nothing");
    test_reuse(arena);
    test_small_key(arena);
    test_long_keys();
    test_threads();
    return tap_done();
}
