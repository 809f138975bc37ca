/* lua_cmsgpack.c - the `cmsgpack` library of Redis scripts: Lua values to MessagePack
 * and back (pack, unpack, unpack_one, unpack_limit). Written for omenkv to behave as the
 * library Redis 7.0 embeds (lua-cmsgpack 0.4.0): it picks the same encoding for every
 * value, so a pack is byte-identical, and it raises the same errors, stack-overflow ones
 * included. Decoding never allocates ahead of the input (a count in a header is only a
 * loop bound) and nests at most as deep as the Lua stack lets it (LUAI_MAXCSTACK slots).
 * Called from scripts on the thread that owns the lua_State (daemon/lua_libs.h).
 *
 * HOW VALUES ARE ENCODED (as Redis does)
 *   number   integral and within int64: the shortest of fixint, u8/16/32/64 (non-negative)
 *            or negative fixint, i8/16/32/64; otherwise float32 (0xca) when the value
 *            survives a round trip through float, else float64 (0xcb). NaN is float64.
 *   string   fixstr (< 32 bytes), str8, str16, str32
 *   boolean  0xc3 / 0xc2
 *   table    an array when its keys are exactly the numbers 1..n (the empty table too),
 *            else a map in lua_next order; a table 16 levels down (the outermost is level
 *            0) is written as nil, which also ends a table that holds itself
 *   other    nil (0xc0): nil, functions, userdata, threads
 * Decoding accepts everything above; bin, ext and 0xc1 are "Bad data format". A u64 of
 * 2^63 or more comes back negative, as in Redis (it goes through a signed integer). */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "common/omk.h"
#include "daemon/lua_libs.h"

/* Tables deeper than this many levels below a packed argument are packed as nil. */
#define MP_MAX_NESTING 16
/* pack keeps its scratch buffer between calls up to this size, and frees a larger one. */
#define MP_KEEP_BYTES (16u * 1024)

/* ---- the output buffer ----
 * One per library instance, kept as the userdata upvalue of pack (no stack slot, so the
 * stack limits scripts hit are Redis'; and no leak when an error unwinds mid-pack: the
 * buffer stays with the userdata, which frees it when collected). */

struct mp_out {
    unsigned char *bytes; /* from the state's allocator; NULL when cap is 0 */
    size_t len;           /* bytes written for the current argument */
    size_t cap;           /* bytes allocated */
    size_t total;         /* bytes produced by the current pack call, all arguments */
};

/* Resize 'out' to 'cap' bytes (0 frees) through the allocator of 'L'. Returns 0, or -1
 * with 'out' unchanged when the allocator refused. */
static int mp_out_resize(lua_State *L, struct mp_out *out, size_t cap)
{
    void *ud;
    lua_Alloc alloc = lua_getallocf(L, &ud);
    void *p = alloc(ud, out->bytes, out->cap, cap);

    if (cap > 0 && p == NULL)
        return -1;
    out->bytes = cap > 0 ? p : NULL;
    out->cap = cap;
    return 0;
}

/* __gc of the buffer's userdata. */
static int mp_out_gc(lua_State *L)
{
    struct mp_out *out = lua_touserdata(L, 1);

    mp_out_resize(L, out, 0);
    return 0;
}

/* Append 'n' bytes at 'p' to 'out', growing it by doubling. Raises a Lua error when the
 * call's output would pass LUA_CMSGPACK_MAX_OUTPUT or memory runs out. */
static void mp_put(lua_State *L, struct mp_out *out, const void *p, size_t n)
{
    if (n == 0) /* the body of an empty string: nothing to copy, maybe from NULL */
        return;
    if (n > LUA_CMSGPACK_MAX_OUTPUT - out->total)
        luaL_error(L, "MessagePack pack output too large.");
    if (n > out->cap - out->len) {
        size_t want = out->len + n;
        size_t cap = out->cap ? out->cap : 64;

        while (cap < want)
            cap *= 2; /* no overflow: want <= 2 * LUA_CMSGPACK_MAX_OUTPUT */
        if (mp_out_resize(L, out, cap) != 0)
            luaL_error(L, "not enough memory");
    }
    memcpy(out->bytes + out->len, p, n);
    out->len += n;
    out->total += n;
}

/* Append the byte 'tag', then the low 'nbytes' bytes of 'v', most significant first. */
static void mp_put_tagged(lua_State *L, struct mp_out *out, unsigned tag, uint64_t v,
                          int nbytes)
{
    unsigned char b[9];

    b[0] = (unsigned char)tag;
    for (int i = nbytes; i >= 1; i--, v >>= 8)
        b[i] = (unsigned char)(v & 0xff);
    mp_put(L, out, b, (size_t)nbytes + 1);
}

