/* test_lua_libs.c - the cmsgpack and struct libraries (daemon/lua_libs.h) in a bare Lua
 * 5.1 state whose allocator has a limit, as the interpreter opens them: every MessagePack
 * encoding at its edges byte by byte, round trips, streams, the nesting limit and
 * self-holding tables; struct's letters, byte orders, alignment and sizes; and every
 * error text (the expected bytes and texts are those redis-server 7.0.15 gives; the
 * integration test tests/integ/test_lua_libs.c checks them against it through EVAL).
 * Then bounded fuzz loops: random and mutated bytes into unpack, random formats and
 * data into struct. None may crash, leave the stack unbalanced or pass the memory limit. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "daemon/lua_libs.h"
#include "tests/lua_libs_cases.h"
#include "tests/tap.h"

/* ---- a state with a memory limit ---- */

struct tl_mem {
    size_t used;      /* bytes allocated now */
    size_t peak;      /* most bytes allocated at once */
    size_t limit;     /* growth past this is refused */
    unsigned refused; /* allocations refused */
};

static void *tl_alloc(void *ud, void *p, size_t osize, size_t nsize)
{
    struct tl_mem *m = ud;
    void *q;

    if (nsize == 0) {
        free(p);
        m->used -= osize;
        return NULL;
    }
    if (nsize > osize && m->used - osize + nsize > m->limit) {
        m->refused++;
        return NULL;
    }
    q = realloc(p, nsize);
    if (q == NULL)
        return NULL;
    m->used = m->used - osize + nsize;
    if (m->used > m->peak)
        m->peak = m->used;
    return q;
}

/* A new state limited to 'mem'->limit bytes, with the standard libraries, cmsgpack and
 * struct opened the way the interpreter opens them. */
static lua_State *tl_state(struct tl_mem *mem)
{
    lua_State *L = lua_newstate(tl_alloc, mem);

    if (L == NULL) {
        printf("Bail out! no Lua state\n");
        exit(1);
    }
    luaL_openlibs(L);
    lua_pushcfunction(L, luaopen_cmsgpack);
    lua_pushstring(L, "cmsgpack");
    lua_call(L, 1, 0);
    lua_pushcfunction(L, luaopen_struct);
    lua_pushstring(L, "struct");
    lua_call(L, 1, 0);
    return L;
}

/* Run the chunk 'code'; returns lua_pcall's status, with one result (or the error) on
 * top of the stack. */
static int tl_run(lua_State *L, const char *code)
{
    int rc = luaL_loadbuffer(L, code, strlen(code), "=test");

    return rc != 0 ? rc : lua_pcall(L, 0, 1, 0);
}

static void tl_diag_hex(const char *what, const char *p, size_t len)
{
    char line[200];
    size_t n = 0;

    for (size_t i = 0; i < len && n + 3 < sizeof(line); i++)
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x", (unsigned char)p[i]);
    line[n] = '\0';
    diag("  %s (%zu bytes): %s%s", what, len, line, n + 3 >= sizeof(line) ? "..." : "");
}

/* The chunk 'code' fails with the message 'want'. */
static void tl_fails(lua_State *L, const char *code, const char *want)
{
    int rc = tl_run(L, code);
    const char *got = rc != 0 ? lua_tostring(L, -1) : NULL;

    if (!ok(got && strcmp(got, want) == 0, "%s -> %s", code, want))
        diag("  got %s", got ? got : "no error");
    lua_settop(L, 0);
}

/* ---- the shared cases (tests/lua_libs_cases.h) ---- */

