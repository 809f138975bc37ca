/* notify.h - keyspace notifications (notify.c): what Redis' notify-keyspace-events
 * publishes. A handler reports each change it makes as one event (a class bit and
 * Redis' event name); when the class is on, the event goes out through pub/sub as
 * __keyspace@<db>__:<key> (message: the event) and/or __keyevent@<db>__:<event>
 * (message: the key). With notifications off (the default) a call costs one atomic load.
 *
 * Two events come from the store rather than the handlers, through its event hook
 * (store_config.evented, wired in main.c): "expired" (a key removed because its time
 * passed, lazily or by the active-expiry thread: published at once, from that thread)
 * and "new" (a key created by a commit: held back on the committing worker until the
 * handler reports its first event on that key, so "new" comes where Redis' dbAdd puts
 * it, e.g. SMOVE's srem of the source before new and sadd of the destination; whatever
 * is still held when the command ends goes out then).
 *
 * The class bits are Redis' own (server.h NOTIFY_*), so CONFIG GET prints them back in
 * Redis' order (cfg.c turns text into bits and back). */
#ifndef OMK_DAEMON_NOTIFY_H
#define OMK_DAEMON_NOTIFY_H

#include <stddef.h>

#include "common/omk.h"

struct client;

#define NOTIFY_KEYSPACE (1 << 0)  /* K: __keyspace@<db>__:<key> channels */
#define NOTIFY_KEYEVENT (1 << 1)  /* E: __keyevent@<db>__:<event> channels */
#define NOTIFY_GENERIC (1 << 2)   /* g: del, expire, rename, ... */
#define NOTIFY_STRING (1 << 3)    /* $ */
#define NOTIFY_LIST (1 << 4)      /* l */
#define NOTIFY_SET (1 << 5)       /* s */
#define NOTIFY_HASH (1 << 6)      /* h */
#define NOTIFY_ZSET (1 << 7)      /* z */
#define NOTIFY_EXPIRED (1 << 8)   /* x */
#define NOTIFY_EVICTED (1 << 9)   /* e: never sent (omenkv evicts values, not keys) */
#define NOTIFY_STREAM (1 << 10)   /* t: never sent (no streams) */
#define NOTIFY_KEY_MISS (1 << 11) /* m: a reading command did not find a key */
#define NOTIFY_LOADED (1 << 12)   /* modules only in Redis; no letter */
#define NOTIFY_MODULE (1 << 13)   /* d: never sent (no modules) */
#define NOTIFY_NEW (1 << 14)      /* n: a key was created */
/* A: every class but m and n. */
#define NOTIFY_ALL                                                                          \
    (NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET | \
     NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE)

/* Report event 'event' (a C string: Redis' name) of class 'type' on 'key' (borrowed) in
 * database 'db': a held "new" of that key goes out first, then the event, if its class
 * and K or E are on. Any thread; the caller may hold store stripes (pub/sub's lock is a
 * leaf). */
void notify_event_db(int type, const char *event, int db, struct omk_slice key);

/* The same in the client's SELECTed database. */
void notify_event(struct client *c, int type, const char *event, struct omk_slice key);

/* Nonzero when an event of class 'type' would be published now (one atomic load): for
 * callers that must look something up only to report it. */
int notify_wanted(int type);

/* After a removal from collection 'key' (the client's database): report "del" (class g)
 * if the key is gone, as Redis does when a command empties a collection. Looks the key
 * up only when that event is wanted. */
void notify_del_if_gone(struct client *c, struct omk_slice key);

/* Report a read miss of 'key' (class m, "keymiss") in the client's database. */
void notify_keymiss(struct client *c, struct omk_slice key);

/* Report a read miss of 'key' if it does not exist (now): for reading commands whose
 * store call does not tell a missing key from an empty answer. Looks the key up only
 * when class m is on. */
void notify_keymiss_if_missing(struct client *c, struct omk_slice key);

/* Keyspace misses of a command that reads several keys in order, stopping at the first
 * of the wrong type (SINTER, ZUNIONSTORE, BITOP, PFCOUNT...): looked up before the command
 * runs (it may create or delete them), reported after it. Returns NULL when class m is
 * off (nothing to do), else what notify_reads_end() takes: the 'n' keys 'keys' (borrowed;
 * they must stay valid until then) of the client's database, each of a type in 'types'
 * (bits 1 << enum store_type) or missing. */
unsigned char *notify_reads_begin(struct client *c, const struct omk_slice *keys, size_t n,
                                  unsigned types);

/* The same where a key of the right type may still stop the command ('valid' returns 0
 * for it: PFCOUNT and PFMERGE stop at a string that is not a HyperLogLog). */
typedef int notify_valid_fn(struct client *c, struct omk_slice key);
unsigned char *notify_reads_begin_valid(struct client *c, const struct omk_slice *keys, size_t n,
                                        unsigned types, notify_valid_fn *valid);

/* The command failed on a key the look-ups could not judge (a HyperLogLog whose registers
 * do not decode, found only by reading them): take the first key found as the one it
 * stopped at. 'noted' as notify_reads_begin() returned it (NULL: nothing). */
void notify_reads_stop_at_first(unsigned char *noted, size_t n);

/* Report "keymiss" for each key notify_reads_begin() found missing, in order, up to the
 * first of another type (where Redis stops with WRONGTYPE); frees 'noted' (NULL: none). */
void notify_reads_end(struct client *c, const struct omk_slice *keys, size_t n,
                      unsigned char *noted);

/* Report "new" for 'key' in 'db' now, whether or not the store saw a creation (Redis
 * deletes then adds a RENAME's or a COPY REPLACE's destination: "new" even over a key
 * that existed); a held "new" of that key is dropped. */
void notify_new(int db, struct omk_slice key);

/* The command of this worker ended: send the "new" events still held, in order. */
void notify_command_end(void);

/* The store's event hook (store_event_fn): 'what' STORE_EVENT_EXPIRED or
 * STORE_EVENT_CREATED for 'key' ('klen' bytes, borrowed) of 'db'. Any thread. */
void notify_store_event(int db, const char *key, size_t klen, int what);

#endif
