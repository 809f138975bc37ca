/* function.c - the function libraries behind FUNCTION and FCALL (see function.h).
 *
 * HOW A LIBRARY IS KEPT. A library is its name, its code (the whole FUNCTION LOAD
 * argument, shebang line included) and its functions; a function is a name, an optional
 * description, SCRIPT_F_* flags and a reference to the Lua function in the registry of
 * 'fn_L', the libraries' interpreter (made by script.c like EVAL's, but its own, so that
 * SCRIPT FLUSH leaves the functions alone, as in Redis). The libraries form a list in
 * load order ('fn_cur'; a REPLACE moves the library last), which FUNCTION LIST follows,
 * and each library's functions in registration order (Redis' order is that of its
 * dicts, seeded at random per process: not stable, so not imitated); FCALL finds a function by a walk of it, ignoring case as Redis'
 * function dictionary does. Everything here is guarded by the interpreters' mutex
 * (script_lock_or_busy), but for the counters INFO and FUNCTION STATS read (atomics).
 *
 * HOW A LIBRARY LOADS. The code after the shebang line (its end of line kept, so that
 * line numbers count as in the code) is compiled as chunk "@user_function" with an
 * environment of its own ('FN_REG_ENV'): while a library loads ('fn_loading' set) it
 * shows only the load API, a table holding 'redis' with register_function, log, the
 * LOG_* levels and the version fields (Redis' load-time sandbox: redis.call and the
 * libraries are out of reach); at run time it shows the globals scripts see. A count
 * hook stops a load that runs past FN_LOAD_TIMEOUT_MS. The functions registered go to
 * the new library, which joins the list only once it loaded whole and none of its
 * function names is taken.
 *
 * HOW LIBRARIES PERSIST. After every change (LOAD, DELETE, FLUSH, RESTORE) the whole
 * set is written as one record of RocksDB's meta column family ("functions", a named
 * meta blob: store.h) in FUNCTION DUMP's payload format; start-up restores it. DUMP is
 * Redis 7.0's format: per library the RDB opcode FUNCTION2 (245) and the code as an RDB
 * string, then the RDB version (10, two bytes little-endian) and a CRC-64 (Jones, as
 * Redis') of all that, little-endian. Ours writes the code uncompressed; RESTORE also
 * reads the LZF-compressed and integer-encoded strings Redis writes. */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>
#include <lua.h>

#include "common/omk.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/function.h"
#include "daemon/log.h"
#include "daemon/monitor.h"
#include "daemon/reply.h"
#include "daemon/script.h"
#include "daemon/server.h"
#include "store/store.h"

#define FN_LOAD_TIMEOUT_MS 500    /* longest run of a library's load (Redis') */
#define FN_HOOK_STEPS 100000      /* instructions between two timeout checks */
#define FN_ERR_MAX 4096           /* bytes of an error text kept */
#define FN_BLOB "functions"       /* the named meta blob of the libraries */
#define FN_RDB_OPCODE 245         /* RDB_OPCODE_FUNCTION2 */
#define FN_RDB_OPCODE_PRE_GA 246  /* RDB_OPCODE_FUNCTION of 7.0's release candidates */
#define FN_RDB_VERSION 10         /* Redis 7.0's RDB version */

/* Registry keys of 'fn_L'. */
#define FN_REG_ENV "omk_fn_env"           /* the libraries' environment */
#define FN_REG_LOAD_API "omk_fn_load_api" /* globals while a library loads */
#define FN_REG_LOAD_REDIS "omk_fn_load_redis" /* its 'redis' table's contents */

struct fn_func {
    char *name;
    char *desc; /* NULL: none */
    unsigned flags;
    int ref;    /* the Lua function, in fn_L's registry */
};

struct fn_lib {
    char *name;
    char *code;
    size_t code_len;
    struct fn_func *funcs;
    int nfuncs, cap;
    struct fn_lib *next;
};

/* A set of libraries: the current one, or one being restored. */
struct fn_set {
    struct fn_lib *head;
};

static lua_State *fn_L;                 /* the libraries' interpreter */
static struct fn_set fn_cur;            /* the libraries FCALL sees */
static struct fn_lib *fn_loading;       /* the library being loaded, else NULL */
static int64_t fn_load_start_us;        /* when it began */
static _Atomic long long fn_vm_bytes;   /* fn_L's memory */
static _Atomic long long fn_nlibs, fn_nfuncs, fn_bytes; /* counts of fn_cur */

/* ---- Libraries in RAM ------------------------------------------------------------------ */

static void fn_lib_free(struct fn_lib *lib)
{
    if (!lib)
        return;
    for (int i = 0; i < lib->nfuncs; i++) {
        luaL_unref(fn_L, LUA_REGISTRYINDEX, lib->funcs[i].ref);
        omk_free(lib->funcs[i].name);
        omk_free(lib->funcs[i].desc);
    }
    omk_free(lib->funcs);
    omk_free(lib->name);
    omk_free(lib->code);
    omk_free(lib);
}

static void fn_set_clear(struct fn_set *set)
{
    while (set->head) {
        struct fn_lib *next = set->head->next;

        fn_lib_free(set->head);
        set->head = next;
    }
}

/* The library named 'name' (case-sensitive, as Redis' library dictionary), or NULL. */
static struct fn_lib *fn_lib_find(const struct fn_set *set, const char *name, size_t len)
{
    for (struct fn_lib *l = set->head; l; l = l->next)
        if (strlen(l->name) == len && memcmp(l->name, name, len) == 0)
            return l;
    return NULL;
}

/* The function named 'name' in 'set' ignoring case (Redis' function dictionary), not
 * counting library 'skip', or NULL. */
