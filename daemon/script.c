/* script.c - the Lua 5.1 interpreter that runs EVAL's scripts (see script.h): one
 * lua_State for the server, guarded by 'script_mu', with the libraries Redis gives
 * scripts (base without loadfile/dofile, table, string, math, cjson, bit, and cmsgpack and
 * struct from daemon/lua_cmsgpack.c and lua_struct.c), the redis.*
 * API, and the conversions between Lua values and RESP2/RESP3 replies that Redis 7.0
 * documents.
 *
 * HOW A SCRIPT RUNS. script_exec() (EVAL's scripts and FCALL's functions) takes every
 * lane of the exec lock (no keyed command of another client runs until it ends; a worker
 * keeps them from one script to the next of the same event-loop pass: multi.c), then
 * 'script_mu' (the interpreter), opens a store
 * transaction (its writes gather into one batch, written at the end: a crash keeps all
 * of them or none), and calls the compiled function under lua_cpcall, so that no Lua
 * error (out of memory included) escapes. redis.call() runs a command through cmd_call()
 * on a stand-in client whose output is a buffer of its own, then turns that reply into
 * a Lua value. The reply of the script is built in a scratch buffer and moved to the
 * caller's output only once whole.
 *
 * HOW A RUNAWAY SCRIPT IS STOPPED. While a script runs, 'script_start_us' holds when it
 * began. Every other worker keeps serving its loop: a command that needs an exec lane
 * waits for it in 10 ms slices (multi_cmd_lock_or_give_up), and once the script has run
 * busy-reply-threshold ms it gives up and answers BUSY, as does every command Redis
 * refuses then (cmd.c asks script_busy()). SCRIPT KILL, which needs no lane, sets
 * 'script_state' to KILLED unless the script has written; a count hook in the interpreter
 * (every SCRIPT_HOOK_STEPS instructions) sees it and raises the error Redis raises,
 * re-arming itself on every line so that a pcall() in the script cannot swallow it; a
 * pattern match, C code the hook cannot interrupt, makes the same check every
 * LUA_STRMATCH_CHECK_STEPS steps (daemon/lua_strmatch.c).
 * SHUTDOWN NOSAVE ends the process without writing the script's batch (cmd_server.c).
 *
 * Memory: the interpreter allocates through script_alloc(), which refuses to grow past
 * SCRIPT_MEM_MAX bytes; Lua turns the refusal into a "not enough memory" error of the
 * script, never a crash. */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <lauxlib.h>
#include <lua.h>
#include <lua-bitop.h>
#include <lua-cjson.h>
#include <lualib.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "common/sha1.h"
#include "daemon/acl.h"
#include "daemon/blocking.h"
#include "daemon/cmd.h"
#include "daemon/cmd_keyspecs.h"
#include "daemon/conn.h"
#include "daemon/function.h"
#include "daemon/log.h"
#include "daemon/lua_libs.h"
#include "daemon/monitor.h"
#include "daemon/multi.h"
#include "daemon/reply.h"
#include "daemon/script.h"
#include "daemon/server.h"
#include "resp/resp.h"
#include "store/store.h"

#define SCRIPT_MEM_MAX ((size_t)1 << 30) /* bytes the interpreter may hold */
#define SCRIPT_HOOK_STEPS 100000         /* instructions between two kill checks (Redis') */
#define SCRIPT_REPLY_DEPTH 1000          /* nesting of a reply converted either way */
#define SCRIPT_ERR_MAX 4096              /* bytes of an error text kept */
#define SCRIPT_GC_PERIOD 50              /* runs between two garbage collection steps */
#define SCRIPT_TEST_HOOK_STEPS 1000      /* hook period under a test step limit */


/* Registry keys of the interpreter. */
#define SCRIPT_REG_FUNCS "omk_script_funcs" /* sha -> compiled function */
#define SCRIPT_REG_FLAGS "omk_script_flags" /* sha -> SCRIPT_F_* */

/* The C libraries scripts see, opened in this order at every (re)start of the
 * interpreter (no debug library: the error handler reads the stack from C); Redis'
 * cmsgpack and struct are written here (daemon/lua_libs.h), and so are the string
 * library's pattern functions, installed over Lua's own. */
static const struct {
    const char *name;
    lua_CFunction open;
} script_libs[] = {
    {"", luaopen_base},
    {LUA_TABLIBNAME, luaopen_table},
    {LUA_STRLIBNAME, luaopen_string},
    {LUA_MATHLIBNAME, luaopen_math},
    {"cjson", luaopen_cjson},
    {"bit", luaopen_bit},
    {"cmsgpack", luaopen_cmsgpack},
    {"struct", luaopen_struct},
};

/* The script running now; 'script_mu'. */
struct script_run {
    struct client *caller;
    struct client stand;     /* redis.call()'s client: output of its own */
    const char *name;        /* the script's SHA-1 or the function's name (error texts) */
    lua_State *L;            /* the interpreter it runs in */
    int ref;                 /* a function's registry reference (LUA_NOREF: a script) */
    int read_only;           /* write commands refused */
    int dirty;               /* it ran a write command */
    struct evbuffer *out;    /* the script's reply, built here */
    char err[SCRIPT_ERR_MAX]; /* or its error reply, without the '-' */
    int failed;              /* 'err' holds the reply */
};

static pthread_mutex_t script_mu = PTHREAD_MUTEX_INITIALIZER;
static lua_State *script_L;           /* script_mu */
static struct script_run *script_cur; /* script_mu; NULL between runs */
static unsigned long script_runs;     /* script_mu: runs so far */

static _Atomic int64_t script_start_us;  /* omk_mono_us() when the running script began;
                                          * 0: none runs */
/* What may still happen to the running script: one atomic word, so that SCRIPT KILL and
 * the script's first write cannot both win (a kill accepted after a write would leave
 * half a script in the log). */
enum script_state {
    SCRIPT_CLEAN = 0,  /* no write yet: SCRIPT KILL may stop it */
    SCRIPT_WROTE = 1,  /* it ran a write command: SCRIPT KILL refuses */
    SCRIPT_KILLED = 2, /* SCRIPT KILL was accepted: it stops at its next check */
};
static _Atomic int script_state;
static _Atomic int script_is_fn; /* the running script is a function (FCALL) */

/* FUNCTION STATS' view of the running function, copied at its start: 'script_fn_mu'. */
static pthread_mutex_t script_fn_mu = PTHREAD_MUTEX_INITIALIZER;
static char *script_fn_name;            /* NULL: no function runs */
static struct omk_slice *script_fn_argv; /* copies of the caller's arguments */
static int script_fn_argc;

/* Before the first write of the running script: 1 if it may write, 0 if SCRIPT KILL got
 * there first (the script must stop without writing). */
static int script_may_write(void)
{
    int st = SCRIPT_CLEAN;

    return atomic_compare_exchange_strong(&script_state, &st, SCRIPT_WROTE) ||
           st == SCRIPT_WROTE;
}
/* Lower limits a test harness may set once, before the first script runs
 * (script_set_test_limits); the server never changes them. */
static size_t script_mem_max = SCRIPT_MEM_MAX; /* bytes an interpreter may hold */
static long long script_step_max;  /* instructions a run may execute, written or not;
                                    * 0: no limit (the server's case) */
static long long script_steps_left; /* script_mu: of this run's 'script_step_max' */

static _Atomic long long script_lua_bytes;     /* held by the interpreter */
static _Atomic long long script_cached;        /* scripts in the cache */
static _Atomic long long script_cached_bytes;  /* their bodies and names */

/* Commands Redis lets through while a script is busy, by command index (subcommands of
 * containers are looked up by name). Set by script_init, then read-only. */
static unsigned char script_allow_busy_cmd[CMD_COUNT];
static unsigned char script_noscript_cmd[CMD_COUNT];

/* ---- The interpreter's memory ---------------------------------------------------------- */

/* Lua's allocator: realloc() that refuses growth past script_mem_max bytes counted in
 * 'ud' (an _Atomic long long per interpreter). A shrink never
 * fails (Lua relies on it): if realloc cannot shrink, the old block stays. */
static void *script_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    _Atomic long long *bytes = ud; /* the interpreter's count */
    void *p;

    if (nsize == 0) {
        free(ptr);
        atomic_fetch_sub_explicit(bytes, (long long)osize, memory_order_relaxed);
        return NULL;
    }
    if (nsize > osize &&
        (size_t)atomic_load_explicit(bytes, memory_order_relaxed) + nsize - osize >
            script_mem_max)
        return NULL;
    p = realloc(ptr, nsize);
    if (!p)
        return nsize <= osize ? ptr : NULL;
    atomic_fetch_add_explicit(bytes, (long long)nsize - (long long)osize,
                              memory_order_relaxed);
    return p;
}

