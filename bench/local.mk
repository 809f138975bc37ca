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
EXTRA_DIST += bench/smoke-index-bench.sh bench/README.md
