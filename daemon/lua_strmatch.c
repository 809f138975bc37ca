/* lua_strmatch.c - the pattern functions of scripts' string library (string.find,
 * string.match, string.gmatch and its old name string.gfind, string.gsub), in place of
 * Lua 5.1's own: the same matching, results and error texts, with two bounds the
 * library lacks.
 *
 * WHY: Lua 5.1 matches a pattern by C recursion, one level per capture and per
 * quantified item, with no limit (a pattern of 300,000 "a?" overflows the stack and
 * kills the process: Redis 7.0 dies of it too), and its backtracking can take
 * exponential time ("a?" 40 times, then "a" 40 times, against 40 "a"s: 2^40 steps). A C
 * function runs until it returns, so the interpreter's count hook, which is how SCRIPT
 * KILL and the busy-script rules stop a script, never fires inside it: one EVAL could
 * hold the script engine forever, SCRIPT KILL included. Here:
 *  - recursion deeper than LUA_STRMATCH_MAX_DEPTH raises "pattern too complex" (Lua 5.2
 *    and later do the same past 200 levels);
 *  - every LUA_STRMATCH_CHECK_STEPS steps of a match the installer's check runs, which
 *    raises the error that stops the script when SCRIPT KILL asked for it.
 * Everything else is Lua 5.1.5's lstrlib.c (MIT licence, Lua.org, PUC-Rio): the
 * algorithm, the NUL-terminated view of the pattern, the arguments' conversions and every
 * error text, so scripts get what Redis' interpreter gives them. These functions are
 * called from scripts directly, as the library's are, so argument errors name them and
 * errors carry the script's position ("user_script:1: ") the same way. */
#include "config.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "daemon/lua_libs.h"

#define SM_ESC '%'
#define SM_SPECIALS "^$*+?.([%-"
#define SM_CAP_UNFINISHED (-1)
#define SM_CAP_POSITION (-2)

#define sm_uchar(c) ((unsigned char)(c))

/* The check lua_strmatch_install() was given: the same one for every state, stored again
 * by each install (a new state may be made on one worker while a script runs on another). */
static lua_strmatch_check_fn *_Atomic sm_check;

/* One match in progress. */
struct sm_state {
    const char *src_init; /* the subject */
    const char *src_end;  /* its end */
    lua_State *L;
    int level;            /* captures opened so far, finished or not */
    int depth;            /* recursion levels left before "pattern too complex" */
    int steps;            /* match() calls left before the next check */
    struct {
        const char *init;
        ptrdiff_t len;    /* or SM_CAP_UNFINISHED, SM_CAP_POSITION */
    } capture[LUA_MAXCAPTURES];
};

/* A fresh state for subject 's'/'len'. */
static void sm_init(struct sm_state *ms, lua_State *L, const char *s, size_t len)
{
    ms->L = L;
    ms->src_init = s;
    ms->src_end = s + len;
    ms->level = 0;
    ms->depth = LUA_STRMATCH_MAX_DEPTH;
    ms->steps = LUA_STRMATCH_CHECK_STEPS;
}

/* The index of the finished capture %1..%9 named by character 'l'. */
static int sm_check_capture(struct sm_state *ms, int l)
{
    l -= '1';
    if (l < 0 || l >= ms->level || ms->capture[l].len == SM_CAP_UNFINISHED)
        return luaL_error(ms->L, "invalid capture index");
    return l;
}

/* The innermost capture still open. */
static int sm_capture_to_close(struct sm_state *ms)
{
    for (int level = ms->level - 1; level >= 0; level--)
        if (ms->capture[level].len == SM_CAP_UNFINISHED)
            return level;
    return luaL_error(ms->L, "invalid pattern capture");
}

/* Where the single-character class at 'p' ends. */
static const char *sm_class_end(struct sm_state *ms, const char *p)
{
    switch (*p++) {
    case SM_ESC:
        if (*p == '\0')
            luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    case '[':
        if (*p == '^')
            p++;
        do { /* up to the ']' (a first ']' is a member) */
            if (*p == '\0')
                luaL_error(ms->L, "malformed pattern (missing ']')");
            if (*(p++) == SM_ESC && *p != '\0')
                p++; /* an escape such as %] */
        } while (*p != ']');
        return p + 1;
    default:
        return p;
    }
}

