/* cmd_generic.c - the commands of Redis' "generic" group, which work on keys whatever
 * their type: DEL UNLINK EXISTS SCAN KEYS RANDOMKEY TYPE TTL PTTL EXPIRETIME PEXPIRETIME
 * [P]EXPIRE[AT] PERSIST TOUCH RENAME RENAMENX COPY MOVE OBJECT SORT SORT_RO. Each parses its
 * arguments, makes one store call and replies; a missing key is answered from the index
 * alone. Also the argument helpers every group shares (ranges, SCAN-family cursors and
 * options, the random source) and the core of HSCAN and SSCAN. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/notify.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

/* DEL key [key ...]: the number of keys removed. */
void cmd_del(struct client *c)
{
    long long n = 0;

    for (int i = 1; i < c->argc; i++) {
        int rc = store_del(server.store, c->db, c->argv[i]);

        if (rc < 0) {
            reply_err_store(c, rc);
            return;
        }
        if (rc == STORE_OK)
            notify_event(c, NOTIFY_GENERIC, "del", c->argv[i]);
        n += rc == STORE_OK;
    }
    reply_int(c, n);
}

/* UNLINK key [key ...]: as DEL (values live on disk, so freeing them costs nothing). */
void cmd_unlink(struct client *c)
{
    cmd_del(c);
}

/* EXISTS key [key ...]: how many of the keys exist (a key named twice counts twice). */
void cmd_exists(struct client *c)
{
    long long n = 0;

    for (int i = 1; i < c->argc; i++) {
        int rc = store_exists(server.store, c->db, c->argv[i]);

        if (rc < 0) {
            reply_err_store(c, rc);
            return;
        }
        if (rc == STORE_NOTFOUND)
            notify_keymiss(c, c->argv[i]);
        n += rc == STORE_OK;
    }
    reply_int(c, n);
}

/* ---- SCAN and the scans of one collection ------------------------------------------ */

int cmd_scan_cursor_or_reply(struct client *c, struct omk_slice arg, uint64_t *cursor)
{
    /* Redis reads the cursor with strtoul() and refuses a leading space, trailing bytes
     * and ERANGE; strtoul() stops at a NUL byte, so what follows one is not looked at. */
    const char *p = arg.p, *nul = memchr(arg.p, '\0', arg.len);
    const char *end = nul ? nul : arg.p + arg.len;
    uint64_t v = 0;
    int neg = 0;

    if (p < end && isspace((unsigned char)*p))
        goto bad;
    if (p == end) { /* strtoul("") is 0 and consumes nothing, which Redis lets pass */
        *cursor = 0;
        return 1;
    }
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (p == end)
        goto bad;
    for (; p < end; p++) {
        unsigned d = (unsigned)(*p - '0');

        if (d > 9 || v > (UINT64_MAX - d) / 10)
            goto bad;
        v = v * 10 + d;
    }
    *cursor = neg ? (uint64_t)0 - v : v; /* strtoul negates in unsigned arithmetic */
    return 1;
bad:
    reply_error(c, "ERR invalid cursor");
    return 0;
}

enum cmd_scan_opts_err cmd_scan_opts_parse(const struct client *c, int first, int allow_type,
                                           struct cmd_scan_opts *o)
{
    o->pat = NULL;
    o->plen = 0;
    o->count = 10;
    o->type = NULL;
    for (int i = first; i < c->argc; i += 2) {
        const struct omk_slice *a = &c->argv[i], *v;

        if (i + 1 >= c->argc) /* every option takes a value */
            return CMD_SCAN_OPTS_SYNTAX;
        v = &c->argv[i + 1];
        if (cmd_word_is(a, "count")) {
            if (!omk_str2ll(v->p, v->len, &o->count))
                return CMD_SCAN_OPTS_NOTINT;
            if (o->count < 1)
                return CMD_SCAN_OPTS_SYNTAX;
        } else if (cmd_word_is(a, "match")) {
            /* "*" matches everything: skip the glob. */
            int all = v->len == 1 && v->p[0] == '*';

            o->pat = all ? NULL : v->p;
            o->plen = all ? 0 : v->len;
        } else if (allow_type && cmd_word_is(a, "type")) {
            o->type = v;
        } else {
            return CMD_SCAN_OPTS_SYNTAX;
        }
    }
    return CMD_SCAN_OPTS_OK;
}

