/* cmd_hyperloglog.c - HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST.
 * Each parses its arguments, makes one store call (store/ops_hll.c, atomic under the
 * stripes of its keys) and replies with Redis 7's words, its errors included. The
 * values are Redis' own HyperLogLog strings, so GET and SET move them between servers. */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "common/omk.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/notify.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

/* hll-sparse-max-bytes now. */
static size_t cmd_hll_sparse_max(void)
{
    return (size_t)atomic_load(&server.cfg.hll_sparse_max_bytes);
}

/* Reply the error of store outcome 'rc' of a HyperLogLog call (not STORE_OK). */
static void cmd_hll_reply_err(struct client *c, int rc)
{
    if (rc == STORE_HLL_INVALID)
        reply_error(c, "WRONGTYPE Key is not a valid HyperLogLog string value.");
    else if (rc == STORE_HLL_CORRUPT)
        reply_error(c, "INVALIDOBJ Corrupted HLL object detected");
    else if (rc == STORE_HLL_NOTSPARSE)
        reply_error(c, "ERR HLL encoding is not sparse");
    else if (rc == STORE_NOTFOUND)
        reply_error(c, "ERR The specified key does not exist");
    else
        reply_err_store(c, rc);
}

/* PFADD key [element ...] */
void cmd_pfadd(struct client *c)
{
    int changed = 0;
    int rc = store_pfadd(server.store, c->db, c->argv[1], &c->argv[2], (size_t)c->argc - 2,
                         cmd_hll_sparse_max(), &changed);

    if (rc == STORE_OK && changed)
        notify_event(c, NOTIFY_STRING, "pfadd", c->argv[1]);
    if (rc == STORE_OK)
        reply_int(c, changed);
    else
        cmd_hll_reply_err(c, rc);
}

/* notify_valid_fn: whether string 'key' passes the header checks Redis makes of a
 * HyperLogLog before it reads one (the magic, a known encoding, a dense one's exact size),
 * so keyspace misses after one that does not are not reported (Redis stops there). */
static int cmd_hll_looks_valid(struct client *c, struct omk_slice key)
{
    struct store_val *v = NULL;
    int valid;

    if (store_get(server.store, c->db, key, &v) != STORE_OK)
        return 1;
    valid = v->len >= 16 && !memcmp(v->data, "HYLL", 4) &&
            (((unsigned char)v->data[4] == 1) ||
             ((unsigned char)v->data[4] == 0 && v->len == 16 + 12288));
    store_val_release(v);
    return valid;
}

/* PFCOUNT key [key ...] */
void cmd_pfcount(struct client *c)
{
    uint64_t card = 0;
    unsigned char *reads = notify_reads_begin_valid(c, &c->argv[1], (size_t)c->argc - 1,
                                                    1u << STORE_TYPE_STRING, cmd_hll_looks_valid);
    int rc = store_pfcount(server.store, c->db, &c->argv[1], (size_t)c->argc - 1, &card);

    if (rc == STORE_HLL_CORRUPT)
        notify_reads_stop_at_first(reads, (size_t)c->argc - 1);
    notify_reads_end(c, &c->argv[1], (size_t)c->argc - 1, reads);
    if (rc == STORE_OK)
        reply_int(c, (long long)card);
    else
        cmd_hll_reply_err(c, rc);
}

/* PFMERGE destkey [sourcekey ...] */
void cmd_pfmerge(struct client *c)
{
    unsigned char *reads = notify_reads_begin_valid(c, &c->argv[1], (size_t)c->argc - 1,
                                                    1u << STORE_TYPE_STRING, cmd_hll_looks_valid);
    int rc = store_pfmerge(server.store, c->db, &c->argv[1], (size_t)c->argc - 1,
                           cmd_hll_sparse_max());

    if (rc == STORE_HLL_CORRUPT)
        notify_reads_stop_at_first(reads, (size_t)c->argc - 1);
    notify_reads_end(c, &c->argv[1], (size_t)c->argc - 1, reads); /* every key is read */
    if (rc == STORE_OK) /* Redis names a merge's event pfadd too */
        notify_event(c, NOTIFY_STRING, "pfadd", c->argv[1]);
    if (rc == STORE_OK)
        reply_ok(c);
    else
        cmd_hll_reply_err(c, rc);
}

/* PFDEBUG <GETREG|DECODE|ENCODING|TODENSE> key. As in Redis the key is checked before
 * the subcommand, so an unknown subcommand on a missing key says the key is missing. */
void cmd_pfdebug(struct client *c)
{
    static const struct {
        const char *name;
        enum store_pfdebug_cmd what;
    } subs[] = {
        {"getreg", STORE_PFDEBUG_GETREG},
        {"decode", STORE_PFDEBUG_DECODE},
        {"encoding", STORE_PFDEBUG_ENCODING},
        {"todense", STORE_PFDEBUG_TODENSE},
    };
    const struct omk_slice *sub = &c->argv[1];
    enum store_pfdebug_cmd what = STORE_PFDEBUG_NONE;
    struct store_pfdebug_out out;
    int rc;

    for (size_t i = 0; i < OMK_ARRAY_LEN(subs); i++)
        if (sub->len == strlen(subs[i].name) && strncasecmp(sub->p, subs[i].name, sub->len) == 0)
            what = subs[i].what;
    rc = store_pfdebug(server.store, c->db, c->argv[2], what, &out);
    if (rc != STORE_OK) {
        cmd_hll_reply_err(c, rc);
        return;
    }
    switch (what) {
    case STORE_PFDEBUG_GETREG:
        reply_array_len(c, STORE_HLL_REGISTERS);
        for (unsigned i = 0; i < STORE_HLL_REGISTERS; i++)
            reply_int(c, out.regs[i]);
        break;
    case STORE_PFDEBUG_DECODE:
        reply_bulk(c, out.text, out.textlen);
        break;
    case STORE_PFDEBUG_ENCODING:
        reply_simple(c, out.dense ? "dense" : "sparse");
        break;
    case STORE_PFDEBUG_TODENSE:
        reply_int(c, out.converted);
        break;
    case STORE_PFDEBUG_NONE: {
        /* Redis prints the name as a C string: it ends at a NUL byte */
        size_t n = strnlen(sub->p, sub->len);

        reply_error_fmt(c, "ERR Unknown PFDEBUG subcommand '%.*s'", reply_user_len(n), sub->p);
        break;
    }
    }
    omk_free(out.regs);
    omk_free(out.text);
}

/* PFSELFTEST */
void cmd_pfselftest(struct client *c)
{
    char err[256];

    if (store_pfselftest(cmd_hll_sparse_max(), err, sizeof(err)) == 0)
        reply_ok(c);
    else
        reply_error_fmt(c, "ERR %s", err);
}