/* Whether character 'c' is in class %'cl' (an upper-case letter is the complement). */
static int sm_match_class(int c, int cl)
{
    int res;

    switch (tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    case 'z': res = (c == 0); break;
    default: return cl == c;
    }
    return islower(cl) ? res : !res;
}

/* Whether 'c' is in the set [...] at 'p', whose ']' is at 'ec'. */
static int sm_match_bracket(int c, const char *p, const char *ec)
{
    int sig = 1;

    if (*(p + 1) == '^') {
        sig = 0;
        p++;
    }
    while (++p < ec) {
        if (*p == SM_ESC) {
            p++;
            if (sm_match_class(c, sm_uchar(*p)))
                return sig;
        } else if (*(p + 1) == '-' && p + 2 < ec) {
            p += 2;
            if (sm_uchar(*(p - 2)) <= c && c <= sm_uchar(*p))
                return sig;
        } else if (sm_uchar(*p) == c) {
            return sig;
        }
    }
    return !sig;
}

/* Whether 'c' matches the single-character class at 'p' that ends at 'ep'. */
static int sm_single(int c, const char *p, const char *ep)
{
    switch (*p) {
    case '.': return 1;
    case SM_ESC: return sm_match_class(c, sm_uchar(*(p + 1)));
    case '[': return sm_match_bracket(c, p, ep - 1);
    default: return sm_uchar(*p) == c;
    }
}

static const char *sm_match(struct sm_state *ms, const char *s, const char *p);

/* %bxy at 'p': the end of the balanced run at 's', or NULL. */
static const char *sm_balance(struct sm_state *ms, const char *s, const char *p)
{
    int b, e, cont = 1;

    if (*p == '\0' || *(p + 1) == '\0')
        luaL_error(ms->L, "unbalanced pattern");
    if (*s != *p)
        return NULL;
    b = *p;
    e = *(p + 1);
    while (++s < ms->src_end) {
        if (*s == e) {
            if (--cont == 0)
                return s + 1;
        } else if (*s == b) {
            cont++;
        }
    }
    return NULL;
}

/* Item 'p'..'ep' repeated as often as it matches, then fewer until the rest matches. */
static const char *sm_max_expand(struct sm_state *ms, const char *s, const char *p,
                                 const char *ep)
{
    ptrdiff_t i = 0;

    while (s + i < ms->src_end && sm_single(sm_uchar(*(s + i)), p, ep))
        i++;
    while (i >= 0) {
        const char *res = sm_match(ms, s + i, ep + 1);

        if (res)
            return res;
        i--;
    }
    return NULL;
}

/* Item 'p'..'ep' repeated as seldom as the rest allows ('-'). */
static const char *sm_min_expand(struct sm_state *ms, const char *s, const char *p,
                                 const char *ep)
{
    for (;;) {
        const char *res = sm_match(ms, s, ep + 1);

        if (res != NULL)
            return res;
        if (s < ms->src_end && sm_single(sm_uchar(*s), p, ep))
            s++;
        else
            return NULL;
    }
}

/* Open a capture at 's' ('what': SM_CAP_UNFINISHED or SM_CAP_POSITION), match the rest. */
static const char *sm_start_capture(struct sm_state *ms, const char *s, const char *p,
                                    int what)
{
    const char *res;
    int level = ms->level;

    if (level >= LUA_MAXCAPTURES)
        luaL_error(ms->L, "too many captures");
    ms->capture[level].init = s;
    ms->capture[level].len = what;
    ms->level = level + 1;
    if ((res = sm_match(ms, s, p)) == NULL)
        ms->level--;
    return res;
}

/* Close the innermost open capture at 's', match the rest. */
static const char *sm_end_capture(struct sm_state *ms, const char *s, const char *p)
{
    int l = sm_capture_to_close(ms);
    const char *res;

    ms->capture[l].len = s - ms->capture[l].init;
    if ((res = sm_match(ms, s, p)) == NULL)
        ms->capture[l].len = SM_CAP_UNFINISHED;
    return res;
}