void cmd_scan_opts_reply_err(struct client *c, enum cmd_scan_opts_err err)
{
    if (err == CMD_SCAN_OPTS_NOTINT)
        reply_err_not_int(c);
    else
        reply_err_syntax(c);
}

/* The elements of a SCAN, KEYS, HSCAN or SSCAN reply, written as they come into the
 * deferred array. */
struct scan_acc {
    struct client *c;
    long long n;                  /* elements written */
    const struct omk_slice *type; /* SCAN ... TYPE: only keys of this type name */
    int pairs;                    /* HSCAN: field and value of each pair */
};

/* Reply [next, elements]: the cursor 'next', then the 'acc->n' elements waiting in the
 * deferred array (reply_deferred_pause() was called). */
static void cmd_scan_reply(struct client *c, uint64_t next, const struct scan_acc *acc)
{
    char buf[24];

    reply_array_len(c, 2);
    reply_bulk(c, buf, (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)next));
    reply_deferred_end(c, acc->n);
}

/* Store callback: one key into the deferred reply, unless SCAN's TYPE filter refuses
 * it. As Redis 7.0, a type name no key can have (or "none") is no error: it matches
 * nothing. */
static void cmd_scan_key(void *arg, const char *key, size_t klen, int type)
{
    struct scan_acc *acc = arg;

    if (acc->type && !cmd_word_is(acc->type, store_type_name(type)))
        return;
    reply_bulk(acc->c, key, klen);
    acc->n++;
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
void cmd_scan(struct client *c)
{
    uint64_t cursor, next = 0;
    struct cmd_scan_opts o;
    enum cmd_scan_opts_err err;
    struct scan_acc acc = {c, 0, NULL, 0};
    int rc;

    if (!cmd_scan_cursor_or_reply(c, c->argv[1], &cursor))
        return;
    err = cmd_scan_opts_parse(c, 2, 1, &o);
    if (err != CMD_SCAN_OPTS_OK) {
        cmd_scan_opts_reply_err(c, err);
        return;
    }
    acc.type = o.type;
    reply_deferred_begin(c);
    rc = store_scan(server.store, c->db, c->id, cursor, o.pat, o.plen, (size_t)o.count,
                    cmd_scan_key, &acc, &next);
    reply_deferred_pause(c);
    if (rc != STORE_OK) {
        reply_deferred_discard(c);
        if (rc == STORE_ERR_CURSOR)
            reply_error(c, "ERR invalid cursor");
        else
            reply_err_store(c, rc);
        return;
    }
    cmd_scan_reply(c, next, &acc);
}

/* Store callback of HSCAN and SSCAN: one element (a field and its value, or a member)
 * into the deferred reply. */
static int cmd_coll_scan_elem(void *arg, struct omk_slice field, struct omk_slice value)
{
    struct scan_acc *acc = arg;

    reply_bulk(acc->c, field.p, field.len);
    acc->n++;
    if (acc->pairs) {
        reply_bulk(acc->c, value.p, value.len);
        acc->n++;
    }
    return reply_deferred_full(acc->c);
}

void cmd_coll_scan_generic(struct client *c, cmd_coll_scan_fn *scan, int type, int pairs)
{
    struct scan_acc acc = {c, 0, NULL, pairs};
    struct cmd_scan_opts o;
    struct store_keyinfo ki;
    enum cmd_scan_opts_err err;
    uint64_t cursor, next = 0;
    int rc;

    if (!cmd_scan_cursor_or_reply(c, c->argv[2], &cursor))
        return;
    err = cmd_scan_opts_parse(c, 3, 0, &o);
    if (err != CMD_SCAN_OPTS_OK) {
        /* Redis looks the key up before it reads the options. */
        rc = store_keyinfo(server.store, c->db, c->argv[1], &ki);
        if (rc == STORE_NOTFOUND) {
            notify_keymiss(c, c->argv[1]);
            reply_deferred_begin(c);
            reply_deferred_pause(c);
            cmd_scan_reply(c, 0, &acc);
        } else if (rc != STORE_OK) {
            reply_err_store(c, rc);
        } else if (ki.type != type) {
            reply_err_wrongtype(c);
        } else {
            cmd_scan_opts_reply_err(c, err);
        }
        return;
    }
    reply_deferred_begin(c);
    rc = scan(server.store, c->db, c->argv[1], cursor, o.pat, o.plen, (size_t)o.count,
              cmd_coll_scan_elem, &acc, &next);
    notify_keymiss_if_missing(c, c->argv[1]);
    reply_deferred_pause(c);
    if (rc != STORE_OK) {
        reply_deferred_discard(c);
        reply_err_store(c, rc);
        return;
    }
    cmd_scan_reply(c, next, &acc);
}

/* KEYS pattern: every key that matches, in key order. */
void cmd_keys(struct client *c)
{
    struct scan_acc acc = {c, 0, NULL, 0};
    int rc;

    reply_deferred_begin(c);
    rc = store_keys(server.store, c->db, c->argv[1].p, c->argv[1].len, cmd_scan_key, &acc);
    reply_deferred_pause(c);
    if (rc != STORE_OK) {
        reply_deferred_discard(c);
        reply_err_store(c, rc);
        return;
    }
    reply_deferred_end(c, acc.n);
}

/* ---- TYPE, TTL and expiry ------------------------------------------------------------ */

/* TYPE key: the type name as a status reply, "none" for a missing key. */
void cmd_type(struct client *c)
{
    const char *name;
    int rc = store_type(server.store, c->db, c->argv[1], &name);

    if (rc == STORE_NOTFOUND)
        notify_keymiss(c, c->argv[1]);
    if (rc == STORE_OK)
        reply_simple(c, name);
    else if (rc == STORE_NOTFOUND)
        reply_simple(c, "none");
    else
        reply_err_store(c, rc);
}

/* TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 for one without expiry,
 * else the time left or the absolute expiry ('absolute'), in ms when 'ms', else in
 * seconds rounded to the nearest one ((ms + 500) / 1000, as Redis' ttlGenericCommand
 * rounds both). */
static void cmd_ttl_generic(struct client *c, int ms, int absolute)
{
    int64_t when, t;
    int rc = store_ttl(server.store, c->db, c->argv[1], &when);

    if (rc == STORE_NOTFOUND) {
        notify_keymiss(c, c->argv[1]);
        reply_int(c, -2);
    } else if (rc < 0) {
        reply_err_store(c, rc);
    } else if (when == 0) {
        reply_int(c, -1);
    } else {
        t = absolute ? when : when - omk_now_ms();
        if (t < 0) /* it expired between the lookup and now */
            t = 0;
        reply_int(c, ms ? t : (t + 500) / 1000);
    }
}

void cmd_ttl(struct client *c)
{
    cmd_ttl_generic(c, 0, 0);
}

void cmd_pttl(struct client *c)
{
    cmd_ttl_generic(c, 1, 0);
}

void cmd_expiretime(struct client *c)
{
    cmd_ttl_generic(c, 0, 1);
}

void cmd_pexpiretime(struct client *c)
{
    cmd_ttl_generic(c, 1, 1);
}

/* Parse the NX XX GT LT options of EXPIRE from argument 3 on into '*flags', as Redis 7's
 * parseExtendedExpireArgumentsOrReply does (options are read before the time). Returns 1,
 * or 0 after replying the error. */
static int cmd_expire_flags_or_reply(struct client *c, int *flags)
{
    static const struct {
        const char *name;
        int flag;
    } opts[] = {
        {"nx", STORE_EXPIRE_NX}, {"xx", STORE_EXPIRE_XX},
        {"gt", STORE_EXPIRE_GT}, {"lt", STORE_EXPIRE_LT},
    };

    *flags = 0;
    for (int i = 3; i < c->argc; i++) {
        const struct omk_slice *a = &c->argv[i];
        size_t j;

        for (j = 0; j < OMK_ARRAY_LEN(opts); j++)
            if (a->len == 2 && !strncasecmp(a->p, opts[j].name, 2))
                break;
        if (j == OMK_ARRAY_LEN(opts)) {
            reply_error_fmt(c, "ERR Unsupported option %.*s", reply_user_len(a->len), a->p);
            return 0;
        }
        *flags |= opts[j].flag;
    }
    if ((*flags & STORE_EXPIRE_NX) && (*flags & ~STORE_EXPIRE_NX)) {
        reply_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return 0;
    }
    if ((*flags & STORE_EXPIRE_GT) && (*flags & STORE_EXPIRE_LT)) {
        reply_error(c, "ERR GT and LT options at the same time are not compatible");
        return 0;
    }
    return 1;
}

/* EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT key time [NX | XX | GT | LT]: 'time' in 'unit',
 * relative to now when 'relative'. Any integer is accepted (a time not after now deletes
 * the key); one whose conversion to absolute ms overflows is Redis' "invalid expire
 * time" error. Replies 1 when the expiry was set or the key deleted, else 0. */
static void cmd_expire_generic(struct client *c, enum expire_unit unit, int relative)
{
    int64_t base = relative ? omk_now_ms() : 0;
    long long when;
    int flags, rc;

    if (!cmd_expire_flags_or_reply(c, &flags))
        return;
    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &when)) {
        reply_err_not_int(c);
        return;
    }
    if (unit == UNIT_SECONDS) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)
            goto invalid;
        when *= 1000;
    }
    if (when > LLONG_MAX - base)
        goto invalid;
    when += base;
    rc = store_expire(server.store, c->db, c->argv[1], when, flags);
    if (rc == STORE_OK) /* a time not after now deleted the key */
        notify_event(c, NOTIFY_GENERIC, when <= omk_now_ms() ? "del" : "expire", c->argv[1]);
    if (rc < 0)
        reply_err_store(c, rc);
    else
        reply_int(c, rc == STORE_OK);
    return;
