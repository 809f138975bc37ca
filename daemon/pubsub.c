/* pubsub.c - the publish/subscribe registry and message delivery (see pubsub.h).
 *
 * HOW IT WORKS. Three tables (channels, patterns, shard channels) map a name to a
 * struct ps_chan listing its subscriptions; each subscription (struct ps_sub) is also on
 * its client's list of that kind, so either side finds it. A name with no subscriber
 * left is freed, so PUBSUB CHANNELS lists only live names and a client cannot grow the
 * registry beyond its own subscriptions.
 *
 * A publish takes ps_lock, and for each receiver encodes the message for the
 * receiver's protocol (RESP3 push, RESP2 array) into one of two places:
 *  - the receiver's output buffer, when the publisher runs on the receiver's own worker
 *    (after moving in whatever waits in its mailbox, so earlier messages stay first);
 *  - otherwise the receiver's mailbox (struct pubsub_client.mbox, an evbuffer guarded
 *    by ps_lock). A mailbox that was empty puts its client on its worker's delivery
 *    queue, and the first client queued wakes the worker (WORKER_MSG_PUBSUB); the worker
 *    moves every queued mailbox to its client's output without a copy
 *    (pubsub_worker_deliver). Per publisher and subscriber the path never changes, and
 *    each path is FIFO: messages arrive in publication order.
 * Output written so joins the client's current pass (pass_hold), so it leaves after any
 * reply the pass holds for the log, never before.
 *
 * Bounds: a mailbox reaching the hard limit of the pubsub class of
 * client-output-buffer-limit closes its client (the publisher drops the mailbox, marks
 * the client and asks its worker to reap it); the worker checks the output against both
 * limits after each move, as Redis does after each reply. So a subscriber that never
 * reads costs at most about twice the hard limit, and PUBLISH never waits for it. */
#include "config.h"

#include <stdatomic.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/omk_thread.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/log.h"
#include "daemon/pass.h"
#include "daemon/pubsub.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "resp/resp.h"

struct ps_chan;

/* One subscription of a client to a name. */
struct ps_sub {
    struct ps_chan *ch;
    struct pubsub_client *pc;
    struct ps_sub *ch_prev, *ch_next; /* ch's subscriptions */
    struct ps_sub *pc_prev, *pc_next; /* pc's subscriptions of ch's kind */
};

/* A name with at least one subscriber. */
struct ps_chan {
    struct ps_chan *hnext;              /* hash chain */
    struct ps_chan *all_prev, *all_next; /* every name of the table, for iteration */
    struct ps_sub *subs;
    long long nsubs;
    uint64_t hash;
    size_t len;
    char name[];
};

struct ps_table {
    struct ps_chan **buckets;
    size_t mask;         /* buckets - 1, a power of two minus one */
    long long n;         /* names in the table */
    struct ps_chan *all; /* every name, newest first */
};

/* A client's pub/sub state, made at its first subscription. 'c' and 'w' never change;
 * the other fields are guarded by ps_lock. */
struct pubsub_client {
    struct client *c;
    struct worker *w;
    int proto;                      /* c->proto as of its last subscribe or HELLO */
    int closing;                    /* past an output limit: deliver nothing more */
    struct ps_sub *subs[PUBSUB_KINDS];
    long long nsubs[PUBSUB_KINDS];
    struct evbuffer *mbox;          /* messages from other threads, not yet delivered */
    int queued;                     /* on its worker's delivery queue */
    struct pubsub_client *qnext;
};

/* A worker's delivery queue. */
struct ps_wq {
    struct pubsub_client *head;
    int woken;                  /* a WORKER_MSG_PUBSUB is on its way */
    _Atomic unsigned char send; /* PS_WAKE_* to write to the worker's pipe: set under
                                 * ps_lock, taken and sent by any thread once out of it
                                 * (ps_wake_send), since a worker waiting for the lock
                                 * does not read its pipe */
};
#define PS_WAKE_DELIVER 0x1 /* deliver its queued mailboxes */
#define PS_WAKE_REAP 0x2    /* close its clients marked kill_requested */

/* Guards everything below but ps_wqs[].send. A leaf lock: no other lock of the daemon is
 * taken, and no pipe written, while it is held; callers may hold stripe locks. */
static pthread_mutex_t ps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ps_table ps_tables[PUBSUB_KINDS];
static struct ps_wq *ps_wqs; /* one per worker, by worker id; set before workers run */
static int ps_nworkers;

