/* fuzz_lualibs.c - libFuzzer target for the Lua libraries written here (daemon/lua_libs.h):
 * the input goes, as bytes, into cmsgpack.unpack, unpack_one, unpack_limit, struct.unpack,
 * struct.pack and struct.size, in one Lua 5.1 state whose allocator refuses growth past
 * 64 MiB. Byte 0 picks the call; the rest is the data (for struct, a format up to the
 * first NUL, then the data). Checked, besides the sanitizers: every call returns or
 * raises a Lua error, the state's memory stays under the limit, and whatever unpack
 * decodes packs again and decodes to equal values (NaN aside).
 *
 * Build and run it (clang only; `make` never builds it):
 *     make fuzz-lualibs   # tests/fuzz/fuzz_lualibs, clang -fsanitize=fuzzer,address,undefined
 *     mkdir -p fuzz-new
 *     tests/fuzz/fuzz_lualibs -max_total_time=300 fuzz-new $(top_srcdir)/tests/fuzz/corpus/lualibs
 * A crash leaves crash-<sha1>: once fixed, copy it into tests/fuzz/corpus/lualibs, where
 * `make check` replays it (tests/fuzz/fuzz_lualibs_replay, built with the normal compiler). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "common/omk.h"
#include "daemon/lua_libs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MEM_LIMIT (64u * 1024 * 1024)

static size_t fz_used; /* bytes the state holds */

/* The state's allocator: libc, refusing growth past FZ_MEM_LIMIT. */
static void *fz_alloc(void *ud, void *p, size_t osize, size_t nsize)
{
    void *q;

    OMK_UNUSED(ud);
    if (nsize == 0) {
        free(p);
        fz_used -= osize;
        return NULL;
    }
    if (nsize > osize && fz_used - osize + nsize > FZ_MEM_LIMIT)
        return NULL;
    q = realloc(p, nsize);
    if (q != NULL)
        fz_used = fz_used - osize + nsize;
    return q;
}

/* The property every successful unpack must keep, as a Lua function of the input:
 * returns true, or a string saying what broke. Values it cannot compare are let go:
 * more than 200 of them, tables nested past pack's 16 levels, tables as keys. */
static const char fz_check_src[] =
    "local function deq(a, b)\n"
    "  if a ~= a and b ~= b then return true end\n"
    "  if type(a) ~= type(b) then return false end\n"
    "  if type(a) ~= 'table' then return a == b end\n"
    "  for k, v in pairs(a) do if not deq(v, b[k]) then return false end end\n"
    "  for k in pairs(b) do if a[k] == nil then return false end end\n"
    "  return true\n"
    "end\n"
    "local function comparable(x, depth)\n"
    "  if type(x) ~= 'table' then return true end\n"
    "  if depth >= 16 then return false end\n"
    "  for k, v in pairs(x) do\n"
    "    if type(k) == 'table' or not comparable(v, depth + 1) then return false end\n"
    "  end\n"
    "  return true\n"
    "end\n"
    "local function tpack(...) return select('#', ...), {...} end\n"
    "return function(s)\n"
    "  local n, v = tpack(pcall(cmsgpack.unpack, s))\n"
    "  if not v[1] or n == 1 or n > 201 then return true end\n"
    "  for i = 2, n do if not comparable(v[i], 0) then return true end end\n"
    "  local m, w = tpack(cmsgpack.unpack(cmsgpack.pack(unpack(v, 2, n))))\n"
    "  if m ~= n - 1 then return 'count ' .. m .. ' for ' .. (n - 1) end\n"
    "  for i = 1, m do\n"
    "    if not deq(v[i + 1], w[i]) then return 'value ' .. i .. ' changed' end\n"
    "  end\n"
    "  return true\n"
    "end\n";

static lua_State *fz_L;

static void fz_init(void)
{
    fz_L = lua_newstate(fz_alloc, NULL);
    OMK_ASSERT(fz_L != NULL);
    luaL_openlibs(fz_L);
    lua_pushcfunction(fz_L, luaopen_cmsgpack);
    lua_call(fz_L, 0, 0);
    lua_pushcfunction(fz_L, luaopen_struct);
    lua_call(fz_L, 0, 0);
    OMK_ASSERT(luaL_loadstring(fz_L, fz_check_src) == 0);
    lua_call(fz_L, 0, 1);
    lua_setglobal(fz_L, "fz_check");
}