invalid:
    reply_error_fmt(c, "ERR invalid expire time in '%s' command", cmd_current_name(c));
}

void cmd_expire(struct client *c)
{
    cmd_expire_generic(c, UNIT_SECONDS, 1);
}

void cmd_pexpire(struct client *c)
{
    cmd_expire_generic(c, UNIT_MS, 1);
}

void cmd_expireat(struct client *c)
{
    cmd_expire_generic(c, UNIT_SECONDS, 0);
}

void cmd_pexpireat(struct client *c)
{
    cmd_expire_generic(c, UNIT_MS, 0);
}

/* PERSIST key: 1 if an expiry was removed, 0 if the key has none or is missing. */
void cmd_persist(struct client *c)
{
    int rc = store_persist(server.store, c->db, c->argv[1]);

    if (rc == STORE_OK)
        notify_event(c, NOTIFY_GENERIC, "persist", c->argv[1]);
    if (rc < 0)
        reply_err_store(c, rc);
    else
        reply_int(c, rc == STORE_OK);
}

/* TOUCH key [key ...]: how many of the keys exist (a key named twice counts twice),
 * updating the access time of each (OBJECT IDLETIME / FREQ), as EXISTS does not. */
void cmd_touch(struct client *c)
{
    long long n = 0;

    for (int i = 1; i < c->argc; i++) {
        int rc = store_touch(server.store, c->db, c->argv[i]);

        if (rc < 0) {
            reply_err_store(c, rc);
            return;
        }
        n += rc == STORE_OK;
    }
    reply_int(c, n);
}

