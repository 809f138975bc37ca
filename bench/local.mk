# bench/local.mk - build rules for bench/ (included by the top Makefile.am).

# index-bench: ALEX against JudySL and a sorted array, 1M and 10M keys (bench/README.md).
# Built by `make`; the JudySL baseline only when configure found libJudy.
noinst_PROGRAMS += bench/index-bench
bench_index_bench_SOURCES = bench/index-bench.c
bench_index_bench_LDADD = index/libomkindex.a common/libomkcommon.a $(PTHREAD_LIBS)
if HAVE_JUDY
bench_index_bench_CPPFLAGS = $(AM_CPPFLAGS) -DOMK_BENCH_JUDY=1
bench_index_bench_LDADD += -lJudy
endif

# TAP smoke test: `index-bench --quick` (100k keys) finishes and prints its ratio line.
TESTS += bench/smoke-index-bench.sh
EXTRA_DIST += bench/smoke-index-bench.sh bench/README.md bench/index-tables.py

# ---- store-bench, run-all ----
# store-bench: the store API in-process against plain RocksDB and (when configure found
# libsqlite3) SQLite. run-all drives every benchmark and renders bench/REPORT.md with
# bench/plot.py; smoke-omenkv-bench.sh checks omenkv-bench and store-bench --quick.
noinst_PROGRAMS += bench/store-bench
bench_store_bench_SOURCES = bench/store-bench.c
bench_store_bench_CFLAGS = $(AM_CFLAGS) $(ROCKSDB_CFLAGS)
bench_store_bench_LDADD = store/libomkstore.a index/libomkindex.a clients/libomkbench.a \
	common/libomkcommon.a $(ROCKSDB_LIBS) $(PTHREAD_LIBS) -lm
if HAVE_SQLITE3
bench_store_bench_CPPFLAGS = $(AM_CPPFLAGS) -DOMK_BENCH_SQLITE=1
bench_store_bench_CFLAGS += $(SQLITE3_CFLAGS)
bench_store_bench_LDADD += $(SQLITE3_LIBS)
endif

TESTS += bench/smoke-omenkv-bench.sh
EXTRA_DIST += bench/smoke-omenkv-bench.sh bench/run-all bench/plot.py
# shards: SET and GET through twemproxy over 1 and 3 shards (issue 25; run-all's section 8).
EXTRA_DIST += bench/shards
# beyond-cache: GETs of a data set beyond the caches against Redis in RAM (issue 25).
EXTRA_DIST += bench/beyond-cache
# sustained-writes: SETs at full speed then at half that rate, stalls and p99.9 per
# interval, and the space a 90% delete gives back (issue 25); smoke-omenkv-bench.sh runs
# a shortened --quick of it (about 30 s).
EXTRA_DIST += bench/sustained-writes
# ---- end store-bench, run-all ----

# ---- cache-bench ----
# cache-bench: the value cache's hit ratio (SIEVE, store/cache.c) against plain LRU on
# zipfian 0.99, zipfian with a one-pass scan, and uniform traces; then GET throughput of
# the store in-process with the cache against the cache disabled (maxmemory 1).
noinst_PROGRAMS += bench/cache-bench
bench_cache_bench_SOURCES = bench/cache-bench.c
bench_cache_bench_LDADD = store/libomkstore.a index/libomkindex.a common/libomkcommon.a \
	$(ROCKSDB_LIBS) $(PTHREAD_LIBS) -lm
# ---- end cache-bench ----

# ---- coll-large ----
# coll-large: a 10M-field hash and a 10M-member set built through the server (issue 20):
# counts without reads, HGET/SISMEMBER latency, DEL, the space coming back, index bytes per
# key; a 10M-member sorted set and a 10M-element list (issue 21): ZADD throughput, ZRANK,
# ZRANGE by rank and LINDEX of the middle, again after a restart (bench/README.md). A
# hiredis client, like clients/omenkv-bench; run by bench/run-all.
noinst_PROGRAMS += bench/coll-large
bench_coll_large_SOURCES = bench/coll-large.c
bench_coll_large_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
bench_coll_large_LDADD = clients/libomkbench.a common/libomkcommon.a $(HIREDIS_LIBS) \
	$(PTHREAD_LIBS) -lm
# ---- end coll-large ----

# ---- zrank-bench ----
# zrank-bench: the order-statistic structure of large sorted sets (store/zrank.c) at 10M
# keys for three block sizes, against a sorted array with a Fenwick tree, and what a rank
# query's seek and steps cost in RocksDB. Not run by make check or bench/run-all.
noinst_PROGRAMS += bench/zrank-bench
bench_zrank_bench_SOURCES = bench/zrank-bench.c
bench_zrank_bench_CFLAGS = $(AM_CFLAGS) $(ROCKSDB_CFLAGS)
bench_zrank_bench_LDADD = store/libomkstore.a common/libomkcommon.a $(ROCKSDB_LIBS) \
	$(PTHREAD_LIBS)
# ---- end zrank-bench ----

# ---- bigstr-bench ----
# bigstr-bench: large strings through the server (issue 22): random-offset SETBIT/GETBIT for
# bench/vs-redis (redis-benchmark's zero-padded __rand_int__ is no valid bit offset),
# SETBIT at random offsets in a 512 MB bitmap (ops/s, bytes written per SETBIT), GET of a
# 100 MB value (time to first byte, total, RSS growth). Run by bench/run-all, section 8.
noinst_PROGRAMS += bench/bigstr-bench
bench_bigstr_bench_SOURCES = bench/bigstr-bench.c
bench_bigstr_bench_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
bench_bigstr_bench_LDADD = $(HIREDIS_LIBS) $(PTHREAD_LIBS)
# ---- end bigstr-bench ----
