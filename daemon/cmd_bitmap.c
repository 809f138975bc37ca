/* cmd_bitmap.c - the bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
 * BITFIELD_RO. Each reads its arguments in the order Redis 7.0 reads them (the order
 * decides which error a bad line gets, and whether a missing key answers before its
 * arguments are looked at), makes one store call (store/ops_bitmap.c, atomic under the
 * key's stripe) and replies. A bit offset is held to proto-max-bulk-len as Redis holds it:
 * the byte it lies in must come before that many bytes. Words Redis compares with
 * strcasecmp (BIT, BYTE, OVERFLOW's rules, BITFIELD's subcommands, BITOP's operations)
 * are compared up to their first NUL byte, as strcasecmp sees them. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/notify.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

#define BM_ERR_OFFSET "ERR bit offset is not an integer or out of range"
#define BM_ERR_BIT "ERR bit is not an integer or out of range"
#define BM_ERR_TYPE                                                                          \
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported "  \
    "but i64 is."
#define BM_ERR_TOOBIG "ERR string exceeds maximum allowed size (proto-max-bulk-len)"

/* The bytes of 'a' up to its first NUL byte (all of it when it has none). */
static struct omk_slice bm_cstr(const struct omk_slice *a)
{
    const char *nul = memchr(a->p, '\0', a->len);

    return (struct omk_slice){a->p, nul ? (size_t)(nul - a->p) : a->len};
}

/* True if 'a' read as a C string equals word 'w', ignoring case (Redis' strcasecmp). */
static int bm_word_is(const struct omk_slice *a, const char *w)
{
    struct omk_slice s = bm_cstr(a);

    return cmd_word_is(&s, w);
}

/* Read bit offset 'a' as Redis 7.0 does: a base-10 integer or, when 'width' > 0 (BITFIELD),
 * "#n" for n times 'width' (the product wraps modulo 2^64, as Redis' signed product does
 * in practice). Below 0, or with its byte at or past proto-max-bulk-len, it is refused.
 * Returns 1 with '*off', or 0 after replying the error. */
static int bm_offset_or_reply(struct client *c, const struct omk_slice *a, unsigned width,
                              uint64_t *off)
{
    size_t hash = width > 0 && a->len > 0 && a->p[0] == '#';
    long long v;

    if (!omk_str2ll(a->p + hash, a->len - hash, &v)) {
        reply_error(c, BM_ERR_OFFSET);
        return 0;
    }
    if (hash)
        v = (long long)((unsigned long long)v * width);
    if (v < 0 || (v >> 3) >= atomic_load(&server.cfg.proto_max_bulk_len)) {
        reply_error(c, BM_ERR_OFFSET);
        return 0;
    }
    *off = (uint64_t)v;
    return 1;
}

/* Reply the error for store outcome 'rc' of a bitmap call. */
static void bm_reply_rc(struct client *c, int rc)
{
    if (rc == STORE_TOOBIG)
        reply_error(c, BM_ERR_TOOBIG);
    else
        reply_err_store(c, rc);
}

/* An argument error of BITCOUNT or BITPOS, which Redis 7.0 reports only once it has found
 * the key and seen that it holds a string. */
enum bm_argerr { BM_ARG_OK = 0, BM_ARG_NOTINT, BM_ARG_SYNTAX, BM_ARG_EMPTY };

/* Answer argument error 'err' as Redis 7.0 does, having looked the key up first: a missing
 * key answers the integer 'missing', another type WRONGTYPE; a string gets the error
 * (BM_ARG_EMPTY: the integer 0). */
static void bm_argerr_reply(struct client *c, enum bm_argerr err, long long missing)
{
    struct store_keyinfo ki;
    int rc = store_keyinfo(server.store, c->db, c->argv[1], &ki);

    cmd_count_lookup(c, rc == STORE_OK);
    if (rc == STORE_NOTFOUND)
        notify_keymiss(c, c->argv[1]);
    if (rc == STORE_NOTFOUND)
        reply_int(c, missing);
    else if (rc == STORE_OK && ki.type != STORE_TYPE_STRING)
        reply_err_wrongtype(c);
    else if (rc != STORE_OK)
        reply_err_store(c, rc);
    else if (err == BM_ARG_NOTINT)
        reply_err_not_int(c);
    else if (err == BM_ARG_SYNTAX)
        reply_err_syntax(c);
    else
        reply_int(c, 0);
}