/* ---- RENAME, COPY, MOVE -------------------------------------------------------------- */

/* RENAME / RENAMENX ('nx') src dst. RENAME replies OK, RENAMENX 1 or 0. */
static void cmd_rename_generic(struct client *c, int nx)
{
    int rc = store_rename(server.store, c->db, c->argv[1], c->argv[2], nx ? STORE_RENAME_NX : 0);

    if (rc == STORE_OK && (c->argv[1].len != c->argv[2].len ||
                           memcmp(c->argv[1].p, c->argv[2].p, c->argv[1].len) != 0)) {
        notify_new(c->db, c->argv[2]); /* Redis deletes the destination, then adds it */
        notify_event(c, NOTIFY_GENERIC, "rename_from", c->argv[1]);
        notify_event(c, NOTIFY_GENERIC, "rename_to", c->argv[2]);
    }
    if (rc == STORE_NOTFOUND)
        reply_error(c, "ERR no such key");
    else if (rc < 0)
        reply_err_store(c, rc);
    else if (nx)
        reply_int(c, rc == STORE_OK);
    else
        reply_ok(c);
}

void cmd_rename(struct client *c)
{
    cmd_rename_generic(c, 0);
}

void cmd_renamenx(struct client *c)
{
    cmd_rename_generic(c, 1);
}

