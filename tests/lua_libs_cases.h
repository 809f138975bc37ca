/* lua_libs_cases.h - the cases of cmsgpack and struct (daemon/lua_libs.h) that both of
 * their tests run: tests/unit/test_lua_libs.c in a bare Lua state, and
 * tests/integ/test_lua_libs.c through EVAL, against omenkv and against redis-server 7.0
 * (so every expected byte and error text below is what Redis gives). A case is a Lua
 * chunk; ll_script() builds the script that runs it, with the helpers deq (deep
 * equality) and hex as locals (Redis 7 scripts may not set globals). Kinds:
 *   LL_BYTES  the chunk returns exactly these bytes (LL_P wraps its arguments in
 *             "return cmsgpack.pack(...)")
 *   LL_TRUE   the chunk returns true
 *   LL_FAILS  the chunk raises exactly this message (the script returns it, from pcall)
 * The scripts are loaded as Redis loads EVAL's, as the chunk "@user_script", the code on
 * line 1 after the helpers.
 * Header only, for the two tests; not part of the server. */
#ifndef OMK_TESTS_LUA_LIBS_CASES_H
#define OMK_TESTS_LUA_LIBS_CASES_H

#include <stdio.h>
#include <string.h>

enum ll_kind { LL_BYTES, LL_TRUE, LL_FAILS };

struct ll_case {
    enum ll_kind kind;
    const char *code; /* a Lua chunk */
    const char *want; /* LL_BYTES: the bytes; LL_FAILS: the message; else NULL */
    size_t wlen;      /* bytes of 'want' */
};

#define LL_B(code, lit) {LL_BYTES, code, lit, sizeof(lit) - 1}
#define LL_P(args, lit) {LL_BYTES, "return cmsgpack.pack(" args ")", lit, sizeof(lit) - 1}
#define LL_T(code) {LL_TRUE, code, NULL, 0}
/* Errors raised by a library function carry the place of its call, line 1 of Redis'
 * chunk "@user_script"; those Lua raises from inside it (a nil table key) carry none. */
#define LL_F(code, msg) {LL_FAILS, code, "user_script:1: " msg, sizeof("user_script:1: " msg) - 1}
#define LL_F_BARE(code, msg) {LL_FAILS, code, msg, sizeof(msg) - 1}

/* Random values packed and unpacked come back equal; several in one pack decode in
 * order, whole or one at a time (math.random is seeded: the same values every run). */
#define LL_ROUND_TRIPS \
    "math.randomseed(424242)\n" \
    "local edges = {0, -1, 127, 128, 255, 256, 65535, 65536, -32, -33, -128, -129,\n" \
    "  -32768, -32769, 2^31, -2^31, 2^32, 2^53, -2^53, 2^63, -2^63, 2^64, 1/0, -1/0,\n" \
    "  0.5, 1e300, -1e-300, 3.5e38}\n" \
    "local function gen(d)\n" \
    "  local r = math.random(1, d > 0 and 9 or 6)\n" \
    "  if r == 1 then return math.random(-2^40, 2^40)\n" \
    "  elseif r == 2 then return (math.random() - 0.5) * 10 ^ math.random(-30, 30)\n" \
    "  elseif r == 3 then\n" \
    "    local t = {} for i = 1, math.random(0, 40) do t[i] = string.char(math.random(0, 255)) end\n" \
    "    return table.concat(t)\n" \
    "  elseif r == 4 then return math.random(2) == 1\n" \
    "  elseif r == 5 then return edges[math.random(#edges)]\n" \
    "  elseif r == 6 then return string.rep('x', ({31, 32, 255, 256, 65535, 65536})[math.random(6)])\n" \
    "  elseif r <= 8 then\n" \
    "    local t = {} for i = 1, math.random(0, 12) do t[i] = gen(d - 1) end return t\n" \
    "  else\n" \
    "    local t = {} for i = 1, math.random(0, 12) do t[gen(0)] = gen(d - 1) end return t\n" \
    "  end\n" \
    "end\n" \
    "for i = 1, 200 do\n" \
    "  local a, b, c = gen(4), gen(2), gen(0)\n" \
    "  local s = cmsgpack.pack(a)\n" \
    "  if not deq(cmsgpack.unpack(s), a) then return 'round trip ' .. i .. ': ' .. hex(s) end\n" \
    "  local all = cmsgpack.pack(a, b, c)\n" \
    "  if all ~= s .. cmsgpack.pack(b) .. cmsgpack.pack(c) then return 'concat ' .. i end\n" \
    "  local x, y, z = cmsgpack.unpack(all)\n" \
    "  if not (deq(x, a) and deq(y, b) and deq(z, c)) then return 'stream ' .. i end\n" \
    "  local o, v = cmsgpack.unpack_one(all, #s)\n" \
    "  if not deq(v, b) then return 'unpack_one ' .. i end\n" \
    "end\n" \
    "return true\n"