static struct fn_func *fn_func_find(const struct fn_set *set, const char *name, size_t len,
                                    const struct fn_lib *skip)
{
    for (struct fn_lib *l = set->head; l; l = l->next) {
        if (l == skip)
            continue;
        for (int i = 0; i < l->nfuncs; i++)
            if (strlen(l->funcs[i].name) == len && strncasecmp(l->funcs[i].name, name, len) == 0)
                return &l->funcs[i];
    }
    return NULL;
}

/* Append 'lib' to 'set'. */
static void fn_link(struct fn_set *set, struct fn_lib *lib)
{
    struct fn_lib **at = &set->head;

    while (*at)
        at = &(*at)->next;
    lib->next = NULL;
    *at = lib;
}

/* Take 'lib' out of 'set' (it stays allocated). */
static void fn_unlink(struct fn_set *set, struct fn_lib *lib)
{
    for (struct fn_lib **at = &set->head; *at; at = &(*at)->next) {
        if (*at == lib) {
            *at = lib->next;
            lib->next = NULL;
            return;
        }
    }
}

/* Refresh the counters of fn_cur that INFO and FUNCTION STATS read. */
static void fn_recount(void)
{
    long long libs = 0, funcs = 0, bytes = 0;

    for (struct fn_lib *l = fn_cur.head; l; l = l->next) {
        libs++;
        bytes += (long long)(sizeof(*l) + strlen(l->name) + l->code_len);
        for (int i = 0; i < l->nfuncs; i++) {
            funcs++;
            bytes += (long long)(sizeof(l->funcs[i]) + strlen(l->funcs[i].name) +
                                 (l->funcs[i].desc ? strlen(l->funcs[i].desc) : 0));
        }
    }
    atomic_store(&fn_nlibs, libs);
    atomic_store(&fn_nfuncs, funcs);
    atomic_store(&fn_bytes, bytes);
}

/* Whether 'name'/'len' is a valid library or function name: [A-Za-z0-9_]+. */
static int fn_name_ok(const char *name, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return 0;
    }
    return 1;
}

/* ---- The load API (redis.register_function) ------------------------------------------- */

/* Raise Redis' error table {err = "ERR <msg>"}. */
static int fn_raise(lua_State *L, const char *msg)
{
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushfstring(L, "ERR %s", msg);
    lua_settable(L, -3);
    return lua_error(L);
}

/* Read the flags table on the top of the stack into '*flags': 1, or 0 on a value that
 * is not a known flag. */
static int fn_read_flags(lua_State *L, unsigned *flags)
{
    *flags = 0;
    for (int j = 1;; j++) {
        const char *s;
        size_t k;

        lua_rawgeti(L, -1, j);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            return 1;
        }
        if (!lua_isstring(L, -1)) {
            lua_pop(L, 1);
            return 0;
        }
        s = lua_tostring(L, -1);
        for (k = 0; k < SCRIPT_FLAG_NAMES; k++)
            if (strcasecmp(script_flag_names[k].name, s) == 0)
                break;
        lua_pop(L, 1);
        if (k == SCRIPT_FLAG_NAMES)
            return 0;
        *flags |= script_flag_names[k].flag;
    }
}

/* The arguments of one register_function call, read from the Lua stack. */
struct fn_reg {
    char *name;
    char *desc;
    unsigned flags;
    int ref; /* LUA_NOREF until the callback is taken */
};

static void fn_reg_drop(lua_State *L, struct fn_reg *r)
{
    omk_free(r->name);
    omk_free(r->desc);
    if (r->ref != LUA_NOREF)
        luaL_unref(L, LUA_REGISTRYINDEX, r->ref);
    memset(r, 0, sizeof(*r));
    r->ref = LUA_NOREF;
}

/* A copy of the string (or number) at 'idx', or NULL when it is neither. */
static char *fn_string_at(lua_State *L, int idx)
{
    size_t len;
    const char *s;

    if (!lua_isstring(L, idx))
        return NULL;
    lua_pushvalue(L, idx); /* a number is converted in the copy, not in place */
    s = lua_tolstring(L, -1, &len);
    s = omk_memdup(s, len);
    lua_pop(L, 1);
    return (char *)s;
}

/* redis.register_function{function_name=, callback=, flags=, description=}: NULL, or
 * the error text. */
static const char *fn_reg_named(lua_State *L, struct fn_reg *r)
{
    if (!lua_istable(L, 1))
        return "calling redis.register_function with a single argument is only applicable to "
               "Lua table (representing named arguments).";
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        char *key;

        if (!lua_isstring(L, -2))
            return "named argument key given to redis.register_function is not a string";
        key = fn_string_at(L, -2);
        if (strcasecmp(key, "function_name") == 0) {
            omk_free(r->name);
            if (!(r->name = fn_string_at(L, -1))) {
                omk_free(key);
                return "function_name argument given to redis.register_function must be a "
                       "string";
            }
        } else if (strcasecmp(key, "description") == 0) {
            omk_free(r->desc);
            if (!(r->desc = fn_string_at(L, -1))) {
                omk_free(key);
                return "description argument given to redis.register_function must be a string";
            }
        } else if (strcasecmp(key, "callback") == 0) {
            if (!lua_isfunction(L, -1)) {
                omk_free(key);
                return "callback argument given to redis.register_function must be a function";
            }
            if (r->ref != LUA_NOREF)
                luaL_unref(L, LUA_REGISTRYINDEX, r->ref);
            lua_pushvalue(L, -1);
            r->ref = luaL_ref(L, LUA_REGISTRYINDEX);
        } else if (strcasecmp(key, "flags") == 0) {
            if (!lua_istable(L, -1)) {
                omk_free(key);
                return "flags argument to redis.register_function must be a table representing "
                       "function flags";
            }
            if (!fn_read_flags(L, &r->flags)) {
                omk_free(key);
                return "unknown flag given";
            }
        } else {
            omk_free(key);
            return "unknown argument given to redis.register_function";
        }
        omk_free(key);
        lua_pop(L, 1);
    }
    if (!r->name)
        return "redis.register_function must get a function name argument";
    if (r->ref == LUA_NOREF)
        return "redis.register_function must get a callback argument";
    return NULL;
}

