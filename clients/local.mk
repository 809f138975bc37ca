# clients/local.mk - build rules for clients/ (included by the top Makefile.am).

# ---- omenkv-bench ----
# The load generator (hiredis, pthreads), its histogram and key generators, and their
# unit test (tests/unit/test_bench_hist.c).
noinst_LIBRARIES += clients/libomkbench.a
clients_libomkbench_a_SOURCES = clients/hist.c clients/hist.h clients/keydist.c clients/keydist.h \
	clients/hllmodel.c clients/hllmodel.h

noinst_PROGRAMS += clients/omenkv-bench
clients_omenkv_bench_SOURCES = clients/omenkv-bench.c
clients_omenkv_bench_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
clients_omenkv_bench_LDADD = clients/libomkbench.a common/libomkcommon.a $(HIREDIS_LIBS) \
	$(PTHREAD_LIBS) -lm

check_PROGRAMS += tests/unit/test_bench_hist
TESTS += tests/unit/test_bench_hist
tests_unit_test_bench_hist_SOURCES = tests/unit/test_bench_hist.c tests/tap.h
tests_unit_test_bench_hist_LDADD = clients/libomkbench.a common/libomkcommon.a -lm
# The crash checker's HyperLogLog model (clients/hllmodel.h) against Redis' registers.
check_PROGRAMS += tests/unit/test_hllmodel
TESTS += tests/unit/test_hllmodel
tests_unit_test_hllmodel_SOURCES = tests/unit/test_hllmodel.c tests/tap.h
tests_unit_test_hllmodel_LDADD = clients/libomkbench.a
# ---- end omenkv-bench ----

# ---- omenkv-difffuzz ----
# Issue 20's differential fuzzer: one random command stream to omenkv and to
# redis-server 7.0, replies compared (clients/README.md has the long runs and seeds).
noinst_PROGRAMS += clients/omenkv-difffuzz
clients_omenkv_difffuzz_SOURCES = clients/omenkv-difffuzz.c
clients_omenkv_difffuzz_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
clients_omenkv_difffuzz_LDADD = $(HIREDIS_LIBS)
# Its bounded run in make check against a redis-server it starts (about 10 s).
TESTS += tests/integ/test_difffuzz.sh
EXTRA_DIST += tests/integ/test_difffuzz.sh
# Shortest repros of the differences a run with --resp-log found (by hand, not in make check).
EXTRA_DIST += clients/difffuzz-min.py
# ---- end omenkv-difffuzz ----

# ---- omenkv-crashcheck ----
# Issue 7, reliability and limits: the kill -9 checker, the tests that prove each limit
# and behaviour, and the fuzz target of the whole command path. Long runs: clients/README.md.

# The crash checker (hiredis, pthreads) and its bounded run in make check (about 30 s).
noinst_PROGRAMS += clients/omenkv-crashcheck
clients_omenkv_crashcheck_SOURCES = clients/omenkv-crashcheck.c
clients_omenkv_crashcheck_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
clients_omenkv_crashcheck_LDADD = clients/libomkbench.a $(HIREDIS_LIBS) $(PTHREAD_LIBS)
TESTS += tests/integ/test_crash.sh
EXTRA_DIST += tests/integ/test_crash.sh clients/README.md

