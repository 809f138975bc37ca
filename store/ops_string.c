/* ops_string.c - the string read-modify-writes of store.h's "String operations" block:
 * INCRBY, INCRBYFLOAT, APPEND, SETRANGE, STRLEN, GETDEL, GETEX and MSETNX. They sit
 * beside store.c and are built only from the primitives of store_internal.h: each call
 * holds the stripes of its keys from its store_lookup() to the commit of a single write
 * set, so it is atomic for those keys and the per-db counters stay exact.
 * Invariant: a call reads a key's stored value at most once and writes it at most once. */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"

/* ---- One key, from lock to commit ------------------------------------------------------ */

/* A read-modify-write of one key: str_rmw_begin() locks it and reads it, the operation
 * adds at most one change to 'w', str_rmw_end() commits and unlocks. */
struct str_rmw {
    struct store *s;
    int db;
    struct fmt_key k;
    struct store_keylock l;
    struct store_ws w;
    struct key_state st;
    int64_t now;     /* ms: the call's one reading of the clock */
    char *buf;       /* the stored value, header first (rocks_free), or NULL */
    size_t n;        /* bytes at 'buf' */
    const char *val; /* the payload of the live value; NULL: the key is missing or expired */
    size_t vlen;     /* its bytes (0 when missing) */
};

/* Take the stripe of 'key' in 'db' and read what is known of it into 'r': its state,
 * and when 'want_val' its value ('r->val'/'r->vlen' if it is live). Returns STORE_OK,
 * STORE_ERR_VALUE when the value is wanted but does not decode, or an I/O error. In
 * every case the caller ends with str_rmw_end(). */
static int str_rmw_begin(struct str_rmw *r, struct store *s, int db, struct omk_slice key,
                         int want_val)
{
    const struct fmt_key *kp = &r->k;
    int rc;

    OMK_ASSERT(db >= 0 && db < s->databases);
    r->s = s;
    r->db = db;
    r->now = omk_now_ms();
    r->buf = NULL;
    r->n = 0;
    r->val = NULL;
    r->vlen = 0;
    memset(&r->st, 0, sizeof(r->st));
    fmt_key_init(&r->k, db, key.p, key.len);
    store_ws_init(&r->w);
    store_keylock(s, &r->l, &kp, 1);
    rc = store_lookup(s, &r->k, r->now, &r->st, want_val ? &r->buf : NULL, &r->n);
    if (rc < 0 || !r->st.exists || !r->st.live)
        return rc;
    if (r->st.bad)
        return want_val ? STORE_ERR_VALUE : STORE_OK;
    if (want_val) {
        OMK_ASSERT(r->buf && r->n >= FMT_HDR_LEN);
        r->val = r->buf + FMT_HDR_LEN;
        r->vlen = r->n - FMT_HDR_LEN;
    }
    return STORE_OK;
}

/* The expiry a rewrite of the key keeps: its own if it is live, else none. */
static int64_t str_rmw_expiry(const struct str_rmw *r)
{
    return r->st.exists && r->st.live ? r->st.expire_ms : 0;
}

/* Queue the new value 'p'/'n' of the key, expiring at 'expire_ms' (0: never). */
static void str_rmw_put(struct str_rmw *r, const void *p, size_t n, int64_t expire_ms)
{
    store_ws_put(&r->w, r->db, &r->k, &r->st, p, n, expire_ms);
}

/* Finish the call begun by str_rmw_begin() with outcome 'rc': unless 'rc' is an error,
 * also remove the key if it had expired and the call did not rewrite it (lazy expiry),
 * and commit. Then unlock and free. When the result is STORE_OK and 'out' is not NULL,
 * the old value (which the caller saw live) goes to '*out'. Returns 'rc', or the
 * commit's error. */
static int str_rmw_end(struct str_rmw *r, int rc, struct store_val **out)
{
    if (rc >= 0 && r->w.n == 0 && r->st.exists && !r->st.live)
        store_ws_del(&r->w, r->db, &r->k, &r->st);
    if (rc >= 0) {
        int crc = store_ws_commit(r->s, &r->w);

        if (crc < 0)
            rc = crc;
    }
    store_keyunlock(r->s, &r->l);
    store_ws_deinit(&r->w);
    if (rc == STORE_OK && out) {
        OMK_ASSERT(r->val);
        *out = store_val_wrap(r->buf, r->n, r->st.expire_ms);
        r->buf = NULL;
    }
    rocks_free(r->buf);
    fmt_key_deinit(&r->k);
    return rc;
}