/* redis.register_function(name, callback): NULL, or the error text. */
static const char *fn_reg_positional(lua_State *L, struct fn_reg *r)
{
    if (!(r->name = fn_string_at(L, 1)))
        return "first argument to redis.register_function must be a string";
    if (!lua_isfunction(L, 2))
        return "second argument to redis.register_function must be a function";
    lua_pushvalue(L, 2);
    r->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return NULL;
}

/* redis.register_function(...): add a function to the library being loaded. */
static int fn_register_function(lua_State *L)
{
    struct fn_reg r = {.ref = LUA_NOREF};
    struct fn_lib *lib = fn_loading;
    const char *err;
    int argc = lua_gettop(L);
    struct fn_func *f;

    if (!lib)
        return fn_raise(L, "redis.register_function can only be called on FUNCTION LOAD command");
    if (argc < 1 || argc > 2)
        return fn_raise(L, "wrong number of arguments to redis.register_function");
    err = argc == 1 ? fn_reg_named(L, &r) : fn_reg_positional(L, &r);
    if (!err && !fn_name_ok(r.name, strlen(r.name))) /* Redis 7.0 says "Library" here too */
        err = "Library names can only contain letters, numbers, or underscores(_) and must be "
              "at least one character long";
    for (int i = 0; !err && i < lib->nfuncs; i++)
        if (strcmp(lib->funcs[i].name, r.name) == 0)
            err = "Function already exists in the library";
    if (err) {
        fn_reg_drop(L, &r);
        return fn_raise(L, err);
    }
    if (lib->nfuncs == lib->cap) {
        lib->cap = lib->cap ? lib->cap * 2 : 4;
        lib->funcs = omk_realloc(lib->funcs, (size_t)lib->cap * sizeof(*lib->funcs));
    }
    f = &lib->funcs[lib->nfuncs++];
    f->name = r.name;
    f->desc = r.desc;
    f->flags = r.flags;
    f->ref = r.ref;
    return 0;
}

/* The libraries' environment's __index (table, key): while a library loads, the load
 * API; else the globals. "_G" is the environment itself. */
static int fn_env_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "_G") == 0) {
        lua_pushvalue(L, 1);
        return 1;
    }
    if (fn_loading) {
        lua_getfield(L, LUA_REGISTRYINDEX, FN_REG_LOAD_API);
        lua_pushvalue(L, 2);
        lua_rawget(L, -2);
    } else {
        lua_pushvalue(L, 2);
        lua_rawget(L, LUA_GLOBALSINDEX);
    }
    if (lua_isnil(L, -1))
        return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                          lua_isstring(L, 2) ? lua_tostring(L, 2) : luaL_typename(L, 2));
    return 1;
}

/* __index of the load API's 'redis' table. */
static int fn_load_redis_index(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, FN_REG_LOAD_REDIS);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    if (lua_isnil(L, -1))
        return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                          lua_isstring(L, 2) ? lua_tostring(L, 2) : luaL_typename(L, 2));
    return 1;
}

/* A new interpreter for the libraries: script.c's, plus the load API and the
 * libraries' environment. */
static lua_State *fn_state_new(void)
{
    static const char *const from_redis[] = {"log",       "LOG_DEBUG",     "LOG_VERBOSE",
                                             "LOG_NOTICE", "LOG_WARNING",  "REDIS_VERSION",
                                             "REDIS_VERSION_NUM"};
    lua_State *L = script_state_new_counted(&fn_vm_bytes);

    lua_newtable(L); /* the load API's redis table's contents */
    lua_pushcfunction(L, fn_register_function);
    lua_setfield(L, -2, "register_function");
    lua_getglobal(L, "redis");
    for (size_t i = 0; i < OMK_ARRAY_LEN(from_redis); i++) {
        lua_getfield(L, -1, from_redis[i]); /* through the read-only proxy */
        lua_setfield(L, -3, from_redis[i]);
    }
    lua_pop(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, FN_REG_LOAD_REDIS);
    lua_newtable(L); /* the load API: 'redis' only */
    script_push_env(L, fn_load_redis_index);
    lua_setfield(L, -2, "redis");
    lua_setfield(L, LUA_REGISTRYINDEX, FN_REG_LOAD_API);
    script_push_env(L, fn_env_index);
    lua_setfield(L, LUA_REGISTRYINDEX, FN_REG_ENV);
    return L;
}

/* ---- Loading a library -------------------------------------------------------------- */

/* The count hook of a load: stop it past FN_LOAD_TIMEOUT_MS, or at its first check
 * (FN_HOOK_STEPS instructions) under a test harness' step limit. */
static void fn_load_hook(lua_State *L, lua_Debug *ar)
{
    OMK_UNUSED(ar);
    if (omk_mono_us() - fn_load_start_us <= (int64_t)FN_LOAD_TIMEOUT_MS * 1000 &&
        !script_test_step_limited())
        return;
    lua_sethook(L, fn_load_hook, LUA_MASKLINE, 0); /* every line: a pcall cannot swallow it */
    fn_raise(L, "FUNCTION LOAD timeout");
}

/* Split the shebang line 'line'/'len' of a library into its engine and name, as Redis'
 * functionExtractLibMetaData reads it. Returns 1, or 0 with the error in 'err'. */