/* %1..%9 at 's': the end of a copy of that capture's text, or NULL. */
static const char *sm_match_capture(struct sm_state *ms, const char *s, int l)
{
    size_t len;

    l = sm_check_capture(ms, l);
    len = (size_t)ms->capture[l].len;
    if ((size_t)(ms->src_end - s) >= len && memcmp(ms->capture[l].init, s, len) == 0)
        return s + len;
    return NULL;
}

/* Match pattern 'p' (NUL-terminated) at 's': the end of the match, or NULL. Each call is
 * a step (the check runs every LUA_STRMATCH_CHECK_STEPS) and a recursion level. */
static const char *sm_match(struct sm_state *ms, const char *s, const char *p)
{
    const char *res;

    if (--ms->steps == 0) {
        lua_strmatch_check_fn *check = atomic_load_explicit(&sm_check, memory_order_relaxed);

        ms->steps = LUA_STRMATCH_CHECK_STEPS;
        if (check)
            check(ms->L); /* raises to stop the script */
    }
    if (ms->depth-- == 0)
        luaL_error(ms->L, "pattern too complex");
init: /* tail calls are jumps */
    switch (*p) {
    case '(':
        if (*(p + 1) == ')')
            res = sm_start_capture(ms, s, p + 2, SM_CAP_POSITION);
        else
            res = sm_start_capture(ms, s, p + 1, SM_CAP_UNFINISHED);
        break;
    case ')':
        res = sm_end_capture(ms, s, p + 1);
        break;
    case SM_ESC:
        if (*(p + 1) == 'b') { /* a balanced run */
            s = sm_balance(ms, s, p + 2);
            if (s == NULL) {
                res = NULL;
                break;
            }
            p += 4;
            goto init;
        }
        if (*(p + 1) == 'f') { /* a frontier */
            const char *ep;
            char previous;

            p += 2;
            if (*p != '[')
                luaL_error(ms->L, "missing '[' after '%%f' in pattern");
            ep = sm_class_end(ms, p);
            previous = (s == ms->src_init) ? '\0' : *(s - 1);
            if (sm_match_bracket(sm_uchar(previous), p, ep - 1) ||
                !sm_match_bracket(sm_uchar(*s), p, ep - 1)) {
                res = NULL;
                break;
            }
            p = ep;
            goto init;
        }
        if (isdigit(sm_uchar(*(p + 1)))) { /* a back reference */
            s = sm_match_capture(ms, s, sm_uchar(*(p + 1)));
            if (s == NULL) {
                res = NULL;
                break;
            }
            p += 2;
            goto init;
        }
        goto item;
    case '\0': /* the end of the pattern: a match */
        res = s;
        break;
    case '$':
        if (*(p + 1) == '\0') {
            res = (s == ms->src_end) ? s : NULL;
            break;
        }
        goto item;
    default:
    item: {
        const char *ep = sm_class_end(ms, p);
        int m = s < ms->src_end && sm_single(sm_uchar(*s), p, ep);

        switch (*ep) {
        case '?':
            if (m && (res = sm_match(ms, s + 1, ep + 1)) != NULL)
                break;
            p = ep + 1;
            goto init;
        case '*':
            res = sm_max_expand(ms, s, p, ep);
            break;
        case '+':
            res = m ? sm_max_expand(ms, s + 1, p, ep) : NULL;
            break;
        case '-':
            res = sm_min_expand(ms, s, p, ep);
            break;
        default:
            if (!m) {
                res = NULL;
                break;
            }
            s++;
            p = ep;
            goto init;
        }
    }
    }
    ms->depth++;
    return res;
}

/* Where 's2'/'l2' first occurs in 's1'/'l1' (a plain find), or NULL. */
static const char *sm_memfind(const char *s1, size_t l1, const char *s2, size_t l2)
{
    const char *init;

    if (l2 == 0)
        return s1;
    if (l2 > l1)
        return NULL;
    l2--; /* the first byte is memchr's */
    l1 -= l2;
    while (l1 > 0 && (init = memchr(s1, *s2, l1)) != NULL) {
        init++;
        if (memcmp(init, s2 + 1, l2) == 0)
            return init - 1;
        l1 -= (size_t)(init - s1);
        s1 = init;
    }
    return NULL;
}