/* ---- Lua numbers as C integers ------------------------------------------------------- */

/* Lua number 'n' as Redis turns it into a long long: with a C cast, which x86-64
 * compiles to a truncation toward zero that gives LLONG_MIN for NaN and for every value
 * out of range ("return 1e20" replies :-9223372036854775808 there). The same result,
 * without the cast's undefined behaviour on those values. */
static long long script_num_ll(lua_Number n)
{
    if (n >= -9223372036854775808.0 && n < 9223372036854775808.0)
        return (long long)n;
    return LLONG_MIN;
}

/* The same for an int: INT_MIN for NaN and out of range, as x86-64's 32-bit truncation. */
static int script_num_int(lua_Number n)
{
    if (n > -2147483649.0 && n < 2147483648.0)
        return (int)n;
    return INT_MIN;
}

/* ---- Errors as Redis' scripts see them ------------------------------------------------ */

/* Push the error table Redis uses for a command's error: {err = "CODE message"}. 'msg'
 * is "-CODE message" (a reply), or a bare message that gets the code ERR. A trailing
 * CR/LF is dropped. */
static void script_push_error(lua_State *L, const char *msg, size_t len)
{
    const char *code = "ERR", *text = msg;
    size_t clen = 3, tlen = len;

    if (len > 0 && msg[0] == '-') {
        const char *sp = memchr(msg, ' ', len);

        if (sp) {
            code = msg + 1;
            clen = (size_t)(sp - msg) - 1;
            text = sp + 1;
            tlen = len - (size_t)(text - msg);
        } else {
            text = msg + 1;
            tlen = len - 1;
        }
    }
    while (tlen > 0 && (text[tlen - 1] == '\r' || text[tlen - 1] == '\n'))
        tlen--;
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushlstring(L, code, clen);
    lua_pushlstring(L, " ", 1);
    lua_pushlstring(L, text, tlen);
    lua_concat(L, 3);
    lua_settable(L, -3);
}

static void script_push_error_cstr(lua_State *L, const char *msg)
{
    script_push_error(L, msg, strlen(msg));
}

/* Raise the error table on the top of the stack. */
static int script_raise(lua_State *L)
{
    return lua_error(L);
}

/* The error handler of every run: turns what was raised into a table {err, source,
 * line} naming the script line that raised it (the caller of a C function such as
 * redis.call), as Redis' handler does. */
static int script_err_handler(lua_State *L)
{
    lua_Debug ar;
    int level = 1, have = 0;

    if (lua_getstack(L, level, &ar) && lua_getinfo(L, "Sl", &ar)) {
        have = 1;
        if (strcmp(ar.what, "C") == 0)
            have = lua_getstack(L, ++level, &ar) && lua_getinfo(L, "Sl", &ar);
    }
    if (!lua_istable(L, 1)) {
        lua_newtable(L);
        lua_pushstring(L, "err");
        lua_pushstring(L, "ERR ");
        if (lua_isstring(L, 1))
            lua_pushvalue(L, 1);
        else if (lua_isboolean(L, 1))
            lua_pushstring(L, lua_toboolean(L, 1) ? "true" : "false");
        else
            lua_pushstring(L, luaL_typename(L, 1)); /* "nil", as tostring() says */
        lua_concat(L, 2);
        lua_settable(L, -3);
        lua_replace(L, 1);
    }
    if (have) {
        lua_pushstring(L, ar.source);
        lua_setfield(L, 1, "source");
        lua_pushinteger(L, ar.currentline);
        lua_setfield(L, 1, "line");
    }
    lua_settop(L, 1);
    return 1;
}

/* ---- RESP -> Lua (a command's reply, for redis.call) ---------------------------------- */

/* Read one CRLF-terminated header line at '*p' (before 'end'): its text, from after the
 * type byte, in 'line'/'len'; '*p' moves past it. The reply was written by our own
 * encoders, so it is well formed. */
static void script_resp_line(const char **p, const char *end, const char **line, size_t *len)
{
    const char *cr = memchr(*p, '\r', (size_t)(end - *p));

    OMK_ASSERT(cr && cr + 1 < end);
    *line = *p + 1;
    *len = (size_t)(cr - *line);
    *p = cr + 2;
}

static long long script_resp_num(const char *s, size_t len)
{
    long long v = 0;

    OMK_ASSERT(omk_str2ll(s, len, &v));
    return v;
}

/* Push the Lua value of the reply at '*p' ('lua' NULL: skip it), as Redis converts: an
 * integer to a number, a bulk to a string, a null bulk or array to false, a status to
 * {ok=}, an error to {err=}, an array to a table, and the RESP3 types to nil, booleans,
 * {double=}, {big_number=}, {verbatim_string={format=, string=}}, {map={}} and
 * {set={member=true}}. */
static void script_resp_to_lua(lua_State *lua, const char **p, const char *end)
{
    const char *line;
    size_t len;
    char type = **p;
    long long n;

    script_resp_line(p, end, &line, &len);
    if (lua)
        luaL_checkstack(lua, 4, "reply too deep");
    switch (type) {
    case ':':
        if (lua)
            lua_pushnumber(lua, (lua_Number)script_resp_num(line, len));
        return;
    case '$':
    case '=':
        n = script_resp_num(line, len);
        if (n < 0) {
            if (lua)
                lua_pushboolean(lua, 0);
            return;
        }
        if (lua && type == '$') {
            lua_pushlstring(lua, *p, (size_t)n);
        } else if (lua) {
            lua_newtable(lua);
            lua_pushstring(lua, "verbatim_string");
            lua_newtable(lua);
            lua_pushstring(lua, "format");
            lua_pushlstring(lua, *p, 3);
            lua_settable(lua, -3);
            lua_pushstring(lua, "string");
            lua_pushlstring(lua, *p + 4, (size_t)n - 4);
            lua_settable(lua, -3);
            lua_settable(lua, -3);
        }
        *p += n + 2;
        return;
    case '+':
        if (lua) {
            lua_newtable(lua);
            lua_pushstring(lua, "ok");
            lua_pushlstring(lua, line, len);
            lua_settable(lua, -3);
        }
        return;
    case '-':
        if (lua)
            script_push_error(lua, line - 1, len + 1);
        return;
    case '_':
        if (lua)
            lua_pushnil(lua);
        return;
    case '#':
        if (lua)
            lua_pushboolean(lua, len == 1 && line[0] == 't');
        return;
    case ',':
        if (lua) {
            char buf[64];

            snprintf(buf, sizeof(buf), "%.*s", (int)(len < 63 ? len : 63), line);
            lua_newtable(lua);
            lua_pushstring(lua, "double");
            lua_pushnumber(lua, strtod(buf, NULL));
            lua_settable(lua, -3);
        }
        return;
    case '(':
        if (lua) {
            lua_newtable(lua);
            lua_pushstring(lua, "big_number");
            lua_pushlstring(lua, line, len);
            lua_settable(lua, -3);
        }
        return;
    case '*':
    case '>':
        n = script_resp_num(line, len);
        if (n < 0) {
            if (lua)
                lua_pushboolean(lua, 0);
            return;
        }
        if (lua)
            lua_newtable(lua);
        for (long long i = 1; i <= n; i++) {
            if (lua)
                lua_pushnumber(lua, (lua_Number)i);
            script_resp_to_lua(lua, p, end);
            if (lua)
                lua_settable(lua, -3);
        }
        return;
    case '%':
    case '~':
        n = script_resp_num(line, len);
        if (lua) {
            lua_newtable(lua);
            lua_pushstring(lua, type == '%' ? "map" : "set");
            lua_newtable(lua);
        }
        for (long long i = 0; i < n; i++) {
            script_resp_to_lua(lua, p, end);
            if (type == '%')
                script_resp_to_lua(lua, p, end);
            else if (lua)
                lua_pushboolean(lua, 1);
            if (lua)
                lua_settable(lua, -3);
        }
        if (lua)
            lua_settable(lua, -3);
        return;
    case '|': /* attributes are not shown to scripts: skip them, then read the reply */
        n = script_resp_num(line, len);
        for (long long i = 0; i < 2 * n; i++)
            script_resp_to_lua(NULL, p, end);
        script_resp_to_lua(lua, p, end);
        return;
    default:
        OMK_ASSERT(!"unknown reply type");
    }
}

/* ---- Lua -> RESP (the script's reply) ------------------------------------------------- */

/* Field 'name' of the table on the top of the stack, pushed, if it has type 'type';
 * returns 1 then, else pushes nothing and returns 0. */
static int script_field(lua_State *L, const char *name, int type)
{
    lua_pushstring(L, name);
    lua_rawget(L, -2);
    if (lua_type(L, -1) == type)
        return 1;
    lua_pop(L, 1);
    return 0;
}