static int fn_metadata(const char *line, size_t len, char **engine, char **name, char *err,
                       size_t errlen)
{
    size_t pos = 0;
    int part = 0;

    *engine = *name = NULL;
    while (pos < len) {
        size_t start, wl;

        while (pos < len && (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\r'))
            pos++;
        if (pos >= len)
            break;
        start = pos;
        while (pos < len && line[pos] != ' ' && line[pos] != '\t' && line[pos] != '\r')
            pos++;
        wl = pos - start;
        if (part++ == 0) {
            *engine = omk_memdup(line + start + 2, wl - 2);
        } else if (wl >= 5 && strncasecmp(line + start, "name=", 5) == 0) {
            if (*name) {
                snprintf(err, errlen, "Invalid metadata value, name argument was given "
                                      "multiple times");
                return 0;
            }
            *name = omk_memdup(line + start + 5, wl - 5);
        } else {
            snprintf(err, errlen, "Invalid metadata value given: %.*s", (int)wl, line + start);
            return 0;
        }
    }
    if (!*name) {
        snprintf(err, errlen, "Library name was not given");
        return 0;
    }
    return 1;
}

/* The text of the error a load raised (on the top of fn_L's stack). */
static const char *fn_error_text(lua_State *L)
{
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        if (lua_isstring(L, -1)) {
            lua_replace(L, -2);
            return lua_tostring(L, -1);
        }
        lua_pop(L, 1);
    }
    return lua_isstring(L, -1) ? lua_tostring(L, -1) : "(error object is not a string)";
}

/* Compile and run library 'code'/'len' and add it to 'set' (replacing the library of
 * the same name when 'replace'), as Redis' functionsCreateWithLibraryCtx. Returns the
 * library, or NULL with the error reply's text (no '-') in 'err'. */
static struct fn_lib *fn_create(struct fn_set *set, const char *code, size_t len, int replace,
                                char *err, size_t errlen)
{
    const char *nl;
    char *engine = NULL, *name = NULL;
    struct fn_lib *lib = NULL, *old = NULL;
    size_t shebang;
    int rc;

    if (len < 2 || code[0] != '#' || code[1] != '!') {
        snprintf(err, errlen, "ERR Missing library metadata");
        return NULL;
    }
    nl = memchr(code, '\n', len);
    if (!nl) {
        snprintf(err, errlen, "ERR Invalid library metadata");
        return NULL;
    }
    shebang = (size_t)(nl - code);
    if (!fn_metadata(code, shebang, &engine, &name, err + 4, errlen - 4)) {
        memcpy(err, "ERR ", 4);
        goto fail;
    }
    if (!fn_name_ok(name, strlen(name))) {
        snprintf(err, errlen, "ERR Library names can only contain letters, numbers, or "
                              "underscores(_) and must be at least one character long");
        goto fail;
    }
    if (strcasecmp(engine, "lua") != 0) {
        snprintf(err, errlen, "ERR Engine '%s' not found", engine);
        goto fail;
    }
    old = fn_lib_find(set, name, strlen(name));
    if (old && !replace) {
        snprintf(err, errlen, "ERR Library '%s' already exists", name);
        goto fail;
    }
    lib = omk_calloc(1, sizeof(*lib));
    lib->name = name;
    name = NULL;
    lib->code = omk_memdup(code, len);
    lib->code_len = len;
    if (luaL_loadbuffer(fn_L, code + shebang, len - shebang, "@user_function") != 0) {
        snprintf(err, errlen, "ERR Error compiling function: %s", fn_error_text(fn_L));
        lua_settop(fn_L, 0);
        goto fail;
    }
    lua_getfield(fn_L, LUA_REGISTRYINDEX, FN_REG_ENV);
    lua_setfenv(fn_L, -2);
    fn_loading = lib;
    fn_load_start_us = omk_mono_us();
    lua_sethook(fn_L, fn_load_hook, LUA_MASKCOUNT, FN_HOOK_STEPS);
    rc = lua_pcall(fn_L, 0, 0, 0);
    lua_sethook(fn_L, NULL, 0, 0);
    fn_loading = NULL;
    if (rc != 0) { /* a raised string gets Redis' "ERR " like an error table's text */
        int is_text = lua_isstring(fn_L, -1);
        const char *msg = fn_error_text(fn_L);

        snprintf(err, errlen, "ERR Error registering functions: %s%s", is_text ? "ERR " : "",
                 msg);
        lua_settop(fn_L, 0);
        goto fail;
    }
    lua_settop(fn_L, 0);
    if (lib->nfuncs == 0) {
        snprintf(err, errlen, "ERR No functions registered");
        goto fail;
    }
    for (int i = 0; i < lib->nfuncs; i++) {
        if (fn_func_find(set, lib->funcs[i].name, strlen(lib->funcs[i].name), old)) {
            snprintf(err, errlen, "ERR Function %s already exists", lib->funcs[i].name);
            goto fail;
        }
    }
    if (old) {
        fn_unlink(set, old);
        fn_lib_free(old);
    }
    fn_link(set, lib);
    omk_free(engine);
    return lib;

fail:
    fn_lib_free(lib);
    omk_free(engine);
    omk_free(name);
    return NULL;
}

/* ---- The payload (DUMP, RESTORE, the stored record) ------------------------------------ */

/* CRC-64 of Redis (Jones polynomial, reflected, initial value 0), bit by bit: payloads
 * are small. */
static uint64_t fn_crc64(uint64_t crc, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = crc & 1 ? (crc >> 1) ^ UINT64_C(0x95ac9329ac4bc9b5) : crc >> 1;
    }
    return crc;
}

/* A growing byte buffer. */
struct fn_buf {
    unsigned char *p;
    size_t len, cap;
};