/* Read BIT or BYTE from 'a' into '*in_bits'. BM_ARG_OK or BM_ARG_SYNTAX. */
static enum bm_argerr bm_unit(const struct omk_slice *a, int *in_bits)
{
    if (bm_word_is(a, "bit"))
        *in_bits = 1;
    else if (bm_word_is(a, "byte"))
        *in_bits = 0;
    else
        return BM_ARG_SYNTAX;
    return BM_ARG_OK;
}

/* ---- GETBIT and SETBIT ------------------------------------------------------------------------ */

/* GETBIT key offset */
void cmd_getbit(struct client *c)
{
    uint64_t off;
    int bit = 0, rc;

    if (!bm_offset_or_reply(c, &c->argv[2], 0, &off))
        return;
    rc = store_getbit(server.store, c->db, c->argv[1], off, &bit);
    notify_keymiss_if_missing(c, c->argv[1]);
    cmd_count_lookup(c, rc == STORE_OK || rc == STORE_WRONGTYPE);
    if (rc == STORE_OK || rc == STORE_NOTFOUND)
        reply_int(c, bit);
    else
        bm_reply_rc(c, rc);
}

/* SETBIT key offset value: reply the bit before. */
void cmd_setbit(struct client *c)
{
    long long bit;
    uint64_t off, signals;
    int old = 0, rc;

    if (!bm_offset_or_reply(c, &c->argv[2], 0, &off))
        return;
    if (!omk_str2ll(c->argv[3].p, c->argv[3].len, &bit) || (bit != 0 && bit != 1)) {
        reply_error(c, BM_ERR_BIT);
        return;
    }
    signals = store_thread_signals();
    rc = store_setbit(server.store, c->db, c->argv[1], off, (int)bit, &old);
    /* The store signals the key when Redis does: a new key, a longer value, a changed bit
     * (a bit set as it was may still rewrite the value quietly, to make it "raw"). */
    if (rc == STORE_OK && store_thread_signals() != signals)
        notify_event(c, NOTIFY_STRING, "setbit", c->argv[1]);
    if (rc == STORE_OK)
        reply_int(c, old);
    else
        bm_reply_rc(c, rc);
}

/* ---- BITCOUNT and BITPOS ---------------------------------------------------------------------- */

/* BITCOUNT key [start end [BYTE|BIT]]. Redis 7.0 looks the key up before it reads the
 * range (a missing key is 0 whatever follows), and finds two negative indexes in the
 * wrong order empty before it reads the unit. */
void cmd_bitcount(struct client *c)
{
    struct store_bitrange r = {0};
    enum bm_argerr err = BM_ARG_OK;
    uint64_t count = 0;
    int rc;

    if (c->argc == 4 || c->argc == 5) {
        r.given = r.end_given = 1;
        if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &r.start) ||
            !omk_str2ll(c->argv[3].p, c->argv[3].len, &r.end))
            err = BM_ARG_NOTINT;
        else if (r.start < 0 && r.end < 0 && r.start > r.end)
            err = BM_ARG_EMPTY;
        else if (c->argc == 5)
            err = bm_unit(&c->argv[4], &r.in_bits);
    } else if (c->argc != 2) {
        err = BM_ARG_SYNTAX;
    }
    if (err != BM_ARG_OK) {
        bm_argerr_reply(c, err, 0);
        return;
    }
    rc = store_bitcount(server.store, c->db, c->argv[1], &r, &count);
    notify_keymiss_if_missing(c, c->argv[1]);
    cmd_count_lookup(c, rc == STORE_OK || rc == STORE_WRONGTYPE);
    if (rc == STORE_OK || rc == STORE_NOTFOUND)
        reply_int(c, (long long)count);
    else
        bm_reply_rc(c, rc);
}

/* BITPOS key bit [start [end [BYTE|BIT]]]. Redis 7.0 reads the bit first, then looks the
 * key up (a missing key is an endless run of zeros: -1 for a 1, 0 for a 0), then reads
 * start, the unit and end, in that order. */