/* Write 's'/'len' with CR and LF turned into spaces, as a status ('+') or big number
 * ('('), to 'out'. */
static void script_w_line(struct evbuffer *out, char type, const char *s, size_t len)
{
    evbuffer_add(out, &type, 1);
    for (size_t i = 0; i < len; i++) {
        char ch = s[i] == '\r' || s[i] == '\n' ? ' ' : s[i];

        evbuffer_add(out, &ch, 1);
    }
    evbuffer_add(out, "\r\n", 2);
}

/* Encode the Lua value on the top of the stack into 'out' for a client speaking
 * 'proto', as Redis' luaReplyToRedisReply does, and pop it. 'script_resp' is the
 * protocol the script chose (redis.setresp): it decides how booleans go out. */
static void script_lua_to_resp(lua_State *L, struct evbuffer *out, int proto, int script_resp,
                               int depth)
{
    int t = lua_type(L, -1);

    if (depth > SCRIPT_REPLY_DEPTH || !lua_checkstack(L, 4) ||
        evbuffer_get_length(out) > REPLY_DEFERRED_MAX) {
        static const char msg[] = "ERR reached lua stack limit";

        resp_w_error(out, msg, sizeof(msg) - 1);
        lua_pop(L, 1);
        return;
    }
    switch (t) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);

        resp_w_bulk(out, s, len);
        break;
    }
    case LUA_TBOOLEAN:
        if (script_resp == 2) {
            if (lua_toboolean(L, -1))
                resp_w_int(out, 1);
            else
                resp_w_null(out, proto);
        } else {
            resp_w_bool(out, proto, lua_toboolean(L, -1));
        }
        break;
    case LUA_TNUMBER:
        resp_w_int(out, script_num_ll(lua_tonumber(L, -1)));
        break;
    case LUA_TTABLE: {
        size_t len;
        long long n = 0;

        if (script_field(L, "err", LUA_TSTRING)) {
            const char *s = lua_tolstring(L, -1, &len);

            resp_w_error(out, s, len);
            lua_pop(L, 1);
            break;
        }
        if (script_field(L, "ok", LUA_TSTRING)) {
            const char *s = lua_tolstring(L, -1, &len);

            script_w_line(out, '+', s, len);
            lua_pop(L, 1);
            break;
        }
        if (script_field(L, "double", LUA_TNUMBER)) {
            resp_w_double(out, proto, lua_tonumber(L, -1));
            lua_pop(L, 1);
            break;
        }
        if (script_field(L, "big_number", LUA_TSTRING)) {
            const char *s = lua_tolstring(L, -1, &len);

            if (proto == 3) {
                script_w_line(out, '(', s, len);
            } else {
                char *copy = omk_memdup(s, len);

                for (size_t i = 0; i < len; i++)
                    if (copy[i] == '\r' || copy[i] == '\n')
                        copy[i] = ' ';
                resp_w_bulk(out, copy, len);
                omk_free(copy);
            }
            lua_pop(L, 1);
            break;
        }
        if (script_field(L, "verbatim_string", LUA_TTABLE)) {
            int done = 0;

            if (script_field(L, "format", LUA_TSTRING)) {
                lua_pushstring(L, "string"); /* of the verbatim table, under the format */
                lua_rawget(L, -3);
                if (lua_type(L, -1) == LUA_TSTRING) {
                    const char *s = lua_tolstring(L, -1, &len);
                    char fmt[4] = "txt";
                    size_t flen;
                    const char *f = lua_tolstring(L, -2, &flen);

                    memcpy(fmt, f, flen < 3 ? flen : 3);
                    resp_w_verbatim(out, proto, fmt, s, len);
                    done = 1;
                }
                lua_pop(L, 2);
            }
            lua_pop(L, 1);
            if (done)
                break;
        }
        if (script_field(L, "map", LUA_TTABLE)) {
            struct evbuffer *body = evbuffer_new();

            lua_pushnil(L);
            while (lua_next(L, -2)) {
                lua_pushvalue(L, -2);
                script_lua_to_resp(L, body, proto, script_resp, depth + 1); /* the key */
                script_lua_to_resp(L, body, proto, script_resp, depth + 1); /* the value */
                n++;
            }
            resp_w_map_len(out, proto, n);
            evbuffer_add_buffer(out, body);
            evbuffer_free(body);
            lua_pop(L, 1);
            break;
        }
        if (script_field(L, "set", LUA_TTABLE)) {
            struct evbuffer *body = evbuffer_new();

            lua_pushnil(L);
            while (lua_next(L, -2)) {
                lua_pop(L, 1);
                lua_pushvalue(L, -1);
                script_lua_to_resp(L, body, proto, script_resp, depth + 1);
                n++;
            }
            resp_w_set_len(out, proto, n);
            evbuffer_add_buffer(out, body);
            evbuffer_free(body);
            lua_pop(L, 1);
            break;
        }
        /* An array: elements 1, 2, ... up to the first nil. */
        while (lua_rawgeti(L, -1, (int)n + 1), !lua_isnil(L, -1)) {
            lua_pop(L, 1);
            n++;
        }
        lua_pop(L, 1);
        resp_w_array_len(out, n);
        for (long long i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, (int)i);
            script_lua_to_resp(L, out, proto, script_resp, depth + 1);
        }
        break;
    }
    default:
        resp_w_null(out, proto);
    }
    lua_pop(L, 1);
}

/* ---- The redis.* API ------------------------------------------------------------------ */

/* Whether command 'd' run with 'argv' (a subcommand in argv[1]) carries Redis' flag
 * 'flag' ("noscript", "allow_busy"); 'by_cmd' is the table precomputed for top-level
 * commands. */
static int script_cmd_has(const struct cmd_def *d, int argc, const struct omk_slice *argv,
                          const unsigned char *by_cmd, const char *flag)
{
    const struct cmd_meta *m = cmd_meta_of(d);
    size_t nsubs;
    char name[64];

    cmd_meta_subs(m, &nsubs);
    if (nsubs == 0 || argc < 2)
        return by_cmd[d - cmd_table];
    if (strlen(d->name) + 1 + argv[1].len >= sizeof(name))
        return 0;
    snprintf(name, sizeof(name), "%s|%.*s", d->name, (int)argv[1].len, argv[1].p);
    m = cmd_meta_lookup(name, strlen(name));
    return m ? cmd_meta_list_has(m->flags, flag, strlen(flag)) : by_cmd[d - cmd_table];
}

/* redis.call() (raise 1) and redis.pcall() (raise 0): run a command as Redis'
 * luaRedisGenericCommand does and push its reply as a Lua value; a refusal or an error
 * reply is raised by redis.call, returned as {err=} by redis.pcall. */
static int script_redis_call_generic(lua_State *L, int raise)
{
    struct script_run *run = script_cur;
    struct client *s;
    const struct cmd_def *d = NULL;
    struct omk_slice *argv;
    char (*nums)[32];
    int argc = lua_gettop(L), ok = 1;
    const char *refusal = NULL;
    size_t len;
    const char *reply;
    int is_error;

    if (!run) {
        script_push_error_cstr(L, "redis.call/pcall can only be called inside a script invocation");
        return script_raise(L);
    }
    if (argc == 0) {
        static const char m[] = "Please specify at least one argument for this redis lib call";

        script_push_error(L, m, sizeof(m) - 1);
        return raise ? script_raise(L) : 1;
    }
    argv = omk_malloc((size_t)argc * sizeof(*argv));
    nums = omk_malloc((size_t)argc * sizeof(*nums));
    for (int i = 0; i < argc && ok; i++) {
        if (lua_type(L, i + 1) == LUA_TNUMBER) {
            /* not lua_tolstring: Lua's "%.14g" would lose precision */
            int w = snprintf(nums[i], sizeof(nums[i]), "%.17g", (double)lua_tonumber(L, i + 1));

            argv[i] = (struct omk_slice){nums[i], (size_t)w};
        } else if (lua_type(L, i + 1) == LUA_TSTRING) {
            argv[i].p = lua_tolstring(L, i + 1, &argv[i].len);
        } else {
            ok = 0;
        }
    }
    if (!ok) {
        refusal = "Lua redis lib command arguments must be strings or integers";
    } else if (!(d = cmd_lookup(argv[0].p, argv[0].len))) {
        refusal = "Unknown Redis command called from script";
    } else if (!cmd_arity_ok(d->arity, argc)) {
        refusal = "Wrong number of args calling Redis command from script";
    } else if (script_cmd_has(d, argc, argv, script_noscript_cmd, "noscript")) {
        refusal = "This Redis command is not allowed from script";
    } else if ((d->flags & CMD_WRITE) && run->read_only) {
        refusal = "Write commands are not allowed from read-only scripts.";
    }
    if (refusal) {
        omk_free(argv);
        omk_free(nums);
        script_push_error(L, refusal, strlen(refusal));
        return raise ? script_raise(L) : 1;
    }
    s = &run->stand;
    s->argc = argc;
    s->argv = argv;
    if (s->user && !acl_user_open(s->user) && !acl_check_or_reply(s, d)) {
        /* acl.c replied its NOPERM error on the stand-in: handed on below */
    } else {
        if ((d->flags & CMD_WRITE) && !run->dirty) {
            if (!script_may_write()) {
                omk_free(argv);
                omk_free(nums);
                s->argc = 0;
                s->argv = NULL;
                script_push_error_cstr(L, "Script killed by user with SCRIPT KILL...");
                return script_raise(L);
            }
            run->dirty = 1;
        }
        cmd_call(s, d);
    }
    omk_free(argv);
    omk_free(nums);
    s->argc = 0;
    s->argv = NULL;
    len = evbuffer_get_length(s->out);
    reply = (const char *)evbuffer_pullup(s->out, -1);
    if (len == 0) { /* nothing replied (cannot happen for our commands): nil */
        lua_pushboolean(L, 0);
        return 1;
    }
    is_error = reply[0] == '-'; /* read before the drain frees the reply's bytes */
    {
        const char *p = reply;

        lua_settop(L, 0);
        script_resp_to_lua(L, &p, reply + len);
    }
    evbuffer_drain(s->out, len);
    if (raise && is_error)
        return script_raise(L);
    return 1;
}