/* ---- encoding ---- */

static void mp_pack_int(lua_State *L, struct mp_out *out, int64_t n)
{
    if (n >= 0) {
        if (n <= 0x7f)
            mp_put_tagged(L, out, (unsigned)n, 0, 0);
        else if (n <= 0xff)
            mp_put_tagged(L, out, 0xcc, (uint64_t)n, 1);
        else if (n <= 0xffff)
            mp_put_tagged(L, out, 0xcd, (uint64_t)n, 2);
        else if (n <= 0xffffffffLL)
            mp_put_tagged(L, out, 0xce, (uint64_t)n, 4);
        else
            mp_put_tagged(L, out, 0xcf, (uint64_t)n, 8);
    } else {
        if (n >= -32)
            mp_put_tagged(L, out, (unsigned)(n & 0xff), 0, 0);
        else if (n >= -128)
            mp_put_tagged(L, out, 0xd0, (uint64_t)n, 1);
        else if (n >= -32768)
            mp_put_tagged(L, out, 0xd1, (uint64_t)n, 2);
        else if (n >= INT32_MIN)
            mp_put_tagged(L, out, 0xd2, (uint64_t)n, 4);
        else
            mp_put_tagged(L, out, 0xd3, (uint64_t)n, 8);
    }
}

/* A non-integral (or out of int64) number: float32 when that loses nothing. */
static void mp_pack_float(lua_State *L, struct mp_out *out, double d)
{
    /* A finite double beyond float's range would become inf: not exact, so float64. */
    int fits = !isnan(d) && (isinf(d) || fabs(d) <= 3.40282346638528859812e+38);
    float f = fits ? (float)d : 0.0f;

    if (fits && (double)f == d) {
        uint32_t bits;

        memcpy(&bits, &f, sizeof(bits));
        mp_put_tagged(L, out, 0xca, bits, 4);
    } else {
        uint64_t bits;

        memcpy(&bits, &d, sizeof(bits));
        mp_put_tagged(L, out, 0xcb, bits, 8);
    }
}

static void mp_pack_number(lua_State *L, struct mp_out *out, lua_Number n)
{
    /* [-2^63, 2^63): the range where converting to int64 is defined. */
    if (n >= -9223372036854775808.0 && n < 9223372036854775808.0 && (lua_Number)(int64_t)n == n)
        mp_pack_int(L, out, (int64_t)n);
    else
        mp_pack_float(L, out, n);
}

static void mp_pack_string(lua_State *L, struct mp_out *out, const char *s, size_t len)
{
    if (len < 32)
        mp_put_tagged(L, out, 0xa0 | (unsigned)len, 0, 0);
    else if (len <= 0xff)
        mp_put_tagged(L, out, 0xd9, len, 1);
    else if (len <= 0xffff)
        mp_put_tagged(L, out, 0xda, len, 2);
    else
        mp_put_tagged(L, out, 0xdb, len, 4); /* len < 2^32: the output limit is lower */
    mp_put(L, out, s, len);
}

/* The header of an array ('fix' 0x90, 'tag16' 0xdc, 'tag32' 0xdd) or a map (0x80, 0xde,
 * 0xdf) of 'n' elements. */
static void mp_pack_count(lua_State *L, struct mp_out *out, unsigned fix, unsigned tag16,
                          unsigned tag32, size_t n)
{
    if (n <= 15)
        mp_put_tagged(L, out, fix | (unsigned)n, 0, 0);
    else if (n <= 0xffff)
        mp_put_tagged(L, out, tag16, n, 2);
    else
        mp_put_tagged(L, out, tag32, n, 4);
}

/* 1 when the table on top of the stack has exactly the keys 1..n, all numbers (n == 0
 * included), else 0. Leaves the stack as it found it. */
static int mp_table_is_array(lua_State *L)
{
    int top = lua_gettop(L);
    long count = 0;
    lua_Number highest = 0;

    luaL_checkstack(L, 2, "in function table_is_an_array");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_Number k;

        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TNUMBER)
            break;
        k = lua_tonumber(L, -1);
        /* A key counts when it is a positive number an int holds exactly. */
        if (!(k > 0 && k <= INT_MAX && (lua_Number)(int)k == k))
            break;
        if (k > highest)
            highest = k;
        count++;
    }
    if (lua_gettop(L) != top) { /* left the loop early: a key that is no index */
        lua_settop(L, top);
        return 0;
    }
    /* Keys are distinct, so count positive integers whose largest is count are 1..count. */
    return highest == (lua_Number)count;
}

