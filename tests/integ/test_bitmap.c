/* test_bitmap.c - the bitmap commands against a real server: SETBIT GETBIT BITCOUNT BITPOS
 * BITOP BITFIELD BITFIELD_RO with every option and every error text, the order in which
 * Redis 7.0 reads a line (a missing key answering before a bad range), bitmaps that cross
 * the 4096-byte fragment boundaries and the fragment threshold both ways (the server runs
 * with --string-fragment-threshold 256, so a 257-byte string is already fragmented),
 * BITCOUNT/BITPOS ranges spanning fragments and the end of the string checked against a
 * model kept here, BITOP over mixed lengths and missing keys, BITFIELD fields straddling
 * fragments, WATCH, expiry, proto-max-bulk-len and a restart. Every expectation holds
 * against redis-server 7.0 too (OMK_TEST_SERVER=host:port runs this program against it). */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/harness.h"

#define NOTINT "ERR value is not an integer or out of range"
#define SYNTAX "ERR syntax error"
#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define BADOFF "ERR bit offset is not an integer or out of range"
#define BADBIT "ERR bit is not an integer or out of range"
#define BADTYPE                                                                              \
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported "  \
    "but i64 is."

#define FRAG 4096       /* bytes of a fragment (store/format.h) */
#define THRESHOLD 256   /* --string-fragment-threshold of the server started here */

/* ---- helpers ---- */

/* The reply to 'line' (split on spaces by hiredis; no '%' in it) is error 'want'. */
static void line_is_error(redisContext *c, const char *line, const char *want)
{
    char name[300];

    snprintf(name, sizeof(name), "%s -> %s", line, want);
    is_error(cmd(c, line), want, name);
}

/* The reply to 'line' is integer 'want'. */
static void line_is_int(redisContext *c, const char *line, long long want)
{
    char name[300];

    snprintf(name, sizeof(name), "%s -> %lld", line, want);
    is_integer(cmd(c, line), want, name);
}

/* The reply 'r' is an array of integers and nils as the words of 'want' say ("1 (nil) -3";
 * "" for an empty array). Frees 'r'. */
static void is_ints(redisReply *r, const char *want, const char *name)
{
    char buf[600], *save = NULL;
    size_t i = 0;
    int good = r && r->type == REDIS_REPLY_ARRAY;

    snprintf(buf, sizeof(buf), "%s", want);
    for (char *w = strtok_r(buf, " ", &save); good && w; w = strtok_r(NULL, " ", &save), i++) {
        const redisReply *e = i < r->elements ? r->element[i] : NULL;

        if (!e)
            good = 0;
        else if (!strcmp(w, "(nil)"))
            good = e->type == REDIS_REPLY_NIL;
        else
            good = e->type == REDIS_REPLY_INTEGER && e->integer == strtoll(w, NULL, 10);
    }
    good = good && i == r->elements;
    if (!ok(good, "%s -> [%s]", name, want)) {
        ts_diag_reply(r);
        for (size_t k = 0; r && r->type == REDIS_REPLY_ARRAY && k < r->elements; k++) {
            const redisReply *e = r->element[k];

            diag("  [%zu] type %d %lld", k, e->type, e->integer);
        }
    }
    freeReplyObject(r);
}

/* The reply to 'line' is the array 'want' (is_ints). */
static void line_is_ints(redisContext *c, const char *line, const char *want)
{
    is_ints(cmd(c, line), want, line);
}

/* EXEC's reply after WATCH: 1 when it ran (an array), 0 when a watched key changed (nil). */
static int exec_ran(redisContext *c)
{
    redisReply *r = cmd(c, "EXEC");
    int ran = r && r->type == REDIS_REPLY_ARRAY;

    freeReplyObject(r);
    return ran;
}

/* ---- a model of one string ---- */

struct model {
    unsigned char *p;
    size_t len, cap;
};

static void m_grow(struct model *m, size_t len)
{
    if (len > m->cap) {
        m->cap = len * 2;
        m->p = omk_realloc(m->p, m->cap);
    }
    if (len > m->len) {
        memset(m->p + m->len, 0, len - m->len);
        m->len = len;
    }
}

static int m_bit(const struct model *m, uint64_t i)
{
    return i / 8 < m->len ? (m->p[i / 8] >> (7 - i % 8)) & 1 : 0;
}

static void m_setbit(struct model *m, uint64_t i, int bit)
{
    m_grow(m, (size_t)(i / 8 + 1));
    m->p[i / 8] = (unsigned char)((m->p[i / 8] & ~(1u << (7 - i % 8))) |
                                  ((unsigned)bit << (7 - i % 8)));
}

static void m_free(struct model *m)
{
    omk_free(m->p);
    memset(m, 0, sizeof(*m));
}

/* Clamp a range as Redis 7.0's BITCOUNT and BITPOS do (written here from the documented
 * rules, independently of the server): 1 with bits [*first, *last], or 0 when empty. */
static int m_clamp(size_t len, long long start, long long end, int in_bits, uint64_t *first,
                   uint64_t *last)
{
    long long total = (long long)(in_bits ? len * 8 : len);

    if (start < 0)
        start += total;
    if (end < 0)
        end += total;
    if (start < 0)
        start = 0;
    if (end < 0)
        end = 0;
    if (end >= total)
        end = total - 1;
    if (start > end)
        return 0;
    *first = in_bits ? (uint64_t)start : (uint64_t)start * 8;
    *last = in_bits ? (uint64_t)end : (uint64_t)end * 8 + 7;
    return 1;
}

static long long m_bitcount(const struct model *m, long long start, long long end, int in_bits)
{
    uint64_t a, z;
    long long n = 0;

    if ((start < 0 && end < 0 && start > end) || !m_clamp(m->len, start, end, in_bits, &a, &z))
        return 0;
    for (uint64_t i = a; i <= z; i++)
        n += m_bit(m, i);
    return n;
}

static long long m_bitpos(const struct model *m, int bit, long long start, long long end,
                          int end_given, int in_bits)
{
    uint64_t a, z;

    if (!m_clamp(m->len, start, end_given ? end : -1, in_bits, &a, &z))
        return -1;
    for (uint64_t i = a; i <= z; i++)
        if (m_bit(m, i) == bit)
            return (long long)i;
    return bit == 0 && !end_given ? (long long)z + 1 : -1;
}

/* The value of 'key' equals the model (GET). */
static void is_model(redisContext *c, const char *key, const struct model *m, const char *name)
{
    is_str(cmd(c, "GET %s", key), (const char *)m->p, m->len, name);
}

/* ---- SETBIT and GETBIT -------------------------------------------------------------------- */

