# clients/local.mk - build rules for clients/ (included by the top Makefile.am).

# ---- omenkv-bench ----
# The load generator (hiredis, pthreads), its histogram and key generators, and their
# unit test (tests/unit/test_bench_hist.c).
noinst_LIBRARIES += clients/libomkbench.a
clients_libomkbench_a_SOURCES = clients/hist.c clients/hist.h clients/keydist.c clients/keydist.h

noinst_PROGRAMS += clients/omenkv-bench
clients_omenkv_bench_SOURCES = clients/omenkv-bench.c
clients_omenkv_bench_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
clients_omenkv_bench_LDADD = clients/libomkbench.a common/libomkcommon.a $(HIREDIS_LIBS) \
	$(PTHREAD_LIBS) -lm

check_PROGRAMS += tests/unit/test_bench_hist
TESTS += tests/unit/test_bench_hist
tests_unit_test_bench_hist_SOURCES = tests/unit/test_bench_hist.c tests/tap.h
tests_unit_test_bench_hist_LDADD = clients/libomkbench.a common/libomkcommon.a -lm
# ---- end omenkv-bench ----