/* ---- Counters ------------------------------------------------------------------------- */

int store_incrby(struct store *s, int db, struct omk_slice key, long long incr, long long *out)
{
    struct str_rmw r;
    long long v = 0;
    int rc = str_rmw_begin(&r, s, db, key, 1);

    if (rc == STORE_OK && r.val && !omk_str2ll(r.val, r.vlen, &v))
        rc = STORE_NOTINT;
    if (rc == STORE_OK && ((incr < 0 && v < 0 && incr < LLONG_MIN - v) ||
                           (incr > 0 && v > 0 && incr > LLONG_MAX - v)))
        rc = STORE_OVERFLOW;
    if (rc == STORE_OK) {
        char txt[24];

        v += incr;
        str_rmw_put(&r, txt, omk_ll2str(txt, v), str_rmw_expiry(&r));
    }
    rc = str_rmw_end(&r, rc, NULL);
    if (rc == STORE_OK)
        *out = v;
    return rc;
}

/* Write finite 'v' into 'out' (STORE_FLOAT_STR_MAX bytes) as Redis' ld2string() does in
 * its LD_STR_HUMAN mode: "%.17Lf", then the zeros ending the fraction and a dot left
 * alone dropped, and "-0" written "0". Returns the length (no NUL is counted). The
 * widest finite long double takes under 5,000 bytes, so the text always fits. */
static size_t str_ld_format(char *out, long double v)
{
    int w = snprintf(out, STORE_FLOAT_STR_MAX, "%.17Lf", v);
    size_t n;

    OMK_ASSERT(w > 0 && w < STORE_FLOAT_STR_MAX);
    n = (size_t)w;
    if (memchr(out, '.', n)) {
        while (out[n - 1] == '0')
            n--;
        if (out[n - 1] == '.')
            n--;
    }
    if (n == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        n = 1;
    }
    return n;
}

int store_incrbyfloat(struct store *s, int db, struct omk_slice key, long double incr, char *out,
                      size_t *outlen)
{
    char txt[STORE_FLOAT_STR_MAX];
    struct str_rmw r;
    long double v = 0;
    size_t n = 0;
    int rc = str_rmw_begin(&r, s, db, key, 1);

    if (rc == STORE_OK && r.val && !omk_str2ld(r.val, r.vlen, &v))
        rc = STORE_NOTFLOAT;
    if (rc == STORE_OK) {
        v += incr;
        if (isnan(v) || isinf(v))
            rc = STORE_NANINF;
    }
    if (rc == STORE_OK) {
        n = str_ld_format(txt, v);
        str_rmw_put(&r, txt, n, str_rmw_expiry(&r));
    }
    rc = str_rmw_end(&r, rc, NULL);
    if (rc == STORE_OK) {
        memcpy(out, txt, n);
        *outlen = n;
    }
    return rc;
}

/* ---- Editing a value ------------------------------------------------------------------ */

int store_append(struct store *s, int db, struct omk_slice key, struct omk_slice val,
                 size_t max_len, size_t *newlen)
{
    struct str_rmw r;
    size_t n = 0;
    int rc = str_rmw_begin(&r, s, db, key, 1);

    if (rc == STORE_OK && r.val && (r.vlen > max_len || val.len > max_len - r.vlen))
        rc = STORE_TOOBIG; /* a missing key is not checked: 'val' itself passed the limit */
    if (rc == STORE_OK && !r.val) {
        n = val.len;
        str_rmw_put(&r, val.p, val.len, 0);
    } else if (rc == STORE_OK) {
        char *p;

        n = r.vlen + val.len;
        p = omk_malloc(n);
        memcpy(p, r.val, r.vlen);
        memcpy(p + r.vlen, val.p, val.len);
        str_rmw_put(&r, p, n, str_rmw_expiry(&r)); /* the write set copies the bytes */
        omk_free(p);
    }
    rc = str_rmw_end(&r, rc, NULL);
    if (rc == STORE_OK)
        *newlen = n;
    return rc;
}

