/* digest.c - DEBUG DIGEST / DIGEST-VALUE (digest.h).
 *
 * The shape is Redis' (debug.c), the hash is not: a 20-byte digest 'd' is "mixed" with
 * bytes p by d = SHA-256(d || p) cut to 20 bytes, and "xored" with another digest byte by
 * byte. A value's digest mixes its type, then: a string's bytes; a list's elements in
 * order; for a set, a hash or a sorted set, each element (member; field and value;
 * member and score as %.17g) gets a digest of its own, and these are xored, so the order
 * the store walks them in does not matter. A key's digest mixes its name, its value's
 * digest and its absolute expiry (ms), if any. A database's keys' digests are xored into
 * the result after its number is mixed in; empty databases are skipped, so an empty
 * dataset digests to zeros. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/sha256.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/digest.h"
#include "daemon/multi.h"
#include "daemon/server.h"
#include "store/store.h"

#define DG_LEN 20

static void dg_mix(uint8_t d[DG_LEN], const void *p, size_t len)
{
    uint8_t *buf = omk_malloc(DG_LEN + len + 1), h[OMK_SHA256_LEN];

    memcpy(buf, d, DG_LEN);
    if (len)
        memcpy(buf + DG_LEN, p, len);
    omk_sha256(buf, DG_LEN + len, h);
    memcpy(d, h, DG_LEN);
    omk_free(buf);
}

static void dg_xor(uint8_t d[DG_LEN], const uint8_t e[DG_LEN])
{
    for (int i = 0; i < DG_LEN; i++)
        d[i] ^= e[i];
}

static void dg_hex(const uint8_t d[DG_LEN], char hex[DIGEST_HEX_LEN + 1])
{
    for (int i = 0; i < DG_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* Walk callbacks: 'arg' is the value's digest. */
static int dg_list_cb(void *arg, struct omk_slice elem)
{
    dg_mix(arg, elem.p, elem.len);
    return 0;
}

static int dg_set_cb(void *arg, struct omk_slice elem)
{
    uint8_t e[DG_LEN] = {0};

    dg_mix(e, elem.p, elem.len);
    dg_xor(arg, e);
    return 0;
}

static int dg_hash_cb(void *arg, struct omk_slice field, struct omk_slice value)
{
    uint8_t e[DG_LEN] = {0};

    dg_mix(e, field.p, field.len);
    dg_mix(e, value.p, value.len);
    dg_xor(arg, e);
    return 0;
}

static int dg_zset_cb(void *arg, struct omk_slice member, double score)
{
    uint8_t e[DG_LEN] = {0};
    char num[64];
    int n = snprintf(num, sizeof(num), "%.17g", score);

    dg_mix(e, member.p, member.len);
    dg_mix(e, num, (size_t)n);
    dg_xor(arg, e);
    return 0;
}

/* Mix the value of 'key' in 'db' into 'd' (see the file comment). STORE_OK,
 * STORE_NOTFOUND (gone meanwhile) or an error. Caller holds c's exec lane. */
static int dg_value(int db, struct omk_slice key, uint8_t d[DG_LEN])
{
    struct store_keyinfo ki;
    struct store_val *v;
    struct store_zrange zr;
    size_t n;
    uint8_t type;
    int rc = store_keyinfo(server.store, db, key, &ki);

    if (rc != STORE_OK)
        return rc;
    type = (uint8_t)ki.type;
    dg_mix(d, &type, 1);
    switch (ki.type) {
    case STORE_TYPE_STRING:
        rc = store_get(server.store, db, key, &v);
        if (rc == STORE_OK) {
            dg_mix(d, v->data, v->len);
            store_val_release(v);
        }
        return rc;
    case STORE_TYPE_LIST:
        return store_lrange(server.store, db, key, 0, -1, dg_list_cb, d, &n);
    case STORE_TYPE_SET:
        return store_smembers(server.store, db, key, dg_set_cb, d, &n);
    case STORE_TYPE_HASH:
        return store_hgetall(server.store, db, key, dg_hash_cb, d, &n);
    default:
        memset(&zr, 0, sizeof(zr));
        zr.by = STORE_ZBY_RANK;
        zr.stop = -1;
        zr.limit = -1;
        return store_zrange(server.store, db, key, &zr, dg_zset_cb, d, &n);
    }
}

/* The keys of one database, copied (store_keys' callback may not call the store). */
struct dg_keys {
    struct omk_slice *v; /* each 'p' owned */
    size_t n, cap;
};

static void dg_key_cb(void *arg, const char *key, size_t klen, int type)
{
    struct dg_keys *k = arg;

    OMK_UNUSED(type);
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 256;
        k->v = omk_realloc(k->v, k->cap * sizeof(*k->v));
    }
    k->v[k->n++] = (struct omk_slice){omk_memdup(key, klen), klen};
}

int digest_dataset(struct client *c, char hex[DIGEST_HEX_LEN + 1])
{
    uint8_t final[DG_LEN] = {0};
    int rc = STORE_OK;

    multi_cmd_lock(c);
    for (int db = 0; db < server.cfg.databases && rc >= 0; db++) {
        struct dg_keys keys = {NULL, 0, 0};
        uint8_t num[4] = {(uint8_t)(db >> 24), (uint8_t)(db >> 16), (uint8_t)(db >> 8),
                          (uint8_t)db};

        if (store_dbsize(server.store, db) == 0)
            continue;
        store_keys(server.store, db, "*", 1, dg_key_cb, &keys);
        if (keys.n)
            dg_mix(final, num, sizeof(num));
        for (size_t i = 0; i < keys.n; i++) {
            uint8_t kd[DG_LEN] = {0}, vd[DG_LEN] = {0};
            int64_t exp = 0;
            int r = dg_value(db, keys.v[i], vd);

            if (r == STORE_OK)
                r = store_ttl(server.store, db, keys.v[i], &exp);
            if (r == STORE_OK) {
                dg_mix(kd, keys.v[i].p, keys.v[i].len);
                dg_mix(kd, vd, DG_LEN);
                if (exp) {
                    char e[32];
                    int n = snprintf(e, sizeof(e), "!!expire!!%lld", (long long)exp);

                    dg_mix(kd, e, (size_t)n);
                }
                dg_xor(final, kd);
            } else if (r < 0) {
                rc = r;
            }
            omk_free((void *)keys.v[i].p);
        }
        omk_free(keys.v);
    }
    multi_cmd_unlock(c);
    if (rc < 0)
        return rc;
    dg_hex(final, hex);
    return 0;
}

int digest_value(struct client *c, struct omk_slice key, char hex[DIGEST_HEX_LEN + 1])
{
    uint8_t d[DG_LEN] = {0};
    int rc;

    multi_cmd_lock(c);
    rc = dg_value(c->db, key, d);
    multi_cmd_unlock(c);
    if (rc < 0)
        return rc;
    if (rc == STORE_NOTFOUND)
        memset(d, 0, sizeof(d));
    dg_hex(d, hex);
    return 0;
}
