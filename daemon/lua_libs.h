/* lua_libs.h - the two libraries of Redis scripts that Debian does not package, written
 * here: `cmsgpack` (MessagePack, daemon/lua_cmsgpack.c) and `struct` (binary packing,
 * daemon/lua_struct.c), and the string library's pattern functions, bounded
 * (daemon/lua_strmatch.c). The interpreter (daemon/script.c) opens them in each new Lua
 * state next to Debian's cjson and bit; scripts then see what Redis 7.0 gives them:
 * the same functions, the same bytes out, the same error texts.
 *
 * Caveats: all run only on the thread that owns 'L'; cmsgpack and struct keep no state
 * outside it (the pattern functions keep their installer's check). A call runs in C
 * until it returns, so the interpreter's instruction-count hook cannot stop it mid-way:
 * every loop in cmsgpack and struct is bounded by the size of its input (a string, a
 * table) or, for cmsgpack.pack, by LUA_CMSGPACK_MAX_OUTPUT bytes of output; a pattern
 * match, whose backtracking can take exponential time, calls its check instead. */
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

#define LUA_STRMATCH_MAX_DEPTH 1000     /* recursion levels of one match (Lua 5.2: 200) */
#define LUA_STRMATCH_CHECK_STEPS 10000  /* steps of a match between two checks */

/* A check a long match makes now and then: returns, or raises a Lua error (lua_error)
 * that stops the script. */
typedef void lua_strmatch_check_fn(lua_State *L);

/* Replace string.find, match, gmatch, gfind (gmatch itself) and gsub of the string
 * library in 'L' with Lua 5.1's, bounded: "pattern too complex" past
 * LUA_STRMATCH_MAX_DEPTH levels of recursion, and 'check' (one for every state; NULL:
 * none) every LUA_STRMATCH_CHECK_STEPS steps, so a match that would run for hours can
 * be stopped. Call it after the string library is open. */
void lua_strmatch_install(lua_State *L, lua_strmatch_check_fn *check);

#endif
