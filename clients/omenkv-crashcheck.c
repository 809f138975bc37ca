/* omenkv-crashcheck - proves that omenkv-server keeps every write it acknowledged
 * through kill -9, round after round, under each appendfsync mode.
 *
 * HOW IT WORKS. The checker starts the server itself (--io-threads 2) on a data
 * directory, then runs writer threads (hiredis): --threads of them with one request in
 * flight each, and one per depth in --pipelined (default 16 and 100) that sends that many
 * commands at once (redisAppendCommand) before reading their replies. Writer t owns keys
 * cc:<t>:<i> and counter cc:ctr:<t>, so it alone knows their history: every operation
 * on a key gets the next sequence number of that key; SET writes "v<seq>:" plus a
 * padding derived from (t, i, seq); DEL deletes; INCR bumps the counter. A batch names a
 * key at most once, so a key has at most one operation in flight. The writer records
 * each key's last acknowledged operation (each reply of a batch that came back counts)
 * and the operations whose replies never came. At a random moment (--run-ms) the checker
 * sends SIGKILL, restarts the server on the same directory (the time to the first PING
 * answered is the recovery time) and reads every key back. For a key whose last
 * acknowledged operation is SET seq a, with perhaps operation a+1 in flight:
 *   - present with version v: a <= v <= a+1, v == a+1 only if a SET was in flight,
 *     padding intact;
 *   - missing: only if a DEL was in flight.
 * After an acknowledged DEL seq a: missing, or version a+1 from a SET in flight (a
 * version <= a would be a resurrection). A counter reads between its acknowledged
 * value and that plus the INCRs in flight. Keys preloaded with --keys must all be there.
 *
 * Shared counters: --shared-clients connections (default 4, connected one after the
 * other, so that the server's round robin gives each worker half of them) INCR the keys
 * cc:shared:<j> (--shared-keys, default 4) at random, odd-numbered ones in batches of 16.
 * After a kill each counter must read at least the highest value any INCR reply showed
 * (invariant 1 of store/commit.c: that value was revealed, so the log had it) and at
 * least its value at the round's start plus the INCRs acknowledged, and at most that
 * plus the INCRs in flight (nothing applied twice; invariant 2: per key, the log
 * replays the writes in the order RAM applied them).
 *
 * What was read becomes the starting point of the next round, so sequence numbers only
 * grow and every round checks exactly. After the kill rounds of a mode, a clean round
 * (unless --no-clean) runs the same load, stops the clients between batches, and
 * checks, on the running server and again after SIGTERM and a restart, that every key
 * holds exactly its last acknowledged version and every counter equals its number of
 * acknowledged INCRs.
 *
 * Collections (issue 20; on when the server knows HINCRBY and SADD): --hash-writers
 * threads (default 2) HINCRBY random fields f<i> (--hash-fields, 300) of their own
 * hashes cc:h:<t>:<j> (--coll-keys, 4) by 1 to 3, and --set-writers threads (default 2)
 * SADD 1 to 4 members, or SREM one, of their own sets cc:s:<t>:<j> (integer members in
 * even-numbered sets, so they start as intsets; "m<i>" in odd ones; --set-members, 2000).
 * Even-numbered collection writers have one request in flight, odd-numbered ones send
 * --coll-depth (16) commands at once. A writer alone touches its collections, so it
 * knows every reply in advance (HINCRBY: the acknowledged value plus the increment;
 * SADD/SREM: how many of its members were absent/present) and a reply that differs
 * stops the round. After a kill, every field must read at least its acknowledged value
 * and at most that plus the increments in flight; every member whose last acknowledged
 * operation added it must be there (unless an SREM of it was in flight), no other member
 * may be (unless an SADD of it was in flight), an SADD in flight must have landed for all
 * of its new members or for none (one batch), and HLEN/SCARD (the count kept in RAM)
 * must equal the number of fields/members read.
 *
 * Lists and sorted sets (issue 21; on when the server knows RPUSH and LPOP, ZINCRBY):
 * --list-writers threads (default 2) use their own lists cc:l:<t>:<j> as queues: RPUSH of
 * 1 to 3 new tokens (numbered in push order, of several sizes), or LPOP (with a COUNT one
 * time in four) of the oldest, popping only from a non-empty list and always once it
 * holds --list-max (2000) tokens; each reply (the length; the tokens) is known in
 * advance. A command lands whole and after the ones before it, so after a kill a list
 * must be exactly the state after its last acknowledged command or after one of those
 * in flight: tokens a+1..b with no gap, in order. --zset-writers threads (default 2)
 * ZINCRBY random members (--zset-members, 300; every 16th name over 64 bytes) of their
 * own sorted sets cc:z:<t>:<j> by 0.25 to 3 (sums exact in a double); every score must
 * be at least its acknowledged total and at most that plus the increments in flight,
 * ZCARD must count the members, ZRANGE WITHSCORES (the score index) must be in (score,
 * member) order and agree with ZMSCORE (member to score), and ZRANK of a few members
 * must be their place in it.
 *
 * Bitmaps and HyperLogLogs (issue 22; on when the server knows SETBIT and BITCOUNT,
 * PFADD): --bitmap-writers threads (default 2) SETBIT bits of their own bitmaps
 * cc:b:<t>:<j> (--bitmap-bits, 45 KB: twelve of omenkv's 4096-byte fragments; half the
 * offsets within 64 bits of a fragment boundary), each SETBIT's reply (the old bit) known
 * in advance, a batch naming a bit at most once. After a kill, GET gives every bit: a
 * bit with no SETBIT in flight holds its acknowledged value, one with a SETBIT in flight
 * that or the new one, the SETBITs in flight that landed come before those that did not,
 * the length is the acknowledged one or one a SETBIT in flight made; and STRLEN,
 * BITCOUNT, BITCOUNT of one fragment, BITPOS 1 and GETBITs (of every bit in flight and 8
 * random ones) agree with GET. --hll-writers threads (default 2) PFADD numbered
 * elements (1 to 4 a command, 10 to 40 on odd-numbered keys, which turn dense sooner) to
 * their own HyperLogLogs cc:p:<t>:<j>; the writer computes each element's register and
 * count (clients/hllmodel.c, the published algorithm), so it knows every PFADD's reply
 * (1 when a register rises or the key is created) and every register's value. After a
 * kill, GET's value is decoded (sparse or dense) and every register must be at least
 * its acknowledged value and at most its value with the PFADDs in flight; PFDEBUG GETREG
 * of each writer's first key must agree. The checker runs the server with
 * --string-fragment-threshold 256 (--frag-threshold) when it has that option, so that
 * the HyperLogLogs are in fragments too. "Keys and counters verified" counts bits and
 * registers for these.
 *
 * --mix string,hash,set,list,zset,bitmap,hll picks which kinds of clients run (string:
 * the writers and shared counters above); when none of them can run on this server (it
 * lacks their commands), the checker says SKIP and exits 3.
 *
 * Self-check: the server runs with enable-debug-command, and after each restart the
 * checker sends DEBUG CHECK (the store's own walk: index counts against the disk) when
 * the server has it; an error reply is a violation (--no-self-check skips it).
 *
 * --flushes runs the server with a 1 MB write buffer and 1 KB values, so RocksDB
 * flushes memtables and compacts during the load (the counts come from its LOG).
 * INCR is used only if COMMAND INFO knows it (a notice says when it is skipped).
 * Each round ends with one line starting "OK: " or "FAILED: " (tests/integ/test_crash.sh
 * turns those into TAP). Exit status: 0 when every round verified, 1 on a violation,
 * 2 on a usage or start-up error, 3 when no client asked for can run (SKIP). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <hiredis/hiredis.h>

#include "clients/hllmodel.h"

#define CC_MAX_THREADS 64
#define CC_MAX_DEPTH 1000  /* commands a pipelined writer sends at once */
#define CC_MAX_PIPELINED 8 /* depths in --pipelined */
#define CC_MAX_SHARED 64   /* shared keys, and clients INCRing them */
#define CC_SHARED_DEPTH 16 /* batch of the odd-numbered shared clients */
#define CC_BATCH 1000      /* keys read back per pipelined batch */
#define CC_HLL_MAX_EL 40   /* elements of one PFADD */
#define CC_FRAG_BITS 32768 /* bits of omenkv's 4096-byte string fragments */

/* What the last acknowledged (or the in-flight) operation on a key was. */
enum cc_op { CC_NONE = 0, CC_SET, CC_DEL };

/* One key's history as its writer thread knows it. */
struct cc_key {
    uint64_t acked_seq;  /* sequence number of the last acknowledged operation, 0: none */
    uint8_t acked_op;    /* enum cc_op */
    uint8_t flight_op;   /* the operation in flight when the connection died, CC_NONE: none */
    uint64_t flight_seq; /* its sequence number */
};

/* A writer thread and the keys it owns. Written by its thread while it runs, read by
 * the main thread after pthread_join. */
struct cc_writer {
    int id;
    int depth;                  /* commands sent at once: 1, or a --pipelined depth */
    pthread_t thread;
    struct cc_key *keys;        /* --key-space entries */
    long long ctr_acked;        /* counter value last acknowledged */
    int ctr_flight;             /* INCRs sent whose replies did not come */
    uint64_t rng;
    uint64_t acked;             /* acknowledged writes this round */
    int stopped;                /* 1: it stopped between batches, as cc_stop asked */
    char err[160];              /* why it stopped */
};

/* A client INCRing the shared counters cc:shared:<j>. Its arrays are indexed by j and
 * cover the current round. Same threading as struct cc_writer. */
struct cc_sharer {
    int id;
    int depth;                  /* INCRs sent at once: 1 or CC_SHARED_DEPTH */
    pthread_t thread;
    redisContext *c;            /* connected by the main thread, in order */
    long long max_seen[CC_MAX_SHARED]; /* highest value an INCR reply showed, 0: none */
    long long acks[CC_MAX_SHARED];     /* INCRs acknowledged */
    long long flight[CC_MAX_SHARED];   /* INCRs sent whose replies did not come */
    uint64_t rng;
    uint64_t acked;             /* acknowledged INCRs this round, all keys */
    int started;                /* its thread runs (it could connect) */
    int stopped;                /* as in struct cc_writer */
    char err[160];
};

/* A field of a collection writer's hash, as the writer knows it. */
struct cc_field {
    long long acked;  /* value the last acknowledged HINCRBY returned (0: none yet) */
    long long flight; /* increments sent whose replies did not come */
};

/* A member of a collection writer's set, as the writer knows it. */
struct cc_member {
    uint8_t acked;      /* 1: the last acknowledged operation on it added it */
    uint8_t flight_op;  /* CC_SET: an SADD of it in flight, CC_DEL: an SREM, CC_NONE */
    uint16_t flight_grp; /* the in-flight command's place in its batch + 1: the members of
                          * one SADD share it (they land together or not at all) */
};

/* A list's length as its writer counts it: its tokens are numbered 1, 2, ... in push
 * order; the list holds tokens popped + 1 .. pushed (RPUSH at the tail, LPOP at the
 * head: a queue). */
struct cc_qstate {
    uint64_t pushed, popped;
};

/* One list of a list writer: the state after its last acknowledged command, and after
 * each command in flight (in send order: a ring of the writer's depth, 'fhead' first). */
struct cc_list {
    struct cc_qstate acked;
    struct cc_qstate *flight;
    int fhead, nflight;
};

/* A member of a ZINCRBY writer's sorted set, as the writer knows it. */
struct cc_zmember {
    double acked; /* score the last acknowledged ZINCRBY returned (0: none yet) */
    double sent;  /* 'acked' plus the increments in flight (all positive) */
};

/* One SETBIT of a bitmap writer, in flight. */
struct cc_bop {
    uint32_t off; /* the bit's offset */
    uint8_t val;  /* the value it sets */
};

/* One bitmap of a SETBIT writer: its bits and length as acknowledged, and its SETBITs in
 * flight in send order (a ring of the writer's depth, 'fhead' first; a batch names a bit
 * at most once). */
struct cc_bitmap {
    uint8_t *bits;         /* --bitmap-bits bits, Redis' order (bit 0: the first byte's
                            * most significant bit) */
    uint64_t len;          /* the string's length in bytes (0: no key) */
    struct cc_bop *flight;
    int fhead, nflight;
};

/* One HyperLogLog of a PFADD writer: its registers as acknowledged, and with every PFADD
 * sent (those in flight too). */
struct cc_hll {
    uint8_t acked[HLLM_REGISTERS];
    uint8_t sent[HLLM_REGISTERS];
    int exists_acked, exists_sent; /* whether the key is there */
    uint64_t next_elem;            /* elements are numbered: the next new one */
};

/* What a collection writer writes. */
enum cc_ckind { CC_HASH = 0, CC_SETS = 1, CC_LIST = 2, CC_ZSET = 3, CC_BITMAP = 4, CC_HLL = 5 };
#define CC_NKINDS 6

static const char *const cc_kind_names[] = {"hash", "set", "list", "sorted-set", "bitmap",
                                            "hyperloglog"};
static const char cc_kind_letter[] = "hslzbp"; /* cc:<letter>:<writer>:<j> */

/* A writer of hashes (HINCRBY), sets (SADD/SREM), lists (RPUSH/LPOP) or sorted sets
 * (ZINCRBY), owning cc:h:<id>:<j>, cc:s:<id>:<j>, cc:l:<id>:<j> or cc:z:<id>:<j>. Same
 * threading as struct cc_writer. */
struct cc_cwriter {
    int id;
    enum cc_ckind kind;
    int depth;                  /* commands sent at once */
    pthread_t thread;
    struct cc_field *fields;    /* hash: --coll-keys x --hash-fields */
    struct cc_member *members;  /* set: --coll-keys x --set-members */
    struct cc_list *lists;      /* list: --coll-keys */
    struct cc_zmember *zmembers; /* sorted set: --coll-keys x --zset-members */
    struct cc_bitmap *bitmaps;  /* bitmap: --coll-keys */
    struct cc_hll *hlls;        /* HyperLogLog: --coll-keys */
    uint64_t rng;
    uint64_t acked;             /* acknowledged commands this round */
    int stopped;
    char err[200];
};

struct cc_opts {
    const char *server;
    const char *dir;            /* NULL: a new temp dir per fsync mode */
    int rounds;                 /* per fsync mode */
    const char *fsync;          /* always, everysec, no, or all */
    int threads;                /* writers with one request in flight */
    int depths[CC_MAX_PIPELINED]; /* one pipelined writer per depth */
    int npipelined;
    int shared_clients;         /* clients INCRing the shared counters, 0: none */
    int shared_keys;
    int no_clean;               /* --no-clean: no clean round after the kill rounds */
    int key_space;              /* keys per writer */
    long long preload;          /* --keys: keys loaded before the first round */
    int run_min_ms, run_max_ms;
    int value_size;
    int flushes;
    int keep;
    int inject;                 /* --inject-faults: damage data after each restart */
    uint64_t seed;
    int hash_writers, set_writers; /* collection writers (0 when the server lacks them) */
    int list_writers, zset_writers; /* issue 21's: RPUSH/LPOP and ZINCRBY */
    int bitmap_writers, hll_writers; /* issue 22's: SETBIT and PFADD */
    int bitmap_bits;            /* the bit space of one bitmap */
    int frag_threshold;         /* string-fragment-threshold to run with, if the server
                                 * knows it (0: its default) */
    int zset_members;           /* the member space of one sorted set */
    int list_max;               /* a list writer pops only once a list is this long */
    int coll_keys;              /* hashes or sets per collection writer */
    int hash_fields, set_members; /* the field and member spaces of one collection */
    int coll_depth;             /* commands at once of the odd-numbered collection writers */
    int no_self_check;          /* --no-self-check: no DEBUG CHECK after restarts */
};

static struct cc_opts opt;
static int cc_port;
static pid_t cc_pid;
static char cc_datadir[4096], cc_logpath[4200];
static int cc_use_incr;
static int cc_round_seq; /* rounds started, all modes: picks each round's kill time */
static int cc_nwriters;  /* opt.threads + opt.npipelined */
static atomic_int cc_stop; /* the clean round: clients stop after their current batch */
/* 1 from a SIGKILL until the next start: a client that could not connect in between
 * lost the race with the kill (a round may end before every thread has connected), which
 * is not a failure. */
static atomic_int cc_killed;
/* The collection writers of the current mode (hash writers first); main thread, except
 * each writer's own entry while its thread runs. */
static struct cc_cwriter *cc_cws;
static int cc_ncws;
static int cc_self_check; /* 1: the server answers DEBUG CHECK */
/* 1: the server is started with --string-fragment-threshold opt.frag_threshold (it has
 * that option: CONFIG GET answered it); main thread only. */
static int cc_frag_arg;
/* The shared counters: their values when the round started (what was read after the
 * previous one; 0 before the first). Main thread only. */
static long long cc_shared_base[CC_MAX_SHARED];