/* The worker whose thread this is, or NULL (not a worker). */
static __thread struct worker *tls_worker;

/* Ask for wake-up 'what' (PS_WAKE_*) of worker 'w' (ps_lock held). */
static void ps_wake_later(const struct worker *w, unsigned char what)
{
    atomic_fetch_or(&ps_wqs[w->id].send, what);
}

/* Write the wake-ups asked for to the workers' pipes (after leaving ps_lock). Each is
 * sent once, by whichever thread takes it first. */
static void ps_wake_send(void)
{
    for (int i = 0; i < ps_nworkers; i++) {
        unsigned char what;

        if (!atomic_load_explicit(&ps_wqs[i].send, memory_order_relaxed))
            continue;
        what = atomic_exchange(&ps_wqs[i].send, 0);
        if (what & PS_WAKE_DELIVER)
            worker_wake_pubsub(&server.workers[i]);
        if (what & PS_WAKE_REAP)
            worker_reap(&server.workers[i]);
    }
}

/* The message type words, by kind (Redis' shared.messagebulk ...). */
static const char *const ps_msg_word[PUBSUB_KINDS] = {"message", "pmessage", "smessage"};
static const char *const ps_sub_word[PUBSUB_KINDS] = {"subscribe", "psubscribe", "ssubscribe"};
static const char *const ps_unsub_word[PUBSUB_KINDS] = {"unsubscribe", "punsubscribe",
                                                        "sunsubscribe"};

void pubsub_init(int nworkers)
{
    ps_wqs = omk_calloc((size_t)nworkers, sizeof(*ps_wqs));
    ps_nworkers = nworkers;
    for (int k = 0; k < PUBSUB_KINDS; k++) {
        ps_tables[k].mask = 15;
        ps_tables[k].buckets = omk_calloc(16, sizeof(struct ps_chan *));
    }
}

void pubsub_thread_init(struct worker *w)
{
    tls_worker = w;
}

/* ---- the tables (ps_lock held) ---------------------------------------------------- */

static struct ps_chan *ps_find(const struct ps_table *t, const char *p, size_t len, uint64_t h)
{
    for (struct ps_chan *ch = t->buckets[h & t->mask]; ch; ch = ch->hnext)
        if (ch->hash == h && ch->len == len && memcmp(ch->name, p, len) == 0)
            return ch;
    return NULL;
}

/* Double t's buckets once it holds more names than buckets. */
static void ps_grow(struct ps_table *t)
{
    size_t nb = 2 * (t->mask + 1);
    struct ps_chan **b = omk_calloc(nb, sizeof(*b));

    for (struct ps_chan *ch = t->all; ch; ch = ch->all_next) {
        ch->hnext = b[ch->hash & (nb - 1)];
        b[ch->hash & (nb - 1)] = ch;
    }
    omk_free(t->buckets);
    t->buckets = b;
    t->mask = nb - 1;
}

static struct ps_chan *ps_add(struct ps_table *t, const char *p, size_t len, uint64_t h)
{
    struct ps_chan *ch = omk_calloc(1, sizeof(*ch) + len + 1);

    memcpy(ch->name, p, len);
    ch->len = len;
    ch->hash = h;
    ch->all_next = t->all;
    if (t->all)
        t->all->all_prev = ch;
    t->all = ch;
    t->n++;
    if ((size_t)t->n > t->mask + 1)
        ps_grow(t); /* rebuilds every chain, 'ch' included */
    else {
        ch->hnext = t->buckets[h & t->mask];
        t->buckets[h & t->mask] = ch;
    }
    return ch;
}

static void ps_remove(struct ps_table *t, struct ps_chan *ch)
{
    struct ps_chan **pp = &t->buckets[ch->hash & t->mask];

    while (*pp != ch)
        pp = &(*pp)->hnext;
    *pp = ch->hnext;
    if (ch->all_prev)
        ch->all_prev->all_next = ch->all_next;
    else
        t->all = ch->all_next;
    if (ch->all_next)
        ch->all_next->all_prev = ch->all_prev;
    t->n--;
    omk_free(ch);
}