/* Push capture 'i' of a match from 's' to 'e' (capture 0 of a pattern without captures
 * is the whole match). */
static void sm_push_capture(struct sm_state *ms, int i, const char *s, const char *e)
{
    ptrdiff_t l;

    if (i >= ms->level) {
        if (i == 0)
            lua_pushlstring(ms->L, s, (size_t)(e - s));
        else
            luaL_error(ms->L, "invalid capture index");
        return;
    }
    l = ms->capture[i].len;
    if (l == SM_CAP_UNFINISHED)
        luaL_error(ms->L, "unfinished capture");
    if (l == SM_CAP_POSITION)
        lua_pushinteger(ms->L, ms->capture[i].init - ms->src_init + 1);
    else
        lua_pushlstring(ms->L, ms->capture[i].init, (size_t)l);
}

/* Push every capture (or the whole match when there are none and 's' is given); returns
 * how many. */
static int sm_push_captures(struct sm_state *ms, const char *s, const char *e)
{
    int n = (ms->level == 0 && s) ? 1 : ms->level;

    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++)
        sm_push_capture(ms, i, s, e);
    return n;
}

/* A relative string position (negative: from the end) as a non-negative one. */
static ptrdiff_t sm_posrelat(ptrdiff_t pos, size_t len)
{
    if (pos < 0)
        pos += (ptrdiff_t)len + 1;
    return pos >= 0 ? pos : 0;
}

/* string.find ('find' 1) and string.match ('find' 0). */
static int sm_find_aux(lua_State *L, int find)
{
    size_t l1, l2;
    const char *s = luaL_checklstring(L, 1, &l1);
    const char *p = luaL_checklstring(L, 2, &l2);
    ptrdiff_t init = sm_posrelat(luaL_optinteger(L, 3, 1), l1) - 1;

    if (init < 0)
        init = 0;
    else if ((size_t)init > l1)
        init = (ptrdiff_t)l1;
    if (find && (lua_toboolean(L, 4) || strpbrk(p, SM_SPECIALS) == NULL)) {
        const char *s2 = sm_memfind(s + init, l1 - (size_t)init, p, l2);

        if (s2) {
            lua_pushinteger(L, s2 - s + 1);
            lua_pushinteger(L, (lua_Integer)(s2 - s + (ptrdiff_t)l2));
            return 2;
        }
    } else {
        struct sm_state ms;
        int anchor = (*p == '^') ? (p++, 1) : 0;
        const char *s1 = s + init;

        sm_init(&ms, L, s, l1);
        do {
            const char *res;

            ms.level = 0;
            if ((res = sm_match(&ms, s1, p)) != NULL) {
                if (find) {
                    lua_pushinteger(L, s1 - s + 1);
                    lua_pushinteger(L, res - s);
                    return sm_push_captures(&ms, NULL, 0) + 2;
                }
                return sm_push_captures(&ms, s1, res);
            }
        } while (s1++ < ms.src_end && !anchor);
    }
    lua_pushnil(L);
    return 1;
}

/* string.find(s, pattern [, init [, plain]]): start, end and captures, or nil. */
static int sm_find(lua_State *L)
{
    return sm_find_aux(L, 1);
}

/* string.match(s, pattern [, init]): the captures (or the whole match), or nil. */
static int sm_str_match(lua_State *L)
{
    return sm_find_aux(L, 0);
}

/* The iterator string.gmatch returns: upvalues subject, pattern, next start. */
static int sm_gmatch_aux(lua_State *L)
{
    struct sm_state ms;
    size_t ls;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tostring(L, lua_upvalueindex(2));

    sm_init(&ms, L, s, ls);
    for (const char *src = s + (size_t)lua_tointeger(L, lua_upvalueindex(3));
         src <= ms.src_end; src++) {
        const char *e;

        ms.level = 0;
        if ((e = sm_match(&ms, src, p)) != NULL) {
            lua_Integer newstart = e - s;

            if (e == src)
                newstart++; /* an empty match: go on one position further */
            lua_pushinteger(L, newstart);
            lua_replace(L, lua_upvalueindex(3));
            return sm_push_captures(&ms, src, e);
        }
    }
    return 0;
}