/* Print the options to stderr. */
static void cc_usage(void)
{
    fprintf(stderr,
            "Usage: omenkv-crashcheck [options]\n"
            "  --server PATH      omenkv-server binary ($OMK_SERVER, else ./daemon/omenkv-server)\n"
            "  --dir DIR          data directory (default: a new one under /tmp per fsync mode)\n"
            "  --rounds N         kill -9 rounds per appendfsync mode (default 10)\n"
            "  --fsync MODE       always, everysec, no, or all (default all)\n"
            "  --threads N        writer threads, one request in flight each (default 4)\n"
            "  --pipelined LIST   one more writer per depth in LIST, sending that many\n"
            "                     commands at once (default 16,100; 0: none)\n"
            "  --shared-clients N clients INCRing the shared counters (default 4; 0: none)\n"
            "  --shared-keys N    shared counters (default 4)\n"
            "  --no-clean         no clean round (load, stop, exact check, SIGTERM,\n"
            "                     restart, exact check) after the kill rounds\n"
            "  --key-space N      keys per writer thread (default 2000)\n"
            "  --keys N           keys to load before the first round (recovery time is\n"
            "                     printed after each crash; e.g. --keys 1000000)\n"
            "  --run-ms MIN-MAX   load time before the kill, chosen at random (default 300-1500)\n"
            "  --value-size N     padding bytes per value (default 16; 1024 with --flushes)\n"
            "  --flushes          1 MB RocksDB write buffer: flushes and compactions during load\n"
            "  --seed N           random seed (default: time)\n"
            "  --keep             keep the data directory and log\n"
            "  --hash-writers N   threads HINCRBYing fields of their own hashes (default 2)\n"
            "  --set-writers N    threads SADDing/SREMing members of their own sets (default 2)\n"
            "  --coll-keys N      hashes or sets per collection writer (default 4)\n"
            "  --hash-fields N    fields per hash (default 300)\n"
            "  --set-members N    members per set (default 2000)\n"
            "  --list-writers N   threads RPUSHing tokens to and LPOPing them from their own\n"
            "                     lists (default 2)\n"
            "  --list-max N       a list writer pops only once a list holds N (default 2000)\n"
            "  --zset-writers N   threads ZINCRBYing members of their own sorted sets (2)\n"
            "  --zset-members N   members per sorted set (default 300)\n"
            "  --bitmap-writers N threads SETBITing bits of their own bitmaps (default 2)\n"
            "  --bitmap-bits N    bits per bitmap (default 368640: 45 KB, 12 fragments)\n"
            "  --hll-writers N    threads PFADDing to their own HyperLogLogs (default 2)\n"
            "  --frag-threshold N run with string-fragment-threshold N when the server has\n"
            "                     it (default 256; 0: the server's default)\n"
            "  --coll-depth N     commands at once of every other collection writer (16)\n"
            "  --mix LIST         which clients run: string,hash,set,list,zset,bitmap,hll\n"
            "                     (default all; each collection kind only if the server has\n"
            "                     its commands)\n"
            "  --no-self-check    no DEBUG CHECK after each restart\n"
            "  --inject-faults    after each restart, undo some acknowledged writes through\n"
            "                     the protocol (a lost SET, an old version, a resurrected\n"
            "                     DEL, a lower counter): the rounds must then fail; this\n"
            "                     shows that the verification can fail\n");
}

/* ---- output ---- */

/* A line of progress. */
__attribute__((format(printf, 1, 2))) static void cc_say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* One round's verdict: a line starting "OK: " or "FAILED: ". */
__attribute__((format(printf, 2, 3))) static void cc_verdict(int good, const char *fmt, ...)
{
    va_list ap;

    printf("%s: ", good ? "OK" : "FAILED");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* Next number of the xorshift64 sequence in '*s' (never 0 if '*s' is not). */
static uint64_t cc_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Monotonic time in seconds. */
static double cc_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep 'ms' milliseconds. */
static void cc_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* ---- the server process ---- */

/* A loopback port that was free a moment ago. */
static int cc_free_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* A hiredis connection to the server (60 s reply timeout); check c->err. NULL if out of
 * memory. A refused or timed-out connect is tried again a few times (on a loaded
 * machine a connect can fail while the server runs fine: that is no lost write). */
static redisContext *cc_connect(void)
{
    struct timeval tv = {5, 0};
    redisContext *c = NULL;

    for (int attempt = 0; attempt < 5; attempt++) {
        if (c) {
            redisFree(c);
            usleep(200 * 1000);
        }
        c = redisConnectWithTimeout("127.0.0.1", cc_port, tv);
        if (!c || !c->err)
            break;
    }
    if (c && !c->err)
        redisSetTimeout(c, (struct timeval){60, 0});
    return c;
}

static void cc_server_kill9(void);

/* 1 when the server answering on 'c' is process 'pid' (INFO server's process_id). */
static int cc_is_own_server(redisContext *c, pid_t pid)
{
    redisReply *r = redisCommand(c, "INFO server");
    const char *f = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "process_id:") : NULL;
    int own = f && atol(f + strlen("process_id:")) == (long)pid;

    freeReplyObject(r);
    return own;
}

/* Start the server on cc_datadir with 'fsync'; wait until it answers PING (up to
 * 10 minutes: loading many keys takes time). Returns the seconds that took, or -1. */
static double cc_server_start(const char *fsync)
{
    const char *argv[32];
    char port[16], thr[16];
    int n = 0;
    double t0 = cc_now();

    cc_port = cc_free_port();
    atomic_store(&cc_killed, 0);
    snprintf(port, sizeof(port), "%d", cc_port);
    argv[n++] = opt.server;
    argv[n++] = "--port";
    argv[n++] = port;
    argv[n++] = "--bind";
    argv[n++] = "127.0.0.1";
    argv[n++] = "--dir";
    argv[n++] = cc_datadir;
    argv[n++] = "--logfile";
    argv[n++] = cc_logpath;
    argv[n++] = "--appendfsync";
    argv[n++] = fsync;
    argv[n++] = "--io-threads";
    argv[n++] = "2";
    argv[n++] = "--enable-debug-command"; /* DEBUG CHECK, the store's self-check */
    argv[n++] = "yes";
    if (opt.flushes) {
        argv[n++] = "--rocksdb-write-buffer-size";
        argv[n++] = "1mb";
    }
    if (cc_frag_arg) {
        snprintf(thr, sizeof(thr), "%d", opt.frag_threshold);
        argv[n++] = "--string-fragment-threshold";
        argv[n++] = thr;
    }
    argv[n] = NULL;
    cc_pid = fork();
    if (cc_pid < 0)
        return -1;
    if (cc_pid == 0) {
        execv(opt.server, (char *const *)argv);
        _exit(127);
    }
    while (cc_now() - t0 < 600) {
        redisContext *c = cc_connect();
        int up = 0;

        if (c && !c->err) {
            redisReply *r = redisCommand(c, "PING");

            up = r && r->type == REDIS_REPLY_STATUS;
            freeReplyObject(r);
            if (up && !cc_is_own_server(c, cc_pid)) {
                /* Another process took the port between cc_free_port() and our bind
                 * (other suites run beside this one): checking that server would report
                 * every write as lost. Start ours again on another port. */
                fprintf(stderr, "omenkv-crashcheck: port %d answers for another process; "
                                "starting the server again on another port\n",
                        cc_port);
                redisFree(c);
                cc_server_kill9();
                return cc_server_start(fsync);
            }
        }
        if (c)
            redisFree(c);
        if (up)
            return cc_now() - t0;
        if (waitpid(cc_pid, NULL, WNOHANG) == cc_pid) {
            fprintf(stderr, "omenkv-crashcheck: the server exited during start-up; see %s\n",
                    cc_logpath);
            cc_pid = 0;
            return -1;
        }
        cc_sleep_ms(5);
    }
    return -1;
}

/* SIGKILL the server and reap it. */
static void cc_server_kill9(void)
{
    atomic_store(&cc_killed, 1);
    if (cc_pid > 0) {
        kill(cc_pid, SIGKILL);
        waitpid(cc_pid, NULL, 0);
    }
    cc_pid = 0;
}

/* SIGTERM and wait; returns the exit status or -1. */
static int cc_server_stop(void)
{
    int status = -1;

    if (cc_pid <= 0)
        return -1;
    kill(cc_pid, SIGTERM);
    waitpid(cc_pid, &status, 0);
    cc_pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The last "DB loaded from disk: ..." line of the server log, in 'buf'. */
static void cc_last_load_line(char *buf, size_t len)
{
    FILE *f = fopen(cc_logpath, "r");
    char line[1024];

    snprintf(buf, len, "(no load line in the log)");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *p = strstr(line, "DB loaded from disk: ");

        if (p) {
            p[strcspn(p, "\n")] = '\0';
            snprintf(buf, len, "%s", p);
        }
    }
    fclose(f);
}

/* What RocksDB's flushes and compactions left in the data dir: the number of SST files
 * there and the highest file number RocksDB has used for one (it numbers every new
 * file, so a number well above the file count means files were compacted away), and
 * the flush and compaction events of its LOG files (0 when it logs at a quieter level). */
struct cc_rocks_files {
    long ssts, max_sst, flushes, compactions;
};