static int script_redis_call(lua_State *L)
{
    return script_redis_call_generic(L, 1);
}

static int script_redis_pcall(lua_State *L)
{
    return script_redis_call_generic(L, 0);
}

/* pcall(f, ...): Lua's, except that an error raised as an {err=} table (redis.call's)
 * comes back as its text, as Redis 7.0's pcall returns it. */
static int script_pcall(lua_State *L)
{
    int argc = lua_gettop(L);

    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
        lua_remove(L, 1);
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "err");
            if (lua_isstring(L, -1))
                lua_replace(L, -2);
            else
                lua_pop(L, 1);
        }
        lua_pushboolean(L, 0);
        lua_insert(L, 1);
    }
    return lua_gettop(L);
}

/* redis.acl_check_cmd(command, args...): whether the caller's user may run it. */
static int script_redis_acl_check_cmd(lua_State *L)
{
    struct script_run *run = script_cur;
    int argc = lua_gettop(L), allowed = 1;
    struct omk_slice *argv;
    const struct cmd_def *d;

    if (!run) {
        script_push_error_cstr(L, "redis.acl_check_cmd can only be called inside a script "
                                  "invocation");
        return script_raise(L);
    }
    if (argc == 0) {
        script_push_error_cstr(L, "Please specify at least one argument for this redis lib call");
        return script_raise(L);
    }
    for (int i = 1; i <= argc; i++)
        if (!lua_isstring(L, i)) {
            script_push_error_cstr(L, "Lua redis lib command arguments must be strings or integers");
            return script_raise(L);
        }
    argv = omk_malloc((size_t)argc * sizeof(*argv));
    for (int i = 0; i < argc; i++)
        argv[i].p = lua_tolstring(L, i + 1, &argv[i].len);
    d = cmd_lookup(argv[0].p, argv[0].len);
    if (d && run->stand.user && !acl_user_open(run->stand.user)) {
        run->stand.argc = argc;
        run->stand.argv = argv;
        allowed = acl_check_or_reply(&run->stand, d);
        evbuffer_drain(run->stand.out, evbuffer_get_length(run->stand.out));
        run->stand.argc = 0;
        run->stand.argv = NULL;
    }
    omk_free(argv);
    if (!d) {
        script_push_error_cstr(L, "Invalid command passed to redis.acl_check_cmd()");
        return script_raise(L);
    }
    lua_pushboolean(L, allowed);
    return 1;
}

/* redis.sha1hex(s) */
static int script_redis_sha1hex(lua_State *L)
{
    char hex[OMK_SHA1_HEX_LEN + 1];
    size_t len = 0;
    const char *s;

    if (lua_gettop(L) != 1) {
        script_push_error_cstr(L, "wrong number of arguments");
        return script_raise(L);
    }
    s = lua_tolstring(L, 1, &len);
    omk_sha1_hex(s ? s : "", s ? len : 0, hex);
    lua_pushstring(L, hex);
    return 1;
}

/* redis.error_reply(msg): {err = "-msg" read as a reply}; redis.status_reply(msg):
 * {ok = msg}. A wrong call returns an {err=} table (it does not raise), as Redis'. */
static int script_redis_error_reply(lua_State *L)
{
    size_t len;
    const char *s;

    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
        script_push_error_cstr(L, "wrong number or type of arguments");
        return 1;
    }
    s = lua_tolstring(L, 1, &len);
    if (len > 0 && s[0] == '-') {
        script_push_error(L, s, len);
    } else {
        lua_pushstring(L, "-");
        lua_pushvalue(L, 1);
        lua_concat(L, 2);
        s = lua_tolstring(L, -1, &len);
        script_push_error(L, s, len);
    }
    return 1;
}

static int script_redis_status_reply(lua_State *L)
{
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
        script_push_error_cstr(L, "wrong number or type of arguments");
        return 1;
    }
    lua_newtable(L);
    lua_pushstring(L, "ok");
    lua_pushvalue(L, 1);
    lua_settable(L, -3);
    return 1;
}

/* redis.log(level, message...) */
static int script_redis_log(lua_State *L)
{
    int argc = lua_gettop(L), level;
    luaL_Buffer b;

    if (argc < 2) {
        script_push_error_cstr(L, "redis.log() requires two arguments or more.");
        return script_raise(L);
    }
    if (!lua_isnumber(L, 1)) {
        script_push_error_cstr(L, "First argument must be a number (log level).");
        return script_raise(L);
    }
    level = script_num_int(lua_tonumber(L, 1));
    if (level < OMK_LOG_DEBUG || level > OMK_LOG_WARNING) {
        script_push_error_cstr(L, "Invalid debug level.");
        return script_raise(L);
    }
    if (level < log_get_level())
        return 0;
    luaL_buffinit(L, &b);
    for (int i = 2, first = 1; i <= argc; i++) {
        size_t len;
        const char *s = lua_tolstring(L, i, &len);

        if (!s)
            continue;
        if (!first)
            luaL_addchar(&b, ' ');
        luaL_addlstring(&b, s, len);
        first = 0;
    }
    luaL_pushresult(&b);
    omk_log(level, "%s", lua_tostring(L, -1));
    return 0;
}

/* redis.setresp(2|3): the protocol redis.call's replies are read in. */
static int script_redis_setresp(lua_State *L)
{
    int resp;

    if (!script_cur) {
        script_push_error_cstr(L, "redis.setresp can only be called inside a script invocation");
        return script_raise(L);
    }
    if (lua_gettop(L) != 1) {
        script_push_error_cstr(L, "redis.setresp() requires one argument.");
        return script_raise(L);
    }
    resp = script_num_int(lua_tonumber(L, 1));
    if (resp != 2 && resp != 3) {
        script_push_error_cstr(L, "RESP version must be 2 or 3.");
        return script_raise(L);
    }
    script_cur->stand.proto = resp;
    return 0;
}

/* redis.set_repl(flags): checked as Redis checks it, then accepted (omenkv has no
 * replication; the script's writes always reach the log). */
static int script_redis_set_repl(lua_State *L)
{
    int flags;

    if (!script_cur) {
        script_push_error_cstr(L, "redis.set_repl can only be called inside a script invocation");
        return script_raise(L);
    }
    if (lua_gettop(L) != 1) {
        script_push_error_cstr(L, "redis.set_repl() requires two arguments.");
        return script_raise(L);
    }
    flags = script_num_int(lua_tonumber(L, -1));
    if ((flags & ~3) != 0) {
        static const char m[] =
            "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.";

        script_push_error(L, m, sizeof(m) - 1);
        return script_raise(L);
    }
    return 0;
}

/* redis.breakpoint(): false, as in Redis when no debugging session runs; redis.debug():
 * nothing; redis.replicate_commands(): true (deprecated in Redis 7). */
static int script_redis_false(lua_State *L)
{
    lua_pushboolean(L, 0);
    return 1;
}

static int script_redis_nothing(lua_State *L)
{
    OMK_UNUSED(L);
    return 0;
}

static int script_redis_true(lua_State *L)
{
    lua_pushboolean(L, 1);
    return 1;
}