static void test_setbit_getbit(redisContext *c)
{
    diag("---- SETBIT GETBIT");
    line_is_int(c, "SETBIT b 7 1", 0);
    is_str(cmd(c, "GET b"), "\x01", 1, "SETBIT b 7 1 makes \\x01");
    line_is_int(c, "SETBIT b 7 1", 1);
    line_is_int(c, "SETBIT b 7 0", 1);
    line_is_int(c, "SETBIT b 0 1", 0);
    is_str(cmd(c, "GET b"), "\x80", 1, "bit 0 is the top bit of byte 0");
    line_is_int(c, "SETBIT b 100 1", 0);
    line_is_int(c, "STRLEN b", 13);
    is_str(cmd(c, "GETRANGE b 1 12"), "\0\0\0\0\0\0\0\0\0\0\0\x08", 12,
           "the string grew with zero bytes up to the bit");
    line_is_int(c, "GETBIT b 0", 1);
    line_is_int(c, "GETBIT b 1", 0);
    line_is_int(c, "GETBIT b 100", 1);
    line_is_int(c, "GETBIT b 101", 0);
    line_is_int(c, "GETBIT b 104", 0);
    line_is_int(c, "GETBIT b 4294967295", 0);
    line_is_int(c, "GETBIT missing 3", 0);
    line_is_int(c, "EXISTS missing", 0);
    line_is_int(c, "STRLEN b", 13);

    is_status(cmd(c, "SET s a"), "OK", "SET s a (0x61)");
    line_is_int(c, "GETBIT s 1", 1);
    line_is_int(c, "GETBIT s 2", 1);
    line_is_int(c, "GETBIT s 3", 0);
    line_is_int(c, "SETBIT s 6 1", 0);
    is_str(cmd(c, "GET s"), "c", 1, "SETBIT s 6 1 makes 'c'");
    is_status(cmd(c, "SET n 12"), "OK", "SET n 12");
    is_str(cmd(c, "OBJECT ENCODING n"), "int", 3, "an int-encoded string");
    line_is_int(c, "GETBIT n 2", 1);
    line_is_int(c, "SETBIT n 7 0", 1);
    is_str(cmd(c, "OBJECT ENCODING n"), "raw", 3, "... is raw after a SETBIT");
    is_str(cmd(c, "GET n"), "02", 2, "... which cleared the low bit of '1'");

    line_is_error(c, "SETBIT b -1 1", BADOFF);
    line_is_error(c, "SETBIT b x 1", BADOFF);
    line_is_error(c, "SETBIT b 1.5 1", BADOFF);
    line_is_error(c, "SETBIT b 4294967296 1", BADOFF);
    line_is_error(c, "SETBIT b 9223372036854775808 1", BADOFF);
    line_is_error(c, "GETBIT b 4294967296", BADOFF);
    line_is_error(c, "GETBIT b -1", BADOFF);
    line_is_error(c, "GETBIT missing x", BADOFF);
    line_is_error(c, "SETBIT b 1 2", BADBIT);
    line_is_error(c, "SETBIT b 1 -1", BADBIT);
    line_is_error(c, "SETBIT b 1 x", BADBIT);
    line_is_error(c, "SETBIT b 1 01", BADBIT);
    line_is_error(c, "SETBIT b 1 +1", BADBIT);
    line_is_error(c, "SETBIT b x 2", BADOFF);
    line_is_int(c, "STRLEN b", 13);
    is_integer(cmd(c, "RPUSH l x"), 1, "a list l");
    line_is_error(c, "SETBIT l 1 1", WRONGTYPE);
    line_is_error(c, "GETBIT l 1", WRONGTYPE);
    line_is_error(c, "GETBIT l x", BADOFF); /* the offset is read first */
    line_is_error(c, "SETBIT l 1 5", BADBIT);
    line_is_error(c, "SETBIT b 1", "ERR wrong number of arguments for 'setbit' command");
    line_is_error(c, "GETBIT b", "ERR wrong number of arguments for 'getbit' command");
    line_is_error(c, "GETBIT b 1 2", "ERR wrong number of arguments for 'getbit' command");

    /* the expiry stays */
    is_status(cmd(c, "SET t a PX 100000"), "OK", "SET t with a TTL");
    line_is_int(c, "SETBIT t 100 1", 0);
    {
        redisReply *r = cmd(c, "PTTL t");

        ok(r && r->type == REDIS_REPLY_INTEGER && r->integer > 90000, "SETBIT keeps the TTL");
        freeReplyObject(r);
    }
    is_status(cmd(c, "SET t2 a PX 1"), "OK", "SET t2 with a 1 ms TTL");
    ts_sleep_ms(20);
    line_is_int(c, "SETBIT t2 1 1", 0);
    is_str(cmd(c, "GET t2"), "@", 1, "SETBIT on an expired key starts from nothing");
    line_is_int(c, "TTL t2", -1);
}

/* ---- fragments and the threshold ------------------------------------------------------------ */

/* Bits around the places where the form of a value changes: the threshold, the fragment
 * boundaries. */
static const uint64_t edge_bytes[] = {0,        1,           THRESHOLD - 1, THRESHOLD,
                                      THRESHOLD + 1, FRAG - 1,   FRAG,          FRAG + 1,
                                      2 * FRAG - 1,  2 * FRAG,   3 * FRAG + 7,  5 * FRAG - 1};