static void test_cases(lua_State *L)
{
    static char script[16384];

    for (size_t i = 0; i < sizeof(ll_cases) / sizeof(ll_cases[0]); i++) {
        const struct ll_case *c = &ll_cases[i];
        size_t n = ll_script(c, script, sizeof(script));
        int rc = n ? luaL_loadbuffer(L, script, n, "@user_script") : -1;
        size_t len = 0;
        const char *got;

        if (rc == 0)
            rc = lua_pcall(L, 0, 1, 0);
        got = rc == 0 && lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
        if (c->kind == LL_TRUE) {
            if (!ok(rc == 0 && lua_type(L, -1) == LUA_TBOOLEAN && lua_toboolean(L, -1), "%.150s",
                    c->code))
                diag("  got %s: %s", rc ? "error" : luaL_typename(L, -1),
                     lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
        } else if (!ok(got && len == c->wlen && memcmp(got, c->want, len) == 0, "%.150s%s%s",
                       c->code, c->kind == LL_FAILS ? " -> " : "",
                       c->kind == LL_FAILS ? c->want : "")) {
            if (got)
                tl_diag_hex("got", got, len);
            else
                diag("  got %s: %s", rc ? "error" : "no string", lua_tostring(L, -1));
            tl_diag_hex("want", c->want, c->wlen);
        }
        lua_settop(L, 0);
    }
}

/* ---- bounds ---- */

/* pack of a table holding itself ten times would write 10^16 values: it stops at the
 * memory limit, and the state goes on. */
static void test_pack_bounded(lua_State *L, struct tl_mem *mem)
{
    size_t before;

    tl_fails(L, "local t = {} for i = 1, 10 do t[i] = t end return cmsgpack.pack(t)",
             "test:1: not enough memory");
    ok(mem->refused > 0, "the limit refused the growth");
    lua_gc(L, LUA_GCCOLLECT, 0);
    before = mem->used;
    ok(tl_run(L, "return cmsgpack.pack(1)") == 0 && lua_objlen(L, -1) == 1, "a pack after it");
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
    ok(mem->used + 8 * 1024 * 1024 < before, "the next pack frees the large buffer (%zu -> %zu)",
       before, mem->used);
}

/* ---- fuzz loops ---- */

static uint64_t tl_rng = 0x9e3779b97f4a7c15u;

static uint64_t tl_rand(void)
{
    tl_rng ^= tl_rng << 13;
    tl_rng ^= tl_rng >> 7;
    tl_rng ^= tl_rng << 17;
    return tl_rng;
}

/* A byte biased toward MessagePack's type bytes and small lengths. */
static unsigned char tl_msgpack_byte(void)
{
    static const unsigned char types[] = {0x91, 0x81, 0x93, 0xa3, 0xc0, 0xc2, 0xca, 0xcb, 0xcc,
                                          0xcd, 0xce, 0xcf, 0xd0, 0xd3, 0xd9, 0xda, 0xdb, 0xdc,
                                          0xdd, 0xde, 0xdf, 0xff, 0x00, 0x01, 0xc1, 0xc4};
    uint64_t r = tl_rand();

    switch (r % 4) {
    case 0: return types[(r >> 8) % sizeof(types)];
    case 1: return (unsigned char)((r >> 8) % 4);
    default: return (unsigned char)(r >> 8);
    }
}

/* Call the global table's function 'lib'.'fn' with the values pushed by the caller
 * ('nargs' of them, on top of the stack) under pcall; returns its status and empties
 * the stack. */
static int tl_call(lua_State *L, const char *lib, const char *fn, int nargs)
{
    int rc;

    lua_getglobal(L, lib);
    lua_getfield(L, -1, fn);
    lua_remove(L, -2);
    lua_insert(L, -nargs - 1);
    rc = lua_pcall(L, nargs, LUA_MULTRET, 0);
    lua_settop(L, 0);
    return rc;
}

static void test_fuzz_unpack(lua_State *L, struct tl_mem *mem)
{
    unsigned char buf[256];
    int decoded = 0, failed = 0;
    const int rounds = 30000;

    for (int i = 0; i < rounds; i++) {
        size_t len = (size_t)(tl_rand() % 64);
        int rc;

        if (i % 3 == 0) {
            /* A valid pack of random nested data, then damaged. */
            size_t n;
            const char *s;

            lua_getglobal(L, "cmsgpack");
            lua_getfield(L, -1, "pack");
            lua_newtable(L);
            for (int k = 1; k <= (int)(tl_rand() % 6); k++) {
                if (tl_rand() % 2)
                    lua_pushnumber(L, (lua_Number)(int64_t)tl_rand() / (double)(tl_rand() % 5 + 1));
                else
                    lua_pushlstring(L, "somewhat longer string value", tl_rand() % 29);
                lua_rawseti(L, -2, k);
            }
            lua_call(L, 1, 1);
            s = lua_tolstring(L, -1, &n);
            len = n < sizeof(buf) ? n : sizeof(buf);
            memcpy(buf, s, len);
            lua_settop(L, 0);
            switch (tl_rand() % 3) {
            case 0: if (len) buf[tl_rand() % len] = tl_msgpack_byte(); break;
            case 1: if (len) len = tl_rand() % len; break; /* truncated */
            default: if (len) buf[tl_rand() % len] ^= (unsigned char)(1u << (tl_rand() % 8));
            }
        } else {
            for (size_t k = 0; k < len; k++)
                buf[k] = tl_msgpack_byte();
        }
        lua_pushlstring(L, (const char *)buf, len);
        switch (i % 4) {
        case 0:
        case 1:
            rc = tl_call(L, "cmsgpack", "unpack", 1);
            break;
        case 2:
            lua_pushnumber(L, (lua_Number)(tl_rand() % (len + 2)) - 1);
            rc = tl_call(L, "cmsgpack", "unpack_one", 2);
            break;
        default:
            lua_pushnumber(L, (lua_Number)(tl_rand() % 4));
            lua_pushnumber(L, (lua_Number)(tl_rand() % (len + 1)));
            rc = tl_call(L, "cmsgpack", "unpack_limit", 3);
        }
        if (rc == 0)
            decoded++;
        else
            failed++;
    }
    ok(decoded > 0 && failed > 0 && lua_gettop(L) == 0,
       "unpack of %d random or damaged inputs: %d decoded, %d refused, no crash", rounds, decoded,
       failed);
    ok(mem->refused == 0 && mem->peak < 16u * 1024 * 1024,
       "they stayed far under the memory limit (peak %zu bytes)", mem->peak);
}

static void test_fuzz_struct(lua_State *L, struct tl_mem *mem)
{
    static const char letters[] = "bBhHlLTiIfdxcs<>! 0123456789zc0";
    int passed = 0, failed = 0;
    const int rounds = 30000;

    for (int i = 0; i < rounds; i++) {
        char fmt[24];
        unsigned char data[64];
        size_t flen = (size_t)(tl_rand() % sizeof(fmt));
        size_t dlen = (size_t)(tl_rand() % sizeof(data));
        int rc, nargs = 1;

        for (size_t k = 0; k < flen; k++)
            fmt[k] = tl_rand() % 16 ? letters[tl_rand() % (sizeof(letters) - 1)]
                                    : (char)(tl_rand() % 255 + 1);
        for (size_t k = 0; k < dlen; k++)
            data[k] = (unsigned char)tl_rand();
        lua_pushlstring(L, fmt, flen);
        switch (i % 3) {
        case 0:
            lua_pushlstring(L, (const char *)data, dlen);
            nargs = 2;
            if (tl_rand() % 2) {
                lua_pushnumber(L, (lua_Number)(int64_t)(tl_rand() % 80) - 8);
                nargs = 3;
            }
            rc = tl_call(L, "struct", "unpack", nargs);
            break;
        case 1:
            for (int k = (int)(tl_rand() % 8); k > 0; k--, nargs++) {
                static const double odd[] = {0.0, -1.0, 1e300, -1e300, 2e19, -9.3e18, 0.5};
                uint64_t r = tl_rand();

                if (r % 3 == 0)
                    lua_pushlstring(L, (const char *)data, (size_t)(r >> 8) % (dlen + 1));
                else if (r % 3 == 1)
                    lua_pushnumber(L, odd[(r >> 8) % 7]);
                else
                    lua_pushnumber(L, (lua_Number)(int64_t)r);
            }
            rc = tl_call(L, "struct", "pack", nargs);
            break;
        default:
            rc = tl_call(L, "struct", "size", 1);
        }
        if (rc == 0)
            passed++;
        else
            failed++;
    }
    ok(passed > 0 && failed > 0 && lua_gettop(L) == 0,
       "struct on %d random formats: %d answered, %d refused, no crash", rounds, passed, failed);
    ok(mem->refused == 0 && mem->peak < 16u * 1024 * 1024, "under the memory limit (peak %zu)",
       mem->peak);
}

int main(void)
{
    struct tl_mem mem = {.limit = 256u * 1024 * 1024};
    struct tl_mem small = {.limit = 32u * 1024 * 1024};
    struct tl_mem fuzz = {.limit = 64u * 1024 * 1024};
    lua_State *L = tl_state(&mem);

    test_cases(L);
    lua_close(L);
    is_int(mem.used, 0, "closing the state freed every byte");

    L = tl_state(&small);
    test_pack_bounded(L, &small);
    lua_close(L);
    is_int(small.used, 0, "closing after a refused pack freed every byte");

    L = tl_state(&fuzz);
    test_fuzz_unpack(L, &fuzz);
    test_fuzz_struct(L, &fuzz);
    lua_close(L);
    is_int(fuzz.used, 0, "closing after the fuzz loops freed every byte");
    return tap_done();
}