/* string.gmatch(s, pattern) and string.gfind: an iterator over the matches. */
static int sm_gmatch(lua_State *L)
{
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    lua_settop(L, 2);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, sm_gmatch_aux, 3);
    return 1;
}

/* gsub's replacement string (argument 3) for a match from 's' to 'e', into 'b'. */
static void sm_add_s(struct sm_state *ms, luaL_Buffer *b, const char *s, const char *e)
{
    size_t l;
    const char *news = lua_tolstring(ms->L, 3, &l);

    for (size_t i = 0; i < l; i++) {
        if (news[i] != SM_ESC) {
            luaL_addchar(b, news[i]);
            continue;
        }
        i++; /* the escape */
        if (!isdigit(sm_uchar(news[i]))) {
            luaL_addchar(b, news[i]);
        } else if (news[i] == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else {
            sm_push_capture(ms, news[i] - '1', s, e);
            luaL_addvalue(b);
        }
    }
}

/* gsub's replacement (a string, a number, a table or a function) for a match from 's'
 * to 'e', into 'b'. */
static void sm_add_value(struct sm_state *ms, luaL_Buffer *b, const char *s, const char *e)
{
    lua_State *L = ms->L;

    switch (lua_type(L, 3)) {
    case LUA_TNUMBER:
    case LUA_TSTRING:
        sm_add_s(ms, b, s, e);
        return;
    case LUA_TFUNCTION: {
        int n;

        lua_pushvalue(L, 3);
        n = sm_push_captures(ms, s, e);
        lua_call(L, n, 1);
        break;
    }
    case LUA_TTABLE:
        sm_push_capture(ms, 0, s, e);
        lua_gettable(L, 3);
        break;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false: the original text */
        lua_pop(L, 1);
        lua_pushlstring(L, s, (size_t)(e - s));
    } else if (!lua_isstring(L, -1)) {
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    }
    luaL_addvalue(b);
}

/* string.gsub(s, pattern, repl [, n]): the string with (at most n) matches replaced,
 * and how many were. */
static int sm_gsub(lua_State *L)
{
    size_t srcl;
    const char *src = luaL_checklstring(L, 1, &srcl);
    const char *p = luaL_checkstring(L, 2);
    int tr = lua_type(L, 3);
    /* luaL_optint's conversion, as Lua 5.1 makes it */
    int max_s = (int)luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
    int anchor = (*p == '^') ? (p++, 1) : 0;
    int n = 0;
    struct sm_state ms;
    luaL_Buffer b;

    luaL_argcheck(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION ||
                         tr == LUA_TTABLE,
                  3, "string/function/table expected");
    luaL_buffinit(L, &b);
    sm_init(&ms, L, src, srcl);
    while (n < max_s) {
        const char *e;

        ms.level = 0;
        e = sm_match(&ms, src, p);
        if (e) {
            n++;
            sm_add_value(&ms, &b, src, e);
        }
        if (e && e > src) /* a non-empty match: go past it */
            src = e;
        else if (src < ms.src_end)
            luaL_addchar(&b, *src++);
        else
            break;
        if (anchor)
            break;
    }
    luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
    luaL_pushresult(&b);
    lua_pushinteger(L, n);
    return 2;
}

void lua_strmatch_install(lua_State *L, lua_strmatch_check_fn *check)
{
    static const luaL_Reg fns[] = {
        {"find", sm_find}, {"match", sm_str_match}, {"gmatch", sm_gmatch}, {"gsub", sm_gsub},
        {NULL, NULL},
    };

    atomic_store_explicit(&sm_check, check, memory_order_relaxed);
    lua_getglobal(L, LUA_STRLIBNAME);
    for (const luaL_Reg *f = fns; f->name; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, -2, f->name);
    }
    lua_getfield(L, -1, "gmatch"); /* gfind is gmatch itself, as in Redis' Lua */
    lua_setfield(L, -2, "gfind");
    lua_pop(L, 1);
}