static const struct ll_case ll_cases[] = {
    /* ---- cmsgpack: encodings ---- */

    LL_P("0", "\x00"),
    LL_P("127", "\x7f"),
    LL_P("128", "\xcc\x80"),
    LL_P("255", "\xcc\xff"),
    LL_P("256", "\xcd\x01\x00"),
    LL_P("65535", "\xcd\xff\xff"),
    LL_P("65536", "\xce\x00\x01\x00\x00"),
    LL_P("4294967295", "\xce\xff\xff\xff\xff"),
    LL_P("4294967296", "\xcf\x00\x00\x00\x01\x00\x00\x00\x00"),
    LL_P("2^53", "\xcf\x00\x20\x00\x00\x00\x00\x00\x00"),
    LL_P("-1", "\xff"),
    LL_P("-32", "\xe0"),
    LL_P("-33", "\xd0\xdf"),
    LL_P("-128", "\xd0\x80"),
    LL_P("-129", "\xd1\xff\x7f"),
    LL_P("-32768", "\xd1\x80\x00"),
    LL_P("-32769", "\xd2\xff\xff\x7f\xff"),
    LL_P("-2147483648", "\xd2\x80\x00\x00\x00"),
    LL_P("-2147483649", "\xd3\xff\xff\xff\xff\x7f\xff\xff\xff"),
    LL_P("-2^63", "\xd3\x80\x00\x00\x00\x00\x00\x00\x00"),
    LL_P("-0.0", "\x00"),
    /* Not integral, or past int64: float32 when exact, else float64. */
    LL_P("1.5", "\xca\x3f\xc0\x00\x00"),
    LL_P("-0.25", "\xca\xbe\x80\x00\x00"),
    LL_P("0.1", "\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a"),
    LL_P("2^63", "\xca\x5f\x00\x00\x00"),
    LL_P("2^64 + 2^20", "\xcb\x43\xf0\x00\x00\x00\x00\x01\x00"),
    LL_P("1/0", "\xca\x7f\x80\x00\x00"),
    LL_P("-1/0", "\xca\xff\x80\x00\x00"),
    LL_P("1e300", "\xcb\x7e\x37\xe4\x3c\x88\x00\x75\x9c"),
    LL_T("local s = cmsgpack.pack(3.5e38) "
         "return #s == 9 and s:byte(1) == 0xcb and cmsgpack.unpack(s) == 3.5e38"),
    LL_T("return cmsgpack.pack(0/0):byte(1) == 0xcb"),

    LL_P("''", "\xa0"),
    LL_P("'abc'", "\xa3" "abc"),
    LL_P("'a\\0b'", "\xa3" "a\0b"),
    LL_B("return cmsgpack.pack(string.rep('x', 31)):sub(1, 2)", "\xbfx"),
    LL_B("return cmsgpack.pack(string.rep('x', 32)):sub(1, 3)", "\xd9\x20x"),
    LL_B("return cmsgpack.pack(string.rep('x', 255)):sub(1, 3)", "\xd9\xffx"),
    LL_B("return cmsgpack.pack(string.rep('x', 256)):sub(1, 4)", "\xda\x01\x00x"),
    LL_B("return cmsgpack.pack(string.rep('x', 65535)):sub(1, 4)", "\xda\xff\xffx"),
    LL_B("return cmsgpack.pack(string.rep('x', 65536)):sub(1, 6)", "\xdb\x00\x01\x00\x00x"),
    LL_T("return #cmsgpack.pack(string.rep('x', 65536)) == 65541"),
    LL_P("true", "\xc3"),
    LL_P("false", "\xc2"),
    LL_P("nil", "\xc0"),
    LL_P("function() end", "\xc0"),
    LL_P("string.rep", "\xc0"),
    LL_P("1, 'a', {}, nil, true", "\x01\xa1" "a" "\x90\xc0\xc3"),

    LL_P("{}", "\x90"),
    LL_P("{1, 2, 3}", "\x93\x01\x02\x03"),
    LL_P("{[1] = 'a', [2] = 'b'}", "\x92\xa1" "a" "\xa1" "b"),
    LL_P("{{}, {{}}}", "\x92\x90\x91\x90"),
    LL_P("{a = 1}", "\x81\xa1" "a" "\x01"),
    LL_P("{[2] = 1}", "\x81\x02\x01"),
    LL_P("{[0] = 1}", "\x81\x00\x01"),
    LL_P("{[1.5] = true}", "\x81\xca\x3f\xc0\x00\x00\xc3"),
    LL_P("{['1'] = 1}", "\x81\xa1" "1" "\x01"),
    LL_P("{[true] = false}", "\x81\xc3\xc2"),
    LL_P("{[{}] = 1}", "\x81\x90\x01"),
    LL_B("local t = {} for i = 1, 15 do t[i] = i end return cmsgpack.pack(t):sub(1, 2)",
         "\x9f\x01"),
    LL_B("local t = {} for i = 1, 16 do t[i] = i end return cmsgpack.pack(t):sub(1, 4)",
         "\xdc\x00\x10\x01"),
    LL_B("local t = {} for i = 1, 65536 do t[i] = 0 end return cmsgpack.pack(t):sub(1, 6)",
         "\xdd\x00\x01\x00\x00\x00"),
    LL_B("local t = {} for i = 1, 16 do t['k'..i] = 0 end return cmsgpack.pack(t):sub(1, 3)",
         "\xde\x00\x10"),
    LL_B("local t = {} for i = 1, 65536 do t[-i] = 0 end return cmsgpack.pack(t):sub(1, 5)",
         "\xdf\x00\x01\x00\x00"),
    /* A hole makes a map; an array with a nil at the end is shorter. */
    LL_T("return cmsgpack.pack({1, nil, 3}):byte(1) == 0x82"),
    LL_P("{1, 2, nil}", "\x92\x01\x02"),
    /* 16 levels of tables below the argument, then nil: nested or holding itself. */
    LL_B("local t = 1 for i = 1, 20 do t = {t} end return cmsgpack.pack(t)",
         "\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\xc0"),
    LL_B("local t = {} t[1] = t return cmsgpack.pack(t)",
         "\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\xc0"),
    LL_B("local t = 1 for i = 1, 16 do t = {t} end return cmsgpack.pack(t)",
         "\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x01"),
    /* Each argument starts at level 0. */
    LL_T("local t = {} t[1] = t local s = cmsgpack.pack(t) "
         "return cmsgpack.pack(t, t) == s .. s"),
    LL_F("return cmsgpack.pack()", "bad argument #0 to 'pack' (MessagePack pack needs input.)"),
    LL_T("return cmsgpack._VERSION == 'lua-cmsgpack 0.4.0' and cmsgpack._NAME == 'cmsgpack'"),

    /* ---- cmsgpack: decoding ---- */

    LL_T("return deq({cmsgpack.unpack('\\147\\1\\2\\3')}, {{1, 2, 3}})"),
    LL_T("return select('#', cmsgpack.unpack('')) == 0"),
    LL_T("local a, b, c = cmsgpack.unpack('\\1\\161a\\192') "
         "return a == 1 and b == 'a' and c == nil"),
    LL_T("return select('#', cmsgpack.unpack('\\192\\192')) == 2"),
    LL_T("return deq({cmsgpack.unpack('\\129\\161k\\145\\195')}, {{k = {true}}})"),
    /* Every integer width, signed and not. */
    LL_T("local v = {cmsgpack.unpack('\\204\\255\\205\\1\\0\\206\\255\\255\\255\\255"
         "\\207\\0\\0\\0\\1\\0\\0\\0\\0\\208\\128\\209\\128\\0\\210\\128\\0\\0\\0"
         "\\211\\255\\255\\255\\255\\255\\255\\255\\254\\224\\127')} "
         "return deq(v, {255, 256, 4294967295, 4294967296, -128, -32768, -2147483648, "
         "-2, -32, 127})"),
    /* u64 from 2^63 comes back negative, as in Redis. */
    LL_T("return cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255') == -1"),
    LL_T("return cmsgpack.unpack('\\207\\128\\0\\0\\0\\0\\0\\0\\0') == -2^63"),
    LL_T("return cmsgpack.unpack('\\202\\63\\192\\0\\0') == 1.5 and "
         "cmsgpack.unpack('\\203\\63\\185\\153\\153\\153\\153\\153\\154') == 0.1"),
    LL_T("return cmsgpack.unpack('\\217\\3abc') == 'abc' and "
         "cmsgpack.unpack('\\218\\0\\3abc') == 'abc' and "
         "cmsgpack.unpack('\\219\\0\\0\\0\\3abc') == 'abc'"),
    LL_T("return deq(cmsgpack.unpack('\\220\\0\\2\\1\\2'), {1, 2}) and "
         "deq(cmsgpack.unpack('\\221\\0\\0\\0\\1\\1'), {1}) and "
         "deq(cmsgpack.unpack('\\222\\0\\1\\1\\2'), {[1] = 2}) and "
         "deq(cmsgpack.unpack('\\223\\0\\0\\0\\1\\1\\2'), {[1] = 2})"),
    /* A map may give an array-like table, and keys repeat (the last wins). */
    LL_T("return deq(cmsgpack.unpack('\\130\\1\\10\\1\\11'), {11})"),
    /* unpack_one and unpack_limit: the next offset first, -1 at the end. */
    LL_T("local o, v = cmsgpack.unpack_one('\\1\\2') return o == 1 and v == 1"),
    LL_T("local o, v = cmsgpack.unpack_one('\\1\\2', 1) return o == -1 and v == 2"),
    LL_T("return select('#', cmsgpack.unpack_one('')) == 1 and cmsgpack.unpack_one('') == -1"),
    LL_T("return select('#', cmsgpack.unpack_one('\\1', 1)) == 1"),
    LL_T("local o, a, b = cmsgpack.unpack_limit('\\1\\2\\3', 2) "
         "return o == 2 and a == 1 and b == 2"),
    LL_T("local o, a = cmsgpack.unpack_limit('\\1\\2\\3', 5, 2) return o == -1 and a == 3"),
    LL_T("local a, b, c = cmsgpack.unpack_limit('\\1\\2\\3', 0) "
         "return a == 1 and b == 2 and c == 3"),
    LL_T("local s = cmsgpack.pack({1}, 'x', {y = 2}) local o, v, out = 0, nil, {} "
         "repeat o, v = cmsgpack.unpack_one(s, o) out[#out + 1] = v until o == -1 "
         "return deq(out, {{1}, 'x', {y = 2}})"),

    LL_F("return cmsgpack.unpack('\\146\\1')", "Missing bytes in input."),
    LL_F("return cmsgpack.unpack('\\205\\1')", "Missing bytes in input."),
    LL_F("return cmsgpack.unpack('\\163ab')", "Missing bytes in input."),
    LL_F("return cmsgpack.unpack('\\219\\255\\255\\255\\255ab')", "Missing bytes in input."),
    LL_F("return cmsgpack.unpack('\\221\\255\\255\\255\\255')", "Missing bytes in input."),
    LL_F("return cmsgpack.unpack('\\223\\255\\255\\255\\255\\1')", "Missing bytes in input."),
    LL_F("return cmsgpack.unpack('\\193')", "Bad data format in input."),
    LL_F("return cmsgpack.unpack('\\196\\1a')", "Bad data format in input."),
    LL_F("return cmsgpack.unpack('\\212\\1\\1')", "Bad data format in input."),
    LL_F("return cmsgpack.unpack('\\145\\200')", "Bad data format in input."),
    LL_F("return cmsgpack.unpack('\\1\\216')", "Bad data format in input."),
    LL_F_BARE("return cmsgpack.unpack('\\129\\192\\1')", "table index is nil"),
    LL_F_BARE("return cmsgpack.unpack('\\129\\203\\255\\248\\0\\0\\0\\0\\0\\0\\1')",
         "table index is NaN"),
    LL_F("return cmsgpack.unpack_one('abc', -1)",
         "Invalid request to unpack with offset of -1 and limit of 3."),
    LL_F("return cmsgpack.unpack_limit('abcd', -2)",
         "Invalid request to unpack with offset of 0 and limit of 4."),
    LL_F("return cmsgpack.unpack_one('abc', 4)",
         "Start offset 4 greater than input length 3."),
    LL_F("return cmsgpack.unpack()",
         "bad argument #1 to 'unpack' (string expected, got no value)"),
    LL_F("return cmsgpack.unpack_one()",
         "bad argument #1 to 'unpack_one' (string expected, got no value)"),
    LL_F("return cmsgpack.unpack_limit('a')",
         "bad argument #2 to 'unpack_limit' (number expected, got no value)"),
    LL_F("return cmsgpack.unpack({})",
         "bad argument #1 to 'unpack' (string expected, got table)"),
    /* The Lua stack bounds values and depth (LUAI_MAXCSTACK, 8000 slots). */
    LL_T("return select('#', cmsgpack.unpack(string.rep('\\1', 7999))) == 7999"),
    LL_F("return cmsgpack.unpack(string.rep('\\1', 8000))",
         "stack overflow (too many return values at once; use unpack_one or unpack_limit "
         "instead.)"),
    LL_T("local t = cmsgpack.unpack(string.rep('\\145', 3998) .. '\\1') "
         "for i = 1, 3998 do t = t[1] end return t == 1"),
    LL_F("return cmsgpack.unpack(string.rep('\\145', 100000) .. '\\1')",
         "stack overflow (in function mp_decode_to_lua_array)"),
    LL_F("return cmsgpack.unpack(string.rep('\\129', 100000) .. '\\1')",
         "stack overflow (too many return values at once; use unpack_one or unpack_limit "
         "instead.)"),
    LL_F("return cmsgpack.unpack(string.rep('\\221\\255\\255\\255\\255', 100000))",
         "stack overflow (in function mp_decode_to_lua_array)"),

/* Random values packed and unpacked: equal, and streams decode in order. */

    /* ---- struct ---- */

    LL_B("return struct.pack('>i', 1)", "\0\0\0\1"),
    LL_B("return struct.pack('<i', 1)", "\1\0\0\0"),
    LL_B("return struct.pack('i', 258)", "\2\1\0\0"),
    LL_B("return struct.pack('>h', -2)", "\xff\xfe"),
    LL_B("return struct.pack('bB', -1, 255)", "\xff\xff"),
    LL_B("return struct.pack('>H', 65535)", "\xff\xff"),
    LL_B("return struct.pack('>l', -1)", "\xff\xff\xff\xff\xff\xff\xff\xff"),
    LL_B("return struct.pack('>L', 2^63)", "\x80\0\0\0\0\0\0\0"),
    LL_B("return struct.pack('>T', 5)", "\0\0\0\0\0\0\0\5"),
    LL_B("return struct.pack('>i3', 66051)", "\1\2\3"),
    LL_B("return struct.pack('>I9', 1)", "\0\0\0\0\0\0\0\0\1"),
    LL_B("return struct.pack('<i10', -1)", "\xff\xff\xff\xff\xff\xff\xff\xff\0\0"),
    LL_B("return struct.pack('>i', 1.9)", "\0\0\0\1"),
    LL_B("return struct.pack('>i', -1.9)", "\xff\xff\xff\xff"),
    LL_B("return struct.pack('>i', '7')", "\0\0\0\7"),
    LL_B("return struct.pack('>f', 1.5)", "\x3f\xc0\0\0"),
    LL_B("return struct.pack('<f', 1.5)", "\0\0\xc0\x3f"),
    LL_B("return struct.pack('>d', 1.5)", "\x3f\xf8\0\0\0\0\0\0"),
    LL_B("return struct.pack('c3', 'abcdef')", "abc"),
    LL_B("return struct.pack('c0', 'abc')", "abc"),
    LL_B("return struct.pack('c', 'xy')", "x"),
    LL_B("return struct.pack('s', 'ab')", "ab\0"),
    LL_B("return struct.pack('x b', 9)", "\0\x09"),
    LL_B("return struct.pack('')", ""),
    /* Alignment: '!' alone is 8; items align to min(size, alignment); 'c' never. */
    LL_B("return struct.pack('>!4 b i', 1, 2)", "\1\0\0\0\0\0\0\2"),
    LL_B("return struct.pack('>! b d', 1, 0)", "\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
    LL_B("return struct.pack('>!2 b i', 1, 2)", "\1\0\0\0\0\2"),
    LL_B("return struct.pack('>!4 b c2 h', 1, 'xy', 3)", "\1xy\0\0\3"),
    LL_B("return struct.pack('>!8 b i3', 1, 2)", "\1\0\0\0\0\2"),
    /* Out of range doubles become the bits Redis' build gets. */
    LL_B("return struct.pack('>L', 2^64)", "\0\0\0\0\0\0\0\0"),
    LL_B("return struct.pack('>L', 1/0)", "\0\0\0\0\0\0\0\0"),
    LL_B("return struct.pack('>L', -1/0)", "\x80\0\0\0\0\0\0\0"),
    LL_B("return struct.pack('>L', 0/0)", "\x80\0\0\0\0\0\0\0"),
    LL_B("return struct.pack('>l', -2^70)", "\x80\0\0\0\0\0\0\0"),

    LL_T("local v, n = struct.unpack('>i', '\\0\\0\\0\\1') return v == 1 and n == 5"),
    LL_T("local v, n = struct.unpack('<h', '\\255\\255') return v == -1 and n == 3"),
    LL_T("local v, n = struct.unpack('<H', '\\255\\255') return v == 65535 and n == 3"),
    LL_T("local a, b, n = struct.unpack('bB', '\\255\\255') return a == -1 and b == 255"),
    LL_T("local v = struct.unpack('>l', '\\255\\255\\255\\255\\255\\255\\255\\254') "
         "return v == -2"),
    LL_T("local v = struct.unpack('>L', '\\128\\0\\0\\0\\0\\0\\0\\0') return v == 2^63"),
    LL_T("local v = struct.unpack('>i3', '\\255\\255\\254') return v == -2"),
    LL_T("local v = struct.unpack('>I3', '\\1\\2\\3') return v == 66051"),
    LL_T("local v = struct.unpack('>i9', '\\0\\0\\0\\0\\0\\0\\0\\0\\128') return v == -128"),
    LL_T("local v = struct.unpack('>i9', '\\255\\0\\0\\0\\0\\0\\0\\0\\127') return v == 127"),
    LL_T("local v = struct.unpack('<i16', string.rep('\\255', 16)) return v == -1"),
    LL_T("local v, n = struct.unpack('i0', 'x') return v == 0 and n == 1"),
    LL_T("local v = struct.unpack('>f', '\\63\\192\\0\\0') return v == 1.5"),
    LL_T("local v = struct.unpack('<d', '\\0\\0\\0\\0\\0\\0\\248\\63') return v == 1.5"),
    LL_T("local v, n = struct.unpack('B c0', '\\3abcd') return v == 'abc' and n == 5"),
    LL_T("local v, n = struct.unpack('c1 c0', '2abc') return v == 'ab' and n == 4"),
    LL_T("local v, n = struct.unpack('s', 'ab\\0c') return v == 'ab' and n == 4"),
    LL_T("local v, n = struct.unpack('>i', '\\0\\0\\0\\1\\0\\0\\0\\2', 5) "
         "return v == 2 and n == 9"),
    LL_T("local a, b, n = struct.unpack('>!4 b i', '\\1\\0\\0\\0\\0\\0\\0\\2') "
         "return a == 1 and b == 2 and n == 9"),
    LL_T("local n = struct.unpack('x', 'a') return n == 2"),
    LL_T("return struct.unpack('', 'abc', 10) == 10"),
    LL_T("local s = struct.pack('>bhilfdc3s', -1, -300, 70000, -5, 0.5, 1e300, 'xyz', 'q') "
         "local a, b, c, d, e, f, g, h, n = struct.unpack('>bhilfdc3s', s) "
         "return a == -1 and b == -300 and c == 70000 and d == -5 and e == 0.5 and "
         "f == 1e300 and g == 'xyz' and h == 'q' and n == #s + 1"),

    LL_T("return struct.size('i') == 4 and struct.size('bi') == 5 and "
         "struct.size('!bi') == 8 and struct.size('!4 b d') == 12 and "
         "struct.size('c10') == 10 and struct.size('>lL T') == 24 and "
         "struct.size('z') == 0 and struct.size('i32') == 32 and struct.size('') == 0"),

    LL_F("return struct.pack('z')", "bad argument #1 to 'pack' (invalid format option 'z')"),
    LL_F("return struct.pack('i33', 1)", "integral size 33 is larger than limit of 32"),
    LL_F("return struct.pack('!3')", "alignment 3 is not a power of 2"),
    LL_F("return struct.pack('!0')", "alignment 0 is not a power of 2"),
    LL_F("return struct.pack('c99999999999', '')", "integral size overflow"),
    LL_F("return struct.pack('c2147483648', '')", "integral size overflow"),
    LL_F("return struct.pack('c2147483647', '')", "bad argument #3 to 'pack' (string too short)"),
    LL_F("return struct.pack('>i')", "bad argument #2 to 'pack' (number expected, got nil)"),
    LL_F("return struct.pack('>ii', 1)",
         "bad argument #3 to 'pack' (number expected, got nil)"),
    LL_F("return struct.pack('>i', {})",
         "bad argument #2 to 'pack' (number expected, got table)"),
    LL_F("return struct.pack('c5', 'abc')", "bad argument #3 to 'pack' (string too short)"),
    LL_F("return struct.pack()", "bad argument #1 to 'pack' (string expected, got no value)"),
    LL_F("return struct.unpack('i', 'abc')",
         "bad argument #2 to 'unpack' (data string too short)"),
    LL_F("return struct.unpack('i', 'abcd', 0)",
         "bad argument #3 to 'unpack' (offset must be 1 or greater)"),
    LL_F("return struct.unpack('i', 'abcd', -1)",
         "bad argument #2 to 'unpack' (data string too short)"),
    LL_F("return struct.unpack('>', 'abc', 5)",
         "bad argument #2 to 'unpack' (data string too short)"),
    LL_F("return struct.unpack('c0', 'abc')", "format 'c0' needs a previous size"),
    LL_F("return struct.unpack('c1c0', 'abc')", "format 'c0' needs a previous size"),
    LL_F("return struct.unpack('B c0', '\\9abc')",
         "bad argument #2 to 'unpack' (data string too short)"),
    LL_F("return struct.unpack('s', 'abc')", "unfinished string in data"),
    LL_F("return struct.unpack('y', 'abc')",
         "bad argument #1 to 'unpack' (invalid format option 'y')"),
    LL_F("return struct.size('s')", "bad argument #1 to 'size' (option 's' has no fixed size)"),
    LL_F("return struct.size('c0')",
         "bad argument #1 to 'size' (option 'c0' has no fixed size)"),
    LL_F("return struct.size('?')", "bad argument #1 to 'size' (invalid format option '?')"),
    LL_T("return select('#', struct.unpack(string.rep('b', 7997), string.rep('\\1', 7997)))"
         " == 7998"),
    LL_F("return struct.unpack(string.rep('b', 8000), string.rep('\\1', 8000))",
         "stack overflow (too many results)"),
    LL_T(LL_ROUND_TRIPS),
};

/* The helpers every case may call. */
static const char ll_prelude[] =
    "local function deq(a, b) "
    "if type(a) ~= type(b) then return false end "
    "if type(a) ~= 'table' then return a == b end "
    "for k, v in pairs(a) do if not deq(v, b[k]) then return false end end "
    "for k in pairs(b) do if a[k] == nil then return false end end "
    "return true end "
    "local function hex(s) "
    "return (string.gsub(s, '.', function(c) return string.format('%02x', c:byte()) end)) end ";

/* The script of case 'c' into 'out' ('cap' bytes). Returns its length, or 0 when it does
 * not fit. */
__attribute__((unused)) static size_t ll_script(const struct ll_case *c, char *out, size_t cap)
{
    int n;

    if (c->kind == LL_FAILS)
        n = snprintf(out, cap,
                     "%slocal ok, e = pcall(function() %s end) "
                     "if ok then return 'no error' end return e",
                     ll_prelude, c->code);
    else
        n = snprintf(out, cap, "%s%s", ll_prelude, c->code);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

#endif