static void test_fragments(redisContext *c)
{
    struct model m = {0};
    int bad = 0;

    diag("---- bitmaps across fragments and the threshold");
    /* Grow a small value past the threshold one bit at a time, then across fragments. */
    is_status(cmd(c, "SET g ab"), "OK", "SET g ab: small");
    m_grow(&m, 2);
    memcpy(m.p, "ab", 2);
    for (size_t i = 0; i < OMK_ARRAY_LEN(edge_bytes); i++) {
        for (int b = 0; b < 8; b += 7) {
            uint64_t bit = edge_bytes[i] * 8 + (uint64_t)b;
            redisReply *r = cmd(c, "SETBIT g %llu 1", (unsigned long long)bit);

            bad += !r || r->type != REDIS_REPLY_INTEGER || r->integer != m_bit(&m, bit);
            freeReplyObject(r);
            m_setbit(&m, bit, 1);
        }
    }
    ok(bad == 0, "SETBIT at the edges of the threshold and of fragments: each old bit right");
    is_integer(cmd(c, "STRLEN g"), (long long)m.len, "STRLEN after the growth");
    is_model(c, "g", &m, "GET g equals the model (zero fragments in between)");
    bad = 0;
    for (size_t i = 0; i < OMK_ARRAY_LEN(edge_bytes); i++) {
        for (int b = -1; b < 9; b++) {
            long long bit = (long long)edge_bytes[i] * 8 + b;
            redisReply *r;

            if (bit < 0)
                continue;
            r = cmd(c, "GETBIT g %lld", bit);
            bad += !r || r->type != REDIS_REPLY_INTEGER || r->integer != m_bit(&m, (uint64_t)bit);
            freeReplyObject(r);
        }
    }
    ok(bad == 0, "GETBIT around every edge matches the model");
    is_integer(cmd(c, "BITCOUNT g"), m_bitcount(&m, 0, -1, 0), "BITCOUNT g whole");

    /* Clear the bits again: the value keeps its length, its fragments read zero. */
    bad = 0;
    for (size_t i = 0; i < OMK_ARRAY_LEN(edge_bytes); i++) {
        uint64_t bit = edge_bytes[i] * 8 + 7;
        redisReply *r = cmd(c, "SETBIT g %llu 0", (unsigned long long)bit);

        bad += !r || r->type != REDIS_REPLY_INTEGER || r->integer != 1;
        freeReplyObject(r);
        m_setbit(&m, bit, 0);
    }
    ok(bad == 0, "SETBIT ... 0 at each edge: the old bit was 1");
    is_model(c, "g", &m, "GET g after clearing");
    is_integer(cmd(c, "BITCOUNT g"), m_bitcount(&m, 0, -1, 0), "BITCOUNT g after clearing");

    /* APPEND and SETRANGE over a bitmap, then bit reads of what they wrote. */
    is_integer(cmd(c, "APPEND g %b", "\xff\x0f", (size_t)2), (long long)m.len + 2,
               "APPEND two bytes to the bitmap");
    m_grow(&m, m.len + 2);
    m.p[m.len - 2] = 0xff;
    m.p[m.len - 1] = 0x0f;
    is_integer(cmd(c, "SETRANGE g %d %b", FRAG - 2, "\xaa\xbb\xcc\xdd", (size_t)4),
               (long long)m.len, "SETRANGE across the first fragment boundary");
    memcpy(m.p + FRAG - 2, "\xaa\xbb\xcc\xdd", 4);
    is_model(c, "g", &m, "GET g after APPEND and SETRANGE");
    is_integer(cmd(c, "GETBIT g %llu", (unsigned long long)(m.len * 8 - 1)), 1,
               "GETBIT of the last appended bit");
    is_integer(cmd(c, "BITPOS g 1 %d", FRAG - 1), FRAG * 8 - 8, "BITPOS finds the SETRANGE byte");
    is_integer(cmd(c, "BITCOUNT g %d %d", FRAG - 2, FRAG + 1), m_bitcount(&m, FRAG - 2, FRAG + 1, 0),
               "BITCOUNT of the four bytes across the boundary");

    /* A small value that SETBIT moves past the threshold in one step. */
    is_status(cmd(c, "SET small xyz"), "OK", "SET small xyz");
    is_integer(cmd(c, "SETBIT small %d 1", 3 * FRAG * 8 + 3), 0, "SETBIT small three fragments on");
    is_integer(cmd(c, "STRLEN small"), 3 * FRAG + 1, "... its length");
    is_str(cmd(c, "GETRANGE small 0 3"), "xyz\0", 4, "... the old bytes and zeros follow");
    is_integer(cmd(c, "BITCOUNT small"), 4 + 5 + 5 + 1, "... BITCOUNT: x y z and the new bit");
    is_integer(cmd(c, "BITPOS small 1 3"), 3 * FRAG * 8 + 3, "... BITPOS from byte 3 skips the zero fragments");
    is_integer(cmd(c, "BITPOS small 0 %d", 3 * FRAG), 3 * FRAG * 8, "... a 0 in the last byte");

    /* BITFIELD fields that straddle a fragment boundary (and the 9th byte of a 64-bit
     * field at bit 7), in a value fragmented by a far bit first. */
    line_is_int(c, "SETBIT gf 320000 1", 0);
    line_is_ints(c, "BITFIELD gf SET i64 32761 -2 GET i64 32761 GET u63 32761",
                 "0 -2 9223372036854775807");
    line_is_ints(c, "BITFIELD gf INCRBY i64 32761 3 GET u8 32760 GET u8 32824", "1 0 128");
    line_is_ints(c, "BITFIELD gf SET u16 32760 65535 GET u4 32764 GET u8 32768", "0 15 255");
    line_is_ints(c, "BITFIELD_RO gf GET u16 32760 GET u8 32824", "65535 128");
    line_is_int(c, "BITCOUNT gf", 16 + 1 + 1);
    line_is_int(c, "STRLEN gf", 40001);
    m_free(&m);
}

/* ---- BITCOUNT ------------------------------------------------------------------------------- */

/* A bitmap of 'n' bytes with runs of zeros, ones and random bytes, stored at 'key' with
 * SET, kept in 'm'. */
static void make_bitmap(redisContext *c, const char *key, struct model *m, size_t n)
{
    m_free(m);
    m_grow(m, n);
    for (size_t i = 0; i < n;) {
        size_t run = 1 + (size_t)(rand() % 700);
        int kind = rand() % 3;

        for (; run > 0 && i < n; run--, i++)
            m->p[i] = kind == 0 ? 0x00 : kind == 1 ? 0xff : (unsigned char)rand();
    }
    is_status(cmd(c, "SET %s %b", key, m->p, m->len), "OK", "SET a bitmap of runs");
}

/* A random index for ranges over 'len' units: near the ends, inside, or out of range. */
static long long rnd_index(long long len)
{
    switch (rand() % 6) {
    case 0: return rand() % 20 - 10;
    case 1: return len - 10 + rand() % 20;
    case 2: return -(rand() % (len + 20));
    default: return rand() % (len + 10);
    }
}

