/* latency.h - the latency monitor and the per-command latency histograms.
 *
 * The monitor (LATENCY LATEST / HISTORY / RESET / DOCTOR / GRAPH) keeps, per event, the
 * worst latency of each second in which the event took latency-monitor-threshold ms or
 * more, the newest LATENCY_TS_LEN seconds of them, as Redis does. omenkv's events:
 * "command" and "fast-command" (a handler's run time, by its CMD_FAST flag) and the log
 * write at the end of a worker's pass ("aof-write-alone", or "aof-fsync-always" under
 * appendfsync always, where the write includes the fsync), and from the store one tick of
 * active expiry ("expire-cycle", as Redis') and a RocksDB write that waited
 * ("rocksdb-write-stall", omenkv's: a write stall while flushes or compactions catch
 * up). One mutex guards the events; only a sample over the threshold (or LATENCY
 * itself) takes it.
 *
 * The histograms (INFO latencystats, LATENCY HISTOGRAM; latency-tracking) are per worker
 * and per command, written by the worker's thread alone without a lock or a shared
 * write, and summed over the workers when read. */
#ifndef OMK_DAEMON_LATENCY_H
#define OMK_DAEMON_LATENCY_H

#include <stdint.h>

#include <event2/buffer.h>

struct client;
struct cmd_def;

/* Set up the histograms of 'nworkers' workers (ids 0..nworkers-1). Main thread, before
 * the workers start. A client of a worker outside that range records nothing. */
void latency_init(int nworkers);

/* Free what latency_init and the monitor allocated (main thread, workers stopped). */
void latency_deinit(void);

/* Note that command 'd' ran 'usec' microseconds for client 'c': into its worker's
 * histogram when latency-tracking is on, and a monitor sample when it reached the
 * threshold. The worker's own thread, after the handler returned. */
void latency_note_command(struct client *c, const struct cmd_def *d, int64_t usec);

/* Note that a worker's end-of-pass log write took 'usec' microseconds (a monitor sample
 * when it reached the threshold). Any thread. */
void latency_note_log_write(int64_t usec);

/* The store's latency hook (store_latency_fn): event 'event' took 'usec' microseconds.
 * Any thread. */
void latency_note_store(int event, int64_t usec);

/* Whether the monitor is on (latency-monitor-threshold > 0): callers skip the clock
 * readings of latency_note_log_write otherwise. */
int latency_monitor_on(void);

/* CONFIG RESETSTAT: every histogram starts from zero (each worker clears its own at its
 * next record; readers ignore the stale ones meanwhile). Any thread. */
void latency_hist_reset(void);

/* INFO latencystats: "# Latencystats" and one line per command with samples,
 * "latency_percentiles_usec_<name>:p50=...,p99=...", as Redis 7.0 prints them. */
void latency_info(struct evbuffer *b);

/* LATENCY <subcommand> ... for client 'c' (cmd_latency's work). */
void latency_command(struct client *c);

#endif