# Issue 18, the write path's invariants (store/commit.c) on a server with two workers: a
# value a reader on one worker received survives kill -9 although another worker wrote
# it, per-key INCRs from both workers, MULTI/EXEC among INCRs without deadlock, and an
# EXEC cut by kill -9. Also run under ThreadSanitizer (TSAN_TESTS in ./bootstrap).
DURABLE_INTEG = tests/integ/test_durable
check_PROGRAMS += $(DURABLE_INTEG)
TESTS += $(DURABLE_INTEG)
$(DURABLE_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_durable_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_durable_LDADD = $(INTEG_LDADD)

# Limits (maxclients, timeout, query and output buffers, bulk and multibulk sizes,
# before-AUTH limits, protected mode), a full disk (mounts a tmpfs; skipped unless root),
# and 500 connections of mixed load for 15 s.
RELIABILITY_INTEG = tests/integ/test_limits tests/integ/test_diskfull tests/integ/test_load
check_PROGRAMS += $(RELIABILITY_INTEG)
TESTS += $(RELIABILITY_INTEG)
$(RELIABILITY_INTEG): daemon/omenkv-server$(EXEEXT)
tests_integ_test_limits_SOURCES = tests/integ/test_limits.c tests/integ/tproc.h
tests_integ_test_limits_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_limits_LDADD = $(INTEG_LDADD)
tests_integ_test_diskfull_SOURCES = tests/integ/test_diskfull.c tests/integ/tproc.h
tests_integ_test_diskfull_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_diskfull_LDADD = $(INTEG_LDADD)
tests_integ_test_load_SOURCES = tests/integ/test_load.c tests/integ/tproc.h
tests_integ_test_load_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_integ_test_load_LDADD = $(INTEG_LDADD)

# The command path in process (tests/fuzz/fuzz_cmd.c): make check replays the seed
# corpus tests/fuzz/corpus/cmd with the normal compiler, against daemon/libomkdaemon.a.
FUZZ_CMD_LIBS = daemon/libomkdaemon.a store/libomkstore.a index/libomkindex.a \
	resp/libomkresp.a common/libomkcommon.a
check_PROGRAMS += tests/fuzz/fuzz_cmd_replay
TESTS += tests/fuzz/fuzz_cmd_replay
tests_fuzz_fuzz_cmd_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_cmd.c
tests_fuzz_fuzz_cmd_replay_CPPFLAGS = $(AM_CPPFLAGS) -DOMK_FUZZ_CORPUS='"cmd"'
tests_fuzz_fuzz_cmd_replay_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(ROCKSDB_CFLAGS) $(LUA_CFLAGS)
tests_fuzz_fuzz_cmd_replay_LDADD = $(FUZZ_CMD_LIBS) $(LIBEVENT_LIBS) $(ROCKSDB_LIBS) \
	$(LUA_LIBS) -lpthread -lm
EXTRA_DIST += tests/fuzz/corpus/cmd tests/fuzz/cmd.dict

# make fuzz-cmd: tests/fuzz/fuzz_cmd, the libFuzzer binary (never built by default). As
# fuzz-resp does (FUZZ_CC and FUZZ_CFLAGS come from resp/local.mk), it compiles every
# source it runs with clang, so that all of them get coverage instrumentation.
# Run: tests/fuzz/fuzz_cmd -max_total_time=300 -dict=$(srcdir)/tests/fuzz/cmd.dict \
#          <a scratch dir> $(srcdir)/tests/fuzz/corpus/cmd
FUZZ_CMD_ALL = tests/fuzz/fuzz_cmd.c $(daemon_libomkdaemon_a_SOURCES) \
	$(store_libomkstore_a_SOURCES) $(index_libomkindex_a_SOURCES) \
	$(resp_libomkresp_a_SOURCES) $(common_libomkcommon_a_SOURCES)
FUZZ_CMD_SRCS = $(addprefix $(srcdir)/,$(filter %.c,$(FUZZ_CMD_ALL)))
.PHONY: fuzz-cmd
fuzz-cmd: tests/fuzz/fuzz_cmd
tests/fuzz/fuzz_cmd: $(FUZZ_CMD_SRCS) $(addprefix $(srcdir)/,$(filter %.h %.def,$(FUZZ_CMD_ALL))) \
		config.h
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) \
		$(LIBEVENT_CFLAGS) $(ROCKSDB_CFLAGS) $(LUA_CFLAGS) -o $@ $(FUZZ_CMD_SRCS) \
		$(LIBEVENT_LIBS) $(ROCKSDB_LIBS) $(LUA_LIBS) $(LIBS) -lpthread -lm
CLEANFILES += tests/fuzz/fuzz_cmd

# A bounded run (OMK_FUZZ_SECONDS, 30 s) of each fuzz target built with make fuzz-*;
# skipped for those not built.
TESTS += tests/fuzz/fuzz_smoke.sh
EXTRA_DIST += tests/fuzz/fuzz_smoke.sh
# ---- end omenkv-crashcheck ----