/* The subscription of 'pc' to 'ch' (kind 'k'), or NULL: the shorter list is walked. */
static struct ps_sub *ps_sub_find(const struct pubsub_client *pc, const struct ps_chan *ch,
                                  enum pubsub_kind k)
{
    if (ch->nsubs <= pc->nsubs[k]) {
        for (struct ps_sub *s = ch->subs; s; s = s->ch_next)
            if (s->pc == pc)
                return s;
    } else {
        for (struct ps_sub *s = pc->subs[k]; s; s = s->pc_next)
            if (s->ch == ch)
                return s;
    }
    return NULL;
}

/* Take subscription 's' (kind 'k') off both lists, free it, and its name if it was the
 * last one. */
static void ps_sub_drop(struct ps_sub *s, enum pubsub_kind k)
{
    struct ps_chan *ch = s->ch;
    struct pubsub_client *pc = s->pc;

    if (s->ch_prev)
        s->ch_prev->ch_next = s->ch_next;
    else
        ch->subs = s->ch_next;
    if (s->ch_next)
        s->ch_next->ch_prev = s->ch_prev;
    if (s->pc_prev)
        s->pc_prev->pc_next = s->pc_next;
    else
        pc->subs[k] = s->pc_next;
    if (s->pc_next)
        s->pc_next->pc_prev = s->pc_prev;
    ch->nsubs--;
    pc->nsubs[k]--;
    if (ch->nsubs == 0)
        ps_remove(&ps_tables[k], ch);
    omk_free(s);
}

/* ---- per-client state ---------------------------------------------------------------- */

/* Publish c's subscription counts for CLIENT LIST (sub= psub= ssub=). */
static void ps_publish_counts(struct client *c, const struct pubsub_client *pc)
{
    atomic_store_explicit(&c->sub_channels, (int)pc->nsubs[PUBSUB_CHANNEL], memory_order_relaxed);
    atomic_store_explicit(&c->sub_patterns, (int)pc->nsubs[PUBSUB_PATTERN], memory_order_relaxed);
    atomic_store_explicit(&c->sub_shard, (int)pc->nsubs[PUBSUB_SHARD], memory_order_relaxed);
}

/* c's pub/sub state, made on first use (ps_lock held). Any thread may make it
 * (pubsub_send_raw), so c->pubsub is read and written under ps_lock only; c->proto,
 * owner-only, is read by the owner ('owner' 1) and set by each subscribe otherwise. */
static struct pubsub_client *ps_client(struct client *c, int owner)
{
    if (!c->pubsub) {
        struct pubsub_client *pc = omk_calloc(1, sizeof(*pc));

        pc->c = c;
        pc->w = c->worker;
        pc->proto = owner ? c->proto : 2;
        pc->mbox = evbuffer_new();
        OMK_ASSERT(pc->mbox != NULL);
        c->pubsub = pc;
    }
    return c->pubsub;
}

/* The count Redis' confirmations carry: channels and patterns together, or shard
 * channels alone. */
static long long ps_reply_count(const struct pubsub_client *pc, enum pubsub_kind k)
{
    if (k == PUBSUB_SHARD)
        return pc->nsubs[PUBSUB_SHARD];
    return pc->nsubs[PUBSUB_CHANNEL] + pc->nsubs[PUBSUB_PATTERN];
}

/* Move pc's mailbox to its client's output (owner thread, ps_lock held), unless a
 * streamed reply is being written. Returns the bytes moved. */
static size_t ps_mbox_move(struct pubsub_client *pc)
{
    struct client *c = pc->c;
    size_t n = evbuffer_get_length(pc->mbox);
    int rc;

    if (n == 0 || c->reader)
        return 0;
    if (pc->closing || (c->flags & (CLIENT_CLOSING | CLIENT_CLOSE_AFTER_REPLY))) {
        evbuffer_drain(pc->mbox, n);
        return 0;
    }
    pass_hold(c);
    rc = evbuffer_add_buffer(c->out, pc->mbox);
    OMK_ASSERT(rc == 0);
    worker_stat_add(&c->worker->stats.net_out_bytes, n);
    return n;
}

/* Close pc's client, which passed an output limit (ps_lock held): nothing more is
 * delivered to it, and its worker, woken once ps_lock is left, frees it (conn_reap). */
static void ps_close_client(struct pubsub_client *pc)
{
    pc->closing = 1;
    evbuffer_drain(pc->mbox, evbuffer_get_length(pc->mbox));
    atomic_store(&pc->c->kill_requested, 1);
    ps_wake_later(pc->w, PS_WAKE_REAP);
}