static void cc_rocks_scan(struct cc_rocks_files *out)
{
    DIR *d = opendir(cc_datadir);
    struct dirent *e;

    memset(out, 0, sizeof(*out));
    while (d && (e = readdir(d)) != NULL) {
        char path[4400], line[4096];
        size_t len = strlen(e->d_name);
        FILE *f;

        if (len > 4 && !strcmp(e->d_name + len - 4, ".sst")) {
            long num = strtol(e->d_name, NULL, 10);

            out->ssts++;
            if (num > out->max_sst)
                out->max_sst = num;
            continue;
        }
        if (strcmp(e->d_name, "LOG") != 0 && strncmp(e->d_name, "LOG.old.", 8) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", cc_datadir, e->d_name);
        f = fopen(path, "r");
        while (f && fgets(line, sizeof(line), f)) {
            out->flushes += strstr(line, "\"event\": \"flush_finished\"") != NULL;
            out->compactions += strstr(line, "\"event\": \"compaction_finished\"") != NULL;
        }
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
}

/* ---- writers ---- */

/* The value for version 'seq' of key 'i' of writer 't': "v<seq>:" then padding. */
static size_t cc_value(char *buf, int t, int i, uint64_t seq)
{
    size_t n = (size_t)sprintf(buf, "v%llu:", (unsigned long long)seq);

    for (int j = 0; j < opt.value_size; j++)
        buf[n + (size_t)j] = (char)('a' + (seq * 31 + (uint64_t)j * 7 + (uint64_t)t * 3 +
                                            (uint64_t)i) % 26);
    return n + (size_t)opt.value_size;
}

/* One command of a writer's batch. */
struct cc_sent {
    int incr;     /* 1: INCR of the writer's counter; 0: 'op' on key 'i' */
    int i;
    enum cc_op op;
};

/* A writer thread: SET, DEL and INCR on its own keys, w->depth commands sent at once,
 * recording each acknowledged operation and the ones in flight, until the connection
 * dies (the kill), cc_stop is set (it then stops between batches), or a reply is not
 * what the command must answer (w->err says which). */
static void *cc_writer_main(void *arg)
{
    struct cc_writer *w = arg;
    redisContext *c = cc_connect();
    char *val = malloc((size_t)opt.value_size + 32);
    struct cc_sent *sent = malloc(sizeof(*sent) * (size_t)w->depth);

    w->acked = 0;
    w->stopped = 0;
    w->err[0] = '\0';
    if (!c || c->err || !val || !sent) {
        snprintf(w->err, sizeof(w->err), "%s",
                 atomic_load(&cc_killed) ? "killed before it connected" : "cannot connect");
        goto out;
    }
    while (!atomic_load(&cc_stop)) {
        int n;

        for (n = 0; n < w->depth; n++) {
            uint64_t r = cc_rand(&w->rng) % 100;
            struct cc_sent *o = &sent[n];

            o->incr = r < 15 && cc_use_incr;
            if (o->incr) {
                w->ctr_flight++;
                redisAppendCommand(c, "INCR cc:ctr:%d", w->id);
            } else {
                int i = (int)(cc_rand(&w->rng) % (uint64_t)opt.key_space);
                struct cc_key *k;

                /* A key at most once per batch: the next free one (depth <= key space). */
                while (w->keys[i].flight_op != CC_NONE)
                    i = (i + 1) % opt.key_space;
                k = &w->keys[i];
                o->i = i;
                o->op = r < 30 ? CC_DEL : CC_SET;
                k->flight_op = (uint8_t)o->op;
                k->flight_seq = k->acked_seq + 1;
                if (o->op == CC_DEL) {
                    redisAppendCommand(c, "DEL cc:%d:%d", w->id, i);
                } else {
                    size_t vlen = cc_value(val, w->id, i, k->flight_seq);

                    redisAppendCommand(c, "SET cc:%d:%d %b", w->id, i, val, vlen);
                }
            }
        }
        for (int j = 0; j < n; j++) {
            const struct cc_sent *o = &sent[j];
            redisReply *rep = NULL;
            int good;

            if (redisGetReply(c, (void **)&rep) != REDIS_OK || !rep)
                goto dead; /* the rest of the batch stays in flight */
            if (o->incr)
                good = rep->type == REDIS_REPLY_INTEGER;
            else if (o->op == CC_DEL)
                good = rep->type == REDIS_REPLY_INTEGER;
            else
                good = rep->type == REDIS_REPLY_STATUS;
            if (!good) {
                const char *what = rep->type == REDIS_REPLY_ERROR ? rep->str : "";

                if (o->incr)
                    snprintf(w->err, sizeof(w->err), "INCR cc:ctr:%d: unexpected reply (%d) %.80s",
                             w->id, rep->type, what);
                else
                    snprintf(w->err, sizeof(w->err), "%s cc:%d:%d: unexpected reply (%d) %.80s",
                             o->op == CC_DEL ? "DEL" : "SET", w->id, o->i, rep->type, what);
                freeReplyObject(rep);
                goto dead;
            }
            if (o->incr) {
                w->ctr_acked = rep->integer;
                w->ctr_flight--;
            } else {
                struct cc_key *k = &w->keys[o->i];

                k->acked_seq = k->flight_seq;
                k->acked_op = (uint8_t)o->op;
                k->flight_op = CC_NONE;
            }
            freeReplyObject(rep);
            w->acked++;
        }
    }
    w->stopped = 1;
    goto out;
dead:
    if (!w->err[0])
        snprintf(w->err, sizeof(w->err), "%s", c->errstr[0] ? c->errstr : "connection lost");
out:
    if (c)
        redisFree(c);
    free(val);
    free(sent);
    return NULL;
}

/* A shared-counter client: INCR cc:shared:<j> for random j, s->depth at once, recording
 * per key the INCRs acknowledged, the highest value a reply showed, and the INCRs in
 * flight, until the connection dies, cc_stop is set, or a reply is not an integer.
 * Its counts start from what cc_load_start() set. */
static void *cc_sharer_main(void *arg)
{
    struct cc_sharer *s = arg;
    redisContext *c = s->c;
    int sent[CC_SHARED_DEPTH];

    while (!atomic_load(&cc_stop)) {
        for (int j = 0; j < s->depth; j++) {
            sent[j] = (int)(cc_rand(&s->rng) % (uint64_t)opt.shared_keys);
            s->flight[sent[j]]++;
            redisAppendCommand(c, "INCR cc:shared:%d", sent[j]);
        }
        for (int j = 0; j < s->depth; j++) {
            redisReply *rep = NULL;

            if (redisGetReply(c, (void **)&rep) != REDIS_OK || !rep)
                goto dead;
            if (rep->type != REDIS_REPLY_INTEGER) {
                snprintf(s->err, sizeof(s->err), "INCR cc:shared:%d: unexpected reply '%.80s'",
                         sent[j], rep->type == REDIS_REPLY_ERROR ? rep->str : "");
                freeReplyObject(rep);
                goto dead;
            }
            s->flight[sent[j]]--;
            s->acks[sent[j]]++;
            if (rep->integer > s->max_seen[sent[j]])
                s->max_seen[sent[j]] = rep->integer;
            freeReplyObject(rep);
            s->acked++;
        }
    }
    s->stopped = 1;
    return NULL;
dead:
    if (!s->err[0])
        snprintf(s->err, sizeof(s->err), "%s", c->errstr[0] ? c->errstr : "connection lost");
    return NULL;
}

/* ---- collection writers (issue 20) ---- */

/* Write the name of member 'i' of set 'j' into 'buf' (integers in even-numbered sets, so
 * that they start as intsets and become hashtables past 512 members). */
static int cc_member_name(char *buf, size_t len, int j, int i)
{
    return j % 2 ? snprintf(buf, len, "m%d", i) : snprintf(buf, len, "%d", i);
}

/* One command of a collection writer's batch. */
struct cc_csent {
    int j;          /* the collection */
    int idx[4];     /* the field, or the members */
    int n;          /* members named (1 for HINCRBY); lists: tokens pushed, LPOP's COUNT */
    long long delta; /* HINCRBY's increment */
    enum cc_op op;  /* sets: CC_SET (SADD) or CC_DEL (SREM); lists: RPUSH or LPOP */
    long long want; /* the reply the writer expects (lists: RPUSH's length) */
    uint64_t tok;   /* lists: the first token pushed or popped */
    int ntok;       /* lists: tokens LPOP returns */
    double zdelta;  /* ZINCRBY's increment */
    double zwant;   /* ... and the score it returns */
    uint32_t bit;   /* SETBIT's offset (its value: 'n') */
    int nel;        /* PFADD: the elements, as (register, count) */
    uint16_t hreg[CC_HLL_MAX_EL];
    uint8_t hcnt[CC_HLL_MAX_EL];
};

/* A hash writer's batch: w->depth HINCRBYs of random fields by 1 to 3, each expecting
 * the acknowledged value plus the increment. */
static void cc_hash_batch(struct cc_cwriter *w, redisContext *c, struct cc_csent *sent)
{
    for (int n = 0; n < w->depth; n++) {
        struct cc_csent *o = &sent[n];
        struct cc_field *f;

        o->j = (int)(cc_rand(&w->rng) % (uint64_t)opt.coll_keys);
        o->idx[0] = (int)(cc_rand(&w->rng) % (uint64_t)opt.hash_fields);
        o->n = 1;
        o->delta = 1 + (long long)(cc_rand(&w->rng) % 3);
        f = &w->fields[o->j * opt.hash_fields + o->idx[0]];
        f->flight += o->delta;
        o->want = f->acked + f->flight; /* the replies come in order */
        redisAppendCommand(c, "HINCRBY cc:h:%d:%d f%d %lld", w->id, o->j, o->idx[0], o->delta);
    }
}

/* A set writer's batch: w->depth commands, each an SADD of 1 to 4 members or (one time in
 * four) an SREM of one, never naming a member twice in a batch; each expects how many of
 * its members were absent (SADD) or present (SREM). */
static void cc_set_batch(struct cc_cwriter *w, redisContext *c, struct cc_csent *sent)
{
    for (int n = 0; n < w->depth; n++) {
        struct cc_csent *o = &sent[n];
        const char *argv[6];
        size_t lens[6];
        char names[4][24], key[48];

        o->j = (int)(cc_rand(&w->rng) % (uint64_t)opt.coll_keys);
        o->op = cc_rand(&w->rng) % 4 ? CC_SET : CC_DEL;
        o->n = o->op == CC_SET ? 1 + (int)(cc_rand(&w->rng) % 4) : 1;
        o->want = 0;
        lens[1] = (size_t)snprintf(key, sizeof(key), "cc:s:%d:%d", w->id, o->j);
        argv[0] = o->op == CC_SET ? "SADD" : "SREM";
        lens[0] = 4;
        argv[1] = key;
        for (int k = 0; k < o->n; k++) {
            int i = (int)(cc_rand(&w->rng) % (uint64_t)opt.set_members);
            struct cc_member *m;

            /* The next member not yet named in this batch (the space is large enough). */
            while (w->members[o->j * opt.set_members + i].flight_op != CC_NONE)
                i = (i + 1) % opt.set_members;
            m = &w->members[o->j * opt.set_members + i];
            m->flight_op = (uint8_t)o->op;
            m->flight_grp = (uint16_t)(n + 1);
            o->idx[k] = i;
            o->want += o->op == CC_SET ? !m->acked : m->acked;
            lens[2 + k] = (size_t)cc_member_name(names[k], sizeof(names[k]), o->j, i);
            argv[2 + k] = names[k];
        }
        redisAppendCommandArgv(c, 2 + o->n, argv, lens);
    }
}

/* ---- list and sorted-set writers (issue 21) ---- */

/* Token 'num' of list 'j' of writer 'id' into 'buf' (at least 128 bytes): "q<id>.<j>.<num>:"
 * then 0 to 22 letters derived from 'num', 70 more for every 50th (lists hold elements
 * of several sizes). Returns its length. */
static size_t cc_token(char *buf, int id, int j, uint64_t num)
{
    size_t n = (size_t)sprintf(buf, "q%d.%d.%llu:", id, j, (unsigned long long)num);
    size_t pad = (size_t)(num * 7 % 23) + (num % 50 == 0 ? 70 : 0);

    for (size_t k = 0; k < pad; k++)
        buf[n + k] = (char)('a' + (num * 13 + k) % 26);
    return n + pad;
}

/* The state of list 'l' after everything sent to it (what the next command builds on). */
static struct cc_qstate cc_list_last(const struct cc_list *l, int depth)
{
    return l->nflight ? l->flight[(l->fhead + l->nflight - 1) % depth] : l->acked;
}

/* A list writer's batch: w->depth commands, each an RPUSH of 1 to 3 new tokens or an
 * LPOP (with a COUNT of 2 to 4 one time in four) of the oldest ones; pops only from a
 * non-empty list, and always once a list holds --list-max tokens. Each command's
 * expected reply (RPUSH: the length; LPOP: the tokens) and the state after it are
 * recorded. */
static void cc_list_batch(struct cc_cwriter *w, redisContext *c, struct cc_csent *sent)
{
    for (int n = 0; n < w->depth; n++) {
        struct cc_csent *o = &sent[n];
        struct cc_list *l;
        struct cc_qstate st;
        uint64_t len;
        char key[48], toks[3][128], cnt[16];
        const char *argv[5];
        size_t lens[5];
        int argc = 2;

        o->j = (int)(cc_rand(&w->rng) % (uint64_t)opt.coll_keys);
        l = &w->lists[o->j];
        st = cc_list_last(l, w->depth);
        len = st.pushed - st.popped;
        lens[1] = (size_t)snprintf(key, sizeof(key), "cc:l:%d:%d", w->id, o->j);
        argv[1] = key;
        if (len == 0 || (len < (uint64_t)opt.list_max && cc_rand(&w->rng) % 100 < 55)) {
            o->op = CC_SET;
            o->n = 1 + (int)(cc_rand(&w->rng) % 3);
            o->tok = st.pushed + 1;
            argv[0] = "RPUSH";
            for (int k = 0; k < o->n; k++) {
                lens[argc] = cc_token(toks[k], w->id, o->j, o->tok + (uint64_t)k);
                argv[argc++] = toks[k];
            }
            st.pushed += (uint64_t)o->n;
            o->want = (long long)(st.pushed - st.popped);
        } else {
            o->op = CC_DEL;
            o->n = cc_rand(&w->rng) % 4 ? 0 : 2 + (int)(cc_rand(&w->rng) % 3); /* 0: no COUNT */
            o->tok = st.popped + 1;
            o->ntok = (uint64_t)(o->n ? o->n : 1) < len ? (o->n ? o->n : 1) : (int)len;
            argv[0] = "LPOP";
            if (o->n) {
                lens[argc] = (size_t)snprintf(cnt, sizeof(cnt), "%d", o->n);
                argv[argc++] = cnt;
            }
            st.popped += (uint64_t)o->ntok;
        }
        lens[0] = strlen(argv[0]);
        l->flight[(l->fhead + l->nflight) % w->depth] = st;
        l->nflight++;
        redisAppendCommandArgv(c, argc, argv, lens);
    }
}

/* Whether 'r' is token 'num' of list 'j' of writer 'w'. */
static int cc_is_token(const redisReply *r, const struct cc_cwriter *w, int j, uint64_t num)
{
    char want[128];
    size_t n = cc_token(want, w->id, j, num);

    return r && r->type == REDIS_REPLY_STRING && r->len == n && !memcmp(r->str, want, n);
}

/* Check a list writer's reply 'rep' to 'o' (an RPUSH's length, an LPOP's tokens) and on
 * success make the command acknowledged. 0, or -1 with w->err set. */
static int cc_list_reply(struct cc_cwriter *w, const struct cc_csent *o, const redisReply *rep)
{
    struct cc_list *l = &w->lists[o->j];
    int good;

    if (o->op == CC_SET) {
        good = rep->type == REDIS_REPLY_INTEGER && rep->integer == o->want;
    } else if (!o->n) {
        good = cc_is_token(rep, w, o->j, o->tok);
    } else {
        good = rep->type == REDIS_REPLY_ARRAY && rep->elements == (size_t)o->ntok;
        for (int k = 0; good && k < o->ntok; k++)
            good = cc_is_token(rep->element[k], w, o->j, o->tok + (uint64_t)k);
    }
    if (!good) {
        snprintf(w->err, sizeof(w->err),
                 "%s cc:l:%d:%d: unexpected reply (type %d, %lld, %zu elements) %.60s; expected "
                 "%s %llu",
                 o->op == CC_SET ? "RPUSH" : "LPOP", w->id, o->j, rep->type, rep->integer,
                 rep->elements, rep->type == REDIS_REPLY_ERROR || rep->type == REDIS_REPLY_STRING
                                    ? rep->str : "",
                 o->op == CC_SET ? "length" : "token",
                 (unsigned long long)(o->op == CC_SET ? (uint64_t)o->want : o->tok));
        return -1;
    }
    l->acked = l->flight[l->fhead];
    l->fhead = (l->fhead + 1) % w->depth;
    l->nflight--;
    return 0;
}

/* The name of member 'i' of a sorted set into 'buf' (at least 128 bytes): "m<i>", and
 * for every 16th a name over 64 bytes (Redis' zset-max-listpack-value). */
static size_t cc_zmember_name(char *buf, int i)
{
    if (i % 16)
        return (size_t)sprintf(buf, "m%d", i);
    return (size_t)sprintf(buf, "m%d:a-member-name-longer-than-sixty-four-bytes-so-the-set-"
                                "leaves-listpack", i);
}

/* A ZINCRBY writer's batch: w->depth ZINCRBYs of random members by 0.25, 0.5, 1, 2 or 3
 * (sums of those are exact in a double), each expecting the acknowledged score plus the
 * increments sent before it and its own. */
static void cc_zset_batch(struct cc_cwriter *w, redisContext *c, struct cc_csent *sent)
{
    static const double incs[] = {0.25, 0.5, 1, 2, 3};

    for (int n = 0; n < w->depth; n++) {
        struct cc_csent *o = &sent[n];
        struct cc_zmember *m;
        char name[128];
        size_t nlen;

        o->j = (int)(cc_rand(&w->rng) % (uint64_t)opt.coll_keys);
        o->idx[0] = (int)(cc_rand(&w->rng) % (uint64_t)opt.zset_members);
        o->zdelta = incs[cc_rand(&w->rng) % 5];
        m = &w->zmembers[o->j * opt.zset_members + o->idx[0]];
        m->sent += o->zdelta;
        o->zwant = m->sent;
        nlen = cc_zmember_name(name, o->idx[0]);
        redisAppendCommand(c, "ZINCRBY cc:z:%d:%d %.17g %b", w->id, o->j, o->zdelta, name, nlen);
    }
}

/* Check a ZINCRBY writer's reply (the new score) and acknowledge it. 0, or -1 with
 * w->err set. */
static int cc_zset_reply(struct cc_cwriter *w, const struct cc_csent *o, const redisReply *rep)
{
    struct cc_zmember *m = &w->zmembers[o->j * opt.zset_members + o->idx[0]];

    if (rep->type != REDIS_REPLY_STRING || strtod(rep->str, NULL) != o->zwant) {
        snprintf(w->err, sizeof(w->err),
                 "ZINCRBY cc:z:%d:%d %g m%d: unexpected reply (type %d) %.80s, expected %.17g",
                 w->id, o->j, o->zdelta, o->idx[0], rep->type,
                 rep->type == REDIS_REPLY_ERROR || rep->type == REDIS_REPLY_STRING ? rep->str : "",
                 o->zwant);
        return -1;
    }
    m->acked = o->zwant;
    return 0;
}

/* Read back list 'j' of writer 'w' (LLEN and LRANGE 0 -1 in one pipeline): every element
 * must be one of the writer's tokens, in push order without a gap, and the list (its
 * first and last token, or empty) must be the state after the last acknowledged command
 * or after one of those in flight (a command lands whole; a later one only if the earlier
 * ones did); LLEN, from RAM, must count the elements read. What was read becomes the
 * list's history. Returns the violations; adds the tokens to '*checked'. */
static long cc_check_list(redisContext *c, struct cc_cwriter *w, int j, long *checked)
{
    struct cc_list *l = &w->lists[j];
    redisReply *len = NULL, *all = NULL;
    struct cc_qstate got = {0, 0}, *cand = calloc((size_t)l->nflight + 1, sizeof(*cand));
    int ncand = 0, match = -1;
    long bad = 0;

    cand[ncand++] = l->acked;
    for (int k = 0; k < l->nflight; k++)
        cand[ncand++] = l->flight[(l->fhead + k) % w->depth];
    redisAppendCommand(c, "LLEN cc:l:%d:%d", w->id, j);
    redisAppendCommand(c, "LRANGE cc:l:%d:%d 0 -1", w->id, j);
    if (redisGetReply(c, (void **)&len) != REDIS_OK || redisGetReply(c, (void **)&all) != REDIS_OK ||
        len->type != REDIS_REPLY_INTEGER || all->type != REDIS_REPLY_ARRAY) {
        cc_say("VIOLATION cc:l:%d:%d: LLEN/LRANGE gave no usable reply (%.80s)", w->id, j,
               len && len->type == REDIS_REPLY_ERROR ? len->str
               : all && all->type == REDIS_REPLY_ERROR ? all->str : "");
        bad++;
        got = cand[ncand - 1];
        goto out;
    }
    if ((long long)all->elements != len->integer) {
        cc_say("VIOLATION cc:l:%d:%d: LLEN says %lld, LRANGE returned %zu elements", w->id, j,
               len->integer, all->elements);
        bad++;
    }
    if (all->elements > 0) {
        const redisReply *first = all->element[0];
        unsigned long long num = 0;
        char head[48];

        snprintf(head, sizeof(head), "q%d.%d.", w->id, j);
        if (first->type == REDIS_REPLY_STRING && !strncmp(first->str, head, strlen(head)))
            num = strtoull(first->str + strlen(head), NULL, 10);
        for (size_t e = 0; e < all->elements; e++) {
            if (num == 0 || !cc_is_token(all->element[e], w, j, num + e)) {
                cc_say("VIOLATION cc:l:%d:%d: element %zu is not token %llu (the tokens must "
                       "follow each other in push order): '%.60s'",
                       w->id, j, e, num + e,
                       all->element[e]->type == REDIS_REPLY_STRING ? all->element[e]->str : "?");
                bad++;
                break;
            }
        }
        got.popped = num ? num - 1 : 0;
        got.pushed = got.popped + all->elements;
        for (int k = 0; k < ncand && match < 0; k++)
            if (cand[k].pushed == got.pushed && cand[k].popped == got.popped)
                match = k;
    } else {
        for (int k = ncand - 1; k >= 0 && match < 0; k--) /* the latest empty state */
            if (cand[k].pushed == cand[k].popped)
                match = k;
        got = match >= 0 ? cand[match] : cand[ncand - 1];
        if (match < 0) /* tokens go on from the highest sent: none is reused */
            got.popped = got.pushed;
    }
    if (match < 0 && all->elements == 0) {
        cc_say("VIOLATION cc:l:%d:%d: is empty; acknowledged tokens %llu..%llu, %d commands in "
               "flight (up to %llu..%llu)",
               w->id, j, (unsigned long long)l->acked.popped + 1,
               (unsigned long long)l->acked.pushed, l->nflight,
               (unsigned long long)cand[ncand - 1].popped + 1,
               (unsigned long long)cand[ncand - 1].pushed);
        bad++;
    } else if (match < 0) {
        cc_say("VIOLATION cc:l:%d:%d: holds tokens %llu..%llu (%zu); acknowledged %llu..%llu, "
               "%d commands in flight (up to %llu..%llu)",
               w->id, j, (unsigned long long)got.popped + 1, (unsigned long long)got.pushed,
               all->elements, (unsigned long long)l->acked.popped + 1,
               (unsigned long long)l->acked.pushed, l->nflight,
               (unsigned long long)cand[ncand - 1].popped + 1,
               (unsigned long long)cand[ncand - 1].pushed);
        bad++;
    }
    *checked += (long)all->elements + 1;
out:
    l->acked = got;
    l->fhead = l->nflight = 0;
    freeReplyObject(len);
    freeReplyObject(all);
    free(cand);
    return bad;
}

/* Read back sorted set 'j' of writer 'w': ZRANGE 0 -1 WITHSCORES (the score index, in
 * order), ZCARD (from RAM) and ZMSCORE of every member read (member to score), then
 * ZRANK of up to 8 of them. Every score must be at least its member's acknowledged total
 * and at most that plus the increments in flight; a member never acknowledged may be
 * there only with an increment in flight; ZCARD must count the members, the order must
 * be by (score, member), ZMSCORE must agree with the index, and each ZRANK must be the
 * member's place in it. What was read becomes the members' history. Returns the
 * violations; adds the members to '*checked'. */
static long cc_check_zset(redisContext *c, struct cc_cwriter *w, int j, long *checked)
{
    struct cc_zmember *ms = &w->zmembers[j * opt.zset_members];
    double *seen = calloc((size_t)opt.zset_members, sizeof(*seen));
    uint8_t *there = calloc((size_t)opt.zset_members, 1);
    redisReply *all = NULL, *card = NULL, *ms_rep = NULL;
    const char **argv = NULL;
    size_t *lens = NULL, n = 0;
    long bad = 0;

    redisAppendCommand(c, "ZRANGE cc:z:%d:%d 0 -1 WITHSCORES", w->id, j);
    redisAppendCommand(c, "ZCARD cc:z:%d:%d", w->id, j);
    if (redisGetReply(c, (void **)&all) != REDIS_OK ||
        redisGetReply(c, (void **)&card) != REDIS_OK || all->type != REDIS_REPLY_ARRAY ||
        all->elements % 2 || card->type != REDIS_REPLY_INTEGER) {
        cc_say("VIOLATION cc:z:%d:%d: ZRANGE/ZCARD gave no usable reply (%.80s)", w->id, j,
               all && all->type == REDIS_REPLY_ERROR ? all->str
               : card && card->type == REDIS_REPLY_ERROR ? card->str : "");
        bad++;
        goto out;
    }
    n = all->elements / 2;
    if ((long long)n != card->integer) {
        cc_say("VIOLATION cc:z:%d:%d: ZCARD says %lld, ZRANGE returned %zu members", w->id, j,
               card->integer, n);
        bad++;
    }
    argv = calloc(n + 2, sizeof(*argv));
    lens = calloc(n + 2, sizeof(*lens));
    argv[0] = "ZMSCORE";
    lens[0] = 7;
    for (size_t e = 0; e < n; e++) {
        const redisReply *m = all->element[2 * e], *sc = all->element[2 * e + 1];
        char want[128];
        int i = -1;

        sscanf(m->str, "m%d", &i);
        if (i < 0 || i >= opt.zset_members || cc_zmember_name(want, i) != m->len ||
            memcmp(want, m->str, m->len) != 0 || there[i]) {
            cc_say("VIOLATION cc:z:%d:%d: a member the writer never wrote (or twice): '%.40s'",
                   w->id, j, m->str);
            bad++;
            continue;
        }
        there[i] = 1;
        seen[i] = strtod(sc->str, NULL);
        if (e > 0) {
            const redisReply *pm = all->element[2 * e - 2];
            double ps = strtod(all->element[2 * e - 1]->str, NULL);
            int cmp = memcmp(pm->str, m->str, pm->len < m->len ? pm->len : m->len);

            if (ps > seen[i] || (ps == seen[i] && (cmp > 0 || (cmp == 0 && pm->len > m->len)))) {
                cc_say("VIOLATION cc:z:%d:%d: ZRANGE is out of (score, member) order at %zu",
                       w->id, j, e);
                bad++;
            }
        }
    }
    /* ZMSCORE cc:z:<id>:<j> <every member read>: the member-to-score side. */
    {
        char key[48];

        lens[1] = (size_t)snprintf(key, sizeof(key), "cc:z:%d:%d", w->id, j);
        argv[1] = key;
        for (size_t e = 0; e < n; e++) {
            argv[2 + e] = all->element[2 * e]->str;
            lens[2 + e] = all->element[2 * e]->len;
        }
        ms_rep = n ? redisCommandArgv(c, (int)n + 2, argv, lens) : NULL;
        if (n && (!ms_rep || ms_rep->type != REDIS_REPLY_ARRAY || ms_rep->elements != n)) {
            cc_say("VIOLATION cc:z:%d:%d: ZMSCORE gave no usable reply (%.80s)", w->id, j,
                   ms_rep && ms_rep->type == REDIS_REPLY_ERROR ? ms_rep->str : "");
            bad++;
        }
        for (size_t e = 0; n && ms_rep && ms_rep->type == REDIS_REPLY_ARRAY && e < n &&
                           e < ms_rep->elements; e++) {
            const redisReply *x = ms_rep->element[e];

            if (x->type != REDIS_REPLY_STRING ||
                strtod(x->str, NULL) != strtod(all->element[2 * e + 1]->str, NULL)) {
                cc_say("VIOLATION cc:z:%d:%d: ZMSCORE of '%.40s' says %.40s, ZRANGE's index %s",
                       w->id, j, all->element[2 * e]->str,
                       x->type == REDIS_REPLY_STRING ? x->str : "nil",
                       all->element[2 * e + 1]->str);
                bad++;
            }
        }
    }
    /* ZRANK of up to 8 members spread over the set: their place in ZRANGE's order. */
    for (size_t k = 0; k < 8 && k < n; k++) {
        size_t e = k * n / 8;
        redisReply *rk = redisCommand(c, "ZRANK cc:z:%d:%d %b", w->id, j, all->element[2 * e]->str,
                                      all->element[2 * e]->len);

        if (!rk || rk->type != REDIS_REPLY_INTEGER || rk->integer != (long long)e) {
            cc_say("VIOLATION cc:z:%d:%d: ZRANK of '%.40s' is %lld, its place in ZRANGE %zu",
                   w->id, j, all->element[2 * e]->str,
                   rk && rk->type == REDIS_REPLY_INTEGER ? rk->integer : -1, e);
            bad++;
        }
        freeReplyObject(rk);
    }
    for (int i = 0; i < opt.zset_members; i++) {
        struct cc_zmember *m = &ms[i];
        double got = there[i] ? seen[i] : 0;

        if ((there[i] ? got < m->acked : m->acked > 0) || got > m->sent) {
            cc_say("VIOLATION cc:z:%d:%d member m%d reads %.17g%s, acknowledged %.17g (%.17g with "
                   "the increments in flight)",
                   w->id, j, i, got, there[i] ? "" : " (missing)", m->acked, m->sent);
            bad++;
        }
        m->acked = m->sent = got;
        (*checked)++;
    }
out:
    freeReplyObject(all);
    freeReplyObject(card);
    freeReplyObject(ms_rep);
    free(argv);
    free(lens);
    free(seen);
    free(there);
    return bad;
}

/* ---- SETBIT and PFADD writers (issue 22) ---- */

/* Bit 'off' of the bit array 'bits', in Redis' order (bit 0 is the first byte's most
 * significant bit). */
static int cc_bit(const uint8_t *bits, uint64_t off)
{
    return bits[off >> 3] >> (7 - (off & 7)) & 1;
}

static void cc_bit_put(uint8_t *bits, uint64_t off, int val)
{
    uint8_t mask = (uint8_t)(1u << (7 - (off & 7)));

    bits[off >> 3] = (uint8_t)(val ? bits[off >> 3] | mask : bits[off >> 3] & ~mask);
}

/* Whether a SETBIT of bit 'off' of 'b' is in flight. */
static int cc_bit_in_flight(const struct cc_bitmap *b, int depth, uint32_t off)
{
    for (int k = 0; k < b->nflight; k++)
        if (b->flight[(b->fhead + k) % depth].off == off)
            return 1;
    return 0;
}

/* A bit offset below --bitmap-bits: anywhere, or (one time in two) within 64 bits of a
 * multiple of 32768 (omenkv's 4096-byte fragments). */
static uint32_t cc_bit_offset(struct cc_cwriter *w)
{
    uint64_t nb = (uint64_t)opt.bitmap_bits;
    int64_t v;

    if (cc_rand(&w->rng) % 2)
        return (uint32_t)(cc_rand(&w->rng) % nb);
    v = (int64_t)(cc_rand(&w->rng) % (nb / CC_FRAG_BITS + 1)) * CC_FRAG_BITS +
        (int64_t)(cc_rand(&w->rng) % 128) - 64;
    return (uint32_t)(v < 0 ? 0 : (uint64_t)v >= nb ? nb - 1 : (uint64_t)v);
}

/* A SETBIT writer's batch: w->depth SETBITs of bits not in flight, each flipping its bit
 * (two times in three) or setting a random value, expecting the bit's current value. */
static void cc_bitmap_batch(struct cc_cwriter *w, redisContext *c, struct cc_csent *sent)
{
    for (int n = 0; n < w->depth; n++) {
        struct cc_csent *o = &sent[n];
        struct cc_bitmap *b;
        uint32_t off;
        int cur;

        o->j = (int)(cc_rand(&w->rng) % (uint64_t)opt.coll_keys);
        b = &w->bitmaps[o->j];
        do
            off = cc_bit_offset(w);
        while (cc_bit_in_flight(b, w->depth, off));
        cur = cc_bit(b->bits, off);
        o->bit = off;
        o->n = cc_rand(&w->rng) % 3 ? !cur : (int)(cc_rand(&w->rng) % 2);
        o->want = cur;
        b->flight[(b->fhead + b->nflight) % w->depth] = (struct cc_bop){off, (uint8_t)o->n};
        b->nflight++;
        redisAppendCommand(c, "SETBIT cc:b:%d:%d %u %d", w->id, o->j, off, o->n);
    }
}

/* Check a SETBIT writer's reply (the bit's old value) and acknowledge it. 0, or -1 with
 * w->err set. */
static int cc_bitmap_reply(struct cc_cwriter *w, const struct cc_csent *o, const redisReply *rep)
{
    struct cc_bitmap *b = &w->bitmaps[o->j];

    if (rep->type != REDIS_REPLY_INTEGER || rep->integer != o->want) {
        snprintf(w->err, sizeof(w->err),
                 "SETBIT cc:b:%d:%d %u %d: unexpected reply (type %d) %lld %.80s, expected %lld",
                 w->id, o->j, o->bit, o->n, rep->type, rep->integer,
                 rep->type == REDIS_REPLY_ERROR ? rep->str : "", o->want);
        return -1;
    }
    /* Replies come in order, so this SETBIT is the oldest in flight on its key. */
    cc_bit_put(b->bits, o->bit, o->n);
    if ((uint64_t)(o->bit >> 3) + 1 > b->len)
        b->len = (uint64_t)(o->bit >> 3) + 1;
    b->fhead = (b->fhead + 1) % w->depth;
    b->nflight--;
    return 0;
}

/* The number of bits set in 'n' bytes at 'p'. */
static long long cc_popcount(const unsigned char *p, size_t n)
{
    long long count = 0;

    for (size_t i = 0; i < n; i++)
        count += __builtin_popcount(p[i]);
    return count;
}

/* Read back bitmap 'j' of SETBIT writer 'w' and check it. GET gives every bit: a bit
 * with no SETBIT in flight must hold its acknowledged value, one with a SETBIT in flight
 * that value or the new one, and the SETBITs in flight that landed must come before
 * those that did not (per key, the log replays in order); the length must be the
 * acknowledged one or one an in-flight SETBIT made. The other read paths must agree with
 * GET: STRLEN, BITCOUNT, BITCOUNT of one 4096-byte fragment, BITPOS 1, and GETBIT of every
 * bit in flight and of 8 random ones. What was read becomes the bitmap's history.
 * Returns the violations (at most one line per kind of fault); adds the bits compared to
 * '*checked'. */
static long cc_check_bitmap(redisContext *c, struct cc_cwriter *w, int j, long *checked)
{
    struct cc_bitmap *b = &w->bitmaps[j];
    uint64_t nb = (uint64_t)opt.bitmap_bits, maxlen = b->len, frag, len, fstart;
    redisReply *get = NULL, *rlen = NULL, *cnt = NULL, *fcnt = NULL, *pos = NULL;
    uint32_t probe[CC_MAX_DEPTH + 8];
    int nprobe = 0, wrong_probe = 0, out_of_order = 0, seen_missing = 0;
    long long wrong = 0, first_wrong = -1, firstpos = -1, fset;
    uint8_t *got = calloc(nb / 8 + 1, 1);
    const unsigned char *v;
    long bad = 0;

    for (int k = 0; k < b->nflight; k++) {
        const struct cc_bop *f = &b->flight[(b->fhead + k) % w->depth];

        if ((uint64_t)(f->off >> 3) + 1 > maxlen)
            maxlen = (uint64_t)(f->off >> 3) + 1;
        probe[nprobe++] = f->off;
    }
    for (int k = 0; k < 8; k++)
        probe[nprobe++] = (uint32_t)(cc_rand(&w->rng) % nb);
    frag = cc_rand(&w->rng) % (nb / CC_FRAG_BITS + 1);
    redisAppendCommand(c, "GET cc:b:%d:%d", w->id, j);
    redisAppendCommand(c, "STRLEN cc:b:%d:%d", w->id, j);
    redisAppendCommand(c, "BITCOUNT cc:b:%d:%d", w->id, j);
    redisAppendCommand(c, "BITCOUNT cc:b:%d:%d %llu %llu", w->id, j,
                       (unsigned long long)frag * 4096, (unsigned long long)frag * 4096 + 4095);
    redisAppendCommand(c, "BITPOS cc:b:%d:%d 1", w->id, j);
    for (int k = 0; k < nprobe; k++)
        redisAppendCommand(c, "GETBIT cc:b:%d:%d %u", w->id, j, probe[k]);
    if (redisGetReply(c, (void **)&get) != REDIS_OK || redisGetReply(c, (void **)&rlen) != REDIS_OK ||
        redisGetReply(c, (void **)&cnt) != REDIS_OK || redisGetReply(c, (void **)&fcnt) != REDIS_OK ||
        redisGetReply(c, (void **)&pos) != REDIS_OK ||
        (get->type != REDIS_REPLY_STRING && get->type != REDIS_REPLY_NIL) ||
        rlen->type != REDIS_REPLY_INTEGER || cnt->type != REDIS_REPLY_INTEGER ||
        fcnt->type != REDIS_REPLY_INTEGER || pos->type != REDIS_REPLY_INTEGER) {
        cc_say("VIOLATION cc:b:%d:%d: GET/STRLEN/BITCOUNT/BITPOS gave no usable reply (%.80s)",
               w->id, j,
               get && get->type == REDIS_REPLY_ERROR ? get->str
               : cnt && cnt->type == REDIS_REPLY_ERROR ? cnt->str
               : pos && pos->type == REDIS_REPLY_ERROR ? pos->str : "");
        bad++;
        nprobe = c->err ? 0 : nprobe;
        for (int k = 0; k < nprobe; k++) { /* keep the connection in step */
            redisReply *r = NULL;

            if (redisGetReply(c, (void **)&r) == REDIS_OK)
                freeReplyObject(r);
        }
        len = b->len;
        memcpy(got, b->bits, nb / 8 + 1);
        goto out;
    }
    v = (const unsigned char *)(get->type == REDIS_REPLY_STRING ? get->str : "");
    len = get->type == REDIS_REPLY_STRING ? get->len : 0;
    memcpy(got, v, len < nb / 8 + 1 ? len : nb / 8 + 1);
    if (len < b->len || len > maxlen) {
        cc_say("VIOLATION cc:b:%d:%d: %s %llu bytes long; acknowledged %llu (up to %llu with "
               "the SETBITs in flight)",
               w->id, j, get->type == REDIS_REPLY_NIL ? "missing:" : "is",
               (unsigned long long)len, (unsigned long long)b->len,
               (unsigned long long)maxlen);
        bad++;
    }
    for (uint64_t off = 0; off < nb; off++) {
        int g = cc_bit(got, off), a = cc_bit(b->bits, off), ok = g == a;

        for (int k = 0; !ok && k < b->nflight; k++) {
            const struct cc_bop *f = &b->flight[(b->fhead + k) % w->depth];

            ok = f->off == off && g == f->val;
        }
        if (!ok && wrong++ == 0)
            first_wrong = (long long)off;
        if (g && firstpos < 0)
            firstpos = (long long)off;
    }
    for (uint64_t i = nb / 8 + 1; i < len; i++) /* bytes past the bit space: never written */
        wrong += v[i] != 0;
    if (wrong) {
        cc_say("VIOLATION cc:b:%d:%d: %lld bits differ from what was acknowledged (with the "
               "SETBITs in flight), the first at offset %lld",
               w->id, j, wrong, first_wrong);
        bad++;
    }
    /* The SETBITs in flight that changed their bit landed or not; none may have landed
     * after one that did not (a SETBIT that sets the bit it finds is not seen). */
    for (int k = 0; k < b->nflight; k++) {
        const struct cc_bop *f = &b->flight[(b->fhead + k) % w->depth];

        if (f->val == cc_bit(b->bits, f->off))
            continue;
        if (cc_bit(got, f->off) == f->val && seen_missing)
            out_of_order = 1;
        seen_missing |= cc_bit(got, f->off) != f->val;
    }
    if (out_of_order) {
        cc_say("VIOLATION cc:b:%d:%d: a SETBIT in flight landed after one that did not", w->id,
               j);
        bad++;
    }
    fstart = frag * 4096 < len ? frag * 4096 : len;
    fset = cc_popcount(v + fstart, len - fstart < 4096 ? len - fstart : 4096);
    if (rlen->integer != (long long)len || cnt->integer != cc_popcount(v, len) ||
        fcnt->integer != fset || pos->integer != firstpos) {
        cc_say("VIOLATION cc:b:%d:%d: the read paths disagree with GET (%llu bytes, %lld bits "
               "set, %lld in fragment %llu, the first at %lld): STRLEN %lld, BITCOUNT %lld, "
               "BITCOUNT of the fragment %lld, BITPOS 1 %lld",
               w->id, j, (unsigned long long)len, cc_popcount(v, len), fset,
               (unsigned long long)frag, firstpos, rlen->integer, cnt->integer, fcnt->integer,
               pos->integer);
        bad++;
    }
    for (int k = 0; k < nprobe; k++) {
        redisReply *r = NULL;

        if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type != REDIS_REPLY_INTEGER ||
            r->integer != cc_bit(got, probe[k]))
            wrong_probe++;
        freeReplyObject(r);
    }
    if (wrong_probe) {
        cc_say("VIOLATION cc:b:%d:%d: %d of %d GETBITs disagree with GET", w->id, j, wrong_probe,
               nprobe);
        bad++;
    }
    *checked += (long)nb;
out:
    memcpy(b->bits, got, nb / 8 + 1);
    b->len = len;
    b->fhead = b->nflight = 0;
    free(got);
    freeReplyObject(get);
    freeReplyObject(rlen);
    freeReplyObject(cnt);
    freeReplyObject(fcnt);
    freeReplyObject(pos);
    return bad;
}

/* A PFADD writer's batch: w->depth PFADDs, each of 1 to 4 elements (10 to 40 on
 * odd-numbered keys, which turn dense sooner), four in five new ones, each expecting 1
 * when it creates the key or raises a register of the state after everything sent
 * before it. */
static void cc_hll_batch(struct cc_cwriter *w, redisContext *c, struct cc_csent *sent)
{
    for (int n = 0; n < w->depth; n++) {
        struct cc_csent *o = &sent[n];
        const char *argv[2 + CC_HLL_MAX_EL];
        size_t lens[2 + CC_HLL_MAX_EL];
        char key[48], names[CC_HLL_MAX_EL][48];
        struct cc_hll *h;

        o->j = (int)(cc_rand(&w->rng) % (uint64_t)opt.coll_keys);
        h = &w->hlls[o->j];
        o->nel = o->j % 2 ? 10 + (int)(cc_rand(&w->rng) % 31) : 1 + (int)(cc_rand(&w->rng) % 4);
        o->want = !h->exists_sent;
        argv[0] = "PFADD";
        lens[0] = 5;
        lens[1] = (size_t)snprintf(key, sizeof(key), "cc:p:%d:%d", w->id, o->j);
        argv[1] = key;
        for (int k = 0; k < o->nel; k++) {
            uint64_t num = h->next_elem && cc_rand(&w->rng) % 5 == 0
                               ? cc_rand(&w->rng) % h->next_elem : h->next_elem++;
            uint32_t reg;
            uint8_t count;

            lens[2 + k] = (size_t)snprintf(names[k], sizeof(names[k]), "p%d.%d.%llu", w->id,
                                           o->j, (unsigned long long)num);
            argv[2 + k] = names[k];
            hllm_element(names[k], lens[2 + k], &reg, &count);
            o->hreg[k] = (uint16_t)reg;
            o->hcnt[k] = count;
            if (count > h->sent[reg]) {
                h->sent[reg] = count;
                o->want = 1;
            }
        }
        h->exists_sent = 1;
        redisAppendCommandArgv(c, 2 + o->nel, argv, lens);
    }
}

/* Check a PFADD writer's reply (1: a register changed or the key was made) and
 * acknowledge it. 0, or -1 with w->err set. */
static int cc_hll_reply(struct cc_cwriter *w, const struct cc_csent *o, const redisReply *rep)
{
    struct cc_hll *h = &w->hlls[o->j];

    if (rep->type != REDIS_REPLY_INTEGER || rep->integer != o->want) {
        snprintf(w->err, sizeof(w->err),
                 "PFADD cc:p:%d:%d of %d elements: unexpected reply (type %d) %lld %.80s, "
                 "expected %lld",
                 w->id, o->j, o->nel, rep->type, rep->integer,
                 rep->type == REDIS_REPLY_ERROR ? rep->str : "", o->want);
        return -1;
    }
    for (int k = 0; k < o->nel; k++)
        if (o->hcnt[k] > h->acked[o->hreg[k]])
            h->acked[o->hreg[k]] = o->hcnt[k];
    h->exists_acked = 1;
    return 0;
}

static int cc_has_pfdebug; /* 1: the server answers PFDEBUG GETREG */

/* Read back HyperLogLog 'j' of PFADD writer 'w' (GET, decoded here: hllmodel.h) and check
 * every register: at least its acknowledged value, at most its value with the PFADDs in
 * flight; the key must be there once a PFADD of it was acknowledged, and not be there
 * if none was ever sent. For the first key of each writer, PFDEBUG GETREG (when the
 * server has it) must give the same registers. What was read becomes the key's history.
 * Returns the violations (at most one line per kind of fault); adds the registers
 * compared to '*checked'. */
static long cc_check_hll(redisContext *c, struct cc_cwriter *w, int j, long *checked)
{
    struct cc_hll *h = &w->hlls[j];
    uint8_t *got = calloc(HLLM_REGISTERS, 1);
    redisReply *get = redisCommand(c, "GET cc:p:%d:%d", w->id, j), *regs = NULL;
    long long low = 0, high = 0, first = -1;
    const char *why = NULL;
    long bad = 0;
    int present = 0;

    if (!get || (get->type != REDIS_REPLY_STRING && get->type != REDIS_REPLY_NIL)) {
        cc_say("VIOLATION cc:p:%d:%d: GET gave no usable reply (%.80s)", w->id, j,
               get && get->type == REDIS_REPLY_ERROR ? get->str : "");
        bad++;
        memcpy(got, h->acked, HLLM_REGISTERS);
        present = h->exists_acked;
        goto out;
    }
    present = get->type == REDIS_REPLY_STRING;
    if (!present && h->exists_acked) {
        cc_say("VIOLATION cc:p:%d:%d: missing after acknowledged PFADDs", w->id, j);
        bad++;
        goto out;
    }
    if (present && !h->exists_sent) {
        cc_say("VIOLATION cc:p:%d:%d: there, but never written", w->id, j);
        bad++;
    }
    if (present && hllm_decode(get->str, get->len, got, &why) < 0) {
        cc_say("VIOLATION cc:p:%d:%d: not a HyperLogLog (%zu bytes): %s", w->id, j, get->len,
               why);
        bad++;
        memcpy(got, h->acked, HLLM_REGISTERS);
        goto out;
    }
    for (int r = 0; r < HLLM_REGISTERS; r++) {
        if (got[r] < h->acked[r] && low++ == 0)
            first = r;
        if (got[r] > h->sent[r] && high++ == 0 && first < 0)
            first = r;
    }
    if (low || high) {
        cc_say("VIOLATION cc:p:%d:%d: %lld registers below what was acknowledged, %lld above "
               "what was sent (the first: register %lld reads %d, acknowledged %d, sent %d)",
               w->id, j, low, high, first, got[first], h->acked[first], h->sent[first]);
        bad++;
    }
    if (present && j == 0 && cc_has_pfdebug) {
        int same;

        regs = redisCommand(c, "PFDEBUG GETREG cc:p:%d:%d", w->id, j);
        same = regs && regs->type == REDIS_REPLY_ARRAY && regs->elements == HLLM_REGISTERS;
        for (size_t r = 0; same && r < HLLM_REGISTERS; r++)
            same = regs->element[r]->type == REDIS_REPLY_INTEGER &&
                   regs->element[r]->integer == got[r];
        if (!same) {
            cc_say("VIOLATION cc:p:%d:%d: PFDEBUG GETREG disagrees with the registers GET "
                   "gave (%.80s)",
                   w->id, j, regs && regs->type == REDIS_REPLY_ERROR ? regs->str : "");
            bad++;
        }
    }
    *checked += HLLM_REGISTERS;
out:
    memcpy(h->acked, got, HLLM_REGISTERS);
    memcpy(h->sent, got, HLLM_REGISTERS);
    h->exists_acked = h->exists_sent = present;
    freeReplyObject(get);
    freeReplyObject(regs);
    free(got);
    return bad;
}

/* A collection writer thread: batches of HINCRBY (hashes), SADD/SREM (sets), RPUSH/LPOP
 * (lists), ZINCRBY (sorted sets), SETBIT (bitmaps) or PFADD (HyperLogLogs) on its own
 * keys until the connection dies, cc_stop is set, or a reply is not the one the writer
 * expected (w->err says which). */
static void *cc_cwriter_main(void *arg)
{
    struct cc_cwriter *w = arg;
    redisContext *c = cc_connect();
    struct cc_csent *sent = calloc((size_t)w->depth, sizeof(*sent));

    w->acked = 0;
    w->stopped = 0;
    w->err[0] = '\0';
    if (!c || c->err || !sent) {
        snprintf(w->err, sizeof(w->err), "%s",
                 atomic_load(&cc_killed) ? "killed before it connected" : "cannot connect");
        goto out;
    }
    while (!atomic_load(&cc_stop)) {
        if (w->kind == CC_HASH)
            cc_hash_batch(w, c, sent);
        else if (w->kind == CC_SETS)
            cc_set_batch(w, c, sent);
        else if (w->kind == CC_LIST)
            cc_list_batch(w, c, sent);
        else if (w->kind == CC_ZSET)
            cc_zset_batch(w, c, sent);
        else if (w->kind == CC_BITMAP)
            cc_bitmap_batch(w, c, sent);
        else
            cc_hll_batch(w, c, sent);
        for (int n = 0; n < w->depth; n++) {
            struct cc_csent *o = &sent[n];
            redisReply *rep = NULL;

            if (redisGetReply(c, (void **)&rep) != REDIS_OK || !rep)
                goto dead; /* the rest of the batch stays in flight */
            if (w->kind >= CC_LIST) {
                int rc = w->kind == CC_LIST     ? cc_list_reply(w, o, rep)
                         : w->kind == CC_ZSET   ? cc_zset_reply(w, o, rep)
                         : w->kind == CC_BITMAP ? cc_bitmap_reply(w, o, rep)
                                                : cc_hll_reply(w, o, rep);

                freeReplyObject(rep);
                if (rc < 0)
                    goto dead;
                w->acked++;
                continue;
            }
            if (rep->type != REDIS_REPLY_INTEGER || rep->integer != o->want) {
                if (w->kind == CC_HASH)
                    snprintf(w->err, sizeof(w->err),
                             "HINCRBY cc:h:%d:%d f%d %lld: unexpected reply (%d) %lld %.80s, "
                             "expected %lld",
                             w->id, o->j, o->idx[0], o->delta, rep->type, rep->integer,
                             rep->type == REDIS_REPLY_ERROR ? rep->str : "", o->want);
                else
                    snprintf(w->err, sizeof(w->err),
                             "%s of %d members of cc:s:%d:%d: unexpected reply (%d) %lld %.80s, "
                             "expected %lld",
                             o->op == CC_SET ? "SADD" : "SREM", o->n, w->id, o->j, rep->type,
                             rep->integer, rep->type == REDIS_REPLY_ERROR ? rep->str : "",
                             o->want);
                freeReplyObject(rep);
                goto dead;
            }
            if (w->kind == CC_HASH) {
                struct cc_field *f = &w->fields[o->j * opt.hash_fields + o->idx[0]];

                f->acked = rep->integer;
                f->flight -= o->delta;
            } else {
                for (int k = 0; k < o->n; k++) {
                    struct cc_member *m = &w->members[o->j * opt.set_members + o->idx[k]];

                    m->acked = o->op == CC_SET;
                    m->flight_op = CC_NONE;
                    m->flight_grp = 0;
                }
            }
            freeReplyObject(rep);
            w->acked++;
        }
    }
    w->stopped = 1;
    goto out;
dead:
    if (!w->err[0])
        snprintf(w->err, sizeof(w->err), "%s", c->errstr[0] ? c->errstr : "connection lost");
out:
    if (c)
        redisFree(c);
    free(sent);
    return NULL;
}

/* Read back hash 'j' of writer 'w' (HGETALL and HLEN in one pipeline) and check every
 * field: at least its acknowledged value, at most that plus the increments in flight; no
 * field the writer never incremented; HLEN equal to the fields read. What was read
 * becomes the fields' history. Returns the violations; adds the fields to '*checked'. */
static long cc_check_hash(redisContext *c, struct cc_cwriter *w, int j, long *checked)
{
    struct cc_field *fs = &w->fields[j * opt.hash_fields];
    long long *seen = calloc((size_t)opt.hash_fields, sizeof(*seen));
    redisReply *all = NULL, *len = NULL;
    long bad = 0;

    redisAppendCommand(c, "HGETALL cc:h:%d:%d", w->id, j);
    redisAppendCommand(c, "HLEN cc:h:%d:%d", w->id, j);
    if (redisGetReply(c, (void **)&all) != REDIS_OK ||
        redisGetReply(c, (void **)&len) != REDIS_OK || all->type != REDIS_REPLY_ARRAY || all->elements % 2 || len->type != REDIS_REPLY_INTEGER) {
        cc_say("VIOLATION cc:h:%d:%d: HGETALL/HLEN gave no usable reply (%.80s)", w->id, j,
               all && all->type == REDIS_REPLY_ERROR ? all->str
               : len && len->type == REDIS_REPLY_ERROR ? len->str : "");
        bad++;
        goto out;
    }
    if ((long long)all->elements / 2 != len->integer) {
        cc_say("VIOLATION cc:h:%d:%d: HLEN says %lld, HGETALL returned %zu fields", w->id, j,
               len->integer, all->elements / 2);
        bad++;
    }
    for (size_t e = 0; e + 1 < all->elements; e += 2) {
        const redisReply *k = all->element[e], *v = all->element[e + 1];
        int i;
        char tail;

        if (sscanf(k->str, "f%d%c", &i, &tail) != 1 || i < 0 || i >= opt.hash_fields) {
            cc_say("VIOLATION cc:h:%d:%d: a field the writer never wrote: '%.40s'", w->id, j,
                   k->str);
            bad++;
            continue;
        }
        seen[i] = atoll(v->str);
        if (seen[i] == 0) /* HINCRBY never leaves 0 here: the increments are positive */
            seen[i] = -1;
    }
    for (int i = 0; i < opt.hash_fields; i++) {
        long long got = seen[i] < 0 ? 0 : seen[i];
        struct cc_field *f = &fs[i];

        if (got < f->acked || got > f->acked + f->flight || seen[i] < 0) {
            cc_say("VIOLATION cc:h:%d:%d field f%d reads %lld%s, acknowledged %lld (+%lld in "
                   "flight)",
                   w->id, j, i, got, seen[i] == 0 ? " (missing)" : "", f->acked, f->flight);
            bad++;
        } else {
            f->acked = got;
        }
        f->flight = 0;
        (*checked)++;
    }
out:
    freeReplyObject(all);
    freeReplyObject(len);
    free(seen);
    return bad;
}

/* Read back set 'j' of writer 'w' (SMEMBERS and SCARD) and check every member against
 * its history, every SADD in flight for all-or-nothing, and SCARD against the members
 * read. What was read becomes the members' history. Returns the violations; adds the
 * members to '*checked'. */
static long cc_check_set(redisContext *c, struct cc_cwriter *w, int j, long *checked)
{
    struct cc_member *ms = &w->members[j * opt.set_members];
    uint8_t *there = calloc((size_t)opt.set_members, 1);
    int ngrp = opt.coll_depth + 2, grp_new[CC_MAX_DEPTH + 2], grp_there[CC_MAX_DEPTH + 2];
    redisReply *all = NULL, *card = NULL;
    long bad = 0;

    memset(grp_new, 0, sizeof(grp_new));
    memset(grp_there, 0, sizeof(grp_there));
    redisAppendCommand(c, "SMEMBERS cc:s:%d:%d", w->id, j);
    redisAppendCommand(c, "SCARD cc:s:%d:%d", w->id, j);
    if (redisGetReply(c, (void **)&all) != REDIS_OK ||
        redisGetReply(c, (void **)&card) != REDIS_OK || all->type != REDIS_REPLY_ARRAY ||
        card->type != REDIS_REPLY_INTEGER) {
        cc_say("VIOLATION cc:s:%d:%d: SMEMBERS/SCARD gave no usable reply (%.80s)", w->id, j,
               all && all->type == REDIS_REPLY_ERROR ? all->str
               : card && card->type == REDIS_REPLY_ERROR ? card->str : "");
        bad++;
        goto out;
    }
    if ((long long)all->elements != card->integer) {
        cc_say("VIOLATION cc:s:%d:%d: SCARD says %lld, SMEMBERS returned %zu members", w->id,
               j, card->integer, all->elements);
        bad++;
    }
    for (size_t e = 0; e < all->elements; e++) {
        const redisReply *m = all->element[e];
        char want[24];
        int i = -1;

        if (j % 2)
            sscanf(m->str, "m%d", &i);
        else
            sscanf(m->str, "%d", &i);
        if (i >= 0 && i < opt.set_members)
            cc_member_name(want, sizeof(want), j, i);
        if (i < 0 || i >= opt.set_members || strcmp(want, m->str) != 0) {
            cc_say("VIOLATION cc:s:%d:%d: a member the writer never added: '%.40s'", w->id, j,
                   m->str);
            bad++;
            continue;
        }
        there[i] = 1;
    }
    for (int i = 0; i < opt.set_members; i++) {
        struct cc_member *m = &ms[i];
        const char *why = NULL;

        if (there[i] && !m->acked && m->flight_op != CC_SET)
            why = "there, but never added or removed since";
        else if (!there[i] && m->acked && m->flight_op != CC_DEL)
            why = "missing after an acknowledged SADD (lost write)";
        if (why) {
            cc_say("VIOLATION cc:s:%d:%d member %d: %s (in flight: %s)", w->id, j, i, why,
                   m->flight_op == CC_SET ? "SADD" : m->flight_op == CC_DEL ? "SREM" : "none");
            bad++;
        }
        if (m->flight_op == CC_SET && !m->acked && m->flight_grp < ngrp) {
            grp_new[m->flight_grp]++;
            grp_there[m->flight_grp] += there[i];
        }
        (*checked)++;
    }
    for (int g = 1; g < ngrp; g++) {
        if (grp_there[g] && grp_there[g] != grp_new[g]) {
            cc_say("VIOLATION cc:s:%d:%d: an SADD in flight landed for %d of its %d new members "
                   "(a command must land whole or not at all)",
                   w->id, j, grp_there[g], grp_new[g]);
            bad++;
        }
    }
    for (int i = 0; i < opt.set_members; i++) {
        ms[i].acked = there[i];
        ms[i].flight_op = CC_NONE;
        ms[i].flight_grp = 0;
    }
out:
    freeReplyObject(all);
    freeReplyObject(card);
    free(there);
    return bad;
}

/* Check every collection of every collection writer. Returns the violations; adds the
 * fields and members compared to '*checked'. */
static long cc_verify_colls(redisContext *c, long *checked)
{
    long bad = 0;

    for (int t = 0; t < cc_ncws; t++) {
        for (int j = 0; j < opt.coll_keys; j++) {
            struct cc_cwriter *w = &cc_cws[t];

            bad += w->kind == CC_HASH     ? cc_check_hash(c, w, j, checked)
                   : w->kind == CC_SETS   ? cc_check_set(c, w, j, checked)
                   : w->kind == CC_LIST   ? cc_check_list(c, w, j, checked)
                   : w->kind == CC_ZSET   ? cc_check_zset(c, w, j, checked)
                   : w->kind == CC_BITMAP ? cc_check_bitmap(c, w, j, checked)
                                          : cc_check_hll(c, w, j, checked);
        }
    }
    return bad;
}

/* DEBUG CHECK on 'c': 0 when it answers +OK (or is off), else 1 after saying why. */
static long cc_run_self_check(redisContext *c)
{
    redisReply *r;
    long bad = 0;

    if (!cc_self_check)
        return 0;
    r = redisCommand(c, "DEBUG CHECK");
    if (!r || r->type == REDIS_REPLY_ERROR) {
        cc_say("VIOLATION the server's self-check (DEBUG CHECK) failed: %.300s",
               r ? r->str : "no reply");
        bad = 1;
    }
    freeReplyObject(r);
    return bad;
}

/* ---- verification ---- */

/* Check what was read for key 'i' of writer 'w' ('r' the GET reply) against its
 * history, then make what was read the key's new history. Returns 0 or 1 (violation,
 * described on stdout). */
static int cc_check_key(struct cc_writer *w, int i, const redisReply *r)
{
    struct cc_key *k = &w->keys[i];
    char *want = NULL;
    unsigned long long v = 0;
    int bad = 0, present = r && r->type == REDIS_REPLY_STRING;
    const char *why = NULL;

    if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)) {
        why = "no usable reply";
        bad = 1;
    } else if (present) {
        char *colon = memchr(r->str, ':', r->len);

        if (r->str[0] != 'v' || !colon || sscanf(r->str + 1, "%llu", &v) != 1) {
            why = "unparsable value";
            bad = 1;
        } else {
            size_t wl;

            want = malloc((size_t)opt.value_size + 32);
            wl = cc_value(want, w->id, i, v);
            if (wl != r->len || memcmp(want, r->str, wl) != 0) {
                why = "value bytes differ from the version they claim";
                bad = 1;
            } else if (v > k->acked_seq + (k->flight_op == CC_SET)) {
                why = "a version that was never written";
                bad = 1;
            } else if (v == k->acked_seq + 1) {
                /* the SET in flight landed (the test above saw that one was) */
            } else if (k->acked_op == CC_DEL) {
                why = "deleted key resurrected at an older version";
                bad = 1;
            } else if (v < k->acked_seq) {
                why = "older than the acknowledged version (lost write)";
                bad = 1;
            }
        }
    } else if (k->acked_op == CC_SET && k->flight_op != CC_DEL) {
        why = "missing after an acknowledged SET (lost write)";
        bad = 1;
    }
    if (bad)
        cc_say("VIOLATION cc:%d:%d: %s (read %s%llu; acknowledged %s seq %llu; in flight %s)",
               w->id, i, why ? why : "?", present ? "v" : "nil", v,
               k->acked_op == CC_SET ? "SET" : k->acked_op == CC_DEL ? "DEL" : "nothing",
               (unsigned long long)k->acked_seq,
               k->flight_op == CC_SET ? "SET" : k->flight_op == CC_DEL ? "DEL" : "none");
    /* The next round starts from what is there now. */
    if (present && !bad) {
        k->acked_seq = v;
        k->acked_op = CC_SET;
    } else if (!bad) {
        if (k->flight_op != CC_NONE && k->flight_seq > k->acked_seq)
            k->acked_seq = k->flight_seq;
        k->acked_op = k->acked_seq ? CC_DEL : CC_NONE;
    }
    k->flight_op = CC_NONE;
    free(want);
    return bad;
}

