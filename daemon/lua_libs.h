/* lua_libs.h - the two libraries of Redis scripts that Debian does not package, written
 * here: `cmsgpack` (MessagePack, daemon/lua_cmsgpack.c) and `struct` (binary packing,
 * daemon/lua_struct.c). The interpreter (daemon/script.c) opens them in each new Lua
 * state next to Debian's cjson and bit; scripts then see what Redis 7.0 gives them:
 * the same functions, the same bytes out, the same error texts.
 *
 * Caveats: both run only on the thread that owns 'L' and keep no state outside it. A
 * call runs in C until it returns, so the interpreter's instruction-count hook cannot
 * stop it mid-way: every loop in them is bounded by the size of its input (a string, a
 * table) or, for cmsgpack.pack, by LUA_CMSGPACK_MAX_OUTPUT bytes of output. */
#ifndef OMK_DAEMON_LUA_LIBS_H
#define OMK_DAEMON_LUA_LIBS_H

#include <lua.h>

/* The most bytes one cmsgpack.pack call produces, all its arguments together (512 MiB,
 * Redis' largest string). Past it the call fails with "MessagePack pack output too
 * large." where Redis would go on until memory ran out; a table that holds itself, which
 * Redis packs 16 levels deep, can otherwise ask for more bytes than any server has. */
#define LUA_CMSGPACK_MAX_OUTPUT (512u * 1024 * 1024)

/* Open cmsgpack in 'L': pushes the library table (pack, unpack, unpack_one,
 * unpack_limit, and _NAME, _VERSION, _DESCRIPTION, _COPYRIGHT) and sets it as the
 * global "cmsgpack". Returns 1 (the table is left on the stack), as a lua_CFunction:
 * call it with lua_call or lua_pcall. Memory comes from the state's allocator, so a
 * limit set there bounds it; allocation failures raise Lua errors. */
int luaopen_cmsgpack(lua_State *L);

/* Open struct in 'L': pushes the library table (pack, unpack, size), sets the global
 * "struct" and registers it in package.loaded (luaL_register). Returns 1, as a
 * lua_CFunction: call it with lua_call or lua_pcall. */
int luaopen_struct(lua_State *L);

#endif