/* After output was added to c (owner thread, ps_lock held): close it if that passed an
 * output limit. */
static void ps_check_output(struct pubsub_client *pc)
{
    if (!pc->closing && conn_check_obuf_limits(pc->c))
        ps_close_client(pc);
}

void pubsub_subscribe(struct client *c, enum pubsub_kind k, struct omk_slice name)
{
    struct ps_table *t = &ps_tables[k];
    uint64_t h = omk_hash(name.p, name.len);
    struct pubsub_client *pc;
    struct ps_chan *ch;
    long long count;

    int was_subscribed = pubsub_subscribed(c);

    omk_mutex_lock(&ps_lock);
    pc = ps_client(c, 1);
    pc->proto = c->proto;
    ps_mbox_move(pc); /* what was published before stays before the confirmation */
    ch = ps_find(t, name.p, name.len, h);
    if (!ch)
        ch = ps_add(t, name.p, name.len, h);
    if (!ps_sub_find(pc, ch, k)) {
        struct ps_sub *s = omk_calloc(1, sizeof(*s));

        s->ch = ch;
        s->pc = pc;
        s->ch_next = ch->subs;
        if (ch->subs)
            ch->subs->ch_prev = s;
        ch->subs = s;
        ch->nsubs++;
        s->pc_next = pc->subs[k];
        if (pc->subs[k])
            pc->subs[k]->pc_prev = s;
        pc->subs[k] = s;
        pc->nsubs[k]++;
    }
    count = ps_reply_count(pc, k);
    ps_publish_counts(c, pc);
    omk_mutex_unlock(&ps_lock);
    if (!was_subscribed)
        conn_apply_timeout(c); /* a subscriber is never idle */

    reply_push_len(c, 3);
    reply_bulk_cstr(c, ps_sub_word[k]);
    reply_bulk(c, name.p, name.len);
    reply_int(c, count);
}

/* Reply one unsubscribe confirmation ('name' NULL: a null name). */
static void ps_reply_unsub(struct client *c, enum pubsub_kind k, const char *name, size_t len,
                           long long count)
{
    reply_push_len(c, 3);
    reply_bulk_cstr(c, ps_unsub_word[k]);
    if (name)
        reply_bulk(c, name, len);
    else
        reply_null(c);
    reply_int(c, count);
}

void pubsub_unsubscribe(struct client *c, enum pubsub_kind k, const struct omk_slice *name)
{
    int was_subscribed = pubsub_subscribed(c);
    struct pubsub_client *pc;

    omk_mutex_lock(&ps_lock);
    pc = ps_client(c, 1);
    ps_mbox_move(pc);
    if (name) {
        struct ps_chan *ch = ps_find(&ps_tables[k], name->p, name->len,
                                     omk_hash(name->p, name->len));
        struct ps_sub *s = ch ? ps_sub_find(pc, ch, k) : NULL;

        if (s)
            ps_sub_drop(s, k);
        ps_reply_unsub(c, k, name->p, name->len, ps_reply_count(pc, k));
    } else if (!pc->subs[k]) {
        ps_reply_unsub(c, k, NULL, 0, ps_reply_count(pc, k));
    } else {
        while (pc->subs[k]) {
            struct ps_sub *s = pc->subs[k];
            struct ps_chan *ch = s->ch;
            int last = ch->nsubs == 1; /* the name goes with the subscription */
            char *copy = last ? omk_malloc(ch->len + 1) : NULL;
            const char *p = ch->name;
            size_t len = ch->len;

            if (last) {
                memcpy(copy, ch->name, len);
                p = copy;
            }
            ps_sub_drop(s, k);
            ps_reply_unsub(c, k, p, len, ps_reply_count(pc, k));
            omk_free(copy);
        }
    }
    ps_publish_counts(c, pc);
    omk_mutex_unlock(&ps_lock);
    if (was_subscribed && !pubsub_subscribed(c))
        conn_apply_timeout(c); /* idle again like any client */
}

int pubsub_subscribed(const struct client *c)
{
    return atomic_load_explicit(&c->sub_channels, memory_order_relaxed) +
               atomic_load_explicit(&c->sub_patterns, memory_order_relaxed) +
               atomic_load_explicit(&c->sub_shard, memory_order_relaxed) > 0;
}