/* Read back every key and counter of every writer. Returns the number of violations;
 * '*checked' gets the keys compared. */
static long cc_verify(redisContext *c, struct cc_writer *ws, long *checked)
{
    long bad = 0;

    *checked = 0;
    for (int t = 0; t < cc_nwriters; t++) {
        struct cc_writer *w = &ws[t];
        redisReply *r;

        for (int base = 0; base < opt.key_space; base += CC_BATCH) {
            int n = opt.key_space - base < CC_BATCH ? opt.key_space - base : CC_BATCH;

            for (int i = 0; i < n; i++)
                redisAppendCommand(c, "GET cc:%d:%d", w->id, base + i);
            for (int i = 0; i < n; i++) {
                r = NULL;
                if (redisGetReply(c, (void **)&r) != REDIS_OK)
                    return bad + 1;
                bad += cc_check_key(w, base + i, r);
                freeReplyObject(r);
                (*checked)++;
            }
        }
        if (cc_use_incr) {
            long long v = 0;

            r = redisCommand(c, "GET cc:ctr:%d", w->id);
            if (r && r->type == REDIS_REPLY_STRING)
                v = atoll(r->str);
            if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL) ||
                v < w->ctr_acked || v > w->ctr_acked + w->ctr_flight) {
                cc_say("VIOLATION counter cc:ctr:%d reads %lld, acknowledged %lld (+%d in flight)",
                       w->id, v, w->ctr_acked, w->ctr_flight);
                bad++;
            } else {
                w->ctr_acked = v;
            }
            w->ctr_flight = 0;
            freeReplyObject(r);
            (*checked)++;
        }
    }
    return bad;
}