/* Push 'lib'.'fn'. */
static void fz_push_fn(lua_State *L, const char *lib, const char *fn)
{
    lua_getglobal(L, lib);
    lua_getfield(L, -1, fn);
    lua_remove(L, -2);
}

/* Push struct.pack's arguments decoded from 'p'/'n': each byte picks a number or a
 * string made of the bytes that follow. At most 16. Returns how many. */
static int fz_push_args(lua_State *L, const uint8_t *p, size_t n)
{
    static const double odd[] = {0.0, -1.0, 0.5, 1e300, -1e300, 2e19, -9.3e18, 1.0 / 0.0};
    int count = 0;

    for (size_t i = 0; i < n && count < 16; count++) {
        uint8_t b = p[i++];

        if (b < 0x40) {
            lua_pushnumber(L, odd[b % 8]);
        } else if (b < 0x80) {
            lua_pushnumber(L, (lua_Number)(b - 0x60) * (lua_Number)(1u << (b % 24)));
        } else {
            size_t len = (size_t)(b - 0x80);

            if (len > n - i)
                len = n - i;
            lua_pushlstring(L, (const char *)p + i, len);
            i += len;
        }
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lua_State *L;
    const uint8_t *rest = data + 1;
    size_t nrest = size ? size - 1 : 0;
    const uint8_t *nul;
    size_t flen;
    int nargs = 0;

    if (fz_L == NULL)
        fz_init();
    L = fz_L;
    if (size == 0)
        return 0;
    nul = memchr(rest, '\0', nrest);
    flen = nul ? (size_t)(nul - rest) : nrest;
    switch (data[0] % 7) {
    case 0:
        fz_push_fn(L, "cmsgpack", "unpack");
        lua_pushlstring(L, (const char *)rest, nrest);
        nargs = 1;
        break;
    case 1:
        fz_push_fn(L, "cmsgpack", "unpack_one");
        lua_pushlstring(L, (const char *)rest, nrest);
        lua_pushnumber(L, (lua_Number)(data[0] / 7) - 2);
        nargs = 2;
        break;
    case 2:
        fz_push_fn(L, "cmsgpack", "unpack_limit");
        lua_pushlstring(L, (const char *)rest, nrest);
        lua_pushnumber(L, (lua_Number)(data[0] / 7 % 6));
        lua_pushnumber(L, (lua_Number)(data[0] / 42));
        nargs = 3;
        break;
    case 3:
        fz_push_fn(L, "struct", "unpack");
        lua_pushlstring(L, (const char *)rest, flen);
        lua_pushlstring(L, (const char *)rest + flen + (nul != NULL), nrest - flen - (nul != NULL));
        nargs = 2;
        if (data[0] / 7 % 2) {
            lua_pushnumber(L, (lua_Number)(data[0] / 14) - 3);
            nargs = 3;
        }
        break;
    case 4:
        fz_push_fn(L, "struct", "pack");
        lua_pushlstring(L, (const char *)rest, flen);
        nargs = 1 + fz_push_args(L, rest + flen + (nul != NULL), nrest - flen - (nul != NULL));
        break;
    case 5:
        fz_push_fn(L, "struct", "size");
        lua_pushlstring(L, (const char *)rest, flen);
        nargs = 1;
        break;
    default:
        lua_getglobal(L, "fz_check");
        lua_pushlstring(L, (const char *)rest, nrest);
        if (lua_pcall(L, 1, 1, 0) != 0 || !lua_toboolean(L, -1) ||
            lua_type(L, -1) == LUA_TSTRING) {
            fprintf(stderr, "round trip broke: %s\n", lua_tostring(L, -1));
            abort();
        }
        lua_settop(L, 0);
        OMK_ASSERT(fz_used <= FZ_MEM_LIMIT);
        return 0;
    }
    lua_pcall(L, nargs, LUA_MULTRET, 0); /* a Lua error is a fine answer */
    lua_settop(L, 0);
    OMK_ASSERT(fz_used <= FZ_MEM_LIMIT);
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}
