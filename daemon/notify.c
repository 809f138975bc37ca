/* notify.c - keyspace notifications (see notify.h): one event becomes up to two
 * publishes, __keyspace@<db>__:<key> with the event and __keyevent@<db>__:<event> with
 * the key, as Redis' notifyKeyspaceEvent sends them; handlers call it once per change,
 * and the store's event hook adds "expired" and "new".
 *
 * HOW "new" IS PLACED. Redis sends "new" from dbAdd, in the middle of a command: after
 * the events of keys the command changed before it created this one, before the events
 * of the created key. Our store creates every key of a command in one commit, before the
 * handler reports anything; so a creation is held in a per-thread list and sent just
 * before the first event the handler reports on the same key, or when the command ends
 * (notify_command_end) if it reports none. Only the thread that committed holds it:
 * commands commit on the thread that runs them. */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common/omk.h"
#include "daemon/conn.h"
#include "daemon/notify.h"
#include "daemon/pubsub.h"
#include "daemon/server.h"
#include "store/store.h"

#define NOTIFY_HELD_MAX 1024 /* creations held per thread; beyond, the oldest goes out */
#define NOTIFY_CHAN_STACK 256 /* channel names up to this fit on the stack */

/* A creation waiting for its key's first event. */
struct notify_held {
    int db;
    char *key; /* omk_memdup'ed */
    size_t klen;
};

static __thread struct notify_held *tl_held; /* creations of this thread's command */
static __thread size_t tl_nheld, tl_capheld;

/* The classes on, one relaxed load (CONFIG SET may change them at any time). */
static int notify_flags(void)
{
    return atomic_load_explicit(&server.cfg.notify_keyspace_events, memory_order_relaxed);
}

/* Publish on "<prefix><db>__:<name>" the message 'msg' (all borrowed). */
static void notify_publish(const char *prefix, int db, const char *name, size_t nlen,
                           const char *msg, size_t mlen)
{
    char stack[NOTIFY_CHAN_STACK], *chan = stack;
    size_t plen = strlen(prefix), cap = plen + 16 + 3 + nlen, n;

    if (cap > sizeof(stack))
        chan = omk_malloc(cap);
    n = (size_t)snprintf(chan, cap, "%s%d__:", prefix, db);
    memcpy(chan + n, name, nlen);
    pubsub_publish(chan, n + nlen, msg, mlen, 0);
    if (chan != stack)
        omk_free(chan);
}

/* Send 'event' of class 'type' on 'key' of 'db' if the flags 'f' ask for it. */
static void notify_send(int f, int type, const char *event, int db, const char *key,
                        size_t klen)
{
    size_t elen = strlen(event);

    if (!(f & type))
        return;
    if (f & NOTIFY_KEYSPACE)
        notify_publish("__keyspace@", db, key, klen, event, elen);
    if (f & NOTIFY_KEYEVENT)
        notify_publish("__keyevent@", db, event, elen, key, klen);
}

/* Drop held entry 'i', keeping the order of the others. */
static void notify_held_drop(size_t i)
{
    omk_free(tl_held[i].key);
    memmove(&tl_held[i], &tl_held[i + 1], (tl_nheld - i - 1) * sizeof(*tl_held));
    tl_nheld--;
}

/* The index of the held creation of 'key' in 'db', or -1. */
static long notify_held_find(int db, const char *key, size_t klen)
{
    for (size_t i = 0; i < tl_nheld; i++)
        if (tl_held[i].db == db && tl_held[i].klen == klen && !memcmp(tl_held[i].key, key, klen))
            return (long)i;
    return -1;
}

/* Send held creation 'i' ("new", if class n is on in 'f') and forget it. */
static void notify_held_send(int f, size_t i)
{
    notify_send(f, NOTIFY_NEW, "new", tl_held[i].db, tl_held[i].key, tl_held[i].klen);
    notify_held_drop(i);
}

void notify_event_db(int type, const char *event, int db, struct omk_slice key)
{
    int f = notify_flags();

    if (!f)
        return;
    if (tl_nheld) {
        long i = notify_held_find(db, key.p, key.len);

        if (i >= 0)
            notify_held_send(f, (size_t)i);
    }
    notify_send(f, type, event, db, key.p, key.len);
}