/* Read back every shared counter: it must be at least the highest value any INCR reply
 * showed, at least its round-start value plus the INCRs acknowledged, and at most that
 * plus the INCRs in flight (after a clean stop: exactly the start value plus the
 * acknowledgements). What was read becomes the start value, and the clients' counts
 * start again from zero. Returns the number of violations; adds the counters compared
 * to '*checked'. */
static long cc_verify_shared(redisContext *c, struct cc_sharer *ss, long *checked)
{
    long bad = 0;

    for (int j = 0; j < opt.shared_keys && opt.shared_clients > 0; j++) {
        long long seen = 0, acks = 0, flight = 0, v = 0;
        redisReply *r = redisCommand(c, "GET cc:shared:%d", j);
        int usable = r && (r->type == REDIS_REPLY_NIL || r->type == REDIS_REPLY_STRING);

        for (int t = 0; t < opt.shared_clients; t++) {
            if (ss[t].max_seen[j] > seen)
                seen = ss[t].max_seen[j];
            acks += ss[t].acks[j];
            flight += ss[t].flight[j];
        }
        if (r && r->type == REDIS_REPLY_STRING)
            v = atoll(r->str);
        if (!usable || v < seen || v < cc_shared_base[j] + acks ||
            v > cc_shared_base[j] + acks + flight) {
            cc_say("VIOLATION shared counter cc:shared:%d reads %lld; a reply showed %lld; "
                   "%lld at the start + %lld acknowledged INCRs (+%lld in flight)",
                   j, v, seen, cc_shared_base[j], acks, flight);
            bad++;
        }
        if (usable) /* a violation is reported once, not again every later round */
            cc_shared_base[j] = v;
        for (int t = 0; t < opt.shared_clients; t++)
            ss[t].max_seen[j] = ss[t].acks[j] = ss[t].flight[j] = 0;
        freeReplyObject(r);
        (*checked)++;
    }
    return bad;
}