static void fn_buf_add(struct fn_buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = omk_realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* Append an RDB length. */
static void fn_buf_rdb_len(struct fn_buf *b, uint64_t len)
{
    unsigned char h[9];

    if (len < 64) {
        h[0] = (unsigned char)len;
        fn_buf_add(b, h, 1);
    } else if (len < 16384) {
        h[0] = (unsigned char)(0x40 | (len >> 8));
        h[1] = (unsigned char)(len & 0xff);
        fn_buf_add(b, h, 2);
    } else if (len <= UINT32_MAX) {
        h[0] = 0x80;
        for (int i = 0; i < 4; i++)
            h[1 + i] = (unsigned char)(len >> (24 - 8 * i));
        fn_buf_add(b, h, 5);
    } else {
        h[0] = 0x81;
        for (int i = 0; i < 8; i++)
            h[1 + i] = (unsigned char)(len >> (56 - 8 * i));
        fn_buf_add(b, h, 9);
    }
}

/* The payload of 'set' (FUNCTION DUMP's reply) into 'b'. */
static void fn_dump(const struct fn_set *set, struct fn_buf *b)
{
    unsigned char tail[10];
    uint64_t crc;

    for (const struct fn_lib *l = set->head; l; l = l->next) {
        unsigned char op = FN_RDB_OPCODE;

        fn_buf_add(b, &op, 1);
        fn_buf_rdb_len(b, l->code_len);
        fn_buf_add(b, l->code, l->code_len);
    }
    tail[0] = FN_RDB_VERSION & 0xff;
    tail[1] = (FN_RDB_VERSION >> 8) & 0xff;
    fn_buf_add(b, tail, 2);
    crc = fn_crc64(0, b->p, b->len);
    for (int i = 0; i < 8; i++)
        tail[i] = (unsigned char)(crc >> (8 * i));
    fn_buf_add(b, tail, 8);
}

/* A payload being read: bytes [pos, len). */
struct fn_reader {
    const unsigned char *p;
    size_t len, pos;
};

/* Read an RDB length; '*encoded' set when it is a special encoding (its kind in '*v').
 * 1, or 0 past the end. */
static int fn_read_len(struct fn_reader *r, uint64_t *v, int *encoded)
{
    unsigned char b;
    int kind;

    *encoded = 0;
    if (r->pos >= r->len)
        return 0;
    b = r->p[r->pos++];
    kind = (b & 0xc0) >> 6;
    if (kind == 3) {
        *encoded = 1;
        *v = b & 0x3f;
        return 1;
    }
    if (kind == 0) {
        *v = b & 0x3f;
        return 1;
    }
    if (kind == 1) {
        if (r->pos >= r->len)
            return 0;
        *v = ((uint64_t)(b & 0x3f) << 8) | r->p[r->pos++];
        return 1;
    }
    if (b == 0x80 || b == 0x81) {
        size_t n = b == 0x80 ? 4 : 8;

        if (r->len - r->pos < n)
            return 0;
        *v = 0;
        for (size_t i = 0; i < n; i++)
            *v = (*v << 8) | r->p[r->pos++];
        return 1;
    }
    return 0;
}

/* LZF decompression of 'in'/'ilen' into exactly 'olen' bytes of 'out': 1, or 0 when the
 * data is damaged. */
static int fn_lzf_decompress(const unsigned char *in, size_t ilen, unsigned char *out,
                             size_t olen)
{
    size_t ip = 0, op = 0;

    while (ip < ilen) {
        unsigned ctrl = in[ip++];

        if (ctrl < 32) { /* a literal run of ctrl + 1 bytes */
            size_t n = ctrl + 1;

            if (ip + n > ilen || op + n > olen)
                return 0;
            memcpy(out + op, in + ip, n);
            ip += n;
            op += n;
        } else { /* a back reference */
            size_t n = ctrl >> 5, back;

            if (n == 7) {
                if (ip >= ilen)
                    return 0;
                n += in[ip++];
            }
            if (ip >= ilen)
                return 0;
            back = ((size_t)(ctrl & 0x1f) << 8) + in[ip++] + 1;
            n += 2;
            if (back > op || op + n > olen)
                return 0;
            for (size_t i = 0; i < n; i++, op++)
                out[op] = out[op - back];
        }
    }
    return op == olen;
}

/* Read an RDB string as Redis' rdbGenericLoadStringObject: a copy (omk_free) in
 * '*s'/'*n', or NULL when the payload ends or is damaged. */
static char *fn_read_string(struct fn_reader *r, size_t *n)
{
    uint64_t len, clen;
    int encoded, enc2;
    char *s;

    if (!fn_read_len(r, &len, &encoded))
        return NULL;
    if (encoded) {
        if (len <= 2) { /* an integer: 1, 2 or 4 bytes, little-endian */
            size_t w = (size_t)1 << len;
            int64_t v = 0;
            char num[32];

            if (r->len - r->pos < w)
                return NULL;
            for (size_t i = 0; i < w; i++)
                v |= (int64_t)r->p[r->pos + i] << (8 * i);
            if (w == 1)
                v = (int8_t)v;
            else if (w == 2)
                v = (int16_t)v;
            else
                v = (int32_t)v;
            r->pos += w;
            *n = (size_t)snprintf(num, sizeof(num), "%lld", (long long)v);
            return omk_memdup(num, *n);
        }
        if (len != 3) /* only LZF is left */
            return NULL;
        if (!fn_read_len(r, &clen, &enc2) || enc2 || !fn_read_len(r, &len, &enc2) || enc2)
            return NULL;
        /* LZF expands a byte into at most 88 (a 3-byte back reference copies 264), so a
         * larger claim is damage: refused before any allocation */
        if (clen > r->len - r->pos || len > clen * 88 + 64)
            return NULL;
        s = omk_malloc((size_t)len + 1);
        if (!fn_lzf_decompress(r->p + r->pos, (size_t)clen, (unsigned char *)s, (size_t)len)) {
            omk_free(s);
            return NULL;
        }
        r->pos += (size_t)clen;
        s[len] = '\0';
        *n = (size_t)len;
        return s;
    }
    if (len > r->len - r->pos)
        return NULL;
    s = omk_memdup(r->p + r->pos, (size_t)len);
    r->pos += (size_t)len;
    *n = (size_t)len;
    return s;
}

/* Skip what a record of Redis 7.0's release candidates holds before the code: the
 * library's name, its engine's, and an optional description (the code names them
 * itself). 1, or 0 with Redis' error in 'err'. */
static int fn_skip_pre_ga(struct fn_reader *r, char *err, size_t errlen)
{
    uint64_t has_desc;
    int encoded;
    size_t n;
    char *s;

    if (!(s = fn_read_string(r, &n))) {
        snprintf(err, errlen, "ERR Failed loading library name");
        return 0;
    }
    omk_free(s);
    if (!(s = fn_read_string(r, &n))) {
        snprintf(err, errlen, "ERR Failed loading engine name");
        return 0;
    }
    omk_free(s);
    if (!fn_read_len(r, &has_desc, &encoded) || encoded) {
        snprintf(err, errlen, "ERR Failed loading library description indicator");
        return 0;
    }
    if (has_desc) {
        if (!(s = fn_read_string(r, &n))) {
            snprintf(err, errlen, "ERR Failed loading library description");
            return 0;
        }
        omk_free(s);
    }
    return 1;
}

/* Load payload 'p'/'len' into the empty set 'out', as FUNCTION RESTORE reads it.
 * Returns 1, or 0 with the error reply's text in 'err' ('out' may hold some libraries
 * then: the caller clears it). */
static int fn_undump(const unsigned char *p, size_t len, struct fn_set *out, char *err,
                     size_t errlen)
{
    struct fn_reader r = {p, len, 0};
    unsigned version;
    uint64_t crc, stored = 0;

    if (len < 10) {
        snprintf(err, errlen, "ERR DUMP payload version or checksum are wrong");
        return 0;
    }
    version = p[len - 10] | ((unsigned)p[len - 9] << 8);
    crc = fn_crc64(0, p, len - 8);
    for (int i = 0; i < 8; i++)
        stored |= (uint64_t)p[len - 8 + i] << (8 * i);
    if (version > FN_RDB_VERSION || crc != stored) {
        snprintf(err, errlen, "ERR DUMP payload version or checksum are wrong");
        return 0;
    }
    while (len - r.pos > 10) {
        unsigned char type = p[r.pos++];
        size_t n;
        char *code;
        struct fn_lib *lib;

        if (type == FN_RDB_OPCODE_PRE_GA && !fn_skip_pre_ga(&r, err, errlen))
            return 0;
        if (type != FN_RDB_OPCODE && type != FN_RDB_OPCODE_PRE_GA) {
            snprintf(err, errlen, "ERR given type is not a function");
            return 0;
        }
        code = fn_read_string(&r, &n);
        if (!code) { /* Redis words it by the record's kind */
            snprintf(err, errlen, "ERR Failed loading library %s",
                     type == FN_RDB_OPCODE ? "payload" : "blob");
            return 0;
        }
        lib = fn_create(out, code, n, 0, err, errlen);
        omk_free(code);
        if (!lib)
            return 0;
    }
    return 1;
}

/* Write the current libraries to the store (the record goes when there are none).
 * STORE_OK or the store's error. */
static int fn_persist(void)
{
    struct fn_buf b = {0};
    int rc;

    if (!fn_cur.head)
        return store_meta_del(server.store, FN_BLOB);
    fn_dump(&fn_cur, &b);
    rc = store_meta_put(server.store, FN_BLOB, b.p, b.len);
    omk_free(b.p);
    return rc;
}

/* After a change of the libraries: recount, persist, and reply +OK ('lib' NULL) or
 * the library's name, or the store's error. */
static void fn_changed_reply(struct client *c, const char *lib)
{
    int rc;

    fn_recount();
    rc = fn_persist();
    if (rc != STORE_OK) {
        omk_log(OMK_LOG_WARNING, "cannot write the function libraries: %s", store_strerror(rc));
        reply_error_fmt(c, "ERR cannot persist the function libraries: %s", store_strerror(rc));
    } else if (lib) {
        reply_bulk_cstr(c, lib);
    } else {
        reply_ok(c);
    }
}

/* ---- Start-up -------------------------------------------------------------------------- */

void function_init(void)
{
    char *v = NULL, err[FN_ERR_MAX];
    size_t n = 0;
    int rc;

    fn_L = fn_state_new();
    rc = store_meta_get(server.store, FN_BLOB, &v, &n);
    if (rc == STORE_NOTFOUND) {
        fn_recount();
        return;
    }
    if (rc != STORE_OK) {
        omk_log(OMK_LOG_WARNING, "Cannot read the function libraries: %s", store_strerror(rc));
        exit(1);
    }
    if (!fn_undump((const unsigned char *)v, n, &fn_cur, err, sizeof(err))) {
        omk_log(OMK_LOG_WARNING, "Cannot load the stored function libraries: %s", err);
        exit(1);
    }
    omk_free(v);
    fn_recount();
    omk_log(OMK_LOG_NOTICE, "Function libraries loaded: %lld libraries, %lld functions",
            atomic_load(&fn_nlibs), atomic_load(&fn_nfuncs));
}

/* ---- The commands ---------------------------------------------------------------------- */

/* Redis' reply to a subcommand given too many arguments. */
static void fn_reply_sub_syntax(struct client *c)
{
    reply_error_fmt(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try "
                       "FUNCTION HELP.", (int)(c->argv[1].len > 128 ? 128 : c->argv[1].len),
                    c->argv[1].p);
}

/* script_resolve_fn of FCALL: the function named by argv[1], then numkeys as Redis
 * checks it for FCALL. */
static int fn_resolve(struct client *c, void *arg, struct script_target *t, char *err,
                      size_t errlen)
{
    struct fn_func *f = fn_func_find(&fn_cur, c->argv[1].p, c->argv[1].len, NULL);
    long long numkeys;

    OMK_UNUSED(arg);
    if (!f) {
        snprintf(err, errlen, "ERR Function not found");
        return 0;
    }
    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &numkeys)) {
        snprintf(err, errlen, "ERR Bad number of keys provided");
        return 0;
    }
    if (numkeys > c->argc - 3) {
        snprintf(err, errlen, "ERR Number of keys can't be greater than number of args");
        return 0;
    }
    if (numkeys < 0) {
        snprintf(err, errlen, "ERR Number of keys can't be negative");
        return 0;
    }
    t->L = fn_L;
    t->ref = f->ref;
    t->name = f->name;
    t->flags = f->flags;
    return 1;
}