int cmd_range_arg_or_reply(struct client *c, struct omk_slice arg, long long min, long long max,
                           const char *msg, long long *v)
{
    if (!omk_str2ll(arg.p, arg.len, v)) {
        if (msg)
            reply_error_fmt(c, "ERR %s", msg);
        else
            reply_err_not_int(c);
        return 0;
    }
    if (*v < min || *v > max) {
        if (msg)
            reply_error_fmt(c, "ERR %s", msg);
        else
            reply_error_fmt(c, "ERR value is out of range, value must between %lld and %lld", min,
                            max);
        return 0;
    }
    return 1;
}

int cmd_db_arg_or_reply(struct client *c, struct omk_slice arg, int *db)
{
    long long v;

    if (!cmd_range_arg_or_reply(c, arg, INT_MIN, INT_MAX, NULL, &v))
        return 0;
    if (v < 0 || v >= server.cfg.databases) {
        reply_error(c, "ERR DB index is out of range");
        return 0;
    }
    *db = (int)v;
    return 1;
}

/* Reply 1 for STORE_OK, 0 for the expected refusals, or the store error. */
static void cmd_reply_done(struct client *c, int rc)
{
    if (rc < 0)
        reply_err_store(c, rc);
    else
        reply_int(c, rc == STORE_OK);
}

/* COPY source destination [DB destination-db] [REPLACE]: 1 if copied (value and expiry),
 * 0 if the source is missing or the destination exists without REPLACE. */
