# resp/local.mk - build rules for resp/ (included by the top Makefile.am): the RESP
# library, its unit test, the fuzz corpus replay that `make check` runs, and the
# libFuzzer build (`make fuzz-resp`, clang only, never built by default).

noinst_LIBRARIES += resp/libomkresp.a
resp_libomkresp_a_SOURCES = resp/parse.c resp/write.c resp/resp.h
resp_libomkresp_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)

check_PROGRAMS += tests/unit/test_resp
TESTS += tests/unit/test_resp
tests_unit_test_resp_SOURCES = tests/unit/test_resp.c tests/tap.h
tests_unit_test_resp_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_test_resp_LDADD = resp/libomkresp.a common/libomkcommon.a $(LIBEVENT_LIBS)

# Replays every file of tests/fuzz/corpus/resp (found through $OMK_TOP_SRCDIR, or the
# directory given as argv[1]) through the fuzz target, compiled with the normal compiler.
check_PROGRAMS += tests/fuzz/fuzz_resp_replay
TESTS += tests/fuzz/fuzz_resp_replay
tests_fuzz_fuzz_resp_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_resp.c
tests_fuzz_fuzz_resp_replay_CPPFLAGS = $(AM_CPPFLAGS) -DOMK_FUZZ_CORPUS='"resp"'
tests_fuzz_fuzz_resp_replay_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_fuzz_fuzz_resp_replay_LDADD = resp/libomkresp.a common/libomkcommon.a $(LIBEVENT_LIBS)
EXTRA_DIST += tests/fuzz/corpus/resp

# make fuzz-resp: tests/fuzz/fuzz_resp, the libFuzzer binary (see tests/fuzz/fuzz_resp.c).
# The sources are compiled together with clang so that all of them get coverage
# instrumentation; the gcc-built archives would be blind spots.
FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_RESP_SRCS = $(srcdir)/tests/fuzz/fuzz_resp.c $(srcdir)/resp/parse.c \
	$(srcdir)/resp/write.c $(srcdir)/common/omk.c $(srcdir)/common/splitargs.c
.PHONY: fuzz-resp
fuzz-resp: tests/fuzz/fuzz_resp
tests/fuzz/fuzz_resp: $(FUZZ_RESP_SRCS) $(srcdir)/resp/resp.h $(srcdir)/common/omk.h \
		$(srcdir)/common/splitargs.h config.h
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) \
		$(LIBEVENT_CFLAGS) -o $@ $(FUZZ_RESP_SRCS) $(LIBEVENT_LIBS) $(LIBS)
CLEANFILES += tests/fuzz/fuzz_resp