static void mp_pack_value(lua_State *L, struct mp_out *out, int level);

/* The table on top of the stack, 'level' tables deep. */
static void mp_pack_table(lua_State *L, struct mp_out *out, int level)
{
    if (mp_table_is_array(L)) {
        size_t n = lua_objlen(L, -1);

        mp_pack_count(L, out, 0x90, 0xdc, 0xdd, n);
        luaL_checkstack(L, 1, "in function mp_encode_lua_table_as_array");
        for (size_t i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, (int)i);
            mp_pack_value(L, out, level + 1);
        }
        return;
    }

    size_t n = 0;

    luaL_checkstack(L, 3, "in function mp_encode_lua_table_as_map");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        n++;
    }
    mp_pack_count(L, out, 0x80, 0xde, 0xdf, n);
    lua_pushnil(L);
    while (lua_next(L, -2)) { /* stack: table key value */
        lua_pushvalue(L, -2);
        mp_pack_value(L, out, level + 1); /* the key (the copy) */
        mp_pack_value(L, out, level + 1); /* the value; the key stays for lua_next */
    }
}

/* Pack the value on top of the stack, 'level' tables below the argument, and pop it. */
static void mp_pack_value(lua_State *L, struct mp_out *out, int level)
{
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);

        mp_pack_string(L, out, s, len);
        break;
    }
    case LUA_TBOOLEAN:
        mp_put_tagged(L, out, lua_toboolean(L, -1) ? 0xc3 : 0xc2, 0, 0);
        break;
    case LUA_TNUMBER:
        mp_pack_number(L, out, lua_tonumber(L, -1));
        break;
    case LUA_TTABLE:
        if (level < MP_MAX_NESTING)
            mp_pack_table(L, out, level);
        else
            mp_put_tagged(L, out, 0xc0, 0, 0); /* too deep: nil */
        break;
    default:
        mp_put_tagged(L, out, 0xc0, 0, 0);
        break;
    }
    lua_pop(L, 1);
}

/* cmsgpack.pack(v1, ...): the MessagePack encodings of the arguments, one after the
 * other, as one string. Upvalue 1 is the scratch buffer. */
static int mp_pack(lua_State *L)
{
    struct mp_out *out = lua_touserdata(L, lua_upvalueindex(1));
    int nargs = lua_gettop(L);

    if (nargs == 0)
        return luaL_argerror(L, 0, "MessagePack pack needs input.");
    if (!lua_checkstack(L, nargs))
        return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
    /* A buffer an earlier call left large (it raised an error) goes now. */
    if (out->cap > MP_KEEP_BYTES)
        mp_out_resize(L, out, 0);
    out->len = 0;
    out->total = 0;
    /* Each argument's bytes become a string on the stack, joined at the end: the stack
     * grows as in Redis, so the same calls hit its limit. */
    for (int i = 1; i <= nargs; i++) {
        luaL_checkstack(L, 1, "in function mp_check");
        lua_pushvalue(L, i);
        mp_pack_value(L, out, 0);
        lua_pushlstring(L, (const char *)out->bytes, out->len);
        out->len = 0;
    }
    if (out->cap > MP_KEEP_BYTES)
        mp_out_resize(L, out, 0);
    lua_concat(L, nargs);
    return 1;
}

/* ---- decoding ---- */

enum mp_in_status {
    MP_IN_OK = 0,
    MP_IN_TRUNCATED, /* the input ends inside a value: "Missing bytes in input." */
    MP_IN_BADTYPE,   /* a type byte this library does not decode: "Bad data format" */
};

struct mp_in {
    const unsigned char *p; /* the next byte */
    size_t left;            /* bytes from 'p' to the end of the input */
};

/* The 'n' bytes after the type byte as a big-endian unsigned number. */
static uint64_t mp_be(const unsigned char *p, int n)
{
    uint64_t v = 0;

    for (int i = 1; i <= n; i++)
        v = (v << 8) | p[i];
    return v;
}

static enum mp_in_status mp_unpack_value(lua_State *L, struct mp_in *in);