void cmd_copy(struct client *c)
{
    int dstdb = c->db, flags = 0, rc;

    for (int i = 3; i < c->argc; i++) {
        const struct omk_slice *a = &c->argv[i];

        if (a->len == 7 && !strncasecmp(a->p, "replace", 7)) {
            flags |= STORE_COPY_REPLACE;
        } else if (a->len == 2 && !strncasecmp(a->p, "db", 2) && i + 1 < c->argc) {
            if (!cmd_db_arg_or_reply(c, c->argv[++i], &dstdb))
                return;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    if (dstdb == c->db && c->argv[1].len == c->argv[2].len &&
        !memcmp(c->argv[1].p, c->argv[2].p, c->argv[1].len)) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    rc = store_copy(server.store, c->db, c->argv[1], dstdb, c->argv[2], flags);
    if (rc == STORE_NOTFOUND)
        notify_keymiss(c, c->argv[1]);
    if (rc == STORE_OK) {
        notify_new(dstdb, c->argv[2]); /* REPLACE too: Redis deletes, then adds */
        notify_event_db(NOTIFY_GENERIC, "copy_to", dstdb, c->argv[2]);
    }
    cmd_reply_done(c, rc);
}

/* MOVE key db: 1 if moved (value and expiry), 0 if missing here or present there. */
void cmd_move(struct client *c)
{
    int dstdb, rc;

    if (!cmd_db_arg_or_reply(c, c->argv[2], &dstdb))
        return;
    if (dstdb == c->db) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    rc = store_move(server.store, c->db, c->argv[1], dstdb);
    if (rc == STORE_OK) {
        notify_new(dstdb, c->argv[1]);
        notify_event(c, NOTIFY_GENERIC, "move_from", c->argv[1]);
        notify_event_db(NOTIFY_GENERIC, "move_to", dstdb, c->argv[1]);
    }
    cmd_reply_done(c, rc);
}

/* splitmix64: spreads a weak seed over the generator's state (its standard seeder). */
static uint64_t cmd_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t cmd_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t cmd_random64(void)
{
    /* xoshiro256** (Blackman and Vigna): 256 bits of state per thread, period 2^256 - 1,
     * passes BigCrush; the random picks of SPOP and friends are as good as Redis'
     * (which uses random() and genrand64). Seeded from the kernel's pool, or failing
     * that from the clock and the thread's address. */
    static __thread uint64_t st[4];
    static __thread int seeded;
    uint64_t result, t;

    if (!seeded) {
        if (getrandom(st, sizeof(st), GRND_NONBLOCK) != (ssize_t)sizeof(st) ||
            (st[0] | st[1] | st[2] | st[3]) == 0) {
            uint64_t x = (uint64_t)omk_now_us() ^ ((uint64_t)(uintptr_t)&seeded << 16);

            for (int i = 0; i < 4; i++)
                st[i] = cmd_splitmix64(&x);
        }
        seeded = 1;
    }
    result = cmd_rotl(st[1] * 5, 7) * 9;
    t = st[1] << 17;
    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = cmd_rotl(st[3], 45);
    return result;
}

/* RANDOMKEY: a random live key of the selected db, or nil when it has none. */
void cmd_randomkey(struct client *c)
{
    char *key;
    size_t klen;
    int rc = store_randomkey(server.store, c->db, cmd_random64, &key, &klen);

    if (rc == STORE_OK) {
        reply_bulk(c, key, klen);
        omk_free(key);
    } else if (rc == STORE_NOTFOUND) {
        reply_null(c);
    } else {
        reply_err_store(c, rc);
    }
}

/* ---- OBJECT -------------------------------------------------------------------------- */

/* The longest string Redis keeps "embstr" (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
#define OBJECT_EMBSTR_MAX 44

/* The encoding Redis would give a string value 'p'/'len' stored by SET: "int" when it
 * reads as a 64-bit integer the way string2l reads one (no sign quirks, no leading
 * zeros), "embstr" up to 44 bytes, "raw" beyond. */
static const char *object_string_encoding(const char *p, size_t len)
{
    long long v;

    if (len <= 20 && omk_str2ll(p, len, &v))
        return "int";
    return len <= OBJECT_EMBSTR_MAX ? "embstr" : "raw";
}

/* 1 if the maxmemory policy is one of the LFU ones. */
static int object_policy_is_lfu(void)
{
    int p = atomic_load(&server.cfg.maxmemory_policy);

    return p == CFG_MAXMEMORY_VOLATILE_LFU || p == CFG_MAXMEMORY_ALLKEYS_LFU;
}

/* OBJECT HELP */
static void object_help(struct client *c)
{
    static const char *const help[] = {
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
    };

    cmd_reply_help(c, "OBJECT", help, OMK_ARRAY_LEN(help));
}

/* Whether OBJECT's key argv[2] exists: 1, or 0 after replying nil (it does not) or the
 * store error. */
static int object_key_exists_or_reply(struct client *c)
{
    int rc = store_exists(server.store, c->db, c->argv[2]);

    if (rc == STORE_NOTFOUND)
        reply_null(c);
    else if (rc < 0)
        reply_err_store(c, rc);
    return rc == STORE_OK;
}

/* OBJECT ENCODING key: what Redis 7.0 would hold the value as. A hash is "listpack"
 * and a set "intset" until they leave Redis' compact encoding (store_keyinfo's 'big',
 * which never goes back), then "hashtable"; a string is judged from its bytes, read
 * only when its length leaves a doubt. */
static void object_encoding(struct client *c)
{
    struct store_keyinfo ki;
    struct store_val *v;
    int rc = store_keyinfo(server.store, c->db, c->argv[2], &ki);

    if (rc == STORE_NOTFOUND) {
        reply_null(c);
        return;
    }
    if (rc != STORE_OK) {
        reply_err_store(c, rc);
        return;
    }
    switch (ki.type) {
    case STORE_TYPE_ZSET: reply_bulk_cstr(c, ki.big ? "skiplist" : "listpack"); return;
    case STORE_TYPE_HASH: reply_bulk_cstr(c, ki.big ? "hashtable" : "listpack"); return;
    case STORE_TYPE_LIST: reply_bulk_cstr(c, "quicklist"); return; /* 7.0: whatever its size */
    case STORE_TYPE_SET: reply_bulk_cstr(c, ki.big ? "hashtable" : "intset"); return;
    case STORE_TYPE_STRING: break;
    default: OMK_ASSERT(!"a type omenkv does not serve yet"); return;
    }
    /* Redis' history: APPEND and SETRANGE leave "raw", INCRBYFLOAT a string object of
     * its text, which no later write of another kind changes (RENAME, EXPIRE...). */
    if (ki.big || ki.count > OBJECT_EMBSTR_MAX) { /* and no int is that long */
        reply_bulk_cstr(c, "raw");
        return;
    }
    if (ki.noint) {
        reply_bulk_cstr(c, "embstr");
        return;
    }
    rc = store_get(server.store, c->db, c->argv[2], &v);
    if (rc == STORE_OK) {
        reply_bulk_cstr(c, object_string_encoding(v->data, v->len));
        store_val_release(v);
    } else if (rc == STORE_NOTFOUND) { /* deleted since */
        reply_null(c);
    } else {
        reply_err_store(c, rc);
    }
}

/* OBJECT FREQ / IDLETIME's key argv[2]: 1 with its decayed LFU counter and idle seconds
 * (store_access_info), or 0 after replying nil (it does not exist) or the store error. */
static int object_access_or_reply(struct client *c, unsigned *freq, int64_t *idle_s)
{
    int rc = store_access_info(server.store, c->db, c->argv[2], freq, idle_s);

    if (rc == STORE_NOTFOUND)
        reply_null(c);
    else if (rc < 0)
        reply_err_store(c, rc);
    return rc == STORE_OK;
}

/* OBJECT FREQ key: the key's logarithmic access counter after its decay (store.h), or
 * Redis' error when the maxmemory policy is not an LFU one. */
static void object_freq(struct client *c)
{
    unsigned byte;
    int64_t idle_s;

    if (!object_access_or_reply(c, &byte, &idle_s))
        return;
    if (!object_policy_is_lfu())
        reply_error(c, "ERR An LFU maxmemory policy is not selected, access frequency not "
                       "tracked. Please note that when switching between policies at runtime "
                       "LRU and LFU data will take some time to adjust.");
    else
        reply_int(c, byte);
}

/* OBJECT IDLETIME key: seconds since the key's last access (store.h: exact for 194
 * days, the clock's lap, as Redis'), or Redis' error when the maxmemory policy is an LFU
 * one. */
static void object_idletime(struct client *c)
{
    unsigned byte;
    int64_t idle_s;

    if (!object_access_or_reply(c, &byte, &idle_s))
        return;
    if (object_policy_is_lfu())
        reply_error(c, "ERR An LFU maxmemory policy is selected, idle time not tracked. "
                       "Please note that when switching between policies at runtime LRU and "
                       "LFU data will take some time to adjust.");
    else
        reply_int(c, idle_s);
}

/* OBJECT REFCOUNT key: 1, since nothing shares a value. */
static void object_refcount(struct client *c)
{
    if (object_key_exists_or_reply(c))
        reply_int(c, 1);
}

static const struct cmd_sub object_subs[] = {
    {"help", 2, object_help},         {"encoding", 3, object_encoding},
    {"freq", 3, object_freq},         {"idletime", 3, object_idletime},
    {"refcount", 3, object_refcount},
};

/* OBJECT <subcommand> key: how Redis would hold the value; a missing key is nil. */
void cmd_object(struct client *c)
{
    cmd_dispatch_sub(c, "object", object_subs, OMK_ARRAY_LEN(object_subs), 0);
}

/* ---- SORT and SORT_RO ------------------------------------------------------------------ */

/* Parse the options of SORT / SORT_RO (c->argv[2..]) into '*o' one by one, as Redis 7.0
 * does: a later ASC/DESC, LIMIT or STORE overrides an earlier one, BYs and GETs add up
 * (the store applies Redis' rule to the BYs), and the first bad option ends the parse
 * with its error: LIMIT's numbers "value is not an integer or out of range", anything
 * else (STORE in SORT_RO, a keyword missing its arguments) "syntax error". The BY and
 * GET patterns go to '*pats' (omk_free; slices into argv). 1, or 0 after the error
 * reply. */
static int cmd_sort_options_or_reply(struct client *c, int ro, struct store_sort_opts *o,
                                     struct omk_slice **pats)
{
    struct omk_slice *by, *get;

    memset(o, 0, sizeof(*o));
    o->count = -1;
    *pats = omk_malloc((size_t)c->argc * sizeof(**pats));
    by = *pats;                /* BYs from the start, GETs from the middle: each option */
    get = *pats + c->argc / 2; /* takes two arguments, so neither runs into the other */
    o->by = by;
    o->get = get;
    for (int j = 2; j < c->argc; j++) {
        int left = c->argc - j - 1;
        long long offset, count;

        if (cmd_arg_is(c, j, "asc")) {
            o->desc = 0;
        } else if (cmd_arg_is(c, j, "desc")) {
            o->desc = 1;
        } else if (cmd_arg_is(c, j, "alpha")) {
            o->alpha = 1;
        } else if (cmd_arg_is(c, j, "limit") && left >= 2) {
            if (!cmd_range_arg_or_reply(c, c->argv[j + 1], LLONG_MIN, LLONG_MAX, NULL, &offset) ||
                !cmd_range_arg_or_reply(c, c->argv[j + 2], LLONG_MIN, LLONG_MAX, NULL, &count))
                return 0;
            o->offset = offset;
            o->count = count;
            j += 2;
        } else if (!ro && cmd_arg_is(c, j, "store") && left >= 1) {
            o->store = &c->argv[++j];
        } else if (cmd_arg_is(c, j, "by") && left >= 1) {
            by[o->nby++] = c->argv[++j];
        } else if (cmd_arg_is(c, j, "get") && left >= 1) {
            get[o->nget++] = c->argv[++j];
        } else {
            reply_err_syntax(c);
            return 0;
        }
    }
    return 1;
}

/* store_sort_cb: one value of the result into the deferred reply (nil for NULL); stop
 * once the reply is too big. */
static int cmd_sort_value(void *arg, const struct omk_slice *val)
{
    if (val)
        reply_bulk(arg, val->p, val->len);
    else
        reply_null(arg);
    return reply_deferred_full(arg);
}

/* SORT / SORT_RO ('ro') key [BY pattern] [LIMIT offset count] [GET pattern ...]
 * [ASC|DESC] [ALPHA] [STORE destination]: the options first, then the key (WRONGTYPE
 * unless a list, set or sorted set), then the sorted values as an array (nil for a GET
 * that names nothing) or, with STORE, their number. Every key looked up (the key sorted,
 * each BY and GET key) counts in keyspace_hits/misses, as in Redis. */
static void cmd_sort_generic(struct client *c, int ro)
{
    struct store_sort_opts o;
    struct store_sort_lookups lk = {0};
    struct omk_slice *pats;
    uint64_t n = 0;
    int rc, dst_existed;

    if (!cmd_sort_options_or_reply(c, ro, &o, &pats)) {
        omk_free(pats);
        return;
    }
    if (!o.store)
        reply_deferred_begin(c);
    /* An empty result deletes the destination: "del" only if there was one to delete. */
    dst_existed = o.store && notify_wanted(NOTIFY_GENERIC) &&
                  store_exists(server.store, c->db, *o.store) == STORE_OK;
    rc = store_sort(server.store, c->db, c->argv[1], &o, cmd_sort_value, c, &n, &lk);
    if (rc == STORE_OK && o.store && n > 0)
        notify_event(c, NOTIFY_LIST, "sortstore", *o.store);
    else if (rc == STORE_OK && o.store && dst_existed)
        notify_event(c, NOTIFY_GENERIC, "del", *o.store);
    for (uint64_t i = 0; i < lk.hits + lk.misses; i++)
        cmd_count_lookup(c, i < lk.hits);
    if (!o.store && rc == STORE_OK)
        reply_deferred_end(c, (long long)n);
    else if (!o.store)
        reply_deferred_discard(c);
    if (rc == STORE_NOTFLOAT)
        reply_error(c, "ERR One or more scores can't be converted into double");
    else if (rc != STORE_OK)
        reply_err_store(c, rc);
    else if (o.store)
        reply_int(c, (long long)n);
    omk_free(pats);
}

/* SORT key [options] [STORE destination] */
void cmd_sort(struct client *c)
{
    cmd_sort_generic(c, 0);
}

/* SORT_RO key [options]: SORT without STORE (a syntax error here), so a read. */
void cmd_sort_ro(struct client *c)
{
    cmd_sort_generic(c, 1);
}
