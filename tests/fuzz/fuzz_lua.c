/* fuzz_lua.c - libFuzzer target for Lua source run by EVAL, EVALSHA and FCALL, in process:
 * the input is a script. It goes through the whole command path of fuzz_cmd.c (included
 * below, its entry point renamed): one client on a real store in a temp dir, every
 * request through cmd_execute(), each reply checked to be exactly one well-formed RESP2
 * or RESP3 reply, store_check() after each input. The requests made of one input:
 *
 *     seed keys (a string, a hash, a sorted set, a list)
 *     EVAL <input> 4 <the four keys> token 10 1000 x         compile, cache, run (RESP2)
 *     HELLO 3
 *     EVALSHA <sha1 of the input> 4 ...                        the cache, run (RESP3)
 *     FUNCTION LOAD REPLACE <input, with "#!lua name=fz" first unless it has a shebang>
 *     FCALL f 4 ...                                            what it registered as 'f'
 *     SCRIPT FLUSH, FUNCTION DELETE fz (FLUSH after a shebang)  the next input starts anew
 *
 * The watchdog: script_set_test_limits() stops every run after about FZ_LUA_STEPS Lua
 * instructions, written or not, with an error reply (the count hook SCRIPT KILL uses),
 * and caps each interpreter at FZ_LUA_MEM bytes (Lua's "not enough memory" error). A
 * library's load stops after 500 ms, as in the server. Not bounded: a single C call
 * such as string.rep or a string.find with a backtracking pattern runs to its end, as in
 * Redis (Lua 5.1's hooks see instructions, not the time spent in C).
 *
 * Build and run it (clang only; `make` never builds it):
 *     make fuzz-lua       # tests/fuzz/fuzz_lua, clang -fsanitize=fuzzer,address,undefined
 *     mkdir -p fuzz-new
 *     nice -n 19 tests/fuzz/fuzz_lua -max_total_time=600 -timeout=20 \
 *         -dict=$(top_srcdir)/tests/fuzz/lua.dict fuzz-new $(top_srcdir)/tests/fuzz/corpus/lua
 * A crash leaves crash-<sha1>: once fixed, copy it into tests/fuzz/corpus/lua, where
 * `make check` replays it (tests/fuzz/fuzz_lua_replay, built with the normal compiler).
 *
 * COST (issue 19 item 10), measured 2026-12-07 with perf record -g from tests/fuzz/
 * corpus/lua: ~24 CPU ms an execution, not for the Lua state SCRIPT FLUSH makes anew
 * each input (0.2% of the CPU, libraries included), nor for the scripts (bounded by
 * FZ_LUA_STEPS), but ~70% for LeakSanitizer's re-run and heap scan of each input and,
 * of the rest, ~27% for store_check()'s walk over the records and range tombstones
 * that every input's seed keys and flush leave in RocksDB. Both are dealt with as in
 * fuzz_cmd.c (COST there): -detect_leaks=0 in tests/fuzz/long-run.sh with a leak replay
 * of the grown corpus afterwards, and the empty store compacted every 64 inputs. */
#define LLVMFuzzerTestOneInput fz_cmd_run_input
#define FZ_MAX_DEPTH 1100 /* a script's reply nests up to 1000 levels (script.c) */
#include "tests/fuzz/fuzz_cmd.c"
#undef LLVMFuzzerTestOneInput

#include "common/sha1.h"
#include "daemon/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_LUA_STEPS 50000       /* Lua instructions a run may execute */
#define FZ_LUA_MEM (16u << 20)   /* bytes an interpreter may hold */
#define FZ_LUA_MAX_INPUT (64u << 10) /* longer inputs are cut (proto-max-bulk-len is 1mb) */

/* The keys and arguments every script gets (KEYS[1..4], ARGV[1..4]). */
static const char *const fz_lua_keys_args[] = {
    "4", "fz:lock", "fz:hash", "fz:zset", "fz:list", "token", "10", "1000", "x",
};

