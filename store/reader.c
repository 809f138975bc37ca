/* reader.c - GET of a large value piece by piece (store.h, "store_get_reader"): the value's
 * fragments are read through one RocksDB iterator made under the key's stripe, so the
 * reader sees the value as it was then, across as many event-loop passes as the reply
 * takes, and nobody builds the whole value in RAM.
 *
 * HOW IT STAYS SAFE. An iterator pins the memtables and files it reads, so writes and
 * compactions after its creation (a SETBIT rewriting a fragment in place, the dead-id
 * filter once the key is deleted) never change what it returns. It must not outlive the
 * RocksDB handle it came from: every reader is in the store's list, and a reopen
 * (commit.c, under 'excl' as writer) or store_close() frees their iterators first;
 * such a reader then fails (the caller closes the connection, since the reply cannot
 * be finished). A read holds 'excl' as reader, so no reopen happens in the middle. */
#include "config.h"

#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store/strval.h"

struct store_reader {
    struct store *s;
    struct store_reader *prev, *next; /* the store's list (s->readers_mu) */
    struct rocks_iter *it;            /* NULL once dropped by a reopen (or at the end) */
    uint64_t id, len, pos;
    int64_t expire_ms;
};

/* Add 'r' to the store's list. */
static void reader_link(struct store_reader *r)
{
    struct store *s = r->s;

    omk_mutex_lock(&s->readers_mu);
    r->prev = NULL;
    r->next = s->readers;
    if (s->readers)
        s->readers->prev = r;
    s->readers = r;
    omk_mutex_unlock(&s->readers_mu);
}

static void reader_unlink(struct store_reader *r)
{
    struct store *s = r->s;

    omk_mutex_lock(&s->readers_mu);
    if (r->prev)
        r->prev->next = r->next;
    else
        s->readers = r->next;
    if (r->next)
        r->next->prev = r->prev;
    omk_mutex_unlock(&s->readers_mu);
}

void store_readers_drop(struct store *s)
{
    omk_mutex_lock(&s->readers_mu);
    for (struct store_reader *r = s->readers; r; r = r->next) {
        rocks_iter_free(r->it);
        r->it = NULL;
    }
    omk_mutex_unlock(&s->readers_mu);
}

int store_get_reader(struct store *s, int db, struct omk_slice key, uint64_t min_len,
                     struct store_val **out, struct store_reader **reader)
{
    struct store_op op;
    struct strval v;
    int rc;

    *out = NULL;
    *reader = NULL;
    rc = strval_begin_read(&op, s, db, key, &v);
    if (rc == STORE_OK && !v.exists)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK && v.id != 0 && v.len > min_len && !store_tx_active()) {
        /* Made under the stripe (strval_begin_read holds it for a fragmented value), so
         * the iterator's view is one state of the value. */
        struct store_reader *r = omk_calloc(1, sizeof(*r));
        unsigned char from[FMT_ELEM_PREFIX], upper[FMT_ELEM_PREFIX];

        r->s = s;
        r->id = v.id;
        r->len = v.len;
        r->expire_ms = v.expire_ms;
        fmt_u64_be_put(from, v.id);
        fmt_u64_be_put(from + 8, 0);
        fmt_u64_be_put(upper, v.id + 1);
        fmt_u64_be_put(upper + 8, 0);
        r->it = rocks_iter_new_cf(s->rocks, ROCKS_CF_ELEMS, (const char *)upper, sizeof(upper), 1);
        rocks_iter_seek(r->it, (const char *)from, sizeof(from));
        reader_link(r);
        *reader = r;
    } else if (rc == STORE_OK) {
        *out = strval_take(&op, 0, &rc);
    }
    strval_close(&v);
    return store_op_end(&op, rc);
}

uint64_t store_reader_len(const struct store_reader *r)
{
    return r->len;
}

/* The fragment number the iterator is at, or UINT64_MAX past the value's records. */
static uint64_t reader_at(struct store_reader *r)
{
    while (rocks_iter_valid(r->it)) {
        size_t klen;
        const char *k = rocks_iter_key(r->it, &klen);

        if (klen == FMT_ELEM_PREFIX)
            return fmt_u64_be_get(k + 8);
        rocks_iter_next(r->it); /* not a fragment key */
    }
    return UINT64_MAX;
}

int store_reader_read(struct store_reader *r, char *buf, size_t cap, size_t *n)
{
    int rc = STORE_OK;

    *n = 0;
    store_rdlock(r->s); /* no reopen while the iterator is in use */
    if (!r->it && r->pos < r->len)
        rc = STORE_ERR_IO; /* RocksDB was reopened: this view is gone */
    while (rc == STORE_OK && *n < cap && r->pos < r->len) {
        uint64_t f = r->pos / FMT_FRAG_BYTES, at = reader_at(r);
        size_t off = (size_t)(r->pos - f * FMT_FRAG_BYTES);
        size_t in = FMT_FRAG_BYTES - off, vlen = 0;
        const char *val = NULL;

        if (r->len - r->pos < in)
            in = (size_t)(r->len - r->pos);
        if (cap - *n < in)
            in = cap - *n;
        if (at == UINT64_MAX && !rocks_iter_valid(r->it) &&
            (rc = rocks_iter_status(r->it)) != STORE_OK)
            break;
        if (at == f)
            val = rocks_iter_value(r->it, &vlen);
        /* The record's bytes, then zeros (a short record, or no record at all). */
        if (off < vlen) {
            size_t m = vlen - off < in ? vlen - off : in;

            memcpy(buf + *n, val + off, m);
            memset(buf + *n + m, 0, in - m);
        } else {
            memset(buf + *n, 0, in);
        }
        *n += in;
        r->pos += in;
        if (at == f && r->pos % FMT_FRAG_BYTES == 0)
            rocks_iter_next(r->it);
    }
    store_rdunlock(r->s);
    return rc;
}

void store_reader_close(struct store_reader *r)
{
    struct store *s;

    if (!r)
        return;
    s = r->s;
    store_rdlock(s); /* not in the middle of a reopen's store_readers_drop() */
    reader_unlink(r);
    rocks_iter_free(r->it);
    store_rdunlock(s);
    omk_free(r);
}