int store_setrange(struct store *s, int db, struct omk_slice key, size_t offset,
                   struct omk_slice val, size_t max_len, size_t *newlen)
{
    struct str_rmw r;
    size_t n = 0;
    int rc;

    /* Writing nothing needs only the current length, which the key's state gives. */
    rc = str_rmw_begin(&r, s, db, key, val.len > 0);
    if (rc == STORE_OK && val.len == 0) {
        if (r.st.exists && r.st.live)
            rc = r.st.bad ? STORE_ERR_VALUE : STORE_OK;
        n = rc == STORE_OK && r.st.exists && r.st.live ? r.st.vlen : 0;
    } else if (rc == STORE_OK && (offset > max_len || val.len > max_len - offset)) {
        rc = STORE_TOOBIG;
    } else if (rc == STORE_OK) {
        size_t end = offset + val.len;
        char *p;

        n = end > r.vlen ? end : r.vlen;
        p = omk_malloc(n);
        if (r.vlen)
            memcpy(p, r.val, r.vlen);
        if (offset > r.vlen)
            memset(p + r.vlen, 0, offset - r.vlen);
        memcpy(p + offset, val.p, val.len);
        str_rmw_put(&r, p, n, str_rmw_expiry(&r));
        omk_free(p);
    }
    rc = str_rmw_end(&r, rc, NULL);
    if (rc == STORE_OK)
        *newlen = n;
    return rc;
}

int store_strlen(struct store *s, int db, struct omk_slice key, size_t *len)
{
    struct str_rmw r;
    struct key_state st;
    struct fmt_key k;
    size_t n = 0;
    int rc;

    /* A read, like store_get(): no stripe unless the key turns out to have expired. */
    OMK_ASSERT(db >= 0 && db < s->databases);
    fmt_key_init(&k, db, key.p, key.len);
    store_rdlock(s);
    rc = store_lookup(s, &k, omk_now_ms(), &st, NULL, NULL);
    store_unlock(s);
    fmt_key_deinit(&k);
    if (rc < 0)
        return rc;
    if (!st.exists)
        return STORE_NOTFOUND;
    if (st.live) {
        if (st.bad)
            return STORE_ERR_VALUE;
        *len = st.vlen;
        return STORE_OK;
    }
    /* Expired: look again under the stripe, which removes it unless it was rewritten. */
    rc = str_rmw_begin(&r, s, db, key, 0);
    if (rc == STORE_OK && !(r.st.exists && r.st.live))
        rc = STORE_NOTFOUND;
    else if (rc == STORE_OK && r.st.bad)
        rc = STORE_ERR_VALUE;
    n = r.st.vlen;
    rc = str_rmw_end(&r, rc, NULL);
    if (rc == STORE_OK)
        *len = n;
    return rc;
}

/* ---- Reads that write ------------------------------------------------------------------ */

int store_getdel(struct store *s, int db, struct omk_slice key, struct store_val **out)
{
    struct str_rmw r;
    int rc = str_rmw_begin(&r, s, db, key, 1);

    if (rc == STORE_OK && !r.val)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK)
        store_ws_del(&r.w, db, &r.k, &r.st);
    return str_rmw_end(&r, rc, out);
}

int store_getex(struct store *s, int db, struct omk_slice key, enum store_getex_mode mode,
                int64_t expire_ms, struct store_val **out)
{
    struct str_rmw r;
    int rc;

    if (mode == STORE_GETEX_KEEP)
        return store_get(s, db, key, out);
    rc = str_rmw_begin(&r, s, db, key, 1);
    if (rc == STORE_OK && !r.val)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK && mode == STORE_GETEX_PERSIST) {
        if (r.st.has_expiry)
            str_rmw_put(&r, r.val, r.vlen, 0);
    } else if (rc == STORE_OK) {
        OMK_ASSERT(mode == STORE_GETEX_SET && expire_ms > 0);
        if (expire_ms <= r.now) /* a time already past: the key ends up absent */
            store_ws_del(&r.w, db, &r.k, &r.st);
        else
            str_rmw_put(&r, r.val, r.vlen, expire_ms);
    }
    return str_rmw_end(&r, rc, out);
}