static void test_bitcount(redisContext *c)
{
    struct model m = {0};
    int bad = 0;

    diag("---- BITCOUNT");
    is_status(cmd(c, "SET foo foobar"), "OK", "SET foo foobar");
    line_is_int(c, "BITCOUNT foo", 26);
    line_is_int(c, "BITCOUNT foo 0 0", 4);
    line_is_int(c, "BITCOUNT foo 1 1", 6);
    line_is_int(c, "BITCOUNT foo 1 1 BYTE", 6);
    line_is_int(c, "BITCOUNT foo 5 30 BIT", 17);
    line_is_int(c, "BITCOUNT foo 5 30 bit", 17);
    line_is_int(c, "BITCOUNT foo -2 -1 BIT", 1);
    line_is_int(c, "BITCOUNT foo 0 -1", 26);
    line_is_int(c, "BITCOUNT foo -100 100", 26);
    line_is_int(c, "BITCOUNT foo 1 0", 0);
    line_is_int(c, "BITCOUNT foo -1 -2", 0);
    line_is_int(c, "BITCOUNT foo -1 -2 FOO", 0); /* empty before the unit is read */
    line_is_int(c, "BITCOUNT foo 6 10", 0);
    line_is_int(c, "BITCOUNT foo -9223372036854775808 9223372036854775807 BIT", 26);
    line_is_int(c, "BITCOUNT missing", 0);
    line_is_int(c, "BITCOUNT missing 0 1 FOO", 0); /* the key is looked up first */
    line_is_int(c, "BITCOUNT missing a b", 0);
    line_is_int(c, "BITCOUNT missing 0", 0);
    line_is_int(c, "BITCOUNT missing 0 1 BIT x", 0);
    is_status(cmd(c, "SET empty %s", ""), "OK", "SET empty ''");
    line_is_int(c, "BITCOUNT empty", 0);
    line_is_int(c, "BITCOUNT empty 0 -1 BIT", 0);
    line_is_error(c, "BITCOUNT foo 0", SYNTAX);
    line_is_error(c, "BITCOUNT foo 0 1 FOO", SYNTAX);
    line_is_error(c, "BITCOUNT foo 0 1 BIT x", SYNTAX);
    line_is_error(c, "BITCOUNT foo a 1", NOTINT);
    line_is_error(c, "BITCOUNT foo 0 b", NOTINT);
    line_is_error(c, "BITCOUNT foo 0 b FOO", NOTINT);
    line_is_error(c, "BITCOUNT foo 0 9223372036854775808", NOTINT);
    line_is_error(c, "BITCOUNT l", WRONGTYPE);
    line_is_error(c, "BITCOUNT l 0 1 FOO", WRONGTYPE);
    line_is_error(c, "BITCOUNT l a b", WRONGTYPE);
    line_is_error(c, "BITCOUNT", "ERR wrong number of arguments for 'bitcount' command");

    /* Ranges over a bitmap of several fragments, against the model. */
    make_bitmap(c, "big", &m, 5 * FRAG + 123);
    is_integer(cmd(c, "BITCOUNT big"), m_bitcount(&m, 0, -1, 0), "BITCOUNT of the whole bitmap");
    for (int i = 0; i < 300; i++) {
        int in_bits = rand() % 2;
        long long len = (long long)m.len * (in_bits ? 8 : 1);
        long long start = rnd_index(len), end = rnd_index(len);
        long long want = m_bitcount(&m, start, end, in_bits);
        redisReply *r = cmd(c, "BITCOUNT big %lld %lld %s", start, end, in_bits ? "BIT" : "BYTE");

        if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != want) {
            if (bad++ < 5)
                diag("  BITCOUNT big %lld %lld %s: want %lld", start, end,
                     in_bits ? "BIT" : "BYTE", want);
        }
        freeReplyObject(r);
    }
    ok(bad == 0, "300 random BITCOUNT ranges over 5 fragments (BYTE and BIT) match the model");
    is_integer(cmd(c, "BITCOUNT big %d %d BIT", FRAG * 8 - 3, FRAG * 8 + 2),
               m_bitcount(&m, FRAG * 8 - 3, FRAG * 8 + 2, 1), "six bits across a boundary");
    is_integer(cmd(c, "BITCOUNT big -5 -1 BIT"), m_bitcount(&m, -5, -1, 1), "the last five bits");
    m_free(&m);
}

/* ---- BITPOS --------------------------------------------------------------------------------- */

static void test_bitpos(redisContext *c)
{
    struct model m = {0};
    int bad = 0;

    diag("---- BITPOS");
    is_status(cmd(c, "SET p %b", "\xff\xf0\x00", (size_t)3), "OK", "SET p ff f0 00");
    line_is_int(c, "BITPOS p 0", 12);
    line_is_int(c, "BITPOS p 1", 0);
    line_is_int(c, "BITPOS p 1 2", -1);
    line_is_int(c, "BITPOS p 1 1", 8);
    line_is_int(c, "BITPOS p 0 2", 16);
    line_is_int(c, "BITPOS p 1 2 -1 BYTE", -1);
    line_is_int(c, "BITPOS p 1 7 15 BIT", 7);
    line_is_int(c, "BITPOS p 0 7 11 BIT", -1); /* ones only, end given */
    line_is_int(c, "BITPOS p 0 7 12 bit", 12);
    line_is_int(c, "BITPOS p 1 -9 -1 BIT", -1);
    line_is_int(c, "BITPOS p 1 100", -1);
    line_is_int(c, "BITPOS p 0 100", -1);
    line_is_int(c, "BITPOS p 0 1 0", -1);
    is_status(cmd(c, "SET ones %b", "\xff\xff", (size_t)2), "OK", "SET ones ff ff");
    line_is_int(c, "BITPOS ones 0", 16);   /* no end given: the padding past the end */
    line_is_int(c, "BITPOS ones 0 1", 16);
    line_is_int(c, "BITPOS ones 0 0 -1", -1); /* end given: none in range */
    line_is_int(c, "BITPOS ones 0 0 -1 BIT", -1);
    line_is_int(c, "BITPOS ones 1 -1", 8);
    line_is_int(c, "BITPOS empty 0", -1);
    line_is_int(c, "BITPOS empty 1", -1);
    line_is_int(c, "BITPOS missing 0", 0);
    line_is_int(c, "BITPOS missing 1", -1);
    line_is_int(c, "BITPOS missing 0 x", 0);  /* the key is looked up first */
    line_is_int(c, "BITPOS missing 1 1 2 3 4 5", -1);
    line_is_error(c, "BITPOS missing 2", "ERR The bit argument must be 1 or 0.");
    line_is_error(c, "BITPOS p 2", "ERR The bit argument must be 1 or 0.");
    line_is_error(c, "BITPOS p -1", "ERR The bit argument must be 1 or 0.");
    line_is_error(c, "BITPOS p x", NOTINT);
    line_is_error(c, "BITPOS l x", NOTINT);
    line_is_error(c, "BITPOS l 2", "ERR The bit argument must be 1 or 0.");
    line_is_error(c, "BITPOS l 1", WRONGTYPE);
    line_is_error(c, "BITPOS l 0 x", WRONGTYPE);
    line_is_error(c, "BITPOS p 0 x", NOTINT);
    line_is_error(c, "BITPOS p 0 1 x", NOTINT);
    line_is_error(c, "BITPOS p 0 1 2 FOO", SYNTAX);
    line_is_error(c, "BITPOS p 0 1 x FOO", SYNTAX); /* the unit is read before the end */
    line_is_error(c, "BITPOS p 0 x 2 FOO", NOTINT);
    line_is_error(c, "BITPOS p 0 3 BIT", NOTINT);    /* BIT needs an end */
    line_is_error(c, "BITPOS p 0 1 2 BIT x", SYNTAX);
    line_is_error(c, "BITPOS p", "ERR wrong number of arguments for 'bitpos' command");

    /* A bitmap of long runs over several fragments, against the model. */
    make_bitmap(c, "big", &m, 5 * FRAG + 77);
    for (int i = 0; i < 400; i++) {
        int in_bits = rand() % 2, end_given = in_bits || rand() % 3, bit = rand() % 2;
        long long len = (long long)m.len * (in_bits ? 8 : 1);
        long long start = rnd_index(len), end = rnd_index(len);
        long long want = m_bitpos(&m, bit, start, end, end_given, in_bits);
        redisReply *r = end_given ? cmd(c, "BITPOS big %d %lld %lld %s", bit, start, end,
                                        in_bits ? "BIT" : "BYTE")
                                  : cmd(c, "BITPOS big %d %lld", bit, start);

        if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != want) {
            if (bad++ < 5)
                diag("  BITPOS big %d %lld %lld %s (end %s): want %lld, got %lld", bit, start,
                     end, in_bits ? "BIT" : "BYTE", end_given ? "given" : "not given", want,
                     r ? r->integer : -99);
        }
        freeReplyObject(r);
    }
    ok(bad == 0, "400 random BITPOS searches over 5 fragments match the model");

    /* Long zero and one runs across fragments: the search steps over whole fragments. */
    m_free(&m);
    m_grow(&m, 4 * FRAG + 10);
    memset(m.p + FRAG, 0xff, 2 * FRAG + 5);
    m.p[4 * FRAG + 9] = 0x01;
    is_status(cmd(c, "SET runs %b", m.p, m.len), "OK", "SET runs: zeros, ones, zeros");
    is_integer(cmd(c, "BITPOS runs 1"), FRAG * 8, "the first 1 after a zero fragment");
    is_integer(cmd(c, "BITPOS runs 0 %d", FRAG), (3 * FRAG + 5) * 8,
               "the first 0 after two fragments of ones");
    is_integer(cmd(c, "BITPOS runs 1 %d", 3 * FRAG + 5), (4 * FRAG + 9) * 8 + 7,
               "the last bit of the string");
    is_integer(cmd(c, "BITPOS runs 1 -1 -1"), (4 * FRAG + 9) * 8 + 7, "... from -1");
    is_integer(cmd(c, "SETBIT runs %d 1", (4 * FRAG + 10) * 8 + 50000), 0, "SETBIT far past the end");
    is_integer(cmd(c, "BITPOS runs 1 %d", 4 * FRAG + 10), (4 * FRAG + 10) * 8 + 50000,
               "BITPOS skips the zero fragments SETBIT left");
    m_free(&m);
}

