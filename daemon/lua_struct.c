/* lua_struct.c - the `struct` library of Redis scripts: pack Lua numbers and strings
 * into binary records, unpack them, and measure a format (struct.pack, struct.unpack,
 * struct.size). Written for omenkv to behave as the version Redis 7.0 embeds (Roberto
 * Ierusalimschy's struct 1.4 with Redis' security fixes): same format letters, sizes,
 * alignment and errors, and the same bytes on x86-64, where Redis' C conversions of
 * out-of-range doubles are reproduced here without undefined behaviour
 * (st_double_bits). Called from scripts on the thread that owns the lua_State.
 *
 * FORMAT (one letter per item; spaces are skipped)
 *   >  <       big / little endian from here on (default: the machine's, little)
 *   ![n]       align items to min(their size, n) bytes from here on; n a power of 2,
 *              default 8 (the strictest alignment of the machine); the start is 1
 *   x          one zero byte
 *   b B h H    signed / unsigned char (1 byte), short (2)
 *   l L T      signed / unsigned long (8), size_t (8)
 *   i[n] I[n]  signed / unsigned integer of n bytes (default 4, at most 32; bytes past
 *              the 8th are zero when packing and only the last 8 count when unpacking)
 *   f d        float (4 bytes), double (8)
 *   c[n]       n bytes of a string (default 1). Packing c0 takes the whole string;
 *              unpacking c0 takes as many bytes as the number just unpacked says
 *   s          a zero-terminated string
 * Integers are packed from the number truncated towards zero; unpacking gives numbers
 * (doubles, so 64-bit values beyond 2^53 round). */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "daemon/lua_libs.h"

#define ST_MAX_INT_SIZE 32 /* bytes of the largest i[n] / I[n] */

/* The strictest alignment a struct member needs here (that of double, or int). */
struct st_align_probe {
    char c;
    double d;
};
#define ST_ALIGN_OF_DOUBLE offsetof(struct st_align_probe, d)
#define ST_MAX_ALIGN ((int)(ST_ALIGN_OF_DOUBLE > sizeof(int) ? ST_ALIGN_OF_DOUBLE : sizeof(int)))

/* What the control letters set while a format is read. */
struct st_opts {
    int little; /* 1: least significant byte first */
    int align;  /* items align to min(size, align) bytes; a power of 2 */
};

static void st_opts_init(struct st_opts *o)
{
    const uint16_t one = 1;

    o->little = *(const unsigned char *)&one == 1;
    o->align = 1;
}