void cmd_bitpos(struct client *c)
{
    struct store_bitrange r = {0};
    enum bm_argerr err = BM_ARG_OK;
    long long bit, pos = -1;
    int rc;

    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &bit)) {
        reply_err_not_int(c);
        return;
    }
    if (bit != 0 && bit != 1) {
        reply_error(c, "ERR The bit argument must be 1 or 0.");
        return;
    }
    if (c->argc >= 4 && c->argc <= 6) {
        r.given = 1;
        if (!omk_str2ll(c->argv[3].p, c->argv[3].len, &r.start))
            err = BM_ARG_NOTINT;
        else if (c->argc == 6)
            err = bm_unit(&c->argv[5], &r.in_bits);
        if (err == BM_ARG_OK && c->argc >= 5) {
            if (!omk_str2ll(c->argv[4].p, c->argv[4].len, &r.end))
                err = BM_ARG_NOTINT;
            r.end_given = 1;
        }
    } else if (c->argc != 3) {
        err = BM_ARG_SYNTAX;
    }
    if (err != BM_ARG_OK) {
        bm_argerr_reply(c, err, bit ? -1 : 0);
        return;
    }
    rc = store_bitpos(server.store, c->db, c->argv[1], (int)bit, &r, &pos);
    notify_keymiss_if_missing(c, c->argv[1]);
    cmd_count_lookup(c, rc == STORE_OK || rc == STORE_WRONGTYPE);
    if (rc == STORE_OK)
        reply_int(c, pos);
    else if (rc == STORE_NOTFOUND)
        reply_int(c, bit ? -1 : 0);
    else
        bm_reply_rc(c, rc);
}

/* ---- BITOP ------------------------------------------------------------------------------------ */

/* BITOP AND|OR|XOR|NOT destkey key [key ...]: reply the length of the result. */
void cmd_bitop(struct client *c)
{
    static const struct {
        const char *name;
        enum store_bitop op;
    } ops[] = {{"and", STORE_BITOP_AND},
               {"or", STORE_BITOP_OR},
               {"xor", STORE_BITOP_XOR},
               {"not", STORE_BITOP_NOT}};
    size_t n = (size_t)c->argc - 3, found = 0, i = 0;
    uint64_t len = 0;
    unsigned char *reads;
    int rc, existed;

    while (i < OMK_ARRAY_LEN(ops) && !bm_word_is(&c->argv[1], ops[i].name))
        i++;
    if (i == OMK_ARRAY_LEN(ops)) {
        reply_err_syntax(c);
        return;
    }
    if (ops[i].op == STORE_BITOP_NOT && n != 1) {
        reply_error(c, "ERR BITOP NOT must be called with a single source key.");
        return;
    }
    /* An empty result deletes the destination: "del" only if there was one. */
    existed = notify_wanted(NOTIFY_GENERIC) &&
              store_exists(server.store, c->db, c->argv[2]) == STORE_OK;
    reads = notify_reads_begin(c, &c->argv[3], n, 1u << STORE_TYPE_STRING);
    rc = store_bitop(server.store, c->db, ops[i].op, c->argv[2], &c->argv[3], n, &len, &found);
    notify_reads_end(c, &c->argv[3], n, reads); /* the sources, read first */
    if (rc != STORE_OK) {
        bm_reply_rc(c, rc);
        return;
    }
    if (len > 0)
        notify_event(c, NOTIFY_STRING, "set", c->argv[2]);
    else if (existed)
        notify_event(c, NOTIFY_GENERIC, "del", c->argv[2]);
    for (size_t k = 0; k < n; k++) /* one read lookup per source, as Redis counts them */
        cmd_count_lookup(c, k < found);
    reply_int(c, (long long)len);
}

/* ---- BITFIELD --------------------------------------------------------------------------------- */

/* Read a BITFIELD type ("i1".."i64", "u1".."u63") from 'a' as Redis 7.0 does (its width is
 * read up to the first NUL byte). 1 with '*is_signed' and '*bits', or 0 after replying. */
static int bm_type_or_reply(struct client *c, const struct omk_slice *a, int *is_signed,
                            unsigned *bits)
{
    struct omk_slice s = bm_cstr(a);
    long long w;

    if (s.len < 1 || (s.p[0] != 'i' && s.p[0] != 'u') || !omk_str2ll(s.p + 1, s.len - 1, &w) ||
        w < 1 || w > (s.p[0] == 'i' ? 64 : 63)) {
        reply_error(c, BM_ERR_TYPE);
        return 0;
    }
    *is_signed = s.p[0] == 'i';
    *bits = (unsigned)w;
    return 1;
}

/* Read the operations of a BITFIELD line (argv[2] on) into 'ops' (room for argc / 3 of
 * them), each with the OVERFLOW rule in force where it stands. Returns the number read
 * with '*writes' set if one is a SET or an INCRBY, or -1 after replying the first error. */