/* ---- Globals protection ---------------------------------------------------------------
 *
 * HOW SCRIPTS SEE GLOBALS. Redis 7.0 makes every table reachable from the globals
 * read-only with a patched VM; Debian's Lua 5.1 has no such flag, so a script's function
 * runs with an environment of its own (setfenv): an empty table, the same for every
 * script, whose metatable reads through to the real globals table and refuses every
 * write, as Redis words it ("Attempt to modify a readonly table", "Script attempted to
 * access nonexistent global variable"). The library tables (redis, string, math, table,
 * cjson, bit, coroutine) are seen through such empty proxies as well, rawset() refuses
 * the proxies, and loadstring()/load() give their chunks the same environment. What a
 * determined script can still do is in README (Scripts). */

#define SCRIPT_REG_ENV "omk_script_env"   /* the scripts' environment proxy */
#define SCRIPT_REG_RO_MT "omk_script_ro"  /* set of the proxies' metatables */

static int script_readonly_error(lua_State *L)
{
    return luaL_error(L, "Attempt to modify a readonly table");
}

/* The environment's __index: a global that exists, or Redis' error. "_G" is the
 * environment itself. */
static int script_env_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "_G") == 0) {
        lua_pushvalue(L, 1);
        return 1;
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, LUA_GLOBALSINDEX);
    if (lua_isnil(L, -1))
        return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                          lua_isstring(L, 2) ? lua_tostring(L, 2) : luaL_typename(L, 2));
    return 1;
}

/* Whether the value at 'idx' is one of the read-only proxies. */
static int script_is_readonly(lua_State *L, int idx)
{
    int ro;

    if (!lua_istable(L, idx) || !lua_getmetatable(L, idx))
        return 0;
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_RO_MT);
    lua_pushvalue(L, -2);
    lua_rawget(L, -2);
    ro = !lua_isnil(L, -1);
    lua_pop(L, 3);
    return ro;
}

/* rawset(t, k, v): Lua's, refused on the read-only proxies (no position, as Redis'). */
static int script_rawset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (script_is_readonly(L, 1)) {
        lua_pushstring(L, "Attempt to modify a readonly table");
        return lua_error(L);
    }
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

/* loadstring() and load() (the original in upvalue 1): the chunk gets the scripts'
 * environment, so it cannot write globals either. */
static int script_load_wrapped(lua_State *L)
{
    int n = lua_gettop(L);

    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    if (lua_isfunction(L, 1)) {
        lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_ENV);
        lua_setfenv(L, 1);
    }
    return lua_gettop(L);
}

/* Push a new read-only proxy whose __index is the value on the top of the stack (popped):
 * a table to read through, or a function. Its metatable joins SCRIPT_REG_RO_MT. */
static void script_push_proxy(lua_State *L)
{
    lua_newtable(L);                /* index, proxy */
    lua_newtable(L);                /* index, proxy, mt */
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, script_readonly_error);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable"); /* getmetatable/setmetatable cannot reach it */
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_RO_MT);
    lua_pushvalue(L, -2);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_setmetatable(L, -2);        /* index, proxy */
    lua_remove(L, -2);
}

void script_push_env(lua_State *L, lua_CFunction index)
{
    lua_pushcfunction(L, index);
    script_push_proxy(L);
}

/* Replace global 'name' (a library table) by a read-only proxy of it. */
static void script_protect_global(lua_State *L, const char *name)
{
    lua_getglobal(L, name);
    script_push_proxy(L);
    lua_setglobal(L, name);
}

/* Wrap global 'name' (a loader) with script_load_wrapped. */
static void script_wrap_loader(lua_State *L, const char *name)
{
    lua_getglobal(L, name);
    lua_pushcclosure(L, script_load_wrapped, 1);
    lua_setglobal(L, name);
}

/* Set up the protection (see HOW SCRIPTS SEE GLOBALS); the last step of set-up. */
static void script_protect(lua_State *L)
{
    static const char *const libs[] = {"redis", "string", "math",     "table",
                                       "cjson", "bit",    "cmsgpack", "struct",
                                       "coroutine"};

    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_RO_MT);
    for (size_t i = 0; i < OMK_ARRAY_LEN(libs); i++)
        script_protect_global(L, libs[i]);
    lua_pushcfunction(L, script_rawset);
    lua_setglobal(L, "rawset");
    script_wrap_loader(L, "loadstring");
    script_wrap_loader(L, "load");
    lua_pushcfunction(L, script_env_index);
    script_push_proxy(L);
    lua_setfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_ENV);
    /* The strings' metatable leads to the real string table: getmetatable("") hides it. */
    lua_pushstring(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
}

/* ---- Interpreter set-up --------------------------------------------------------------- */

static void script_set_fn(lua_State *L, const char *name, lua_CFunction fn)
{
    lua_pushstring(L, name);
    lua_pushcfunction(L, fn);
    lua_settable(L, -3);
}

static void script_set_num(lua_State *L, const char *name, lua_Number v)
{
    lua_pushstring(L, name);
    lua_pushnumber(L, v);
    lua_settable(L, -3);
}

/* Base library functions Redis 7.0 does not give scripts. */
static const char *const script_removed[] = {"loadfile", "dofile", "print", "getfenv",
                                             "setfenv", "newproxy"};

static void script_match_check(lua_State *L);

/* A new interpreter with the libraries, the redis table and the protected globals. */
lua_State *script_state_new_counted(_Atomic long long *bytes)
{
    lua_State *L = lua_newstate(script_alloc, (void *)bytes);

    OMK_ASSERT(L != NULL);
    for (size_t i = 0; i < OMK_ARRAY_LEN(script_libs); i++) {
        lua_pushcfunction(L, script_libs[i].open);
        lua_pushstring(L, script_libs[i].name);
        lua_call(L, 1, 1);
        /* Debian's cjson returns its table without making it a global */
        if (script_libs[i].name[0] && lua_istable(L, -1))
            lua_setglobal(L, script_libs[i].name);
        else
            lua_pop(L, 1);
    }
    /* Redis 7.0's globals have none of these (nor the debug library). */
    for (size_t i = 0; i < OMK_ARRAY_LEN(script_removed); i++) {
        lua_pushnil(L);
        lua_setglobal(L, script_removed[i]);
    }
    lua_pushcfunction(L, script_pcall);
    lua_setglobal(L, "pcall");
    lua_strmatch_install(L, script_match_check); /* bounded, and SCRIPT KILL stops it */

    lua_newtable(L);
    script_set_fn(L, "call", script_redis_call);
    script_set_fn(L, "pcall", script_redis_pcall);
    script_set_fn(L, "log", script_redis_log);
    script_set_num(L, "LOG_DEBUG", OMK_LOG_DEBUG);
    script_set_num(L, "LOG_VERBOSE", OMK_LOG_VERBOSE);
    script_set_num(L, "LOG_NOTICE", OMK_LOG_NOTICE);
    script_set_num(L, "LOG_WARNING", OMK_LOG_WARNING);
    script_set_fn(L, "setresp", script_redis_setresp);
    script_set_fn(L, "sha1hex", script_redis_sha1hex);
    script_set_fn(L, "error_reply", script_redis_error_reply);
    script_set_fn(L, "status_reply", script_redis_status_reply);
    script_set_fn(L, "set_repl", script_redis_set_repl);
    script_set_num(L, "REPL_NONE", 0);
    script_set_num(L, "REPL_AOF", 1);
    script_set_num(L, "REPL_SLAVE", 2);
    script_set_num(L, "REPL_REPLICA", 2);
    script_set_num(L, "REPL_ALL", 3);
    script_set_fn(L, "breakpoint", script_redis_false);
    script_set_fn(L, "debug", script_redis_nothing);
    script_set_fn(L, "replicate_commands", script_redis_true);
    script_set_fn(L, "acl_check_cmd", script_redis_acl_check_cmd);
    lua_pushstring(L, "REDIS_VERSION_NUM");
    lua_pushnumber(L, 0x07000f);
    lua_settable(L, -3);
    lua_pushstring(L, "REDIS_VERSION");
    lua_pushstring(L, "7.0.15");
    lua_settable(L, -3);
    lua_setglobal(L, "redis");

    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_FUNCS);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_FLAGS);

    script_protect(L); /* last: scripts then neither write nor read undeclared globals */
    return L;
}

/* The interpreter of EVAL's scripts. */
static lua_State *script_state_new(void)
{
    return script_state_new_counted(&script_lua_bytes);
}

void script_init(void)
{
    for (int i = 0; i < cmd_table_len; i++) {
        const struct cmd_meta *m = cmd_meta_of(&cmd_table[i]);

        script_allow_busy_cmd[i] = (unsigned char)cmd_meta_list_has(m->flags, "allow_busy", 10);
        script_noscript_cmd[i] = (unsigned char)cmd_meta_list_has(m->flags, "noscript", 8);
    }
    script_L = script_state_new();
}