static int st_is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int st_is_alnum(int c)
{
    return st_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Read the decimal number at '*fmt', moving past it; 'dflt' when there is none. Raises
 * "integral size overflow" past INT_MAX. */
static int st_number(lua_State *L, const char **fmt, int dflt)
{
    int n = 0;

    if (!st_is_digit(**fmt))
        return dflt;
    while (st_is_digit(**fmt)) {
        int d = *(*fmt)++ - '0';

        if (n > (INT_MAX - d) / 10)
            luaL_error(L, "integral size overflow");
        n = n * 10 + d;
    }
    return n;
}

/* The size in bytes of item 'opt', reading its count from '*fmt' where it takes one; 0
 * for 's' and the letters that are no item. Raises the integral size limit error. */
static size_t st_item_size(lua_State *L, int opt, const char **fmt)
{
    switch (opt) {
    case 'b': case 'B': return sizeof(char);
    case 'h': case 'H': return sizeof(short);
    case 'l': case 'L': return sizeof(long);
    case 'T': return sizeof(size_t);
    case 'f': return sizeof(float);
    case 'd': return sizeof(double);
    case 'x': return 1;
    case 'c': return (size_t)st_number(L, fmt, 1);
    case 'i': case 'I': {
        int n = st_number(L, fmt, (int)sizeof(int));

        if (n > ST_MAX_INT_SIZE)
            luaL_error(L, "integral size %d is larger than limit of %d", n, ST_MAX_INT_SIZE);
        return (size_t)n;
    }
    default: return 0;
    }
}

/* Zero bytes to add at offset 'pos' before item 'opt' of 'size' bytes. Strings ('c')
 * and sizeless items are never aligned. The formula is struct's own; for sizes that
 * are no power of 2 (i3) it gives what Redis gives. */
static size_t st_padding(size_t pos, const struct st_opts *o, int opt, size_t size)
{
    if (size == 0 || opt == 'c')
        return 0;
    if (size > (size_t)o->align)
        size = (size_t)o->align;
    return (size - (pos & (size - 1))) & (size - 1);
}

/* Apply the control letter 'opt' (space, '>', '<', '!'); any other letter is an error
 * on argument 1: "invalid format option 'z'". */
static void st_control(lua_State *L, int opt, const char **fmt, struct st_opts *o)
{
    switch (opt) {
    case ' ':
        return;
    case '>':
        o->little = 0;
        return;
    case '<':
        o->little = 1;
        return;
    case '!': {
        int a = st_number(L, fmt, ST_MAX_ALIGN);

        if (a <= 0 || (a & (a - 1)) != 0)
            luaL_error(L, "alignment %d is not a power of 2", a);
        o->align = a;
        return;
    }
    default:
        luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
    }
}

/* The 64 bits Redis' build (gcc, x86-64) gets converting 'n' to unsigned long: the
 * integer part when it fits in [-2^63, 2^64), taken modulo 2^64; 2^63 for NaN and for
 * values below -2^63; 0 from 2^64 up. */
static uint64_t st_double_bits(lua_Number n)
{
    if (n >= -9223372036854775808.0 && n < 9223372036854775808.0)
        return (uint64_t)(int64_t)n;
    if (n >= 9223372036854775808.0 && n < 18446744073709551616.0)
        return (uint64_t)n;
    if (n >= 18446744073709551616.0)
        return 0;
    return UINT64_C(1) << 63; /* NaN, or below -2^63 */
}

/* Write the 'size' bytes of 'v' in the byte order of 'little' into 'out'. */
static void st_store(unsigned char *out, uint64_t v, size_t size, int little)
{
    for (size_t i = 0; i < size; i++, v >>= 8)
        out[little ? i : size - 1 - i] = (unsigned char)(v & 0xff);
}

/* The 'size' bytes at 'in' in the byte order of 'little'; only the last 8 bytes read
 * count when size is more than 8. */
static uint64_t st_load(const unsigned char *in, size_t size, int little)
{
    uint64_t v = 0;

    for (size_t i = 0; i < size; i++)
        v = (v << 8) | in[little ? size - 1 - i : i];
    return v;
}

/* struct.pack(fmt, v1, ...): the values laid out as 'fmt' says, as one string. */
static int st_pack(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    struct st_opts o;
    luaL_Buffer b;
    int arg = 2;
    size_t pos = 0;

    st_opts_init(&o);
    /* A nil after the arguments, as in Redis: a missing value reads as this nil ("got
     * nil"), and past it the buffer's own stack slots, which luaL_Buffer adds here. */
    lua_pushnil(L);
    luaL_buffinit(L, &b);
    while (*fmt != '\0') {
        int opt = *fmt++;
        size_t size = st_item_size(L, opt, &fmt);
        size_t pad = st_padding(pos, &o, opt, size);
        unsigned char bytes[ST_MAX_INT_SIZE];

        pos += pad;
        while (pad-- > 0)
            luaL_addchar(&b, '\0');
        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i':
        case 'I':
            st_store(bytes, st_double_bits(luaL_checknumber(L, arg++)), size, o.little);
            luaL_addlstring(&b, (const char *)bytes, size);
            break;
        case 'x':
            luaL_addchar(&b, '\0');
            break;
        case 'f': {
            float f = (float)luaL_checknumber(L, arg++);
            uint32_t bits;

            memcpy(&bits, &f, sizeof(bits));
            st_store(bytes, bits, sizeof(bits), o.little);
            luaL_addlstring(&b, (const char *)bytes, sizeof(bits));
            break;
        }
        case 'd': {
            double d = luaL_checknumber(L, arg++);
            uint64_t bits;

            memcpy(&bits, &d, sizeof(bits));
            st_store(bytes, bits, sizeof(bits), o.little);
            luaL_addlstring(&b, (const char *)bytes, sizeof(bits));
            break;
        }
        case 'c': case 's': {
            size_t len;
            const char *s = luaL_checklstring(L, arg++, &len);

            if (size == 0)
                size = len;
            /* Names the argument after the string, as Redis does. */
            luaL_argcheck(L, len >= size, arg, "string too short");
            luaL_addlstring(&b, s, size);
            if (opt == 's') {
                luaL_addchar(&b, '\0');
                size++;
            }
            break;
        }
        default:
            st_control(L, opt, &fmt, &o);
        }
        pos += size;
    }
    luaL_pushresult(&b);
    return 1;
}