/* ---- BITOP ---------------------------------------------------------------------------------- */

/* The result of BITOP 'op' over 'n' models (NULL: a missing key), as Redis defines it. */
static void m_bitop(struct model *out, const char *op, struct model **src, int n)
{
    size_t len = 0;

    for (int i = 0; i < n; i++)
        if (src[i] && src[i]->len > len)
            len = src[i]->len;
    m_free(out);
    m_grow(out, len);
    for (size_t j = 0; j < len; j++) {
        unsigned v = src[0] && j < src[0]->len ? src[0]->p[j] : 0;

        if (!strcmp(op, "NOT"))
            v = ~v;
        for (int i = 1; i < n; i++) {
            unsigned b = src[i] && j < src[i]->len ? src[i]->p[j] : 0;

            v = !strcmp(op, "AND") ? v & b : !strcmp(op, "OR") ? v | b : v ^ b;
        }
        out->p[j] = (unsigned char)v;
    }
}

static void test_bitop(redisContext *c)
{
    static const char *const ops[] = {"AND", "OR", "XOR"};
    struct model a = {0}, b = {0}, d = {0}, want = {0};

    diag("---- BITOP");
    is_status(cmd(c, "SET k1 foobar"), "OK", "SET k1 foobar");
    is_status(cmd(c, "SET k2 abcdef"), "OK", "SET k2 abcdef");
    line_is_int(c, "BITOP AND dest k1 k2", 6);
    is_str(cmd(c, "GET dest"), "`bc`ab", 6, "AND");
    line_is_int(c, "BITOP OR dest k1 k2", 6);
    is_str(cmd(c, "GET dest"), "goofev", 6, "OR");
    line_is_int(c, "BITOP XOR dest k1 k2", 6);
    is_str(cmd(c, "GET dest"), "\x07\x0d\x0c\x06\x04\x14", 6, "XOR");
    line_is_int(c, "BITOP NOT dest k1", 6);
    is_str(cmd(c, "GET dest"), "\x99\x90\x90\x9d\x9e\x8d", 6, "NOT");
    is_str(cmd(c, "OBJECT ENCODING dest"), "raw", 3, "the result is raw");
    is_status(cmd(c, "SET one 1"), "OK", "SET one 1 (an int)");
    line_is_int(c, "BITOP OR d2 one", 1);
    is_str(cmd(c, "OBJECT ENCODING d2"), "raw", 3, "... a copy of an int string is raw too");
    line_is_int(c, "bitop and dest k1", 6); /* any case */
    is_str(cmd(c, "GET dest"), "foobar", 6, "AND of one key copies it");

    /* Mixed lengths and missing keys: shorter ones read as zero-padded. */
    is_status(cmd(c, "SET short %b", "\xf0", (size_t)1), "OK", "SET short f0");
    line_is_int(c, "BITOP AND dest k1 short", 6);
    is_str(cmd(c, "GET dest"), "\x60\0\0\0\0\0", 6, "AND with a shorter key: zeros past it");
    line_is_int(c, "BITOP OR dest short k1", 6);
    is_str(cmd(c, "GET dest"), "\xf6oobar", 6, "OR with the shorter key first");
    line_is_int(c, "BITOP AND dest k1 missing", 6);
    is_str(cmd(c, "GET dest"), "\0\0\0\0\0\0", 6, "AND with a missing key: all zero");
    line_is_int(c, "BITOP XOR dest missing k1 missing", 6);
    is_str(cmd(c, "GET dest"), "foobar", 6, "XOR with missing keys");
    line_is_int(c, "BITOP NOT dest missing", 0);
    line_is_int(c, "EXISTS dest", 0);
    line_is_int(c, "BITOP OR dest missing empty", 0);
    line_is_int(c, "EXISTS dest", 0);
    line_is_int(c, "BITOP XOR k1 k1", 6); /* a key with itself, into itself */
    is_str(cmd(c, "GET k1"), "foobar", 6, "XOR k1 into k1 keeps it");
    line_is_int(c, "BITOP XOR k1 k1 k1", 6);
    is_str(cmd(c, "GET k1"), "\0\0\0\0\0\0", 6, "XOR of k1 with itself into k1: zeros");
    is_status(cmd(c, "SET k1 foobar"), "OK", "SET k1 foobar again");

    /* The destination is replaced whatever it held, expiry included. */
    is_integer(cmd(c, "RPUSH dl a b"), 2, "a list as destination");
    line_is_int(c, "BITOP OR dl k1", 6);
    is_status(cmd(c, "TYPE dl"), "string", "BITOP replaced the list");
    is_status(cmd(c, "SET dt v EX 100"), "OK", "a destination with a TTL");
    line_is_int(c, "BITOP OR dt k1", 6);
    line_is_int(c, "TTL dt", -1);
    line_is_int(c, "BITOP OR dt missing", 0);
    line_is_int(c, "EXISTS dt", 0);

    line_is_error(c, "BITOP FOO dest k1", SYNTAX);
    line_is_error(c, "BITOP ANDX dest k1", SYNTAX);
    line_is_error(c, "BITOP NOT dest k1 k2", "ERR BITOP NOT must be called with a single source key.");
    line_is_error(c, "BITOP AND dest k1 l", WRONGTYPE);
    line_is_error(c, "BITOP AND dest l missing", WRONGTYPE);
    line_is_error(c, "BITOP NOT dest l", WRONGTYPE);
    is_integer(cmd(c, "RPUSH ldst x"), 1, "a list ldst");
    line_is_int(c, "BITOP AND ldst k1", 6); /* a list as destination only is fine */
    line_is_error(c, "BITOP AND dest", "ERR wrong number of arguments for 'bitop' command");

    /* Sources of several fragments and of mixed lengths, against the model. */
    for (int round = 0; round < 6; round++) {
        size_t la = 1 + (size_t)(rand() % (4 * FRAG)), lb = 1 + (size_t)(rand() % (4 * FRAG));
        struct model *src[4];
        const char *op = ops[round % 3];

        if (round == 4)
            la = 100; /* one whole, one fragmented */
        if (round == 5)
            lb = THRESHOLD + 1;
        make_bitmap(c, "ba", &a, la);
        make_bitmap(c, "bb", &b, lb);
        src[0] = &a;
        src[1] = NULL;
        src[2] = &b;
        src[3] = &a;
        m_bitop(&want, op, src, 4);
        is_integer(cmd(c, "BITOP %s bd ba missing bb ba", op), (long long)want.len,
                   "BITOP over big sources and a missing key: the length");
        is_model(c, "bd", &want, "... the result equals the model");
        m_bitop(&want, "NOT", src + 2, 1);
        is_integer(cmd(c, "BITOP NOT bd bb"), (long long)want.len, "BITOP NOT of a big source");
        is_model(c, "bd", &want, "... equals the model");
        src[0] = &b;
        src[1] = &a;
        m_bitop(&d, op, src, 2);
        is_integer(cmd(c, "BITOP %s bb bb ba", op), (long long)d.len,
                   "BITOP into one of its big sources");
        is_model(c, "bb", &d, "... equals the model");
    }
    m_free(&a);
    m_free(&b);
    m_free(&d);
    m_free(&want);
}