int pubsub_cmd_allowed(const struct cmd_def *d)
{
    static const char *const allowed[] = {"ping", "subscribe", "ssubscribe", "unsubscribe",
                                          "sunsubscribe", "psubscribe", "punsubscribe", "quit",
                                          "reset"};

    for (size_t i = 0; i < OMK_ARRAY_LEN(allowed); i++)
        if (strcmp(d->name, allowed[i]) == 0)
            return 1;
    return 0;
}

void pubsub_client_reset(struct client *c)
{
    struct pubsub_client *pc;

    omk_mutex_lock(&ps_lock);
    pc = c->pubsub;
    if (!pc) {
        omk_mutex_unlock(&ps_lock);
        return;
    }
    for (int k = 0; k < PUBSUB_KINDS; k++)
        while (pc->subs[k])
            ps_sub_drop(pc->subs[k], (enum pubsub_kind)k);
    if (pc->queued) { /* off its worker's queue */
        struct pubsub_client **pp = &ps_wqs[pc->w->id].head;

        while (*pp != pc)
            pp = &(*pp)->qnext;
        *pp = pc->qnext;
    }
    c->pubsub = NULL;
    omk_mutex_unlock(&ps_lock);
    ps_publish_counts(c, pc);
    evbuffer_free(pc->mbox);
    omk_free(pc);
}

void pubsub_proto_changed(struct client *c)
{
    omk_mutex_lock(&ps_lock);
    if (c->pubsub)
        c->pubsub->proto = c->proto;
    omk_mutex_unlock(&ps_lock);
}

/* ---- publishing ------------------------------------------------------------------- */

/* Encode one message for 'pc' into 'b': [message|smessage, channel, msg], or for a
 * pattern subscription [pmessage, pattern, channel, msg]. */
static void ps_encode(struct evbuffer *b, int proto, enum pubsub_kind k, const struct ps_chan *pat,
                      const char *channel, size_t clen, const char *msg, size_t mlen)
{
    resp_w_push_len(b, proto, k == PUBSUB_PATTERN ? 4 : 3);
    resp_w_bulk(b, ps_msg_word[k], strlen(ps_msg_word[k]));
    if (k == PUBSUB_PATTERN)
        resp_w_bulk(b, pat->name, pat->len);
    resp_w_bulk(b, channel, clen);
    resp_w_bulk(b, msg, mlen);
}

/* Deliver one message to 'pc' (ps_lock held). */
static void ps_mbox_added(struct pubsub_client *pc);

static void ps_deliver(struct pubsub_client *pc, enum pubsub_kind k, const struct ps_chan *pat,
                       const char *channel, size_t clen, const char *msg, size_t mlen)
{
    if (pc->closing)
        return;
    if (pc->w == tls_worker && !pc->c->reader) {
        struct client *c = pc->c;
        size_t before;

        if (c->flags & CLIENT_CLOSING)
            return;
        ps_mbox_move(pc);
        pass_hold(c);
        before = evbuffer_get_length(c->out);
        ps_encode(c->out, pc->proto, k, pat, channel, clen, msg, mlen);
        worker_stat_add(&c->worker->stats.net_out_bytes, evbuffer_get_length(c->out) - before);
        ps_check_output(pc);
        return;
    }
    ps_encode(pc->mbox, pc->proto, k, pat, channel, clen, msg, mlen);
    ps_mbox_added(pc);
}

/* After a message was added to pc's mailbox (ps_lock held): close its client past the
 * pubsub class's hard limit, else queue it for its worker and ask for a wake-up. */
static void ps_mbox_added(struct pubsub_client *pc)
{
    long long hard = atomic_load(&server.cfg.obuf_limits[CFG_OBUF_PUBSUB].hard);

    if (hard > 0 && evbuffer_get_length(pc->mbox) >= (unsigned long long)hard) {
        omk_log(OMK_LOG_WARNING,
                "Client id=%llu addr=%s laddr=%s omem=%zu cmd=%s scheduled to be closed ASAP "
                "for overcoming of output buffer limits.",
                (unsigned long long)pc->c->id, pc->c->addr, pc->c->laddr,
                evbuffer_get_length(pc->mbox), "NULL");
        ps_close_client(pc);
        return;
    }
    if (!pc->queued) {
        struct ps_wq *q = &ps_wqs[pc->w->id];

        pc->queued = 1;
        pc->qnext = q->head;
        q->head = pc;
        if (!q->woken) {
            q->woken = 1;
            ps_wake_later(pc->w, PS_WAKE_DELIVER);
        }
    }
}

