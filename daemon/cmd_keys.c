/* cmd_keys.c - keyspace commands: DEL UNLINK EXISTS SCAN KEYS. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "daemon/cmd.h"
#include "daemon/conn.h"
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
        n += rc == STORE_OK;
    }
    reply_int(c, n);
}

/* Keys of a SCAN or KEYS reply, written as they come into the deferred array. */
struct scan_acc {
    struct client *c;
    long long n;
};

/* Store callback: one key into the deferred reply. */
static void cmd_scan_key(void *arg, const char *key, size_t klen)
{
    struct scan_acc *acc = arg;

    reply_bulk(acc->c, key, klen);
    acc->n++;
}

/* Store callback for SCAN ... TYPE <a type no key has>: examine, return nothing. */
static void cmd_scan_skip(void *arg, const char *key, size_t klen)
{
    OMK_UNUSED(arg);
    OMK_UNUSED(key);
    OMK_UNUSED(klen);
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
void cmd_scan(struct client *c)
{
    unsigned long long cursor;
    const char *pat = NULL;
    size_t plen = 0;
    long long count = 10;
    int type_ok = 1;
    uint64_t next = 0;
    struct scan_acc acc = {c, 0};
    char buf[24];
    int rc;

    if (!omk_str2ull(c->argv[1].p, c->argv[1].len, &cursor)) {
        reply_error(c, "ERR invalid cursor");
        return;
    }
    for (int i = 2; i < c->argc; i += 2) {
        const struct omk_slice *a = &c->argv[i];

        if (i + 1 >= c->argc) {
            reply_err_syntax(c);
            return;
        }
        if (a->len == 5 && !strncasecmp(a->p, "count", 5)) {
            if (!omk_str2ll(c->argv[i + 1].p, c->argv[i + 1].len, &count)) {
                reply_err_not_int(c);
                return;
            }
            if (count < 1) {
                reply_err_syntax(c);
                return;
            }
        } else if (a->len == 5 && !strncasecmp(a->p, "match", 5)) {
            pat = c->argv[i + 1].p;
            plen = c->argv[i + 1].len;
            if (plen == 1 && pat[0] == '*')
                pat = NULL, plen = 0; /* matches everything: skip the glob */
        } else if (a->len == 4 && !strncasecmp(a->p, "type", 4)) {
            /* Every key holds a string so far. */
            type_ok = c->argv[i + 1].len == 6 && !strncasecmp(c->argv[i + 1].p, "string", 6);
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    reply_deferred_begin(c);
    rc = store_scan(server.store, c->db, cursor, pat, plen, (size_t)count,
                    type_ok ? cmd_scan_key : cmd_scan_skip, &acc, &next);
    reply_deferred_pause(c);
    if (rc != STORE_OK) {
        reply_deferred_discard(c);
        if (rc == STORE_ERR_CURSOR)
            reply_error(c, "ERR invalid cursor");
        else
            reply_err_store(c, rc);
        return;
    }
    reply_array_len(c, 2);
    reply_bulk(c, buf, (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)next));
    reply_deferred_end(c, acc.n);
}

/* KEYS pattern: every key that matches, in key order. */
void cmd_keys(struct client *c)
{
    struct scan_acc acc = {c, 0};
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