/* ---- BITFIELD ------------------------------------------------------------------------------- */

static void test_bitfield(redisContext *c)
{
    diag("---- BITFIELD BITFIELD_RO");
    line_is_ints(c, "BITFIELD bf SET i8 0 100 GET i8 0 INCRBY i8 0 100 GET u8 0", "0 100 -56 200");
    line_is_ints(c, "BITFIELD bf INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1",
                 "1 1");
    line_is_ints(c, "BITFIELD mykey INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1", "1 1");
    line_is_ints(c, "BITFIELD mykey INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1", "2 2");
    line_is_ints(c, "BITFIELD mykey INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1", "3 3");
    line_is_ints(c, "BITFIELD mykey INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1", "0 3");
    line_is_ints(c, "BITFIELD mykey OVERFLOW FAIL INCRBY u2 102 1 GET u2 102", "(nil) 3");
    line_is_ints(c, "BITFIELD h SET u8 #0 255 SET u8 #1 1 GET u16 0 GET u8 #1", "0 0 65281 1");
    line_is_ints(c, "BITFIELD h GET i64 0 GET u63 1 GET u1 0 GET i1 0", "-71776119061217280 "
                 "9151595917793558528 1 -1");
    line_is_ints(c, "BITFIELD w OVERFLOW WRAP INCRBY i64 0 9223372036854775807 "
                 "INCRBY i64 0 1 OVERFLOW SAT INCRBY i64 0 -1 INCRBY i64 0 -9223372036854775808",
                 "9223372036854775807 -9223372036854775808 -9223372036854775808 "
                 "-9223372036854775808");
    line_is_ints(c, "BITFIELD u SET u63 0 -1 GET u63 0 OVERFLOW SAT SET u63 0 -1 GET u63 0 "
                 "OVERFLOW FAIL SET u63 0 -1 SET i8 100 200 GET i8 100 SET u1 7 2",
                 "0 9223372036854775807 9223372036854775807 9223372036854775807 (nil) (nil) 0 "
                 "(nil)");
    line_is_ints(c, "BITFIELD q OVERFLOW SAT SET i4 0 -9223372036854775808 GET i4 0 "
                 "SET i4 0 -9223372036854775800 GET i4 0", "0 7 7 -8");
    line_is_ints(c, "bitfield q overflow wrap incrby i4 0 -1 incrby i4 0 -1", "7 6");
    is_ints(cmd(c, "BITFIELD q %b u4 0 GET %b 0", "get\0x", (size_t)5, "u4\0zz", (size_t)5),
            "6 6", "words and types are read up to a NUL byte, as Redis' strcasecmp reads them");
    line_is_ints(c, "BITFIELD q", "");
    line_is_ints(c, "BITFIELD missing", "");
    line_is_ints(c, "BITFIELD missing GET u8 0 GET i64 #5", "0 0");
    line_is_int(c, "EXISTS missing", 0);
    line_is_ints(c, "BITFIELD_RO missing GET u8 0", "0");
    line_is_ints(c, "BITFIELD_RO missing OVERFLOW SAT GET u8 0", "0");
    line_is_ints(c, "BITFIELD missing GET u8 4294967295", "0");
    line_is_ints(c, "BITFIELD missing GET u8 #2305843009213693952", "0"); /* # wraps to 0 */
    line_is_int(c, "EXISTS missing", 0);
    /* A write creates the key and grows it even when every write fails. */
    line_is_ints(c, "BITFIELD fk OVERFLOW FAIL INCRBY u8 8 300", "(nil)");
    is_str(cmd(c, "GET fk"), "\0\0", 2, "a failed BITFIELD write still created the key, grown");
    is_status(cmd(c, "SET fi 12"), "OK", "SET fi 12 (int)");
    line_is_ints(c, "BITFIELD fi OVERFLOW FAIL INCRBY u8 0 1000", "(nil)");
    is_str(cmd(c, "GET fi"), "12", 2, "a failed BITFIELD write leaves the bytes");
    line_is_ints(c, "BITFIELD fi INCRBY u8 0 1", "50");
    is_str(cmd(c, "OBJECT ENCODING fi"), "raw", 3, "a BITFIELD write makes an int string raw");
    is_str(cmd(c, "GET fi"), "22", 2, "... with the new byte");
    is_status(cmd(c, "SET fr 12"), "OK", "SET fr 12 (int)");
    line_is_ints(c, "BITFIELD fr GET u8 0", "49");
    is_str(cmd(c, "OBJECT ENCODING fr"), "int", 3, "a BITFIELD of GETs does not write");
    is_status(cmd(c, "SET bt v EX 100"), "OK", "a key with a TTL");
    line_is_ints(c, "BITFIELD bt SET u8 8 65", "0");
    is_str(cmd(c, "GET bt"), "vA", 2, "BITFIELD SET past the end grows the value");
    {
        redisReply *r = cmd(c, "TTL bt");

        ok(r && r->type == REDIS_REPLY_INTEGER && r->integer > 90, "BITFIELD keeps the TTL");
        freeReplyObject(r);
    }

    line_is_error(c, "BITFIELD b GET u64 0", BADTYPE);
    line_is_error(c, "BITFIELD b GET i65 0", BADTYPE);
    line_is_error(c, "BITFIELD b GET i0 0", BADTYPE);
    line_is_error(c, "BITFIELD b GET x8 0", BADTYPE);
    line_is_error(c, "BITFIELD b GET I8 0", BADTYPE);
    line_is_error(c, "BITFIELD b GET i08 0", BADTYPE);
    line_is_error(c, "BITFIELD b GET u 0", BADTYPE);
    line_is_error(c, "BITFIELD b GET i+8 0", BADTYPE);
    line_is_error(c, "BITFIELD b GET u8 -1", BADOFF);
    line_is_error(c, "BITFIELD b GET u8 #-1", BADOFF);
    line_is_error(c, "BITFIELD b GET u8 x", BADOFF);
    line_is_error(c, "BITFIELD b GET u8 #", BADOFF);
    line_is_error(c, "BITFIELD b GET u8 4294967296", BADOFF);
    line_is_error(c, "BITFIELD b GET u8 #536870912", BADOFF);
    line_is_error(c, "BITFIELD b SET u8 #1000000000000000000 1", BADOFF);
    line_is_error(c, "BITFIELD b SET u8 0 x", NOTINT);
    line_is_error(c, "BITFIELD b INCRBY u8 0 1.5", NOTINT);
    line_is_error(c, "BITFIELD b GET u8", SYNTAX);
    line_is_error(c, "BITFIELD b SET u8 0", SYNTAX);
    line_is_error(c, "BITFIELD b GET u8 0 SET", SYNTAX);
    line_is_error(c, "BITFIELD b FOO", SYNTAX);
    line_is_error(c, "BITFIELD b OVERFLOW", SYNTAX);
    line_is_error(c, "BITFIELD b OVERFLOW FOO GET u8 0", "ERR Invalid OVERFLOW type specified");
    line_is_error(c, "BITFIELD b GET u8 0 GET u64 0", BADTYPE); /* all parsed first */
    line_is_error(c, "BITFIELD l GET u8 0", WRONGTYPE);
    line_is_error(c, "BITFIELD l SET u8 0 1", WRONGTYPE);
    line_is_error(c, "BITFIELD l", WRONGTYPE); /* no operation is a read: still typed */
    line_is_error(c, "BITFIELD_RO l", WRONGTYPE);
    line_is_error(c, "BITFIELD l GET u64 0", BADTYPE);
    line_is_error(c, "BITFIELD_RO b SET u8 0 1", "ERR BITFIELD_RO only supports the GET subcommand");
    line_is_error(c, "BITFIELD_RO b INCRBY u8 0 1 GET u8 0",
                  "ERR BITFIELD_RO only supports the GET subcommand");
    line_is_error(c, "BITFIELD_RO b SET u8 0 1 GET x 1", BADTYPE);
    line_is_error(c, "BITFIELD_RO l GET u8 0", WRONGTYPE);
    line_is_error(c, "BITFIELD_RO l SET u8 0 1", "ERR BITFIELD_RO only supports the GET subcommand");
    line_is_error(c, "BITFIELD", "ERR wrong number of arguments for 'bitfield' command");
    line_is_error(c, "BITFIELD_RO", "ERR wrong number of arguments for 'bitfield_ro' command");
}