void function_call(struct client *c, int read_only)
{
    /* MONITOR shows FCALL before the commands its function runs, as Redis does */
    monitor_feed(c, cmd_lookup(c->argv[0].p, c->argv[0].len));
    script_exec(c, fn_resolve, NULL, read_only);
}

void function_load(struct client *c)
{
    char err[FN_ERR_MAX];
    int replace = 0, at = 2;
    struct fn_lib *lib;

    while (at < c->argc - 1) {
        if (cmd_arg_is(c, at, "replace")) {
            replace = 1;
            at++;
            continue;
        }
        reply_error_fmt(c, "ERR Unknown option given: %.*s", (int)c->argv[at].len,
                        c->argv[at].p);
        return;
    }
    if (at >= c->argc) {
        reply_error(c, "ERR Function code is missing");
        return;
    }
    if (!script_lock_or_busy(c))
        return;
    lib = fn_create(&fn_cur, c->argv[at].p, c->argv[at].len, replace, err, sizeof(err));
    if (!lib) {
        script_unlock();
        reply_error(c, err);
        return;
    }
    fn_changed_reply(c, lib->name);
    script_unlock();
}

void function_delete(struct client *c)
{
    struct fn_lib *lib;

    if (!script_lock_or_busy(c))
        return;
    lib = fn_lib_find(&fn_cur, c->argv[2].p, c->argv[2].len);
    if (!lib) {
        script_unlock();
        reply_error(c, "ERR Library not found");
        return;
    }
    fn_unlink(&fn_cur, lib);
    fn_lib_free(lib);
    fn_changed_reply(c, NULL);
    script_unlock();
}