static long bm_bitfield_parse(struct client *c, struct store_bf_op *ops, int *writes)
{
    int overflow = STORE_BF_WRAP;
    long n = 0;

    *writes = 0;
    for (int j = 2; j < c->argc; j++) {
        const struct omk_slice *a = &c->argv[j];
        int left = c->argc - j - 1; /* arguments after this one */
        struct store_bf_op *op = &ops[n];

        memset(op, 0, sizeof(*op));
        if (bm_word_is(a, "get") && left >= 2) {
            op->kind = STORE_BF_GET;
        } else if (bm_word_is(a, "set") && left >= 3) {
            op->kind = STORE_BF_SET;
        } else if (bm_word_is(a, "incrby") && left >= 3) {
            op->kind = STORE_BF_INCRBY;
        } else if (bm_word_is(a, "overflow") && left >= 1) {
            const struct omk_slice *rule = &c->argv[++j];

            if (bm_word_is(rule, "wrap")) {
                overflow = STORE_BF_WRAP;
            } else if (bm_word_is(rule, "sat")) {
                overflow = STORE_BF_SAT;
            } else if (bm_word_is(rule, "fail")) {
                overflow = STORE_BF_FAIL;
            } else {
                reply_error(c, "ERR Invalid OVERFLOW type specified");
                return -1;
            }
            continue;
        } else {
            reply_err_syntax(c);
            return -1;
        }
        if (!bm_type_or_reply(c, &c->argv[j + 1], &op->is_signed, &op->bits) ||
            !bm_offset_or_reply(c, &c->argv[j + 2], op->bits, &op->offset))
            return -1;
        if (op->kind != STORE_BF_GET) {
            *writes = 1;
            if (!omk_str2ll(c->argv[j + 3].p, c->argv[j + 3].len, &op->arg)) {
                reply_err_not_int(c);
                return -1;
            }
        }
        op->overflow = overflow;
        n++;
        j += op->kind == STORE_BF_GET ? 2 : 3;
    }
    return n;
}

/* The core of BITFIELD and BITFIELD_RO ('readonly'): parse every operation, then run them
 * all in one store call and reply one result each (nil for one refused by OVERFLOW FAIL). */
static void cmd_bitfield_generic(struct client *c, int readonly)
{
    struct store_bf_op *ops = omk_malloc(((size_t)c->argc / 3 + 1) * sizeof(*ops));
    int writes, existed = 0, rc;
    long n = bm_bitfield_parse(c, ops, &writes);
    uint64_t signals;

    if (n < 0) {
        omk_free(ops);
        return;
    }
    if (readonly && writes) {
        reply_error(c, "ERR BITFIELD_RO only supports the GET subcommand");
        omk_free(ops);
        return;
    }
    signals = store_thread_signals();
    rc = store_bitfield(server.store, c->db, c->argv[1], ops, (size_t)n, &existed);
    if (!writes) { /* a read looks the key up for read, which counts */
        cmd_count_lookup(c, rc == STORE_WRONGTYPE || (rc == STORE_OK && existed));
        if (rc == STORE_OK && !existed)
            notify_keymiss(c, c->argv[1]);
    }
    if (rc == STORE_OK) {
        long done = 0;

        /* Redis reports a write not refused by FAIL when the key is new or grew or the
         * field changed: exactly when the store signalled the key. */
        for (long i = 0; i < n; i++)
            done += ops[i].kind != STORE_BF_GET && !ops[i].failed;
        if (done > 0 && store_thread_signals() != signals)
            notify_event(c, NOTIFY_STRING, "setbit", c->argv[1]);
        reply_array_len(c, n);
        for (long i = 0; i < n; i++) {
            if (ops[i].failed)
                reply_null(c);
            else
                reply_int(c, ops[i].result);
        }
    } else {
        bm_reply_rc(c, rc);
    }
    omk_free(ops);
}

/* BITFIELD key [GET type offset | SET type offset value | INCRBY type offset increment |
 * OVERFLOW WRAP|SAT|FAIL] ... */
void cmd_bitfield(struct client *c)
{
    cmd_bitfield_generic(c, 0);
}

/* BITFIELD_RO key [GET type offset] ... */
void cmd_bitfield_ro(struct client *c)
{
    cmd_bitfield_generic(c, 1);
}