/* ---- Busy state ----------------------------------------------------------------------- */

int script_busy(void)
{
    int64_t start = atomic_load_explicit(&script_start_us, memory_order_acquire);
    long long limit_ms;

    if (start == 0)
        return 0;
    limit_ms = atomic_load_explicit(&server.cfg.busy_reply_threshold, memory_order_relaxed);
    return limit_ms > 0 && omk_mono_us() - start >= limit_ms * 1000;
}

int script_running(void)
{
    return atomic_load(&script_start_us) != 0;
}

int script_cmd_allowed_busy(const struct client *c, const struct cmd_def *d)
{
    return script_cmd_has(d, c->argc, c->argv, script_allow_busy_cmd, "allow_busy");
}

void script_reply_busy(struct client *c)
{
    if (atomic_load(&script_is_fn))
        reply_error(c, "BUSY Redis is busy running a script. You can only call FUNCTION KILL "
                       "or SHUTDOWN NOSAVE.");
    else
        reply_error(c, "BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                       "SHUTDOWN NOSAVE.");
}

/* Take 'script_mu', giving up (after replying BUSY) once a running script is busy.
 * Returns 1 holding it. */
int script_lock_or_busy(struct client *c)
{
    for (;;) {
        struct timespec until;

        clock_gettime(CLOCK_REALTIME, &until); /* pthread_mutex_timedlock's clock */
        until.tv_nsec += 10 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (pthread_mutex_timedlock(&script_mu, &until) == 0)
            return 1;
        if (script_busy()) {
            script_reply_busy(c);
            return 0;
        }
    }
}

/* ---- The cache ------------------------------------------------------------------------ */

const struct script_flag_name script_flag_names[SCRIPT_FLAG_NAMES] = {
    {"no-writes", SCRIPT_F_NO_WRITES},     {"allow-oom", SCRIPT_F_ALLOW_OOM},
    {"allow-stale", SCRIPT_F_ALLOW_STALE}, {"no-cluster", SCRIPT_F_NO_CLUSTER},
    {"allow-cross-slot-keys", SCRIPT_F_ALLOW_CROSS_SLOT},
};

/* Parse the shebang line of 'body' (it starts with "#!") into SCRIPT_F_* flags, as
 * Redis 7.0 reads it. Returns the line's length, or -1 after writing the error reply's
 * text to 'err'. */
static long script_shebang(struct omk_slice body, unsigned *flags, char *err, size_t errlen)
{
    const char *nl = memchr(body.p, '\n', body.len);
    size_t linelen = nl ? (size_t)(nl - body.p) : body.len, pos = 0;
    int part = 0;

    *flags = 0;
    if (!nl) {
        snprintf(err, errlen, "ERR Invalid script shebang");
        return -1;
    }
    while (pos < linelen) {
        size_t start, wl;

        while (pos < linelen && body.p[pos] == ' ')
            pos++;
        if (pos >= linelen)
            break;
        start = pos;
        while (pos < linelen && body.p[pos] != ' ')
            pos++;
        wl = pos - start;
        if (part++ == 0) {
            if (wl != 5 || memcmp(body.p + start, "#!lua", 5) != 0) {
                snprintf(err, errlen, "ERR Unexpected engine in script shebang: %.*s",
                         (int)wl, body.p + start);
                return -1;
            }
        } else if (wl >= 6 && memcmp(body.p + start, "flags=", 6) == 0) {
            size_t f = start + 6;

            while (f < pos) {
                const char *comma = memchr(body.p + f, ',', pos - f);
                size_t fl = comma ? (size_t)(comma - (body.p + f)) : pos - f;
                size_t k;

                for (k = 0; k < SCRIPT_FLAG_NAMES; k++)
                    if (strlen(script_flag_names[k].name) == fl &&
                        memcmp(script_flag_names[k].name, body.p + f, fl) == 0)
                        break;
                if (k == SCRIPT_FLAG_NAMES) {
                    snprintf(err, errlen, "ERR Unexpected flag in script shebang: %.*s", (int)fl,
                             body.p + f);
                    return -1;
                }
                *flags |= script_flag_names[k].flag;
                f += fl + 1;
            }
        } else {
            snprintf(err, errlen, "ERR Unknown lua shebang option: %.*s", (int)wl,
                     body.p + start);
            return -1;
        }
    }
    if (part == 0) {
        snprintf(err, errlen, "ERR Invalid script shebang");
        return -1;
    }
    return (long)linelen;
}

/* Compile 'body' (SHA-1 'sha') into the cache unless it is there. Returns 1, or 0 with
 * the error reply's text in 'err'. Holds 'script_mu'. */
static int script_compile(struct omk_slice body, const char *sha, char *err, size_t errlen)
{
    lua_State *L = script_L;
    unsigned flags = SCRIPT_F_EVAL_COMPAT;
    long skip = 0;
    int rc;

    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_FUNCS);
    lua_getfield(L, -1, sha);
    rc = !lua_isnil(L, -1);
    lua_pop(L, 2);
    if (rc)
        return 1;
    if (body.len >= 2 && body.p[0] == '#' && body.p[1] == '!') {
        skip = script_shebang(body, &flags, err, errlen);
        if (skip < 0)
            return 0;
    }
    /* The body is the chunk (Redis 7.0 compiles it so, named "@user_script"); the
     * shebang line's bytes are skipped but its end of line kept, so lines count as in
     * the body. Its environment is the scripts' (HOW SCRIPTS SEE GLOBALS). */
    if (luaL_loadbuffer(L, body.p + skip, body.len - (size_t)skip, "@user_script") != 0) {
        snprintf(err, errlen, "ERR Error compiling script (new function): %s",
                 lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error object)");
        lua_pop(L, 1);
        return 0;
    }
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_ENV);
    lua_setfenv(L, -2);
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_FUNCS);
    lua_insert(L, -2);
    lua_setfield(L, -2, sha);
    lua_pop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_FLAGS);
    lua_pushnumber(L, flags);
    lua_setfield(L, -2, sha);
    lua_pop(L, 1);
    atomic_fetch_add(&script_cached, 1);
    atomic_fetch_add(&script_cached_bytes, (long long)(body.len + OMK_SHA1_HEX_LEN));
    return 1;
}

/* The flags of cached script 'sha', or -1 when it is not cached. Holds 'script_mu'. */
static long script_flags_of(const char *sha)
{
    lua_State *L = script_L;
    long flags = -1;

    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_FLAGS);
    lua_getfield(L, -1, sha);
    if (lua_isnumber(L, -1))
        flags = (long)lua_tonumber(L, -1);
    lua_pop(L, 2);
    return flags;
}

/* ---- Running ------------------------------------------------------------------------- */

/* The count hook: stop a script SCRIPT KILL asked to stop, or one past a test's step
 * limit (script_set_test_limits). */
static void script_hook(lua_State *L, lua_Debug *ar)
{
    const char *why;

    OMK_UNUSED(ar);
    if (atomic_load_explicit(&script_state, memory_order_relaxed) == SCRIPT_KILLED)
        why = "Script killed by user with SCRIPT KILL...";
    else if (script_step_max > 0 && (script_steps_left -= SCRIPT_TEST_HOOK_STEPS) < 0)
        why = "Script stopped: it ran past the test step limit";
    else
        return;
    /* From now on at every line, so that a pcall in the script cannot go on running. */
    lua_sethook(L, script_hook, LUA_MASKLINE, 0);
    script_push_error_cstr(L, why);
    lua_error(L);
}

/* The check of a long pattern match (daemon/lua_strmatch.c): what the count hook does,
 * since the hook cannot run inside the C function. */
static void script_match_check(lua_State *L)
{
    script_hook(L, NULL);
}

void script_set_test_limits(long long steps, size_t bytes)
{
    script_step_max = steps;
    script_mem_max = bytes ? bytes : SCRIPT_MEM_MAX;
}

int script_test_step_limited(void)
{
    return script_step_max > 0;
}

/* Push an array of 'n' slices as a Lua table. */
static void script_push_array(lua_State *L, const struct omk_slice *v, int n)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushlstring(L, v[i].p, v[i].len);
        lua_rawseti(L, -2, i + 1);
    }
}

/* Make table KEYS or ARGV from 'n' slices. */
static void script_set_array(lua_State *L, const char *name, const struct omk_slice *v, int n)
{
    lua_pushstring(L, name);
    script_push_array(L, v, n);
    lua_rawset(L, LUA_GLOBALSINDEX);
}