/* Append the bulk string 'p'/'len' to 'b' in RESP. */
static void fz_lua_bulk(struct evbuffer *b, const void *p, size_t len)
{
    evbuffer_add_printf(b, "$%zu\r\n", len);
    evbuffer_add(b, p, len);
    evbuffer_add(b, "\r\n", 2);
}

/* Append the request made of 'n' C strings 'words' to 'b'. */
static void fz_lua_request(struct evbuffer *b, int n, const char *const *words)
{
    evbuffer_add_printf(b, "*%d\r\n", n);
    for (int i = 0; i < n; i++)
        fz_lua_bulk(b, words[i], strlen(words[i]));
}

/* Append "<cmd> <first> 4 <keys> <args>" to 'b', 'first' being 'first_len' bytes. */
static void fz_lua_call(struct evbuffer *b, const char *cmd, const void *first, size_t first_len)
{
    evbuffer_add_printf(b, "*%zu\r\n", 2 + OMK_ARRAY_LEN(fz_lua_keys_args));
    fz_lua_bulk(b, cmd, strlen(cmd));
    fz_lua_bulk(b, first, first_len);
    for (size_t i = 0; i < OMK_ARRAY_LEN(fz_lua_keys_args); i++)
        fz_lua_bulk(b, fz_lua_keys_args[i], strlen(fz_lua_keys_args[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const seed[][7] = {
        {"SET", "fz:lock", "token"},
        {"HSET", "fz:hash", "f1", "v1", "n", "2"},
        {"ZADD", "fz:zset", "1", "a", "2.5", "b"},
        {"RPUSH", "fz:list", "a", "b", "c"},
    };
    static const int seed_len[] = {3, 6, 6, 5};
    static const char *const hello3[] = {"HELLO", "3"};
    static const char *const flush_scripts[] = {"SCRIPT", "FLUSH"};
    static const char *const flush_functions[] = {"FUNCTION", "FLUSH"};
    static const char *const delete_fz[] = {"FUNCTION", "DELETE", "fz"};
    static int ready;
    char sha[OMK_SHA1_HEX_LEN + 1];
    struct evbuffer *b = evbuffer_new();
    const char *src = (const char *)data;
    int rc;

    if (!ready) {
        script_set_test_limits(FZ_LUA_STEPS, FZ_LUA_MEM);
        ready = 1;
    }
    if (size > FZ_LUA_MAX_INPUT)
        size = FZ_LUA_MAX_INPUT;
    for (size_t i = 0; i < OMK_ARRAY_LEN(seed); i++)
        fz_lua_request(b, seed_len[i], seed[i]);
    fz_lua_call(b, "EVAL", src, size);
    fz_lua_request(b, 2, hello3);
    omk_sha1_hex(src, size, sha);
    fz_lua_call(b, "EVALSHA", sha, OMK_SHA1_HEX_LEN);
    /* FUNCTION LOAD REPLACE <library> */
    evbuffer_add_printf(b, "*4\r\n");
    fz_lua_bulk(b, "FUNCTION", 8);
    fz_lua_bulk(b, "LOAD", 4);
    fz_lua_bulk(b, "REPLACE", 7);
    if (size >= 2 && src[0] == '#' && src[1] == '!') {
        fz_lua_bulk(b, src, size);
    } else {
        static const char shebang[] = "#!lua name=fz\n";

        evbuffer_add_printf(b, "$%zu\r\n", sizeof(shebang) - 1 + size);
        evbuffer_add(b, shebang, sizeof(shebang) - 1);
        evbuffer_add(b, src, size);
        evbuffer_add(b, "\r\n", 2);
    }
    fz_lua_call(b, "FCALL", "f", 1);
    fz_lua_request(b, 2, flush_scripts);
    /* FUNCTION FLUSH makes a new interpreter and writes the store: only for a library
     * named by the input; "fz" is deleted, a no-op when it did not load */
    if (size >= 2 && src[0] == '#' && src[1] == '!')
        fz_lua_request(b, 2, flush_functions);
    else
        fz_lua_request(b, 3, delete_fz);
    rc = fz_cmd_run_input(evbuffer_pullup(b, -1), evbuffer_get_length(b));
    evbuffer_free(b);
    return rc;
}