/* An array of 'n' elements after its header: a table with keys 1..n. */
static enum mp_in_status mp_unpack_array(lua_State *L, struct mp_in *in, size_t n)
{
    lua_newtable(L);
    luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
    for (size_t i = 1; i <= n; i++) {
        enum mp_in_status st;

        lua_pushnumber(L, (lua_Number)i);
        if ((st = mp_unpack_value(L, in)) != MP_IN_OK)
            return st;
        lua_rawset(L, -3);
    }
    return MP_IN_OK;
}

/* A map of 'n' pairs after its header. A nil or NaN key raises Lua's own error. */
static enum mp_in_status mp_unpack_map(lua_State *L, struct mp_in *in, size_t n)
{
    lua_newtable(L);
    for (size_t i = 0; i < n; i++) {
        enum mp_in_status st;

        if ((st = mp_unpack_value(L, in)) != MP_IN_OK || (st = mp_unpack_value(L, in)) != MP_IN_OK)
            return st;
        lua_rawset(L, -3);
    }
    return MP_IN_OK;
}

/* Push the string of 'len' bytes that starts 'skip' bytes into the input. */
static enum mp_in_status mp_unpack_str(lua_State *L, struct mp_in *in, size_t skip, size_t len)
{
    if (in->left - skip < len)
        return MP_IN_TRUNCATED;
    lua_pushlstring(L, (const char *)in->p + skip, len);
    in->p += skip + len;
    in->left -= skip + len;
    return MP_IN_OK;
}

/* Decode one value at 'in' and push it, advancing 'in' past it. On failure the stack
 * may hold partial results (the caller raises an error, which drops them). */
static enum mp_in_status mp_unpack_value(lua_State *L, struct mp_in *in)
{
    /* Bytes after the type byte, by type byte 0xc0..0xdf; -1: not a fixed-size value. */
    static const signed char fixed_len[32] = {
        0, -1, 0, 0, -1, -1, -1, -1, -1, -1, 4, 8, 1, 2, 4, 8, /* 0xc0..0xcf */
        1, 2, 4, 8, -1, -1, -1, -1, -1, 1, 2, 4, 2, 4, 2, 4,   /* 0xd0..0xdf */
    };
    unsigned t;
    int extra;
    uint64_t v;

    if (in->left < 1)
        return MP_IN_TRUNCATED;
    luaL_checkstack(L, 1, "too many return values at once; "
                          "use unpack_one or unpack_limit instead.");
    t = in->p[0];
    if (t <= 0x7f || t >= 0xe0) { /* positive and negative fixint */
        lua_pushnumber(L, (lua_Number)(signed char)t);
        in->p++, in->left--;
        return MP_IN_OK;
    }
    if (t <= 0x9f) { /* fixmap 0x80..0x8f, fixarray 0x90..0x9f */
        in->p++, in->left--;
        return t <= 0x8f ? mp_unpack_map(L, in, t & 0x0f) : mp_unpack_array(L, in, t & 0x0f);
    }
    if (t <= 0xbf) /* fixstr */
        return mp_unpack_str(L, in, 1, t & 0x1f);
    extra = fixed_len[t - 0xc0];
    if (extra < 0)
        return MP_IN_BADTYPE;
    if (in->left < (size_t)extra + 1)
        return MP_IN_TRUNCATED;
    v = mp_be(in->p, extra);
    if (t >= 0xd9) { /* str8/16/32, array16/32, map16/32: a length, then the body */
        if (t <= 0xdb)
            return mp_unpack_str(L, in, (size_t)extra + 1, (size_t)v);
        in->p += extra + 1, in->left -= (size_t)extra + 1;
        return t <= 0xdd ? mp_unpack_array(L, in, (size_t)v) : mp_unpack_map(L, in, (size_t)v);
    }
    switch (t) {
    case 0xc0: lua_pushnil(L); break;
    case 0xc2: lua_pushboolean(L, 0); break;
    case 0xc3: lua_pushboolean(L, 1); break;
    case 0xca: {
        uint32_t bits = (uint32_t)v;
        float f;

        memcpy(&f, &bits, sizeof(f));
        lua_pushnumber(L, (lua_Number)f);
        break;
    }
    case 0xcb: {
        double d;

        memcpy(&d, &v, sizeof(d));
        lua_pushnumber(L, (lua_Number)d);
        break;
    }
    case 0xcc: case 0xcd: case 0xce:
        lua_pushnumber(L, (lua_Number)v);
        break;
    case 0xcf: /* through int64, as Redis' Lua integer: 2^63 and up turn negative */
    case 0xd3:
        lua_pushnumber(L, (lua_Number)(int64_t)v);
        break;
    case 0xd0: lua_pushnumber(L, (lua_Number)(int8_t)v); break;
    case 0xd1: lua_pushnumber(L, (lua_Number)(int16_t)v); break;
    case 0xd2: lua_pushnumber(L, (lua_Number)(int32_t)v); break;
    default: /* not reached: fixed_len gives a length only to the type bytes above */
        OMK_ASSERT(extra < 0);
        return MP_IN_BADTYPE;
    }
    in->p += extra + 1, in->left -= (size_t)extra + 1;
    return MP_IN_OK;
}

