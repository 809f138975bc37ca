/* fuzz_lualibs.c - libFuzzer target for the Lua libraries written here (daemon/lua_libs.h):
 * the input goes, as bytes, into cmsgpack.unpack, unpack_one, unpack_limit, struct.unpack,
 * struct.pack and struct.size, and into the pattern functions (string.find, match, gmatch,
 * gsub: daemon/lua_strmatch.c), in one Lua 5.1 state whose allocator refuses growth past
 * 64 MiB. Byte 0 picks the call (0xF0 and up: a pattern function and its start); the
 * rest is the data (for struct, a format up to the first NUL, then the data; for a
 * pattern function, the subject up to the first NUL, then the pattern, and for gsub the
 * replacement after the pattern's first NUL). Checked,
 * besides the sanitizers: every call returns or raises a Lua error, the state's memory
 * stays under the limit, whatever unpack decodes packs again and decodes to equal values
 * (NaN aside), and each pattern function gives what Lua 5.1's own gives for the same
 * arguments (results and error texts), unless the match ran past FZ_MATCH_CHECKS of the
 * matcher's checks or its depth bound, where Lua's own might run for hours or overflow
 * the stack.
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
#define FZ_MATCH_CHECKS 20 /* checks (of LUA_STRMATCH_CHECK_STEPS steps) one call may make */

static int fz_match_checks; /* checks made by the pattern function running */

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

/* The pattern functions against Lua 5.1's own (globals fz_orig_find, ...), called as
 * fz_match(name, subject, pattern, init, replacement): true, or a string saying what
 * differed. A call of ours that the check stopped ("fz: step budget") or that was too
 * deep is not compared. gmatch's iterations are gathered, 64 at most. */
static const char fz_match_src[] =
    "local function tpack(...) return select('#', ...), {...} end\n"
    "local function gather(f, s, p)\n"
    "  local out = {}\n"
    "  for a, b, c in f(s, p) do\n"
    "    out[#out + 1] = tostring(a) .. '|' .. tostring(b) .. '|' .. tostring(c)\n"
    "    if #out >= 64 then break end\n"
    "  end\n"
    "  return table.concat(out, ',')\n"
    "end\n"
    "return function(name, s, p, init, repl)\n"
    "  local n1, r1, n2, r2\n"
    "  if name == 'gmatch' then\n"
    "    n1, r1 = tpack(pcall(gather, string.gmatch, s, p))\n"
    "  elseif name == 'gsub' then\n"
    "    n1, r1 = tpack(pcall(string.gsub, s, p, repl, init))\n"
    "  else\n"
    "    n1, r1 = tpack(pcall(string[name], s, p, init))\n"
    "  end\n"
    "  if not r1[1] and (r1[2] == 'fz: step budget' or r1[2] == 'pattern too complex') then\n"
    "    return true\n"
    "  end\n"
    "  if name == 'gmatch' then\n"
    "    n2, r2 = tpack(pcall(gather, fz_orig_gmatch, s, p))\n"
    "  elseif name == 'gsub' then\n"
    "    n2, r2 = tpack(pcall(fz_orig_gsub, s, p, repl, init))\n"
    "  else\n"
    "    n2, r2 = tpack(pcall(_G['fz_orig_' .. name], s, p, init))\n"
    "  end\n"
    "  if n1 ~= n2 then return name .. ': ' .. n1 .. ' results against ' .. n2 end\n"
    "  for i = 1, n1 do\n"
    "    if r1[i] ~= r2[i] then\n"
    "      return name .. ': result ' .. i .. ' ' .. tostring(r1[i]) .. ' against ' ..\n"
    "             tostring(r2[i])\n"
    "    end\n"
    "  end\n"
    "  return true\n"
    "end\n";

/* The matcher's check: stops a call past FZ_MATCH_CHECKS checks. */
static void fz_match_check(lua_State *L)
{
    if (++fz_match_checks > FZ_MATCH_CHECKS) {
        lua_pushstring(L, "fz: step budget");
        lua_error(L);
    }
}

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
    /* Lua's own pattern functions, kept to compare with, then ours in their place. */
    OMK_ASSERT(luaL_dostring(fz_L, "fz_orig_find, fz_orig_match, fz_orig_gmatch, "
                                   "fz_orig_gsub = string.find, string.match, "
                                   "string.gmatch, string.gsub") == 0);
    lua_strmatch_install(fz_L, fz_match_check);
    OMK_ASSERT(luaL_loadstring(fz_L, fz_match_src) == 0);
    lua_call(fz_L, 0, 1);
    lua_setglobal(fz_L, "fz_match");
}

/* Compare pattern function 'name' with Lua's own on the input 'p'/'n' (subject, NUL,
 * pattern, NUL, replacement), 'init' as find's and gsub's third or fourth argument. */
static void fz_match_one(lua_State *L, const char *name, const uint8_t *p, size_t n,
                         int init)
{
    const uint8_t *nul = memchr(p, '\0', n);
    size_t slen = nul ? (size_t)(nul - p) : n;
    const uint8_t *pat = nul ? nul + 1 : p + n;
    size_t plen = (size_t)(p + n - pat);
    const uint8_t *nul2 = memchr(pat, '\0', plen);
    size_t rlen = nul2 ? (size_t)(p + n - nul2 - 1) : 0;

    lua_getglobal(L, "fz_match");
    lua_pushstring(L, name);
    lua_pushlstring(L, (const char *)p, slen);
    lua_pushlstring(L, (const char *)pat, plen); /* NULs included: the matcher stops at one */
    lua_pushinteger(L, init);
    lua_pushlstring(L, nul2 ? (const char *)nul2 + 1 : "", rlen);
    fz_match_checks = 0;
    if (lua_pcall(L, 5, 1, 0) != 0 || lua_type(L, -1) == LUA_TSTRING) {
        fprintf(stderr, "pattern function differs from Lua's: %s\n", lua_tostring(L, -1));
        abort();
    }
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
    if (data[0] >= 0xF0) { /* a pattern function: 4 of them x 4 starts */
        static const char *const names[] = {"find", "match", "gmatch", "gsub"};
        int init = (data[0] - 0xF0) / 4 - 1; /* -1 .. 2: the last byte, the start, after */

        fz_match_one(L, names[(data[0] - 0xF0) % 4], rest, nrest, init);
        lua_settop(L, 0);
        OMK_ASSERT(fz_used <= FZ_MEM_LIMIT);
        lua_gc(L, LUA_GCSTEP, 0);
        return 0;
    }
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