/* ---- WATCH ---------------------------------------------------------------------------------- */

/* WATCH 'key' on 'c', run 'line' on 'other', then MULTI/PING/EXEC on 'c': 1 if EXEC ran. */
static int watch_survives(redisContext *c, redisContext *other, const char *key, const char *line)
{
    freeReplyObject(cmd(c, "WATCH %s", key));
    freeReplyObject(cmd(other, line));
    freeReplyObject(cmd(c, "MULTI"));
    freeReplyObject(cmd(c, "PING"));
    return exec_ran(c);
}

static void test_watch(redisContext *c, redisContext *other)
{
    diag("---- WATCH");
    is_status(cmd(c, "SET wk %b", "\xff", (size_t)1), "OK", "SET wk ff");
    ok(watch_survives(c, other, "wk", "SETBIT wk 0 1"),
       "SETBIT that leaves the bit as it was does not touch the key");
    ok(!watch_survives(c, other, "wk", "SETBIT wk 0 0"), "SETBIT that changes it does");
    ok(!watch_survives(c, other, "wk", "SETBIT wk 20 0"), "SETBIT that grows the value does");
    ok(!watch_survives(c, other, "wnew", "SETBIT wnew 0 0"), "SETBIT that creates the key does");
    is_status(cmd(c, "SET wk %b", "\xff", (size_t)1), "OK", "SET wk ff");
    ok(watch_survives(c, other, "wk", "BITFIELD wk OVERFLOW FAIL INCRBY u8 0 1"),
       "a BITFIELD write that fails does not touch the key");
    ok(watch_survives(c, other, "wk", "BITFIELD wk SET u8 0 255 INCRBY i8 0 0"),
       "nor one that writes the bits a field had");
    ok(!watch_survives(c, other, "wk", "BITFIELD wk SET u8 0 255 SET u4 0 1"),
       "one that changes a field does");
    ok(!watch_survives(c, other, "wk", "BITFIELD wk SET u8 16 0"),
       "one that grows the value does");
    ok(watch_survives(c, other, "wk", "BITFIELD wk GET u8 0"), "BITFIELD GET does not");
    ok(watch_survives(c, other, "wk", "GETBIT wk 0"), "GETBIT does not");
    ok(watch_survives(c, other, "wk", "BITCOUNT wk"), "BITCOUNT does not");
    ok(watch_survives(c, other, "wnone", "BITOP AND wnone missing"),
       "BITOP with an empty result on a missing destination does not");
    ok(!watch_survives(c, other, "wk", "BITOP AND wk missing"),
       "BITOP deleting the destination touches it");
    ok(!watch_survives(c, other, "wk2", "BITOP OR wk2 wnew"), "BITOP writing it too");
}

/* ---- OBJECT ENCODING after a write that changes nothing ------------------------------------- */

/* The reply to OBJECT ENCODING 'key' is 'want'. */
static void encoding_is(redisContext *c, const char *key, const char *want, const char *name)
{
    is_str(cmd(c, "OBJECT ENCODING %s", key), want, strlen(want), name);
}

