/* test_lua_libs.c - cmsgpack and struct through EVAL: every case of
 * tests/lua_libs_cases.h (byte-exact packs, unpacks, struct's formats and every error
 * text) as a script, and packs returned to the client and fed back through ARGV, so the
 * bytes cross RESP both ways. Every expectation passes against redis-server 7.0 too
 * (OMK_TEST_SERVER=host:port); that run is what makes the cases Redis' answers. A server
 * without EVAL skips the whole test. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tests/harness.h"
#include "tests/lua_libs_cases.h"

/* EVAL 'script' with no keys and the 'nargv' arguments 'argv'/'lens'. */
static redisReply *eval(redisContext *c, const char *script, size_t len, int nargv,
                        const char **argv, const size_t *lens)
{
    const char *av[8] = {"EVAL", script, "0"};
    size_t al[8] = {4, len, 1};

    for (int i = 0; i < nargv && i < 5; i++) {
        av[3 + i] = argv[i];
        al[3 + i] = lens[i];
    }
    return redisCommandArgv(c, 3 + nargv, av, al);
}

static void test_cases(redisContext *c)
{
    static char script[16384];

    for (size_t i = 0; i < sizeof(ll_cases) / sizeof(ll_cases[0]); i++) {
        const struct ll_case *k = &ll_cases[i];
        size_t n = ll_script(k, script, sizeof(script));
        redisReply *r = n ? eval(c, script, n, 0, NULL, NULL) : NULL;
        char name[200];

        snprintf(name, sizeof(name), "EVAL %.150s%s%.40s", k->code,
                 k->kind == LL_FAILS ? " -> " : "", k->kind == LL_FAILS ? k->want : "");
        if (k->kind == LL_TRUE) /* Lua true is the integer 1 */
            is_integer(r, 1, name);
        else
            is_str(r, k->want, k->wlen, name);
    }
}

/* A pack goes to the client and comes back as ARGV[1]: it decodes to what was packed,
 * and packs again to the same bytes. */
static void test_through_argv(redisContext *c)
{
    static const char pack[] = "return cmsgpack.pack({1, -2.5, 'x', {a = {true, false}}}, 2^40)";
    static const char check[] =
        "local t, n = cmsgpack.unpack(ARGV[1]) "
        "if n ~= 2^40 or t[1] ~= 1 or t[2] ~= -2.5 or t[3] ~= 'x' then return 'bad' end "
        "if t[4].a[1] ~= true or t[4].a[2] ~= false then return 'bad map' end "
        "return cmsgpack.pack(t, n)";
    static const char fmt[] =
        "return struct.pack('>!4 b i d c3 s', -1, 123456, 0.5, ARGV[1], ARGV[2])";
    redisReply *r = eval(c, pack, sizeof(pack) - 1, 0, NULL, NULL);
    const char *argv[2];
    size_t lens[2];

    if (!ok(r && r->type == REDIS_REPLY_STRING, "a pack comes back as a bulk string")) {
        ts_diag_reply(r);
        freeReplyObject(r);
        return;
    }
    argv[0] = r->str;
    lens[0] = r->len;
    is_str(eval(c, check, sizeof(check) - 1, 1, argv, lens), r->str, r->len,
           "unpacked from ARGV, it packs to the same bytes");
    freeReplyObject(r);

    argv[0] = "abcdef";
    lens[0] = 6;
    argv[1] = "zero\0in";
    lens[1] = 7;
    is_str(eval(c, fmt, sizeof(fmt) - 1, 2, argv, lens),
           "\xff\0\0\0\0\x01\xe2\x40\x3f\xe0\0\0\0\0\0\0abczero\0in\0", 27,
           "struct.pack of script values and ARGV strings");
}

int main(void)
{
    struct tserver s;
    redisContext *c = ts_begin(&s, NULL, 0);
    redisReply *r = cmd(c, "EVAL %s 0", "return 1");

    if (r && r->type == REDIS_REPLY_ERROR && strstr(r->str, "unknown command")) {
        freeReplyObject(r);
        redisFree(c);
        ts_cleanup(&s);
        return tap_skip_all("this server has no EVAL yet (issue 24)");
    }
    freeReplyObject(r);
    test_cases(c);
    test_through_argv(c);
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