void pubsub_send_raw(struct client *c, const void *msg, size_t len)
{
    struct pubsub_client *pc;

    omk_mutex_lock(&ps_lock);
    pc = ps_client(c, c->worker == tls_worker);
    if (pc->closing) {
        /* past a limit already: nothing more */
    } else if (pc->w == tls_worker && !c->reader) {
        if (!(c->flags & CLIENT_CLOSING)) {
            ps_mbox_move(pc); /* what waited stays first */
            pass_hold(c);
            evbuffer_add(c->out, msg, len);
            worker_stat_add(&c->worker->stats.net_out_bytes, len);
            ps_check_output(pc);
        }
    } else {
        evbuffer_add(pc->mbox, msg, len);
        ps_mbox_added(pc);
    }
    omk_mutex_unlock(&ps_lock);
    ps_wake_send();
}

long long pubsub_publish(const char *channel, size_t clen, const char *msg, size_t mlen,
                         int shard)
{
    enum pubsub_kind k = shard ? PUBSUB_SHARD : PUBSUB_CHANNEL;
    long long receivers = 0;
    struct ps_chan *ch;

    omk_mutex_lock(&ps_lock);
    ch = ps_find(&ps_tables[k], channel, clen, omk_hash(channel, clen));
    if (ch)
        for (struct ps_sub *s = ch->subs; s; s = s->ch_next, receivers++)
            ps_deliver(s->pc, k, NULL, channel, clen, msg, mlen);
    if (!shard)
        for (struct ps_chan *pat = ps_tables[PUBSUB_PATTERN].all; pat; pat = pat->all_next) {
            if (!omk_glob_match(pat->name, pat->len, channel, clen, 0))
                continue;
            for (struct ps_sub *s = pat->subs; s; s = s->ch_next, receivers++)
                ps_deliver(s->pc, PUBSUB_PATTERN, pat, channel, clen, msg, mlen);
        }
    omk_mutex_unlock(&ps_lock);
    ps_wake_send();
    return receivers;
}

void pubsub_worker_deliver(struct worker *w)
{
    struct ps_wq *q = &ps_wqs[w->id];

    omk_mutex_lock(&ps_lock);
    q->woken = 0;
    while (q->head) {
        struct pubsub_client *pc = q->head;

        q->head = pc->qnext;
        pc->queued = 0;
        if (ps_mbox_move(pc) > 0)
            ps_check_output(pc);
    }
    omk_mutex_unlock(&ps_lock);
    ps_wake_send();
}

void pubsub_flush(struct client *c)
{
    omk_mutex_lock(&ps_lock);
    if (c->pubsub && ps_mbox_move(c->pubsub) > 0)
        ps_check_output(c->pubsub);
    omk_mutex_unlock(&ps_lock);
    ps_wake_send();
}

/* ---- introspection ------------------------------------------------------------------ */

long long pubsub_numsub(enum pubsub_kind k, struct omk_slice name)
{
    struct ps_chan *ch;
    long long n;

    omk_mutex_lock(&ps_lock);
    ch = ps_find(&ps_tables[k], name.p, name.len, omk_hash(name.p, name.len));
    n = ch ? ch->nsubs : 0;
    omk_mutex_unlock(&ps_lock);
    return n;
}

long long pubsub_count(enum pubsub_kind k)
{
    long long n;

    omk_mutex_lock(&ps_lock);
    n = ps_tables[k].n;
    omk_mutex_unlock(&ps_lock);
    return n;
}

void pubsub_reply_names(struct client *c, enum pubsub_kind k, const struct omk_slice *pat)
{
    long long n = 0;

    omk_mutex_lock(&ps_lock);
    for (struct ps_chan *ch = ps_tables[k].all; ch; ch = ch->all_next)
        n += !pat || omk_glob_match(pat->p, pat->len, ch->name, ch->len, 0);
    reply_array_len(c, n);
    for (struct ps_chan *ch = ps_tables[k].all; ch; ch = ch->all_next)
        if (!pat || omk_glob_match(pat->p, pat->len, ch->name, ch->len, 0))
            reply_bulk(c, ch->name, ch->len);
    omk_mutex_unlock(&ps_lock);
}