void function_flush(struct client *c)
{
    lua_State *old;

    if (c->argc > 3) {
        fn_reply_sub_syntax(c);
        return;
    }
    if (c->argc == 3 && !cmd_arg_is(c, 2, "sync") && !cmd_arg_is(c, 2, "async")) {
        reply_error(c, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
    if (!script_lock_or_busy(c))
        return;
    fn_set_clear(&fn_cur);
    old = fn_L;
    fn_L = fn_state_new(); /* a fresh interpreter, as Redis makes */
    fn_changed_reply(c, NULL);
    script_unlock();
    if (c->argc == 3 && cmd_arg_is(c, 2, "async"))
        script_close_async(old); /* the libraries' code and state, in the background */
    else
        lua_close(old);
}

/* One library of FUNCTION LIST's reply. */
static void fn_list_one(struct client *c, const struct fn_lib *l, int with_code)
{
    reply_map_len(c, with_code ? 4 : 3);
    reply_bulk_cstr(c, "library_name");
    reply_bulk_cstr(c, l->name);
    reply_bulk_cstr(c, "engine");
    reply_bulk_cstr(c, "LUA");
    reply_bulk_cstr(c, "functions");
    reply_array_len(c, l->nfuncs);
    for (int i = 0; i < l->nfuncs; i++) {
        const struct fn_func *f = &l->funcs[i];
        int nflags = 0;

        reply_map_len(c, 3);
        reply_bulk_cstr(c, "name");
        reply_bulk_cstr(c, f->name);
        reply_bulk_cstr(c, "description");
        if (f->desc)
            reply_bulk_cstr(c, f->desc);
        else
            reply_null(c);
        reply_bulk_cstr(c, "flags");
        for (size_t k = 0; k < SCRIPT_FLAG_NAMES; k++)
            nflags += (f->flags & script_flag_names[k].flag) != 0;
        reply_set_len(c, nflags);
        for (size_t k = 0; k < SCRIPT_FLAG_NAMES; k++)
            if (f->flags & script_flag_names[k].flag)
                reply_simple(c, script_flag_names[k].name);
    }
    if (with_code) {
        reply_bulk_cstr(c, "library_code");
        reply_bulk(c, l->code, l->code_len);
    }
}

void function_list(struct client *c)
{
    int with_code = 0, have_pat = 0;
    struct omk_slice pat = {0};
    long long n = 0;

    for (int i = 2; i < c->argc; i++) {
        if (!with_code && cmd_arg_is(c, i, "withcode")) {
            with_code = 1;
            continue;
        }
        if (!have_pat && cmd_arg_is(c, i, "libraryname")) {
            if (i >= c->argc - 1) {
                reply_error(c, "ERR library name argument was not given");
                return;
            }
            pat = c->argv[++i];
            have_pat = 1;
            continue;
        }
        reply_error_fmt(c, "ERR Unknown argument %.*s", (int)c->argv[i].len, c->argv[i].p);
        return;
    }
    if (!script_lock_or_busy(c))
        return;
    for (const struct fn_lib *l = fn_cur.head; l; l = l->next)
        n += !have_pat || omk_glob_match(pat.p, pat.len, l->name, strlen(l->name), 1);
    reply_array_len(c, n);
    for (const struct fn_lib *l = fn_cur.head; l; l = l->next)
        if (!have_pat || omk_glob_match(pat.p, pat.len, l->name, strlen(l->name), 1))
            fn_list_one(c, l, with_code);
    script_unlock();
}

void function_dump(struct client *c)
{
    struct fn_buf b = {0};

    if (!script_lock_or_busy(c))
        return;
    fn_dump(&fn_cur, &b);
    script_unlock();
    reply_bulk(c, b.p, b.len);
    omk_free(b.p);
}

void function_restore(struct client *c)
{
    enum { FN_APPEND, FN_REPLACE, FN_FLUSH } policy = FN_APPEND;
    struct fn_set in = {0};
    char err[FN_ERR_MAX];
    struct fn_lib *l, *next, *old, *replaced = NULL;

    if (c->argc > 4) {
        fn_reply_sub_syntax(c);
        return;
    }
    if (c->argc == 4) {
        if (cmd_arg_is(c, 3, "append")) {
            policy = FN_APPEND;
        } else if (cmd_arg_is(c, 3, "replace")) {
            policy = FN_REPLACE;
        } else if (cmd_arg_is(c, 3, "flush")) {
            policy = FN_FLUSH;
        } else {
            reply_error(c, "ERR Wrong restore policy given, value should be either FLUSH, "
                           "APPEND or REPLACE.");
            return;
        }
    }
    if (!script_lock_or_busy(c))
        return;
    if (!fn_undump((const unsigned char *)c->argv[2].p, c->argv[2].len, &in, err,
                   sizeof(err))) {
        fn_set_clear(&in);
        script_unlock();
        reply_error(c, err);
        return;
    }
    if (policy == FN_FLUSH) {
        fn_set_clear(&fn_cur);
        fn_cur = in;
        fn_changed_reply(c, NULL);
        script_unlock();
        return;
    }
    /* APPEND and REPLACE: as Redis' libraryJoin, all or nothing */
    for (l = in.head; l; l = l->next) {
        old = fn_lib_find(&fn_cur, l->name, strlen(l->name));
        if (!old)
            continue;
        if (policy == FN_APPEND) {
            snprintf(err, sizeof(err), "ERR Library %s already exists", l->name);
            goto undo;
        }
        fn_unlink(&fn_cur, old);
        old->next = replaced;
        replaced = old;
    }
    for (l = in.head; l; l = l->next) {
        for (int i = 0; i < l->nfuncs; i++) {
            if (fn_func_find(&fn_cur, l->funcs[i].name, strlen(l->funcs[i].name), NULL)) {
                snprintf(err, sizeof(err), "ERR Function %s already exists", l->funcs[i].name);
                goto undo;
            }
        }
    }
    for (l = in.head; l; l = next) {
        next = l->next;
        fn_link(&fn_cur, l);
    }
    for (l = replaced; l; l = next) {
        next = l->next;
        fn_lib_free(l);
    }
    fn_changed_reply(c, NULL);
    script_unlock();
    return;

undo:
    for (l = replaced; l; l = next) {
        next = l->next;
        fn_link(&fn_cur, l);
    }
    fn_set_clear(&in);
    script_unlock();
    reply_error(c, err);
}

/* A copy of what FUNCTION STATS shows of the running function. */
struct fn_running {
    char *name;
    struct omk_slice *argv;
    int argc;
    long long ms;
};

/* script_running_function()'s callback: copy it all into the fn_running 'arg'. */
static void fn_stats_copy(void *arg, const char *name, const struct omk_slice *argv, int argc,
                          long long ms)
{
    struct fn_running *r = arg;

    r->name = omk_memdup(name, strlen(name));
    r->argv = omk_malloc((size_t)argc * sizeof(*r->argv) + 1);
    for (int i = 0; i < argc; i++)
        r->argv[i] = (struct omk_slice){omk_memdup(argv[i].p, argv[i].len), argv[i].len};
    r->argc = argc;
    r->ms = ms;
}

void function_stats(struct client *c)
{
    struct fn_running r = {0};
    int running = script_running_function(fn_stats_copy, &r);

    if (running < 0) {
        script_reply_busy(c); /* an EVAL script runs: Redis' slowevalerr */
        return;
    }
    reply_map_len(c, 2);
    reply_bulk_cstr(c, "running_script");
    if (running == 0) {
        reply_null(c);
    } else {
        reply_map_len(c, 3);
        reply_bulk_cstr(c, "name");
        reply_bulk_cstr(c, r.name);
        reply_bulk_cstr(c, "command");
        reply_array_len(c, r.argc);
        for (int i = 0; i < r.argc; i++) {
            reply_bulk(c, r.argv[i].p, r.argv[i].len);
            omk_free((void *)r.argv[i].p);
        }
        reply_bulk_cstr(c, "duration_ms");
        reply_int(c, r.ms);
        omk_free(r.argv);
        omk_free(r.name);
    }
    reply_bulk_cstr(c, "engines");
    reply_map_len(c, 1);
    reply_bulk_cstr(c, "LUA");
    reply_map_len(c, 2);
    reply_bulk_cstr(c, "libraries_count");
    reply_int(c, atomic_load(&fn_nlibs));
    reply_bulk_cstr(c, "functions_count");
    reply_int(c, atomic_load(&fn_nfuncs));
}

void function_stats_get(struct function_stats *s)
{
    s->libraries = atomic_load(&fn_nlibs);
    s->functions = atomic_load(&fn_nfuncs);
    s->vm_bytes = atomic_load(&fn_vm_bytes);
    s->bytes = atomic_load(&fn_bytes);
}