/* Write the reply text of the error table on the top of the stack into run->err, as
 * Redis' luaCallFunction words it: "<err> script: <name>, on <source>:<line>." */
static void script_take_error(lua_State *L, struct script_run *run)
{
    const char *msg = NULL, *source = NULL;
    int line = -1;

    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        msg = lua_tostring(L, -1);
        lua_getfield(L, -2, "source");
        source = lua_tostring(L, -1);
        lua_getfield(L, -3, "line");
        if (lua_isnumber(L, -1))
            line = script_num_int(lua_tonumber(L, -1));
        if (msg && source && line >= 0)
            snprintf(run->err, sizeof(run->err), "%s script: %s, on %s:%d.", msg, run->name,
                     source, line);
        else if (msg)
            snprintf(run->err, sizeof(run->err), "%s", msg);
        lua_pop(L, 3);
    }
    if (!msg)
        snprintf(run->err, sizeof(run->err), "ERR Error running script %s, %.100s\n",
                 run->name, lua_isstring(L, -1) ? lua_tostring(L, -1) : "execution failure");
    if (run->err[0] == '-')
        memmove(run->err, run->err + 1, strlen(run->err));
    run->failed = 1;
}

/* The part of a run that touches the interpreter, under lua_cpcall: KEYS and ARGV, the
 * call, and the conversion of its result. */
static int script_run_protected(lua_State *L)
{
    struct script_run *run = lua_touserdata(L, 1);
    const struct client *c = run->caller;
    long long numkeys = 0;
    int nargs = 0;

    lua_settop(L, 0);
    omk_str2ll(c->argv[2].p, c->argv[2].len, &numkeys);
    if (run->ref == LUA_NOREF) {
        script_set_array(L, "KEYS", &c->argv[3], (int)numkeys);
        script_set_array(L, "ARGV", &c->argv[3 + numkeys], c->argc - 3 - (int)numkeys);
    }
    lua_pushcfunction(L, script_err_handler);
    if (run->ref == LUA_NOREF) {
        lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_REG_FUNCS);
        lua_getfield(L, -1, run->name);
        lua_remove(L, -2);
    } else { /* a function gets the keys and the arguments as its two arguments */
        lua_rawgeti(L, LUA_REGISTRYINDEX, run->ref);
        script_push_array(L, &c->argv[3], (int)numkeys);
        script_push_array(L, &c->argv[3 + numkeys], c->argc - 3 - (int)numkeys);
        nargs = 2;
    }
    if (script_step_max > 0) {
        script_steps_left = script_step_max;
        lua_sethook(L, script_hook, LUA_MASKCOUNT, SCRIPT_TEST_HOOK_STEPS);
    } else if (atomic_load(&server.cfg.busy_reply_threshold) > 0) {
        lua_sethook(L, script_hook, LUA_MASKCOUNT, SCRIPT_HOOK_STEPS);
    }
    if (lua_pcall(L, nargs, 1, 1) != 0) {
        lua_sethook(L, NULL, 0, 0);
        script_take_error(L, run);
    } else {
        lua_sethook(L, NULL, 0, 0);
        script_lua_to_resp(L, run->out, c->proto, run->stand.proto, 0);
    }
    lua_settop(L, 0);
    return 0;
}

/* Set up the stand-in client of 'run' for caller 'c'. */
static void script_stand_init(struct script_run *run, struct client *c)
{
    struct client *s = &run->stand;

    memset(s, 0, sizeof(*s));
    s->id = c->id;
    s->worker = c->worker;
    s->out = evbuffer_new();
    OMK_ASSERT(s->out != NULL);
    s->db = c->db;
    s->proto = 2; /* scripts start in RESP2 (redis.setresp changes it) */
    s->authenticated = 1;
    s->user = c->user; /* borrowed: c outlives the run */
    s->flags = CLIENT_DENY_BLOCKING;
    snprintf(s->addr, sizeof(s->addr), "lua");
    memcpy(s->laddr, c->laddr, sizeof(s->laddr));
    atomic_init(&s->last_cmd_idx, -1);
    atomic_init(&s->last_sub, NULL);
}

/* Parse EVAL's numkeys (argv[2]) as Redis does; 1, or 0 after replying the error. */
static int script_numkeys_or_reply(struct client *c)
{
    long long numkeys;

    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &numkeys)) {
        reply_err_not_int(c);
        return 0;
    }
    if (numkeys > c->argc - 3) {
        reply_error(c, "ERR Number of keys can't be greater than number of args");
        return 0;
    }
    if (numkeys < 0) {
        reply_error(c, "ERR Number of keys can't be negative");
        return 0;
    }
    return 1;
}

/* Copy what FUNCTION STATS shows of function run 'run' ('run' NULL: none runs now). */
static void script_fn_note(const struct script_run *run)
{
    omk_mutex_lock(&script_fn_mu);
    if (script_fn_name) {
        for (int i = 0; i < script_fn_argc; i++)
            omk_free((void *)script_fn_argv[i].p);
        omk_free(script_fn_argv);
        omk_free(script_fn_name);
        script_fn_name = NULL;
        script_fn_argv = NULL;
        script_fn_argc = 0;
    }
    if (run) {
        const struct client *c = run->caller;

        script_fn_name = omk_memdup(run->name, strlen(run->name));
        script_fn_argv = omk_malloc((size_t)c->argc * sizeof(*script_fn_argv));
        for (int i = 0; i < c->argc; i++)
            script_fn_argv[i] = (struct omk_slice){omk_memdup(c->argv[i].p, c->argv[i].len),
                                                   c->argv[i].len};
        script_fn_argc = c->argc;
    }
    omk_mutex_unlock(&script_fn_mu);
}

int script_running_function(void (*fn)(void *arg, const char *name,
                                       const struct omk_slice *argv, int argc,
                                       long long ms),
                            void *arg)
{
    int64_t start = atomic_load(&script_start_us);
    int rc = 0;

    if (start == 0)
        return 0;
    omk_mutex_lock(&script_fn_mu);
    if (script_fn_name) {
        fn(arg, script_fn_name, script_fn_argv, script_fn_argc,
           (long long)(omk_mono_us() - start) / 1000);
        rc = 1;
    } else if (!atomic_load(&script_is_fn)) {
        rc = -1;
    }
    omk_mutex_unlock(&script_fn_mu);
    return rc;
}

void script_exec(struct client *c, script_resolve_fn resolve, void *arg, int read_only)
{
    struct script_run *run;
    struct script_target t = {0};
    char err[SCRIPT_ERR_MAX];
    int own_lanes = !multi_exclusive_held();
    int rc;

    if (own_lanes && !multi_script_lock(script_busy)) { /* or kept from the last script */
        script_reply_busy(c);
        return;
    }
    omk_mutex_lock(&script_mu); /* whoever holds it without the lanes holds it briefly */
    if (!resolve(c, arg, &t, err, sizeof(err))) {
        omk_mutex_unlock(&script_mu);
        if (own_lanes)
            multi_script_unlock(c->worker);
        reply_error(c, err);
        return;
    }
    if (!(t.flags & SCRIPT_F_EVAL_COMPAT) && !(t.flags & SCRIPT_F_NO_WRITES) && read_only) {
        omk_mutex_unlock(&script_mu);
        if (own_lanes)
            multi_script_unlock(c->worker);
        reply_error(c, "ERR Can not execute a script with write flag using *_ro command.");
        return;
    }
    run = omk_calloc(1, sizeof(*run));
    run->caller = c;
    run->name = t.name;
    run->L = t.L;
    run->ref = t.ref;
    run->read_only =
        read_only || (!(t.flags & SCRIPT_F_EVAL_COMPAT) && (t.flags & SCRIPT_F_NO_WRITES));
    run->out = evbuffer_new();
    script_stand_init(run, c);
    script_cur = run;
    if (run->ref != LUA_NOREF)
        script_fn_note(run);
    atomic_store(&script_is_fn, run->ref != LUA_NOREF);
    atomic_store(&script_state, SCRIPT_CLEAN);
    atomic_store_explicit(&script_start_us, omk_mono_us(), memory_order_release);
    if (own_lanes)
        store_tx_begin(server.store); /* one batch in the log: all of the script, or none */
    rc = lua_cpcall(run->L, script_run_protected, run);
    if (rc != 0) { /* out of memory outside the script's own pcall, or the like */
        snprintf(run->err, sizeof(run->err), "ERR %s",
                 lua_isstring(run->L, -1) ? lua_tostring(run->L, -1) : "script failed");
        run->failed = 1;
        lua_settop(run->L, 0);
    }
    if (own_lanes)
        store_tx_end(server.store); /* a failure fails the pass (daemon/pass.c) */
    lua_sethook(run->L, NULL, 0, 0);
    atomic_store_explicit(&script_start_us, 0, memory_order_release);
    if (run->ref != LUA_NOREF)
        script_fn_note(NULL);
    script_cur = NULL;
    if (++script_runs % SCRIPT_GC_PERIOD == 0) /* a small step now and then, not per run */
        lua_gc(run->L, LUA_GCSTEP, SCRIPT_GC_PERIOD);
    omk_mutex_unlock(&script_mu);
    if (own_lanes) {
        /* The clients parked on keys the script made ready are served after it as a
         * whole, before any other command runs (every lane is still held). */
        blocking_serve_readied(c->worker);
        multi_script_unlock(c->worker);
    }
    if (run->failed)
        reply_error(c, run->err);
    else
        reply_buffer(c, run->out);
    evbuffer_free(run->stand.out);
    evbuffer_free(run->out);
    omk_free(run);
}