/* Redis unshares the value before a SETBIT, or a BITFIELD with a SET or INCRBY, looks at
 * it, so a short string becomes "raw" even when no bit changes (clients/README.md, kind
 * 10); the reads leave it as it was. */
static void test_unshare(redisContext *c, redisContext *other)
{
    diag("---- OBJECT ENCODING after writes that change nothing");
    is_status(cmd(c, "SET ue abc"), "OK", "SET ue abc");
    encoding_is(c, "ue", "embstr", "  ... embstr");
    line_is_int(c, "SETBIT ue 1 1", 1);
    encoding_is(c, "ue", "raw", "SETBIT of a bit already set: raw");
    is_str(cmd(c, "GET ue"), "abc", 3, "  ... the value unchanged");
    is_status(cmd(c, "SET ue abc"), "OK", "SET ue abc");
    line_is_ints(c, "BITFIELD ue SET u8 0 97", "97");
    encoding_is(c, "ue", "raw", "BITFIELD SET of the bits a field had: raw");
    is_status(cmd(c, "SET ue abc"), "OK", "SET ue abc");
    line_is_ints(c, "BITFIELD ue INCRBY u8 8 0", "98");
    encoding_is(c, "ue", "raw", "BITFIELD INCRBY 0: raw");
    is_status(cmd(c, "SET ue abc"), "OK", "SET ue abc");
    line_is_ints(c, "BITFIELD ue OVERFLOW FAIL INCRBY u8 0 200", "(nil)");
    encoding_is(c, "ue", "raw", "a BITFIELD INCRBY that fails: raw");
    is_status(cmd(c, "SET ue 123"), "OK", "SET ue 123");
    encoding_is(c, "ue", "int", "  ... int");
    line_is_int(c, "SETBIT ue 2 1", 1);
    encoding_is(c, "ue", "raw", "SETBIT of a bit already set in an int: raw");
    is_str(cmd(c, "GET ue"), "123", 3, "  ... the value unchanged");
    is_status(cmd(c, "RENAME ue ue2"), "OK", "RENAME ue ue2");
    encoding_is(c, "ue2", "raw", "  ... the encoding goes with it");

    is_status(cmd(c, "SET ue abc"), "OK", "SET ue abc");
    line_is_ints(c, "BITFIELD ue GET u8 0", "97");
    line_is_ints(c, "BITFIELD_RO ue GET u8 0", "97");
    line_is_int(c, "GETBIT ue 1", 1);
    line_is_int(c, "BITCOUNT ue", 10);
    line_is_int(c, "BITPOS ue 1", 1);
    encoding_is(c, "ue", "embstr", "reads leave it embstr");
    freeReplyObject(cmd(c, "WATCH ue"));
    line_is_int(other, "SETBIT ue 1 1", 1);
    freeReplyObject(cmd(c, "MULTI"));
    freeReplyObject(cmd(c, "PING"));
    ok(exec_ran(c), "a SETBIT that only makes it raw does not touch a WATCH");
    encoding_is(c, "ue", "raw", "  ... and it is raw");
}

/* ---- proto-max-bulk-len and a restart ------------------------------------------------------- */

static void test_limits(redisContext *c)
{
    diag("---- proto-max-bulk-len");
    is_status(cmd(c, "CONFIG SET proto-max-bulk-len 1048576"), "OK", "proto-max-bulk-len 1 MB");
    line_is_error(c, "SETBIT lim 8388608 1", BADOFF);
    line_is_error(c, "GETBIT lim 8388608", BADOFF);
    line_is_error(c, "BITFIELD lim GET u8 #1048576", BADOFF);
    line_is_int(c, "SETBIT lim 8388607 1", 0);
    line_is_int(c, "STRLEN lim", 1048576);
    line_is_int(c, "BITCOUNT lim", 1);
    line_is_int(c, "BITPOS lim 1", 8388607);
    line_is_ints(c, "BITFIELD lim GET u8 8388600 INCRBY i64 8388600 1", "1 72057594037927937");
    line_is_int(c, "STRLEN lim", 1048583); /* the field reached 7 bytes past the limit */
    is_status(cmd(c, "CONFIG SET proto-max-bulk-len 536870912"), "OK", "proto-max-bulk-len back");
    line_is_int(c, "DEL lim", 1);
}

static void test_restart(struct tserver *s, redisContext **c)
{
    struct model m = {0};

    diag("---- restart (omenkv only)");
    if (s->external) {
        skip("restart: an external server cannot be restarted from here");
        return;
    }
    make_bitmap(*c, "keep", &m, 3 * FRAG + 5);
    is_integer(cmd(*c, "SETBIT keep %d 1", 5 * FRAG * 8), 0, "SETBIT past the end before the restart");
    m_setbit(&m, 5 * FRAG * 8, 1);
    is_integer(cmd(*c, "SETBIT keep 3 0"), m_bit(&m, 3), "SETBIT in the first fragment");
    m_setbit(&m, 3, 0);
    redisFree(*c);
    ok(ts_restart(s) == 0, "restart on the same data");
    *c = ts_connect(s);
    is_model(*c, "keep", &m, "the bitmap after the restart");
    is_integer(cmd(*c, "BITCOUNT keep"), m_bitcount(&m, 0, -1, 0), "BITCOUNT after the restart");
    is_status(cmd(*c, "DEBUG CHECK"), "OK", "DEBUG CHECK: the store agrees with itself");
    m_free(&m);
}

static void test_command_info(redisContext *c)
{
    redisReply *r = cmd(c, "COMMAND INFO bitop bitfield_ro");

    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->elements >= 7 &&
           r->element[0]->element[1]->integer == -4 && r->element[0]->element[3]->integer == 2 &&
           r->element[0]->element[4]->integer == -1 && r->element[1]->element[1]->integer == -2,
       "COMMAND INFO: BITOP arity -4, keys 2..-1; BITFIELD_RO arity -2");
    freeReplyObject(r);
}

int main(void)
{
    static const char *args[] = {"--string-fragment-threshold", "256", NULL};
    struct tserver s;
    redisContext *c, *other;

    srand(22);
    c = ts_begin(&s, args, 1);
    other = ts_connect(&s);
    if (s.external) {
        skip("an external server keeps its own fragment threshold");
    } else {
        redisReply *r = cmd(c, "CONFIG GET string-fragment-threshold");

        ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
               !strcmp(r->element[1]->str, "256"),
           "the server fragments strings longer than 256 bytes");
        freeReplyObject(r);
    }
    test_setbit_getbit(c);
    test_fragments(c);
    test_bitcount(c);
    test_bitpos(c);
    test_bitop(c);
    test_bitfield(c);
    test_watch(c, other);
    test_unshare(c, other);
    test_limits(c);
    test_command_info(c);
    test_restart(&s, &c);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL at the end");
    redisFree(other);
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
