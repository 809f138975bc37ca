#!/bin/sh
# smoke-index-bench.sh - TAP smoke test of bench/index-bench: the --quick run (100k keys of
# every set; each phase checks its own answers and exits non-zero on a wrong one) must exit
# 0 and end with the "alex/judysl lookup ratio at ..." line.
bin="${OMK_TOP_BUILDDIR:-.}/bench/index-bench"
echo "1..2"
if [ ! -x "$bin" ]; then
    echo "not ok 1 - $bin exists"
    echo "not ok 2 - ratio line"
    exit 1
fi
out=$("$bin" --quick 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
if [ "$rc" -eq 0 ]; then
    echo "ok 1 - index-bench --quick exits 0"
else
    echo "not ok 1 - index-bench --quick exits 0 (exit status $rc)"
fi
last=$(printf '%s\n' "$out" | tail -n 1)
case "$last" in
"alex/judysl lookup ratio at "*) echo "ok 2 - last line: $last" ;;
*) echo "not ok 2 - last line is the ratio line (got: $last)" ;;
esac