/* --inject-faults for the collections: one hash field one lower than acknowledged, one
 * acknowledged set member removed, a list's oldest token popped, a sorted-set member
 * 0.25 lower than acknowledged, a bitmap's acknowledged bit flipped, a HyperLogLog
 * deleted (each with nothing in flight). Returns the number injected. */
static int cc_inject_coll_faults(redisContext *c)
{
    int hash_done = 0, set_done = 0, list_done = 0, zset_done = 0, bitmap_done = 0;
    int hll_done = 0;

    for (int t = cc_ncws - 1; t >= 0; t--) {
        struct cc_cwriter *w = &cc_cws[t];

        for (int j = 0; j < opt.coll_keys; j++) {
            struct cc_list *l = w->kind == CC_LIST ? &w->lists[j] : NULL;
            struct cc_bitmap *b = w->kind == CC_BITMAP ? &w->bitmaps[j] : NULL;
            struct cc_hll *h = w->kind == CC_HLL ? &w->hlls[j] : NULL;

            if (b && !bitmap_done && !b->nflight && b->len > 0) {
                uint64_t off = (b->len - 1) * 8 < (uint64_t)opt.bitmap_bits
                                   ? (b->len - 1) * 8 : (uint64_t)opt.bitmap_bits - 1;

                freeReplyObject(redisCommand(c, "SETBIT cc:b:%d:%d %llu %d", t, j,
                                             (unsigned long long)off, !cc_bit(b->bits, off)));
                cc_say("injected: cc:b:%d:%d bit %llu flipped (an acknowledged SETBIT undone)",
                       t, j, (unsigned long long)off);
                bitmap_done = 1;
            }
            if (h && !hll_done && h->exists_acked && !memcmp(h->acked, h->sent, HLLM_REGISTERS)) {
                freeReplyObject(redisCommand(c, "DEL cc:p:%d:%d", t, j));
                cc_say("injected: cc:p:%d:%d deleted (acknowledged PFADDs lost)", t, j);
                hll_done = 1;
            }

            if (l && !list_done && !l->nflight && l->acked.pushed > l->acked.popped) {
                freeReplyObject(redisCommand(c, "LPOP cc:l:%d:%d", t, j));
                cc_say("injected: cc:l:%d:%d its oldest token popped (acknowledged RPUSH lost)",
                       t, j);
                list_done = 1;
            }
            for (int i = 0; w->kind == CC_ZSET && !zset_done && i < opt.zset_members; i++) {
                struct cc_zmember *m = &w->zmembers[j * opt.zset_members + i];
                char name[128];
                size_t nlen;

                if (m->acked >= 1 && m->sent == m->acked) {
                    nlen = cc_zmember_name(name, i);
                    freeReplyObject(redisCommand(c, "ZINCRBY cc:z:%d:%d -0.25 %b", t, j, name,
                                                 nlen));
                    cc_say("injected: cc:z:%d:%d member m%d 0.25 lower than acknowledged", t, j,
                           i);
                    zset_done = 1;
                }
            }
            for (int i = 0; w->kind == CC_HASH && !hash_done && i < opt.hash_fields; i++) {
                struct cc_field *f = &w->fields[j * opt.hash_fields + i];

                if (f->acked >= 1 && !f->flight) {
                    freeReplyObject(redisCommand(c, "HINCRBY cc:h:%d:%d f%d -1", t, j, i));
                    cc_say("injected: cc:h:%d:%d field f%d one lower than acknowledged", t, j, i);
                    hash_done = 1;
                }
            }
            for (int i = 0; w->kind == CC_SETS && !set_done && i < opt.set_members; i++) {
                struct cc_member *m = &w->members[j * opt.set_members + i];
                char name[24];

                if (m->acked && m->flight_op == CC_NONE) {
                    cc_member_name(name, sizeof(name), j, i);
                    freeReplyObject(redisCommand(c, "SREM cc:s:%d:%d %s", t, j, name));
                    cc_say("injected: cc:s:%d:%d member %s removed (acknowledged SADD lost)", t,
                           j, name);
                    set_done = 1;
                }
            }
        }
    }
    return hash_done + set_done + list_done + zset_done + bitmap_done + hll_done;
}

/* --inject-faults: write, through 'c', what a broken server could have recovered: an
 * acknowledged SET undone (key deleted), a key one version back, a deleted key back at
 * an older version, a counter one lower, a shared counter one lower than a reply showed.
 * Each goes to a different key with nothing in flight, in the keys of the last writer
 * first (a pipelined one, unless --pipelined 0). Returns the number injected (each must
 * show up as a violation). */
static int cc_inject_faults(redisContext *c, struct cc_writer *ws, const struct cc_sharer *ss)
{
    int done[4] = {0, 0, 0, 0}, n = 0;
    char *val = malloc((size_t)opt.value_size + 32);

    for (int j = 0; j < opt.shared_keys && opt.shared_clients > 0; j++) {
        long long seen = 0;

        for (int t = 0; t < opt.shared_clients; t++)
            if (ss[t].max_seen[j] > seen)
                seen = ss[t].max_seen[j];
        if (seen >= 1) {
            freeReplyObject(redisCommand(c, "SET cc:shared:%d %lld", j, seen - 1));
            cc_say("injected: cc:shared:%d one lower than an INCR reply showed", j);
            n++;
            break;
        }
    }
    for (int t = cc_nwriters - 1; t >= 0; t--) {
        struct cc_writer *w = &ws[t];

        for (int i = 0; i < opt.key_space; i++) {
            struct cc_key *k = &w->keys[i];
            int kind = -1;

            if (k->flight_op != CC_NONE || k->acked_seq < 2)
                continue;
            if (k->acked_op == CC_SET)
                kind = !done[0] ? 0 : !done[1] ? 1 : -1;
            else if (k->acked_op == CC_DEL && !done[2])
                kind = 2;
            if (kind < 0)
                continue;
            if (kind == 0) {
                freeReplyObject(redisCommand(c, "DEL cc:%d:%d", t, i));
            } else {
                size_t vlen = cc_value(val, t, i, k->acked_seq - 1);

                freeReplyObject(redisCommand(c, "SET cc:%d:%d %b", t, i, val, vlen));
            }
            cc_say("injected: cc:%d:%d %s", t, i,
                   kind == 0 ? "deleted (acknowledged SET lost)"
                             : kind == 1 ? "set one version back" : "resurrected after its DEL");
            done[kind] = 1;
            n++;
        }
        if (cc_use_incr && !done[3] && !w->ctr_flight && w->ctr_acked >= 1) {
            freeReplyObject(redisCommand(c, "SET cc:ctr:%d %lld", t, w->ctr_acked - 1));
            cc_say("injected: cc:ctr:%d one lower than acknowledged", t);
            done[3] = 1;
            n++;
        }
    }
    n += cc_inject_coll_faults(c);
    free(val);
    return n;
}

/* ---- preload (--keys) ---- */

struct cc_loader {
    pthread_t thread;
    long long from, to; /* key numbers pre:<from> .. pre:<to - 1> */
    int failed;
};

/* Load pre:<i> = "p<i>" for a range with pipelined 100-key MSETs. */
static void *cc_loader_main(void *arg)
{
    struct cc_loader *l = arg;
    redisContext *c = cc_connect();
    const int per = 100, depth = 32;
    long long i = l->from;
    int pending = 0;

    if (!c || c->err) {
        l->failed = 1;
        goto out;
    }
    while (i < l->to || pending > 0) {
        redisReply *r = NULL;

        while (i < l->to && pending < depth) {
            const char *argv[1 + 2 * 100];
            size_t lens[1 + 2 * 100];
            char buf[100][2][24];
            int argc = 1;

            argv[0] = "MSET";
            lens[0] = 4;
            for (int k = 0; k < per && i < l->to; k++, i++) {
                lens[argc] = (size_t)sprintf(buf[k][0], "pre:%lld", i);
                argv[argc] = buf[k][0];
                argc++;
                lens[argc] = (size_t)sprintf(buf[k][1], "p%lld", i);
                argv[argc] = buf[k][1];
                argc++;
            }
            redisAppendCommandArgv(c, argc, argv, lens);
            pending++;
        }
        if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type != REDIS_REPLY_STATUS) {
            l->failed = 1;
            freeReplyObject(r);
            break;
        }
        freeReplyObject(r);
        pending--;
    }