/* What EVAL and EVALSHA run: the cached script 'sha' (EVAL compiles it first). */
struct script_eval_arg {
    int by_sha;
    char sha[OMK_SHA1_HEX_LEN + 1];
};

/* script_resolve_fn of EVAL and EVALSHA (holds 'script_mu'). */
static int script_eval_resolve(struct client *c, void *arg, struct script_target *t, char *err,
                               size_t errlen)
{
    struct script_eval_arg *a = arg;
    long flags;

    if (!a->by_sha && !script_compile(c->argv[1], a->sha, err, errlen))
        return 0;
    flags = script_flags_of(a->sha);
    if (flags < 0) {
        snprintf(err, errlen, "NOSCRIPT No matching script. Please use EVAL.");
        return 0;
    }
    t->L = script_L;
    t->ref = LUA_NOREF;
    t->name = a->sha;
    t->flags = (unsigned)flags;
    return 1;
}

void script_eval(struct client *c, int by_sha, int read_only)
{
    struct script_eval_arg a = {.by_sha = by_sha};

    /* MONITOR shows EVAL before the commands its script runs, as Redis does (cmd_call
     * feeds the others after they ran) */
    monitor_feed(c, cmd_lookup(c->argv[0].p, c->argv[0].len));
    if (!script_numkeys_or_reply(c))
        return;
    if (by_sha) {
        if (c->argv[1].len != OMK_SHA1_HEX_LEN) {
            reply_error(c, "NOSCRIPT No matching script. Please use EVAL.");
            return;
        }
        for (int i = 0; i < OMK_SHA1_HEX_LEN; i++) {
            char ch = c->argv[1].p[i];

            a.sha[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch + ('a' - 'A')) : ch;
        }
        a.sha[OMK_SHA1_HEX_LEN] = '\0';
    } else {
        omk_sha1_hex(c->argv[1].p, c->argv[1].len, a.sha);
    }
    script_exec(c, script_eval_resolve, &a, read_only);
}

void script_load(struct client *c, struct omk_slice body)
{
    char sha[OMK_SHA1_HEX_LEN + 1], err[SCRIPT_ERR_MAX];
    int ok;

    omk_sha1_hex(body.p, body.len, sha);
    if (!script_lock_or_busy(c))
        return;
    ok = script_compile(body, sha, err, sizeof(err));
    omk_mutex_unlock(&script_mu);
    if (ok)
        reply_bulk(c, sha, OMK_SHA1_HEX_LEN);
    else
        reply_error(c, err);
}

void script_exists(struct client *c)
{
    if (!script_lock_or_busy(c))
        return;
    reply_array_len(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        char sha[OMK_SHA1_HEX_LEN + 1];
        int found = 0;

        if (c->argv[i].len == OMK_SHA1_HEX_LEN) {
            for (int k = 0; k < OMK_SHA1_HEX_LEN; k++) {
                char ch = c->argv[i].p[k];

                sha[k] = ch >= 'A' && ch <= 'Z' ? (char)(ch + ('a' - 'A')) : ch;
            }
            sha[OMK_SHA1_HEX_LEN] = '\0';
            found = script_flags_of(sha) >= 0;
        }
        reply_int(c, found);
    }
    omk_mutex_unlock(&script_mu);
}

/* The background closer of script_close_async: one interpreter at a time. */
static _Atomic int script_closing; /* 1 while a closer thread runs */

/* Thread body: close interpreter 'arg' (its frees come off its counter as they happen). */
static void *script_closer_main(void *arg)
{
    lua_close(arg);
    atomic_store(&script_closing, 0);
    return NULL;
}

void script_close_async(lua_State *L)
{
    int idle = 0;
    pthread_t t;
    pthread_attr_t attr;

    /* One closer at a time bounds the threads a client can start; a flush that finds
     * it busy closes in the caller, as SYNC does. */
    if (atomic_compare_exchange_strong(&script_closing, &idle, 1)) {
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, script_closer_main, L) == 0) {
            pthread_attr_destroy(&attr);
            return;
        }
        pthread_attr_destroy(&attr);
        atomic_store(&script_closing, 0);
    }
    lua_close(L);
}

void script_flush(struct client *c, int async)
{
    lua_State *old;

    if (!script_lock_or_busy(c))
        return;
    old = script_L;
    script_L = script_state_new();
    atomic_store(&script_cached, 0);
    atomic_store(&script_cached_bytes, 0);
    omk_mutex_unlock(&script_mu);
    if (async)
        script_close_async(old);
    else
        lua_close(old);
    reply_ok(c);
}

void script_unlock(void)
{
    omk_mutex_unlock(&script_mu);
}

void script_kill(struct client *c)
{
    script_kill_kind(c, 0);
}

void script_kill_kind(struct client *c, int function)
{
    int st = SCRIPT_CLEAN;

    if (!atomic_load(&script_start_us)) {
        reply_error(c, "NOTBUSY No scripts in execution right now.");
    } else if (atomic_load(&script_state) == SCRIPT_WROTE) {
        reply_error(c, "UNKILLABLE Sorry the script already executed write commands against the "
                       "dataset. You can either wait the script termination or kill the server "
                       "in a hard way using the SHUTDOWN NOSAVE command.");
    } else if (atomic_load(&script_is_fn) != function) {
        script_reply_busy(c); /* SCRIPT KILL does not stop a function, nor FUNCTION KILL a script */
    } else if (!atomic_compare_exchange_strong(&script_state, &st, SCRIPT_KILLED) &&
               st == SCRIPT_WROTE) {
        reply_error(c, "UNKILLABLE Sorry the script already executed write commands against the "
                       "dataset. You can either wait the script termination or kill the server "
                       "in a hard way using the SHUTDOWN NOSAVE command.");
    } else {
        omk_log(OMK_LOG_WARNING, "Lua script killed by user with SCRIPT KILL.");
        reply_ok(c);
    }
}

/* ---- INFO ----------------------------------------------------------------------------- */

/* 'v' bytes in Redis' human form ("31.00K") into 'buf'. */
static void script_human(char *buf, size_t len, double v)
{
    static const char units[] = "BKMGTP";
    int u = 0;

    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%.0fB", v);
    else
        snprintf(buf, len, "%.2f%c", v, units[u]);
}

long long script_cache_bytes(void)
{
    return atomic_load(&script_cached_bytes);
}

void script_info_memory(struct evbuffer *b)
{
    long long lua = atomic_load(&script_lua_bytes), cached = atomic_load(&script_cached),
              scripts = atomic_load(&script_cached_bytes);
    char h_lua[32], h_scripts[32], h_total[32];
    struct function_stats fs;

    function_stats_get(&fs);
    script_human(h_lua, sizeof(h_lua), (double)lua);
    script_human(h_total, sizeof(h_total), (double)(lua + fs.vm_bytes));
    script_human(h_scripts, sizeof(h_scripts), (double)(scripts + fs.bytes));
    evbuffer_add_printf(b,
                        "used_memory_lua:%lld\r\n"
                        "used_memory_vm_eval:%lld\r\n"
                        "used_memory_lua_human:%s\r\n"
                        "used_memory_scripts_eval:%lld\r\n"
                        "number_of_cached_scripts:%lld\r\n"
                        "number_of_functions:%lld\r\n"
                        "number_of_libraries:%lld\r\n"
                        "used_memory_vm_functions:%lld\r\n"
                        "used_memory_vm_total:%lld\r\n"
                        "used_memory_vm_total_human:%s\r\n"
                        "used_memory_functions:%lld\r\n"
                        "used_memory_scripts:%lld\r\n"
                        "used_memory_scripts_human:%s\r\n",
                        lua, lua, h_lua, scripts, cached, fs.functions, fs.libraries, fs.vm_bytes,
                        lua + fs.vm_bytes, h_total, fs.bytes, scripts + fs.bytes, h_scripts);
}
