#!/bin/sh
# fuzz_smoke.sh - a bounded libFuzzer run of each fuzz target that was built: tests/fuzz/
# fuzz_resp, fuzz_cmd, fuzz_index, fuzz_lualibs and fuzz_lua (`make fuzz-resp fuzz-cmd fuzz-index
# fuzz-lualibs fuzz-lua`, clang only). Each runs for OMK_FUZZ_SECONDS (default 30) on a scratch
# copy of its corpus, with its dictionary when there is one; one TAP test per target,
# skipped when the binary is absent (make check does not build them). A crash fails the
# test and leaves the input in the scratch directory, named in the output, to turn into a
# corpus file.
# Environment (set by make check): OMK_TOP_SRCDIR, OMK_TOP_BUILDDIR.

src="${OMK_TOP_SRCDIR:-.}"
build="${OMK_TOP_BUILDDIR:-.}"
secs="${OMK_FUZZ_SECONDS:-30}"
n=0
failed=0

for target in resp cmd index lualibs lua; do
    n=$((n + 1))
    bin="$build/tests/fuzz/fuzz_$target"
    if [ ! -x "$bin" ]; then
        echo "ok $n - fuzz_$target # SKIP not built (make fuzz-$target)"
        continue
    fi
    work=$(mktemp -d /tmp/omk-fuzz-smoke-XXXXXX)
    mkdir "$work/corpus"
    cp "$src/tests/fuzz/corpus/$target"/* "$work/corpus/" 2>/dev/null
    dict=""
    [ -f "$src/tests/fuzz/$target.dict" ] && dict="-dict=$src/tests/fuzz/$target.dict"
    (cd "$work" && "$bin" -max_total_time="$secs" -print_final_stats=1 $dict corpus \
        >"$work/fuzz.log" 2>&1)
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
    if [ $rc -eq 0 ]; then
        echo "ok $n - fuzz_$target: ${runs:-?} inputs in ${secs} s, no crash"
        rm -rf "$work"
    else
        echo "not ok $n - fuzz_$target: exit $rc after ${runs:-?} inputs; see $work"
        tail -30 "$work/fuzz.log" | sed 's/^/# /'
        failed=1
    fi
done
echo "1..$n"
exit $failed