/* struct.unpack(fmt, data [, pos]): the values 'fmt' describes, read from byte 'pos'
 * (1-based, default 1) of 'data', then the position after the last byte read. */
static int st_unpack(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    size_t len;
    const unsigned char *data = (const unsigned char *)luaL_checklstring(L, 2, &len);
    /* A negative position wraps to a huge one, which then finds the data too short. */
    size_t pos = (size_t)luaL_optinteger(L, 3, 1);
    struct st_opts o;
    int results = 0;

    luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
    pos--;
    st_opts_init(&o);
    while (*fmt != '\0') {
        int opt = *fmt++;
        size_t size = st_item_size(L, opt, &fmt);

        pos += st_padding(pos, &o, opt, size);
        luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
        luaL_checkstack(L, 2, "too many results"); /* this value and the position */
        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i':
        case 'I': {
            uint64_t v = st_load(data + pos, size, o.little);

            if (opt >= 'a' && opt <= 'z') { /* signed: extend the top bit read */
                /* Redis shifts by size*8-1, which x86 takes modulo 64: from 9 bytes on,
                 * the "sign" is bit 7, 15, ... of the last 8 bytes; for 0 bytes, bit 63. */
                uint64_t sign = ~UINT64_C(0) << ((size * 8 - 1) & 63);

                if (v & sign)
                    v |= sign;
                lua_pushnumber(L, (lua_Number)(int64_t)v);
            } else {
                lua_pushnumber(L, (lua_Number)v);
            }
            results++;
            break;
        }
        case 'x':
            break;
        case 'f': {
            uint32_t bits = (uint32_t)st_load(data + pos, sizeof(bits), o.little);
            float f;

            memcpy(&f, &bits, sizeof(f));
            lua_pushnumber(L, (lua_Number)f);
            results++;
            break;
        }
        case 'd': {
            uint64_t bits = st_load(data + pos, sizeof(bits), o.little);
            double d;

            memcpy(&d, &bits, sizeof(d));
            lua_pushnumber(L, (lua_Number)d);
            results++;
            break;
        }
        case 'c':
            if (size == 0) { /* the length is the value just unpacked, which it replaces */
                if (results == 0 || !lua_isnumber(L, -1))
                    luaL_error(L, "format 'c0' needs a previous size");
                size = (size_t)st_double_bits(lua_tonumber(L, -1));
                lua_pop(L, 1);
                results--;
                luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
            }
            lua_pushlstring(L, (const char *)data + pos, size);
            results++;
            break;
        case 's': {
            const unsigned char *end = memchr(data + pos, '\0', len - pos);

            if (end == NULL)
                luaL_error(L, "unfinished string in data");
            size = (size_t)(end - (data + pos)) + 1;
            lua_pushlstring(L, (const char *)data + pos, size - 1);
            results++;
            break;
        }
        default:
            st_control(L, opt, &fmt, &o);
        }
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)(pos + 1));
    return results + 1;
}

/* struct.size(fmt): the bytes a pack of 'fmt' takes. 's' and 'c0' have no fixed size
 * (an error); letters that name no item are ignored here, as in Redis. */
static int st_size(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    struct st_opts o;
    size_t pos = 0;

    st_opts_init(&o);
    while (*fmt != '\0') {
        int opt = *fmt++;
        size_t size = st_item_size(L, opt, &fmt);

        pos += st_padding(pos, &o, opt, size);
        if (opt == 's')
            luaL_argerror(L, 1, "option 's' has no fixed size");
        else if (opt == 'c' && size == 0)
            luaL_argerror(L, 1, "option 'c0' has no fixed size");
        if (!st_is_alnum(opt))
            st_control(L, opt, &fmt, &o);
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos);
    return 1;
}

int luaopen_struct(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"pack", st_pack},
        {"unpack", st_unpack},
        {"size", st_size},
        {NULL, NULL},
    };

    luaL_register(L, "struct", funcs);
    return 1;
}