void notify_event(struct client *c, int type, const char *event, struct omk_slice key)
{
    notify_event_db(type, event, c->db, key);
}

int notify_wanted(int type)
{
    int f = notify_flags();

    return (f & type) && (f & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT));
}

void notify_del_if_gone(struct client *c, struct omk_slice key)
{
    if (notify_wanted(NOTIFY_GENERIC) && store_exists(server.store, c->db, key) == STORE_NOTFOUND)
        notify_event(c, NOTIFY_GENERIC, "del", key);
}

void notify_keymiss(struct client *c, struct omk_slice key)
{
    int f = notify_flags();

    /* Not through notify_event_db: a read comes before the command's writes, so a
     * creation it made stays held for its own event (GETSET: keymiss, new, set). */
    notify_send(f, NOTIFY_KEY_MISS, "keymiss", c->db, key.p, key.len);
}

/* What notify_reads_begin() notes of each key. */
enum { NOTIFY_READ_FOUND = 0, NOTIFY_READ_MISSING = 1, NOTIFY_READ_STOP = 2 };

unsigned char *notify_reads_begin(struct client *c, const struct omk_slice *keys, size_t n,
                                  unsigned types)
{
    return notify_reads_begin_valid(c, keys, n, types, NULL);
}

unsigned char *notify_reads_begin_valid(struct client *c, const struct omk_slice *keys, size_t n,
                                        unsigned types, notify_valid_fn *valid)
{
    unsigned char *noted;

    if (!notify_wanted(NOTIFY_KEY_MISS) || n == 0)
        return NULL;
    noted = omk_calloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        struct store_keyinfo ki;
        int rc = store_keyinfo(server.store, c->db, keys[i], &ki);

        if (rc == STORE_NOTFOUND) {
            noted[i] = NOTIFY_READ_MISSING;
        } else if (rc != STORE_OK || !(types & (1u << ki.type)) || (valid && !valid(c, keys[i]))) {
            noted[i] = NOTIFY_READ_STOP;
            break;
        }
    }
    return noted;
}

void notify_reads_stop_at_first(unsigned char *noted, size_t n)
{
    for (size_t i = 0; noted && i < n; i++) {
        if (noted[i] != NOTIFY_READ_MISSING) {
            noted[i] = NOTIFY_READ_STOP;
            return;
        }
    }
}

void notify_reads_end(struct client *c, const struct omk_slice *keys, size_t n,
                      unsigned char *noted)
{
    if (!noted)
        return;
    for (size_t i = 0; i < n && noted[i] != NOTIFY_READ_STOP; i++)
        if (noted[i] == NOTIFY_READ_MISSING)
            notify_keymiss(c, keys[i]);
    omk_free(noted);
}

void notify_keymiss_if_missing(struct client *c, struct omk_slice key)
{
    if (notify_wanted(NOTIFY_KEY_MISS) &&
        store_exists(server.store, c->db, key) == STORE_NOTFOUND)
        notify_keymiss(c, key);
}

void notify_new(int db, struct omk_slice key)
{
    int f = notify_flags();
    long i;

    if (!f)
        return;
    i = tl_nheld ? notify_held_find(db, key.p, key.len) : -1;
    if (i >= 0)
        notify_held_drop((size_t)i);
    notify_send(f, NOTIFY_NEW, "new", db, key.p, key.len);
}

void notify_command_end(void)
{
    int f;

    if (!tl_nheld)
        return;
    f = notify_flags();
    while (tl_nheld)
        notify_held_send(f, 0);
}

void notify_store_event(int db, const char *key, size_t klen, int what)
{
    int f = notify_flags();

    if (what == STORE_EVENT_EXPIRED) {
        notify_send(f, NOTIFY_EXPIRED, "expired", db, key, klen);
        return;
    }
    if (!(f & NOTIFY_NEW))
        return;
    if (tl_nheld == NOTIFY_HELD_MAX)
        notify_held_send(f, 0);
    if (tl_nheld == tl_capheld) {
        tl_capheld = tl_capheld ? tl_capheld * 2 : 8;
        tl_held = omk_realloc(tl_held, tl_capheld * sizeof(*tl_held));
    }
    tl_held[tl_nheld++] = (struct notify_held){db, omk_memdup(key, klen), klen};
}