out:
    if (c)
        redisFree(c);
    return NULL;
}

static int cc_preload(void)
{
    struct cc_loader l[4];
    int nl = 4, failed = 0;
    double t0 = cc_now();

    for (int k = 0; k < nl; k++) {
        l[k].from = opt.preload * k / nl;
        l[k].to = opt.preload * (k + 1) / nl;
        l[k].failed = 0;
        pthread_create(&l[k].thread, NULL, cc_loader_main, &l[k]);
    }
    for (int k = 0; k < nl; k++) {
        pthread_join(l[k].thread, NULL);
        failed |= l[k].failed;
    }
    if (!failed)
        cc_say("loaded %lld keys in %.1f s", opt.preload, cc_now() - t0);
    return failed ? -1 : 0;
}

/* Every preloaded key is there with its value (MGET in batches). Returns violations. */
static long cc_verify_preload(redisContext *c)
{
    long bad = 0;

    for (long long base = 0; base < opt.preload; base += CC_BATCH) {
        long long n = opt.preload - base < CC_BATCH ? opt.preload - base : CC_BATCH;
        const char **argv = malloc(sizeof(char *) * (size_t)(n + 1));
        size_t *lens = malloc(sizeof(size_t) * (size_t)(n + 1));
        char (*names)[24] = malloc(24 * (size_t)n);
        redisReply *r;

        argv[0] = "MGET";
        lens[0] = 4;
        for (long long i = 0; i < n; i++) {
            lens[i + 1] = (size_t)sprintf(names[i], "pre:%lld", base + i);
            argv[i + 1] = names[i];
        }
        r = redisCommandArgv(c, (int)(n + 1), argv, lens);
        if (!r || r->type != REDIS_REPLY_ARRAY || (long long)r->elements != n) {
            bad++;
        } else {
            for (long long i = 0; i < n; i++) {
                char want[24];
                int wl = sprintf(want, "p%lld", base + i);
                const redisReply *e = r->element[i];

                if (e->type != REDIS_REPLY_STRING || e->len != (size_t)wl ||
                    memcmp(e->str, want, (size_t)wl) != 0) {
                    if (bad < 10)
                        cc_say("VIOLATION preloaded key pre:%lld lost or wrong", base + i);
                    bad++;
                }
            }
        }
        freeReplyObject(r);
        free(argv);
        free(lens);
        free(names);
    }
    return bad;
}

/* ---- rounds ---- */

/* Whether the server knows 'name' (COMMAND INFO). */
static int cc_has_command(const char *name)
{
    redisContext *c = cc_connect();
    redisReply *r = c && !c->err ? redisCommand(c, "COMMAND INFO %s", name) : NULL;
    int has = r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
              r->element[0]->type == REDIS_REPLY_ARRAY;

    freeReplyObject(r);
    if (c)
        redisFree(c);
    return has;
}

/* Whether the server has configuration parameter 'name' (CONFIG GET answers it). */
static int cc_config_known(const char *name)
{
    redisContext *c = cc_connect();
    redisReply *r = c && !c->err ? redisCommand(c, "CONFIG GET %s", name) : NULL;
    int known = r && r->type == REDIS_REPLY_ARRAY && r->elements >= 2;

    freeReplyObject(r);
    if (c)
        redisFree(c);
    return known;
}

/* Start the load: connect the shared-counter clients one after the other from this
 * thread (so that the server's round robin spreads them evenly over its workers), then
 * start every writer and shared-counter thread. */
static void cc_load_start(struct cc_writer *ws, struct cc_sharer *ss)
{
    for (int t = 0; t < opt.shared_clients; t++) {
        struct cc_sharer *s = &ss[t];

        s->c = cc_connect();
        s->started = s->c && !s->c->err;
        s->stopped = 0;
        s->acked = 0;
        memset(s->max_seen, 0, sizeof(s->max_seen));
        memset(s->acks, 0, sizeof(s->acks));
        memset(s->flight, 0, sizeof(s->flight));
        snprintf(s->err, sizeof(s->err), "%s", s->started ? "" : "cannot connect");
    }
    for (int t = 0; t < cc_nwriters; t++)
        pthread_create(&ws[t].thread, NULL, cc_writer_main, &ws[t]);
    for (int t = 0; t < opt.shared_clients; t++)
        if (ss[t].started)
            pthread_create(&ss[t].thread, NULL, cc_sharer_main, &ss[t]);
    for (int t = 0; t < cc_ncws; t++)
        pthread_create(&cc_cws[t].thread, NULL, cc_cwriter_main, &cc_cws[t]);
}

/* Wait for the load's threads; return the writes they had acknowledged. 'why' gets the
 * first failure that is not the connection dying (an unexpected reply, a connection
 * refused), "" if none; '*stopped' whether every client stopped as cc_stop asked. */
static long long cc_load_join(struct cc_writer *ws, struct cc_sharer *ss, char *why, size_t len,
                              int *stopped)
{
    long long acked = 0;

    why[0] = '\0';
    *stopped = 1;
    for (int t = 0; t < cc_nwriters; t++) {
        pthread_join(ws[t].thread, NULL);
        acked += (long long)ws[t].acked;
        *stopped &= ws[t].stopped;
        if ((strstr(ws[t].err, "unexpected") || strstr(ws[t].err, "cannot")) && !why[0])
            snprintf(why, len, "writer %d: %s", t, ws[t].err);
    }
    for (int t = 0; t < opt.shared_clients; t++) {
        if (ss[t].started)
            pthread_join(ss[t].thread, NULL);
        acked += (long long)ss[t].acked;
        *stopped &= ss[t].stopped;
        if ((strstr(ss[t].err, "unexpected") || strstr(ss[t].err, "cannot")) && !why[0])
            snprintf(why, len, "shared-counter client %d: %s", t, ss[t].err);
        if (ss[t].c)
            redisFree(ss[t].c);
        ss[t].c = NULL;
    }
    for (int t = 0; t < cc_ncws; t++) {
        struct cc_cwriter *w = &cc_cws[t];

        pthread_join(w->thread, NULL);
        acked += (long long)w->acked;
        *stopped &= w->stopped;
        if ((strstr(w->err, "unexpected") || strstr(w->err, "cannot")) && !why[0])
            snprintf(why, len, "%s writer %d: %.170s", cc_kind_names[w->kind], t, w->err);
    }
    return acked;
}

/* Connect and check every writer's keys and counters and the shared counters (and the
 * preloaded keys); '*checked' gets the number compared. Returns the violations, or -1
 * when the server cannot be reached. */
static long cc_verify_all(struct cc_writer *ws, struct cc_sharer *ss, int inject, long *checked,
                          int *injected)
{
    redisContext *c = cc_connect();
    long bad;

    if (!c || c->err) {
        if (c)
            redisFree(c);
        return -1;
    }
    if (inject)
        *injected = cc_inject_faults(c, ws, ss);
    bad = cc_verify(c, ws, checked);
    bad += cc_verify_shared(c, ss, checked);
    bad += cc_verify_colls(c, checked);
    if (opt.preload > 0)
        bad += cc_verify_preload(c);
    bad += cc_run_self_check(c);
    redisFree(c);
    return bad;
}

/* The clean round of a mode: the same load for 'run_ms', then every client stops between
 * batches (nothing is in flight), and every key and counter must hold exactly what was
 * acknowledged, on the running server, and again after SIGTERM and a restart. Returns 1
 * if the round failed, -1 if the server did not restart. */
static int cc_clean_round(const char *fsync, int run_ms, struct cc_writer *ws, struct cc_sharer *ss)
{
    long long acked, shared_acks = 0;
    long bad, bad2, checked = 0, checked2 = 0;
    int stopped, status, injected = 0;
    char why[200];

    atomic_store(&cc_stop, 0);
    cc_load_start(ws, ss);
    cc_sleep_ms(run_ms);
    atomic_store(&cc_stop, 1);
    acked = cc_load_join(ws, ss, why, sizeof(why), &stopped);
    atomic_store(&cc_stop, 0);
    for (int t = 0; t < opt.shared_clients; t++)
        for (int j = 0; j < opt.shared_keys; j++)
            shared_acks += ss[t].acks[j];
    bad = cc_verify_all(ws, ss, 0, &checked, &injected);
    status = cc_server_stop();
    if (cc_server_start(fsync) < 0) {
        cc_verdict(0, "clean round [appendfsync %s]: the server did not restart", fsync);
        return -1;
    }
    bad2 = cc_verify_all(ws, ss, 0, &checked2, &injected);
    if (why[0])
        cc_say("%s", why);
    if (!stopped)
        cc_say("a client did not stop cleanly");
    if (status != 0)
        cc_say("the server exited with status %d on SIGTERM", status);
    cc_verdict(bad == 0 && bad2 == 0 && !why[0] && stopped && status == 0,
               "clean round [appendfsync %s]: %d ms of load, %lld acknowledged writes (%lld "
               "INCRs of %d shared counters from %d clients), clients stopped: %ld keys and "
               "counters hold exactly what was acknowledged (%ld violations), and after "
               "SIGTERM (exit %d) and a restart %ld do (%ld violations)",
               fsync, run_ms, acked, shared_acks, opt.shared_clients ? opt.shared_keys : 0,
               opt.shared_clients, checked, bad, status, checked2, bad2);
    return bad != 0 || bad2 != 0 || why[0] || !stopped || status != 0;
}

/* Delete, through a new connection, the keys an earlier run may have left in the
 * directory given with --dir. */
static void cc_clear_keys(void)
{
    redisContext *c = cc_connect();
    int n = 0;

    for (int t = 0; c && !c->err && t < cc_nwriters; t++) {
        for (int i = 0; i < opt.key_space; i++, n++)
            redisAppendCommand(c, "DEL cc:%d:%d", t, i);
        redisAppendCommand(c, "DEL cc:ctr:%d", t);
        n++;
    }
    for (int j = 0; c && !c->err && j < opt.shared_keys; j++, n++)
        redisAppendCommand(c, "DEL cc:shared:%d", j);
    for (int t = 0; c && !c->err && t < cc_ncws; t++)
        for (int j = 0; j < opt.coll_keys; j++, n++)
            redisAppendCommand(c, "DEL cc:%c:%d:%d", cc_kind_letter[cc_cws[t].kind], t, j);
    for (int i = 0; c && !c->err && i < n; i++) {
        redisReply *r = NULL;

        if (redisGetReply(c, (void **)&r) == REDIS_OK)
            freeReplyObject(r);
    }
    if (c)
        redisFree(c);
}

/* Set up this mode's collection writers (cc_cws) on the running server, in the order
 * hash, set, list, sorted-set writers: each kind if the server knows its commands
 * (HINCRBY; SADD; RPUSH and LPOP; ZINCRBY: a notice says what is skipped); and whether it
 * answers DEBUG CHECK. */
static void cc_colls_setup(void)
{
    static const char *const need[CC_NKINDS][2] = {
        {"hincrby", NULL}, {"sadd", NULL},     {"rpush", "lpop"},
        {"zincrby", NULL}, {"setbit", "bitcount"}, {"pfadd", NULL}};
    int want[CC_NKINDS] = {opt.hash_writers, opt.set_writers,    opt.list_writers,
                           opt.zset_writers, opt.bitmap_writers, opt.hll_writers};
    int t = 0;
    redisContext *c;
    redisReply *r;

    cc_ncws = 0;
    for (int k = 0; k < CC_NKINDS; k++) {
        if (want[k] && (!cc_has_command(need[k][0]) || (need[k][1] && !cc_has_command(need[k][1])))) {
            cc_say("notice: the server has no %s%s%s command; %s writers are skipped",
                   need[k][0], need[k][1] ? " or " : "", need[k][1] ? need[k][1] : "",
                   cc_kind_names[k]);
            want[k] = 0;
        }
        cc_ncws += want[k];
    }
    cc_has_pfdebug = want[CC_HLL] && cc_has_command("pfdebug");
    cc_cws = calloc((size_t)cc_ncws + 1, sizeof(*cc_cws));
    for (int k = 0; k < CC_NKINDS; k++) {
        for (int i = 0; i < want[k]; i++, t++) {
            struct cc_cwriter *w = &cc_cws[t];
            size_t nk = (size_t)opt.coll_keys;

            w->id = t;
            w->kind = (enum cc_ckind)k;
            w->depth = i % 2 ? opt.coll_depth : 1;
            w->rng = opt.seed * 2654435761u + (uint64_t)t * 40503 + 7;
            if (k == CC_HASH) {
                w->fields = calloc(nk * (size_t)opt.hash_fields, sizeof(*w->fields));
            } else if (k == CC_SETS) {
                w->members = calloc(nk * (size_t)opt.set_members, sizeof(*w->members));
            } else if (k == CC_LIST) {
                w->lists = calloc(nk, sizeof(*w->lists));
                for (size_t j = 0; j < nk; j++)
                    w->lists[j].flight = calloc((size_t)w->depth, sizeof(struct cc_qstate));
            } else if (k == CC_ZSET) {
                w->zmembers = calloc(nk * (size_t)opt.zset_members, sizeof(*w->zmembers));
            } else if (k == CC_BITMAP) {
                w->bitmaps = calloc(nk, sizeof(*w->bitmaps));
                for (size_t j = 0; j < nk; j++) {
                    w->bitmaps[j].bits = calloc((size_t)opt.bitmap_bits / 8 + 1, 1);
                    w->bitmaps[j].flight = calloc((size_t)w->depth, sizeof(struct cc_bop));
                }
            } else {
                w->hlls = calloc(nk, sizeof(*w->hlls));
            }
        }
    }
    cc_self_check = 0;
    if (opt.no_self_check)
        return;
    c = cc_connect();
    r = c && !c->err ? redisCommand(c, "DEBUG CHECK") : NULL;
    cc_self_check = r && r->type != REDIS_REPLY_ERROR;
    if (!cc_self_check)
        cc_say("notice: no self-check after restarts: DEBUG CHECK answered '%.120s'",
               r && r->type == REDIS_REPLY_ERROR ? r->str : "nothing");
    freeReplyObject(r);
    if (c)
        redisFree(c);
}

static void cc_colls_free(void)
{
    for (int t = 0; t < cc_ncws; t++) {
        free(cc_cws[t].fields);
        free(cc_cws[t].members);
        for (int j = 0; cc_cws[t].lists && j < opt.coll_keys; j++)
            free(cc_cws[t].lists[j].flight);
        free(cc_cws[t].lists);
        free(cc_cws[t].zmembers);
        for (int j = 0; cc_cws[t].bitmaps && j < opt.coll_keys; j++) {
            free(cc_cws[t].bitmaps[j].bits);
            free(cc_cws[t].bitmaps[j].flight);
        }
        free(cc_cws[t].bitmaps);
        free(cc_cws[t].hlls);
    }
    free(cc_cws);
    cc_cws = NULL;
    cc_ncws = 0;
}

/* Run opt.rounds kill -9 rounds under 'fsync' on a fresh (or the given) data dir, then
 * the clean round. Returns the number of rounds that found a violation, or -1 on a
 * start-up error. */