/* Decode up to 'limit' values of the string argument 1 from byte 'offset' and return
 * them; all of them when 'limit' and 'offset' are both 0 (Redis' rule: unpack_limit(s, 0)
 * is unpack(s)). Except in that case the next offset (-1 at the end of the input) comes
 * first. Raises Redis' errors for bad offsets and bad input. */
static int mp_unpack_some(lua_State *L, lua_Integer limit, lua_Integer offset)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    int everything = limit == 0 && offset == 0;
    struct mp_in in;
    int count;

    if (offset < 0 || limit < 0) /* Redis prints the input's length as the limit */
        return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                          (int)offset, (int)len);
    if ((size_t)offset > len)
        return luaL_error(L, "Start offset %d greater than input length %d.", (int)offset,
                          (int)len);
    if (everything)
        limit = INT_MAX;
    in.p = (const unsigned char *)s + offset;
    in.left = len - (size_t)offset;
    for (count = 0; in.left > 0 && count < limit; count++) {
        switch (mp_unpack_value(L, &in)) {
        case MP_IN_OK: break;
        case MP_IN_TRUNCATED: return luaL_error(L, "Missing bytes in input.");
        case MP_IN_BADTYPE: return luaL_error(L, "Bad data format in input.");
        }
    }
    if (everything)
        return count;
    luaL_checkstack(L, 1, "in function mp_unpack_full");
    lua_pushinteger(L, in.left == 0 ? -1 : (lua_Integer)(len - in.left));
    lua_insert(L, 2); /* before the values: argument 1 is the only other slot */
    return count + 1;
}

/* cmsgpack.unpack(s): every value in s. */
static int mp_unpack(lua_State *L)
{
    return mp_unpack_some(L, 0, 0);
}

/* cmsgpack.unpack_one(s [, offset]): the next offset, then one value. */
static int mp_unpack_one(lua_State *L)
{
    lua_Integer offset = luaL_optinteger(L, 2, 0);

    if (lua_gettop(L) > 1)
        lua_settop(L, 1);
    return mp_unpack_some(L, 1, offset);
}

/* cmsgpack.unpack_limit(s, limit [, offset]): the next offset, then up to limit values. */
static int mp_unpack_limit(lua_State *L)
{
    lua_Integer limit = luaL_checkinteger(L, 2);
    lua_Integer offset = luaL_optinteger(L, 3, 0);

    lua_settop(L, 1);
    return mp_unpack_some(L, limit, offset);
}

int luaopen_cmsgpack(lua_State *L)
{
    static const luaL_Reg plain[] = {
        {"unpack", mp_unpack},
        {"unpack_one", mp_unpack_one},
        {"unpack_limit", mp_unpack_limit},
        {NULL, NULL},
    };
    struct mp_out *out;

    lua_newtable(L);
    for (const luaL_Reg *r = plain; r->name; r++) {
        lua_pushcfunction(L, r->func);
        lua_setfield(L, -2, r->name);
    }
    out = lua_newuserdata(L, sizeof(*out));
    memset(out, 0, sizeof(*out));
    lua_newtable(L);
    lua_pushcfunction(L, mp_out_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_pushcclosure(L, mp_pack, 1);
    lua_setfield(L, -2, "pack");
    /* What Redis' library answers to these (scripts can read them). */
    lua_pushliteral(L, "cmsgpack");
    lua_setfield(L, -2, "_NAME");
    lua_pushliteral(L, "lua-cmsgpack 0.4.0");
    lua_setfield(L, -2, "_VERSION");
    lua_pushliteral(L, "MessagePack C implementation for Lua");
    lua_setfield(L, -2, "_DESCRIPTION");
    lua_pushliteral(L, "omenkv's implementation of lua-cmsgpack's interface");
    lua_setfield(L, -2, "_COPYRIGHT");
    lua_pushvalue(L, -1);
    lua_setglobal(L, "cmsgpack");
    return 1;
}