static int cc_run_mode(const char *fsync)
{
    struct cc_writer *ws = calloc((size_t)cc_nwriters, sizeof(*ws));
    struct cc_sharer *ss = calloc((size_t)opt.shared_clients + 1, sizeof(*ss));
    int failed_rounds = 0, restarted = 1;
    long long total_acked = 0;

    if (opt.dir) {
        snprintf(cc_datadir, sizeof(cc_datadir), "%s", opt.dir);
        mkdir(cc_datadir, 0755);
    } else {
        snprintf(cc_datadir, sizeof(cc_datadir), "/tmp/omk-crashcheck-XXXXXX");
        if (!mkdtemp(cc_datadir)) {
            perror("mkdtemp");
            free(ws);
            free(ss);
            return -1;
        }
    }
    snprintf(cc_logpath, sizeof(cc_logpath), "%s.log", cc_datadir);
    for (int t = 0; t < cc_nwriters; t++) {
        ws[t].id = t;
        ws[t].depth = t < opt.threads ? 1 : opt.depths[t - opt.threads];
        ws[t].keys = calloc((size_t)opt.key_space, sizeof(struct cc_key));
        ws[t].rng = opt.seed * 7919 + (uint64_t)t * 104729 + 1;
    }
    for (int t = 0; t < opt.shared_clients; t++) {
        ss[t].id = t;
        ss[t].depth = t % 2 ? CC_SHARED_DEPTH : 1;
        ss[t].rng = opt.seed * 6271 + (uint64_t)t * 15485863 + 1;
    }
    memset(cc_shared_base, 0, sizeof(cc_shared_base));
    if (cc_server_start(fsync) < 0) {
        free(ws);
        free(ss);
        return -1;
    }
    if (opt.frag_threshold && !cc_frag_arg && cc_config_known("string-fragment-threshold")) {
        /* Strings longer than the threshold are kept in fragments: with a low one the
         * HyperLogLogs (12304 bytes dense) are fragmented too, not only the bitmaps. */
        cc_frag_arg = 1;
        if (cc_server_stop() != 0 || cc_server_start(fsync) < 0) {
            fprintf(stderr, "omenkv-crashcheck: the server did not restart with "
                    "--string-fragment-threshold %d; see %s\n", opt.frag_threshold, cc_logpath);
            free(ws);
            free(ss);
            return -1;
        }
        cc_say("notice: the server runs with string-fragment-threshold %d", opt.frag_threshold);
    }
    cc_use_incr = cc_has_command("incr");
    if (!cc_use_incr) {
        cc_say("notice: the server has no INCR command; counters are skipped");
        opt.shared_clients = 0;
    }
    cc_colls_setup();
    if (cc_nwriters + cc_ncws + opt.shared_clients == 0) {
        cc_say("SKIP: the server has the commands of none of the clients asked for (--mix)");
        cc_server_stop();
        cc_colls_free();
        free(ws);
        free(ss);
        if (!opt.keep && !opt.dir) {
            char rm[8500];

            snprintf(rm, sizeof(rm), "rm -rf '%s' '%s'", cc_datadir, cc_logpath);
            if (system(rm) != 0)
                cc_say("warning: could not remove %s", cc_datadir);
        }
        return -2;
    }
    if (opt.preload > 0 && cc_preload() != 0) {
        fprintf(stderr, "omenkv-crashcheck: loading %lld keys failed\n", opt.preload);
        cc_server_kill9();
        free(ws);
        free(ss);
        return -1;
    }
    if (opt.dir)
        cc_clear_keys();
    for (int round = 1; round <= opt.rounds; round++) {
        uint64_t rng = opt.seed + (uint64_t)++cc_round_seq * 1000003;
        int run_ms = opt.run_min_ms +
                     (int)(cc_rand(&rng) % (uint64_t)(opt.run_max_ms - opt.run_min_ms + 1));
        long long acked;
        long bad, checked = 0;
        struct cc_rocks_files rf;
        int injected = 0, stopped;
        double rec;
        char loadline[512], why[200];

        cc_load_start(ws, ss);
        cc_sleep_ms(run_ms);
        cc_server_kill9();
        acked = cc_load_join(ws, ss, why, sizeof(why), &stopped);
        total_acked += acked;
        rec = cc_server_start(fsync);
        if (rec < 0) {
            cc_verdict(0, "round %d/%d [%s]: the server did not restart", round, opt.rounds,
                       fsync);
            failed_rounds++;
            restarted = 0;
            break;
        }
        cc_last_load_line(loadline, sizeof(loadline));
        bad = cc_verify_all(ws, ss, opt.inject, &checked, &injected);
        if (bad < 0) {
            cc_verdict(0, "round %d/%d [%s]: cannot connect after restart", round, opt.rounds,
                       fsync);
            failed_rounds++;
            restarted = 0;
            break;
        }
        if (why[0]) {
            cc_say("%s", why);
            bad++;
        }
        cc_rocks_scan(&rf);
        cc_verdict(bad == 0,
                   "round %d/%d [appendfsync %s]: killed after %d ms and %lld acknowledged "
                   "writes; %ld keys and counters verified, %ld violations; recovery %.3f s (%s)",
                   round, opt.rounds, fsync, run_ms, acked, checked, bad, rec, loadline);
        if (opt.flushes)
            cc_say("rocksdb so far: %ld SST files on disk, highest file number %ld; LOG events: "
                   "%ld memtable flushes, %ld compactions",
                   rf.ssts, rf.max_sst, rf.flushes, rf.compactions);
        if (opt.inject && bad < injected)
            cc_say("ERROR: %d faults injected but only %ld found", injected, bad);
        failed_rounds += bad != 0;
    }
    if (restarted && !opt.no_clean && !opt.inject) {
        int rc = cc_clean_round(fsync, opt.run_max_ms, ws, ss);

        failed_rounds += rc != 0;
    }
    if (cc_pid > 0 && cc_server_stop() != 0)
        cc_say("warning: the server did not exit cleanly on SIGTERM");
    cc_say("appendfsync %s: %d kill rounds%s, %lld acknowledged writes in the kill rounds, "
           "%d rounds with violations",
           fsync, opt.rounds, restarted && !opt.no_clean && !opt.inject ? " and a clean round" : "",
           total_acked, failed_rounds);
    for (int t = 0; t < cc_nwriters; t++)
        free(ws[t].keys);
    free(ws);
    free(ss);
    cc_colls_free();
    if (!opt.keep && !opt.dir) {
        char rm[8500];

        snprintf(rm, sizeof(rm), "rm -rf '%s' '%s'", cc_datadir, cc_logpath);
        if (system(rm) != 0)
            cc_say("warning: could not remove %s", cc_datadir);
    }
    return failed_rounds;
}

/* Print the run's settings (the seed first, to replay it). */
static void cc_banner(void)
{
    char depths[128] = "none";
    size_t at = 0;

    for (int d = 0; d < opt.npipelined; d++)
        at += (size_t)snprintf(depths + at, sizeof(depths) - at, "%s%d", d ? "," : "",
                               opt.depths[d]);
    cc_say("omenkv-crashcheck: seed %llu, %d writers x %d keys (%d with one request in flight, "
           "pipelined batches: %s), %d clients INCRing %d shared counters, %d hash writers x %d "
           "hashes x %d fields, %d set writers x %d sets x %d members, %d list writers x %d "
           "lists (up to %d tokens), %d ZINCRBY writers x %d sorted sets x %d members, %d "
           "SETBIT writers x %d bitmaps x %d bits, %d PFADD writers x %d HyperLogLogs (every "
           "other collection writer sending %d at once), %d rounds per mode%s%s",
           (unsigned long long)opt.seed, cc_nwriters, opt.key_space, opt.threads, depths,
           opt.shared_clients, opt.shared_keys, opt.hash_writers, opt.coll_keys,
           opt.hash_fields, opt.set_writers, opt.coll_keys, opt.set_members, opt.list_writers,
           opt.coll_keys, opt.list_max, opt.zset_writers, opt.coll_keys, opt.zset_members,
           opt.bitmap_writers, opt.coll_keys, opt.bitmap_bits, opt.hll_writers, opt.coll_keys,
           opt.coll_depth, opt.rounds, opt.no_clean || opt.inject ? "" : " then a clean round",
           opt.flushes ? ", forced flushes (1 MB write buffer)" : "");
}

/* Parse --pipelined's comma-separated depths into opt.depths ("0": none); exits with
 * status 2 on a bad list. */
static void cc_parse_depths(const char *v)
{
    const char *p = v;

    opt.npipelined = 0;
    if (!strcmp(v, "0") || !strcmp(v, "none"))
        return;
    for (;;) {
        char *end;
        long d = strtol(p, &end, 10);

        if (end == p || d < 1 || d > CC_MAX_DEPTH || opt.npipelined == CC_MAX_PIPELINED ||
            (*end != ',' && *end != '\0')) {
            fprintf(stderr,
                    "omenkv-crashcheck: --pipelined wants up to %d depths of 1 to %d, e.g. "
                    "16,100 (or 0)\n",
                    CC_MAX_PIPELINED, CC_MAX_DEPTH);
            exit(2);
        }
        opt.depths[opt.npipelined++] = (int)d;
        if (*end == '\0')
            return;
        p = end + 1;
    }
}

/* Whether 'name' is one of the comma-separated words of 'list'. */
static int cc_in_list(const char *list, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");

        if (len == n && !strncmp(p, name, n))
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* Parse a positive integer option value; exits with usage on error. */
static long long cc_num(const char *name, const char *v, long long min)
{
    char *end;
    long long n = strtoll(v, &end, 10);

    if (*v == '\0' || *end != '\0' || n < min) {
        fprintf(stderr, "omenkv-crashcheck: bad value for %s: '%s'\n", name, v);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    static const char *const modes[] = {"always", "everysec", "no"};
    int value_size_set = 0, failed = 0, errors = 0, ncoll, skipped = 0, modes_run = 0;
    const char *mix = NULL;

    opt.server = getenv("OMK_SERVER") ? getenv("OMK_SERVER") : "./daemon/omenkv-server";
    opt.rounds = 10;
    opt.fsync = "all";
    opt.threads = 4;
    opt.depths[0] = 16;
    opt.depths[1] = 100;
    opt.npipelined = 2;
    opt.shared_clients = 4;
    opt.shared_keys = 4;
    opt.key_space = 2000;
    opt.run_min_ms = 300;
    opt.run_max_ms = 1500;
    opt.value_size = 16;
    opt.seed = (uint64_t)time(NULL);
    opt.hash_writers = 2;
    opt.set_writers = 2;
    opt.list_writers = 2;
    opt.zset_writers = 2;
    opt.bitmap_writers = 2;
    opt.hll_writers = 2;
    opt.bitmap_bits = 45 * 1024 * 8;
    opt.frag_threshold = 256;
    opt.zset_members = 300;
    opt.list_max = 2000;
    opt.coll_keys = 4;
    opt.hash_fields = 300;
    opt.set_members = 2000;
    opt.coll_depth = 16;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(a, "--flushes")) {
            opt.flushes = 1;
        } else if (!strcmp(a, "--keep")) {
            opt.keep = 1;
        } else if (!strcmp(a, "--inject-faults")) {
            opt.inject = 1;
        } else if (!strcmp(a, "--no-clean")) {
            opt.no_clean = 1;
        } else if (!strcmp(a, "--no-self-check")) {
            opt.no_self_check = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            cc_usage();
            return 0;
        } else if (!v) {
            cc_usage();
            return 2;
        } else {
            i++;
            if (!strcmp(a, "--server"))
                opt.server = v;
            else if (!strcmp(a, "--dir"))
                opt.dir = v;
            else if (!strcmp(a, "--rounds"))
                opt.rounds = (int)cc_num(a, v, 1);
            else if (!strcmp(a, "--fsync"))
                opt.fsync = v;
            else if (!strcmp(a, "--threads"))
                opt.threads = (int)cc_num(a, v, 0);
            else if (!strcmp(a, "--pipelined"))
                cc_parse_depths(v);
            else if (!strcmp(a, "--shared-clients"))
                opt.shared_clients = (int)cc_num(a, v, 0);
            else if (!strcmp(a, "--shared-keys"))
                opt.shared_keys = (int)cc_num(a, v, 1);
            else if (!strcmp(a, "--key-space"))
                opt.key_space = (int)cc_num(a, v, 1);
            else if (!strcmp(a, "--keys"))
                opt.preload = cc_num(a, v, 0);
            else if (!strcmp(a, "--value-size"))
                opt.value_size = (int)cc_num(a, v, 0), value_size_set = 1;
            else if (!strcmp(a, "--seed"))
                opt.seed = (uint64_t)cc_num(a, v, 0);
            else if (!strcmp(a, "--hash-writers"))
                opt.hash_writers = (int)cc_num(a, v, 0);
            else if (!strcmp(a, "--set-writers"))
                opt.set_writers = (int)cc_num(a, v, 0);
            else if (!strcmp(a, "--list-writers"))
                opt.list_writers = (int)cc_num(a, v, 0);
            else if (!strcmp(a, "--zset-writers"))
                opt.zset_writers = (int)cc_num(a, v, 0);
            else if (!strcmp(a, "--bitmap-writers"))
                opt.bitmap_writers = (int)cc_num(a, v, 0);
            else if (!strcmp(a, "--hll-writers"))
                opt.hll_writers = (int)cc_num(a, v, 0);
            else if (!strcmp(a, "--bitmap-bits"))
                opt.bitmap_bits = (int)cc_num(a, v, 64);
            else if (!strcmp(a, "--frag-threshold"))
                opt.frag_threshold = (int)cc_num(a, v, 0);
            else if (!strcmp(a, "--zset-members"))
                opt.zset_members = (int)cc_num(a, v, 1);
            else if (!strcmp(a, "--list-max"))
                opt.list_max = (int)cc_num(a, v, 1);
            else if (!strcmp(a, "--coll-keys"))
                opt.coll_keys = (int)cc_num(a, v, 1);
            else if (!strcmp(a, "--hash-fields"))
                opt.hash_fields = (int)cc_num(a, v, 1);
            else if (!strcmp(a, "--set-members"))
                opt.set_members = (int)cc_num(a, v, 1);
            else if (!strcmp(a, "--coll-depth"))
                opt.coll_depth = (int)cc_num(a, v, 1);
            else if (!strcmp(a, "--mix"))
                mix = v;
            else if (!strcmp(a, "--run-ms")) {
                if (sscanf(v, "%d-%d", &opt.run_min_ms, &opt.run_max_ms) != 2 ||
                    opt.run_min_ms < 1 || opt.run_max_ms < opt.run_min_ms) {
                    fprintf(stderr, "omenkv-crashcheck: --run-ms wants MIN-MAX, e.g. 300-1500\n");
                    return 2;
                }
            } else {
                cc_usage();
                return 2;
            }
        }
    }
    if (mix) {
        static const char *const kinds[] = {"string", "hash", "set", "list", "zset", "bitmap",
                                            "hll"};
        int *counts[] = {NULL,
                         &opt.hash_writers,
                         &opt.set_writers,
                         &opt.list_writers,
                         &opt.zset_writers,
                         &opt.bitmap_writers,
                         &opt.hll_writers};

        for (const char *p = mix; *p;) {
            size_t len = strcspn(p, ",");
            int known = 0;

            for (int k = 0; k < 7; k++)
                known |= len == strlen(kinds[k]) && !strncmp(p, kinds[k], len);
            if (!known) {
                fprintf(stderr, "omenkv-crashcheck: --mix takes string, hash, set, list, zset, "
                        "bitmap and hll, comma-separated\n");
                return 2;
            }
            p += len + (p[len] == ',');
        }
        if (!cc_in_list(mix, "string")) {
            opt.threads = 0;
            opt.npipelined = 0;
            opt.shared_clients = 0;
        }
        for (int k = 1; k < 7; k++)
            if (!cc_in_list(mix, kinds[k]))
                *counts[k] = 0;
    }
    ncoll = opt.hash_writers + opt.set_writers + opt.list_writers + opt.zset_writers +
            opt.bitmap_writers + opt.hll_writers;
    if (ncoll > CC_MAX_THREADS || opt.coll_depth > CC_MAX_DEPTH ||
        opt.set_members <= opt.coll_depth * 4 || opt.hash_fields > 1000000 ||
        opt.set_members > 1000000 || opt.zset_members > 1000000 || opt.coll_keys > 1000) {
        fprintf(stderr, "omenkv-crashcheck: at most %d collection writers, --coll-depth up to "
                "%d, --set-members above 4 x --coll-depth, up to 1000000 fields or members "
                "and 1000 collections per writer\n",
                CC_MAX_THREADS, CC_MAX_DEPTH);
        return 2;
    }
    cc_nwriters = opt.threads + opt.npipelined;
    if ((cc_nwriters < 1 && ncoll < 1) ||
        cc_nwriters > CC_MAX_THREADS || opt.value_size > 1 << 20 ||
        opt.shared_clients > CC_MAX_SHARED || opt.shared_keys > CC_MAX_SHARED) {
        fprintf(stderr, "omenkv-crashcheck: 1 to %d writers (--threads plus --pipelined), "
                "at most %d shared clients and keys, and 1 MB values\n",
                CC_MAX_THREADS, CC_MAX_SHARED);
        return 2;
    }
    for (int d = 0; d < opt.npipelined; d++) {
        if (opt.depths[d] > opt.key_space) {
            fprintf(stderr, "omenkv-crashcheck: a batch names a key at most once: "
                    "--key-space must be at least each --pipelined depth\n");
            return 2;
        }
    }
    if (strcmp(opt.fsync, "all") && strcmp(opt.fsync, "always") &&
        strcmp(opt.fsync, "everysec") && strcmp(opt.fsync, "no")) {
        fprintf(stderr, "omenkv-crashcheck: --fsync wants always, everysec, no or all\n");
        return 2;
    }
    if (opt.flushes && !value_size_set)
        opt.value_size = 1024;
    if (access(opt.server, X_OK) != 0) {
        fprintf(stderr, "omenkv-crashcheck: no server binary at '%s' (--server)\n", opt.server);
        return 2;
    }
    if (opt.seed == 0)
        opt.seed = 1;
    signal(SIGPIPE, SIG_IGN);
    cc_banner();
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        int rc;

        if (strcmp(opt.fsync, "all") != 0 && strcmp(opt.fsync, modes[m]) != 0)
            continue;
        rc = cc_run_mode(modes[m]);
        modes_run++;
        if (rc == -2)
            skipped++;
        else if (rc < 0)
            errors++;
        else
            failed += rc;
    }
    return errors ? 2 : failed ? 1 : skipped == modes_run ? 3 : 0;
}
